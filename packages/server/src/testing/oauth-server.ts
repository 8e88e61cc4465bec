/**
 * A real OAuth2 authorization server for tests: `oidc-provider` on 127.0.0.1 with one confidential
 * client, the authorization code grant with PKCE (S256) required, rotating refresh tokens, the client
 * credentials grant, token revocation, and a login and consent that finish on their own — so a test
 * follows the authorization URL with plain HTTP requests and ends at the redirect URI with a `code`.
 *
 * It also serves a small protected API (`apiUrl`) that answers 200 for a live access token and 401
 * for an expired or revoked one, so tests of the execution engine can exercise a refresh after a 401.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import http from 'node:http'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { auth } from '@toolplane/sdk'
import type { OAuth2AuthorizationCodeAuth, OAuth2ClientCredentialsAuth } from '@toolplane/sdk'

export interface OAuthServerOptions {
  /** Where the provider may send the browser back; the first is the default. */
  redirectUris: readonly string[]
  /** Defaults to `toolplane-test-client`. */
  clientId?: string
  /** Defaults to a random secret. */
  clientSecret?: string
  /** Lifetime of access tokens (both grants), in seconds; defaults to one hour. */
  accessTokenTtlSeconds?: number
  /** Lifetime of refresh tokens, in seconds; defaults to 14 days. */
  refreshTokenTtlSeconds?: number
  /** The account the automatic login signs in as; defaults to `user-1`. */
  accountId?: string
}

export interface AuthorizeOptions {
  /** `deny` makes the user refuse, so the provider redirects back with `error=access_denied`. */
  decision?: 'allow' | 'deny'
}

export interface OAuthServer {
  /** `http://127.0.0.1:<port>`: the issuer and the origin of every endpoint. */
  readonly issuer: string
  readonly authorizationUrl: string
  readonly tokenUrl: string
  readonly revocationUrl: string
  /** A protected API: `GET` with `Authorization: Bearer <access token>` → 200 `{ sub, clientId, scope }` or 401. */
  readonly apiUrl: string
  readonly clientId: string
  readonly clientSecret: string
  /** The resource indicator every access token is issued for. */
  readonly resource: string
  /** The scopes the provider knows besides `openid` and `offline_access`. */
  readonly apiScopes: readonly string[]
  /** The SDK declaration of this provider's authorization code grant (PKCE, scope `api:read`). */
  readonly provider: OAuth2AuthorizationCodeAuth
  /** The SDK declaration of this provider's client credentials grant (scope `api:read`). */
  readonly clientCredentialsProvider: OAuth2ClientCredentialsAuth
  /**
   * Follows an authorization URL over HTTP — the automatic login and consent included — and returns
   * the URL the provider redirected back to (with `code` and `state`, or `error`). Each call signs in
   * afresh, like a new browser.
   */
  authorize(url: string | URL, options?: AuthorizeOptions): Promise<URL>
  /**
   * The user revokes the client's access at the provider: the grant behind this refresh or access
   * token is deleted with every token issued under it. Returns `false` when the token is unknown.
   */
  revokeGrant(token: string): Promise<boolean>
  /** Token endpoint requests received so far, for one grant type or for all. */
  tokenRequests(grantType?: string): number
  /** Revocation endpoint requests received so far. */
  revocationRequests(): number
  /** Requests to {@link apiUrl} so far. */
  apiRequests(): number
  /** TCP connections accepted so far, to prove a request was refused before connecting. */
  connections(): number
  close(): Promise<void>
}

// The parts of oidc-provider this file uses. The package ships no types, so it is loaded through a
// computed specifier and given these shapes; every value read from it passes through them.
interface GrantEntity {
  addOIDCScope(scope: string): void
  addResourceScope(resource: string, scope: string): void
  save(): Promise<string>
  destroy(): Promise<void>
}

interface GrantModel {
  new (init: { accountId: string; clientId: string }): GrantEntity
  find(id: string): Promise<GrantEntity | undefined>
}

interface StoredToken {
  readonly grantId?: string
  readonly accountId?: string
  readonly clientId?: string
  readonly scope?: string
}

interface TokenModel {
  find(value: string): Promise<StoredToken | undefined>
}

interface GrantTokenModel extends TokenModel {
  revokeByGrantId(grantId: string): Promise<void>
}

interface InteractionDetails {
  readonly prompt: {
    readonly name: string
    readonly details: {
      readonly missingOIDCScope?: readonly string[]
      readonly missingResourceScopes?: Readonly<Record<string, readonly string[]>>
    }
  }
  readonly params: Readonly<Record<string, unknown>>
  readonly grantId?: string
  readonly session?: { readonly accountId?: string }
}

interface ProviderContext {
  readonly method: string
  readonly path: string
  readonly oidc?: { readonly params?: Readonly<Record<string, unknown>> }
}

