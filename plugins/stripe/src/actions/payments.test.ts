import { runAction } from '@toolplane/sdk'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import stripe from '../index.js'
import { SECRET_KEY, startFakeStripe } from '../testing/fake-stripe.js'
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
const run = <N extends ActionName>(action: N, input: unknown) =>
  runAction(stripe, action, {
    input,
    credential: { authMethod: 'bearer', secrets: { token: SECRET_KEY } },
    baseUrl: fake.url,
    allowPrivateNetwork: true,
  })

describe('create_payment_intent', () => {
  it('creates a payment intent in minor units with metadata and automatic payment methods', async () => {
    const { output } = await run('create_payment_intent', {
      amount: 1999,
      currency: 'USD',
      customer: 'cus_seed001',
      description: 'Order #6735',
      metadata: { order_id: '6735' },
      idempotencyKey: 'order-6735-payment',
    })
    const [call] = fake.calls()
    expect(call).toMatchObject({ method: 'POST', path: '/v1/payment_intents' })
    expect(call?.headers['idempotency-key']).toBe('order-6735-payment')
    expect(call?.pairs).toEqual([
      ['amount', '1999'],
      ['currency', 'usd'],
      ['customer', 'cus_seed001'],
      ['description', 'Order #6735'],
      ['automatic_payment_methods[enabled]', 'true'],
      ['metadata[order_id]', '6735'],
    ])
    expect(output).toMatchObject({
      status: 'requires_payment_method',
      amount: 1999,
      amountReceived: 0,
      currency: 'usd',
      customer: 'cus_seed001',
      latestCharge: null,
      lastPaymentError: null,
      metadata: { order_id: '6735' },
    })
    expect(output.clientSecret).toBe(`${output.id}_secret_FakeSecret`)
  })

  it('sends explicit payment method types and manual capture instead of automatic methods', async () => {
    await run('create_payment_intent', {
      amount: 5000,
      currency: 'eur',
      paymentMethodTypes: ['card', 'sepa_debit'],
      captureMethod: 'manual',
      receiptEmail: 'ada@example.com',
    })
    expect(fake.calls()[0]?.pairs).toEqual([
      ['amount', '5000'],
      ['currency', 'eur'],
      ['receipt_email', 'ada@example.com'],
      ['capture_method', 'manual'],
      ['payment_method_types[]', 'card'],
      ['payment_method_types[]', 'sepa_debit'],
    ])
  })

  it('names the amount when Stripe finds it too small', async () => {
    await expect(run('create_payment_intent', { amount: 10, currency: 'usd' })).rejects.toMatchObject({
      class: 'validation_error',
      httpStatus: 400,
      message: expect.stringContaining('(parameter amount)') as unknown,
    })
  })

  it('says a customer that does not exist is not found', async () => {
    await expect(
      run('create_payment_intent', { amount: 1999, currency: 'usd', customer: 'cus_missing' }),
    ).rejects.toMatchObject({
      class: 'not_found',
      message: expect.stringContaining("No such customer: 'cus_missing'") as unknown,
    })
  })
})

describe('retrieve_payment_intent', () => {
  it('reads a payment intent with its latest charge', async () => {
    const { output } = await run('retrieve_payment_intent', { paymentIntentId: 'pi_seedpaid' })
    expect(fake.calls()[0]).toMatchObject({ method: 'GET', path: '/v1/payment_intents/pi_seedpaid' })
    expect(output).toMatchObject({
      id: 'pi_seedpaid',
      status: 'succeeded',
      amountReceived: 1999,
      latestCharge: 'ch_seedpaid',
      paymentMethod: 'pm_1FakeCard',
      receiptEmail: 'ada@example.com',
      createdAt: '2024-04-05T19:51:18.000Z',
    })
  })

  it('reads the reason of a failed attempt and expanded references as IDs', async () => {
    fake.failNext(200, {
      id: 'pi_failed',
      object: 'payment_intent',
      status: 'requires_payment_method',
      amount: 1999,
      currency: 'usd',
      customer: { id: 'cus_seed001', object: 'customer' },
      created: 1712345678,
      livemode: true,
      last_payment_error: {
        code: 'card_declined',
        decline_code: 'insufficient_funds',
        message: 'Your card has insufficient funds.',
      },
    })
    const { output } = await run('retrieve_payment_intent', { paymentIntentId: 'pi_failed' })
    expect(output).toMatchObject({
      customer: 'cus_seed001',
      amountReceived: 0,
      captureMethod: 'automatic',
      clientSecret: null,
      metadata: {},
      livemode: true,
      lastPaymentError: {
        code: 'card_declined',
        declineCode: 'insufficient_funds',
        message: 'Your card has insufficient funds.',
      },
    })
    fake.failNext(200, {
      id: 'pi_failed',
      status: 'requires_payment_method',
      amount: 1999,
      currency: 'usd',
      created: 1712345678,
      livemode: true,
      last_payment_error: {},
    })
    expect(
      (await run('retrieve_payment_intent', { paymentIntentId: 'pi_failed' })).output.lastPaymentError,
    ).toEqual({
      code: null,
      declineCode: null,
      message: null,
    })
  })

  it('says an unknown payment intent is not found', async () => {
    await expect(run('retrieve_payment_intent', { paymentIntentId: 'pi_nope' })).rejects.toMatchObject({
      class: 'not_found',
      httpStatus: 404,
    })
  })
})

