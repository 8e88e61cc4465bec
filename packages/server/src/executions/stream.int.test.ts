// The live tail over a real socket: filtered Server-Sent Events in embedded mode, and across two
// nodes of a cluster (one runs the execution, the other streams it) through Redis.
import { startUpstream } from '@toolplane/sdk/testing'
import type { Upstream } from '@toolplane/sdk/testing'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { dialects } from '../testing/databases.js'
import { bearer, startTestApp } from '../testing/harness.js'
import type { TestApp } from '../testing/harness.js'

let upstream: Upstream
beforeAll(async () => {
  upstream = await startUpstream((request, response) => {
    const status = request.url.startsWith('/missing') ? 404 : 200
    response.writeHead(status, { 'content-type': 'application/json' })
    response.end(JSON.stringify({ path: request.url }))
  })
})
afterAll(() => upstream.close())

/** Reads a stream's events until stopped; `events()` parses what arrived so far. */
async function tail(url: string, key: string) {
  const controller = new AbortController()
  const res = await fetch(url, { headers: bearer(key), signal: controller.signal })
  expect(res.status).toBe(200)
  expect(res.headers.get('content-type')).toContain('text/event-stream')
  const reader = (res.body as ReadableStream<Uint8Array>).getReader()
  let text = ''
  const reading = (async () => {
    for (;;) {
      const chunk = await reader.read().catch(() => ({ done: true as const, value: undefined }))
      if (chunk.done) return
      text += Buffer.from(chunk.value).toString('utf8')
    }
  })()
  return {
    events: () =>
      text
        .split('\n\n')
        .filter((block) => block.includes('event: execution'))
        .map((block) => {
          const data = block.split('\n').find((line) => line.startsWith('data: '))
          return JSON.parse((data ?? 'data: {}').slice(6)) as { id: string; type: string; status: string }
        }),
    async stop() {
      controller.abort()
      await reading
    },
  }
}

const run = (t: TestApp, key: string, path: string) =>
  t.app.inject({
    method: 'POST',
    url: '/v1/executions',
    headers: bearer(key),
    payload: { action: 'http.request', input: { method: 'GET', url: `${upstream.url}${path}` } },
  })

describe.each(dialects)('the live tail on %s', (dialect) => {
  let t: TestApp
  let ws: { id: string; key: string }
  let address: string

  beforeAll(async () => {
    t = await startTestApp(dialect, { TOOLPLANE_ALLOW_PRIVATE_NETWORK: 'true' })
    ws = await t.workspace('tail')
    address = await t.app.listen({ port: 0, host: '127.0.0.1' })
  })
  afterAll(() => t.close())

  it('streams each state of matching executions and leaves out the rest', async () => {
    const stream = await tail(`${address}/v1/executions/stream?status=failed`, ws.key)
    const ok = (await run(t, ws.key, '/ok')).json<{ id: string }>()
    const failed = (await run(t, ws.key, '/missing')).json<{ id: string }>()
    await vi.waitFor(() => {
      expect(stream.events().map((e) => e.id)).toContain(failed.id)
    })
    await stream.stop()
    expect(stream.events().map((e) => e.id)).not.toContain(ok.id)
    expect(stream.events().every((e) => e.status === 'failed' && e.type === 'execution.failed')).toBe(true)
  })

  it('refuses a filter it does not understand', async () => {
    const res = await t.app.inject({ url: '/v1/executions/stream?status=exploded', headers: bearer(ws.key) })
    expect(res.statusCode).toBe(400)
  })
})

describe('the live tail across two cluster nodes', () => {
  let a: TestApp
  let b: TestApp
  let ws: { id: string; key: string }

  beforeAll(async () => {
    a = await startTestApp('postgres', { TOOLPLANE_ALLOW_PRIVATE_NETWORK: 'true' }, { cluster: true })
    b = await startTestApp(
      'postgres',
      { TOOLPLANE_ALLOW_PRIVATE_NETWORK: 'true' },
      { cluster: true, testDatabase: a.testDatabase, redisPrefix: a.redisPrefix, runWorker: false },
    )
    ws = await a.workspace('cluster-tail')
  })
  afterAll(async () => {
    await b.close()
    await a.close()
  })

  it('shows on one node what another node runs', async () => {
    const address = await b.app.listen({ port: 0, host: '127.0.0.1' })
    const stream = await tail(`${address}/v1/executions/stream`, ws.key)
    const done = (await run(a, ws.key, '/ok')).json<{ id: string }>()
    await vi.waitFor(() => {
      expect(
        stream
          .events()
          .filter((e) => e.id === done.id)
          .map((e) => e.status),
      ).toEqual(['running', 'succeeded'])
    })
    await stream.stop()
  })
})
