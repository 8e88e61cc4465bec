import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dialects } from '../testing/databases.js'
import { apiKeyService, authenticationCacheMs } from './service.js'
import { apiKeyStore } from './store.js'
import { bearer, startTestApp } from '../testing/harness.js'
import type { TestApp } from '../testing/harness.js'

describe.each(dialects)('API keys on %s', (dialect) => {
  let t: TestApp
  let admin: { id: string; key: string }

  beforeAll(async () => {
    t = await startTestApp(dialect)
    admin = await t.workspace('acme')
  })
  afterAll(() => t.close())

  it('shows a new key once, stores only its hash, and the key works at once', async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: '/v1/api-keys',
      headers: bearer(admin.key),
      payload: { name: 'ci', scopes: ['executions:write', 'tools:read'] },
    })
    expect(created.statusCode).toBe(201)
    const body = created.json<{
      id: string
      key: string
      prefix: string
      scopes: string[]
      lastUsedAt: null
    }>()
    expect(body.key).toMatch(/^tp_[A-Za-z0-9_-]{43}$/)
    expect(body.key.startsWith(body.prefix)).toBe(true)
    expect(body.scopes).toEqual(['executions:write', 'tools:read'])
    expect(body.lastUsedAt).toBeNull()

    const row = await t.database.db
      .selectFrom('api_keys')
      .selectAll()
      .where('id', '=', body.id)
      .executeTakeFirstOrThrow()
    expect(JSON.stringify(row)).not.toContain(body.key)
    expect(row.key_hash).toMatch(/^[0-9a-f]{64}$/)

    const me = await t.app.inject({ url: '/v1/me', headers: bearer(body.key) })
    expect(me.statusCode).toBe(200)
    expect(me.json()).toMatchObject({
      principal: { type: 'api_key', id: body.id, name: 'ci' },
      workspace: { slug: 'acme' },
    })

    const list = await t.app.inject({ url: '/v1/api-keys', headers: bearer(admin.key) })
    const listed = list.json<{ data: Record<string, unknown>[] }>().data.find((k) => k.id === body.id)
    expect(listed).toBeDefined()
    expect(listed).not.toHaveProperty('key')
    expect(JSON.stringify(list.json())).not.toContain(body.key)
    expect(listed?.lastUsedAt).toBe(new Date(t.now.value).toISOString())
  })

  it('records the last-used time at most once a minute', async () => {
    const key = await t.key(admin.id, ['tools:read'])
    const started = t.now.value
    await t.app.inject({ url: '/v1/me', headers: bearer(key) })
    t.now.value += 30_000
    await t.app.inject({ url: '/v1/me', headers: bearer(key) })
    const lastUsed = async () =>
      (
        await t.database.db
          .selectFrom('api_keys')
          .select('last_used_at')
          .where('prefix', '=', key.slice(0, 11))
          .executeTakeFirstOrThrow()
      ).last_used_at
    expect(await lastUsed()).toBe(started)
    t.now.value += 31_000
    await t.app.inject({ url: '/v1/me', headers: bearer(key) })
    expect(await lastUsed()).toBe(started + 61_000)
  })

  it('refuses a key revoked on this node at once even when it was just used, and on another node within the cache time', async () => {
    const key = await t.key(admin.id, ['tools:read'])
    // A second node: its own service (and lookup cache) over the same database.
    const otherNode = apiKeyService({ store: apiKeyStore(t.database.db), clock: () => t.now.value })
    expect((await t.app.inject({ url: '/v1/me', headers: bearer(key) })).statusCode).toBe(200)
    expect(await otherNode.authenticate(key)).not.toBeNull()
    const { data } = (
      await t.app.inject({ url: '/v1/api-keys?limit=200', headers: bearer(admin.key) })
    ).json<{ data: { id: string; prefix: string }[] }>()
    const id = data.find((k) => k.prefix === key.slice(0, 11))?.id ?? ''
    const revoked = await t.app.inject({
      method: 'DELETE',
      url: `/v1/api-keys/${id}`,
      headers: bearer(admin.key),
    })
    expect(revoked.statusCode).toBe(204)

    expect((await t.app.inject({ url: '/v1/me', headers: bearer(key) })).statusCode).toBe(401)
    // The other node trusts its lookup for at most `authenticationCacheMs`, then reads the revocation.
    expect(await otherNode.authenticate(key)).not.toBeNull()
    t.now.value += authenticationCacheMs
    expect(await otherNode.authenticate(key)).toBeNull()
  })

  it('refuses a revoked key at once, and a second revocation is a 404', async () => {
    const key = await t.key(admin.id, ['tools:read'])
    const { data } = (
      await t.app.inject({ url: '/v1/api-keys?limit=200', headers: bearer(admin.key) })
    ).json<{
      data: { id: string; prefix: string }[]
    }>()
    const id = data.find((k) => k.prefix === key.slice(0, 11))?.id ?? ''
    const revoked = await t.app.inject({
      method: 'DELETE',
      url: `/v1/api-keys/${id}`,
      headers: bearer(admin.key),
    })
    expect(revoked.statusCode).toBe(204)

    const refused = await t.app.inject({ url: '/v1/me', headers: bearer(key) })
    expect(refused.statusCode).toBe(401)
    expect(refused.json()).toMatchObject({
      code: 'unauthenticated',
      detail: expect.stringContaining('revoked') as string,
    })

    const again = await t.app.inject({
      method: 'DELETE',
      url: `/v1/api-keys/${id}`,
      headers: bearer(admin.key),
    })
    expect(again.statusCode).toBe(404)
    expect(again.json()).toMatchObject({ code: 'not_found' })
  })

  it('pages through keys newest first with cursors', async () => {
    const ws = await t.workspace('paging')
    for (let i = 0; i < 4; i++) await t.key(ws.id, ['tools:read'])
    const seen: string[] = []
    let cursor: string | null = null
    let pages = 0
    do {
      const query: string = cursor === null ? '' : `&cursor=${cursor}`
      const res = await t.app.inject({ url: `/v1/api-keys?limit=2${query}`, headers: bearer(ws.key) })
      expect(res.statusCode).toBe(200)
      const page = res.json<{ data: { id: string }[]; nextCursor: string | null }>()
      seen.push(...page.data.map((k) => k.id))
      cursor = page.nextCursor
      pages++
    } while (cursor !== null)
    expect(seen).toHaveLength(5)
    expect(pages).toBe(3)
    expect([...seen].sort().reverse()).toEqual(seen)
  })

  it('refuses a cursor it did not issue, and bad input, changing nothing', async () => {
    const before = await t.database.db.selectFrom('api_keys').select('id').execute()
    const badCursor = await t.app.inject({ url: '/v1/api-keys?cursor=bm9wZQ', headers: bearer(admin.key) })
    expect(badCursor.statusCode).toBe(400)
    expect(badCursor.json()).toMatchObject({ code: 'validation_error', errors: [{ path: '/cursor' }] })

    for (const payload of [
      { name: 'x', scopes: [] },
      { name: 'x', scopes: ['root'] },
      { name: '', scopes: ['admin'] },
      { name: 'x', scopes: ['admin'], extra: true },
      { name: 'x', scopes: ['admin'], rateLimit: 'lots' },
    ]) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/v1/api-keys',
        headers: bearer(admin.key),
        payload,
      })
      expect(res.statusCode, JSON.stringify(payload)).toBe(400)
      expect(res.headers['content-type']).toContain('application/problem+json')
      expect(res.json<{ errors: unknown[] }>().errors.length).toBeGreaterThan(0)
    }
    const after = await t.database.db.selectFrom('api_keys').select('id').execute()
    expect(after).toHaveLength(before.length)
  })

  it('keeps a per-key rate limit in its normalized form', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/api-keys',
      headers: bearer(admin.key),
      payload: { name: 'slow', scopes: ['tools:read'], rateLimit: '10/s' },
    })
    expect(res.json()).toMatchObject({ rateLimit: '10/s,burst=10' })
  })
})
