// The OAuth2 protocol against a real authorization server (oidc-provider on loopback), plus a few
// hand-written stand-ins for the ways real providers bend the protocol.
import { createHash, randomBytes } from 'node:crypto'
import http from 'node:http'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { ActionError, BlockedAddressError, auth, closeConnectionPools } from '@toolplane/sdk'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startOAuthServer } from '../testing/oauth-server.js'
import type { OAuthServer } from '../testing/oauth-server.js'
import {
  OAuthError,
  REFRESH_SKEW_MS,
  clientCredentialsToken,
  finishAuthorization,
  needsRefresh,
  refreshTokens,
  revokeToken,
  startAuthorization,
} from './oauth.js'
import type { AuthorizationCodeProvider, OAuthClient, OAuthTokens } from './oauth.js'

const redirectUri = 'http://127.0.0.1:9/v1/oauth/callback'
const network = { allowPrivateNetwork: true }
const now = Date.UTC(2026, 0, 15, 12)
const clock = (): number => now
const newState = (): string => randomBytes(16).toString('base64url')

async function rejection(promise: Promise<unknown>): Promise<OAuthError> {
  const outcome = await promise.then(
    () => undefined,
    (error: unknown) => error,
  )
  expect(outcome).toBeInstanceOf(OAuthError)
  return outcome as OAuthError
}

// Everything a user, a log line or an API response could see of the error.
function shown(error: OAuthError): string {
  const cause = error.cause instanceof Error ? `${error.cause.name} ${error.cause.message}` : ''
  return [error.message, error.description ?? '', JSON.stringify(error), String(error), cause].join('\n')
}

function expectNothingSecret(error: OAuthError, secrets: readonly (string | undefined)[]): void {
  const text = shown(error)
  for (const secret of secrets) {
    if (secret !== undefined) expect(text).not.toContain(secret)
  }
}

afterAll(async () => {
  await closeConnectionPools()
})

