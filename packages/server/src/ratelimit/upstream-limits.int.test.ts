// Limits towards the APIs actions call, through the HTTP API on both databases and both queues: a
// provider's 429 with Retry-After holds every call to it until then (async executions finish later,
// a sync one fails fast saying when to retry), and a plugin's declared limit is kept without asking.
import { setTimeout as sleep } from 'node:timers/promises'
import { Type, defineAction, defineTool } from '@toolplane/sdk'
import { startUpstream } from '@toolplane/sdk/testing'
import type { Upstream } from '@toolplane/sdk/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Dialect } from '../db/database.js'
import { bearer, startTestApp } from '../testing/harness.js'
import type { TestApp } from '../testing/harness.js'
import { loadPlugins } from '../tools/plugins.js'

interface Execution {
  id: string
  status: string
  error: { class: string; retryAfterMs?: number; message: string } | null
  attempts: { httpStatus: number | null; errorClass: string | null }[]
}

const combos: [Dialect, 'database' | 'bullmq'][] = [
  ['sqlite', 'database'],
  ['postgres', 'bullmq'],
]

const retryAfterSeconds = 2
let upstream: Upstream
/** When each path was called, in ms since the epoch. */
const calls = new Map<string, number[]>()
/** Paths that refuse their first call with 429 and Retry-After. */
const refusedOnce = new Set<string>()

beforeAll(async () => {
  upstream = await startUpstream((request, response) => {
    const path = request.url
    const seen = calls.get(path) ?? []
    seen.push(Date.now())
    calls.set(path, seen)
    if (path.includes('/pace/') && !refusedOnce.has(path)) {
      refusedOnce.add(path)
      response.writeHead(429, {
        'content-type': 'application/json',
        'retry-after': String(retryAfterSeconds),
      })
      response.end(JSON.stringify({ message: 'slow down' }))
      return
    }
    response.writeHead(200, { 'content-type': 'application/json' })
    response.end(JSON.stringify({ ok: true }))
  })
})
afterAll(() => upstream.close())

// A tool that declares the provider allows 2 calls a minute per credential.
function pacedTool(baseUrl: string) {
  return defineTool({
    slug: 'paced',
    name: 'Paced API',
    description: 'Allows two calls a minute.',
    version: '1.0.0',
    categories: ['test'],
    baseUrl,
    actions: [
      defineAction({
        name: 'ping',
        title: 'Ping',
        description: 'Calls /declared/ping.',
        input: Type.Object({ run: Type.String() }),
        output: Type.Object({ ok: Type.Boolean() }),
        retry: { idempotent: true },
        async run({ http, input }) {
          const res = await http.get<{ ok: boolean }>(`/declared/${input.run}`)
          res.raise()
          return { ok: res.json.ok }
        },
      }),
    ],
    rateLimits: [{ scope: 'credential', limit: 2, windowSeconds: 60 }],
  })
}

