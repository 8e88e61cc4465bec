import { runAction } from '@toolplane/sdk'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { STRIPE_API_VERSION } from '../api.js'
import stripe from '../index.js'
import { RESTRICTED_KEY, SECRET_KEY, startFakeStripe } from '../testing/fake-stripe.js'
import type { FakeStripe } from '../testing/fake-stripe.js'

let fake: FakeStripe
beforeAll(async () => {
  fake = await startFakeStripe()
})
afterAll(() => fake.close())
beforeEach(() => {
  fake.reset()
})

type ActionName = (typeof stripe.actions)[number]['name']
const run = <N extends ActionName>(action: N, input: unknown, token = SECRET_KEY) =>
  runAction(stripe, action, {
    input,
    credential: { authMethod: 'bearer', secrets: { token } },
    baseUrl: fake.url,
    allowPrivateNetwork: true,
  })

describe('create_customer', () => {
  it('posts a form with bracketed metadata, the key, the API version and an idempotency key', async () => {
    const { output } = await run('create_customer', {
      email: 'grace@example.com',
      name: 'Grace Hopper',
      metadata: { user_id: '7001' },
      idempotencyKey: 'signup-7001',
    })
    const [call] = fake.calls()
    expect(call).toMatchObject({ method: 'POST', path: '/v1/customers' })
    expect(call?.pairs).toEqual([
      ['email', 'grace@example.com'],
      ['name', 'Grace Hopper'],
      ['metadata[user_id]', '7001'],
    ])
    expect(call?.headers).toMatchObject({
      authorization: `Bearer ${SECRET_KEY}`,
      'content-type': 'application/x-www-form-urlencoded',
      'idempotency-key': 'signup-7001',
      'stripe-version': STRIPE_API_VERSION,
    })
    expect(output).toEqual({
      id: expect.stringMatching(/^cus_/) as unknown,
      email: 'grace@example.com',
      name: 'Grace Hopper',
      phone: null,
      description: null,
      balance: 0,
      currency: null,
      delinquent: false,
      defaultPaymentMethod: null,
      createdAt: expect.stringMatching(/^2024-04-/) as unknown,
      livemode: false,
      metadata: { user_id: '7001' },
    })
  })

  it('creates one customer when the same call is repeated, as an engine retry would', async () => {
    const input = { email: 'grace@example.com', name: 'Grace Hopper' }
    const first = await run('create_customer', input)
    const second = await run('create_customer', input)
    expect(second.output.id).toBe(first.output.id)
    const keys = fake.calls().map((call) => call.headers['idempotency-key'])
    expect(keys[0]).toMatch(/^toolplane-create_customer-/)
    expect(keys[1]).toBe(keys[0])
  })

  it('creates two customers with the same details when the caller gives two keys', async () => {
    const input = { email: 'grace@example.com' }
    const first = await run('create_customer', { ...input, idempotencyKey: 'a' })
    const second = await run('create_customer', { ...input, idempotencyKey: 'b' })
    expect(second.output.id).not.toBe(first.output.id)
  })

  it('is a conflict to reuse a key for other parameters', async () => {
    await run('create_customer', { email: 'grace@example.com', idempotencyKey: 'signup-7001' })
    await expect(
      run('create_customer', { email: 'someone.else@example.com', idempotencyKey: 'signup-7001' }),
    ).rejects.toMatchObject({ class: 'conflict', httpStatus: 400, retryable: false })
  })

  it('rejects a wrong key as an auth error without repeating the key', async () => {
    const error = await run(
      'create_customer',
      { email: 'grace@example.com' },
      'sk_test_wrongwrongwrong1234',
    ).catch((e: unknown) => e)
    expect(error).toMatchObject({ class: 'auth_error', httpStatus: 401 })
    expect((error as Error).message).not.toContain('1234')
  })

  it('refuses a publishable key before calling Stripe', async () => {
    await expect(
      run('create_customer', { email: 'grace@example.com' }, 'pk_test_51abc'),
    ).rejects.toMatchObject({
      class: 'auth_error',
      requestSent: false,
    })
    expect(fake.requests).toHaveLength(0)
  })

  it('says a restricted key without write access lacks the permission', async () => {
    await expect(
      run('create_customer', { email: 'grace@example.com' }, RESTRICTED_KEY),
    ).rejects.toMatchObject({
      class: 'permission_error',
      httpStatus: 403,
    })
  })
})

