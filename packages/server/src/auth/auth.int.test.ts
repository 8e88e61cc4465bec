import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { LightMyRequestResponse } from 'fastify'
import { dialects } from '../testing/databases.js'
import { bearer, startTestApp } from '../testing/harness.js'
import type { TestApp } from '../testing/harness.js'
import { bootstrap, defaultOwnerEmail } from '../workspaces/bootstrap.js'

function sessionCookieOf(res: LightMyRequestResponse): string {
  const cookie = res.cookies.find((c) => c.name === 'toolplane_session')
  if (cookie === undefined) throw new Error('no session cookie')
  return cookie.value
}

describe.each(dialects)('UI sessions on %s', (dialect) => {
  let t: TestApp
  let workspaceId: string
  const password = 'correct horse battery staple'

  beforeAll(async () => {
    t = await startTestApp(dialect)
    const ws = await t.workspace('team')
    workspaceId = ws.id
    await t.app.services.auth.addUser({ email: 'Dev@Example.com', password, workspaceId, role: 'developer' })
  })
  afterAll(() => t.close())

  const login = (email: string, pass: string) =>
    t.app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email, password: pass } })

  it('signs in with an HTTP-only, SameSite session cookie and returns a CSRF token', async () => {
    const res = await login('dev@example.com', password)
    expect(res.statusCode).toBe(200)
    const cookie = res.cookies.find((c) => c.name === 'toolplane_session')
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' })
    expect(cookie?.secure).toBeFalsy()
    const body = res.json<{
      csrfToken: string
      role: string
      scopes: string[]
      workspace: { slug: string }
    }>()
    expect(body).toMatchObject({ role: 'developer', workspace: { slug: 'team' } })
    expect(body.scopes).toContain('executions:write')
    expect(body.scopes).not.toContain('admin')
    expect(body.csrfToken.length).toBeGreaterThan(20)
    expect(t.logText()).not.toContain(password)
    expect(t.logText()).not.toContain(sessionCookieOf(res))
  })

  it('refuses a wrong password and an unknown email alike', async () => {
    const wrong = await login('dev@example.com', 'not the password')
    const unknown = await login('nobody@example.com', password)
    for (const res of [wrong, unknown]) {
      expect(res.statusCode).toBe(401)
      expect(res.json()).toMatchObject({
        code: 'unauthenticated',
        detail: 'The email or password is not correct.',
      })
      expect(res.cookies).toHaveLength(0)
    }
  })

  it('needs the CSRF token for state-changing requests made with the cookie', async () => {
    const res = await login('dev@example.com', password)
    const cookies = { toolplane_session: sessionCookieOf(res) }
    const csrf = res.json<{ csrfToken: string }>().csrfToken

    const me = await t.app.inject({ url: '/v1/me', cookies })
    expect(me.statusCode).toBe(200)
    expect(me.json()).toMatchObject({
      principal: { type: 'user', email: 'dev@example.com', role: 'developer' },
      csrfToken: csrf,
    })

    const without = await t.app.inject({ method: 'POST', url: '/v1/auth/logout', cookies })
    expect(without.statusCode).toBe(403)
    expect(without.json()).toMatchObject({ code: 'csrf_failed' })
    const forged = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/logout',
      cookies,
      headers: { 'x-csrf-token': 'guess' },
    })
    expect(forged.statusCode).toBe(403)

    // A developer may not administer the workspace, CSRF token or not.
    const patch = await t.app.inject({
      method: 'PATCH',
      url: '/v1/workspace',
      cookies,
      headers: { 'x-csrf-token': csrf },
      payload: { name: 'renamed' },
    })
    expect(patch.statusCode).toBe(403)
    expect(patch.json()).toMatchObject({
      code: 'forbidden',
      detail: expect.stringContaining('`admin`') as string,
    })

    const out = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/logout',
      cookies,
      headers: { 'x-csrf-token': csrf },
    })
    expect(out.statusCode, out.body).toBe(204)
    const after = await t.app.inject({ url: '/v1/me', cookies })
    expect(after.statusCode).toBe(401)
    expect(after.json()).toMatchObject({ detail: expect.stringContaining('sign in again') as string })
  })

  it('logs out everywhere: every session of the user ends', async () => {
    const first = await login('dev@example.com', password)
    const second = await login('dev@example.com', password)
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/logout?everywhere=true',
      cookies: { toolplane_session: sessionCookieOf(first) },
      headers: { 'x-csrf-token': first.json<{ csrfToken: string }>().csrfToken },
    })
    expect(res.statusCode).toBe(204)
    for (const session of [first, second]) {
      const me = await t.app.inject({
        url: '/v1/me',
        cookies: { toolplane_session: sessionCookieOf(session) },
      })
      expect(me.statusCode).toBe(401)
    }
  })

  it('expires sessions after the configured time', async () => {
    const res = await login('dev@example.com', password)
    const cookies = { toolplane_session: sessionCookieOf(res) }
    t.now.value += t.config.sessionTtlMs - 1000
    expect((await t.app.inject({ url: '/v1/me', cookies })).statusCode).toBe(200)
    t.now.value += 2000
    expect((await t.app.inject({ url: '/v1/me', cookies })).statusCode).toBe(401)
    expect(await t.app.services.auth.sweepExpiredSessions()).toBeGreaterThan(0)
  })

  it('treats logout with an API key as a mistake, not a revocation', async () => {
    const key = await t.key(workspaceId, ['tools:read'])
    const res = await t.app.inject({ method: 'POST', url: '/v1/auth/logout', headers: bearer(key) })
    expect(res.statusCode).toBe(400)
    expect((await t.app.inject({ url: '/v1/me', headers: bearer(key) })).statusCode).toBe(200)
  })

  it('changes a password, requiring the current one', async () => {
    await t.app.services.auth.addUser({ email: 'pw@example.com', password, workspaceId, role: 'viewer' })
    const res = await login('pw@example.com', password)
    const cookies = { toolplane_session: sessionCookieOf(res) }
    const headers = { 'x-csrf-token': res.json<{ csrfToken: string }>().csrfToken }
    const change = (payload: object) =>
      t.app.inject({ method: 'POST', url: '/v1/me/password', cookies, headers, payload })

    expect((await change({ newPassword: 'another long password' })).statusCode).toBe(403)
    expect((await change({ currentPassword: password, newPassword: 'short' })).statusCode).toBe(400)
    expect(
      (await change({ currentPassword: password, newPassword: 'another long password' })).statusCode,
    ).toBe(204)
    expect((await login('pw@example.com', password)).statusCode).toBe(401)
    expect((await login('pw@example.com', 'another long password')).statusCode).toBe(200)

    const key = await t.key(workspaceId, ['admin'])
    const byKey = await t.app.inject({
      method: 'POST',
      url: '/v1/me/password',
      headers: bearer(key),
      payload: { newPassword: 'whatever long enough' },
    })
    expect(byKey.statusCode).toBe(400)
  })

  it('picks the requested workspace for a member of several, and refuses a non-member', async () => {
    const other = await t.workspace('other')
    await t.app.services.auth.addUser({
      email: 'dev@example.com',
      password: null,
      workspaceId: other.id,
      role: 'admin',
    })
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/login',
      payload: { email: 'dev@example.com', password, workspace: 'other' },
    })
    expect(res.json()).toMatchObject({ workspace: { slug: 'other' }, role: 'admin' })
    const refused = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/login',
      payload: { email: 'dev@example.com', password, workspace: 'nowhere' },
    })
    expect(refused.statusCode).toBe(403)
  })

  it('refuses to add a member twice', async () => {
    await expect(
      t.app.services.auth.addUser({ email: 'dev@example.com', password: null, workspaceId, role: 'viewer' }),
    ).rejects.toMatchObject({ code: 'conflict' })
    await expect(
      t.app.services.auth.addUser({
        email: 'new@example.com',
        password: 'short',
        workspaceId,
        role: 'viewer',
      }),
    ).rejects.toMatchObject({ code: 'validation_error' })
  })
})

