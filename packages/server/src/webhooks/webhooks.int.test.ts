// Outbound webhooks end to end, on both databases and both queues: a local receiver verifies every
// delivery with the `standardwebhooks` library, fails on cue, answers 410, asks to slow down, and
// sees the server restarted in the middle of a retry schedule.
import { randomBytes } from 'node:crypto'
import type { ServerResponse } from 'node:http'
import net from 'node:net'
import tls from 'node:tls'
import { setTimeout as sleep } from 'node:timers/promises'
import type { ResolvedAddress } from '@toolplane/sdk'
import { startUpstream } from '@toolplane/sdk/testing'
import type { RecordedRequest, Upstream } from '@toolplane/sdk/testing'
import { Webhook } from 'standardwebhooks'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import type { Dialect } from '../db/database.js'
import type { ToolplaneEvent } from '../infra/events.js'
import { createTestDatabase } from '../testing/databases.js'
import { bearer, startTestApp } from '../testing/harness.js'
import type { TestApp } from '../testing/harness.js'
import { deleteRedisKeys } from '../testing/redis-env.js'
import { traceIdOf } from './delivery.js'

interface WebhookView {
  id: string
  url: string
  events: string[]
  enabled: boolean
  disabledReason: string | null
  failingSince: string | null
  previousSecretExpiresAt: string | null
  secret?: string
}

interface DeliveryView {
  id: string
  webhookId: string
  event: string
  messageId: string
  status: 'pending' | 'delivered' | 'failed'
  correlationId: string | null
  attempts: {
    number: number
    httpStatus: number | null
    durationMs: number
    error: string | null
    at: string
    responseHeaders?: Record<string, string> | null
    responseBody?: string | null
  }[]
  payload?: { type: string; timestamp: string; data: unknown }
}

const combos: [Dialect, 'database' | 'bullmq'][] = [
  ['sqlite', 'database'],
  ['postgres', 'database'],
  ['sqlite', 'bullmq'],
  ['postgres', 'bullmq'],
]

const env = {
  TOOLPLANE_WEBHOOK_RETRY_SCHEDULE: '0s,200ms,200ms,200ms,200ms',
  TOOLPLANE_ALLOW_PRIVATE_NETWORK: 'true',
}

/** Requests received per key, with the time they arrived. */
const received = new Map<string, { request: RecordedRequest; at: number }[]>()
let receiver: Upstream

/** `/<behaviour>/<key>`: each key counts its own requests. */
function answer(request: RecordedRequest, response: ServerResponse): void {
  const [, behaviour = '', key = ''] = new URL(request.url, 'http://receiver').pathname.split('/')
  const seen = received.get(key) ?? []
  seen.push({ request, at: Date.now() })
  received.set(key, seen)
  const n = seen.length
  const [status, body, headers = {}] = behaviourOf(behaviour, n)
  response.writeHead(status, { 'content-type': 'text/plain', ...headers })
  response.end(body)
}

/** The status, body and headers a behaviour answers its n-th request with. */
function behaviourOf(behaviour: string, n: number): [number, string, Record<string, string>?] {
  switch (behaviour) {
    case 'ok':
      return [200, 'thanks', { 'x-receiver': 'yes' }]
    case 'fail3':
      return n <= 3 ? [500, 'not yet'] : [200, 'ok now']
    case 'fail2':
      return n <= 2 ? [503, 'down'] : [200, 'ok now']
    case 'gone':
      return [410, 'go away']
    case 'limited':
      return n === 1 ? [429, 'slow down', { 'retry-after': '1' }] : [200, 'ok']
    case 'down':
      return [500, 'always down']
    case 'big':
      return [200, 'x'.repeat(10_000)]
    default:
      return [404, 'no such behaviour']
  }
}

beforeAll(async () => {
  receiver = await startUpstream(answer)
})
afterAll(() => receiver.close())

function headersOf(request: RecordedRequest): Record<string, string> {
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(request.headers)) {
    if (typeof value === 'string') headers[name] = value
  }
  return headers
}

/** Verifies a received request as a consumer would; throws when the signature does not match. */
function verify(secret: string, request: RecordedRequest): unknown {
  return new Webhook(secret).verify(request.body, headersOf(request))
}

