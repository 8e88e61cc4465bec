/**
 * How Stripe's API is called: form-encoded requests, a pinned API version, an `Idempotency-Key` on
 * every write, list pagination with `starting_after`, and its error body
 * `{ error: { type, code, message, param, decline_code } }` turned into Toolplane error classes.
 */
import { createHash } from 'node:crypto'
import { ActionError, classifyHttpStatus, retryAfterMs } from '@toolplane/sdk'
import type { ActionErrorOptions, ErrorClass, HttpClient, HttpResponse, Suggestion } from '@toolplane/sdk'
import { encodeForm } from './form.js'
import type { FormValue } from './form.js'

/**
 * The API version every request asks for, so answers have the shape this tool reads whatever the
 * account's default version is.
 */
export const STRIPE_API_VERSION = '2024-06-20'

type Params = Readonly<Record<string, FormValue>>

/** Reads an object or a list: `GET` with the parameters in the query, in Stripe's bracket syntax. */
export async function stripeGet<T>(http: HttpClient, path: string, params: Params = {}): Promise<T> {
  const query = encodeForm(params).toString()
  const res = await http.get<T>(query === '' ? path : `${path}?${query}`, {
    headers: { 'stripe-version': STRIPE_API_VERSION },
  })
  if (!res.ok) throw stripeError(res)
  return res.json
}

/** Creates or changes something: `POST` with a form body and an `Idempotency-Key`. */
export async function stripePost<T>(
  http: HttpClient,
  path: string,
  params: Params,
  idempotencyKey: string,
): Promise<T> {
  const res = await http.post<T>(path, {
    body: encodeForm(params),
    headers: { 'stripe-version': STRIPE_API_VERSION, 'idempotency-key': idempotencyKey },
  })
  if (!res.ok) throw stripeError(res)
  return res.json
}

/**
 * The `Idempotency-Key` of a write: the caller's own key when given, otherwise one derived from the
 * action and its parameters. Either way every retry of one execution sends the same key, so Stripe
 * runs the write once and answers the retries with the first result; the price of the derived key is
 * that the same write with the same parameters within Stripe's 24-hour key window is also run once.
 *
 * @example
 * idempotencyKeyFor('create_customer', undefined, { email: 'ada@example.com' })
 * // 'toolplane-create_customer-3b5d…' (the same for the same parameters)
 */
export function idempotencyKeyFor(action: string, given: string | undefined, params: Params): string {
  if (given !== undefined) return given
  const digest = createHash('sha256').update(canonicalJson(params)).digest('hex').slice(0, 40)
  return `toolplane-${action}-${digest}`
}

