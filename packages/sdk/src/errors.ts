/**
 * The errors a plugin throws and the SDK raises. Every one is an {@link ActionError} carrying one of
 * the execution error classes of the specification (§5), so the execution engine can decide on a
 * retry and show recovery suggestions without parsing messages.
 *
 * Messages never contain secrets: URLs are reported by origin and path only, never with their query.
 */

/** The execution error classes, in the order the specification lists them. */
export const ERROR_CLASSES = [
  'validation_error',
  'auth_error',
  'permission_error',
  'not_found',
  'conflict',
  'rate_limited',
  'quota_exceeded',
  'upstream_error',
  'upstream_unavailable',
  'timeout',
  'network_error',
  'credential_expired',
  'transform_error',
  'cancelled',
  'internal_error',
] as const

/** One execution error class, such as `rate_limited`. */
export type ErrorClass = (typeof ERROR_CLASSES)[number]

const errorClassSet: ReadonlySet<string> = new Set(ERROR_CLASSES)

// A failure of these classes may well go away on its own; the others need someone to change something.
const retryableClasses: ReadonlySet<ErrorClass> = new Set([
  'rate_limited',
  'upstream_unavailable',
  'timeout',
  'network_error',
])

/**
 * Whether a value names an execution error class.
 *
 * @example
 * isErrorClass('rate_limited') // true
 * isErrorClass('oops') // false
 */
export function isErrorClass(value: unknown): value is ErrorClass {
  return typeof value === 'string' && errorClassSet.has(value)
}

/**
 * Whether a failure of this class is worth retrying when nothing more is known.
 *
 * @example
 * isRetryableByDefault('upstream_unavailable') // true
 * isRetryableByDefault('validation_error') // false
 */
export function isRetryableByDefault(errorClass: ErrorClass): boolean {
  return retryableClasses.has(errorClass)
}

/** A recovery step shown to the user next to an error. */
export interface Suggestion {
  title: string
  detail: string
}

/** The optional details of an {@link ActionError}. */
export interface ActionErrorOptions {
  /** Overrides the class's default ({@link isRetryableByDefault}). */
  retryable?: boolean
  /** How long to wait before the next attempt, when the upstream said so. */
  retryAfterMs?: number
  /** The upstream HTTP status that caused the error, if any. */
  httpStatus?: number
  suggestions?: readonly Suggestion[]
  /**
   * Whether the request may have reached the upstream. `false` means it certainly did not (refused
   * connection, unknown host, blocked address), so even a non-idempotent action can be retried safely.
   */
  requestSent?: boolean
  cause?: unknown
}

/**
 * An error a plugin throws to say how its action failed.
 *
 * @example
 * throw new ActionError('not_found', `Repository ${input.repo} does not exist`, {
 *   httpStatus: 404,
 *   suggestions: [{ title: 'Check the name', detail: 'Repositories are written owner/name.' }],
 * })
 */
export class ActionError extends Error {
  override name = 'ActionError'
  readonly class: ErrorClass
  readonly retryable: boolean
  readonly retryAfterMs: number | undefined
  readonly httpStatus: number | undefined
  readonly suggestions: readonly Suggestion[]
  readonly requestSent: boolean | undefined

  constructor(errorClass: ErrorClass, message: string, options: ActionErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.class = errorClass
    this.retryable = options.retryable ?? isRetryableByDefault(errorClass)
    this.retryAfterMs = options.retryAfterMs
    this.httpStatus = options.httpStatus
    this.suggestions = options.suggestions ?? []
    this.requestSent = options.requestSent
  }

  /** The shape stored in an execution record's `error` member. */
  toJSON(): {
    class: ErrorClass
    message: string
    retryable: boolean
    retryAfterMs?: number
    httpStatus?: number
    suggestions: readonly Suggestion[]
  } {
    return {
      class: this.class,
      message: this.message,
      retryable: this.retryable,
      ...(this.retryAfterMs === undefined ? {} : { retryAfterMs: this.retryAfterMs }),
      ...(this.httpStatus === undefined ? {} : { httpStatus: this.httpStatus }),
      suggestions: this.suggestions,
    }
  }
}

/** One problem found by schema validation: where (a JSON pointer into the value) and what. */
export interface FieldError {
  path: string
  message: string
}

/** What a {@link ValidationError} was validating. */
export type ValidationTarget = 'input' | 'output'

