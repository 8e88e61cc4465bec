/**
 * The web app's one way to the server: `fetch` on the same origin with the session cookie, the
 * session's CSRF token on every state-changing request, and every failure turned into an
 * `ApiError` carrying the RFC 9457 problem the server sent (SPEC §4).
 */

/** One field's problem in a validation error, as the server reports it (`/body/email`). */
export interface FieldError {
  readonly path: string
  readonly message: string
}

/** What `ApiError` is made from: the server's problem document plus what the response said. */
export interface ApiErrorInit {
  readonly status: number
  readonly code: string
  readonly title: string
  readonly detail: string
  readonly type?: string | null
  readonly errors?: readonly FieldError[]
  readonly requestId?: string | null
  readonly retryAfter?: number | null
}

/**
 * A request that did not succeed: an RFC 9457 problem from the server, a response that was not one
 * (status and a generic message), or no response at all (`status` 0, code `network_error`).
 *
 * @example
 * try {
 *   await api.post('/v1/auth/login', { email, password })
 * } catch (error) {
 *   if (error instanceof ApiError && error.status === 401) showWrongPassword(error.detail)
 *   else throw error
 * }
 */
export class ApiError extends Error {
  /** The HTTP status; 0 when the server could not be reached. */
  readonly status: number
  /** The problem's stable `code` (`validation_error`, `not_found`, …). */
  readonly code: string
  readonly title: string
  readonly detail: string
  readonly type: string | null
  /** Per-field problems of a validation error; empty otherwise. */
  readonly errors: readonly FieldError[]
  /** The server's request id (`X-Request-Id`), to quote when reporting a problem. */
  readonly requestId: string | null
  /** Seconds to wait before trying again, from `Retry-After`; null when the response did not say. */
  readonly retryAfter: number | null

  constructor(init: ApiErrorInit) {
    super(init.detail)
    this.name = 'ApiError'
    this.status = init.status
    this.code = init.code
    this.title = init.title
    this.detail = init.detail
    this.type = init.type ?? null
    this.errors = init.errors ?? []
    this.requestId = init.requestId ?? null
    this.retryAfter = init.retryAfter ?? null
  }

  /** Whether the same request may succeed later: no response, a timeout, a rate limit, or a server error. */
  get retryable(): boolean {
    return this.status === 0 || this.status === 408 || this.status === 429 || this.status >= 500
  }
}

/**
 * Whether `error` is an `ApiError`.
 *
 * @example
 * if (isApiError(error)) showProblem(error.title, error.detail)
 */
export function isApiError(error: unknown): error is ApiError {
  return error instanceof ApiError
}

/**
 * Whether `error` is an `ApiError` with one of `statuses` (not a type guard: a `false` says nothing
 * about whether it is an `ApiError` at all).
 *
 * @example
 * if (hasStatus(query.error, 401)) return <Navigate to="/sign-in" />
 */
export function hasStatus(error: unknown, ...statuses: number[]): boolean {
  return error instanceof ApiError && statuses.includes(error.status)
}

/**
 * Seconds from a `Retry-After` value (delay-seconds or an HTTP date); null when absent or unreadable.
 *
 * @example
 * parseRetryAfter('120') // 120
 * parseRetryAfter('Wed, 21 Oct 2026 07:28:00 GMT', Date.parse('Wed, 21 Oct 2026 07:27:00 GMT')) // 60
 */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | null {
  if (value === null) return null
  const trimmed = value.trim()
  if (/^\d+$/.test(trimmed)) return Number(trimmed)
  // An HTTP date names its day and month ("Wed, 21 Oct 2026 07:28:00 GMT"); a bare number is not one.
  if (!/[a-z]/i.test(trimmed)) return null
  const at = Date.parse(trimmed)
  if (Number.isNaN(at)) return null
  return Math.max(0, Math.ceil((at - now) / 1000))
}

type QueryValue = string | number | boolean | null | undefined

export interface RequestOptions {
  /** Query parameters; `undefined` and `null` values are left out, arrays repeat the name. */
  readonly query?: Record<string, QueryValue | readonly QueryValue[]>
  /** Sent as JSON. */
  readonly body?: unknown
  readonly signal?: AbortSignal
  readonly headers?: Record<string, string>
}

export interface ApiClient {
  /** Sends a request and returns the parsed JSON body (undefined for an empty one); throws `ApiError`. */
  request<T>(method: string, path: string, options?: RequestOptions): Promise<T>
  get<T>(path: string, options?: Omit<RequestOptions, 'body'>): Promise<T>
  post<T>(path: string, body?: unknown, options?: Omit<RequestOptions, 'body'>): Promise<T>
  patch<T>(path: string, body?: unknown, options?: Omit<RequestOptions, 'body'>): Promise<T>
  put<T>(path: string, body?: unknown, options?: Omit<RequestOptions, 'body'>): Promise<T>
  delete<T>(path: string, options?: Omit<RequestOptions, 'body'>): Promise<T>
  /** The session's CSRF token, from sign-in or `GET /v1/me`; sent as `X-CSRF-Token` on non-GET requests. */
  readonly csrfToken: string | null
  setCsrfToken(token: string | null): void
}

export interface ApiClientOptions {
  /** The fetch to use (tests pass a stand-in); the browser's by default. */
  readonly fetch?: typeof fetch
  /** Prefix of every path; empty (same origin) by default. */
  readonly baseUrl?: string
  /** The clock for `Retry-After` dates. */
  readonly now?: () => number
}

