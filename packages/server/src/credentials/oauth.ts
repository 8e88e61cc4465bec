/**
 * The OAuth2 protocol, client side (specification §6): start and finish the authorization code grant
 * with PKCE, refresh tokens, get client credentials tokens, revoke tokens, and decide when a token is
 * due for a refresh. Pure functions of a provider declaration (the SDK's `auth.oauth2(...)`) and the
 * workspace's OAuth client; storage, locking and scheduling belong to the callers.
 *
 * `oauth4webapi` does the protocol work. Every request it makes goes through the SDK's HTTP client,
 * so a provider is reached under exactly the network rules actions follow: loopback and private
 * addresses are refused (also after DNS resolution) unless the policy allows private networks, and
 * only then are plain-`http` endpoints accepted, for test servers and local tools.
 *
 * Providers need not speak OpenID Connect: no discovery document is fetched (the endpoints come from
 * the declaration) and no ID token is required. An ID token a provider returns anyway is dropped
 * unread — Toolplane keeps API credentials, not sign-ins.
 *
 * No error from here carries a token, an authorization code, a code verifier or a client secret,
 * neither in its message nor in its `cause`.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import * as oauth from 'oauth4webapi'
import { ActionError, DEFAULT_USER_AGENT, createHttpClient } from '@toolplane/sdk'
import type { NetworkPolicy, OAuth2Auth, OAuth2AuthorizationCodeAuth } from '@toolplane/sdk'

/** The workspace's registered application at the provider. */
export interface OAuthClient {
  clientId: string
  clientSecret: string
  /**
   * How the client authenticates at the token and revocation endpoints: HTTP Basic (the default, and
   * what RFC 6749 asks servers to support) or the secret in the form body, which some providers
   * (GitHub, Slack) expect.
   */
  authMethod?: 'client_secret_basic' | 'client_secret_post'
}

/** What a token endpoint granted. */
export interface OAuthTokens {
  accessToken: string
  /** Absent when the provider issued none (client credentials, providers without refresh). */
  refreshToken?: string
  /** Lower case, as returned by the provider (`bearer`). */
  tokenType: string
  /** When the access token expires, in epoch milliseconds; absent when the provider did not say. */
  expiresAt?: number
  /** The granted scopes as the provider wrote them, when it did. */
  scope?: string
}

/** How requests to the provider are made. */
export interface OAuthRequestOptions {
  /** The outbound network rules; defaults to refusing loopback and private addresses. */
  network?: NetworkPolicy
  /** Per request; defaults to {@link OAUTH_TIMEOUT_MS}. */
  timeoutMs?: number
  signal?: AbortSignal
  /** The clock `expiresAt` is computed from; defaults to `Date.now`. */
  now?: () => number
}

/** The parts of an authorization code declaration the protocol needs. */
export type AuthorizationCodeProvider = Pick<
  OAuth2AuthorizationCodeAuth,
  'authorizationUrl' | 'tokenUrl' | 'scopes' | 'scopeSeparator' | 'pkce' | 'extraAuthorizeParams'
>

/** The parts of any OAuth2 declaration that reaching its token endpoint needs. */
export type TokenEndpointProvider = Pick<OAuth2Auth, 'tokenUrl' | 'scopes' | 'scopeSeparator'>

/** A declaration that may name a revocation endpoint. */
export type RevocationProvider = Pick<OAuth2Auth, 'tokenUrl'> & {
  readonly revocationUrl?: string | undefined
}

/** The step of the protocol an {@link OAuthError} comes from. */
export type OAuthOperation =
  'authorization' | 'code_exchange' | 'refresh' | 'client_credentials' | 'revocation'

/** How long one request to a provider may take by default. */
export const OAUTH_TIMEOUT_MS = 30_000

/** How much of a provider's response is read at most; token responses are a few hundred bytes. */
export const OAUTH_MAX_RESPONSE_BYTES = 1024 * 1024

/** How long before expiry an access token is refreshed by default: 5 minutes (specification §5). */
export const REFRESH_SKEW_MS = 5 * 60_000

