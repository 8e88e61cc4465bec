/**
 * How Slack's Web API is called and how it fails. Slack answers almost everything with HTTP 200 and
 * a body `{ ok, error?, … }`, so the class of a failure comes from the `error` string, not the status;
 * only rate limiting also shows as an HTTP 429 with `Retry-After`.
 */
import { ActionError, classifyHttpStatus, retryAfterMs } from '@toolplane/sdk'
import type {
  ActionErrorOptions,
  ErrorClass,
  HttpClient,
  HttpResponse,
  QueryValue,
  Suggestion,
} from '@toolplane/sdk'

/** The fields every Web API answer carries. */
export interface SlackEnvelope {
  ok?: boolean
  error?: string
  /** With `missing_scope`: the scope the method needs and the ones the token has. */
  needed?: string
  provided?: string
  warning?: string
  response_metadata?: { next_cursor?: string; messages?: string[]; warnings?: string[] }
}

/** How a Web API method is called: reads as a GET with a query, writes as a POST with JSON. */
export type SlackRequest =
  | { query: Readonly<Record<string, QueryValue>>; json?: never }
  | { json: Readonly<Record<string, unknown>>; query?: never }

/**
 * Calls a Web API method (`chat.postMessage`, `conversations.list`…) and returns its body when Slack
 * says `ok: true`; throws a classified {@link ActionError} otherwise.
 *
 * @example
 * const body = await callSlack<{ channel: string; ts: string }>(http, 'chat.postMessage', {
 *   json: { channel: 'C0123456789', text: 'Deploy finished' },
 * })
 */
export async function callSlack<T>(
  http: HttpClient,
  method: string,
  request: SlackRequest,
): Promise<T & SlackEnvelope> {
  const res =
    request.json === undefined
      ? await http.get<T & SlackEnvelope>(`/${method}`, { query: request.query })
      : await http.post<T & SlackEnvelope>(`/${method}`, {
          json: request.json,
          // Without the charset Slack adds a `missing_charset` warning to every answer.
          headers: { 'content-type': 'application/json; charset=utf-8' },
        })
  const body = isObject(res.json) ? res.json : undefined
  if (res.status === 429) throw rateLimited(method, res)
  if (body?.ok === true && res.ok) return body
  if (typeof body?.error === 'string') throw slackError(method, body, res)
  res.raise()
  throw new ActionError('upstream_error', `Slack answered ${method} without a JSON body`, {
    httpStatus: res.status,
    requestSent: true,
  })
}

/** What a Slack error code means for Toolplane, and what the user can do about it. */
interface ErrorMeaning {
  class: ErrorClass
  suggestion?: Suggestion
}

const reconnect: Suggestion = {
  title: 'Reconnect Slack',
  detail:
    'Install the Slack app to the workspace again (or reconnect the OAuth credential) and save the new bot token (xoxb-…) in the credential.',
}
const inviteBot: Suggestion = {
  title: 'Invite the app to the channel',
  detail:
    'Bots only see channels they are members of: type /invite @your-app in the channel, or use a public channel with the chat:write.public scope.',
}
const checkChannel: Suggestion = {
  title: 'Check the channel ID',
  detail:
    'Use the channel ID (C…, G… or D…), found under the channel name → About in Slack or with list_channels. Private channels are only visible to members.',
}
const fixInput: Suggestion = {
  title: 'Fix the request',
  detail:
    'Correct the fields Slack named and try again; Block Kit payloads can be checked in the Block Kit Builder.',
}
const slackDown: Suggestion = {
  title: 'Try again later',
  detail: 'Slack had a problem of its own; see https://slack-status.com for incidents.',
}

