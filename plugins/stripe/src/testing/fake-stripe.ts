/**
 * A stand-in for Stripe's API on 127.0.0.1, for this tool's tests. It behaves like Stripe where the
 * tool depends on it: form-encoded bodies with bracket syntax, bearer (or basic) secret keys, a
 * restricted key that gets 403, idempotency keys that replay the first answer and refuse other
 * parameters, list pagination with `limit`/`starting_after`/`has_more`, Stripe's error bodies, and
 * `Request-Id` headers.
 */
import type { ServerResponse } from 'node:http'
import { startUpstream } from '@toolplane/sdk/testing'
import type { RecordedRequest } from '@toolplane/sdk/testing'

export const SECRET_KEY = 'sk_test_51FakeKeyForToolplaneTests'
/** May read customers, nothing else. */
export const RESTRICTED_KEY = 'rk_test_51FakeRestrictedKeyReadCustomers'

type Json = Record<string, unknown>

/** A decoded request: the form or query pairs exactly as sent, and the same parsed into objects. */
export interface StripeCall {
  method: string
  path: string
  pairs: [string, string][]
  params: Json
  headers: RecordedRequest['headers']
}

export interface FakeStripe {
  url: string
  requests: RecordedRequest[]
  calls(): StripeCall[]
  /** The next request gets this answer. */
  failNext(status: number, body: Json, headers?: Record<string, string>): void
  reset(): void
  close(): Promise<void>
}

/** Parses `a[b][c]=1&list[]=x&items[0][price]=p` into nested objects and arrays, as Stripe does. */
export function parseBrackets(pairs: readonly [string, string][]): Json {
  const root: Json = {}
  for (const [key, value] of pairs) assign(root, key.replace(/\]/g, '').split('['), value)
  return root
}

type Container = Record<string, unknown> | unknown[]

function assign(node: Container, segments: readonly string[], value: string): void {
  const [segment = '', ...rest] = segments
  const slot = Array.isArray(node) ? (segment === '' ? node.length : Number(segment)) : segment
  const slots = node as Record<string | number, unknown>
  if (rest.length === 0) {
    slots[slot] = value
    return
  }
  const next = rest[0] ?? ''
  slots[slot] ??= next === '' || /^\d+$/.test(next) ? [] : {}
  assign(slots[slot] as Container, rest, value)
}

let counter = 0
const nextId = (prefix: string): string => {
  counter += 1
  return `${prefix}_Fake${String(counter).padStart(6, '0')}`
}

const CREATED_BASE = 1712345678

function seedCustomers(): Json[] {
  // 130 customers, so a listing needs two pages of Stripe's 100; newest first.
  return Array.from({ length: 130 }, (_, index) => {
    const number = 130 - index
    return {
      id: `cus_seed${String(number).padStart(3, '0')}`,
      object: 'customer',
      email: number === 1 ? 'ada@example.com' : `customer${number}@example.com`,
      name: number === 1 ? 'Ada Lovelace' : `Customer ${number}`,
      phone: null,
      description: null,
      balance: 0,
      currency: number === 1 ? 'usd' : null,
      delinquent: false,
      invoice_settings: { default_payment_method: number === 1 ? 'pm_1FakeCard' : null },
      created: CREATED_BASE + number * 60,
      livemode: false,
      metadata: number === 1 ? { user_id: '6735' } : {},
    }
  })
}

function seedPaymentIntents(): Json[] {
  return [
    {
      id: 'pi_seedpaid',
      object: 'payment_intent',
      status: 'succeeded',
      amount: 1999,
      amount_received: 1999,
      amount_capturable: 0,
      currency: 'usd',
      customer: 'cus_seed001',
      description: 'Order #6735',
      payment_method: 'pm_1FakeCard',
      latest_charge: 'ch_seedpaid',
      capture_method: 'automatic',
      receipt_email: 'ada@example.com',
      client_secret: 'pi_seedpaid_secret_abc',
      cancellation_reason: null,
      last_payment_error: null,
      created: CREATED_BASE + 1000,
      livemode: false,
      metadata: { order_id: '6735' },
    },
  ]
}