describe('create_refund', () => {
  it('refunds part of a payment and then the rest, without refunding twice', async () => {
    const partial = await run('create_refund', {
      paymentIntent: 'pi_seedpaid',
      amount: 500,
      reason: 'requested_by_customer',
      metadata: { ticket: 'T-1' },
    })
    expect(fake.calls()[0]?.pairs).toEqual([
      ['payment_intent', 'pi_seedpaid'],
      ['amount', '500'],
      ['reason', 'requested_by_customer'],
      ['metadata[ticket]', 'T-1'],
    ])
    expect(partial.output).toMatchObject({
      status: 'succeeded',
      amount: 500,
      currency: 'usd',
      charge: 'ch_seedpaid',
      paymentIntent: 'pi_seedpaid',
      reason: 'requested_by_customer',
      failureReason: null,
      metadata: { ticket: 'T-1' },
    })
    const rest = await run('create_refund', { charge: 'ch_seedpaid' })
    expect(rest.output.amount).toBe(1499)
    await expect(
      run('create_refund', { charge: 'ch_seedpaid', idempotencyKey: 'third' }),
    ).rejects.toMatchObject({
      class: 'conflict',
      message: expect.stringContaining('charge_already_refunded') as unknown,
    })
  })

  it('reads a pending refund that Stripe has not finished', async () => {
    fake.failNext(200, {
      id: 're_pending',
      object: 'refund',
      amount: 100,
      currency: 'usd',
      created: 1712345678,
      metadata: null,
    })
    const { output } = await run('create_refund', { charge: 'ch_seedpaid', amount: 100 })
    expect(output).toEqual({
      id: 're_pending',
      status: null,
      amount: 100,
      currency: 'usd',
      charge: null,
      paymentIntent: null,
      reason: null,
      failureReason: null,
      createdAt: '2024-04-05T19:34:38.000Z',
      metadata: {},
    })
  })

  it('needs exactly one of payment intent and charge', async () => {
    await expect(run('create_refund', {})).rejects.toMatchObject({
      class: 'validation_error',
      requestSent: false,
    })
    await expect(
      run('create_refund', { paymentIntent: 'pi_seedpaid', charge: 'ch_seedpaid' }),
    ).rejects.toMatchObject({
      class: 'validation_error',
    })
    expect(fake.requests).toHaveLength(0)
  })

  it('names the amount when it is more than is left to refund', async () => {
    await expect(run('create_refund', { paymentIntent: 'pi_seedpaid', amount: 5000 })).rejects.toMatchObject({
      class: 'validation_error',
      message: expect.stringContaining('(parameter amount)') as unknown,
    })
  })
})

describe('list_charges', () => {
  it("lists a customer's charges with card details and failure reasons", async () => {
    const { output } = await run('list_charges', { customer: 'cus_seed001' })
    expect(fake.calls()[0]).toMatchObject({
      method: 'GET',
      path: '/v1/charges',
      pairs: [
        ['customer', 'cus_seed001'],
        ['limit', '10'],
      ],
    })
    expect(output.charges.map((charge) => [charge.id, charge.status, charge.failureCode])).toEqual([
      ['ch_seedpaid', 'succeeded', null],
      ['ch_seedfailed', 'failed', 'card_declined'],
    ])
    expect(output.charges[0]).toMatchObject({
      paymentIntent: 'pi_seedpaid',
      paymentMethodType: 'card',
      cardBrand: 'visa',
      cardLast4: '4242',
      receiptUrl: 'https://pay.stripe.com/receipts/ch_seedpaid',
    })
    expect(output).toMatchObject({ hasMore: false, nextCursor: null })
  })

  it('pages with startingAfter', async () => {
    const first = await run('list_charges', { limit: 2 })
    expect(first.output).toMatchObject({ hasMore: true, nextCursor: 'ch_seedfailed' })
    const second = await run('list_charges', { limit: 2, startingAfter: first.output.nextCursor })
    expect(second.output.charges.map((charge) => charge.id)).toEqual(['ch_seedother'])
    expect(second.output.hasMore).toBe(false)
  })

  it('filters by payment intent and date', async () => {
    const { output } = await run('list_charges', {
      paymentIntent: 'pi_seedpaid',
      createdAfter: '2024-04-05T19:00:00.000Z',
    })
    expect(fake.calls()[0]?.pairs).toEqual([
      ['payment_intent', 'pi_seedpaid'],
      ['created[gte]', '1712343600'],
      ['limit', '10'],
    ])
    expect(output.charges.map((charge) => charge.id)).toEqual(['ch_seedpaid'])
  })

  it('fills in what a sparse charge lacks', async () => {
    fake.failNext(200, {
      object: 'list',
      data: [
        { id: 'py_1', status: 'pending', amount: 100, currency: 'eur', created: 1712345678, livemode: false },
      ],
      has_more: false,
    })
    const { output } = await run('list_charges', {})
    expect(output.charges[0]).toMatchObject({
      amountCaptured: 0,
      amountRefunded: 0,
      paid: false,
      captured: false,
      refunded: false,
      disputed: false,
      customer: null,
      paymentMethodType: null,
      cardBrand: null,
      metadata: {},
    })
  })
})

describe('get_balance', () => {
  it('reads available and pending funds per currency', async () => {
    const { output } = await run('get_balance', {})
    expect(fake.calls()[0]).toMatchObject({ method: 'GET', path: '/v1/balance' })
    expect(output).toEqual({
      livemode: false,
      available: [{ amount: 666670, currency: 'usd' }],
      pending: [{ amount: 61414, currency: 'usd' }],
    })
  })

  it('reads a balance without pending funds as none', async () => {
    fake.failNext(200, { object: 'balance', livemode: true })
    expect((await run('get_balance', {})).output).toEqual({ livemode: true, available: [], pending: [] })
  })
})