describe.each(combos)('upstream limits on %s with the %s queue', (dialect, queueKind) => {
  let t: TestApp
  let ws: { id: string; key: string }

  beforeAll(async () => {
    const loaded = await loadPlugins({ extra: [], cwd: process.cwd() })
    t = await startTestApp(
      dialect,
      { TOOLPLANE_ALLOW_PRIVATE_NETWORK: 'true' },
      {
        cluster: queueKind === 'bullmq',
        plugins: {
          tools: [...loaded.tools, { tool: pacedTool(upstream.url), plugin: 'test', builtin: false }],
          refused: [],
        },
      },
    )
    ws = await t.workspace('upstream')
  })
  afterAll(() => t.close())

  async function submit(input: unknown, mode: 'sync' | 'async', action = 'http.request') {
    return t.app.inject({
      method: 'POST',
      url: '/v1/executions',
      headers: bearer(ws.key),
      payload: { action, input, mode },
    })
  }

  async function settled(id: string): Promise<Execution> {
    const deadline = Date.now() + 30_000
    for (;;) {
      const execution = (
        await t.app.inject({ url: `/v1/executions/${id}`, headers: bearer(ws.key) })
      ).json<Execution>()
      if (['succeeded', 'failed', 'cancelled'].includes(execution.status)) return execution
      if (Date.now() > deadline) throw new Error(`execution ${id} is still ${execution.status}`)
      await sleep(50)
    }
  }

  it('holds every call to a provider that answered 429 until its Retry-After, then completes them', async () => {
    const path = `/pace/${dialect}-${queueKind}`
    const input = { method: 'GET', url: `${upstream.url}${path}` }
    const first = await submit(input, 'async')
    expect(first.statusCode).toBe(202)
    // Wait until Toolplane has read the 429 (the first attempt is on the record).
    const firstId = first.json<{ id: string }>().id
    const deadline = Date.now() + 10_000
    for (;;) {
      const record = (
        await t.app.inject({ url: `/v1/executions/${firstId}`, headers: bearer(ws.key) })
      ).json<Execution>()
      if (record.attempts.length > 0) break
      if (Date.now() > deadline) throw new Error('the first execution never called the upstream')
      await sleep(10)
    }
    const refusedAt = calls.get(path)?.[0] ?? 0
    const others = await Promise.all(Array.from({ length: 9 }, () => submit(input, 'async')))
    for (const answer of others) expect(answer.statusCode).toBe(202)

    // Meanwhile a sync execution to the same upstream fails at once, without calling it.
    const sync = await submit(input, 'sync')
    expect(sync.statusCode).toBe(200)
    const refused = sync.json<Execution>()
    expect(refused).toMatchObject({ status: 'failed', error: { class: 'rate_limited' }, attempts: [] })
    expect(refused.error?.retryAfterMs).toBeGreaterThan(0)
    expect(Number(sync.headers['retry-after'])).toBeGreaterThanOrEqual(1)

    const executions = await Promise.all(
      [first, ...others].map((answer) => settled(answer.json<{ id: string }>().id)),
    )
    for (const execution of executions) expect(execution.status).toBe('succeeded')
    const times = calls.get(path) ?? []
    // One refused call, then one successful call per execution — all after the provider's wait.
    expect(times).toHaveLength(11)
    for (const at of times.slice(1))
      expect(at - refusedAt).toBeGreaterThanOrEqual(retryAfterSeconds * 1000 - 50)
    const metrics = await t.app.inject({ url: '/metrics' })
    expect(metrics.body).toMatch(/toolplane_rate_limited_total\{scope="upstream"\} [1-9]/)
  }, 60_000)

  it('keeps a plugin’s declared limit without calling the upstream over it', async () => {
    const run = `${dialect}-${queueKind}`
    const outcomes: Execution[] = []
    for (let i = 0; i < 3; i++) outcomes.push((await submit({ run }, 'sync', 'paced.ping')).json<Execution>())
    expect(outcomes.map((e) => e.status)).toEqual(['succeeded', 'succeeded', 'failed'])
    expect(outcomes[2]?.error).toMatchObject({ class: 'rate_limited' })
    expect(outcomes[2]?.error?.message).toContain('2 calls in a minute')
    // 2 a minute: the next token comes in about 30 s.
    expect(outcomes[2]?.error?.retryAfterMs).toBeGreaterThan(25_000)
    expect(calls.get(`/declared/${run}`)).toHaveLength(2)

    // An async execution over the limit waits as a delayed job rather than failing.
    const queued = await submit({ run }, 'async', 'paced.ping')
    expect(queued.statusCode).toBe(202)
    await sleep(500)
    const waiting = (
      await t.app.inject({
        url: `/v1/executions/${queued.json<{ id: string }>().id}`,
        headers: bearer(ws.key),
      })
    ).json<Execution>()
    expect(waiting.status).toBe('queued')
    expect(calls.get(`/declared/${run}`)).toHaveLength(2)
  })
})
