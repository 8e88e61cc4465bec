/**
 * The HTTP client actions use. It joins paths to the tool's base URL, puts the credential on the
 * request, follows redirects itself (so the network rules and the credential policy are applied on
 * every hop), honours the action's time limit and the caller's cancellation, caps the response size,
 * and never throws for an upstream status: the execution engine classifies those.
 */
import { isIP } from 'node:net'
import { performance } from 'node:perf_hooks'
import { finished } from 'node:stream'
import type { Dispatcher } from 'undici'
import type { OutgoingRequest } from './auth.js'
import {
  AbortedError,
  ActionError,
  NetworkError,
  ResponseTooLargeError,
  TimeoutError,
  UpstreamHTTPError,
  toActionError,
} from './errors.js'
import type { ErrorClass } from './errors.js'
import { checkAddress, dispatcherFor } from './network.js'
import type { NetworkPolicy } from './network.js'

/** The methods the client sends. */
export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS'

/** A query parameter value; arrays repeat the parameter, `null` and `undefined` leave it out. */
export type QueryValue = string | number | boolean | null | undefined | readonly (string | number | boolean)[]

/** Everything a shorthand (`get`, `post`…) takes besides the path or URL. */
export interface HttpCallOptions {
  query?: Readonly<Record<string, QueryValue>>
  /** Header names are case-insensitive; `undefined` values are left out. */
  headers?: Readonly<Record<string, string | number | undefined>>
  /** Sent as JSON with `content-type: application/json`. */
  json?: unknown
  /** Sent as it is; `URLSearchParams` as a form. Give `json` or `body`, not both. */
  body?: string | Uint8Array | URLSearchParams
  /** A time limit for this call, on top of the action's. */
  timeoutMs?: number
  /** Overrides the client's response size limit for this call. */
  maxResponseBytes?: number
  /** `false` returns a 3xx response instead of following it. */
  followRedirects?: boolean
}

/** A request: a path joined to the base URL, or an absolute URL. */
export interface HttpRequestOptions extends HttpCallOptions {
  method?: HttpMethod
  path?: string
  url?: string | URL
}

/** An upstream response. Non-2xx statuses are responses too; call `raise()` to turn them into errors. */
export interface HttpResponse<T = unknown> {
  status: number
  /** `true` for a 2xx status. */
  ok: boolean
  /** Header names in lower case; repeated headers joined with `, `. */
  headers: Record<string, string>
  text: string
  /** The parsed body when the response is JSON (`application/json` or `+json`), otherwise `undefined`. */
  json: T
  bytes: Uint8Array
  /** The URL that answered, after redirects, as the action asked for it (without injected credentials). */
  url: string
  redirects: number
  /** Throws an `UpstreamHTTPError` unless the status is 2xx; returns the response otherwise. */
  raise(): HttpResponse<T>
}

/** The client in an action's context. */
export interface HttpClient {
  request<T = unknown>(options: HttpRequestOptions): Promise<HttpResponse<T>>
  get<T = unknown>(target: string, options?: HttpCallOptions): Promise<HttpResponse<T>>
  post<T = unknown>(target: string, options?: HttpCallOptions): Promise<HttpResponse<T>>
  put<T = unknown>(target: string, options?: HttpCallOptions): Promise<HttpResponse<T>>
  patch<T = unknown>(target: string, options?: HttpCallOptions): Promise<HttpResponse<T>>
  delete<T = unknown>(target: string, options?: HttpCallOptions): Promise<HttpResponse<T>>
}

/** One finished upstream call, for the engine's attempt records and metrics. Never carries the query. */
export interface HttpExchange {
  method: string
  /** Origin and path only. */
  url: string
  status: number | undefined
  errorClass: ErrorClass | undefined
  durationMs: number
  redirects: number
  /** The response's headers (names in lower case), when a response came: its rate-limit fields steer the engine. */
  headers?: Readonly<Record<string, string>>
}

/**
 * A request as a dry run shows it: what would have been sent, after the credential was applied.
 * `body` is the encoded body as text (bytes decoded as UTF-8), `undefined` when there is none.
 */
export interface PreviewRequest {
  method: string
  /** The full URL, query included. */
  url: string
  /** Names in lower case. */
  headers: Record<string, string>
  body?: string | undefined
}

