// The whole execution flow through the HTTP API, on both databases and both queues (the job table
// in embedded mode, BullMQ on Redis in cluster mode), against a local upstream that fails on cue.
import { setTimeout as sleep } from 'node:timers/promises'
import { startUpstream } from '@toolplane/sdk/testing'
import type { RecordedRequest, Upstream } from '@toolplane/sdk/testing'
import type { ServerResponse } from 'node:http'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import type { Dialect } from '../db/database.js'
import type { ToolplaneEvent } from '../infra/events.js'
import { bearer, startTestApp } from '../testing/harness.js'
import { searchTextOf } from './search-text.js'
import type { TestApp } from '../testing/harness.js'

interface Execution {
  id: string
  action: string
  status: string
  mode: string
  input: unknown
  output: { status: number; body: unknown } | null
  error: { class: string; message: string; retryable: boolean; suggestions: { title: string }[] } | null
  attempts: {
    number: number
    status: string
    httpStatus: number | null
    errorClass: string | null
    retryInMs?: number
  }[]
  retryOf: string | null
  correlationId: string
  batchIndex: number | null
}

const combos: [Dialect, 'database' | 'bullmq'][] = [
  ['sqlite', 'database'],
  ['postgres', 'database'],
  ['sqlite', 'bullmq'],
  ['postgres', 'bullmq'],
]

/** Failures served per key before an endpoint starts answering 200. */
const failuresLeft = new Map<string, number>()
function failFirst(key: string, times: number): boolean {
  const left = failuresLeft.get(key) ?? times
  failuresLeft.set(key, left - 1)
  return left > 0
}

let upstream: Upstream
const hanging = new Set<() => void>()

beforeAll(async () => {
  upstream = await startUpstream(async (request, response) => {
    await answer(request, response)
  })
})

async function answer(request: RecordedRequest, response: ServerResponse): Promise<unknown> {
  {
    const url = new URL(request.url, 'http://upstream')
    const key = url.searchParams.get('key') ?? ''
    const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      response.writeHead(status, { 'content-type': 'application/json', ...headers })
      return response.end(JSON.stringify(body))
    }
    switch (url.pathname) {
      case '/ok':
        return json(200, { ok: true, key, n: Number(url.searchParams.get('n') ?? 0) })
      case '/unavailable':
        return failFirst(key, 2) ? json(503, { error: 'down' }) : json(200, { recovered: true })
      case '/limited':
        return failFirst(key, 1)
          ? json(429, { error: 'slow down' }, { 'retry-after': '1' })
          : json(200, { ok: 1 })
      case '/reset':
        if (failFirst(key, 1)) {
          response.socket?.destroy()
          return
        }
        return json(200, { ok: 'after reset' })
      case '/slow':
        if (failFirst(key, 1)) await sleep(1_500)
        return json(200, { ok: 'fast now' })
      case '/bad':
        return json(400, { error: 'bad request' })
      case '/missing':
        return json(404, { error: 'no such thing' })
      case '/hang':
        await new Promise<void>((resolve) => {
          hanging.add(resolve)
          response.on('close', resolve)
        })
        return
      default:
        return json(200, { echo: request.url })
    }
  }
}

afterAll(async () => {
  for (const release of hanging) release()
  await upstream.close()
})

const hits = (path: string) => upstream.requests.filter((r) => r.url.startsWith(path)).length

