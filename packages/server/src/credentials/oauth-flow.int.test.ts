import { ActionError, runAction, toActionError } from '@toolplane/sdk'
import { spawn } from 'node:child_process'
import type { ChildProcessWithoutNullStreams } from 'node:child_process'
import readline from 'node:readline'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ToolplaneEvent } from '../infra/events.js'
import { createInfrastructure } from '../infra/setup.js'
import { dialects } from '../testing/databases.js'
import { createTestDatabase } from '../testing/databases.js'
import { bearer, startTestApp } from '../testing/harness.js'
import type { TestApp } from '../testing/harness.js'
import { oauthTestTool } from '../testing/oauth-tool.js'
import { startOAuthServer } from '../testing/oauth-server.js'
import type { OAuthServer } from '../testing/oauth-server.js'
import { testRedisUrl } from '../testing/redis-env.js'
import { loadPlugins } from '../tools/plugins.js'
import type { LoadedPlugins } from '../tools/plugins.js'
import pino from 'pino'

const callbackUrl = 'http://localhost:8080/v1/oauth/callback'

async function pluginsWith(server: OAuthServer): Promise<LoadedPlugins> {
  const loaded = await loadPlugins({ extra: [], cwd: process.cwd() })
  return {
    tools: [...loaded.tools, { tool: oauthTestTool(server.issuer), plugin: 'test', builtin: false }],
    refused: [],
  }
}

interface CredentialBody {
  id: string
  status: string
  authMethod: string
  expiresAt: string | null
}

