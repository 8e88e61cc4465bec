/**
 * A stand-in for Slack's Web API on 127.0.0.1, for this tool's tests. It behaves like Slack where the
 * tool depends on it: methods under `/api/<method>`, bearer tokens with scopes (`missing_scope` with
 * `needed` and `provided`), HTTP 200 `{ ok: false, error }` failures, cursor pagination through
 * `response_metadata.next_cursor`, and HTTP 429 with `Retry-After` when a method is rate limited.
 */
import type { ServerResponse } from 'node:http'
import { startUpstream } from '@toolplane/sdk/testing'
import type { RecordedRequest, Upstream } from '@toolplane/sdk/testing'

/** A token the fake accepts, with its scopes. */
export const BOT_TOKEN = 'xoxb-1111-2222-fakebottoken'
export const READ_ONLY_TOKEN = 'xoxb-1111-3333-readonlytoken'
export const REVOKED_TOKEN = 'xoxb-1111-4444-revokedtoken'

const tokens: Readonly<Record<string, readonly string[]>> = {
  [BOT_TOKEN]: [
    'chat:write',
    'channels:read',
    'channels:history',
    'users:read',
    'users:read.email',
    'reactions:write',
  ],
  [READ_ONLY_TOKEN]: ['channels:read', 'users:read'],
}

const methodScopes: Readonly<Record<string, string>> = {
  'chat.postMessage': 'chat:write',
  'chat.update': 'chat:write',
  'reactions.add': 'reactions:write',
  'conversations.list': 'channels:read',
  'conversations.history': 'channels:history',
  'users.list': 'users:read',
  'users.lookupByEmail': 'users:read.email',
}

interface StoredMessage {
  ts: string
  user?: string
  bot_id?: string
  text: string
  thread_ts?: string
  reply_count?: number
  blocks?: unknown
  reactions?: { name: string; count: number; users: string[] }[]
}

export interface FakeSlack {
  /** The base URL to give the tool: `http://127.0.0.1:<port>/api`. */
  baseUrl: string
  requests: RecordedRequest[]
  /** The next call of `method` is answered 429 with `Retry-After: seconds`. */
  rateLimitNext(method: string, seconds: number): void
  /** The next call of `method` gets this body with HTTP 200 (or `status`). */
  failNext(method: string, body: Record<string, unknown>, status?: number): void
  /** Every request so far, decoded: Web API method, HTTP method, parameters (query or JSON) and headers. */
  calls(): {
    method: string
    http: string
    params: Record<string, unknown>
    headers: RecordedRequest['headers']
  }[]
  reset(): void
  close(): Promise<void>
}

const BOT_ID = 'B0FAKEBOT01'

function seedChannels(): Record<string, unknown>[] {
  const names = ['general', 'random', 'deploys', 'incidents', 'design']
  return names.map((name, index) => ({
    id: `C00000000${index + 1}`,
    name,
    is_channel: true,
    is_private: false,
    is_archived: false,
    is_member: index < 3,
    num_members: 10 + index,
    topic: { value: index === 0 ? 'Company-wide announcements' : '', creator: 'U0000000001', last_set: 0 },
    purpose: { value: '', creator: '', last_set: 0 },
    created: 1614589200 + index,
  }))
}

function seedMessages(): StoredMessage[] {
  // Newest first, as Slack returns them.
  return Array.from({ length: 5 }, (_, index) => ({
    ts: `17123456${String(90 - index * 10).padStart(2, '0')}.000100`,
    user: 'U0000000001',
    text: `message ${5 - index}`,
    ...(index === 0 ? { thread_ts: '1712345690.000100', reply_count: 2 } : {}),
    ...(index === 1 ? { reactions: [{ name: 'eyes', count: 1, users: ['U0000000002'] }] } : {}),
  }))
}