/**
 * Why an OAuth step failed. `reason` is one of Toolplane's own reasons or the provider's OAuth error
 * code, passed through:
 *
 * - `state_mismatch`: the callback's `state` is missing or is not the one this authorization started
 *   with (a forged or stale callback); nothing was sent to the provider.
 * - `issuer_mismatch`: the callback names another authorization server (`iss`, RFC 9207).
 * - `invalid_callback`: the callback has neither a `code` nor an `error`.
 * - `invalid_response`: the provider answered something that is not a valid OAuth response.
 * - `insecure_endpoint`: a plain-`http` endpoint while private networks are not allowed.
 * - `network_error`: the provider could not be reached, or the network rules refused it; `cause` is
 *   the SDK's error (a `BlockedAddressError`, a `NetworkError`, a timeout).
 * - `server_error`, `temporarily_unavailable`: the provider failed; worth retrying later.
 * - `invalid_grant`: the code, the PKCE verifier or the refresh token was refused — for a refresh,
 *   the credential has expired or was revoked and the user must connect again.
 * - `access_denied`: the user (or the provider) refused the authorization.
 * - any other provider code: `invalid_client`, `invalid_scope`, `unauthorized_client`, …
 */
export class OAuthError extends Error {
  override name = 'OAuthError'
  readonly reason: string
  readonly operation: OAuthOperation
  /** The provider's HTTP status, when it answered. */
  readonly status: number | undefined
  /** The provider's `error_description`, shortened and with any secret of the request removed. */
  readonly description: string | undefined
  /** Whether the same step may succeed later without anyone changing anything. */
  readonly retryable: boolean

  constructor(
    reason: string,
    operation: OAuthOperation,
    message: string,
    options: { status?: number; description?: string; retryable?: boolean; cause?: ActionError } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.reason = reason
    this.operation = operation
    this.status = options.status
    this.description = options.description
    this.retryable = options.retryable ?? false
  }
}

/**
 * Builds the URL that sends the user to the provider, with a fresh PKCE verifier (S256) when the
 * provider takes PKCE. Keep `state` and `codeVerifier` server-side until the callback comes.
 *
 * @example
 * const state = randomBytes(32).toString('base64url')
 * const { url, codeVerifier } = await startAuthorization({
 *   provider: github.authMethods[0],
 *   client: { clientId, clientSecret },
 *   redirectUri: 'https://toolplane.example/v1/oauth/callback',
 *   state,
 * })
 * // store { state, codeVerifier }, then redirect the browser to `url`
 */
export async function startAuthorization(request: {
  provider: AuthorizationCodeProvider
  client: Pick<OAuthClient, 'clientId'>
  redirectUri: string
  /** Defaults to the provider's declared scopes. */
  scopes?: readonly string[]
  state: string
}): Promise<{ url: string; codeVerifier: string | undefined }> {
  const { provider, client, redirectUri, state } = request
  if (state === '') throw new TypeError('An authorization needs a non-empty state')
  const url = new URL(provider.authorizationUrl)
  // The declaration's extras first, so they can never replace a protocol parameter.
  for (const [name, value] of Object.entries(provider.extraAuthorizeParams)) url.searchParams.set(name, value)
  url.searchParams.set('response_type', 'code')
  url.searchParams.set('client_id', client.clientId)
  url.searchParams.set('redirect_uri', redirectUri)
  url.searchParams.set('state', state)
  const scope = joinScopes(request.scopes ?? provider.scopes, provider.scopeSeparator)
  if (scope === undefined) url.searchParams.delete('scope')
  else url.searchParams.set('scope', scope)
  let codeVerifier: string | undefined
  if (provider.pkce) {
    codeVerifier = oauth.generateRandomCodeVerifier()
    url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(codeVerifier))
    url.searchParams.set('code_challenge_method', 'S256')
  } else {
    url.searchParams.delete('code_challenge')
    url.searchParams.delete('code_challenge_method')
  }
  return { url: url.href, codeVerifier }
}