describe.each(dialects)('OAuth2 connections against a real authorization server on %s', (dialect) => {
  let server: OAuthServer
  let t: TestApp
  let ws: { id: string; key: string }
  const events: ToolplaneEvent[] = []

  beforeAll(async () => {
    server = await startOAuthServer({ redirectUris: [callbackUrl], accessTokenTtlSeconds: 120 })
    t = await startTestApp(
      dialect,
      { TOOLPLANE_ALLOW_PRIVATE_NETWORK: 'true' },
      { plugins: await pluginsWith(server) },
    )
    // Tokens expire in real time: the app's clock must be the real one here.
    t.now.value = Date.now()
    ws = await t.workspace('oauth')
    t.app.infrastructure.events.subscribe({ types: ['credential.*'] }, (event) => {
      events.push(event)
    })
    const saved = await t.app.inject({
      method: 'PUT',
      url: '/v1/oauth/oidc_test/app',
      headers: bearer(ws.key),
      payload: {
        clientId: server.clientId,
        clientSecret: server.clientSecret,
        scopes: ['openid', 'offline_access', 'api:read'],
      },
    })
    expect(saved.statusCode, saved.body).toBe(201)
    expect(saved.body).not.toContain(server.clientSecret)
  })
  afterAll(async () => {
    await t.close()
    await server.close()
  })

  async function connect(name: string): Promise<CredentialBody> {
    const started = await t.app.inject({
      method: 'POST',
      url: '/v1/oauth/oidc_test/authorize',
      headers: bearer(ws.key),
      payload: { name, externalUserId: 'end-user-1' },
    })
    expect(started.statusCode, started.body).toBe(200)
    const url = new URL(started.json<{ url: string }>().url)
    expect(url.searchParams.get('code_challenge_method')).toBe('S256')
    const back = await server.authorize(url)
    const res = await t.app.inject({
      url: `/v1/oauth/callback${back.search}`,
      headers: { accept: 'application/json' },
    })
    expect(res.statusCode, res.body).toBe(200)
    return res.json<{ credential: CredentialBody }>().credential
  }

  it('runs the whole code flow over HTTP and stores a healthy credential', async () => {
    const credential = await connect('My account')
    expect(credential).toMatchObject({ status: 'healthy', authMethod: 'oauth2' })
    expect(credential.expiresAt).not.toBeNull()
    const { secrets } = await t.app.credentials.open(ws.id, credential.id)
    expect(typeof secrets.accessToken).toBe('string')
    expect(typeof secrets.refreshToken).toBe('string')

    const check = await t.app.inject({
      method: 'POST',
      url: `/v1/credentials/${credential.id}/check`,
      headers: bearer(ws.key),
    })
    expect(check.json()).toMatchObject({
      check: { ok: true, checked: true },
      credential: { status: 'healthy' },
    })
  })

  it('refuses a tampered state, a reused state and a provider refusal, before any token request', async () => {
    const started = await t.app.inject({
      method: 'POST',
      url: '/v1/oauth/oidc_test/authorize',
      headers: bearer(ws.key),
      payload: {},
    })
    const back = await server.authorize(started.json<{ url: string }>().url)
    const before = server.tokenRequests()
    const tampered = new URL(back)
    tampered.searchParams.set('state', 'forged-state')
    expect((await t.app.inject({ url: `/v1/oauth/callback${tampered.search}` })).statusCode).toBe(400)
    expect(server.tokenRequests()).toBe(before)

    expect(
      (
        await t.app.inject({
          url: `/v1/oauth/callback${back.search}`,
          headers: { accept: 'application/json' },
        })
      ).statusCode,
    ).toBe(200)
    const reused = await t.app.inject({ url: `/v1/oauth/callback${back.search}` })
    expect(reused.statusCode).toBe(400)
    expect(reused.json<{ detail: string }>().detail).toMatch(/already used|unknown/)

    const denied = await t.app.inject({
      method: 'POST',
      url: '/v1/oauth/oidc_test/authorize',
      headers: bearer(ws.key),
      payload: {},
    })
    const refusal = await server.authorize(denied.json<{ url: string }>().url, { decision: 'deny' })
    const res = await t.app.inject({ url: `/v1/oauth/callback${refusal.search}` })
    expect(res.statusCode).toBe(400)
    expect(res.json<{ detail: string }>().detail).toMatch(/access_denied/)
  })

  it('sends a refusal back to the redirectTo the flow started with, with the problem in the query', async () => {
    const started = await t.app.inject({
      method: 'POST',
      url: '/v1/oauth/oidc_test/authorize',
      headers: bearer(ws.key),
      payload: { redirectTo: '/credentials?tool=oidc_test' },
    })
    const refusal = await server.authorize(started.json<{ url: string }>().url, { decision: 'deny' })
    const res = await t.app.inject({ url: `/v1/oauth/callback${refusal.search}` })
    expect(res.statusCode).toBe(303)
    const location = new URL(res.headers.location ?? '')
    expect(location.pathname).toBe('/credentials')
    expect(location.searchParams.get('tool')).toBe('oidc_test')
    expect(location.searchParams.get('error')).toBe('validation_error')
    expect(location.searchParams.get('error_description')).toMatch(/access_denied/)
    expect(location.searchParams.has('credentialId')).toBe(false)
  })

  it('binds a flow started in a UI session to that session', async () => {
    const password = 'a long enough password'
    await t.app.services.auth.addUser({
      email: 'connector@example.com',
      password,
      workspaceId: ws.id,
      role: 'developer',
    })
    const login = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/login',
      payload: { email: 'connector@example.com', password },
    })
    const cookies = {
      toolplane_session: login.cookies.find((c) => c.name === 'toolplane_session')?.value ?? '',
    }
    const started = await t.app.inject({
      method: 'POST',
      url: '/v1/oauth/oidc_test/authorize',
      cookies,
      headers: { 'x-csrf-token': login.json<{ csrfToken: string }>().csrfToken },
      payload: { redirectTo: '/credentials' },
    })
    const back = await server.authorize(started.json<{ url: string }>().url)
    const stranger = await t.app.inject({ url: `/v1/oauth/callback${back.search}` })
    expect(stranger.statusCode).toBe(403)
    const again = await t.app.inject({
      method: 'POST',
      url: '/v1/oauth/oidc_test/authorize',
      cookies,
      headers: { 'x-csrf-token': login.json<{ csrfToken: string }>().csrfToken },
      payload: { redirectTo: '/credentials' },
    })
    const back2 = await server.authorize(again.json<{ url: string }>().url)
    const mine = await t.app.inject({ url: `/v1/oauth/callback${back2.search}`, cookies })
    expect(mine.statusCode).toBe(303)
    expect(mine.headers.location).toMatch(/^http:\/\/localhost:8080\/credentials\?credentialId=cred_/)
  })

  it('refreshes an expiring token once for 20 concurrent uses, storing the rotated refresh token', async () => {
    const credential = await connect('Busy account')
    const before = await t.app.credentials.open(ws.id, credential.id)
    const refreshesBefore = server.tokenRequests('refresh_token')
    // The access token lives 120 s; 90 s later it is inside its refresh window (half its lifetime).
    t.now.value += 90_000
    const results = await Promise.all(
      Array.from({ length: 20 }, () => t.app.connections.secretsFor(ws.id, credential.id)),
    )
    expect(server.tokenRequests('refresh_token') - refreshesBefore).toBe(1)
    const tokens = new Set(results.map((s) => s.accessToken))
    expect(tokens.size).toBe(1)
    const after = await t.app.credentials.open(ws.id, credential.id)
    expect(after.secrets.refreshToken).not.toBe(before.secrets.refreshToken)
    expect(after.secrets.accessToken).not.toBe(before.secrets.accessToken)
  })

  it('marks the credential expired and emits credential.expired when the provider revokes it, and diagnose says so', async () => {
    const credential = await connect('Revoked account')
    const { secrets } = await t.app.credentials.open(ws.id, credential.id)
    expect(await server.revokeGrant(String(secrets.refreshToken))).toBe(true)
    await expect(t.app.connections.secretsFor(ws.id, credential.id, { force: true })).rejects.toMatchObject({
      code: 'validation_error',
    })
    const res = await t.app.inject({ url: `/v1/credentials/${credential.id}`, headers: bearer(ws.key) })
    expect(res.json()).toMatchObject({
      status: 'expired',
      statusReason: expect.stringContaining('invalid_grant') as string,
    })
    expect(
      events.some(
        (e) =>
          e.type === 'credential.expired' &&
          (e.data as { credentialId: string }).credentialId === credential.id,
      ),
    ).toBe(true)

    const history = await t.app.inject({
      url: `/v1/credentials/${credential.id}/status-history`,
      headers: bearer(ws.key),
    })
    expect(history.json<{ data: { status: string }[] }>().data.map((h) => h.status)).toEqual([
      'expired',
      'healthy',
    ])

    const diagnosis = await t.app.inject({
      url: `/v1/credentials/${credential.id}/diagnose`,
      headers: bearer(ws.key),
    })
    const checks = diagnosis.json<{
      ok: boolean
      checks: { id: string; status: string; fix: string | null }[]
    }>()
    expect(checks.ok).toBe(false)
    expect(checks.checks.map((c) => c.id)).toEqual([
      'secrets_present',
      'not_expired',
      'refresh_works',
      'scopes_cover_actions',
      'dns',
      'tcp',
      'tls',
      'clock_skew',
      'health_check',
    ])
    expect(checks.checks.find((c) => c.id === 'refresh_works')).toMatchObject({ status: 'fail' })
    expect(diagnosis.body).not.toContain(String(secrets.refreshToken))
  })

  it('emits credential.recovered when an expired credential works again', async () => {
    const credential = await connect('Recovering account')
    await t.app.credentials.setStatus(ws.id, credential.id, 'expired', 'test: expired')
    const check = await t.app.inject({
      method: 'POST',
      url: `/v1/credentials/${credential.id}/check`,
      headers: bearer(ws.key),
    })
    expect(check.json()).toMatchObject({ credential: { status: 'healthy' } })
    expect(
      events.some(
        (e) =>
          e.type === 'credential.recovered' &&
          (e.data as { credentialId: string }).credentialId === credential.id,
      ),
    ).toBe(true)
  })

  it('emits credential.recovered when new secrets fix a credential that had failed', async () => {
    const credential = await connect('Fixed by hand')
    const { secrets } = await t.app.credentials.open(ws.id, credential.id)
    await t.app.credentials.setStatus(ws.id, credential.id, 'invalid', 'test: refused')
    const patched = await t.app.inject({
      method: 'PATCH',
      url: `/v1/credentials/${credential.id}`,
      headers: bearer(ws.key),
      payload: { secrets: { accessToken: secrets.accessToken } },
    })
    expect(patched.json()).toMatchObject({ status: 'unchecked' })
    await t.app.inject({
      method: 'POST',
      url: `/v1/credentials/${credential.id}/check`,
      headers: bearer(ws.key),
    })
    const history = await t.app.inject({
      url: `/v1/credentials/${credential.id}/status-history`,
      headers: bearer(ws.key),
    })
    expect(
      history
        .json<{ data: { status: string }[] }>()
        .data.map((h) => h.status)
        .slice(0, 3),
    ).toEqual(['healthy', 'unchecked', 'invalid'])
    expect(
      events.some(
        (e) =>
          e.type === 'credential.recovered' &&
          (e.data as { credentialId: string }).credentialId === credential.id,
      ),
    ).toBe(true)
  })

  it('revokes tokens at the provider when a credential is deleted', async () => {
    const credential = await connect('Leaving account')
    const before = server.revocationRequests()
    expect(
      (
        await t.app.inject({
          method: 'DELETE',
          url: `/v1/credentials/${credential.id}`,
          headers: bearer(ws.key),
        })
      ).statusCode,
    ).toBe(204)
    expect(server.revocationRequests()).toBe(before + 1)
  })

  it('connects with the client credentials grant at once', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/oauth/oidc_test/authorize',
      headers: bearer(ws.key),
      payload: { authMethod: 'oauth2_client_credentials', name: 'Machine', scopes: ['api:read'] },
    })
    expect(res.statusCode, res.body).toBe(201)
    expect(res.json()).toMatchObject({
      credential: { status: 'healthy', authMethod: 'oauth2_client_credentials' },
    })
  })

  it('sweeps: checks credentials not checked recently and refreshes idle tokens before they expire', async () => {
    const credential = await connect('Idle account')
    const before = await t.app.credentials.open(ws.id, credential.id)
    const refreshes = server.tokenRequests('refresh_token')
    t.now.value += 90_000
    const checked = await t.app.sweepCredentials()
    expect(checked).toBeGreaterThanOrEqual(1)
    // Its token expires within the next interval: the sweep refreshed it.
    expect(server.tokenRequests('refresh_token')).toBeGreaterThan(refreshes)
    const after = await t.app.credentials.open(ws.id, credential.id)
    expect(after.secrets.accessToken).not.toBe(before.secrets.accessToken)
    expect(after.credential.lastCheckedAt).toBe(t.now.value)
  })

  it('refreshes once after a 401 and calls again, for a token revoked before its expiry', async () => {
    const credential = await connect('Revoked token')
    // The stored access token no longer works (revoked or rotated at the provider), though it has
    // not expired; the refresh token still works.
    const { secrets } = await t.app.credentials.open(ws.id, credential.id)
    await t.app.credentials.replaceSecrets(
      ws.id,
      credential.id,
      { ...secrets, accessToken: 'no-longer-valid' },
      credential.expiresAt === null ? null : Date.parse(credential.expiresAt),
    )
    const tool = oauthTestTool(server.issuer)
    const refreshes = server.tokenRequests('refresh_token')
    const output = await t.app.connections.useCredential(
      ws.id,
      credential.id,
      async (current) =>
        (
          await runAction(tool, 'whoami', {
            input: {},
            credential: { authMethod: 'oauth2', secrets: current },
            allowPrivateNetwork: true,
          })
        ).output,
      (error) => toActionError(error).class,
    )
    expect(output.sub).toBeTruthy()
    expect(server.tokenRequests('refresh_token') - refreshes).toBe(1)
  })

  it('marks a credential invalid after three refused executions in a row, and recovers it on success', async () => {
    const created = await t.app.credentials.create(ws.id, {
      tool: 'http',
      name: 'Passive',
      authMethod: 'bearer',
      secrets: { token: 'a-token' },
    })
    const refuse = () =>
      t.app.connections.useCredential(
        ws.id,
        created.id,
        () => Promise.reject(new ActionError('auth_error', 'The upstream answered 401')),
        (error) => toActionError(error).class,
      )
    for (let i = 0; i < 2; i++) await expect(refuse()).rejects.toThrow(/401/)
    expect((await t.app.credentials.get(ws.id, created.id)).status).toBe('unchecked')
    await expect(refuse()).rejects.toThrow(/401/)
    expect((await t.app.credentials.get(ws.id, created.id)).status).toBe('invalid')
    // Upstream trouble that is not about the credential changes nothing.
    await expect(
      t.app.connections.useCredential(
        ws.id,
        created.id,
        () => Promise.reject(new ActionError('upstream_unavailable', '503')),
        (error) => toActionError(error).class,
      ),
    ).rejects.toThrow()
    expect((await t.app.credentials.get(ws.id, created.id)).status).toBe('invalid')
    await t.app.connections.useCredential(
      ws.id,
      created.id,
      () => Promise.resolve('ok'),
      () => 'internal_error',
    )
    const after = await t.app.credentials.get(ws.id, created.id)
    expect(after.status).toBe('healthy')
    expect(after.lastUsedAt).toBe(t.now.value)
    expect(
      events.some(
        (e) =>
          e.type === 'credential.recovered' &&
          (e.data as { credentialId: string }).credentialId === created.id,
      ),
    ).toBe(true)
  })

  it('keeps the secret fields that are not tokens (a signing secret) through a refresh', async () => {
    const credential = await connect('Signed account')
    const stored = await t.app.credentials.open(ws.id, credential.id)
    const expiresAt =
      typeof stored.secrets.expiresAt === 'string' ? Date.parse(stored.secrets.expiresAt) : null
    await t.app.credentials.replaceSecrets(
      ws.id,
      credential.id,
      { ...stored.secrets, signingSecret: 'keep-me-through-refreshes' },
      expiresAt,
    )
    t.now.value += 90_000
    const refreshed = await t.app.connections.secretsFor(ws.id, credential.id)
    expect(refreshed.accessToken).not.toBe(stored.secrets.accessToken)
    expect(refreshed.signingSecret).toBe('keep-me-through-refreshes')
    const after = await t.app.credentials.open(ws.id, credential.id)
    expect(after.secrets.signingSecret).toBe('keep-me-through-refreshes')
  })

  it('explains a missing OAuth app and a tool without OAuth', async () => {
    const none = await t.app.inject({
      method: 'POST',
      url: '/v1/oauth/linear/authorize',
      headers: bearer(ws.key),
      payload: {},
    })
    expect(none.json<{ detail: string }>().detail).toMatch(/PUT \/v1\/oauth\/linear\/app/)
    const noOAuth = await t.app.inject({
      method: 'PUT',
      url: '/v1/oauth/http/app',
      headers: bearer(ws.key),
      payload: { clientId: 'x', clientSecret: 'y' },
    })
    expect(noOAuth.statusCode).toBe(400)
    const outside = await t.app.inject({
      method: 'POST',
      url: '/v1/oauth/oidc_test/authorize',
      headers: bearer(ws.key),
      payload: { redirectTo: 'https://evil.example.com/steal' },
    })
    expect(outside.statusCode).toBe(400)
    // Paths that browsers read as other hosts are refused too (regression: open redirect).
    for (const redirectTo of ['//evil.example.com/x', '/\\evil.example.com/x', '/\\/evil.example.com']) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/v1/oauth/oidc_test/authorize',
        headers: bearer(ws.key),
        payload: { redirectTo },
      })
      expect(res.statusCode, redirectTo).toBe(400)
    }
    const own = await t.app.inject({
      method: 'POST',
      url: '/v1/oauth/oidc_test/authorize',
      headers: bearer(ws.key),
      payload: { redirectTo: '/credentials?tab=oauth' },
    })
    expect(own.statusCode).toBe(200)
  })
})