/** How a client is set up; an action's context gets one built by the runner. */
export interface HttpClientOptions extends NetworkPolicy {
  /** Relative paths are joined to it. */
  baseUrl?: string
  /**
   * Puts the credential on a request; only called for requests to the base URL's origin (or, without
   * a base URL, to the origin of the call's first request).
   */
  authorize?: (request: OutgoingRequest) => void
  /** Cancels every call: the action's time limit and the caller's cancellation. */
  signal?: AbortSignal
  /** Defaults to {@link DEFAULT_MAX_RESPONSE_BYTES}. */
  maxResponseBytes?: number
  /** Defaults to {@link MAX_REDIRECTS}. */
  maxRedirects?: number
  /** W3C trace context of the calling span, sent upstream. */
  traceparent?: string
  tracestate?: string
  userAgent?: string
  onExchange?: (exchange: HttpExchange) => void
  /**
   * Turns the client into a recorder for a dry run: each call hands its first request, built exactly
   * as it would be sent (credential applied), to `capture` instead of sending it, and rejects with what
   * `capture` throws. Nothing is resolved and no connection is opened. `previewAction` uses it.
   */
  capture?: (request: PreviewRequest) => never
}

/** The default response size limit: 10 MB. */
export const DEFAULT_MAX_RESPONSE_BYTES = 10 * 1024 * 1024

/** Redirects followed before giving up. */
export const MAX_REDIRECTS = 5

/** The `user-agent` sent when the action sets none. */
export const DEFAULT_USER_AGENT = 'Toolplane'

const traceparentPattern = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/
const redirectStatuses: ReadonlySet<number> = new Set([301, 302, 303, 307, 308])
// Headers that carry authority and must not follow a redirect to another origin.
const credentialHeaders: ReadonlySet<string> = new Set(['authorization', 'cookie', 'proxy-authorization'])
const jsonType = /^application\/(?:[\w.+-]+\+)?json\b/i

/**
 * Builds an HTTP client. Actions get one in their context; the server can use one for its own
 * outbound calls (webhook deliveries) to get the same network rules.
 *
 * @example
 * const http = createHttpClient({ baseUrl: 'https://api.github.com', authorize: (r) => {
 *   r.headers.authorization = `Bearer ${token}`
 * } })
 * const res = await http.get('/user')
 */
export function createHttpClient(options: HttpClientOptions = {}): HttpClient {
  const request = async <T>(call: HttpRequestOptions): Promise<HttpResponse<T>> => send<T>(options, call)
  const shorthand =
    (method: HttpMethod) =>
    async <T>(target: string, call: HttpCallOptions = {}): Promise<HttpResponse<T>> =>
      send<T>(options, { ...call, method, ...(isAbsolute(target) ? { url: target } : { path: target }) })
  return {
    request,
    get: shorthand('GET'),
    post: shorthand('POST'),
    put: shorthand('PUT'),
    patch: shorthand('PATCH'),
    delete: shorthand('DELETE'),
  }
}

/**
 * Builds a URL path from a template, encoding each value as one path segment, so input such as
 * `../admin` or `a/b` cannot walk to another endpoint.
 *
 * @example
 * await http.get(urlPath`/repos/${owner}/${repo}/issues`)
 */
export function urlPath(strings: TemplateStringsArray, ...values: readonly (string | number)[]): string {
  return strings.reduce((path, literal, index) => {
    const value = values[index - 1]
    if (value === undefined) return path + literal
    const segment = String(value)
    // URLs treat `.`, `..` and their percent-encoded spellings as navigation, whatever we escape.
    if (segment === '.' || segment === '..' || segment === '') {
      throw new ActionError('validation_error', `"${segment}" is not a valid path segment`)
    }
    return path + encodeURIComponent(segment) + literal
  })
}

function isAbsolute(target: string): boolean {
  return /^[a-z][a-z0-9+.-]*:/i.test(target)
}

