/**
 * The one registry of error codes. Every error a client can see has a stable `code`, an HTTP
 * status, a title and a documented meaning; `docs/api/errors.md` is generated from this list.
 */
export const errorCodes = {
  validation_error: {
    status: 400,
    title: 'The request is not valid',
    meaning: 'A parameter, header or body field is missing or malformed; `errors` lists each field and why.',
  },
  unauthenticated: {
    status: 401,
    title: 'Authentication required',
    meaning:
      'No valid credentials came with the request: send `Authorization: Bearer <api key>` or sign in; a revoked key or an expired session is refused the same way.',
  },
  forbidden: {
    status: 403,
    title: 'Not allowed',
    meaning:
      'The API key or user is authenticated but lacks the scope or role this operation needs; `detail` names it.',
  },
  csrf_failed: {
    status: 403,
    title: 'CSRF token missing or wrong',
    meaning:
      'A state-changing request authenticated by the session cookie must send the session’s `X-CSRF-Token` header (returned by sign-in and `GET /v1/me`).',
  },
  not_found: {
    status: 404,
    title: 'Not found',
    meaning: 'No such route, or no such resource in the caller’s workspace.',
  },
  conflict: {
    status: 409,
    title: 'Conflict',
    meaning: 'The request conflicts with the current state, such as a name or email that is already taken.',
  },
  payload_too_large: {
    status: 413,
    title: 'Request body too large',
    meaning: 'The body exceeds the server’s limit.',
  },
  unsupported_media_type: {
    status: 415,
    title: 'Unsupported media type',
    meaning: 'Send JSON bodies with `Content-Type: application/json`.',
  },
  rate_limited: {
    status: 429,
    title: 'Too many requests',
    meaning: 'A rate limit was reached; wait for the time in `Retry-After` before retrying.',
  },
  quota_exceeded: {
    status: 429,
    title: 'Quota exceeded',
    meaning: 'The workspace used its monthly execution quota.',
  },
  internal_error: {
    status: 500,
    title: 'Internal error',
    meaning:
      'Something failed inside Toolplane. Nothing about it is exposed; quote `requestId` to an operator, who finds the cause in the logs.',
  },
  not_ready: {
    status: 503,
    title: 'Not ready',
    meaning: 'A dependency the server needs (database, queue, Redis) is not available right now.',
  },
} as const satisfies Record<string, { status: number; title: string; meaning: string }>

export type ErrorCode = keyof typeof errorCodes

/** Documentation base for problem `type` URIs; each code has an anchor on the errors page. */
export const problemTypeBase = 'https://toolplane.dev/problems/'

export interface FieldError {
  /** JSON pointer into the request, e.g. `/body/scopes/0` or `/query/limit`. */
  readonly path: string
  readonly message: string
}

export interface AppErrorOptions {
  readonly errors?: readonly FieldError[]
  readonly headers?: Readonly<Record<string, string>>
  readonly cause?: unknown
}

/**
 * A domain error a client may see. The handler renders it as RFC 9457 problem+json.
 *
 * @example
 * throw new AppError('not_found', `No API key ${id} in this workspace.`)
 */
export class AppError extends Error {
  readonly status: number
  readonly errors: readonly FieldError[] | undefined
  readonly headers: Readonly<Record<string, string>>

  constructor(
    readonly code: ErrorCode,
    readonly detail: string,
    options: AppErrorOptions = {},
  ) {
    super(detail, { cause: options.cause })
    this.name = 'AppError'
    this.status = errorCodes[code].status
    this.errors = options.errors
    this.headers = options.headers ?? {}
  }
}

/** The RFC 9457 body for a code. */
export function problem(code: ErrorCode, detail: string, requestId: string, errors?: readonly FieldError[]) {
  const entry = errorCodes[code]
  return {
    type: `${problemTypeBase}${code}`,
    title: entry.title,
    status: entry.status,
    detail,
    code,
    requestId,
    ...(errors === undefined ? {} : { errors }),
  }
}