const users = [
  {
    id: 'U0000000001',
    team_id: 'T0000000001',
    name: 'ada',
    real_name: 'Ada Lovelace',
    deleted: false,
    is_bot: false,
    is_admin: true,
    tz: 'Europe/London',
    profile: {
      real_name: 'Ada Lovelace',
      display_name: 'ada',
      email: 'ada@example.com',
      title: 'Engineer',
      image_192: 'https://avatars.example.com/ada_192.png',
    },
  },
  {
    id: 'U0000000002',
    team_id: 'T0000000001',
    name: 'grace',
    deleted: false,
    is_bot: false,
    profile: { real_name: 'Grace Hopper', display_name: '', email: 'grace@example.com' },
  },
  {
    id: 'U0000000003',
    team_id: 'T0000000001',
    name: 'deploybot',
    deleted: false,
    is_bot: true,
    profile: { real_name: 'Deploy Bot', display_name: 'deploybot' },
  },
]

// Slack's cursors are opaque base64 strings.
const cursorFor = (offset: number): string => Buffer.from(`offset:${offset}`).toString('base64')
const offsetOf = (cursor: unknown): number =>
  typeof cursor === 'string' && cursor !== ''
    ? Number(Buffer.from(cursor, 'base64').toString('utf8').replace('offset:', ''))
    : 0

function page<T>(items: readonly T[], params: Record<string, unknown>): { items: T[]; next: string } {
  const offset = offsetOf(params.cursor)
  const limit = Number(params.limit ?? 100)
  const slice = items.slice(offset, offset + limit)
  return { items: slice, next: offset + limit < items.length ? cursorFor(offset + limit) : '' }
}

function decode(request: RecordedRequest): Record<string, unknown> {
  if (request.method === 'GET') {
    const url = new URL(request.url, 'http://localhost')
    return Object.fromEntries(url.searchParams)
  }
  return (request.json ?? {}) as Record<string, unknown>
}

// Returns a value so a handler can `return send(...)` from any branch.
function send(
  response: ServerResponse,
  body: unknown,
  status = 200,
  headers: Record<string, string> = {},
): true {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers })
  response.end(JSON.stringify(body))
  return true
}

