/**
 * The Stripe tool: customers, payment intents, refunds, charges and the balance, through Stripe's
 * REST API (https://docs.stripe.com/api) with a secret or restricted key.
 */
import { ActionError, Secret, Type, auth, defineTool } from '@toolplane/sdk'
import type { BearerAuth, TSchema, TriggerDeclaration } from '@toolplane/sdk'
import { createCustomer, getCustomer, listCustomers } from './actions/customers.js'
import {
  createPaymentIntent,
  createRefund,
  getBalance,
  listCharges,
  retrievePaymentIntent,
} from './actions/payments.js'
import { stripeGet } from './api.js'
import type { RawBalance } from './shapes.js'

export { createCustomer, getCustomer, listCustomers } from './actions/customers.js'
export {
  createPaymentIntent,
  createRefund,
  getBalance,
  listCharges,
  retrievePaymentIntent,
} from './actions/payments.js'
export { STRIPE_API_VERSION, idempotencyKeyFor, stripeError } from './api.js'
export { encodeForm } from './form.js'

/**
 * A bearer token that must look like a server-side Stripe key, so a publishable key (pk_…), which
 * Stripe refuses for these calls, is caught when the credential is saved rather than on first use.
 */
export const stripeKey: BearerAuth = Object.freeze({
  ...auth.bearer({ title: 'Secret or restricted key (sk_… / rk_…)' }),
  fields: Type.Object({
    token: Secret(
      Type.String({
        title: 'Secret key',
        description: 'A secret key (sk_live_…, sk_test_…) or restricted key (rk_live_…, rk_test_…)',
        pattern: '^(sk|rk)_[A-Za-z0-9_]+$',
      }),
    ),
    // Optional: only inbound triggers read it.
    webhookSigningSecret: Type.Optional(
      Secret(
        Type.String({
          title: 'Webhook signing secret',
          description:
            'The signing secret (whsec_…) of the Stripe webhook endpoint that sends to this credential’s trigger URL',
          pattern: '^whsec_[A-Za-z0-9_]+$',
        }),
      ),
    ),
  }),
})

// Every Stripe event: the object it is about is in `data.object`.
const stripeEvent = (type: string, object: TSchema) =>
  Type.Object({
    id: Type.String({ description: 'The event id, `evt_…`: unique, kept on retries.' }),
    object: Type.Literal('event'),
    type: Type.Literal(type),
    created: Type.Integer(),
    livemode: Type.Boolean(),
    data: Type.Object({
      object,
      previous_attributes: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    }),
  })

const nullableString = Type.Union([Type.String(), Type.Null()])

/** Events this tool's triggers describe; others the endpoint is subscribed to are emitted too. */
export const triggers: readonly TriggerDeclaration[] = [
  {
    event: 'payment_intent.succeeded',
    title: 'Payment succeeded',
    description: 'A payment intent completed successfully.',
    verifier: 'stripe',
    payload: stripeEvent(
      'payment_intent.succeeded',
      Type.Object({
        id: Type.String(),
        object: Type.Literal('payment_intent'),
        amount: Type.Integer(),
        amount_received: Type.Integer(),
        currency: Type.String(),
        customer: nullableString,
        status: Type.String(),
      }),
    ),
  },
  {
    event: 'charge.refunded',
    title: 'Charge refunded',
    description: 'A charge was refunded, fully or in part.',
    verifier: 'stripe',
    payload: stripeEvent(
      'charge.refunded',
      Type.Object({
        id: Type.String(),
        object: Type.Literal('charge'),
        amount: Type.Integer(),
        amount_refunded: Type.Integer(),
        currency: Type.String(),
        payment_intent: nullableString,
        refunded: Type.Boolean(),
      }),
    ),
  },
  {
    event: 'customer.subscription.updated',
    title: 'Subscription updated',
    description:
      'A subscription changed (plan, status, renewal); `data.previous_attributes` holds the fields as they were.',
    verifier: 'stripe',
    payload: stripeEvent(
      'customer.subscription.updated',
      Type.Object({
        id: Type.String(),
        object: Type.Literal('subscription'),
        customer: Type.String(),
        status: Type.String(),
      }),
    ),
  },
]

export default defineTool({
  slug: 'stripe',
  name: 'Stripe',
  description:
    'Create customers and payment intents, refund payments, list charges and read the balance in Stripe.',
  version: '1.0.0',
  categories: ['payments', 'finance'],
  baseUrl: 'https://api.stripe.com',
  authMethods: [stripeKey],
  actions: [
    createCustomer,
    getCustomer,
    listCustomers,
    createPaymentIntent,
    retrievePaymentIntent,
    createRefund,
    listCharges,
    getBalance,
  ],
  async healthCheck({ http }) {
    const balance = await stripeGet<RawBalance>(http, '/v1/balance').catch((error: unknown) => {
      // A restricted key without Balance: Read is still a working key: Stripe knew it and said 403.
      if (error instanceof ActionError && error.httpStatus === 403) return undefined
      throw error
    })
    if (balance === undefined) return { ok: true, detail: 'The key works but may not read the balance' }
    return { ok: true, detail: `The key works in ${balance.livemode ? 'live' : 'test'} mode` }
  },
  triggers,
  // Stripe allows 100 operations a second per account in live mode (25 in test mode, where a 429
  // is retried like any other).
  rateLimits: [{ scope: 'credential', limit: 100, windowSeconds: 1 }],
})
