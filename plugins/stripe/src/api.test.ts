import { createHttpClient } from '@toolplane/sdk'
import type { ActionError } from '@toolplane/sdk'
import { startUpstream } from '@toolplane/sdk/testing'
import type { Upstream } from '@toolplane/sdk/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_RATE_LIMIT_WAIT_MS, MAX_PAGES, idempotencyKeyFor, listAll, stripeGet } from './api.js'

let next: { status: number; body: unknown; headers?: Record<string, string>; anonymous?: boolean } = {
  status: 200,
  body: {},
}
let upstream: Upstream
beforeAll(async () => {
  upstream = await startUpstream((_request, response) => {
    const requestId = next.anonymous === true ? {} : { 'request-id': 'req_123' }
    response.writeHead(next.status, { 'content-type': 'application/json', ...requestId, ...next.headers })
    response.end(typeof next.body === 'string' ? next.body : JSON.stringify(next.body))
  })
})
afterAll(() => upstream.close())

const http = () => createHttpClient({ baseUrl: upstream.url, allowPrivateNetwork: true })
const failure = async (
  status: number,
  error: Record<string, unknown> | string,
  headers?: Record<string, string>,
) => {
  next = {
    status,
    body: typeof error === 'string' ? error : { error },
    ...(headers === undefined ? {} : { headers }),
  }
  return (await stripeGet(http(), '/v1/anything').catch((e: unknown) => e)) as ActionError
}

describe('idempotencyKeyFor', () => {
  it("uses the caller's key as it is", () => {
    expect(idempotencyKeyFor('create_refund', 'order-6735-refund', { amount: 500 })).toBe('order-6735-refund')
  })

  it('derives the same key for the same parameters in any order, and another for other parameters', () => {
    const key = idempotencyKeyFor('create_customer', undefined, {
      email: 'a@example.com',
      metadata: { a: '1', b: '2' },
    })
    expect(key).toMatch(/^toolplane-create_customer-[0-9a-f]{40}$/)
    expect(
      idempotencyKeyFor('create_customer', undefined, {
        metadata: { b: '2', a: '1' },
        email: 'a@example.com',
      }),
    ).toBe(key)
    expect(idempotencyKeyFor('create_customer', undefined, { email: 'b@example.com' })).not.toBe(key)
    expect(
      idempotencyKeyFor('create_refund', undefined, { email: 'a@example.com', metadata: { a: '1', b: '2' } }),
    ).not.toBe(key)
    expect(idempotencyKeyFor('x', undefined, { list: ['a', 'b'], gone: undefined })).toBe(
      idempotencyKeyFor('x', undefined, { list: ['a', 'b'] }),
    )
  })
})