/** Starts the fake Slack. */
export async function startFakeSlack(): Promise<FakeSlack> {
  let channels = seedChannels()
  let messages = seedMessages()
  let clock = 1712400000
  const rateLimited = new Map<string, number>()
  const failures = new Map<string, { body: Record<string, unknown>; status: number }>()

  const handle = (request: RecordedRequest, response: ServerResponse): true => {
    const url = new URL(request.url, 'http://localhost')
    const method = url.pathname.replace(/^\/api\//, '')
    const params = decode(request)
    const authorization = request.headers.authorization
    if (authorization === undefined) return send(response, { ok: false, error: 'not_authed' })
    const token = authorization.replace(/^Bearer /, '')
    if (token === REVOKED_TOKEN) return send(response, { ok: false, error: 'token_revoked' })
    const scopes = tokens[token]
    if (!authorization.startsWith('Bearer ') || scopes === undefined) {
      return send(response, { ok: false, error: 'invalid_auth' })
    }
    const wait = rateLimited.get(method)
    if (wait !== undefined) {
      rateLimited.delete(method)
      return send(response, { ok: false, error: 'ratelimited' }, 429, { 'retry-after': String(wait) })
    }
    const failure = failures.get(method)
    if (failure !== undefined) {
      failures.delete(method)
      return send(response, failure.body, failure.status)
    }
    const needed = methodScopes[method]
    if (needed !== undefined && !scopes.includes(needed)) {
      return send(response, { ok: false, error: 'missing_scope', needed, provided: scopes.join(',') })
    }
    const channel = channels.find((candidate) => candidate.id === params.channel)
    const ok = (body: Record<string, unknown>): true => send(response, { ok: true, ...body })

    switch (method) {
      case 'auth.test':
        return ok({
          url: 'https://acme.slack.com/',
          team: 'Acme',
          user: 'deploybot',
          team_id: 'T0000000001',
          user_id: 'U0000000003',
          bot_id: BOT_ID,
        })
      case 'chat.postMessage': {
        if (params.text === undefined && params.blocks === undefined)
          return send(response, { ok: false, error: 'no_text' })
        if (channel === undefined && params.channel !== '#general') {
          return send(response, { ok: false, error: 'channel_not_found' })
        }
        clock += 1
        const message: StoredMessage = {
          ts: `${clock}.000200`,
          bot_id: BOT_ID,
          text: typeof params.text === 'string' ? params.text : '',
          ...(typeof params.thread_ts === 'string' ? { thread_ts: params.thread_ts } : {}),
          ...(params.blocks === undefined ? {} : { blocks: params.blocks }),
        }
        messages.unshift(message)
        return ok({
          channel: channel?.id ?? 'C000000001',
          ts: message.ts,
          message: { type: 'message', ...message },
        })
      }
      case 'chat.update': {
        const message = messages.find((candidate) => candidate.ts === params.ts)
        if (channel === undefined) return send(response, { ok: false, error: 'channel_not_found' })
        if (message === undefined) return send(response, { ok: false, error: 'message_not_found' })
        if (message.bot_id !== BOT_ID) return send(response, { ok: false, error: 'cant_update_message' })
        message.text = typeof params.text === 'string' ? params.text : message.text
        return ok({
          channel: channel.id,
          ts: message.ts,
          text: message.text,
          message: { type: 'message', ...message },
        })
      }
      case 'reactions.add': {
        const message = messages.find((candidate) => candidate.ts === params.timestamp)
        if (channel === undefined) return send(response, { ok: false, error: 'channel_not_found' })
        if (message === undefined) return send(response, { ok: false, error: 'message_not_found' })
        const name = String(params.name)
        message.reactions ??= []
        const existing = message.reactions.find((reaction) => reaction.name === name)
        if (existing?.users.includes('U0000000003') === true)
          return send(response, { ok: false, error: 'already_reacted' })
        if (existing === undefined) message.reactions.push({ name, count: 1, users: ['U0000000003'] })
        else {
          existing.count += 1
          existing.users.push('U0000000003')
        }
        return ok({})
      }
      case 'conversations.list': {
        const wanted = (typeof params.types === 'string' ? params.types : 'public_channel').split(',')
        const listed = channels.filter(
          (candidate) =>
            wanted.includes(candidate.is_private === true ? 'private_channel' : 'public_channel') &&
            !(params.exclude_archived === 'true' && candidate.is_archived === true),
        )
        const { items, next } = page(listed, params)
        return ok({ channels: items, response_metadata: { next_cursor: next } })
      }
      case 'conversations.history': {
        if (channel === undefined) return send(response, { ok: false, error: 'channel_not_found' })
        if (channel.is_member !== true) return send(response, { ok: false, error: 'not_in_channel' })
        const oldest = Number(params.oldest ?? 0)
        const latest = Number(params.latest ?? Infinity)
        const within = messages.filter(
          (message) => Number(message.ts) > oldest && Number(message.ts) < latest,
        )
        const { items, next } = page(within, params)
        return ok({
          messages: items.map((message) => ({ type: 'message', ...message })),
          has_more: next !== '',
          pin_count: 0,
          ...(next === '' ? {} : { response_metadata: { next_cursor: next } }),
        })
      }
      case 'users.list': {
        const { items, next } = page(users, params)
        return ok({ members: items, cache_ts: 1712400000, response_metadata: { next_cursor: next } })
      }
      case 'users.lookupByEmail': {
        const user = users.find((candidate) => candidate.profile.email === params.email)
        return user === undefined ? send(response, { ok: false, error: 'users_not_found' }) : ok({ user })
      }
      default:
        return send(response, { ok: false, error: 'unknown_method', req_method: method })
    }
  }

  const upstream: Upstream = await startUpstream((request, response) => {
    handle(request, response)
  })
  return {
    baseUrl: `${upstream.url}/api`,
    requests: upstream.requests,
    rateLimitNext(method, seconds) {
      rateLimited.set(method, seconds)
    },
    failNext(method, body, status = 200) {
      failures.set(method, { body, status })
    },
    calls() {
      return upstream.requests.map((request) => ({
        method: new URL(request.url, 'http://localhost').pathname.replace(/^\/api\//, ''),
        http: request.method,
        params: decode(request),
        headers: request.headers,
      }))
    },
    reset() {
      upstream.requests.length = 0
      channels = seedChannels()
      messages = seedMessages()
      rateLimited.clear()
      failures.clear()
    },
    close: () => upstream.close(),
  }
}