const safeMethods = new Set(['GET', 'HEAD', 'OPTIONS'])

function isJson(response: Response): boolean {
  const type = response.headers.get('content-type') ?? ''
  return /^application\/(?:[\w.+-]+\+)?json\b/i.test(type)
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function fieldErrorsOf(value: unknown): FieldError[] {
  if (!Array.isArray(value)) return []
  return value.flatMap((item: unknown) =>
    isRecord(item) && typeof item.path === 'string' && typeof item.message === 'string'
      ? [{ path: item.path, message: item.message }]
      : [],
  )
}

function stringOr(value: unknown, fallback: string): string {
  return typeof value === 'string' && value !== '' ? value : fallback
}

function buildUrl(baseUrl: string, path: string, query: RequestOptions['query']): string {
  const params = new URLSearchParams()
  for (const [name, value] of Object.entries(query ?? {})) {
    const values: readonly QueryValue[] = Array.isArray(value) ? value : [value as QueryValue]
    for (const v of values) if (v !== undefined && v !== null) params.append(name, String(v))
  }
  const search = params.toString()
  return `${baseUrl}${path}${search === '' ? '' : `?${search}`}`
}

async function errorFrom(response: Response, now: number): Promise<ApiError> {
  const requestId = response.headers.get('x-request-id')
  const retryAfter = parseRetryAfter(response.headers.get('retry-after'), now)
  let body: unknown = null
  if (isJson(response)) {
    try {
      body = await response.json()
    } catch {
      body = null
    }
  }
  if (isRecord(body) && typeof body.code === 'string') {
    return new ApiError({
      status: response.status,
      code: body.code,
      title: stringOr(body.title, `Request failed (${response.status})`),
      detail: stringOr(body.detail, 'The server refused the request.'),
      type: typeof body.type === 'string' ? body.type : null,
      errors: fieldErrorsOf(body.errors),
      requestId: typeof body.requestId === 'string' ? body.requestId : requestId,
      retryAfter,
    })
  }
  return new ApiError({
    status: response.status,
    code: 'unexpected_response',
    title: `The server answered ${response.status}`,
    detail:
      response.status >= 500
        ? 'The server or a proxy in front of it failed. Try again in a moment.'
        : 'The server sent a response Toolplane did not expect. Check that the address is right.',
    requestId,
    retryAfter,
  })
}

/**
 * Makes the API client. One client serves the whole app; it remembers the session's CSRF token.
 *
 * @example
 * const api = createApiClient()
 * const me = await api.get<Session>('/v1/me')
 * api.setCsrfToken(me.csrfToken ?? null)
 * await api.post('/v1/auth/logout')
 */
export function createApiClient(options: ApiClientOptions = {}): ApiClient {
  const fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init))
  const baseUrl = options.baseUrl ?? ''
  const now = options.now ?? Date.now
  let csrfToken: string | null = null

  async function request<T>(method: string, path: string, requestOptions: RequestOptions = {}): Promise<T> {
    const upper = method.toUpperCase()
    const headers: Record<string, string> = { accept: 'application/json', ...requestOptions.headers }
    if (requestOptions.body !== undefined) headers['content-type'] = 'application/json'
    if (!safeMethods.has(upper) && csrfToken !== null) headers['x-csrf-token'] = csrfToken
    let response: Response
    try {
      response = await fetchImpl(buildUrl(baseUrl, path, requestOptions.query), {
        method: upper,
        headers,
        credentials: 'same-origin',
        ...(requestOptions.body === undefined ? {} : { body: JSON.stringify(requestOptions.body) }),
        ...(requestOptions.signal === undefined ? {} : { signal: requestOptions.signal }),
      })
    } catch (error) {
      // A cancelled request (a query that is no longer needed) is not a failure to report.
      if (requestOptions.signal?.aborted === true) throw error
      throw new ApiError({
        status: 0,
        code: 'network_error',
        title: 'Cannot reach Toolplane',
        detail:
          'The request did not reach the server. Check your connection and that Toolplane is running, then try again.',
      })
    }
    if (!response.ok) throw await errorFrom(response, now())
    if (response.status === 204 || response.headers.get('content-length') === '0') return undefined as T
    if (!isJson(response)) {
      throw new ApiError({
        status: response.status,
        code: 'unexpected_response',
        title: 'Unexpected response',
        detail:
          'The server answered with something other than JSON. A proxy in front of Toolplane may be answering for it.',
        requestId: response.headers.get('x-request-id'),
      })
    }
    try {
      return (await response.json()) as T
    } catch {
      throw new ApiError({
        status: response.status,
        code: 'unexpected_response',
        title: 'Unexpected response',
        detail: 'The server’s answer was cut short or is not valid JSON. Try again.',
        requestId: response.headers.get('x-request-id'),
      })
    }
  }

  return {
    request,
    get: (path, o) => request('GET', path, o),
    post: (path, body, o) => request('POST', path, { ...o, body }),
    patch: (path, body, o) => request('PATCH', path, { ...o, body }),
    put: (path, body, o) => request('PUT', path, { ...o, body }),
    delete: (path, o) => request('DELETE', path, o),
    get csrfToken() {
      return csrfToken
    },
    setCsrfToken(token) {
      csrfToken = token
    },
  }
}
