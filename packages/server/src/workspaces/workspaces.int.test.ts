import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dialects } from '../testing/databases.js'
import { bearer, startTestApp } from '../testing/harness.js'
import type { TestApp } from '../testing/harness.js'

describe.each(dialects)('workspace on %s', (dialect) => {
  let t: TestApp
  let ws: { id: string; key: string }

  beforeAll(async () => {
    // The server default as shipped (the harness raises it for other tests).
    t = await startTestApp(dialect, { TOOLPLANE_API_RATE_LIMIT: '100/s,burst=200' })
    ws = await t.workspace('acme')
  })
  afterAll(() => t.close())

  it('shows the workspace with the server default rate limit and no quota', async () => {
    const res = await t.app.inject({ url: '/v1/workspace', headers: bearer(ws.key) })
    expect(res.json()).toEqual({
      id: ws.id,
      slug: 'acme',
      name: 'acme',
      monthlyExecutionQuota: null,
      apiRateLimit: '100/s,burst=200',
      apiRateLimitIsDefault: true,
      createdAt: new Date(t.now.value).toISOString(),
      updatedAt: new Date(t.now.value).toISOString(),
    })
  })

  it('lets an admin change name, quota and rate limit, and reset them', async () => {
    t.now.value += 1000
    const patch = (payload: object) =>
      t.app.inject({ method: 'PATCH', url: '/v1/workspace', headers: bearer(ws.key), payload })
    const changed = await patch({ name: 'Acme Inc', monthlyExecutionQuota: 10_000, apiRateLimit: '20/s' })
    expect(changed.statusCode).toBe(200)
    expect(changed.json()).toMatchObject({
      name: 'Acme Inc',
      monthlyExecutionQuota: 10_000,
      apiRateLimit: '20/s,burst=20',
      apiRateLimitIsDefault: false,
      updatedAt: new Date(t.now.value).toISOString(),
    })
    const reset = await patch({ monthlyExecutionQuota: null, apiRateLimit: null })
    expect(reset.json()).toMatchObject({
      name: 'Acme Inc',
      monthlyExecutionQuota: null,
      apiRateLimitIsDefault: true,
    })
  })

  it('refuses bad changes with a problem and changes nothing', async () => {
    const before = (await t.app.inject({ url: '/v1/workspace', headers: bearer(ws.key) })).body
    for (const payload of [
      {},
      { name: '' },
      { monthlyExecutionQuota: -1 },
      { monthlyExecutionQuota: '5' },
      { apiRateLimit: 'fast' },
      { slug: 'x' },
    ]) {
      const res = await t.app.inject({
        method: 'PATCH',
        url: '/v1/workspace',
        headers: bearer(ws.key),
        payload,
      })
      expect(res.statusCode, JSON.stringify(payload)).toBe(400)
      expect(res.json()).toMatchObject({ code: 'validation_error' })
    }
    expect((await t.app.inject({ url: '/v1/workspace', headers: bearer(ws.key) })).body).toBe(before)
  })

  it('refuses a second workspace with a taken slug', async () => {
    await expect(t.app.services.workspaces.create({ slug: 'acme', name: 'again' })).rejects.toMatchObject({
      code: 'conflict',
    })
  })
})