function targetUrl(options: HttpClientOptions, call: HttpRequestOptions): URL {
  let url: URL
  if (call.url !== undefined) {
    url = new URL(call.url)
  } else {
    if (options.baseUrl === undefined) {
      throw new ActionError('validation_error', 'A relative path needs a base URL; give an absolute URL')
    }
    const base = new URL(options.baseUrl)
    const path = call.path ?? ''
    // Join by concatenation so a base path (`https://host/api/v3`) is kept, not replaced.
    url = new URL(
      `${base.origin}${base.pathname.replace(/\/+$/, '')}${path.startsWith('/') ? '' : '/'}${path}`,
    )
    if (url.origin !== base.origin) {
      throw new ActionError('validation_error', 'A relative path must stay on the base URL')
    }
    for (const [name, value] of base.searchParams) url.searchParams.append(name, value)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ActionError('validation_error', `Only http and https URLs can be called, not ${url.protocol}`)
  }
  if (url.username !== '' || url.password !== '') {
    throw new ActionError('validation_error', 'Put credentials in a credential, not in the URL')
  }
  for (const [name, value] of Object.entries(call.query ?? {})) {
    if (value === null || value === undefined) continue
    for (const item of Array.isArray(value) ? (value as readonly unknown[]) : [value]) {
      url.searchParams.append(name, String(item))
    }
  }
  return url
}

interface EncodedBody {
  body: string | Uint8Array | undefined
  contentType: string | undefined
}

function encodeBody(call: HttpCallOptions): EncodedBody {
  if (call.json !== undefined && call.body !== undefined) {
    throw new ActionError('internal_error', 'Give a request either json or body, not both')
  }
  if (call.json !== undefined) return { body: JSON.stringify(call.json), contentType: 'application/json' }
  if (call.body instanceof URLSearchParams) {
    return { body: call.body.toString(), contentType: 'application/x-www-form-urlencoded' }
  }
  if (typeof call.body === 'string') return { body: call.body, contentType: 'text/plain;charset=utf-8' }
  return { body: call.body, contentType: undefined }
}

/** A place in a URL that can be shown: never the query, which may carry a credential. */
function shown(url: URL): string {
  return `${url.origin}${url.pathname}`
}

async function send<T>(options: HttpClientOptions, call: HttpRequestOptions): Promise<HttpResponse<T>> {
  const started = performance.now()
  let method: string = (call.method ?? 'GET').toUpperCase()
  let url = targetUrl(options, call)
  // The credential goes only to the tool's own origin (its base URL) — never to an absolute URL an
  // action took from a response — or, for a tool without a base URL (the generic `http` tool), to
  // the origin the caller named; redirects elsewhere never get it.
  const credentialOrigin = options.baseUrl === undefined ? url.origin : new URL(options.baseUrl).origin
  let redirects = 0
  const report = (
    status: number | undefined,
    error: unknown,
    responseHeaders?: Record<string, string>,
  ): void => {
    if (options.onExchange === undefined) return
    try {
      options.onExchange({
        method,
        url: shown(url),
        status,
        errorClass: error === undefined ? undefined : toActionError(error).class,
        durationMs: performance.now() - started,
        redirects,
        ...(responseHeaders === undefined ? {} : { headers: responseHeaders }),
      })
    } catch {
      // An observer's failure is not the action's.
    }
  }

  const encoded = encodeBody(call)
  let body = encoded.body
  let headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(call.headers ?? {})) {
    if (value !== undefined) headers[name.toLowerCase()] = String(value)
  }
  const setDefault = (name: string, value: string | undefined): void => {
    if (value !== undefined && !Object.hasOwn(headers, name)) headers[name] = value
  }
  setDefault('content-type', encoded.contentType)
  setDefault('user-agent', options.userAgent ?? DEFAULT_USER_AGENT)
  if (options.traceparent !== undefined && traceparentPattern.test(options.traceparent)) {
    setDefault('traceparent', options.traceparent)
    setDefault('tracestate', options.tracestate)
  }

  if (options.capture !== undefined) {
    captureFirst(options.capture, options.authorize, { method, url, headers, body, credentialOrigin })
  }

  const maxBytes = call.maxResponseBytes ?? options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES
  const maxRedirects = options.maxRedirects ?? MAX_REDIRECTS
  const limit = cancellation(options.signal, call.timeoutMs)
  try {
    for (;;) {
      options.beforeConnect?.(url.hostname.replace(/^\[(.*)\]$/, '$1'))
      checkLiteralAddress(url, options)
      const outgoing: OutgoingRequest = { method, url: new URL(url), headers: { ...headers } }
      if (url.origin === credentialOrigin) options.authorize?.(outgoing)
      const response = await dispatch(outgoing, body, limit.signal, options)
      const location = response.headers.location
      if (
        call.followRedirects !== false &&
        redirectStatuses.has(response.statusCode) &&
        typeof location === 'string'
      ) {
        await response.body.dump()
        if (redirects >= maxRedirects) {
          throw new ActionError('upstream_error', `More than ${maxRedirects} redirects from ${shown(url)}`, {
            requestSent: true,
          })
        }
        const next = resolveLocation(location, url)
        if (next.protocol !== 'http:' && next.protocol !== 'https:') {
          throw new ActionError('upstream_error', `A redirect to a ${next.protocol} URL was refused`)
        }
        if ([301, 302, 303].includes(response.statusCode) && method !== 'HEAD') {
          method = 'GET'
          body = undefined
          delete headers['content-type']
        }
        if (next.origin !== url.origin) {
          headers = Object.fromEntries(
            Object.entries(headers).filter(([name]) => !credentialHeaders.has(name)),
          )
        }
        url = next
        redirects += 1
        continue
      }
      const read = await readBody(response, maxBytes, outgoing)
      const result = toResponse<T>(response, read, method, url, redirects)
      report(result.status, undefined, result.headers)
      return result
    }
  } catch (error) {
    const failure = limit.signal.aborted
      ? cancellationError(limit.signal.reason)
      : transportError(error, method, url)
    report(undefined, failure)
    throw failure
  } finally {
    limit.release()
  }
}