describe('the authorization code grant against a real provider', () => {
  let server: OAuthServer
  let client: OAuthClient

  beforeAll(async () => {
    server = await startOAuthServer({ redirectUris: [redirectUri], accessTokenTtlSeconds: 600 })
    client = { clientId: server.clientId, clientSecret: server.clientSecret }
  })
  afterAll(async () => {
    await server.close()
  })

  async function authorize(options: { scopes?: readonly string[]; decision?: 'allow' | 'deny' } = {}) {
    const state = newState()
    const started = await startAuthorization({
      provider: server.provider,
      client,
      redirectUri,
      state,
      ...(options.scopes === undefined ? {} : { scopes: options.scopes }),
    })
    const callbackUrl = await server.authorize(started.url, { decision: options.decision ?? 'allow' })
    return { state, codeVerifier: started.codeVerifier, url: new URL(started.url), callbackUrl }
  }

  async function connect(scopes?: readonly string[]): Promise<OAuthTokens> {
    const { state, codeVerifier, callbackUrl } = await authorize(scopes === undefined ? {} : { scopes })
    return finishAuthorization({
      provider: server.provider,
      client,
      redirectUri,
      callbackUrl,
      expectedState: state,
      codeVerifier,
      network,
      now: clock,
    })
  }

  async function apiStatus(accessToken: string): Promise<number> {
    const response = await fetch(server.apiUrl, { headers: { authorization: `Bearer ${accessToken}` } })
    await response.body?.cancel()
    return response.status
  }

  it('connects: start, authorize over HTTP, finish — an access token, a refresh token and an expiry', async () => {
    const { state, codeVerifier, url, callbackUrl } = await authorize()
    expect(url.searchParams.get('code_challenge_method')).toBe('S256')
    expect(url.searchParams.get('state')).toBe(state)
    expect(callbackUrl.searchParams.get('state')).toBe(state)
    expect(callbackUrl.searchParams.get('code')).toEqual(expect.any(String))

    const before = server.tokenRequests('authorization_code')
    const tokens = await finishAuthorization({
      provider: server.provider,
      client,
      redirectUri,
      callbackUrl,
      expectedState: state,
      codeVerifier,
      network,
      now: clock,
    })
    expect(tokens).toEqual({
      accessToken: expect.any(String) as unknown,
      refreshToken: expect.any(String) as unknown,
      tokenType: 'bearer',
      expiresAt: now + 600_000,
      scope: 'api:read',
    })
    expect(server.tokenRequests('authorization_code')).toBe(before + 1)
    expect(await apiStatus(tokens.accessToken)).toBe(200)
  })

  it('checks the issuer a callback names when the issuer is known', async () => {
    const { state, codeVerifier, callbackUrl } = await authorize()
    expect(callbackUrl.searchParams.get('iss')).toBe(server.issuer)
    const finish = (issuer: string) =>
      finishAuthorization({
        provider: server.provider,
        client,
        redirectUri,
        callbackUrl,
        expectedState: state,
        codeVerifier,
        issuer,
        network,
      })

    const before = server.tokenRequests()
    const error = await rejection(finish('https://accounts.example.com'))
    expect(error).toMatchObject({ reason: 'issuer_mismatch', operation: 'authorization' })
    expect(server.tokenRequests()).toBe(before)

    const tokens = await finish(server.issuer)
    expect(tokens.accessToken).toEqual(expect.any(String))
  })

  it('works with an OpenID Connect scope: the ID token the provider adds is not needed', async () => {
    const tokens = await connect(['openid', 'api:read'])
    expect(tokens.accessToken).toEqual(expect.any(String))
    expect(tokens).not.toHaveProperty('idToken')
    expect(await apiStatus(tokens.accessToken)).toBe(200)
  })

  it('rejects a wrong PKCE verifier as invalid_grant, without showing the code, verifier or secret', async () => {
    const { state, callbackUrl } = await authorize()
    const other = await startAuthorization({
      provider: server.provider,
      client,
      redirectUri,
      state: newState(),
    })
    const error = await rejection(
      finishAuthorization({
        provider: server.provider,
        client,
        redirectUri,
        callbackUrl,
        expectedState: state,
        codeVerifier: other.codeVerifier,
        network,
      }),
    )
    expect(error).toMatchObject({
      reason: 'invalid_grant',
      operation: 'code_exchange',
      status: 400,
      retryable: false,
    })
    expectNothingSecret(error, [
      callbackUrl.searchParams.get('code') ?? undefined,
      other.codeVerifier,
      client.clientSecret,
    ])
  })

  it('rejects a wrong or missing state before any token request', async () => {
    const { state, codeVerifier, callbackUrl } = await authorize()
    const before = server.tokenRequests()
    const finish = (url: URL) =>
      finishAuthorization({
        provider: server.provider,
        client,
        redirectUri,
        callbackUrl: url,
        expectedState: state,
        codeVerifier,
        network,
      })

    const forged = new URL(callbackUrl)
    forged.searchParams.set('state', newState())
    const missing = new URL(callbackUrl)
    missing.searchParams.delete('state')
    const doubled = new URL(callbackUrl)
    doubled.searchParams.append('state', state)
    for (const url of [forged, missing, doubled]) {
      const error = await rejection(finish(url))
      expect(error).toMatchObject({ reason: 'state_mismatch', operation: 'authorization' })
      expectNothingSecret(error, [callbackUrl.searchParams.get('code') ?? undefined, codeVerifier])
    }
    expect(server.tokenRequests()).toBe(before)
  })

  it('reports the provider refusing the authorization (error=access_denied)', async () => {
    const { state, codeVerifier, callbackUrl } = await authorize({ decision: 'deny' })
    expect(callbackUrl.searchParams.get('error')).toBe('access_denied')
    const before = server.tokenRequests()
    const error = await rejection(
      finishAuthorization({
        provider: server.provider,
        client,
        redirectUri,
        callbackUrl,
        expectedState: state,
        codeVerifier,
        network,
      }),
    )
    expect(error).toMatchObject({
      reason: 'access_denied',
      operation: 'authorization',
      description: 'The user refused access',
      retryable: false,
    })
    expect(server.tokenRequests()).toBe(before)
  })

  it('refuses a callback with neither a code nor an error', async () => {
    const state = newState()
    const callbackUrl = new URL(`${redirectUri}?state=${state}`)
    const error = await rejection(
      finishAuthorization({
        provider: server.provider,
        client,
        redirectUri,
        callbackUrl,
        expectedState: state,
        codeVerifier: 'v'.repeat(43),
        network,
      }),
    )
    expect(error.reason).toBe('invalid_callback')
  })

  it('refuses a wrong client secret as invalid_client, without showing it', async () => {
    const { state, codeVerifier, callbackUrl } = await authorize()
    const wrong = { clientId: client.clientId, clientSecret: 'not-the-secret-at-all' }
    const error = await rejection(
      finishAuthorization({
        provider: server.provider,
        client: wrong,
        redirectUri,
        callbackUrl,
        expectedState: state,
        codeVerifier,
        network,
      }),
    )
    expect(error).toMatchObject({ reason: 'invalid_client', status: 401 })
    expectNothingSecret(error, [wrong.clientSecret, callbackUrl.searchParams.get('code') ?? undefined])
  })

  it('refreshes with rotation: a new refresh token, and the old one is dead (invalid_grant)', async () => {
    const first = await connect()
    const before = server.tokenRequests('refresh_token')
    const second = await refreshTokens({
      provider: server.provider,
      client,
      refreshToken: first.refreshToken ?? '',
      network,
      now: () => now + 1000,
    })
    expect(server.tokenRequests('refresh_token')).toBe(before + 1)
    expect(second.refreshToken).toEqual(expect.any(String))
    expect(second.refreshToken).not.toBe(first.refreshToken)
    expect(second.accessToken).not.toBe(first.accessToken)
    expect(second.expiresAt).toBe(now + 1000 + 600_000)
    expect(await apiStatus(second.accessToken)).toBe(200)

    const error = await rejection(
      refreshTokens({ provider: server.provider, client, refreshToken: first.refreshToken ?? '', network }),
    )
    expect(error).toMatchObject({ reason: 'invalid_grant', operation: 'refresh', retryable: false })
    expectNothingSecret(error, [first.refreshToken, client.clientSecret])
  })

  it('reports a refresh token the user revoked at the provider as invalid_grant', async () => {
    const tokens = await connect()
    expect(await server.revokeGrant(tokens.refreshToken ?? '')).toBe(true)
    expect(await server.revokeGrant('no-such-token')).toBe(false)
    const error = await rejection(
      refreshTokens({ provider: server.provider, client, refreshToken: tokens.refreshToken ?? '', network }),
    )
    expect(error.reason).toBe('invalid_grant')
    expect(await apiStatus(tokens.accessToken)).toBe(401)
  })

  it('revokes an access token and a refresh token at the provider', async () => {
    const tokens = await connect()
    const before = server.revocationRequests()
    const revokeAccess = await revokeToken({
      provider: server.provider,
      client,
      token: tokens.accessToken,
      tokenTypeHint: 'access_token',
      network,
    })
    expect(revokeAccess).toEqual({ revoked: true })
    expect(await apiStatus(tokens.accessToken)).toBe(401)

    await revokeToken({ provider: server.provider, client, token: tokens.refreshToken ?? '', network })
    expect(server.revocationRequests()).toBe(before + 2)
    const error = await rejection(
      refreshTokens({ provider: server.provider, client, refreshToken: tokens.refreshToken ?? '', network }),
    )
    expect(error.reason).toBe('invalid_grant')
  })

  it('does nothing to revoke when the provider declares no revocation endpoint', async () => {
    const before = server.revocationRequests()
    const withoutRevocation = { ...server.provider, revocationUrl: undefined }
    expect(await revokeToken({ provider: withoutRevocation, client, token: 'anything', network })).toEqual({
      revoked: false,
    })
    expect(server.revocationRequests()).toBe(before)
  })

  it('gets client credentials tokens, with the declared scopes or others', async () => {
    const before = server.tokenRequests('client_credentials')
    const tokens = await clientCredentialsToken({
      provider: server.clientCredentialsProvider,
      client,
      network,
      now: clock,
    })
    expect(tokens).toEqual({
      accessToken: expect.any(String) as unknown,
      tokenType: 'bearer',
      expiresAt: now + 600_000,
      scope: 'api:read',
    })
    expect(server.tokenRequests('client_credentials')).toBe(before + 1)
    const response = await fetch(server.apiUrl, {
      headers: { authorization: `Bearer ${tokens.accessToken}` },
    })
    expect(await response.json()).toEqual({ sub: null, clientId: server.clientId, scope: 'api:read' })

    const writer = await clientCredentialsToken({
      provider: server.clientCredentialsProvider,
      client,
      scopes: ['api:write'],
      network,
    })
    expect(writer.scope).toBe('api:write')
  })

  it('authenticates the client with the secret in the form body when asked to (client_secret_post)', async () => {
    const post = { ...client, authMethod: 'client_secret_post' as const }
    const tokens = await clientCredentialsToken({
      provider: server.clientCredentialsProvider,
      client: post,
      network,
    })
    expect(await apiStatus(tokens.accessToken)).toBe(200)
  })

  it('refuses a provider on loopback under the default network rules, before connecting', async () => {
    const port = new URL(server.issuer).port
    const before = server.connections()
    for (const host of ['127.0.0.1', 'localhost']) {
      const https = auth.oauth2({
        grant: 'client_credentials',
        tokenUrl: `https://${host}:${port}/token`,
        scopes: ['api:read'],
      })
      const error = await rejection(clientCredentialsToken({ provider: https, client }))
      expect(error).toMatchObject({
        reason: 'network_error',
        operation: 'client_credentials',
        retryable: false,
      })
      expect(error.cause).toBeInstanceOf(BlockedAddressError)
      expect((error.cause as BlockedAddressError).reason).toBe('loopback')
    }

    // Plain http is refused too under these rules, by the protocol library, before the network rules.
    const plain = await rejection(
      refreshTokens({ provider: server.provider, client, refreshToken: 'never-sent-anywhere' }),
    )
    expect(plain.reason).toBe('insecure_endpoint')
    expect(server.connections()).toBe(before)
  })
})