describe('OAuth refresh across two server processes sharing Redis', () => {
  it('refreshes once for 20 concurrent uses split between this process and another', async () => {
    const server = await startOAuthServer({ redirectUris: [callbackUrl], accessTokenTtlSeconds: 120 })
    const shared = await createTestDatabase('postgres')
    const prefix = `toolplane-test:${Math.random().toString(16).slice(2)}:`
    const infrastructure = await createInfrastructure(testRedisUrl, pino({ level: 'silent' }), { prefix })
    const node = await startTestApp(
      'postgres',
      { TOOLPLANE_ALLOW_PRIVATE_NETWORK: 'true' },
      { plugins: await pluginsWith(server), infrastructure, testDatabase: shared },
    )
    node.now.value = Date.now()
    let child: ChildProcessWithoutNullStreams | undefined
    try {
      const ws = await node.workspace('cluster')
      await node.app.inject({
        method: 'PUT',
        url: '/v1/oauth/oidc_test/app',
        headers: bearer(ws.key),
        payload: {
          clientId: server.clientId,
          clientSecret: server.clientSecret,
          scopes: ['openid', 'offline_access', 'api:read'],
        },
      })
      const started = await node.app.inject({
        method: 'POST',
        url: '/v1/oauth/oidc_test/authorize',
        headers: bearer(ws.key),
        payload: {},
      })
      const back = await server.authorize(started.json<{ url: string }>().url)
      const done = await node.app.inject({
        url: `/v1/oauth/callback${back.search}`,
        headers: { accept: 'application/json' },
      })
      const id = done.json<{ credential: { id: string } }>().credential.id

      // 90 s later the 120-s token is inside its refresh window, for both processes.
      node.now.value += 90_000
      const script = fileURLToPath(new URL('../testing/second-node.ts', import.meta.url))
      child = spawn(
        process.execPath,
        [
          '--conditions=@toolplane/source',
          '--import',
          'tsx',
          script,
          JSON.stringify({
            databaseUrl: shared.url,
            redisUrl: testRedisUrl,
            redisPrefix: prefix,
            masterKey:
              node.config.masterKey.kind === 'env' ? node.config.masterKey.key.toString('base64') : '',
            issuer: server.issuer,
            clock: node.now.value,
            workspaceId: ws.id,
            credentialId: id,
            uses: 10,
          }),
        ],
        { stdio: 'pipe' },
      )
      const lines = readline.createInterface({ input: child.stdout })
      const iterator = lines[Symbol.asyncIterator]()
      expect((await iterator.next()).value).toBe('ready')

      const before = server.tokenRequests('refresh_token')
      child.stdin.write('go\n')
      const [mine, theirs] = await Promise.all([
        Promise.all(Array.from({ length: 10 }, () => node.app.connections.secretsFor(ws.id, id))),
        iterator.next().then((line) => JSON.parse(String(line.value)) as string[]),
      ])
      expect(server.tokenRequests('refresh_token') - before).toBe(1)
      const tokens = new Set([...mine.map((s) => String(s.accessToken)), ...theirs])
      expect(tokens.size).toBe(1)
      expect(theirs).toHaveLength(10)
    } finally {
      child?.kill()
      await node.close()
      await infrastructure.close()
      await shared.drop()
      await server.close()
    }
  }, 60_000)
})