describe('get_customer', () => {
  it('reads a customer by ID', async () => {
    const { output } = await run('get_customer', { customerId: 'cus_seed001' })
    expect(fake.calls()[0]).toMatchObject({ method: 'GET', path: '/v1/customers/cus_seed001', pairs: [] })
    expect(output).toMatchObject({
      id: 'cus_seed001',
      email: 'ada@example.com',
      currency: 'usd',
      defaultPaymentMethod: 'pm_1FakeCard',
      metadata: { user_id: '6735' },
    })
  })

  it('says a customer that does not exist is not found, hinting at test and live mode', async () => {
    const error = await run('get_customer', { customerId: 'cus_nope' }).catch((e: unknown) => e)
    expect(error).toMatchObject({
      class: 'not_found',
      httpStatus: 404,
      message: "Stripe found nothing there: No such customer: 'cus_nope' (request req_Fake0001)",
    })
    expect(JSON.stringify(error)).toContain('test key')
  })

  it('fills in what a sparse customer record lacks', async () => {
    fake.failNext(200, { id: 'cus_sparse', object: 'customer', created: 1712345678, livemode: false })
    expect((await run('get_customer', { customerId: 'cus_sparse' })).output).toEqual({
      id: 'cus_sparse',
      email: null,
      name: null,
      phone: null,
      description: null,
      balance: 0,
      currency: null,
      delinquent: null,
      defaultPaymentMethod: null,
      createdAt: '2024-04-05T19:34:38.000Z',
      livemode: false,
      metadata: {},
    })
  })

  it('says a deleted customer is not found', async () => {
    await expect(run('get_customer', { customerId: 'cus_deleted1' })).rejects.toMatchObject({
      class: 'not_found',
      message: 'Stripe customer cus_deleted1 was deleted',
    })
  })
})

describe('list_customers', () => {
  it('walks two pages of 100 and returns where to continue', async () => {
    const { output } = await run('list_customers', { limit: 120 })
    expect(output.customers).toHaveLength(120)
    expect(output.customers[0]?.id).toBe('cus_seed130')
    expect(output).toMatchObject({ hasMore: true, nextCursor: 'cus_seed011' })
    expect(fake.calls().map((call) => call.pairs)).toEqual([
      [['limit', '100']],
      [
        ['limit', '20'],
        ['starting_after', 'cus_seed031'],
      ],
    ])

    const rest = await run('list_customers', { limit: 50, startingAfter: output.nextCursor })
    expect(rest.output.customers.map((customer) => customer.id)).toEqual(
      Array.from({ length: 10 }, (_, index) => `cus_seed${String(10 - index).padStart(3, '0')}`),
    )
    expect(rest.output).toMatchObject({ hasMore: false, nextCursor: null })
  })

  it("filters by email and creation date with Stripe's bracket syntax in the query", async () => {
    const { output } = await run('list_customers', {
      email: 'ada@example.com',
      createdAfter: '2024-04-05T19:00:00Z',
    })
    expect(fake.calls()[0]?.pairs).toEqual([
      ['email', 'ada@example.com'],
      ['created[gte]', '1712343600'],
      ['limit', '10'],
    ])
    expect(output.customers.map((customer) => customer.id)).toEqual(['cus_seed001'])
  })

  it('is rate limited with a default wait when Stripe sends a 429 without Retry-After', async () => {
    fake.failNext(429, {
      error: {
        code: 'rate_limit',
        message:
          'Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits.',
        type: 'invalid_request_error',
      },
    })
    await expect(run('list_customers', {})).rejects.toMatchObject({
      class: 'rate_limited',
      httpStatus: 429,
      retryAfterMs: 1000,
      retryable: true,
    })
  })
})