describe('the test provider', () => {
  it('lets access tokens expire after the configured time, and a refresh brings a working one', async () => {
    const server = await startOAuthServer({ redirectUris: [redirectUri], accessTokenTtlSeconds: 1 })
    try {
      const client = { clientId: server.clientId, clientSecret: server.clientSecret }
      const state = newState()
      const { url, codeVerifier } = await startAuthorization({
        provider: server.provider,
        client,
        redirectUri,
        state,
      })
      const tokens = await finishAuthorization({
        provider: server.provider,
        client,
        redirectUri,
        callbackUrl: await server.authorize(url),
        expectedState: state,
        codeVerifier,
        network,
      })
      expect(needsRefresh(tokens, Date.now())).toBe(true)
      await new Promise((resolve) => setTimeout(resolve, 1100))
      const status = async (token: string) =>
        (await fetch(server.apiUrl, { headers: { authorization: `Bearer ${token}` } })).status
      expect(await status(tokens.accessToken)).toBe(401)
      expect(server.apiRequests()).toBe(1)

      const fresh = await refreshTokens({
        provider: server.provider,
        client,
        refreshToken: tokens.refreshToken ?? '',
        network,
      })
      expect(await status(fresh.accessToken)).toBe(200)
      expect(server.tokenRequests('refresh_token')).toBe(1)
    } finally {
      await server.close()
    }
  })
})

