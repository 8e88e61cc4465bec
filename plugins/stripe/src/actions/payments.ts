/**
 * Payments: payment intents, the charges they produce, refunds, and the account balance.
 */
import { ActionError, Type, defineAction, urlPath } from '@toolplane/sdk'
import { idempotencyKeyFor, listAll, stripeGet, stripePost } from '../api.js'
import {
  Balance,
  Charge,
  Currency,
  IdempotencyKey,
  Metadata,
  PaymentIntent,
  Refund,
  amount,
  toBalance,
  toCharge,
  toPaymentIntent,
  toRefund,
} from '../shapes.js'
import type { RawBalance, RawPaymentIntent, RawRefund } from '../shapes.js'

const paymentIntentId = (description: string) =>
  Type.String({ pattern: '^pi_[A-Za-z0-9]+$', description, examples: ['pi_3MtwBwLkdIwHu7ix28a3tqPa'] })

const examplePaymentIntent: PaymentIntent = {
  id: 'pi_3MtwBwLkdIwHu7ix28a3tqPa',
  status: 'requires_payment_method',
  amount: 1999,
  amountReceived: 0,
  amountCapturable: 0,
  currency: 'usd',
  customer: 'cus_NffrFeUfNV2Hib',
  description: 'Order #6735',
  paymentMethod: null,
  latestCharge: null,
  captureMethod: 'automatic',
  receiptEmail: null,
  clientSecret: 'pi_3MtwBwLkdIwHu7ix28a3tqPa_secret_YrKJUKribcBjcG8HVhfZluoGH',
  cancellationReason: null,
  lastPaymentError: null,
  createdAt: '2024-04-05T19:34:38.000Z',
  livemode: false,
  metadata: { order_id: '6735' },
}

/** Creates a payment intent (`POST /v1/payment_intents`); the customer pays it in your front end. */
export const createPaymentIntent = defineAction({
  name: 'create_payment_intent',
  title: 'Create a payment intent',
  description:
    'Starts a payment with Stripe: creates a PaymentIntent for an amount in the smallest currency unit (1999 = $19.99; JPY has no decimals), optionally for a customer. It does not charge anyone by itself: hand clientSecret to your front end (Stripe.js / Payment Element) to collect and confirm the payment. Pass idempotencyKey (such as your order ID) so repeating the call never creates a second payment.',
  input: Type.Object({
    amount: amount(
      'In the smallest currency unit: 1999 is $19.99 in USD, ¥1999 in JPY (which has no decimals)',
    ),
    currency: Currency,
    customer: Type.Optional(
      Type.String({
        pattern: '^cus_[A-Za-z0-9]+$',
        description: 'The paying customer',
        examples: ['cus_NffrFeUfNV2Hib'],
      }),
    ),
    description: Type.Optional(
      Type.String({ maxLength: 1000, description: 'Shown in the Dashboard and receipts' }),
    ),
    receiptEmail: Type.Optional(
      Type.String({ format: 'email', description: 'Where Stripe sends the receipt' }),
    ),
    captureMethod: Type.Optional(
      Type.Union([Type.Literal('automatic'), Type.Literal('automatic_async'), Type.Literal('manual')], {
        description: 'manual: authorize now, capture later',
      }),
    ),
    paymentMethodTypes: Type.Optional(
      Type.Array(Type.String({ minLength: 1, examples: ['card'] }), {
        minItems: 1,
        uniqueItems: true,
        description:
          'Limit the payment methods (card, sepa_debit…); leave out to use the ones enabled in the Dashboard',
      }),
    ),
    metadata: Type.Optional(Metadata),
    idempotencyKey: Type.Optional(IdempotencyKey),
  }),
  output: PaymentIntent,
  examples: [
    {
      title: 'Charge $19.99 for an order',
      input: {
        amount: 1999,
        currency: 'usd',
        customer: 'cus_NffrFeUfNV2Hib',
        description: 'Order #6735',
        metadata: { order_id: '6735' },
        idempotencyKey: 'order-6735-payment',
      },
      output: examplePaymentIntent,
    },
  ],
  // Every attempt sends the same Idempotency-Key, so Stripe creates the payment intent once.
  retry: { idempotent: true },
  async run({ http, input }) {
    const params = {
      amount: input.amount,
      currency: input.currency.toLowerCase(),
      customer: input.customer,
      description: input.description,
      receipt_email: input.receiptEmail,
      capture_method: input.captureMethod,
      payment_method_types: input.paymentMethodTypes,
      // Without explicit types, let Stripe offer what the Dashboard enables.
      automatic_payment_methods: input.paymentMethodTypes === undefined ? { enabled: true } : undefined,
      metadata: input.metadata,
    }
    const raw = await stripePost<RawPaymentIntent>(
      http,
      '/v1/payment_intents',
      params,
      idempotencyKeyFor('create_payment_intent', input.idempotencyKey, params),
    )
    return toPaymentIntent(raw)
  },
})