/**
 * Checks the provider's callback and exchanges its code for tokens. The state is checked first, so
 * a forged or stale callback never reaches the provider.
 *
 * @example
 * const tokens = await finishAuthorization({
 *   provider,
 *   client,
 *   redirectUri,
 *   callbackUrl: new URL(request.url, publicUrl),
 *   expectedState: stored.state,
 *   codeVerifier: stored.codeVerifier,
 * })
 * // { accessToken, refreshToken, tokenType: 'bearer', expiresAt: 1767225600000, scope: 'repo' }
 */
export async function finishAuthorization(
  request: {
    provider: AuthorizationCodeProvider
    client: OAuthClient
    redirectUri: string
    callbackUrl: URL
    expectedState: string
    codeVerifier: string | undefined
    /**
     * The provider's issuer identifier, when known: a callback naming another issuer (`iss`) is then
     * refused. Without it `iss` cannot be checked and is ignored.
     */
    issuer?: string
  } & OAuthRequestOptions,
): Promise<OAuthTokens> {
  const { provider, client, callbackUrl, expectedState, codeVerifier, issuer } = request
  if (expectedState === '') throw new TypeError('An authorization needs a non-empty state')
  if (provider.pkce && codeVerifier === undefined) {
    throw new TypeError('This provider uses PKCE: pass the code verifier startAuthorization returned')
  }
  const parameters = new URLSearchParams(callbackUrl.searchParams)
  const states = parameters.getAll('state')
  if (states.length !== 1 || !sameSecret(states[0] ?? '', expectedState)) {
    throw new OAuthError(
      'state_mismatch',
      'authorization',
      'The OAuth callback does not belong to the authorization that was started (its state differs); start the connection again',
    )
  }
  const iss = parameters.get('iss')
  if (issuer === undefined) {
    parameters.delete('iss')
  } else if (iss !== null && iss !== issuer) {
    throw new OAuthError(
      'issuer_mismatch',
      'authorization',
      `The OAuth callback comes from another authorization server than ${issuer}; start the connection again`,
    )
  }
  const as = authorizationServer(provider, issuer)
  const oauthClient: oauth.Client = { client_id: client.clientId }
  const secrets = [client.clientSecret, parameters.get('code'), codeVerifier]
  let validated: URLSearchParams
  try {
    validated = oauth.validateAuthResponse(as, oauthClient, parameters, expectedState)
  } catch (error) {
    throw toOAuthError(error, 'authorization', secrets)
  }
  if ((validated.get('code') ?? '') === '') {
    throw new OAuthError(
      'invalid_callback',
      'authorization',
      'The OAuth callback carries neither a code nor an error',
    )
  }
  try {
    const response = await oauth.authorizationCodeGrantRequest(
      as,
      oauthClient,
      clientAuthentication(client),
      validated,
      request.redirectUri,
      // The declaration says this provider cannot take PKCE; the symbol is deprecated to make that rare.
      // eslint-disable-next-line @typescript-eslint/no-deprecated
      codeVerifier ?? oauth.nopkce,
      requestOptions(request),
    )
    return toTokens(await oauth.processAuthorizationCodeResponse(as, oauthClient, response), request)
  } catch (error) {
    throw toOAuthError(error, 'code_exchange', secrets)
  }
}

/**
 * Gets a new access token with a refresh token. When the provider rotates refresh tokens the new one
 * is returned and the old one is dead; when it does not, the old one is returned again. An
 * `OAuthError` with reason `invalid_grant` means the credential has expired or was revoked.
 *
 * @example
 * const fresh = await refreshTokens({ provider, client, refreshToken: stored.refreshToken })
 * await store.save({ ...stored, ...fresh }) // fresh.refreshToken may be the rotated one
 */