describe('startAuthorization', () => {
  const client = { clientId: 'app-123' }
  const provider: AuthorizationCodeProvider = auth.oauth2({
    grant: 'authorization_code',
    authorizationUrl: 'https://slack.example/oauth/v2/authorize?team=T1',
    tokenUrl: 'https://slack.example/api/oauth.v2.access',
    scopes: ['chat:write', 'channels:read'],
    scopeSeparator: ',',
    extraAuthorizeParams: { user_scope: 'identify', state: 'hijacked', response_type: 'token' },
  })

  it('joins scopes with the provider separator, adds its extra parameters, and sends PKCE S256', async () => {
    const { url, codeVerifier } = await startAuthorization({
      provider,
      client,
      redirectUri,
      state: 'the-state',
    })
    const parsed = new URL(url)
    expect(parsed.origin + parsed.pathname).toBe('https://slack.example/oauth/v2/authorize')
    expect(Object.fromEntries(parsed.searchParams)).toEqual({
      team: 'T1',
      user_scope: 'identify',
      response_type: 'code',
      client_id: 'app-123',
      redirect_uri: redirectUri,
      state: 'the-state',
      scope: 'chat:write,channels:read',
      code_challenge: createHash('sha256')
        .update(codeVerifier ?? '')
        .digest('base64url'),
      code_challenge_method: 'S256',
    })
    expect(codeVerifier).toMatch(/^[\w-]{43,128}$/)
  })

  it('takes other scopes, none at all, and leaves PKCE out for a provider that cannot take it', async () => {
    const noPkce = { ...provider, pkce: false }
    const narrowed = await startAuthorization({
      provider: noPkce,
      client,
      redirectUri,
      state: 's',
      scopes: ['a', 'b'],
    })
    expect(new URL(narrowed.url).searchParams.get('scope')).toBe('a,b')
    expect(new URL(narrowed.url).searchParams.has('code_challenge')).toBe(false)
    expect(narrowed.codeVerifier).toBeUndefined()

    const none = await startAuthorization({ provider, client, redirectUri, state: 's', scopes: [] })
    expect(new URL(none.url).searchParams.has('scope')).toBe(false)
  })

  it('needs a state, and finishing needs the verifier when the provider uses PKCE', async () => {
    await expect(startAuthorization({ provider, client, redirectUri, state: '' })).rejects.toThrow(TypeError)
    const finish = (expectedState: string, codeVerifier: string | undefined) =>
      finishAuthorization({
        provider,
        client: { clientId: 'app-123', clientSecret: 'secret' },
        redirectUri,
        callbackUrl: new URL(`${redirectUri}?code=c&state=s`),
        expectedState,
        codeVerifier,
      })
    await expect(finish('', 'v'.repeat(43))).rejects.toThrow(TypeError)
    await expect(finish('s', undefined)).rejects.toThrow(/PKCE/)
  })
})