// JSON with object keys sorted, so parameter order does not change the key.
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : 1))
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`
  }
  return JSON.stringify(value)
}

/** A Stripe list: `{ object: 'list', data, has_more }`. */
export interface StripeList<T> {
  data: T[]
  has_more: boolean
}

/** Pages read per run at most. */
export const MAX_PAGES = 10

/** Stripe's largest page. */
const PAGE_SIZE = 100

/**
 * Reads a list from `startingAfter` on, page by page (`limit`, `starting_after`, `has_more`), until
 * `limit` objects are read, the list ends or {@link MAX_PAGES} pages were read. `nextCursor` is the
 * id to pass as `startingAfter` to read on, or `null` at the end.
 *
 * @example
 * await listAll(http, '/v1/customers', { email }, 250, undefined, toCustomer)
 */
// T states what Stripe's list holds, as `http.get<T>` does: a promise about the body, not a check.
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters
export async function listAll<T extends { id: string }, U>(
  http: HttpClient,
  path: string,
  filters: Params,
  limit: number,
  startingAfter: string | undefined,
  toItem: (raw: T) => U,
): Promise<{ items: U[]; hasMore: boolean; nextCursor: string | null }> {
  const items: T[] = []
  let cursor = startingAfter
  let hasMore = true
  for (let pages = 0; hasMore && items.length < limit && pages < MAX_PAGES; pages += 1) {
    const page = await stripeGet<StripeList<T>>(http, path, {
      ...filters,
      limit: Math.min(PAGE_SIZE, limit - items.length),
      starting_after: cursor,
    })
    items.push(...page.data)
    hasMore = page.has_more && page.data.length > 0
    cursor = page.data.at(-1)?.id ?? cursor
  }
  return { items: items.map(toItem), hasMore, nextCursor: hasMore ? (cursor ?? null) : null }
}

/** Stripe's error body. */
interface StripeErrorBody {
  error?: {
    type?: string
    code?: string
    message?: string
    param?: string
    decline_code?: string
    doc_url?: string
  }
}

// Stripe's error codes for an object in the wrong state for the request: the request was fine, the
// object has moved on.
const stateCodes: ReadonlySet<string> = new Set([
  'charge_already_captured',
  'charge_already_refunded',
  'payment_intent_unexpected_state',
  'resource_already_exists',
])

// What to tell a customer for the most common decline codes; https://docs.stripe.com/declines/codes.
const declineAdvice: Readonly<Record<string, string>> = {
  insufficient_funds: 'The card has insufficient funds: ask the customer to use another payment method.',
  lost_card: 'The card was reported lost: do not retry it; ask for another payment method.',
  stolen_card: 'The card was reported stolen: do not retry it; ask for another payment method.',
  expired_card: 'The card has expired: ask the customer to update the card details.',
  incorrect_cvc: 'The CVC was wrong: ask the customer to enter the card details again.',
  processing_error: 'The card processor had an error: the same card can be tried again shortly.',
  do_not_honor:
    'The bank declined without a reason: the customer should call their bank or use another card.',
  generic_decline:
    'The bank declined without a reason: the customer should call their bank or use another card.',
}

/** Without `Retry-After`, Stripe asks clients to back off exponentially; start at one second. */
export const DEFAULT_RATE_LIMIT_WAIT_MS = 1000

/**
 * Turns a failed Stripe response into an error of the right class: 401 `auth_error`, 402 card errors
 * `validation_error` with the decline code, 403 `permission_error`, 404 `not_found`, 409 and
 * idempotency errors `conflict`, 429 `rate_limited`, 400 `validation_error` naming the parameter.
 * Stripe's `Stripe-Should-Retry` header, when present, decides whether a retry can help.
 *
 * @example
 * if (!res.ok) throw stripeError(res)
 */
export function stripeError(res: HttpResponse): ActionError {
  const body = (typeof res.json === 'object' && res.json !== null ? res.json : {}) as StripeErrorBody
  const error = body.error ?? {}
  const said = error.message ?? `HTTP ${res.status}`
  const requestId = res.headers['request-id']
  const shouldRetry = res.headers['stripe-should-retry']
  const options = (suggestions: Suggestion[], extra: ActionErrorOptions = {}): ActionErrorOptions => ({
    httpStatus: res.status,
    requestSent: true,
    suggestions,
    ...extra,
    ...(shouldRetry === undefined ? {} : { retryable: shouldRetry === 'true' }),
  })
  const make = (
    errorClass: ErrorClass,
    message: string,
    suggestions: Suggestion[],
    extra?: ActionErrorOptions,
  ) =>
    new ActionError(
      errorClass,
      `${message}${requestId === undefined ? '' : ` (request ${requestId})`}`,
      options(suggestions, extra),
    )

  if (res.status === 401) {
    // Stripe's message repeats part of the key; it is left out.
    return make('auth_error', 'Stripe rejected the API key', [
      {
        title: 'Check the API key',
        detail:
          'Use a secret key (sk_live_… or sk_test_…) or a restricted key (rk_…) from Dashboard → Developers → API keys. Roll the key if it was revoked, and update the credential.',
      },
    ])
  }
  if (res.status === 429) {
    const wait = retryAfterMs(res.headers) ?? DEFAULT_RATE_LIMIT_WAIT_MS
    const lock = error.code === 'lock_timeout'
    return make(
      'rate_limited',
      lock ? `Stripe is busy with this object: ${said}` : `Stripe rate limit reached: ${said}`,
      [
        lock
          ? {
              title: 'Avoid concurrent changes',
              detail: 'Another request is changing the same object; retry after it finishes.',
            }
          : {
              title: 'Slow down',
              detail:
                'Stripe allows about 100 requests a second in live mode and 25 in test mode. Retry with backoff.',
            },
      ],
      { retryAfterMs: wait },
    )
  }
  if (error.type === 'idempotency_error' || res.status === 409) {
    return make('conflict', `Stripe refused the idempotency key: ${said}`, [
      {
        title: 'Use a new idempotency key',
        detail:
          'An idempotency key can only be reused with the same parameters within 24 hours. Pass a different idempotencyKey for a different request, or wait for the first request with this key to finish.',
      },
    ])
  }
  if (error.type === 'card_error' || res.status === 402) {
    const codes = [
      error.code,
      error.decline_code === undefined ? undefined : `decline code ${error.decline_code}`,
    ]
      .filter((part) => part !== undefined)
      .join(', ')
    const advice =
      (error.decline_code === undefined ? undefined : declineAdvice[error.decline_code]) ??
      'The payment was declined: ask the customer for another payment method. See https://docs.stripe.com/declines/codes for the codes.'
    return make(
      'validation_error',
      `Stripe declined the payment: ${said}${codes === '' ? '' : ` (${codes})`}`,
      [
        {
          title:
            error.decline_code === undefined
              ? 'Use another payment method'
              : `Declined: ${error.decline_code}`,
          detail: advice,
        },
      ],
      { retryable: false },
    )
  }
  if (res.status === 403) {
    return make('permission_error', `Stripe refused the request: ${said}`, [
      {
        title: 'Grant the key the permission',
        detail:
          'Restricted keys (rk_…) need the resource set to Read or Write under Dashboard → Developers → API keys → Edit. A Connect platform may also lack access to the connected account.',
      },
    ])
  }
  if (res.status === 404 || error.code === 'resource_missing') {
    return make('not_found', `Stripe found nothing there: ${said}`, [
      {
        title: 'Check the ID and the mode',
        detail:
          'Objects created with a test key are invisible to a live key and the other way round; check the ID was copied whole and the credential is for the same mode and account.',
      },
    ])
  }
  if (error.code !== undefined && stateCodes.has(error.code)) {
    return make('conflict', `Stripe refused the request: ${said} (${error.code})`, [
      {
        title: 'Check the object first',
        detail: 'Retrieve the object to see its current state before trying again.',
      },
    ])
  }
  if (res.status === 400 || error.type === 'invalid_request_error') {
    const param = error.param === undefined ? '' : ` (parameter ${error.param})`
    return make('validation_error', `Stripe rejected the request: ${said}${param}`, [
      {
        title: error.param === undefined ? 'Fix the request' : `Fix ${error.param}`,
        detail: `Correct the value Stripe named and try again${error.doc_url === undefined ? '' : `; see ${error.doc_url}`}.`,
      },
    ])
  }
  return make(classifyHttpStatus(res.status, res.headers), `Stripe answered ${res.status}: ${said}`, [
    { title: 'Try again later', detail: 'Stripe had a problem of its own; see https://status.stripe.com.' },
  ])
}