export async function refreshTokens(
  request: {
    provider: TokenEndpointProvider
    client: OAuthClient
    refreshToken: string
    /** Narrows the scopes of the new access token; providers keep the granted ones without it. */
    scopes?: readonly string[]
  } & OAuthRequestOptions,
): Promise<OAuthTokens> {
  const { provider, client, refreshToken } = request
  const as = authorizationServer(provider)
  const oauthClient: oauth.Client = { client_id: client.clientId }
  const scope = request.scopes === undefined ? undefined : joinScopes(request.scopes, provider.scopeSeparator)
  try {
    const response = await oauth.refreshTokenGrantRequest(
      as,
      oauthClient,
      clientAuthentication(client),
      refreshToken,
      { ...requestOptions(request), ...(scope === undefined ? {} : { additionalParameters: { scope } }) },
    )
    const result = await oauth.processRefreshTokenResponse(as, oauthClient, response)
    return toTokens(result, request, refreshToken)
  } catch (error) {
    throw toOAuthError(error, 'refresh', [client.clientSecret, refreshToken])
  }
}

/**
 * Gets an access token for the client itself (the client credentials grant, machine to machine).
 * There is usually no refresh token: ask again when {@link needsRefresh} says so.
 *
 * @example
 * const tokens = await clientCredentialsToken({ provider: stripe.authMethods[1], client })
 */
export async function clientCredentialsToken(
  request: {
    provider: TokenEndpointProvider
    client: OAuthClient
    /** Defaults to the provider's declared scopes. */
    scopes?: readonly string[]
  } & OAuthRequestOptions,
): Promise<OAuthTokens> {
  const { provider, client } = request
  const as = authorizationServer(provider)
  const oauthClient: oauth.Client = { client_id: client.clientId }
  const scope = joinScopes(request.scopes ?? provider.scopes, provider.scopeSeparator)
  try {
    const response = await oauth.clientCredentialsGrantRequest(
      as,
      oauthClient,
      clientAuthentication(client),
      scope === undefined ? {} : { scope },
      requestOptions(request),
    )
    return toTokens(await oauth.processClientCredentialsResponse(as, oauthClient, response), request)
  } catch (error) {
    throw toOAuthError(error, 'client_credentials', [client.clientSecret])
  }
}

/**
 * Revokes a token at the provider (RFC 7009), when the provider declares a revocation endpoint;
 * otherwise does nothing and says so. Revoking a refresh token usually ends the whole grant.
 *
 * @example
 * const { revoked } = await revokeToken({ provider, client, token: stored.refreshToken, tokenTypeHint: 'refresh_token' })
 * if (!revoked) log.info('the provider cannot revoke tokens; the credential is only deleted here')
 */
export async function revokeToken(
  request: {
    provider: RevocationProvider
    client: OAuthClient
    token: string
    tokenTypeHint?: 'access_token' | 'refresh_token'
  } & OAuthRequestOptions,
): Promise<{ revoked: boolean }> {
  const { provider, client, token, tokenTypeHint } = request
  if (provider.revocationUrl === undefined) return { revoked: false }
  const as = authorizationServer(provider)
  const oauthClient: oauth.Client = { client_id: client.clientId }
  try {
    const response = await oauth.revocationRequest(as, oauthClient, clientAuthentication(client), token, {
      ...requestOptions(request),
      ...(tokenTypeHint === undefined ? {} : { additionalParameters: { token_type_hint: tokenTypeHint } }),
    })
    await oauth.processRevocationResponse(response)
    return { revoked: true }
  } catch (error) {
    throw toOAuthError(error, 'revocation', [client.clientSecret, token])
  }
}

/**
 * Whether an access token should be refreshed before use: it expires within `skewMs` of `now` (or
 * has expired). A token without a known expiry is used until the provider answers 401.
 *
 * @example
 * needsRefresh({ expiresAt: now + 10 * 60_000 }, now) // false
 * needsRefresh({ expiresAt: now + 5 * 60_000 }, now) // true: within 5 minutes
 * needsRefresh({}, now) // false
 */
export function needsRefresh(
  tokens: Pick<OAuthTokens, 'expiresAt'>,
  now: number,
  skewMs: number = REFRESH_SKEW_MS,
): boolean {
  return tokens.expiresAt !== undefined && now >= tokens.expiresAt - skewMs
}

function joinScopes(scopes: readonly string[], separator: string): string | undefined {
  return scopes.length === 0 ? undefined : scopes.join(separator)
}