let keys = 0
const newKey = () => `k${String((keys += 1))}${randomBytes(3).toString('hex')}`

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await read()
    if (done(value)) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting; last value: ${JSON.stringify(value)}`)
    await sleep(25)
  }
}

/** The API of one workspace of a test app. */
function client(t: TestApp, key: string) {
  const api = {
    async create(path: string, events: string[] = ['*']): Promise<WebhookView & { secret: string }> {
      const res = await t.app.inject({
        method: 'POST',
        url: '/v1/webhooks',
        headers: bearer(key),
        payload: { url: `${receiver.url}${path}`, events },
      })
      expect(res.statusCode, res.body).toBe(201)
      return res.json()
    },
    async get(id: string): Promise<WebhookView> {
      return (await t.app.inject({ url: `/v1/webhooks/${id}`, headers: bearer(key) })).json()
    },
    async deliveries(id: string): Promise<DeliveryView[]> {
      const res = await t.app.inject({ url: `/v1/webhooks/${id}/deliveries`, headers: bearer(key) })
      expect(res.statusCode, res.body).toBe(200)
      return res.json<{ data: DeliveryView[] }>().data
    },
    async delivery(id: string, deliveryId: string): Promise<DeliveryView> {
      return (
        await t.app.inject({ url: `/v1/webhooks/${id}/deliveries/${deliveryId}`, headers: bearer(key) })
      ).json()
    },
    /** Waits for the only delivery of a subscription to satisfy `done`. */
    async settled(id: string, done: (d: DeliveryView) => boolean = (d) => d.status !== 'pending') {
      const [delivery] = await until(
        () => api.deliveries(id),
        (list) => list.length === 1 && done(list[0] as DeliveryView),
      )
      return api.delivery(id, (delivery as DeliveryView).id)
    },
  }
  return api
}

describe.each(combos)('outbound webhooks on %s with the %s queue', (dialect, queueKind) => {
  let t: TestApp
  const events: ToolplaneEvent[] = []
  const secrets: string[] = []
  const workspaceKeys: string[] = []
  let workspaces = 0

  beforeAll(async () => {
    t = await startTestApp(dialect, env, { cluster: queueKind === 'bullmq' })
    t.app.infrastructure.events.subscribe({ types: ['webhook.*'] }, (event) => {
      events.push(event)
    })
  }, 30_000)
  afterAll(() => t.close())

  async function setUp() {
    const ws = await t.workspace(`wh-${String((workspaces += 1))}`)
    workspaceKeys.push(ws.key)
    const api = client(t, ws.key)
    return {
      ws,
      api,
      create: async (path: string, filters?: string[]) => {
        const created = await api.create(path, filters)
        secrets.push(created.secret)
        return created
      },
      publish: (type: string, data: unknown = {}) =>
        t.app.infrastructure.events.publish({ type, workspaceId: ws.id, data }),
    }
  }

  it('delivers an execution event the receiver verifies, with its correlation id and trace', async () => {
    const { ws, api, create } = await setUp()
    const key = newKey()
    const webhook = await create(`/ok/${key}`, ['execution.succeeded'])
    expect(webhook.secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/)
    const correlationId = `corr-${key}`
    const run = await t.app.inject({
      method: 'POST',
      url: '/v1/executions',
      headers: { ...bearer(ws.key), 'x-request-id': correlationId },
      payload: { action: 'http.request', input: { method: 'GET', url: `${receiver.url}/ok/target-${key}` } },
    })
    expect(run.json<{ status: string }>().status).toBe('succeeded')

    const delivery = await api.settled(webhook.id)
    expect(delivery).toMatchObject({ status: 'delivered', event: 'execution.succeeded', correlationId })
    expect(delivery.attempts).toEqual([
      expect.objectContaining({ number: 1, httpStatus: 200, error: null, responseBody: 'thanks' }),
    ])
    expect(delivery.attempts[0]?.responseHeaders).toMatchObject({ 'x-receiver': 'yes' })

    const [got] = received.get(key) ?? []
    const request = got?.request as RecordedRequest
    const body = verify(webhook.secret, request) as { type: string; timestamp: string; data: { id: string } }
    expect(body.type).toBe('execution.succeeded')
    expect(body.data.id).toBe(run.json<{ id: string }>().id)
    expect(body).toEqual(delivery.payload)
    expect(request.headers).toMatchObject({
      'webhook-id': delivery.messageId,
      'content-type': 'application/json',
      'user-agent': 'Toolplane-Webhooks/1',
      'x-toolplane-correlation-id': correlationId,
    })
    expect(request.headers.traceparent).toMatch(
      new RegExp(`^00-${traceIdOf(correlationId)}-[0-9a-f]{16}-01$`),
    )
    // The filter let only execution.succeeded through: not queued, running or anything else.
    expect(await api.deliveries(webhook.id)).toHaveLength(1)
  })

  it('lets publishers skip events of a workspace known to have no subscription, until one is made', async () => {
    const { ws, publish, create } = await setUp()
    const bus = t.app.infrastructure.events
    // Not known yet: the dispatcher wants the event, to look the workspace up.
    expect(bus.wants('execution.succeeded', ws.id)).toBe(true)
    await publish('execution.succeeded', { id: 'x' })
    await vi.waitFor(() => {
      // Embedded: now known to have none. In a cluster, other nodes may listen: always wanted.
      expect(bus.wants('execution.succeeded', ws.id)).toBe(queueKind === 'bullmq')
    })
    expect(bus.wants('webhook.disabled', ws.id)).toBe(true)
    await create(`/ok/${newKey()}`, ['execution.*'])
    expect(bus.wants('execution.succeeded', ws.id)).toBe(true)
  })

  it('sends nothing for an event its filters do not match', async () => {
    const { api, create, publish } = await setUp()
    const key = newKey()
    const webhook = await create(`/ok/${key}`, ['batch.*'])
    await publish('execution.failed', { id: 'x' })
    await publish('credential.expired', { credentialId: 'c' })
    await publish('execution.cancel_requested', { id: 'x' })
    await publish('batch.completed', { id: 'b1' })
    const delivery = await api.settled(webhook.id)
    expect(delivery.event).toBe('batch.completed')
    await sleep(200)
    expect(await api.deliveries(webhook.id)).toHaveLength(1)
    expect(received.get(key)).toHaveLength(1)
  })

  it('retries a failing receiver until it answers 200: four attempts, one webhook-id', async () => {
    const { api, create, publish } = await setUp()
    const key = newKey()
    const webhook = await create(`/fail3/${key}`)
    await publish('execution.failed', { id: 'e1', correlationId: 'not-a-uuid' })
    const delivery = await api.settled(webhook.id)
    expect(delivery.status).toBe('delivered')
    expect(delivery.attempts.map((a) => [a.number, a.httpStatus])).toEqual([
      [1, 500],
      [2, 500],
      [3, 500],
      [4, 200],
    ])
    expect(delivery.attempts[0]?.error).toMatch(/500/)
    const requests = (received.get(key) ?? []).map((r) => r.request)
    expect(requests).toHaveLength(4)
    for (const request of requests) {
      expect(request.headers['webhook-id']).toBe(delivery.messageId)
      expect(() => verify(webhook.secret, request)).not.toThrow()
    }
    // A success clears the failure streak.
    expect((await api.get(webhook.id)).failingSince).toBeNull()
  })

  it('fails a delivery after the last scheduled attempt', async () => {
    const { api, create, publish } = await setUp()
    const key = newKey()
    const webhook = await create(`/down/${key}`)
    await publish('execution.failed', { id: 'e2' })
    const delivery = await api.settled(webhook.id)
    expect(delivery.status).toBe('failed')
    expect(delivery.attempts.map((a) => a.httpStatus)).toEqual([500, 500, 500, 500, 500])
    const after = await api.get(webhook.id)
    expect(after.enabled).toBe(true)
    expect(after.failingSince).not.toBeNull()
  })

  it('disables the subscription on 410 and tells the others with webhook.disabled', async () => {
    const { ws, api, create, publish } = await setUp()
    const goneKey = newKey()
    const watcherKey = newKey()
    const gone = await create(`/gone/${goneKey}`)
    const watcher = await create(`/ok/${watcherKey}`, ['webhook.disabled'])
    await publish('execution.succeeded', { id: 'e3' })
    const delivery = await api.settled(gone.id)
    expect(delivery.status).toBe('failed')
    expect(delivery.attempts.map((a) => a.httpStatus)).toEqual([410])
    const after = await api.get(gone.id)
    expect(after.enabled).toBe(false)
    expect(after.disabledReason).toMatch(/410/)
    const notice = await api.settled(watcher.id)
    expect(notice.status).toBe('delivered')
    expect(notice.payload).toMatchObject({ type: 'webhook.disabled', data: { id: gone.id } })
    expect(
      events.some((e) => e.type === 'webhook.disabled' && (e.data as { id: string }).id === gone.id),
    ).toBe(true)
    // Never about itself, and nothing more goes to a disabled subscription.
    expect(await api.deliveries(gone.id)).toHaveLength(1)
    expect(received.get(goneKey)).toHaveLength(1)
    const test = await t.app.inject({
      method: 'POST',
      url: `/v1/webhooks/${gone.id}/test`,
      headers: bearer(ws.key),
    })
    expect(test.statusCode).toBe(409)
    expect(test.json<{ detail: string }>().detail).toMatch(/disabled/)
  })

  it('replays a delivery with the same webhook-id and a fresh signature', async () => {
    const { ws, api, create, publish } = await setUp()
    const key = newKey()
    const webhook = await create(`/ok/${key}`)
    await publish('credential.recovered', { credentialId: 'c1' })
    const first = await api.settled(webhook.id)
    expect(first.status).toBe('delivered')
    const replay = await t.app.inject({
      method: 'POST',
      url: `/v1/webhooks/${webhook.id}/deliveries/${first.id}/replay`,
      headers: bearer(ws.key),
    })
    expect(replay.statusCode, replay.body).toBe(202)
    expect(replay.json<DeliveryView>().status).toBe('pending')
    const again = await api.settled(webhook.id, (d) => d.attempts.length === 2)
    expect(again.status).toBe('delivered')
    expect(again.attempts.map((a) => a.number)).toEqual([1, 2])
    const requests = (received.get(key) ?? []).map((r) => r.request)
    expect(requests).toHaveLength(2)
    expect(requests.map((r) => r.headers['webhook-id'])).toEqual([first.messageId, first.messageId])
    expect(requests[1]?.body).toBe(requests[0]?.body)
    for (const request of requests) expect(() => verify(webhook.secret, request)).not.toThrow()
  })

  it('waits for the Retry-After of a 429 instead of the schedule', async () => {
    const { api, create, publish } = await setUp()
    const key = newKey()
    const webhook = await create(`/limited/${key}`)
    await publish('execution.succeeded', { id: 'e4' })
    const delivery = await api.settled(webhook.id)
    expect(delivery.attempts.map((a) => a.httpStatus)).toEqual([429, 200])
    const [first, second] = received.get(key) ?? []
    // The schedule says 200 ms; the receiver asked for a second.
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(950)
  })

  it('signs with both secrets during a rotation overlap, and with the new one after it', async () => {
    const { ws, api, create, publish } = await setUp()
    const key = newKey()
    const webhook = await create(`/ok/${key}`)
    const rotated = await t.app.inject({
      method: 'POST',
      url: `/v1/webhooks/${webhook.id}/rotate-secret`,
      headers: bearer(ws.key),
      payload: { overlapSeconds: 3600 },
    })
    expect(rotated.statusCode, rotated.body).toBe(200)
    const { secret, previousSecretExpiresAt } = rotated.json<WebhookView & { secret: string }>()
    secrets.push(secret)
    expect(secret).not.toBe(webhook.secret)
    expect(previousSecretExpiresAt).toBe(new Date(t.now.value + 3_600_000).toISOString())

    await publish('execution.succeeded', { id: 'during' })
    await api.settled(webhook.id)
    const during = received.get(key)?.[0]?.request as RecordedRequest
    expect(String(during.headers['webhook-signature']).split(' ')).toHaveLength(2)
    expect(() => verify(secret, during)).not.toThrow()
    expect(() => verify(webhook.secret, during)).not.toThrow()

    t.now.value += 3_600_000
    await publish('execution.succeeded', { id: 'after' })
    await until(
      () => api.deliveries(webhook.id),
      (list) => list.length === 2 && list.every((d) => d.status === 'delivered'),
    )
    const after = received.get(key)?.[1]?.request as RecordedRequest
    expect(String(after.headers['webhook-signature']).split(' ')).toHaveLength(1)
    expect(() => verify(secret, after)).not.toThrow()
    expect(() => verify(webhook.secret, after)).toThrow()
    expect((await api.get(webhook.id)).previousSecretExpiresAt).toBeNull()
  })

  it('disables a subscription failing for 5 days and records webhook.disabled', async () => {
    const { ws, api, create, publish } = await setUp()
    const key = newKey()
    const webhook = await create(`/down/${key}`)
    const watcherKey = newKey()
    const watcher = await create(`/ok/${watcherKey}`, ['webhook.*'])
    await publish('execution.failed', { id: 'e5' })
    await until(
      () => api.deliveries(webhook.id),
      (list) => (list[0]?.attempts.length ?? 0) >= 1,
    )
    t.now.value += 5 * 24 * 3_600_000
    const delivery = await api.settled(webhook.id)
    expect(delivery.status).toBe('failed')
    const after = await api.get(webhook.id)
    expect(after.enabled).toBe(false)
    expect(after.disabledReason).toMatch(/5 days/)
    const notice = await api.settled(watcher.id)
    expect(notice.payload).toMatchObject({
      type: 'webhook.disabled',
      data: { id: webhook.id, url: webhook.url },
    })

    // Enabling it again clears the reason and the streak.
    const enabled = await t.app.inject({
      method: 'PATCH',
      url: `/v1/webhooks/${webhook.id}`,
      headers: bearer(ws.key),
      payload: { enabled: true },
    })
    expect(enabled.json()).toMatchObject({ enabled: true, disabledReason: null, failingSince: null })
  })

  it('keeps the first 4 KB of a response body', async () => {
    const { api, create, publish } = await setUp()
    const key = newKey()
    const webhook = await create(`/big/${key}`)
    await publish('execution.succeeded', { id: 'e6' })
    const delivery = await api.settled(webhook.id)
    expect(delivery.status).toBe('delivered')
    expect(delivery.attempts[0]?.responseBody).toBe('x'.repeat(4096))
  })

  it('sends a test event to one subscription only, whatever its filters', async () => {
    const { ws, api, create } = await setUp()
    const key = newKey()
    const otherKey = newKey()
    const webhook = await create(`/ok/${key}`, ['batch.completed'])
    const other = await create(`/ok/${otherKey}`)
    const res = await t.app.inject({
      method: 'POST',
      url: `/v1/webhooks/${webhook.id}/test`,
      headers: { ...bearer(ws.key), 'x-request-id': `test-${key}` },
    })
    expect(res.statusCode, res.body).toBe(202)
    expect(res.json<DeliveryView>()).toMatchObject({ event: 'webhook.test', status: 'pending' })
    const delivery = await api.settled(webhook.id)
    expect(delivery).toMatchObject({ status: 'delivered', correlationId: `test-${key}` })
    const body = verify(webhook.secret, received.get(key)?.[0]?.request as RecordedRequest)
    expect(body).toMatchObject({ type: 'webhook.test', data: { webhookId: webhook.id } })
    await sleep(200)
    expect(await api.deliveries(other.id)).toEqual([])
  })

  it('manages subscriptions: list, read, update, delete, with validation', async () => {
    const { ws, api, create } = await setUp()
    const a = await create(`/ok/${newKey()}`, ['execution.*'])
    const b = await create(`/ok/${newKey()}`)
    const list = await t.app.inject({ url: '/v1/webhooks?limit=1', headers: bearer(ws.key) })
    const page = list.json<{ data: WebhookView[]; nextCursor: string | null }>()
    expect(page.data.map((w) => w.id)).toEqual([b.id])
    const next = await t.app.inject({
      url: `/v1/webhooks?limit=1&cursor=${String(page.nextCursor)}`,
      headers: bearer(ws.key),
    })
    expect(next.json<{ data: WebhookView[] }>().data.map((w) => w.id)).toEqual([a.id])

    const patched = await t.app.inject({
      method: 'PATCH',
      url: `/v1/webhooks/${a.id}`,
      headers: bearer(ws.key),
      payload: { events: ['execution.failed', 'trigger.github.*'], enabled: false },
    })
    expect(patched.json()).toMatchObject({
      events: ['execution.failed', 'trigger.github.*'],
      enabled: false,
      disabledReason: expect.any(String) as string,
    })
    const enabled = await t.app.inject({
      method: 'PATCH',
      url: `/v1/webhooks/${a.id}`,
      headers: bearer(ws.key),
      payload: { enabled: true },
    })
    expect(enabled.json()).toMatchObject({ enabled: true, disabledReason: null, failingSince: null })

    for (const [payload, path] of [
      [{ url: 'ftp://example.com/x' }, '/body/url'],
      [{ url: 'https://user:pw@example.com/x' }, '/body/url'],
      [{ url: 'https://example.com/x', events: ['execution.succeded'] }, '/body/events/0'],
      [{ url: 'https://example.com/x', events: ['no spaces'] }, '/body/events/0'],
    ] as const) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/v1/webhooks',
        headers: bearer(ws.key),
        payload,
      })
      expect(res.statusCode, JSON.stringify(payload)).toBe(400)
      expect(res.json()).toMatchObject({ code: 'validation_error' })
      expect(res.json<{ errors: { path: string }[] }>().errors.map((e) => e.path)).toContain(path)
    }

    const deleted = await t.app.inject({
      method: 'DELETE',
      url: `/v1/webhooks/${b.id}`,
      headers: bearer(ws.key),
    })
    expect(deleted.statusCode).toBe(204)
    expect((await t.app.inject({ url: `/v1/webhooks/${b.id}`, headers: bearer(ws.key) })).statusCode).toBe(
      404,
    )
    expect((await api.get(a.id)).id).toBe(a.id)
  })

  it('never shows a secret in a read, a list, a delivery or a log line', async () => {
    const bodies: string[] = []
    for (const key of workspaceKeys) {
      const list = await t.app.inject({ url: '/v1/webhooks?limit=200', headers: bearer(key) })
      bodies.push(list.body)
      for (const { id } of list.json<{ data: { id: string }[] }>().data) {
        bodies.push((await t.app.inject({ url: `/v1/webhooks/${id}`, headers: bearer(key) })).body)
        const deliveries = await t.app.inject({ url: `/v1/webhooks/${id}/deliveries`, headers: bearer(key) })
        bodies.push(deliveries.body)
        for (const delivery of deliveries.json<{ data: { id: string }[] }>().data) {
          const url = `/v1/webhooks/${id}/deliveries/${delivery.id}`
          bodies.push((await t.app.inject({ url, headers: bearer(key) })).body)
        }
      }
    }
    expect(bodies.length).toBeGreaterThan(30)
    const metrics = (await t.app.inject({ url: '/metrics' })).body
    expect(metrics).toMatch(/toolplane_webhook_deliveries_total\{outcome="delivered"\} [1-9]/)
    expect(metrics).toMatch(/toolplane_webhook_delivery_duration_seconds_count [1-9]/)
    expect(metrics).toMatch(/toolplane_webhook_backlog \d+/)
    expect(secrets.length).toBeGreaterThan(5)
    const logs = t.logText()
    const bare = (secret: string) => secret.slice('whsec_'.length)
    for (const secret of secrets) {
      expect(logs).not.toContain(bare(secret))
      expect(metrics).not.toContain(bare(secret))
      for (const body of bodies) expect(body).not.toContain(bare(secret))
    }
  })
})

describe.each(combos)(
  'a restart in the middle of a schedule on %s with the %s queue',
  (dialect, queueKind) => {
    it('loses no delivery', async () => {
      const testDatabase = await createTestDatabase(dialect)
      const redisPrefix = `toolplane-test:${randomBytes(6).toString('hex')}:`
      const options = { testDatabase, cluster: queueKind === 'bullmq', redisPrefix }
      const slow = { ...env, TOOLPLANE_WEBHOOK_RETRY_SCHEDULE: '0s,1500ms,1500ms,1500ms' }
      const key = newKey()
      let t = await startTestApp(dialect, slow, options)
      try {
        const ws = await t.workspace('restart')
        const created = await client(t, ws.key).create(`/fail2/${key}`)
        await t.app.infrastructure.events.publish({ type: 'execution.failed', workspaceId: ws.id, data: {} })
        await until(
          () => client(t, ws.key).deliveries(created.id),
          (list) => list[0]?.attempts.length === 1,
        )
        await t.close()
        // Stopped between attempts 1 and 2: what follows is the second server's work.
        expect(received.get(key)).toHaveLength(1)

        t = await startTestApp(dialect, slow, options)
        const delivery = await client(t, ws.key).settled(created.id)
        expect(delivery.status).toBe('delivered')
        expect(delivery.attempts.map((a) => [a.number, a.httpStatus])).toEqual([
          [1, 503],
          [2, 503],
          [3, 200],
        ])
        const requests = (received.get(key) ?? []).map((r) => r.request)
        expect(requests).toHaveLength(3)
        for (const request of requests) {
          expect(request.headers['webhook-id']).toBe(delivery.messageId)
          expect(() => verify(created.secret, request)).not.toThrow()
        }
      } finally {
        await t.close()
        if (queueKind === 'bullmq') await deleteRedisKeys(redisPrefix)
        await testDatabase.drop()
      }
    }, 40_000)
  },
)

// Without TOOLPLANE_ALLOW_PRIVATE_NETWORK: deliveries follow the network rules of SPEC §5, through an
// injected resolver, so neither a socket nor real DNS is used.
describe('the network rules for deliveries', () => {
  const asked: string[] = []
  const resolver = (hostname: string): Promise<readonly ResolvedAddress[]> => {
    asked.push(hostname)
    return hostname === 'internal.example'
      ? Promise.resolve([{ address: '10.1.2.3', family: 4 }])
      : Promise.reject(Object.assign(new Error('unknown'), { code: 'ENOTFOUND' }))
  }
  let t: TestApp
  let key: string

  beforeAll(async () => {
    t = await startTestApp('sqlite', { TOOLPLANE_WEBHOOK_RETRY_SCHEDULE: '0s' }, { resolver })
    key = (await t.workspace('ssrf')).key
  })
  afterAll(() => t.close())
  afterEach(() => {
    vi.restoreAllMocks()
  })

  it.each([
    ['loopback', 'http://127.0.0.1:9/hook', null],
    ['a 10.0.0.0/8 address', 'http://10.0.0.1/hook', null],
    ['IPv6 loopback', 'http://[::1]:8080/hook', null],
    ['a name resolving to a private address', 'http://internal.example/hook', 'internal.example'],
  ])('refuses to deliver to %s, and opens no socket', async (_, url, name) => {
    asked.length = 0
    const sockets = [
      vi.spyOn(net.Socket.prototype, 'connect'),
      vi.spyOn(net, 'connect'),
      vi.spyOn(tls, 'connect'),
    ]
    const api = client(t, key)
    const created = await t.app.inject({
      method: 'POST',
      url: '/v1/webhooks',
      headers: bearer(key),
      payload: { url },
    })
    expect(created.statusCode, created.body).toBe(201)
    const { id } = created.json<WebhookView>()
    const test = await t.app.inject({ method: 'POST', url: `/v1/webhooks/${id}/test`, headers: bearer(key) })
    expect(test.statusCode).toBe(202)
    const delivery = await api.settled(id)
    expect(delivery.status).toBe('failed')
    expect(delivery.attempts).toEqual([
      expect.objectContaining({
        number: 1,
        httpStatus: null,
        error: expect.stringMatching(/Refused to connect/) as string,
      }),
    ])
    for (const socket of sockets) expect(socket).not.toHaveBeenCalled()
    expect(asked).toEqual(name === null ? [] : [name])
  })
})
