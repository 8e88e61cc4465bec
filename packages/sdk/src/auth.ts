/**
 * Auth declarations: how a tool accepts credentials (specification §6). Each declaration is data — an
 * id, a kind, the schema of its secret fields, and for OAuth2 the provider's URLs and scopes — plus one
 * `apply` function that puts the credential on an outgoing request.
 */
import { Type } from 'typebox'
import type { Static, TObject, TProperties, TSchema } from 'typebox'
import { ActionError } from './errors.js'
import { Secret } from './secrets.js'
import { validate } from './validation.js'

/** The kinds of auth method, as the specification lists them. */
export const AUTH_KINDS = ['none', 'api_key', 'bearer', 'basic', 'oauth2', 'custom'] as const

/** One kind of auth method. */
export type AuthKind = (typeof AUTH_KINDS)[number]

/**
 * The request a credential is applied to. `apply` may set headers (their names in lower case) and
 * change the URL, typically its query.
 */
export interface OutgoingRequest {
  method: string
  url: URL
  headers: Record<string, string>
}

interface AuthMethodBase<F extends TObject> {
  /** Names the method in a credential's `authMethod`; unique within a tool. */
  readonly id: string
  readonly kind: AuthKind
  /** A label for the UI. */
  readonly title: string
  /** The credential's secret fields; every one is marked secret. */
  readonly fields: F
  /** Puts the credential on the request. `secrets` has been validated against `fields`. */
  apply(request: OutgoingRequest, secrets: Static<F>): void
}

/** No credential. */
export interface NoAuth extends AuthMethodBase<TObject> {
  readonly kind: 'none'
}

/** An API key sent in a header or a query parameter. */
export interface ApiKeyAuth extends AuthMethodBase<TObject> {
  readonly kind: 'api_key'
  readonly in: 'header' | 'query'
  /** The header or parameter name; when absent, each credential names it (`headerName` or `paramName`). */
  readonly name: string | undefined
}

/** A bearer token in the `Authorization` header. */
export interface BearerAuth extends AuthMethodBase<TObject> {
  readonly kind: 'bearer'
}

/** HTTP Basic authentication. */
export interface BasicAuth extends AuthMethodBase<TObject> {
  readonly kind: 'basic'
}

interface OAuth2Base extends AuthMethodBase<TObject> {
  readonly kind: 'oauth2'
  readonly tokenUrl: string
  /** The scopes requested by default. */
  readonly scopes: readonly string[]
  /** How the provider separates scopes in the `scope` parameter (GitHub: space, Slack: comma). */
  readonly scopeSeparator: string
}

/** OAuth2 authorization code grant, with PKCE unless the provider cannot take it. */
export interface OAuth2AuthorizationCodeAuth extends OAuth2Base {
  readonly grant: 'authorization_code'
  readonly authorizationUrl: string
  readonly revocationUrl: string | undefined
  readonly pkce: boolean
  /** Added to the authorization URL, such as `{ access_type: 'offline', prompt: 'consent' }`. */
  readonly extraAuthorizeParams: Readonly<Record<string, string>>
}

/** OAuth2 client credentials grant (machine to machine). */
export interface OAuth2ClientCredentialsAuth extends OAuth2Base {
  readonly grant: 'client_credentials'
}

/** Any OAuth2 grant. */
export type OAuth2Auth = OAuth2AuthorizationCodeAuth | OAuth2ClientCredentialsAuth

/** Plugin-defined fields and the way they are applied. */
export interface CustomAuth<F extends TObject = TObject> extends AuthMethodBase<F> {
  readonly kind: 'custom'
}

/** Any auth declaration. */
export type AuthMethod = NoAuth | ApiKeyAuth | BearerAuth | BasicAuth | OAuth2Auth | CustomAuth

/** The lowercase identifier pattern shared by tool slugs, action names and auth method ids. */
export const IDENTIFIER_PATTERN = /^[a-z][a-z0-9_]*$/

// RFC 9110 token characters, and no line breaks in values, so a secret can never split a header.
const headerNamePattern = "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$"
const headerValuePattern = '^[^\\r\\n]*$'

const secretString = (title: string, options: { pattern?: string } = {}) =>
  Secret(Type.String({ title, minLength: 1, ...options }))

interface MethodOptions {
  /** Overrides the method's default id, for a tool that declares two methods of one kind. */
  id?: string
  title?: string
}