describe('Stripe errors', () => {
  it('puts the decline code of a card error in the suggestion', async () => {
    const error = await failure(402, {
      type: 'card_error',
      code: 'card_declined',
      decline_code: 'insufficient_funds',
      message: 'Your card has insufficient funds.',
    })
    expect(error).toMatchObject({
      class: 'validation_error',
      retryable: false,
      httpStatus: 402,
      message:
        'Stripe declined the payment: Your card has insufficient funds. (card_declined, decline code insufficient_funds) (request req_123)',
    })
    expect(error.suggestions[0]).toEqual({
      title: 'Declined: insufficient_funds',
      detail: 'The card has insufficient funds: ask the customer to use another payment method.',
    })
  })

  it('gives general advice for a decline without a known code', async () => {
    const error = await failure(402, { type: 'card_error', message: 'Declined.' })
    expect(error.message).toBe('Stripe declined the payment: Declined. (request req_123)')
    expect(error.suggestions[0]?.title).toBe('Use another payment method')
    const unknown = await failure(402, {
      type: 'card_error',
      code: 'card_declined',
      decline_code: 'new_code',
      message: 'x',
    })
    expect(unknown.suggestions[0]?.detail).toContain('docs.stripe.com/declines/codes')
  })

  it('says a 409 is a conflict, retryable when Stripe says the key is still in use', async () => {
    expect(
      await failure(
        409,
        {
          type: 'invalid_request_error',
          code: 'idempotency_key_in_use',
          message: 'There is currently another in-progress request using this idempotent key.',
        },
        { 'stripe-should-retry': 'true' },
      ),
    ).toMatchObject({ class: 'conflict', retryable: true })
  })

  it('says an object in the wrong state is a conflict', async () => {
    expect(
      await failure(400, {
        type: 'invalid_request_error',
        code: 'payment_intent_unexpected_state',
        message:
          'This PaymentIntent could not be captured because it has a status of requires_payment_method.',
      }),
    ).toMatchObject({
      class: 'conflict',
      message: expect.stringContaining('(payment_intent_unexpected_state)') as unknown,
    })
  })

  it('explains a lock timeout as a busy object, worth retrying', async () => {
    const error = await failure(429, {
      type: 'invalid_request_error',
      code: 'lock_timeout',
      message: 'This object cannot be accessed right now.',
    })
    expect(error).toMatchObject({
      class: 'rate_limited',
      retryable: true,
      retryAfterMs: DEFAULT_RATE_LIMIT_WAIT_MS,
    })
    expect(error.suggestions[0]?.title).toBe('Avoid concurrent changes')
  })

  it('honours Retry-After on a 429 when Stripe sends one', async () => {
    expect(
      await failure(
        429,
        { type: 'invalid_request_error', code: 'rate_limit', message: 'Too many' },
        { 'retry-after': '3' },
      ),
    ).toMatchObject({
      retryAfterMs: 3000,
    })
  })

  it('names the parameter Stripe rejected, and its documentation', async () => {
    const error = await failure(400, {
      type: 'invalid_request_error',
      code: 'parameter_unknown',
      param: 'colour',
      message: 'Received unknown parameter: colour',
      doc_url: 'https://stripe.com/docs/error-codes/parameter-unknown',
    })
    expect(error).toMatchObject({
      class: 'validation_error',
      message:
        'Stripe rejected the request: Received unknown parameter: colour (parameter colour) (request req_123)',
    })
    expect(error.suggestions[0]).toEqual({
      title: 'Fix colour',
      detail:
        'Correct the value Stripe named and try again; see https://stripe.com/docs/error-codes/parameter-unknown.',
    })
    const general = await failure(400, { type: 'invalid_request_error', message: 'Bad' })
    expect(general.suggestions[0]?.title).toBe('Fix the request')
  })

  it('lets Stripe-Should-Retry decide whether a server error is worth retrying', async () => {
    expect(
      await failure(
        500,
        { type: 'api_error', message: 'Something went wrong' },
        { 'stripe-should-retry': 'true' },
      ),
    ).toMatchObject({
      class: 'upstream_error',
      retryable: true,
    })
    expect(await failure(500, { type: 'api_error', message: 'Something went wrong' })).toMatchObject({
      retryable: false,
    })
  })

  it('treats a gateway error without a Stripe body as Stripe being unavailable', async () => {
    next = {
      status: 503,
      body: '<html>unavailable</html>',
      headers: { 'content-type': 'text/html' },
      anonymous: true,
    }
    await expect(stripeGet(http(), '/v1/balance')).rejects.toMatchObject({
      class: 'upstream_unavailable',
      message: 'Stripe answered 503: HTTP 503',
    })
  })
})

describe('listAll', () => {
  it('stops after a bounded number of pages', async () => {
    next = { status: 200, body: { object: 'list', data: [{ id: 'cus_1' }], has_more: true } }
    const result = await listAll(
      http(),
      '/v1/customers',
      {},
      1000,
      undefined,
      (raw: { id: string }) => raw.id,
    )
    expect(result.items).toHaveLength(MAX_PAGES)
    expect(result).toMatchObject({ hasMore: true, nextCursor: 'cus_1' })
  })

  it('ends on an empty page even if Stripe says there is more', async () => {
    next = { status: 200, body: { object: 'list', data: [], has_more: true } }
    expect(await listAll(http(), '/v1/customers', {}, 10, 'cus_x', (raw: { id: string }) => raw.id)).toEqual({
      items: [],
      hasMore: false,
      nextCursor: null,
    })
  })
})