/** Reads a payment intent (`GET /v1/payment_intents/{id}`). */
export const retrievePaymentIntent = defineAction({
  name: 'retrieve_payment_intent',
  title: 'Get a payment intent',
  description:
    'Returns a PaymentIntent by ID (pi_…) with its status — succeeded means the money was collected; requires_payment_method after a failed attempt (see lastPaymentError); requires_capture for manual capture — and its latest charge ID.',
  input: Type.Object({ paymentIntentId: paymentIntentId('The payment intent ID') }),
  output: PaymentIntent,
  examples: [
    {
      title: 'Check whether an order was paid',
      input: { paymentIntentId: 'pi_3MtwBwLkdIwHu7ix28a3tqPa' },
      output: examplePaymentIntent,
    },
  ],
  retry: { idempotent: true },
  async run({ http, input }) {
    return toPaymentIntent(
      await stripeGet<RawPaymentIntent>(http, urlPath`/v1/payment_intents/${input.paymentIntentId}`),
    )
  },
})

/** Refunds a payment in full or in part (`POST /v1/refunds`). */
export const createRefund = defineAction({
  name: 'create_refund',
  title: 'Refund a payment',
  description:
    'Refunds a succeeded payment, in full or in part, identified by its payment intent (pi_…) or charge (ch_…). Leave amount out for a full refund (of what is not refunded yet). Refunds go back to the original payment method and take 5–10 business days to appear. Pass idempotencyKey so repeating the call never refunds twice.',
  input: Type.Object({
    paymentIntent: Type.Optional(paymentIntentId('The payment intent to refund')),
    charge: Type.Optional(
      Type.String({
        pattern: '^(ch|py)_[A-Za-z0-9]+$',
        description: 'The charge to refund, when there is no payment intent',
      }),
    ),
    amount: Type.Optional(
      amount('A partial refund in the smallest currency unit; by default all that is not refunded yet'),
    ),
    reason: Type.Optional(
      Type.Union([
        Type.Literal('duplicate'),
        Type.Literal('fraudulent'),
        Type.Literal('requested_by_customer'),
      ]),
    ),
    metadata: Type.Optional(Metadata),
    idempotencyKey: Type.Optional(IdempotencyKey),
  }),
  output: Refund,
  examples: [
    {
      title: 'Refund $5 of an order',
      input: {
        paymentIntent: 'pi_3MtwBwLkdIwHu7ix28a3tqPa',
        amount: 500,
        reason: 'requested_by_customer',
        idempotencyKey: 'order-6735-refund-1',
      },
      output: {
        id: 're_3MtwBwLkdIwHu7ix0ziqYN8c',
        status: 'succeeded',
        amount: 500,
        currency: 'usd',
        charge: 'ch_3MtwBwLkdIwHu7ix0snN0B15',
        paymentIntent: 'pi_3MtwBwLkdIwHu7ix28a3tqPa',
        reason: 'requested_by_customer',
        failureReason: null,
        createdAt: '2024-04-06T10:00:00.000Z',
        metadata: {},
      },
    },
  ],
  // Every attempt sends the same Idempotency-Key, so Stripe refunds once.
  retry: { idempotent: true },
  async run({ http, input }) {
    if ((input.paymentIntent === undefined) === (input.charge === undefined)) {
      throw new ActionError(
        'validation_error',
        'Give either paymentIntent or charge to refund, not both or neither',
        {
          requestSent: false,
        },
      )
    }
    const params = {
      payment_intent: input.paymentIntent,
      charge: input.charge,
      amount: input.amount,
      reason: input.reason,
      metadata: input.metadata,
    }
    const raw = await stripePost<RawRefund>(
      http,
      '/v1/refunds',
      params,
      idempotencyKeyFor('create_refund', input.idempotencyKey, params),
    )
    return toRefund(raw)
  },
})