interface ProviderInstance {
  silent: boolean
  callback(): (req: IncomingMessage, res: ServerResponse) => void
  use(middleware: (ctx: ProviderContext, next: () => Promise<void>) => Promise<void>): void
  interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<InteractionDetails>
  interactionFinished(
    req: IncomingMessage,
    res: ServerResponse,
    result: Readonly<Record<string, unknown>>,
    options?: { mergeWithLastSubmission?: boolean },
  ): Promise<void>
  readonly Grant: GrantModel
  readonly AccessToken: GrantTokenModel
  readonly RefreshToken: GrantTokenModel
  readonly AuthorizationCode: GrantTokenModel
  readonly ClientCredentials: TokenModel
}

type ProviderConstructor = new (
  issuer: string,
  configuration: Readonly<Record<string, unknown>>,
) => ProviderInstance

interface ClientEntity {
  readonly clientId: string
  grantTypeAllowed(grantType: string): boolean
}

const resource = 'urn:toolplane:test-api'
const apiScopes = ['api:read', 'api:write'] as const
const apiPath = '/api/me'

/**
 * Starts an authorization server on a random loopback port.
 *
 * @example
 * const server = await startOAuthServer({ redirectUris: ['http://127.0.0.1:9/callback'] })
 * const { url } = await startAuthorization({ provider: server.provider, client, redirectUri, state })
 * const callbackUrl = await server.authorize(url)
 * await server.close()
 */
export async function startOAuthServer(options: OAuthServerOptions): Promise<OAuthServer> {
  const clientId = options.clientId ?? 'toolplane-test-client'
  const clientSecret = options.clientSecret ?? randomBytes(24).toString('base64url')
  const accountId = options.accountId ?? 'user-1'
  const accessTokenTtl = options.accessTokenTtlSeconds ?? 3600
  const refreshTokenTtl = options.refreshTokenTtlSeconds ?? 14 * 24 * 3600
  const counts = { token: new Map<string, number>(), revocation: 0, api: 0, connections: 0 }

  const server = http.createServer()
  server.on('connection', () => {
    counts.connections += 1
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      resolve()
    })
  })
  const close = async (): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      server.close((error) => {
        if (error === undefined) resolve()
        else reject(error)
      })
      server.closeAllConnections()
    })
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  let provider: ProviderInstance
  try {
    provider = await createProvider(issuer, {
      clientId,
      clientSecret,
      redirectUris: options.redirectUris,
      accessTokenTtl,
      refreshTokenTtl,
    })
  } catch (error) {
    await close()
    throw error
  }

  // Koa would print every server-side error; a test sees them as responses instead.
  provider.silent = true
  provider.use(async (ctx, next) => {
    await next()
    if (ctx.method !== 'POST') return
    if (ctx.path === '/token') {
      const grantType = ctx.oidc?.params?.grant_type
      const key = typeof grantType === 'string' ? grantType : 'unknown'
      counts.token.set(key, (counts.token.get(key) ?? 0) + 1)
    } else if (ctx.path === '/token/revocation') {
      counts.revocation += 1
    }
  })
  const handleProvider = provider.callback()
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname
    if (path.startsWith('/interaction/')) {
      respond(res, finishInteraction(provider, req, res, accountId))
    } else if (path === apiPath) {
      counts.api += 1
      respond(res, serveApi(provider, req, res))
    } else {
      handleProvider(req, res)
    }
  })

  return {
    issuer,
    authorizationUrl: `${issuer}/auth`,
    tokenUrl: `${issuer}/token`,
    revocationUrl: `${issuer}/token/revocation`,
    apiUrl: `${issuer}${apiPath}`,
    clientId,
    clientSecret,
    resource,
    apiScopes,
    provider: auth.oauth2({
      grant: 'authorization_code',
      authorizationUrl: `${issuer}/auth`,
      tokenUrl: `${issuer}/token`,
      revocationUrl: `${issuer}/token/revocation`,
      scopes: ['api:read'],
      pkce: true,
    }),
    clientCredentialsProvider: auth.oauth2({
      grant: 'client_credentials',
      tokenUrl: `${issuer}/token`,
      scopes: ['api:read'],
    }),
    authorize: async (url, authorizeOptions = {}) =>
      followAuthorization(new URL(url), options.redirectUris, authorizeOptions.decision ?? 'allow'),
    async revokeGrant(token) {
      const found = (await provider.RefreshToken.find(token)) ?? (await provider.AccessToken.find(token))
      const grantId = found?.grantId
      if (grantId === undefined) return false
      await Promise.all([
        provider.AccessToken.revokeByGrantId(grantId),
        provider.RefreshToken.revokeByGrantId(grantId),
        provider.AuthorizationCode.revokeByGrantId(grantId),
      ])
      await (await provider.Grant.find(grantId))?.destroy()
      return true
    },
    tokenRequests: (grantType) =>
      grantType === undefined
        ? [...counts.token.values()].reduce((sum, n) => sum + n, 0)
        : (counts.token.get(grantType) ?? 0),
    revocationRequests: () => counts.revocation,
    apiRequests: () => counts.api,
    connections: () => counts.connections,
    close,
  }
}