// The declaration is the metadata: no discovery. The issuer is only compared with a callback's
// `iss`, which is dropped when the real issuer is not known.
function authorizationServer(
  provider: Pick<OAuth2Auth, 'tokenUrl'> & {
    readonly authorizationUrl?: string
    readonly revocationUrl?: string | undefined
  },
  issuer?: string,
): oauth.AuthorizationServer {
  return {
    issuer: issuer ?? new URL(provider.tokenUrl).origin,
    token_endpoint: provider.tokenUrl,
    ...(provider.authorizationUrl === undefined ? {} : { authorization_endpoint: provider.authorizationUrl }),
    ...(provider.revocationUrl === undefined ? {} : { revocation_endpoint: provider.revocationUrl }),
  }
}

function clientAuthentication(client: OAuthClient): oauth.ClientAuth {
  return client.authMethod === 'client_secret_post'
    ? oauth.ClientSecretPost(client.clientSecret)
    : oauth.ClientSecretBasic(client.clientSecret)
}

function requestOptions(options: OAuthRequestOptions): oauth.HttpRequestOptions<'POST', URLSearchParams> {
  const network = options.network ?? {}
  const fetchThroughPolicy = async (
    url: string,
    init: oauth.CustomFetchOptions<string, URLSearchParams>,
  ): Promise<Response> => {
    const http = createHttpClient({
      ...network,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      maxResponseBytes: OAUTH_MAX_RESPONSE_BYTES,
    })
    const response = await http.request({
      method: 'POST',
      url,
      headers: { ...init.headers, 'user-agent': DEFAULT_USER_AGENT },
      body: init.body,
      timeoutMs: options.timeoutMs ?? OAUTH_TIMEOUT_MS,
      followRedirects: false,
    })
    const nullBody = response.status === 204 || response.status === 205 || response.status === 304
    return new Response(nullBody ? null : withoutIdToken(response.json, response.bytes), {
      status: response.status,
      headers: response.headers,
    })
  }
  return {
    [oauth.customFetch]: fetchThroughPolicy,
    // Plain http only where the operator let Toolplane reach private networks: local test servers.
    // eslint-disable-next-line @typescript-eslint/no-deprecated -- deprecated to stand out, which is the point
    ...(network.allowPrivateNetwork === true ? { [oauth.allowInsecureRequests]: true } : {}),
  }
}

// An ID token would be checked against an issuer the declaration does not name, and is never used.
function withoutIdToken(json: unknown, bytes: Uint8Array): Uint8Array | string {
  if (typeof json !== 'object' || json === null || Array.isArray(json) || !('id_token' in json)) return bytes
  const { id_token: _dropped, ...rest } = json as Record<string, unknown>
  return JSON.stringify(rest)
}

function toTokens(
  result: oauth.TokenEndpointResponse,
  options: OAuthRequestOptions,
  previousRefreshToken?: string,
): OAuthTokens {
  const now = options.now ?? Date.now
  const tokens: OAuthTokens = { accessToken: result.access_token, tokenType: result.token_type }
  const refreshToken = result.refresh_token ?? previousRefreshToken
  if (refreshToken !== undefined) tokens.refreshToken = refreshToken
  if (result.expires_in !== undefined) tokens.expiresAt = now() + result.expires_in * 1000
  if (result.scope !== undefined) tokens.scope = result.scope
  return tokens
}

// Compares digests, so the time taken says nothing about how much of the value matched.
function sameSecret(received: string, expected: string): boolean {
  const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest()
  return timingSafeEqual(digest(received), digest(expected))
}

const operationLabels: Readonly<Record<OAuthOperation, string>> = {
  authorization: 'The authorization',
  code_exchange: 'Exchanging the authorization code',
  refresh: 'Refreshing the access token',
  client_credentials: 'Requesting a client credentials token',
  revocation: 'Revoking the token',
}

// RFC 6749 §5.2: error codes are printable ASCII without `"` and `\`.
const errorCodePattern = /^[\x20\x21\x23-\x5B\x5D-\x7E]{1,100}$/
const retryableCodes: ReadonlySet<string> = new Set(['server_error', 'temporarily_unavailable'])
const descriptionLimit = 300