// The request the loop below would send first, handed over instead of sent. `capture` must throw;
// should it return, the call still stops here.
function captureFirst(
  capture: (request: PreviewRequest) => never,
  authorize: HttpClientOptions['authorize'],
  first: {
    method: string
    url: URL
    headers: Record<string, string>
    body: string | Uint8Array | undefined
    credentialOrigin: string
  },
): never {
  const outgoing: OutgoingRequest = {
    method: first.method,
    url: new URL(first.url),
    headers: { ...first.headers },
  }
  try {
    if (first.url.origin === first.credentialOrigin) authorize?.(outgoing)
  } catch (error) {
    throw toActionError(error)
  }
  const body = first.body instanceof Uint8Array ? new TextDecoder().decode(first.body) : first.body
  capture({ method: outgoing.method, url: outgoing.url.href, headers: outgoing.headers, body })
  throw new ActionError('internal_error', 'A dry run recorded a request but did not stop it', {
    requestSent: false,
  })
}

function resolveLocation(location: string, base: URL): URL {
  try {
    return new URL(location, base)
  } catch (error) {
    throw new ActionError('upstream_error', `${shown(base)} redirected to an invalid URL`, { cause: error })
  }
}

// IP literals are refused before anything reaches the connection pool; names are checked at connect.
function checkLiteralAddress(url: URL, policy: NetworkPolicy): void {
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1')
  if (isIP(host) !== 0) checkAddress(host, host, policy)
}

async function dispatch(
  request: OutgoingRequest,
  body: string | Uint8Array | undefined,
  signal: AbortSignal,
  policy: NetworkPolicy,
): Promise<Dispatcher.ResponseData> {
  return dispatcherFor(policy).request({
    origin: request.url.origin,
    path: `${request.url.pathname}${request.url.search}`,
    method: request.method,
    headers: request.headers,
    body: body ?? null,
    signal,
  })
}

async function readBody(
  response: Dispatcher.ResponseData,
  maxBytes: number,
  request: OutgoingRequest,
): Promise<Buffer> {
  const declared = Number(response.headers['content-length'])
  if (Number.isFinite(declared) && declared > maxBytes) {
    discard(response)
    throw new ResponseTooLargeError(maxBytes)
  }
  if (request.method === 'HEAD') {
    await response.body.dump()
    return Buffer.alloc(0)
  }
  // Read with 'data' events and `finished`, which ends as an async iteration would (an error, or a close
  // before the end, rejects), without an iterator and a promise per chunk.
  const body = response.body
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = []
    let total = 0
    let tooLarge = false
    const onData = (chunk: Buffer): void => {
      total += chunk.length
      if (total <= maxBytes) {
        chunks.push(chunk)
        return
      }
      tooLarge = true
      body.off('data', onData)
      discard(response)
    }
    body.on('data', onData)
    const stop = finished(body, (error) => {
      stop()
      if (tooLarge) reject(new ResponseTooLargeError(maxBytes))
      else if (error !== undefined && error !== null) reject(error)
      else resolve(Buffer.concat(chunks, total))
    })
  })
}