interface ProviderSettings {
  clientId: string
  clientSecret: string
  redirectUris: readonly string[]
  accessTokenTtl: number
  refreshTokenTtl: number
}

async function createProvider(issuer: string, settings: ProviderSettings): Promise<ProviderInstance> {
  const Provider = await quietly(loadProvider)
  const adapter = await loadMemoryAdapter()
  return quietly(
    () =>
      new Provider(issuer, {
        clients: [
          {
            client_id: settings.clientId,
            client_secret: settings.clientSecret,
            redirect_uris: [...settings.redirectUris],
            grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
            response_types: ['code'],
            // oidc-provider then takes the secret in the Basic header or in the form body alike.
            token_endpoint_auth_method: 'client_secret_basic',
            scope: ['openid', 'offline_access', ...apiScopes].join(' '),
          },
        ],
        adapter,
        jwks: { keys: [signingKey()] },
        cookies: { keys: [randomBytes(32).toString('hex')] },
        scopes: ['openid', 'offline_access', ...apiScopes],
        pkce: { required: () => true },
        features: {
          devInteractions: { enabled: false },
          clientCredentials: { enabled: true },
          revocation: {
            enabled: true,
            allowedPolicy: (_ctx: unknown, client: ClientEntity, token: StoredToken) =>
              Promise.resolve(token.clientId === client.clientId),
          },
          resourceIndicators: {
            enabled: true,
            defaultResource: () => Promise.resolve(resource),
            useGrantedResource: () => Promise.resolve(true),
            getResourceServerInfo: () =>
              Promise.resolve({
                scope: apiScopes.join(' '),
                accessTokenFormat: 'opaque',
                accessTokenTTL: settings.accessTokenTtl,
              }),
          },
        },
        // A refresh token for every code exchange, without asking for `offline_access`: plain OAuth2
        // providers do the same. Each refresh returns a new one and the old one stops working.
        issueRefreshToken: (_ctx: unknown, client: ClientEntity) =>
          Promise.resolve(client.grantTypeAllowed('refresh_token')),
        rotateRefreshToken: true,
        expiresWithSession: () => Promise.resolve(false),
        ttl: {
          AccessToken: settings.accessTokenTtl,
          ClientCredentials: settings.accessTokenTtl,
          AuthorizationCode: 60,
          RefreshToken: settings.refreshTokenTtl,
          IdToken: 3600,
          Interaction: 600,
          Session: 3600,
          Grant: settings.refreshTokenTtl,
        },
        interactions: {
          url: (_ctx: unknown, interaction: { uid: string }) =>
            Promise.resolve(`/interaction/${interaction.uid}`),
        },
        findAccount: (_ctx: unknown, sub: string) =>
          Promise.resolve({ accountId: sub, claims: () => Promise.resolve({ sub }) }),
        clientBasedCORS: () => false,
        renderError: (ctx: { type: string; body: unknown }, out: Record<string, unknown>) => {
          ctx.type = 'json'
          ctx.body = out
          return Promise.resolve()
        },
      }),
  )
}

async function loadProvider(): Promise<ProviderConstructor> {
  const specifier = 'oidc-provider'
  const loaded = (await import(specifier)) as { Provider: ProviderConstructor }
  return loaded.Provider
}

// An adapter built by hand is the same in-memory store, minus the start-up warning about it.
async function loadMemoryAdapter(): Promise<unknown> {
  const specifier = 'oidc-provider/lib/adapters/memory_adapter.js'
  const loaded = (await import(specifier)) as { createMemoryAdapter: () => unknown }
  return loaded.createMemoryAdapter()
}

// A fresh key for ID tokens, so the provider does not fall back to its published development keys.
function signingKey(): Record<string, unknown> {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  return { ...privateKey.export({ format: 'jwk' }), kid: 'test', use: 'sig', alg: 'RS256' }
}

// oidc-provider prints notices (an unsupported Node.js line, development defaults) straight to the
// console while it loads and starts; tests do not want them.
async function quietly<T>(work: () => T | Promise<T>): Promise<T> {
  const { info, warn } = console
  const filter =
    (original: (...data: unknown[]) => void) =>
    (...data: unknown[]): void => {
      const [first] = data
      if (typeof first === 'string' && first.includes('oidc-provider ')) return
      original(...data)
    }
  console.info = filter(info)
  console.warn = filter(warn)
  try {
    return await work()
  } finally {
    console.info = info
    console.warn = warn
  }
}