function none(options: MethodOptions = {}): NoAuth {
  return Object.freeze({
    id: options.id ?? 'none',
    kind: 'none',
    title: options.title ?? 'No authentication',
    fields: Type.Object({}),
    apply() {
      // Nothing to add.
    },
  })
}

interface ApiKeyOptions extends MethodOptions {
  in: 'header' | 'query'
  /** The header or query parameter; leave it out to let each credential name it. */
  name?: string
}

function apiKey(options: ApiKeyOptions): ApiKeyAuth {
  const location = options.in
  const nameField = location === 'header' ? 'headerName' : 'paramName'
  const fields =
    options.name === undefined
      ? Type.Object({
          [nameField]: secretString(location === 'header' ? 'Header name' : 'Query parameter', {
            pattern: headerNamePattern,
          }),
          value: secretString('API key', { pattern: headerValuePattern }),
        })
      : Type.Object({ value: secretString('API key', { pattern: headerValuePattern }) })
  return Object.freeze({
    id: options.id ?? 'api_key',
    kind: 'api_key',
    title: options.title ?? 'API key',
    in: location,
    name: options.name,
    fields,
    apply(request: OutgoingRequest, secrets: Record<string, unknown>) {
      const name = options.name ?? String(secrets[nameField])
      const value = String(secrets.value)
      if (location === 'header') request.headers[name.toLowerCase()] = value
      else request.url.searchParams.set(name, value)
    },
  })
}

function bearer(options: MethodOptions = {}): BearerAuth {
  return Object.freeze({
    id: options.id ?? 'bearer',
    kind: 'bearer',
    title: options.title ?? 'Bearer token',
    fields: Type.Object({ token: secretString('Token', { pattern: headerValuePattern }) }),
    apply(request: OutgoingRequest, secrets: Record<string, unknown>) {
      request.headers.authorization = `Bearer ${String(secrets.token)}`
    },
  })
}

function basic(options: MethodOptions = {}): BasicAuth {
  return Object.freeze({
    id: options.id ?? 'basic',
    kind: 'basic',
    title: options.title ?? 'Username and password',
    fields: Type.Object({
      // RFC 7617: the user-id cannot contain a colon.
      username: secretString('Username', { pattern: '^[^:\\r\\n]*$' }),
      password: Secret(Type.String({ title: 'Password' })),
    }),
    apply(request: OutgoingRequest, secrets: Record<string, unknown>) {
      const pair = `${String(secrets.username)}:${String(secrets.password)}`
      request.headers.authorization = `Basic ${Buffer.from(pair, 'utf8').toString('base64')}`
    },
  })
}

const oauth2Fields = Type.Object({
  accessToken: secretString('Access token', { pattern: headerValuePattern }),
  tokenType: Type.Optional(Secret(Type.String({ title: 'Token type', pattern: headerValuePattern }))),
  refreshToken: Type.Optional(Secret(Type.String({ title: 'Refresh token' }))),
  expiresAt: Type.Optional(Secret(Type.String({ title: 'Expires at', format: 'date-time' }))),
})

function applyAccessToken(request: OutgoingRequest, secrets: Record<string, unknown>): void {
  const declared = typeof secrets.tokenType === 'string' ? secrets.tokenType : ''
  // Providers answer `bearer` in any case; the header wants the registered spelling.
  const type = declared === '' || declared.toLowerCase() === 'bearer' ? 'Bearer' : declared
  request.headers.authorization = `${type} ${String(secrets.accessToken)}`
}

interface OAuth2AuthorizationCodeOptions extends MethodOptions {
  grant: 'authorization_code'
  authorizationUrl: string
  tokenUrl: string
  revocationUrl?: string
  scopes: readonly string[]
  /** Defaults to `true`; turn it off only for a provider that rejects PKCE parameters. */
  pkce?: boolean
  extraAuthorizeParams?: Readonly<Record<string, string>>
  scopeSeparator?: string
}

interface OAuth2ClientCredentialsOptions extends MethodOptions {
  grant: 'client_credentials'
  tokenUrl: string
  scopes: readonly string[]
  scopeSeparator?: string
}