function seedCharges(): Json[] {
  const charge = (id: string, created: number, extra: Json): Json => ({
    id,
    object: 'charge',
    status: 'succeeded',
    amount: 1999,
    amount_captured: 1999,
    amount_refunded: 0,
    currency: 'usd',
    paid: true,
    captured: true,
    refunded: false,
    disputed: false,
    customer: 'cus_seed001',
    payment_intent: null,
    description: null,
    failure_code: null,
    failure_message: null,
    payment_method_details: { type: 'card', card: { brand: 'visa', last4: '4242' } },
    receipt_url: `https://pay.stripe.com/receipts/${id}`,
    created,
    livemode: false,
    metadata: {},
    ...extra,
  })
  return [
    charge('ch_seedpaid', CREATED_BASE + 1005, { payment_intent: 'pi_seedpaid', description: 'Order #6735' }),
    charge('ch_seedfailed', CREATED_BASE + 900, {
      status: 'failed',
      paid: false,
      captured: false,
      amount_captured: 0,
      failure_code: 'card_declined',
      failure_message: 'Your card has insufficient funds.',
    }),
    charge('ch_seedother', CREATED_BASE + 800, { customer: 'cus_seed002' }),
  ]
}

function error(status: number, body: Json): { status: number; body: Json } {
  return { status, body: { error: body } }
}

const missing = (kind: string, id: string, param = 'id') =>
  error(kind === 'customer' && param !== 'id' ? 400 : 404, {
    code: 'resource_missing',
    doc_url: 'https://stripe.com/docs/error-codes/resource-missing',
    message: `No such ${kind}: '${id}'`,
    param,
    type: 'invalid_request_error',
  })

function page(items: readonly Json[], params: Json): { status: number; body: Json } {
  const limit = params.limit === undefined ? 10 : Number(params.limit)
  if (!(limit >= 1 && limit <= 100)) {
    return error(400, {
      message: 'Invalid integer: must be at most 100',
      param: 'limit',
      type: 'invalid_request_error',
    })
  }
  let start = 0
  if (typeof params.starting_after === 'string') {
    const index = items.findIndex((item) => item.id === params.starting_after)
    if (index === -1) return missing('object', params.starting_after, 'starting_after')
    start = index + 1
  }
  const data = items.slice(start, start + limit)
  return { status: 200, body: { object: 'list', data, has_more: start + limit < items.length, url: '' } }
}

function createdFilter(items: readonly Json[], params: Json): Json[] {
  const created = params.created as { gte?: string } | undefined
  const gte = created?.gte === undefined ? -Infinity : Number(created.gte)
  return items.filter((item) => (item.created as number) >= gte)
}