// Drops the connection rather than reading a body nobody wants; the abort it causes is expected.
function discard(response: Dispatcher.ResponseData): void {
  response.body.on('error', () => undefined).destroy()
}

function toResponse<T>(
  response: Dispatcher.ResponseData,
  bytes: Buffer,
  method: string,
  url: URL,
  redirects: number,
): HttpResponse<T> {
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(response.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value
  }
  const contentType = headers['content-type'] ?? ''
  const text = decode(bytes, contentType)
  let json: unknown = undefined
  if (jsonType.test(contentType) && text.trim() !== '') {
    try {
      json = JSON.parse(text)
    } catch {
      // A body that claims to be JSON but is not stays available as text.
    }
  }
  const status = response.statusCode
  const result: HttpResponse<T> = {
    status,
    ok: status >= 200 && status < 300,
    headers,
    text,
    json: json as T,
    bytes,
    url: url.href,
    redirects,
    raise() {
      if (result.ok) return result
      throw new UpstreamHTTPError({ method, url: shown(url), status, headers, text })
    },
  }
  return result
}

function decode(bytes: Buffer, contentType: string): string {
  const charset = /charset="?([^";\s]+)"?/i.exec(contentType)?.[1] ?? 'utf-8'
  try {
    return new TextDecoder(charset).decode(bytes)
  } catch {
    return new TextDecoder('utf-8').decode(bytes)
  }
}

interface Cancellation {
  signal: AbortSignal
  release(): void
}

// Joins the context's signal and this call's own time limit, keeping each one's reason.
function cancellation(outer: AbortSignal | undefined, timeoutMs: number | undefined): Cancellation {
  // Without a limit of its own, the call is cancelled by the context's signal alone.
  if (outer !== undefined && timeoutMs === undefined) return { signal: outer, release: () => undefined }
  const controller = new AbortController()
  const onAbort = (): void => {
    controller.abort(outer?.reason)
  }
  if (outer?.aborted === true) onAbort()
  else outer?.addEventListener('abort', onAbort, { once: true })
  const timer =
    timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          controller.abort(new TimeoutError(timeoutMs, 'The HTTP call'))
        }, timeoutMs)
  return {
    signal: controller.signal,
    release() {
      clearTimeout(timer)
      outer?.removeEventListener('abort', onAbort)
    },
  }
}

function cancellationError(reason: unknown): ActionError {
  if (reason instanceof ActionError) return reason
  if (reason instanceof Error && reason.name === 'TimeoutError') {
    return new ActionError('timeout', reason.message, { cause: reason })
  }
  return new AbortedError(undefined, { cause: reason })
}

function transportError(error: unknown, method: string, url: URL): ActionError {
  if (error instanceof ActionError) return error
  const code = errorCode(error)
  const where = `${method} ${shown(url)}`
  switch (code) {
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
      return new ActionError('timeout', `${where} stopped answering`, { cause: error, requestSent: true })
    case 'UND_ERR_INVALID_ARG':
      return new ActionError(
        'validation_error',
        `${where} is not a valid request: ${(error as Error).message}`,
        {
          cause: error,
          requestSent: false,
        },
      )
    case undefined:
      return toActionError(error)
    default: {
      const system = code === 'UND_ERR_SOCKET' ? (errorCode((error as Error).cause) ?? 'ECONNRESET') : code
      const readable = system === 'UND_ERR_CONNECT_TIMEOUT' ? 'connect timeout' : system
      return new NetworkError(system, `${where} failed: ${readable}`, { cause: error })
    }
  }
}

function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined
  const code = (error as { code?: unknown }).code
  return typeof code === 'string' ? code : undefined
}