describe('needsRefresh', () => {
  it('is true from 5 minutes before expiry on, false before, and false when the expiry is unknown', () => {
    expect(REFRESH_SKEW_MS).toBe(300_000)
    expect(needsRefresh({ expiresAt: now + REFRESH_SKEW_MS + 1 }, now)).toBe(false)
    expect(needsRefresh({ expiresAt: now + REFRESH_SKEW_MS }, now)).toBe(true)
    expect(needsRefresh({ expiresAt: now - 1 }, now)).toBe(true)
    expect(needsRefresh({}, now)).toBe(false)
    expect(needsRefresh({ expiresAt: now + 1 }, now, 0)).toBe(false)
    expect(needsRefresh({ expiresAt: now }, now, 0)).toBe(true)
  })
})

interface StubRequest {
  path: string
  headers: IncomingMessage['headers']
  form: URLSearchParams
}

interface StubReply {
  status: number
  headers?: Record<string, string>
  body?: string
}

// A provider that bends the protocol the way some real ones do.
async function startStub(reply: (request: StubRequest) => StubReply | 'hang') {
  const requests: StubRequest[] = []
  const hanging: ServerResponse[] = []
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const request = {
        path: req.url ?? '/',
        headers: req.headers,
        form: new URLSearchParams(Buffer.concat(chunks).toString('utf8')),
      }
      requests.push(request)
      const answer = reply(request)
      if (answer === 'hang') {
        hanging.push(res)
        return
      }
      res.writeHead(answer.status, answer.headers ?? {})
      res.end(answer.body ?? '')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    requests,
    provider: auth.oauth2({
      grant: 'authorization_code',
      authorizationUrl: `${origin}/authorize`,
      tokenUrl: `${origin}/token`,
      revocationUrl: `${origin}/revoke`,
      scopes: ['repo'],
    }),
    async close() {
      for (const res of hanging) res.destroy()
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}

const json = (status: number, body: unknown): StubReply => ({
  status,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
})

describe('providers that bend the protocol', () => {
  const client = { clientId: 'app', clientSecret: 'the-client-secret' }

  it('keeps the refresh token when the provider does not rotate it', async () => {
    const stub = await startStub(() => json(200, { access_token: 'new-access', token_type: 'Bearer' }))
    try {
      const tokens = await refreshTokens({
        provider: stub.provider,
        client,
        refreshToken: 'the-refresh-token',
        network,
      })
      expect(tokens).toEqual({
        accessToken: 'new-access',
        tokenType: 'bearer',
        refreshToken: 'the-refresh-token',
      })
      expect(stub.requests[0]?.form.get('grant_type')).toBe('refresh_token')
      expect(stub.requests[0]?.headers.authorization).toMatch(/^Basic /)
    } finally {
      await stub.close()
    }
  })

  it('reads an OAuth error answered with status 200 (GitHub) and never echoes a secret', async () => {
    const stub = await startStub((request) =>
      json(200, {
        error: 'bad_verification_code',
        error_description: `The code ${request.form.get('code') ?? ''} from ${request.form.get('client_secret') ?? ''} is wrong`,
      }),
    )
    try {
      const error = await rejection(
        finishAuthorization({
          provider: { ...stub.provider, pkce: false },
          client: { ...client, authMethod: 'client_secret_post' },
          redirectUri,
          callbackUrl: new URL(`${redirectUri}?code=the-secret-code&state=s`),
          expectedState: 's',
          codeVerifier: undefined,
          network,
        }),
      )
      expect(error).toMatchObject({ reason: 'bad_verification_code', status: 200, retryable: false })
      expect(error.description).toBe('The code [redacted] from [redacted] is wrong')
      expectNothingSecret(error, ['the-secret-code', client.clientSecret])
      const form = stub.requests[0]?.form
      expect(form?.get('client_secret')).toBe(client.clientSecret)
      expect(stub.requests[0]?.headers.authorization).toBeUndefined()
      expect(form?.has('code_verifier')).toBe(false)
    } finally {
      await stub.close()
    }
  })

  it('treats a provider failure as retryable and a non-OAuth answer as invalid', async () => {
    const replies: StubReply[] = [
      { status: 503, headers: { 'content-type': 'text/html' }, body: '<h1>Down for maintenance</h1>' },
      json(503, { error: 'temporarily_unavailable' }),
      { status: 200, headers: { 'content-type': 'text/html' }, body: '<h1>Sign in</h1>' },
      { status: 302, headers: { location: 'https://elsewhere.example/token' } },
      json(200, { access_token: 'x', token_type: 'mac' }),
      json(200, { token_type: 'bearer', expires_in: 3600 }),
      json(400, { error: 'invalid "code"' }),
    ]
    const stub = await startStub(() => replies.shift() ?? json(500, {}))
    try {
      const attempt = () => rejection(clientCredentialsToken({ provider: stub.provider, client, network }))
      expect(await attempt()).toMatchObject({ reason: 'server_error', status: 503, retryable: true })
      expect(await attempt()).toMatchObject({ reason: 'server_error', status: 503, retryable: true })
      expect(await attempt()).toMatchObject({ reason: 'invalid_response', retryable: false })
      expect(await attempt()).toMatchObject({ reason: 'invalid_response', status: 302 })
      expect(await attempt()).toMatchObject({
        reason: 'invalid_response',
        message: expect.stringMatching(/token_type/) as unknown,
      })
      expect(await attempt()).toMatchObject({
        reason: 'invalid_response',
        message: expect.stringMatching(/access_token/) as unknown,
      })
      expect(await attempt()).toMatchObject({ reason: 'invalid_response', status: 400 })
      expect(stub.requests).toHaveLength(7)
    } finally {
      await stub.close()
    }
  })

  it('reads the error of a 401 that carries only a WWW-Authenticate challenge', async () => {
    const replies: StubReply[] = [
      { status: 401, headers: { 'www-authenticate': 'Basic realm="token"' } },
      {
        status: 400,
        headers: { 'www-authenticate': 'Bearer error="invalid_request", error_description="no"' },
      },
    ]
    const stub = await startStub(() => replies.shift() ?? json(500, {}))
    try {
      const first = await rejection(
        revokeToken({ provider: stub.provider, client, token: 'tok-en-value', network }),
      )
      expect(first).toMatchObject({ reason: 'invalid_client', status: 401, operation: 'revocation' })
      const second = await rejection(
        revokeToken({ provider: stub.provider, client, token: 'tok-en-value', network }),
      )
      expect(second).toMatchObject({ reason: 'invalid_request', status: 400, description: 'no' })
      expect(stub.requests[0]?.form.get('token')).toBe('tok-en-value')
      expect(stub.requests[0]?.form.has('token_type_hint')).toBe(false)
    } finally {
      await stub.close()
    }
  })

  it('gives up on a provider that does not answer in time, as a retryable network failure', async () => {
    const stub = await startStub(() => 'hang')
    try {
      const error = await rejection(
        refreshTokens({ provider: stub.provider, client, refreshToken: 'rt', network, timeoutMs: 200 }),
      )
      expect(error).toMatchObject({ reason: 'network_error', retryable: true })
      expect(error.cause).toBeInstanceOf(ActionError)
      expect((error.cause as ActionError).class).toBe('timeout')
    } finally {
      await stub.close()
    }
  })

  it('passes narrowed scopes on a refresh with the provider separator', async () => {
    const stub = await startStub(() =>
      json(200, { access_token: 'a', token_type: 'bearer', refresh_token: 'r2' }),
    )
    try {
      const provider = { ...stub.provider, scopeSeparator: ',' }
      const tokens = await refreshTokens({
        provider,
        client,
        refreshToken: 'r1',
        scopes: ['a', 'b'],
        network,
      })
      expect(tokens.refreshToken).toBe('r2')
      expect(stub.requests[0]?.form.get('scope')).toBe('a,b')
    } finally {
      await stub.close()
    }
  })
})