/** Starts the fake Stripe. */
export async function startFakeStripe(): Promise<FakeStripe> {
  let customers = seedCustomers()
  let paymentIntents = seedPaymentIntents()
  let charges = seedCharges()
  let refunds: Json[] = []
  let idempotency = new Map<string, { fingerprint: string; status: number; body: Json }>()
  let clock = CREATED_BASE + 100_000
  let requestCount = 0
  const failures: { status: number; body: Json; headers: Record<string, string> }[] = []

  const decode = (request: RecordedRequest): StripeCall => {
    const url = new URL(request.url, 'http://localhost')
    const form = request.method === 'GET' ? url.searchParams : new URLSearchParams(request.body)
    const pairs = [...form.entries()]
    return {
      method: request.method,
      path: url.pathname,
      pairs,
      params: parseBrackets(pairs),
      headers: request.headers,
    }
  }

  const route = (call: StripeCall, key: string): { status: number; body: Json } => {
    const { method, path, params } = call
    if (key === RESTRICTED_KEY && !(method === 'GET' && path.startsWith('/v1/customers'))) {
      return error(403, {
        message: `The provided key 'rk_test_********************omers' does not have the required permissions for this endpoint on account 'acct_1Fake'. Having the 'rak_${path.split('/')[2] ?? ''}_write' permission would allow this request to continue.`,
        type: 'invalid_request_error',
      })
    }
    const [, , resource, id] = path.split('/')
    clock += 1
    switch (`${method} ${resource ?? ''}${id === undefined ? '' : '/:id'}`) {
      case 'POST customers': {
        const customer = {
          id: nextId('cus'),
          object: 'customer',
          email: params.email ?? null,
          name: params.name ?? null,
          phone: params.phone ?? null,
          description: params.description ?? null,
          balance: 0,
          currency: null,
          delinquent: false,
          invoice_settings: { default_payment_method: null },
          created: clock,
          livemode: false,
          metadata: params.metadata ?? {},
        }
        customers.unshift(customer)
        return { status: 200, body: customer }
      }
      case 'GET customers/:id': {
        if (id === 'cus_deleted1') return { status: 200, body: { id, object: 'customer', deleted: true } }
        const customer = customers.find((item) => item.id === id)
        return customer === undefined ? missing('customer', id ?? '') : { status: 200, body: customer }
      }
      case 'GET customers': {
        const matching = createdFilter(customers, params).filter(
          (item) => params.email === undefined || item.email === params.email,
        )
        return page(matching, params)
      }
      case 'POST payment_intents': {
        const amount = Number(params.amount)
        if (!(amount >= 50)) {
          return error(400, {
            code: 'amount_too_small',
            message: 'Amount must be at least $0.50 usd',
            param: 'amount',
            type: 'invalid_request_error',
          })
        }
        if (typeof params.customer === 'string' && !customers.some((item) => item.id === params.customer)) {
          return missing('customer', params.customer, 'customer')
        }
        const intentId = nextId('pi')
        const intent = {
          id: intentId,
          object: 'payment_intent',
          status: 'requires_payment_method',
          amount,
          amount_received: 0,
          amount_capturable: 0,
          currency: params.currency,
          customer: params.customer ?? null,
          description: params.description ?? null,
          payment_method: null,
          latest_charge: null,
          capture_method: params.capture_method ?? 'automatic_async',
          receipt_email: params.receipt_email ?? null,
          client_secret: `${intentId}_secret_FakeSecret`,
          cancellation_reason: null,
          last_payment_error: null,
          created: clock,
          livemode: false,
          metadata: params.metadata ?? {},
        }
        paymentIntents.unshift(intent)
        return { status: 200, body: intent }
      }
      case 'GET payment_intents/:id': {
        const intent = paymentIntents.find((item) => item.id === id)
        return intent === undefined ? missing('payment_intent', id ?? '') : { status: 200, body: intent }
      }
      case 'POST refunds': {
        const intent = paymentIntents.find((item) => item.id === params.payment_intent)
        const charge = charges.find(
          (item) => item.id === (intent === undefined ? params.charge : intent.latest_charge),
        )
        if (charge === undefined) {
          const given = typeof params.payment_intent === 'string' ? params.payment_intent : params.charge
          return missing(
            params.payment_intent === undefined ? 'charge' : 'payment_intent',
            String(given),
            params.payment_intent === undefined ? 'charge' : 'payment_intent',
          )
        }
        const left = (charge.amount as number) - (charge.amount_refunded as number)
        if (left === 0) {
          return error(400, {
            code: 'charge_already_refunded',
            message: `Charge ${String(charge.id)} has already been refunded.`,
            type: 'invalid_request_error',
          })
        }
        const amount = params.amount === undefined ? left : Number(params.amount)
        if (amount > left) {
          return error(400, {
            code: 'amount_too_large',
            message: `Refund amount ($${amount / 100}) is greater than unrefunded amount on charge ($${left / 100})`,
            param: 'amount',
            type: 'invalid_request_error',
          })
        }
        charge.amount_refunded = (charge.amount_refunded as number) + amount
        charge.refunded = charge.amount_refunded === charge.amount
        const refund = {
          id: nextId('re'),
          object: 'refund',
          status: 'succeeded',
          amount,
          currency: charge.currency,
          charge: charge.id,
          payment_intent: charge.payment_intent,
          reason: params.reason ?? null,
          created: clock,
          metadata: params.metadata ?? {},
        }
        refunds.push(refund)
        return { status: 200, body: refund }
      }
      case 'GET charges': {
        const matching = createdFilter(charges, params).filter(
          (item) =>
            (params.customer === undefined || item.customer === params.customer) &&
            (params.payment_intent === undefined || item.payment_intent === params.payment_intent),
        )
        return page(matching, params)
      }
      case 'GET balance':
        return {
          status: 200,
          body: {
            object: 'balance',
            livemode: false,
            available: [{ amount: 666670, currency: 'usd', source_types: { card: 666670 } }],
            pending: [{ amount: 61414, currency: 'usd', source_types: { card: 61414 } }],
            connect_reserved: [{ amount: 0, currency: 'usd' }],
          },
        }
      default:
        return error(404, {
          message: `Unrecognized request URL (${method}: ${path}).`,
          type: 'invalid_request_error',
        })
    }
  }

  const answer = (request: RecordedRequest, response: ServerResponse): void => {
    requestCount += 1
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'request-id': `req_Fake${String(requestCount).padStart(4, '0')}`,
    }
    const send = (status: number, body: Json, extra: Record<string, string> = {}): void => {
      response.writeHead(status, { ...headers, ...extra })
      response.end(JSON.stringify(body))
    }
    const key = keyOf(request.headers.authorization)
    if (key === undefined) {
      send(401, {
        error: {
          message:
            "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
          type: 'invalid_request_error',
        },
      })
      return
    }
    if (key !== SECRET_KEY && key !== RESTRICTED_KEY) {
      send(
        401,
        {
          error: {
            message: `Invalid API Key provided: ${key.slice(0, 8)}****${key.slice(-4)}`,
            type: 'invalid_request_error',
          },
        },
        { 'www-authenticate': 'Basic realm="Stripe"' },
      )
      return
    }
    const failure = failures.shift()
    if (failure !== undefined) {
      send(failure.status, failure.body, failure.headers)
      return
    }
    if (
      request.method === 'POST' &&
      request.headers['content-type'] !== 'application/x-www-form-urlencoded'
    ) {
      send(400, {
        error: { message: 'Invalid request: unsupported Content-Type', type: 'invalid_request_error' },
      })
      return
    }
    const call = decode(request)
    const idempotencyKey = request.headers['idempotency-key']
    const fingerprint = `${call.method} ${call.path} ${request.body}`
    if (request.method === 'POST' && typeof idempotencyKey === 'string') {
      const earlier = idempotency.get(idempotencyKey)
      if (earlier !== undefined && earlier.fingerprint !== fingerprint) {
        send(400, {
          error: {
            message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${idempotencyKey}' if you meant to execute a different request.`,
            type: 'idempotency_error',
          },
        })
        return
      }
      if (earlier !== undefined) {
        send(earlier.status, earlier.body, { 'idempotent-replayed': 'true', 'original-request': 'req_Fake' })
        return
      }
    }
    const { status, body } = route(call, key)
    if (request.method === 'POST' && typeof idempotencyKey === 'string' && status < 400) {
      idempotency.set(idempotencyKey, { fingerprint, status, body })
    }
    send(status, body)
  }

  const upstream = await startUpstream(answer)
  return {
    url: upstream.url,
    requests: upstream.requests,
    calls: () => upstream.requests.map(decode),
    failNext(status, body, headers = {}) {
      failures.push({ status, body, headers })
    },
    reset() {
      upstream.requests.length = 0
      customers = seedCustomers()
      paymentIntents = seedPaymentIntents()
      charges = seedCharges()
      refunds = []
      idempotency = new Map()
      failures.length = 0
      requestCount = 0
    },
    close: () => upstream.close(),
  }
}

// Stripe takes the key as a bearer token or as the basic-auth user name.
function keyOf(authorization: string | undefined): string | undefined {
  if (authorization === undefined) return undefined
  if (authorization.startsWith('Bearer ')) return authorization.slice('Bearer '.length)
  if (authorization.startsWith('Basic ')) {
    return Buffer.from(authorization.slice('Basic '.length), 'base64').toString('utf8').replace(/:.*$/, '')
  }
  return undefined
}
