/**
 * The Stripe tool: customers, payment intents, refunds, charges and the balance, through Stripe's
 * REST API (https://docs.stripe.com/api) with a secret or restricted key.
 */
import { ActionError, Secret, Type, auth, defineTool } from '@toolplane/sdk'
import type { BearerAuth } from '@toolplane/sdk'
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
  }),
})

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
  // Stripe allows 100 operations a second per account in live mode (25 in test mode, where a 429
  // is retried like any other).
  rateLimits: [{ scope: 'credential', limit: 100, windowSeconds: 1 }],
})