function toOAuthError(
  error: unknown,
  operation: OAuthOperation,
  secrets: readonly (string | null | undefined)[],
): OAuthError {
  const label = operationLabels[operation]
  if (error instanceof OAuthError) return error
  if (error instanceof ActionError) {
    return new OAuthError('network_error', operation, `${label} failed: ${error.message}`, {
      cause: error,
      retryable: error.retryable,
    })
  }
  if (error instanceof oauth.ResponseBodyError || error instanceof oauth.AuthorizationResponseError) {
    const status = error instanceof oauth.ResponseBodyError ? error.status : undefined
    return providerError(operation, error.error, error.error_description, status, secrets)
  }
  if (error instanceof oauth.WWWAuthenticateChallengeError) {
    const code = error.cause
      .map((challenge) => challenge.parameters.error)
      .find((value) => value !== undefined)
    const description = error.cause
      .map((challenge) => challenge.parameters.error_description)
      .find((value) => value !== undefined)
    return providerError(
      operation,
      code ?? (error.status === 401 ? 'invalid_client' : 'invalid_request'),
      description,
      error.status,
      secrets,
    )
  }
  if (error instanceof oauth.OperationProcessingError) {
    // Some providers (GitHub) answer an OAuth error with status 200.
    const body = bodyOf(error.cause)
    if (typeof body?.error === 'string') {
      const description = typeof body.error_description === 'string' ? body.error_description : undefined
      return providerError(operation, body.error, description, 200, secrets)
    }
    if (error.code === oauth.HTTP_REQUEST_FORBIDDEN) {
      return new OAuthError(
        'insecure_endpoint',
        operation,
        `${label} was refused: the provider's endpoint is not https, and plain http is allowed only with private networks (TOOLPLANE_ALLOW_PRIVATE_NETWORK)`,
      )
    }
    if (error.cause instanceof Response) {
      const status = error.cause.status
      const unavailable = status >= 500 || status === 429
      return new OAuthError(
        unavailable ? 'server_error' : 'invalid_response',
        operation,
        `${label} failed: the provider answered with HTTP ${status}`,
        { status, retryable: unavailable },
      )
    }
    return new OAuthError('invalid_response', operation, `${label} failed: ${readable(error.message)}`)
  }
  if (error instanceof oauth.UnsupportedOperationError) {
    return new OAuthError('invalid_response', operation, `${label} failed: ${readable(error.message)}`)
  }
  // Anything else is a bug here or in a dependency; its message may quote the request, so it stays out.
  return new OAuthError('internal_error', operation, `${label} failed unexpectedly`)
}

function providerError(
  operation: OAuthOperation,
  code: string,
  rawDescription: string | undefined,
  status: number | undefined,
  secrets: readonly (string | null | undefined)[],
): OAuthError {
  const reason = errorCodePattern.test(code) ? code : 'invalid_response'
  const description = rawDescription === undefined ? undefined : scrub(rawDescription, secrets)
  const said = description === undefined || description === '' ? '' : ` (${description})`
  return new OAuthError(
    reason,
    operation,
    `${operationLabels[operation]} was refused by the provider: ${reason}${said}`,
    {
      ...(status === undefined ? {} : { status }),
      ...(description === undefined ? {} : { description }),
      retryable: retryableCodes.has(reason) || (status !== undefined && status >= 500),
    },
  )
}

// A provider may echo what it was sent; nothing the request carried leaves in an error.
function scrub(text: string, secrets: readonly (string | null | undefined)[]): string {
  let result = text.replace(/\p{Cc}+/gu, ' ')
  for (const secret of secrets) {
    if (secret !== undefined && secret !== null && secret.length >= 4)
      result = result.split(secret).join('[redacted]')
  }
  return result.length > descriptionLimit ? `${result.slice(0, descriptionLimit)}…` : result
}

function readable(message: string): string {
  return message.replace(/"/g, '')
}

function bodyOf(cause: unknown): Record<string, unknown> | undefined {
  if (typeof cause !== 'object' || cause === null || !('body' in cause)) return undefined
  const body = cause.body
  return typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : undefined
}