function respond(res: ServerResponse, work: Promise<void>): void {
  work.catch((error: unknown) => {
    if (res.headersSent) {
      res.destroy()
      return
    }
    res.writeHead(500, { 'content-type': 'text/plain' })
    res.end(error instanceof Error ? error.message : String(error))
  })
}

// The login and consent screens, answered at once: login as the configured account, then grant
// every scope the client asked for — or refuse when the URL says `decision=deny`.
async function finishInteraction(
  provider: ProviderInstance,
  req: IncomingMessage,
  res: ServerResponse,
  accountId: string,
): Promise<void> {
  const details = await provider.interactionDetails(req, res)
  const deny = new URL(req.url ?? '/', 'http://127.0.0.1').searchParams.get('decision') === 'deny'
  if (deny) {
    await provider.interactionFinished(
      req,
      res,
      { error: 'access_denied', error_description: 'The user refused access' },
      { mergeWithLastSubmission: false },
    )
    return
  }
  if (details.prompt.name === 'login') {
    await provider.interactionFinished(req, res, { login: { accountId } }, { mergeWithLastSubmission: false })
    return
  }
  const clientId = String(details.params.client_id)
  const grant =
    (details.grantId === undefined ? undefined : await provider.Grant.find(details.grantId)) ??
    new provider.Grant({ accountId: details.session?.accountId ?? accountId, clientId })
  const { missingOIDCScope, missingResourceScopes } = details.prompt.details
  if (missingOIDCScope !== undefined) grant.addOIDCScope(missingOIDCScope.join(' '))
  for (const [indicator, scopes] of Object.entries(missingResourceScopes ?? {})) {
    grant.addResourceScope(indicator, scopes.join(' '))
  }
  const grantId = await grant.save()
  await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true })
}

async function serveApi(
  provider: ProviderInstance,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const match = /^Bearer ([^\s]+)$/i.exec(req.headers.authorization ?? '')
  const value = match?.[1]
  const token =
    value === undefined
      ? undefined
      : ((await provider.AccessToken.find(value)) ?? (await provider.ClientCredentials.find(value)))
  if (token === undefined) {
    res.writeHead(401, {
      'content-type': 'application/json',
      'www-authenticate': 'Bearer error="invalid_token"',
    })
    res.end(JSON.stringify({ error: 'invalid_token' }))
    return
  }
  res.writeHead(200, { 'content-type': 'application/json' })
  res.end(
    JSON.stringify({ sub: token.accountId ?? null, clientId: token.clientId, scope: token.scope ?? '' }),
  )
}

// A browser in a few lines: follows redirects, keeps the provider's cookies, and stops at the
// client's redirect URI instead of requesting it.
async function followAuthorization(
  start: URL,
  redirectUris: readonly string[],
  decision: 'allow' | 'deny',
): Promise<URL> {
  const cookies = new Map<string, string>()
  const isRedirectUri = (url: URL): boolean =>
    redirectUris.some((uri) => {
      const expected = new URL(uri)
      return expected.origin === url.origin && expected.pathname === url.pathname
    })
  let url = start
  for (let hop = 0; hop < 20; hop += 1) {
    if (isRedirectUri(url)) return url
    if (url.pathname.startsWith('/interaction/') && decision === 'deny') {
      url.searchParams.set('decision', 'deny')
    }
    const cookie = [...cookies].map(([name, value]) => `${name}=${value}`).join('; ')
    const response = await fetch(url, {
      redirect: 'manual',
      headers: cookie === '' ? {} : { cookie },
    })
    for (const header of response.headers.getSetCookie()) storeCookie(cookies, header)
    const location = response.headers.get('location')
    if (response.status < 300 || response.status >= 400 || location === null) {
      throw new Error(
        `The authorization flow stopped at ${url.origin}${url.pathname} with ${response.status}: ${await response.text()}`,
      )
    }
    await response.body?.cancel()
    url = new URL(location, url)
  }
  throw new Error('The authorization flow redirected more than 20 times')
}

function storeCookie(cookies: Map<string, string>, header: string): void {
  const [pair = '', ...attributes] = header.split(';')
  const separator = pair.indexOf('=')
  if (separator <= 0) return
  const name = pair.slice(0, separator).trim()
  const expired = attributes.some((attribute) => {
    const [key = '', value = ''] = attribute.trim().split('=')
    if (key.toLowerCase() === 'max-age') return Number(value) <= 0
    if (key.toLowerCase() === 'expires') return Date.parse(value) <= Date.now()
    return false
  })
  if (expired) cookies.delete(name)
  else cookies.set(name, pair.slice(separator + 1).trim())
}