describe.each(combos)('executions on %s with the %s queue', (dialect, queueKind) => {
  let t: TestApp
  let ws: { id: string; key: string }
  const events: ToolplaneEvent[] = []
  let run = 0
  const unique = () => `${dialect}-${queueKind}-${String((run += 1))}`

  beforeAll(async () => {
    t = await startTestApp(
      dialect,
      { TOOLPLANE_ALLOW_PRIVATE_NETWORK: 'true' },
      { cluster: queueKind === 'bullmq' },
    )
    ws = await t.workspace('exec')
    t.app.infrastructure.events.subscribe({ types: ['execution.*', 'batch.*'] }, (event) => {
      events.push(event)
    })
  }, 30_000)
  afterAll(() => t.close())

  const post = (url: string, payload: object, headers: Record<string, string> = {}) =>
    t.app.inject({ method: 'POST', url, headers: { ...bearer(ws.key), ...headers }, payload })
  const get = (url: string) => t.app.inject({ method: 'GET', url, headers: bearer(ws.key) })
  const request = (path: string, extra: object = {}) => ({
    action: 'http.request',
    input: { method: 'GET', url: `${upstream.url}${path}` },
    ...extra,
  })

  async function until(id: string, done: (e: Execution) => boolean, timeoutMs = 15_000): Promise<Execution> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const execution = (await get(`/v1/executions/${id}`)).json<Execution>()
      if (done(execution)) return execution
      if (Date.now() > deadline) throw new Error(`execution ${id} is still ${execution.status}`)
      await sleep(25)
    }
  }
  const final = (e: Execution) => ['succeeded', 'failed', 'cancelled'].includes(e.status)

  it('runs a sync execution and records it with its attempt', async () => {
    const res = await post('/v1/executions', request(`/ok?key=${unique()}`), { 'x-request-id': 'corr-1' })
    expect(res.statusCode).toBe(200)
    const execution = res.json<Execution>()
    expect(execution).toMatchObject({
      action: 'http.request',
      status: 'succeeded',
      mode: 'sync',
      error: null,
    })
    expect(execution.output).toMatchObject({ status: 200, body: { ok: true } })
    expect(execution.attempts).toEqual([
      expect.objectContaining({ number: 1, status: 'succeeded', httpStatus: 200 }),
    ])
    expect(execution.correlationId).toBe('corr-1')
    const stored = (await get(`/v1/executions/${execution.id}`)).json<Execution>()
    expect(stored).toEqual(execution)
    // In cluster mode the event comes back through Redis.
    await vi.waitFor(() => {
      expect(
        events.some(
          (e) => e.type === 'execution.succeeded' && (e.data as { id: string }).id === execution.id,
        ),
      ).toBe(true)
    })
  })

  it('queues an async execution, answers 202 with a Location, and a worker runs it', async () => {
    const res = await post('/v1/executions', request(`/ok?key=${unique()}`, { mode: 'async' }))
    expect(res.statusCode).toBe(202)
    const accepted = res.json<Execution>()
    expect(accepted.status).toBe('queued')
    expect(res.headers.location).toBe(`/v1/executions/${accepted.id}`)
    const done = await until(accepted.id, final)
    expect(done.status).toBe('succeeded')
    expect(done.output?.status).toBe(200)
  })

  it.each(['sync', 'async'] as const)('retries a 503 until it succeeds (%s)', async (mode) => {
    const key = unique()
    const res = await post('/v1/executions', request(`/unavailable?key=${key}`, { mode }))
    const done = await until(res.json<Execution>().id, final)
    expect(done.status).toBe('succeeded')
    expect(done.attempts.map((a) => [a.status, a.httpStatus, a.errorClass])).toEqual([
      ['failed', 503, 'upstream_unavailable'],
      ['failed', 503, 'upstream_unavailable'],
      ['succeeded', 200, null],
    ])
  })

  it('waits out a 429 with Retry-After before the next attempt', async () => {
    const key = unique()
    const started = Date.now()
    const res = await post('/v1/executions', request(`/limited?key=${key}`))
    const done = res.json<Execution>()
    expect(done.status).toBe('succeeded')
    expect(done.attempts[0]).toMatchObject({ httpStatus: 429, errorClass: 'rate_limited' })
    expect(done.attempts[0]?.retryInMs).toBeGreaterThanOrEqual(1000)
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000)
  })

  it('retries after a connection reset and after a timeout', async () => {
    const reset = (await post('/v1/executions', request(`/reset?key=${unique()}`))).json<Execution>()
    expect(reset.status).toBe('succeeded')
    expect(reset.attempts[0]?.errorClass).toBe('network_error')
    const slow = (
      await post('/v1/executions', request(`/slow?key=${unique()}`, { timeoutMs: 400 }))
    ).json<Execution>()
    expect(slow.status).toBe('succeeded')
    expect(slow.attempts.map((a) => a.errorClass)).toEqual(['timeout', null])
  })

  it.each([
    ['/bad', 400, 'validation_error'],
    ['/missing', 404, 'not_found'],
  ])('does not retry %s (%i) and says how to recover', async (path, status, errorClass) => {
    const before = hits(path)
    const done = (await post('/v1/executions', request(path))).json<Execution>()
    expect(done.status).toBe('failed')
    expect(done.attempts).toHaveLength(1)
    expect(done.attempts[0]?.httpStatus).toBe(status)
    expect(done.error).toMatchObject({ class: errorClass, retryable: false })
    expect(done.error?.suggestions.length).toBeGreaterThan(0)
    expect(hits(path) - before).toBe(1)
  })

  it('does not retry a POST whose request may have reached the upstream', async () => {
    const key = unique()
    const done = (
      await post('/v1/executions', {
        action: 'http.request',
        input: { method: 'POST', url: `${upstream.url}/unavailable?key=${key}`, body: { a: 1 } },
      })
    ).json<Execution>()
    expect(done.status).toBe('failed')
    expect(done.attempts).toHaveLength(1)
    expect(done.error?.class).toBe('upstream_unavailable')
  })

  it('runs a request once per Idempotency-Key and body, and refuses the key with another body', async () => {
    const key = unique()
    const body = request(`/ok?key=${key}`)
    const first = await post('/v1/executions', body, { 'idempotency-key': key })
    const second = await post('/v1/executions', body, { 'idempotency-key': key })
    expect(second.statusCode).toBe(200)
    expect(second.headers['idempotent-replayed']).toBe('true')
    expect(second.json<Execution>().id).toBe(first.json<Execution>().id)
    expect(hits(`/ok?key=${key}`)).toBe(1)

    const other = await post('/v1/executions', request(`/ok?key=${key}&other=1`), { 'idempotency-key': key })
    expect(other.statusCode).toBe(409)
    expect(other.json<{ code: string }>().code).toBe('conflict')
  })

  it('runs once when concurrent requests share an Idempotency-Key', async () => {
    const key = unique()
    const body = request(`/ok?key=${key}`)
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => post('/v1/executions', body, { 'idempotency-key': key })),
    )
    const ids = new Set(answers.map((a) => a.json<Execution>().id))
    expect(ids.size).toBe(1)
    expect(answers.every((a) => a.json<Execution>().status === 'succeeded')).toBe(true)
    expect(hits(`/ok?key=${key}`)).toBe(1)
  })

  it('cancels a running async execution and aborts its upstream call', async () => {
    const accepted = (
      await post('/v1/executions', request(`/hang?key=${unique()}`, { mode: 'async' }))
    ).json<Execution>()
    await until(accepted.id, (e) => e.status === 'running')
    const before = hanging.size
    await sleep(100)
    expect(hanging.size).toBeGreaterThanOrEqual(before)
    const res = await post(`/v1/executions/${accepted.id}/cancel`, {})
    expect(res.statusCode).toBe(200)
    const done = await until(accepted.id, final)
    expect(done.status).toBe('cancelled')
    expect(done.error?.class).toBe('cancelled')
    // A finished execution cannot be cancelled again.
    expect((await post(`/v1/executions/${accepted.id}/cancel`, {})).statusCode).toBe(409)
  })

  it('retries a failed execution as a new one linked to it', async () => {
    const failed = (await post('/v1/executions', request('/missing'))).json<Execution>()
    const res = await post(`/v1/executions/${failed.id}/retry`, {})
    expect(res.statusCode).toBe(200)
    const retried = res.json<Execution>()
    expect(retried.id).not.toBe(failed.id)
    expect(retried.retryOf).toBe(failed.id)
    const ok = (await post('/v1/executions', request(`/ok?key=${unique()}`))).json<Execution>()
    expect((await post(`/v1/executions/${ok.id}/retry`, {})).statusCode).toBe(409)
  })

  it('applies input and output transformations', async () => {
    const key = unique()
    const done = (
      await post('/v1/executions', {
        action: 'http.request',
        input: { path: `/ok?key=${key}&n=41` },
        transform: {
          input: `{ "method": "GET", "url": "${upstream.url}" & path }`,
          output: '{ "answer": body.n + 1 }',
        },
      })
    ).json<Execution>()
    expect(done.status).toBe('succeeded')
    expect(done.output).toEqual({ answer: 42 })
  })

  it('refuses a transformation that does not parse, naming its position, and records nothing', async () => {
    const before = (await get('/v1/executions?limit=200')).json<{ data: unknown[] }>().data.length
    const res = await post('/v1/executions', request('/ok', { transform: { output: '{ "a": body.n + }' } }))
    expect(res.statusCode).toBe(400)
    expect(res.json<{ detail: string }>().detail).toMatch(/position|character/i)
    expect((await get('/v1/executions?limit=200')).json<{ data: unknown[] }>().data.length).toBe(before)
  })

  it('fails with transform_error when the output transformation fails at run time', async () => {
    const done = (
      await post('/v1/executions', request(`/ok?key=${unique()}`, { transform: { output: '$number("x")' } }))
    ).json<Execution>()
    expect(done.status).toBe('failed')
    expect(done.error?.class).toBe('transform_error')
  })

  it('refuses input that does not fit the schema with per-field errors, recording nothing', async () => {
    const res = await post('/v1/executions', { action: 'http.request', input: { method: 'FETCH' } })
    expect(res.statusCode).toBe(400)
    const problem = res.json<{ code: string; errors: { path: string }[] }>()
    expect(problem.code).toBe('validation_error')
    expect(problem.errors.map((e) => e.path)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^\/input/)]),
    )
    const unknown = await post('/v1/executions', { action: 'http.nope', input: {} })
    expect(unknown.statusCode).toBe(400)
  })

  it('describes a dry run with the credential masked and calls nothing', async () => {
    const credential = (
      await post('/v1/credentials', {
        tool: 'http',
        name: 'dry',
        authMethod: 'bearer',
        secrets: { token: 'sekret-token-123' },
      })
    ).json<{ id: string }>()
    const before = upstream.requests.length
    const res = await post(
      '/v1/executions',
      request(`/ok?key=${unique()}`, { credentialId: credential.id, dryRun: true }),
    )
    expect(res.statusCode).toBe(200)
    const preview = res.json<{
      dryRun: boolean
      requests: { method: string; headers: Record<string, string> }[]
    }>()
    expect(preview.dryRun).toBe(true)
    expect(preview.requests[0]?.method).toBe('GET')
    expect(preview.requests[0]?.headers.authorization).toBe('Bearer ****')
    expect(res.body).not.toContain('sekret-token-123')
    expect(upstream.requests.length).toBe(before)
  })

  it('runs a batch of 1,000 with some failures and reports counts and items', async () => {
    const items = Array.from({ length: 1000 }, (_, i) =>
      i % 50 === 7 ? request('/missing') : request(`/ok?key=batch&n=${String(i)}`),
    )
    items[3] = { action: 'http.nope', input: {} } as never
    const res = await post('/v1/batches', { items, mode: 'parallel', concurrency: 20 })
    expect(res.statusCode).toBe(202)
    const batch = res.json<{ id: string; status: string }>()
    const deadline = Date.now() + 60_000
    let view = batch as { id: string; status: string; counts?: Record<string, number> }
    while (view.status === 'running' && Date.now() < deadline) {
      await sleep(100)
      view = (await get(`/v1/batches/${batch.id}`)).json()
    }
    expect(view.status).toBe('completed')
    expect(view.counts).toMatchObject({ total: 1000, failed: 21, succeeded: 979, queued: 0, running: 0 })
    const page = (await get(`/v1/batches/${batch.id}/items?limit=10`)).json<{
      data: Execution[]
      nextCursor: string
    }>()
    expect(page.data.map((e) => e.batchIndex)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    expect(page.data[3]?.error?.class).toBe('validation_error')
    expect(page.data[7]?.error?.class).toBe('not_found')
    const next = (await get(`/v1/batches/${batch.id}/items?limit=10&cursor=${page.nextCursor}`)).json<{
      data: Execution[]
    }>()
    expect(next.data[0]?.batchIndex).toBe(10)
    await vi.waitFor(() => {
      expect(
        events.some((e) => e.type === 'batch.completed' && (e.data as { id: string }).id === batch.id),
      ).toBe(true)
    })
  }, 90_000)

  it('lets a sequential item read earlier outputs through $items', async () => {
    const res = await post('/v1/batches', {
      mode: 'sequential',
      items: [
        request(`/ok?key=seq&n=5`),
        {
          action: 'http.request',
          input: {},
          transform: {
            input: `{ "method": "GET", "url": "${upstream.url}/ok?key=seq&n=" & $string($items[0].body.n * 2) }`,
          },
        },
      ],
    })
    const batch = res.json<{ id: string }>()
    const deadline = Date.now() + 15_000
    let status = 'running'
    while (status === 'running' && Date.now() < deadline) {
      await sleep(50)
      status = (await get(`/v1/batches/${batch.id}`)).json<{ status: string }>().status
    }
    const items = (await get(`/v1/batches/${batch.id}/items`)).json<{ data: Execution[] }>().data
    expect(items[1]?.status).toBe('succeeded')
    expect(items[1]?.output?.body).toMatchObject({ n: 10 })
  })

  it('filters and searches executions', async () => {
    const marker = `zebra${String(Date.now() % 100_000)}`
    const done = (await post('/v1/executions', request(`/ok?key=${marker}`))).json<Execution>()
    const found = (await get(`/v1/executions?q=${marker}`)).json<{ data: Execution[] }>().data
    expect(found.map((e) => e.id)).toEqual([done.id])
    // A sync run's words are made from its record where it is written (SQLite: the write thread), the
    // same words as from the values the engine held, its error's included.
    const missing = (await post('/v1/executions', request('/missing'))).json<Execution>()
    for (const e of [done, missing]) {
      const row = await t.database.db
        .selectFrom('executions')
        .select('search_text')
        .where('id', '=', e.id)
        .executeTakeFirstOrThrow()
      const words = searchTextOf({
        tool: 'http',
        action: 'request',
        input: e.input,
        output: e.output ?? undefined,
        error: e.error,
      })
      expect(row.search_text).toBe(words)
    }
    expect(missing.error?.class).toBe('not_found')
    const failed = (await get('/v1/executions?status=failed&action=http.request')).json<{
      data: Execution[]
    }>().data
    expect(failed.length).toBeGreaterThan(0)
    expect(failed.every((e) => e.status === 'failed')).toBe(true)
    const errors = (await get('/v1/executions?q=not_found')).json<{ data: Execution[] }>().data
    expect(errors.length).toBeGreaterThan(0)
    expect(errors.every((e) => e.error?.class === 'not_found')).toBe(true)
  })

  it('counts executions and attempts in the metrics', async () => {
    const metrics = (await t.app.inject({ method: 'GET', url: '/metrics' })).body
    expect(metrics).toMatch(
      /toolplane_executions_total\{tool="http",action="request",status="succeeded",error_class="none"\} \d+/,
    )
    expect(metrics).toMatch(
      /toolplane_execution_attempts_total\{tool="http",action="request",outcome="upstream_unavailable"\} \d+/,
    )
    expect(metrics).toContain('toolplane_execution_duration_seconds_bucket')
    expect(metrics).toMatch(/toolplane_queue_jobs\{queue="executions",state="waiting"\} \d+/)
    const ready = (await t.app.inject({ method: 'GET', url: '/readyz' })).json<{
      checks: Record<string, unknown>
    }>()
    expect(Object.keys(ready.checks)).toContain('queue')
  })
})