describe.each(dialects)('first start on %s', (dialect) => {
  it('with no bootstrap variables, creates an owner who signs in once through the printed link', async () => {
    const t = await startTestApp(dialect)
    try {
      const csrfKey = Buffer.alloc(32, 1)
      const result = await bootstrap({
        db: t.database.db,
        config: t.config,
        clock: () => t.now.value,
        csrfKey,
      })
      expect(result).toMatchObject({ created: true, apiKeyCreated: false, ownerEmail: defaultOwnerEmail })
      const url = new URL(result.signInUrl ?? '')
      expect(url.origin).toBe(t.config.publicUrl)

      const first = await t.app.inject({ url: `${url.pathname}${url.search}` })
      expect(first.statusCode).toBe(303)
      expect(first.headers.location).toBe('/')
      const cookies = { toolplane_session: sessionCookieOf(first) }
      const me = await t.app.inject({ url: '/v1/me', cookies })
      expect(me.json()).toMatchObject({
        principal: { type: 'user', email: defaultOwnerEmail, role: 'owner', hasPassword: false },
        workspace: { slug: 'default' },
      })
      expect(t.logText()).not.toContain(url.searchParams.get('token') ?? 'missing')

      const again = await t.app.inject({ url: `${url.pathname}${url.search}` })
      expect(again.statusCode).toBe(401)
      expect(again.json()).toMatchObject({ code: 'unauthenticated' })

      const later = await bootstrap({
        db: t.database.db,
        config: t.config,
        clock: () => t.now.value,
        csrfKey,
      })
      expect(later).toEqual({ created: false })
    } finally {
      await t.close()
    }
  })

  it('expires an unused sign-in link after a day', async () => {
    const t = await startTestApp(dialect)
    try {
      const result = await bootstrap({
        db: t.database.db,
        config: t.config,
        clock: () => t.now.value,
        csrfKey: Buffer.alloc(32),
      })
      t.now.value += 24 * 3_600_000 + 1
      const url = new URL(result.signInUrl ?? '')
      expect((await t.app.inject({ url: `${url.pathname}${url.search}` })).statusCode).toBe(401)
    } finally {
      await t.close()
    }
  })

  it('with a bootstrap API key and admin, creates exactly those', async () => {
    const key = 'tp_bootstrap_0123456789abcdef'
    const t = await startTestApp(dialect, {
      TOOLPLANE_BOOTSTRAP_API_KEY: key,
      TOOLPLANE_BOOTSTRAP_ADMIN_EMAIL: 'root@example.com',
      TOOLPLANE_BOOTSTRAP_ADMIN_PASSWORD: 'a very long password',
    })
    try {
      const result = await bootstrap({
        db: t.database.db,
        config: t.config,
        clock: () => t.now.value,
        csrfKey: Buffer.alloc(32),
      })
      expect(result).toMatchObject({ created: true, apiKeyCreated: true, ownerEmail: 'root@example.com' })
      expect(result.signInUrl).toBeUndefined()
      const me = await t.app.inject({ url: '/v1/me', headers: bearer(key) })
      expect(me.json()).toMatchObject({
        principal: { type: 'api_key', name: 'bootstrap' },
        scopes: ['admin'],
      })
      const login = await t.app.inject({
        method: 'POST',
        url: '/v1/auth/login',
        payload: { email: 'root@example.com', password: 'a very long password' },
      })
      expect(login.json()).toMatchObject({ role: 'owner', workspace: { slug: 'default' } })
    } finally {
      await t.close()
    }
  })

  it('with only a bootstrap API key, creates no user', async () => {
    const key = 'tp_only_a_key_0123456789'
    const t = await startTestApp(dialect, { TOOLPLANE_BOOTSTRAP_API_KEY: key })
    try {
      const result = await bootstrap({
        db: t.database.db,
        config: t.config,
        clock: () => t.now.value,
        csrfKey: Buffer.alloc(32),
      })
      expect(result).toEqual({ created: true, workspaceId: result.workspaceId, apiKeyCreated: true })
      expect(await t.database.db.selectFrom('users').select('id').execute()).toHaveLength(0)
    } finally {
      await t.close()
    }
  })

  it('when two processes bootstrap at once, exactly one workspace is created', async () => {
    const t = await startTestApp(dialect)
    try {
      const run = () =>
        bootstrap({
          db: t.database.db,
          config: t.config,
          clock: () => t.now.value,
          csrfKey: Buffer.alloc(32),
        })
      const results = await Promise.allSettled([run(), run(), run()])
      const created = results.filter((r) => r.status === 'fulfilled' && r.value.created)
      expect(created).toHaveLength(1)
      expect(await t.database.db.selectFrom('workspaces').select('id').execute()).toHaveLength(1)
    } finally {
      await t.close()
    }
  })
})