// Slack's documented error codes for the methods this tool calls; anything else is an upstream_error.
const meanings: Readonly<Record<string, ErrorMeaning>> = {
  not_authed: { class: 'auth_error', suggestion: reconnect },
  invalid_auth: { class: 'auth_error', suggestion: reconnect },
  account_inactive: {
    class: 'auth_error',
    suggestion: {
      title: 'Use an active account',
      detail:
        'The token belongs to a deactivated user or a deleted app; reinstall the app and save its new token.',
    },
  },
  not_allowed_token_type: {
    class: 'auth_error',
    suggestion: {
      title: 'Use a bot token',
      detail: 'This method needs a bot token (xoxb-…), not a user, app-level or legacy token.',
    },
  },
  token_revoked: { class: 'credential_expired', suggestion: reconnect },
  token_expired: {
    class: 'credential_expired',
    suggestion: {
      title: 'Refresh or reconnect',
      detail:
        'With token rotation on, Slack access tokens last 12 hours: reconnect the OAuth credential so Toolplane can refresh it.',
    },
  },
  no_permission: { class: 'permission_error' },
  access_denied: { class: 'permission_error' },
  restricted_action: {
    class: 'permission_error',
    suggestion: {
      title: 'Ask a workspace admin',
      detail: 'A workspace setting forbids this action for the app (posting to #general, for instance).',
    },
  },
  team_access_not_granted: {
    class: 'permission_error',
    suggestion: {
      title: 'Grant the app access',
      detail: 'Add the app to this workspace of the Enterprise Grid org.',
    },
  },
  ekm_access_denied: { class: 'permission_error' },
  not_in_channel: { class: 'permission_error', suggestion: inviteBot },
  is_archived: {
    class: 'permission_error',
    suggestion: { title: 'Unarchive the channel', detail: 'Archived channels cannot be written to.' },
  },
  cant_update_message: {
    class: 'permission_error',
    suggestion: { title: 'Edit your own messages only', detail: 'An app can only edit messages it posted.' },
  },
  edit_window_closed: {
    class: 'permission_error',
    suggestion: {
      title: 'Post a new message',
      detail: 'The workspace no longer allows this message to be edited.',
    },
  },
  channel_not_found: { class: 'not_found', suggestion: checkChannel },
  message_not_found: {
    class: 'not_found',
    suggestion: {
      title: 'Check the timestamp',
      detail: 'Use the message ts exactly as Slack returned it, such as 1712345678.123456.',
    },
  },
  thread_not_found: { class: 'not_found' },
  user_not_found: { class: 'not_found' },
  users_not_found: {
    class: 'not_found',
    suggestion: {
      title: 'Check the address',
      detail:
        'No member of this workspace has that email address (guests and deactivated users are not found).',
    },
  },
  ratelimited: { class: 'rate_limited' },
  invalid_arguments: { class: 'validation_error', suggestion: fixInput },
  invalid_blocks: { class: 'validation_error', suggestion: fixInput },
  invalid_blocks_format: { class: 'validation_error', suggestion: fixInput },
  invalid_attachments: { class: 'validation_error', suggestion: fixInput },
  no_text: { class: 'validation_error', suggestion: fixInput },
  msg_too_long: {
    class: 'validation_error',
    suggestion: {
      title: 'Shorten the message',
      detail: 'Slack truncates text over 40,000 characters and refuses longer payloads.',
    },
  },
  invalid_name: {
    class: 'validation_error',
    suggestion: {
      title: 'Check the emoji name',
      detail: 'Use a name such as thumbsup or white_check_mark, without colons.',
    },
  },
  invalid_cursor: {
    class: 'validation_error',
    suggestion: {
      title: 'Start over',
      detail: 'The cursor is stale or from another listing; list again without a cursor.',
    },
  },
  invalid_limit: { class: 'validation_error', suggestion: fixInput },
  invalid_types: { class: 'validation_error', suggestion: fixInput },
  invalid_ts_latest: { class: 'validation_error', suggestion: fixInput },
  invalid_ts_oldest: { class: 'validation_error', suggestion: fixInput },
  too_many_reactions: { class: 'conflict' },
  fatal_error: { class: 'upstream_unavailable', suggestion: slackDown },
  internal_error: { class: 'upstream_unavailable', suggestion: slackDown },
  service_unavailable: { class: 'upstream_unavailable', suggestion: slackDown },
  request_timeout: { class: 'timeout', suggestion: slackDown },
}

/** A Web API failure; `code` is Slack's own error string, such as `channel_not_found`. */
export class SlackError extends ActionError {
  override name = 'SlackError'
  readonly code: string

  constructor(code: string, errorClass: ErrorClass, message: string, options: ActionErrorOptions) {
    super(errorClass, message, options)
    this.code = code
  }
}