/** Lists charges, newest first (`GET /v1/charges`). */
export const listCharges = defineAction({
  name: 'list_charges',
  title: 'List charges',
  description:
    'Lists charges (individual attempts to move money, successful or failed), newest first, optionally for one customer or payment intent or since a date — for example to see what a customer paid or why a payment failed (failureCode, failureMessage). Reads pages of up to 100 until limit; when hasMore is true, pass nextCursor as startingAfter to read on.',
  input: Type.Object({
    customer: Type.Optional(
      Type.String({ pattern: '^cus_[A-Za-z0-9]+$', description: 'Only this customer’s charges' }),
    ),
    paymentIntent: Type.Optional(paymentIntentId('Only the charges of this payment intent')),
    createdAfter: Type.Optional(
      Type.String({ format: 'date-time', description: 'Only charges created at or after this time' }),
    ),
    limit: Type.Integer({
      minimum: 1,
      maximum: 1000,
      default: 10,
      description: 'The most charges to return',
    }),
    startingAfter: Type.Optional(
      Type.String({
        pattern: '^(ch|py)_[A-Za-z0-9]+$',
        description: 'The nextCursor of an earlier call: list after this charge',
      }),
    ),
  }),
  output: Type.Object({
    charges: Type.Array(Charge),
    hasMore: Type.Boolean(),
    nextCursor: Type.Union([Type.String(), Type.Null()], {
      description: 'Pass it as startingAfter to read on',
    }),
  }),
  examples: [
    {
      title: 'A customer’s recent charges',
      input: { customer: 'cus_NffrFeUfNV2Hib', limit: 20 },
      output: {
        charges: [
          {
            id: 'ch_3MtwBwLkdIwHu7ix0snN0B15',
            status: 'succeeded',
            amount: 1999,
            amountCaptured: 1999,
            amountRefunded: 500,
            currency: 'usd',
            paid: true,
            captured: true,
            refunded: false,
            disputed: false,
            customer: 'cus_NffrFeUfNV2Hib',
            paymentIntent: 'pi_3MtwBwLkdIwHu7ix28a3tqPa',
            description: 'Order #6735',
            failureCode: null,
            failureMessage: null,
            paymentMethodType: 'card',
            cardBrand: 'visa',
            cardLast4: '4242',
            receiptUrl: 'https://pay.stripe.com/receipts/payment/CAcaFwoVYWNjdF8x',
            createdAt: '2024-04-05T19:35:02.000Z',
            livemode: false,
            metadata: { order_id: '6735' },
          },
        ],
        hasMore: false,
        nextCursor: null,
      },
    },
  ],
  retry: { idempotent: true },
  async run({ http, input }) {
    const created =
      input.createdAfter === undefined
        ? undefined
        : { gte: Math.floor(Date.parse(input.createdAfter) / 1000) }
    const { items, hasMore, nextCursor } = await listAll(
      http,
      '/v1/charges',
      { customer: input.customer, payment_intent: input.paymentIntent, created },
      input.limit,
      input.startingAfter,
      toCharge,
    )
    return { charges: items, hasMore, nextCursor }
  },
})

/** Reads the account balance (`GET /v1/balance`). */
export const getBalance = defineAction({
  name: 'get_balance',
  title: 'Get the balance',
  description:
    'Returns the Stripe account balance per currency: available (can be paid out now) and pending (not yet settled), in the smallest currency unit.',
  input: Type.Object({}),
  output: Balance,
  examples: [
    {
      title: 'How much can be paid out',
      input: {},
      output: {
        livemode: false,
        available: [{ amount: 666670, currency: 'usd' }],
        pending: [{ amount: 61414, currency: 'usd' }],
      },
    },
  ],
  retry: { idempotent: true },
  async run({ http }) {
    return toBalance(await stripeGet<RawBalance>(http, '/v1/balance'))
  },
})