/**
 * A value did not match an action's schema. For the input this is the caller's `validation_error`;
 * for the output it is the plugin breaking its own contract, an `internal_error`.
 *
 * @example
 * try {
 *   await runAction(tool, 'create_issue', { input: {} })
 * } catch (error) {
 *   if (error instanceof ValidationError) console.log(error.errors) // [{ path: '/title', message: ... }]
 * }
 */
export class ValidationError extends ActionError {
  override name = 'ValidationError'
  readonly target: ValidationTarget
  readonly errors: readonly FieldError[]

  constructor(target: ValidationTarget, errors: readonly FieldError[], subject: string = target) {
    const first = errors[0]
    const summary = first === undefined ? '' : `: ${first.path || '/'} ${first.message}`
    const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : ''
    super(target === 'input' ? 'validation_error' : 'internal_error', `Invalid ${subject}${summary}${more}`)
    this.target = target
    this.errors = errors
  }
}

/** The status a response had and the class it maps to; see {@link classifyHttpStatus}. */
const statusClasses: ReadonlyMap<number, ErrorClass> = new Map([
  [400, 'validation_error'],
  [401, 'auth_error'],
  [403, 'permission_error'],
  [404, 'not_found'],
  [408, 'timeout'],
  [409, 'conflict'],
  [410, 'not_found'],
  [412, 'conflict'],
  [422, 'validation_error'],
  [429, 'rate_limited'],
  [502, 'upstream_unavailable'],
  [503, 'upstream_unavailable'],
  [504, 'upstream_unavailable'],
])

/**
 * The error class an upstream HTTP status means, refined by the response headers where providers
 * signal rate limiting with a 403 (GitHub's secondary limits).
 *
 * @example
 * classifyHttpStatus(503) // 'upstream_unavailable'
 * classifyHttpStatus(403, { 'x-ratelimit-remaining': '0' }) // 'rate_limited'
 */
export function classifyHttpStatus(
  status: number,
  headers: Readonly<Record<string, string>> = {},
): ErrorClass {
  if (status === 403 && (headers['x-ratelimit-remaining'] === '0' || headers['retry-after'] !== undefined)) {
    return 'rate_limited'
  }
  const known = statusClasses.get(status)
  return known ?? 'upstream_error'
}

/**
 * How long the upstream asked us to wait, from `Retry-After` (seconds or an HTTP date) or, when the
 * quota is spent, from `X-RateLimit-Reset` (epoch seconds). `undefined` when it did not say.
 *
 * @example
 * retryAfterMs({ 'retry-after': '2' }) // 2000
 */
export function retryAfterMs(
  headers: Readonly<Record<string, string>>,
  now = Date.now(),
): number | undefined {
  const retryAfter = headers['retry-after']?.trim()
  if (retryAfter !== undefined && retryAfter !== '') {
    if (/^\d+$/.test(retryAfter)) return Number(retryAfter) * 1000
    const at = Date.parse(retryAfter)
    if (!Number.isNaN(at)) return Math.max(0, at - now)
  }
  const reset = headers['x-ratelimit-reset']
  if (headers['x-ratelimit-remaining'] === '0' && reset !== undefined && /^\d+$/.test(reset)) {
    return Math.max(0, Number(reset) * 1000 - now)
  }
  return undefined
}

/** The characters of an upstream body kept in an {@link UpstreamHTTPError}. */
export const BODY_EXCERPT_LENGTH = 1000

/** The parts of a failed response an {@link UpstreamHTTPError} is built from. */
export interface UpstreamResponseSummary {
  method: string
  /** The URL without its query, which may carry a credential. */
  url: string
  status: number
  headers: Readonly<Record<string, string>>
  text: string
}

/**
 * The upstream answered with a non-2xx status. Raised by `response.raise()`; the class follows
 * {@link classifyHttpStatus} and `retryAfterMs` the response's rate-limit headers.
 *
 * @example
 * const res = await http.get('/user')
 * if (res.status === 404) return { found: false }
 * res.raise() // throws UpstreamHTTPError for any other failure
 */
export class UpstreamHTTPError extends ActionError {
  override name = 'UpstreamHTTPError'
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly bodyExcerpt: string

  constructor(response: UpstreamResponseSummary, options: { suggestions?: readonly Suggestion[] } = {}) {
    const errorClass = classifyHttpStatus(response.status, response.headers)
    const wait = retryAfterMs(response.headers)
    super(errorClass, `${response.method} ${response.url} answered ${response.status}`, {
      httpStatus: response.status,
      requestSent: true,
      ...(wait === undefined ? {} : { retryAfterMs: wait }),
      ...(options.suggestions === undefined ? {} : { suggestions: options.suggestions }),
    })
    this.status = response.status
    this.headers = response.headers
    this.bodyExcerpt = response.text.slice(0, BODY_EXCERPT_LENGTH)
  }
}