function oauth2(options: OAuth2AuthorizationCodeOptions): OAuth2AuthorizationCodeAuth
function oauth2(options: OAuth2ClientCredentialsOptions): OAuth2ClientCredentialsAuth
function oauth2(options: OAuth2AuthorizationCodeOptions | OAuth2ClientCredentialsOptions): OAuth2Auth {
  const common = {
    kind: 'oauth2' as const,
    tokenUrl: options.tokenUrl,
    scopes: Object.freeze([...options.scopes]),
    scopeSeparator: options.scopeSeparator ?? ' ',
    fields: oauth2Fields,
    apply: applyAccessToken,
  }
  if (options.grant === 'client_credentials') {
    return Object.freeze({
      ...common,
      id: options.id ?? 'oauth2_client_credentials',
      title: options.title ?? 'OAuth2 (client credentials)',
      grant: 'client_credentials',
    })
  }
  return Object.freeze({
    ...common,
    id: options.id ?? 'oauth2',
    title: options.title ?? 'OAuth2',
    grant: 'authorization_code',
    authorizationUrl: options.authorizationUrl,
    revocationUrl: options.revocationUrl,
    pkce: options.pkce ?? true,
    extraAuthorizeParams: Object.freeze({ ...options.extraAuthorizeParams }),
  })
}

interface CustomOptions<F extends TObject> {
  id: string
  title?: string
  fields: F
  apply(request: OutgoingRequest, secrets: Static<F>): void
}

function custom<F extends TObject>(options: CustomOptions<F>): CustomAuth<F> {
  return Object.freeze({
    id: options.id,
    kind: 'custom',
    title: options.title ?? options.id,
    fields: withSecretProperties(options.fields),
    apply(request: OutgoingRequest, secrets: Static<F>) {
      options.apply(request, secrets)
    },
  })
}

// Every credential field is a secret: the API shows whether it is set, never its value.
function withSecretProperties<F extends TObject>(fields: F): F {
  const properties: TProperties = {}
  for (const [key, schema] of Object.entries(fields.properties as Record<string, TSchema>)) {
    properties[key] = Secret(schema)
  }
  const copy = Object.create(
    Object.getPrototypeOf(fields) as object | null,
    Object.getOwnPropertyDescriptors(fields),
  ) as Record<string, unknown>
  copy.properties = properties
  return copy as F
}

/**
 * The auth declarations a tool lists in `authMethods`.
 *
 * @example
 * defineTool({
 *   // ...
 *   authMethods: [
 *     auth.bearer(),
 *     auth.apiKey({ in: 'header', name: 'X-Api-Key' }),
 *     auth.oauth2({
 *       grant: 'authorization_code',
 *       authorizationUrl: 'https://github.com/login/oauth/authorize',
 *       tokenUrl: 'https://github.com/login/oauth/access_token',
 *       scopes: ['repo'],
 *     }),
 *     auth.custom({
 *       id: 'hmac',
 *       fields: Type.Object({ keyId: Type.String(), secret: Type.String() }),
 *       apply(request, secrets) {
 *         request.headers['x-key-id'] = secrets.keyId
 *       },
 *     }),
 *   ],
 * })
 */
export const auth = Object.freeze({
  /** No credential: `{}`. */
  none,
  /** An API key: `{ value }`, plus `headerName`/`paramName` when the declaration leaves `name` out. */
  apiKey,
  /** A bearer token: `{ token }`. */
  bearer,
  /** Basic authentication: `{ username, password }`. */
  basic,
  /** OAuth2; at run time the credential holds `{ accessToken, tokenType? }`. */
  oauth2,
  /** Plugin-defined fields, all secret, applied by the plugin's own function. */
  custom,
})

/**
 * Checks a credential's secrets against its auth method and applies them to a request. Throws an
 * `auth_error` naming the missing or malformed field — never its value.
 *
 * @example
 * applyCredential(auth.bearer(), { token: 't0k' }, request)
 * request.headers.authorization // 'Bearer t0k'
 */
export function applyCredential(
  method: AuthMethod,
  secrets: Readonly<Record<string, unknown>>,
  request: OutgoingRequest,
): void {
  checkSecrets(method, secrets)
  method.apply(request, secrets)
}

/**
 * Validates a credential's secrets against its auth method's fields, throwing an `auth_error` that
 * names the problem fields.
 *
 * @example
 * checkSecrets(auth.basic(), { username: 'ada' }) // throws: '/password is required'
 */
export function checkSecrets(method: AuthMethod, secrets: Readonly<Record<string, unknown>>): void {
  const result = validate(method.fields, secrets)
  if (result.ok) return
  const problems = result.errors.map((error) => `${error.path || '/'} ${error.message}`).join('; ')
  throw new ActionError('auth_error', `The credential for "${method.id}" is incomplete: ${problems}`, {
    requestSent: false,
    suggestions: [
      {
        title: 'Update the credential',
        detail: `Fill in the fields the ${method.title} method needs and save the credential again.`,
      },
    ],
  })
}
