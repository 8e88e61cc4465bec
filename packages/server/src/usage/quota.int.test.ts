// The monthly quota through the HTTP API, on both databases: 50 concurrent executions against a
// quota of 20 admit exactly 20; a batch that does not fit is refused whole; usage shows the count.
import { startUpstream } from '@toolplane/sdk/testing'
import type { Upstream } from '@toolplane/sdk/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dialects } from '../testing/databases.js'
import { bearer, startTestApp } from '../testing/harness.js'
import type { TestApp } from '../testing/harness.js'

let upstream: Upstream
beforeAll(async () => {
  upstream = await startUpstream()
})
afterAll(() => upstream.close())

describe.each(dialects)('the monthly quota on %s', (dialect) => {
  let t: TestApp
  let ws: { id: string; key: string }

  beforeAll(async () => {
    t = await startTestApp(dialect, { TOOLPLANE_ALLOW_PRIVATE_NETWORK: 'true' })
    ws = await t.workspace('quota')
  })
  afterAll(() => t.close())

  const execute = (mode: 'sync' | 'async') =>
    t.app.inject({
      method: 'POST',
      url: '/v1/executions',
      headers: bearer(ws.key),
      payload: { action: 'http.request', input: { method: 'GET', url: `${upstream.url}/q` }, mode },
    })

  it('admits exactly the quota to 50 concurrent executions, never one more', async () => {
    const patched = await t.app.inject({
      method: 'PATCH',
      url: '/v1/workspace',
      headers: bearer(ws.key),
      payload: { monthlyExecutionQuota: 20 },
    })
    expect(patched.statusCode).toBe(200)
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) => execute(i % 2 === 0 ? 'sync' : 'async')),
    )
    const admitted = answers.filter((a) => a.statusCode === 200 || a.statusCode === 202)
    const refused = answers.filter((a) => a.statusCode === 429)
    expect(admitted).toHaveLength(20)
    expect(refused).toHaveLength(30)
    const refusal = refused[0]
    expect(refusal?.json()).toMatchObject({ code: 'quota_exceeded', status: 429 })
    // Until the first of next month (the test clock stands at 2026-01-15 12:00 UTC).
    expect(Number(refusal?.headers['retry-after'])).toBe((Date.UTC(2026, 1, 1) - t.now.value) / 1000)

    const usage = (await t.app.inject({ url: '/v1/usage', headers: bearer(ws.key) })).json<{
      period: string
      quota: number
      used: number
      byTool: { tool: string; executions: number }[]
    }>()
    expect(usage).toMatchObject({
      period: '2026-01',
      quota: 20,
      used: 20,
      byTool: [{ tool: 'http', executions: 20 }],
    })
    const listed = (await t.app.inject({ url: '/v1/executions?limit=100', headers: bearer(ws.key) })).json<{
      data: unknown[]
    }>()
    expect(listed.data).toHaveLength(20)
    const metrics = await t.app.inject({ url: '/metrics' })
    expect(metrics.body).toMatch(/toolplane_rate_limited_total\{scope="quota"\} 30/)
  })

  it('refuses a batch that does not fit whole, and admits one that does', async () => {
    await t.app.inject({
      method: 'PATCH',
      url: '/v1/workspace',
      headers: bearer(ws.key),
      payload: { monthlyExecutionQuota: 25 },
    })
    const batch = (count: number) =>
      t.app.inject({
        method: 'POST',
        url: '/v1/batches',
        headers: bearer(ws.key),
        payload: {
          items: Array.from({ length: count }, () => ({
            action: 'http.request',
            input: { method: 'GET', url: `${upstream.url}/b` },
          })),
        },
      })
    const tooBig = await batch(6)
    expect(tooBig.statusCode).toBe(429)
    expect(tooBig.json()).toMatchObject({ code: 'quota_exceeded' })
    const batches = (await t.app.inject({ url: '/v1/batches', headers: bearer(ws.key) })).json<{
      data: unknown[]
    }>()
    expect(batches.data).toHaveLength(0)
    expect((await batch(5)).statusCode).toBe(202)
    const usage = (await t.app.inject({ url: '/v1/usage', headers: bearer(ws.key) })).json<{ used: number }>()
    expect(usage.used).toBe(25)
  })

  it('counts nothing for a dry run or an idempotent replay', async () => {
    await t.app.inject({
      method: 'PATCH',
      url: '/v1/workspace',
      headers: bearer(ws.key),
      payload: { monthlyExecutionQuota: null },
    })
    const before = (await t.app.inject({ url: '/v1/usage', headers: bearer(ws.key) })).json<{
      used: number
    }>().used
    const payload = { action: 'http.request', input: { method: 'GET', url: `${upstream.url}/i` } }
    await t.app.inject({
      method: 'POST',
      url: '/v1/executions',
      headers: bearer(ws.key),
      payload: { ...payload, dryRun: true },
    })
    for (let i = 0; i < 2; i++) {
      await t.app.inject({
        method: 'POST',
        url: '/v1/executions',
        headers: { ...bearer(ws.key), 'idempotency-key': 'once' },
        payload,
      })
    }
    const after = (await t.app.inject({ url: '/v1/usage', headers: bearer(ws.key) })).json<{ used: number }>()
      .used
    expect(after).toBe(before + 1)
  })
})