/** When Slack says `ratelimited` without a `Retry-After`, wait this long: its limits are per minute. */
export const DEFAULT_RATE_LIMIT_WAIT_MS = 30_000

/**
 * Turns a Slack `{ ok: false, error }` answer into an error of the right class. `missing_scope` names
 * the scope to add; Slack's `response_metadata.messages` (what `invalid_arguments` is about) join the
 * message.
 *
 * @example
 * slackError('chat.postMessage', { ok: false, error: 'channel_not_found' }, res).class // 'not_found'
 */
export function slackError(method: string, body: SlackEnvelope, res: HttpResponse): SlackError {
  const code = body.error ?? 'unknown_error'
  const base = { httpStatus: res.status, requestSent: true }
  if (code === 'ratelimited') return rateLimited(method, res)
  if (code === 'missing_scope') {
    const needed = body.needed === undefined || body.needed === '' ? undefined : body.needed
    const provided = body.provided === undefined || body.provided === '' ? 'none' : body.provided
    const lacking = needed === undefined ? 'a scope this method needs' : `the ${needed} scope`
    return new SlackError(
      code,
      'permission_error',
      `Slack refused ${method}: the token lacks ${lacking} (it has ${provided})`,
      {
        ...base,
        suggestions: [
          {
            title: needed === undefined ? 'Add the missing scope' : `Add the ${needed} scope`,
            detail: `In the Slack app's settings under OAuth & Permissions, add ${needed === undefined ? "the bot scope the method's documentation lists" : `the bot scope ${needed}`}, reinstall the app to the workspace, and save the new token (or reconnect the OAuth credential).`,
          },
        ],
      },
    )
  }
  const meaning = meanings[code]
  const detail = body.response_metadata?.messages?.join('; ')
  const message = `Slack refused ${method}: ${code}${detail === undefined || detail === '' ? '' : ` (${detail})`}`
  const errorClass =
    meaning?.class ?? (res.ok ? 'upstream_error' : classifyHttpStatus(res.status, res.headers))
  return new SlackError(code, errorClass, message, {
    ...base,
    suggestions: meaning?.suggestion === undefined ? [] : [meaning.suggestion],
  })
}

function rateLimited(method: string, res: HttpResponse): SlackError {
  const wait = retryAfterMs(res.headers) ?? DEFAULT_RATE_LIMIT_WAIT_MS
  const seconds = Math.ceil(wait / 1000)
  return new SlackError(
    'ratelimited',
    'rate_limited',
    `Slack rate limit reached for ${method}; retry in ${seconds} s`,
    {
      httpStatus: res.status,
      requestSent: true,
      retryAfterMs: wait,
      suggestions: [
        {
          title: 'Slow down',
          detail: `Slack limits each method per workspace and app (Tier 2 allows about 20 calls a minute, Tier 3 about 50, chat.postMessage about one message a second per channel). Retry in ${seconds} s.`,
        },
      ],
    },
  )
}

function isObject(value: unknown): value is SlackEnvelope {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** One page of a cursor listing. */
export interface SlackPage<T> {
  items: T[]
  /** Empty at the end, as Slack sends it. */
  nextCursor: string
}

/** Pages read per run at most, so a listing that keeps returning empty pages still ends. */
export const MAX_PAGES = 10

/**
 * Follows Slack's cursor pagination (`response_metadata.next_cursor`) from `cursor` until `limit`
 * items are collected, the listing ends or {@link MAX_PAGES} pages were read. Each page asks for no
 * more than what is still missing, so the returned cursor never skips an item.
 *
 * @example
 * const { items, nextCursor } = await readPages(undefined, 300, 200, (cursor, count) => page(cursor, count))
 */
export async function readPages<T>(
  cursor: string | undefined,
  limit: number,
  pageSize: number,
  read: (cursor: string | undefined, count: number) => Promise<SlackPage<T>>,
): Promise<{ items: T[]; nextCursor: string | null }> {
  const items: T[] = []
  let next = cursor
  for (let pages = 0; items.length < limit && pages < MAX_PAGES; pages += 1) {
    const page = await read(next, Math.min(pageSize, limit - items.length))
    items.push(...page.items)
    next = page.nextCursor === '' ? undefined : page.nextCursor
    if (next === undefined) break
  }
  return { items, nextCursor: next ?? null }
}