// Failures that happen before a single byte of the request can reach the upstream.
const unsentCodes: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'ERR_INVALID_IP_ADDRESS',
  'UND_ERR_CONNECT_TIMEOUT',
])

/**
 * The connection to the upstream failed; `code` is the system's (`ECONNRESET`, `ECONNREFUSED`,
 * `ENOTFOUND`…) so users can look it up.
 *
 * @example
 * catch (error) { if (error instanceof NetworkError && error.code === 'ENOTFOUND') ... }
 */
export class NetworkError extends ActionError {
  override name = 'NetworkError'
  readonly code: string

  constructor(code: string, message: string, options: { cause?: unknown } = {}) {
    super('network_error', message, { cause: options.cause, requestSent: !unsentCodes.has(code) })
    this.code = code
  }
}

/**
 * The call took longer than its time limit (the action's `timeoutMs` or the request's).
 *
 * @example
 * await http.get('/slow', { timeoutMs: 1000 }) // throws TimeoutError after one second
 */
export class TimeoutError extends ActionError {
  override name = 'TimeoutError'
  readonly timeoutMs: number

  constructor(timeoutMs: number, what = 'The call') {
    super('timeout', `${what} did not finish within ${timeoutMs} ms`)
    this.timeoutMs = timeoutMs
  }
}

/**
 * The caller cancelled the call through its `AbortSignal`.
 *
 * @example
 * controller.abort() // a pending http.get(...) rejects with AbortedError
 */
export class AbortedError extends ActionError {
  override name = 'AbortedError'

  constructor(message = 'The call was cancelled', options: { cause?: unknown } = {}) {
    super('cancelled', message, { cause: options.cause, retryable: false })
  }
}

/**
 * The outbound network rules refused an address: loopback, private, link-local and other
 * non-public addresses are off limits unless private networks are allowed.
 *
 * @example
 * await http.get('http://169.254.169.254/latest/meta-data/') // throws BlockedAddressError
 */
export class BlockedAddressError extends ActionError {
  override name = 'BlockedAddressError'
  readonly hostname: string
  readonly address: string
  /** The kind of address, such as `loopback`, `private` or `link-local`. */
  readonly reason: string

  constructor(hostname: string, address: string, reason: string) {
    const shown = hostname === address ? address : `${hostname} (${address})`
    super('permission_error', `Refused to connect to ${shown}: ${reason} addresses are blocked`, {
      requestSent: false,
      suggestions: [
        {
          title: 'Use a public address',
          detail: 'Outbound calls may only reach public internet addresses.',
        },
        {
          title: 'Allow private networks',
          detail:
            'If this Toolplane is meant to reach internal services, its operator can set TOOLPLANE_ALLOW_PRIVATE_NETWORK.',
        },
      ],
    })
    this.hostname = hostname
    this.address = address
    this.reason = reason
  }
}

/**
 * The upstream's response body exceeded the size limit and was discarded.
 *
 * @example
 * await http.get('/export', { maxResponseBytes: 1024 }) // throws ResponseTooLargeError on a bigger body
 */
export class ResponseTooLargeError extends ActionError {
  override name = 'ResponseTooLargeError'
  readonly limitBytes: number

  constructor(limitBytes: number) {
    super('upstream_error', `The upstream response exceeded the limit of ${limitBytes} bytes`, {
      requestSent: true,
      retryable: false,
    })
    this.limitBytes = limitBytes
  }
}

/**
 * Turns anything an action threw into an {@link ActionError}, so the engine has a class to act on:
 * unknown errors become `internal_error`, never a guess.
 *
 * @example
 * try { await action.run(ctx) } catch (error) { record(toActionError(error).toJSON()) }
 */
export function toActionError(error: unknown): ActionError {
  if (error instanceof ActionError) return error
  if (error instanceof Error && error.name === 'AbortError')
    return new AbortedError(undefined, { cause: error })
  if (error instanceof Error && error.name === 'TimeoutError') {
    return new ActionError('timeout', error.message, { cause: error })
  }
  const message = error instanceof Error ? error.message : String(error)
  return new ActionError('internal_error', `The action failed unexpectedly: ${message}`, { cause: error })
}
