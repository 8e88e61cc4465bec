/**
 * Customers: create one, read one, list them.
 */
import { ActionError, Type, defineAction, urlPath } from '@toolplane/sdk'
import { idempotencyKeyFor, listAll, stripeGet, stripePost } from '../api.js'
import { Customer, IdempotencyKey, Metadata, toCustomer } from '../shapes.js'
import type { RawCustomer } from '../shapes.js'

const exampleCustomer: Customer = {
  id: 'cus_NffrFeUfNV2Hib',
  email: 'ada@example.com',
  name: 'Ada Lovelace',
  phone: null,
  description: null,
  balance: 0,
  currency: null,
  delinquent: false,
  defaultPaymentMethod: null,
  createdAt: '2024-04-05T19:34:38.000Z',
  livemode: false,
  metadata: { user_id: '6735' },
}

/** Creates a customer (`POST /v1/customers`). */
export const createCustomer = defineAction({
  name: 'create_customer',
  title: 'Create a customer',
  description:
    'Creates a Stripe customer, to which payments, payment methods and subscriptions can be attached. Stripe does not deduplicate customers by email: search with list_customers first if the person may exist. Pass idempotencyKey (such as your user ID) so repeating the call never creates a second customer.',
  input: Type.Object({
    email: Type.Optional(Type.String({ format: 'email', maxLength: 512, examples: ['ada@example.com'] })),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 256, examples: ['Ada Lovelace'] })),
    phone: Type.Optional(Type.String({ minLength: 1, maxLength: 20, examples: ['+442071838750'] })),
    description: Type.Optional(Type.String({ maxLength: 350 })),
    metadata: Type.Optional(Metadata),
    idempotencyKey: Type.Optional(IdempotencyKey),
  }),
  output: Customer,
  examples: [
    {
      title: 'A customer for a new sign-up',
      input: {
        email: 'ada@example.com',
        name: 'Ada Lovelace',
        metadata: { user_id: '6735' },
        idempotencyKey: 'signup-6735',
      },
      output: exampleCustomer,
    },
  ],
  // Every attempt sends the same Idempotency-Key, so Stripe creates the customer once.
  retry: { idempotent: true },
  async run({ http, input }) {
    const { idempotencyKey, ...fields } = input
    const params = { ...fields }
    const raw = await stripePost<RawCustomer>(
      http,
      '/v1/customers',
      params,
      idempotencyKeyFor('create_customer', idempotencyKey, params),
    )
    return toCustomer(raw)
  },
})

/** Reads a customer (`GET /v1/customers/{id}`). */
export const getCustomer = defineAction({
  name: 'get_customer',
  title: 'Get a customer',
  description:
    'Returns a Stripe customer by ID (cus_…): contact details, balance, default payment method and metadata. A deleted customer is reported as not found.',
  input: Type.Object({
    customerId: Type.String({
      pattern: '^cus_[A-Za-z0-9]+$',
      description: 'The customer ID',
      examples: ['cus_NffrFeUfNV2Hib'],
    }),
  }),
  output: Customer,
  examples: [
    { title: 'Look up a customer', input: { customerId: 'cus_NffrFeUfNV2Hib' }, output: exampleCustomer },
  ],
  retry: { idempotent: true },
  async run({ http, input }) {
    const raw = await stripeGet<RawCustomer>(http, urlPath`/v1/customers/${input.customerId}`)
    if (raw.deleted === true) {
      throw new ActionError('not_found', `Stripe customer ${input.customerId} was deleted`, {
        httpStatus: 200,
        requestSent: true,
        suggestions: [
          { title: 'Create the customer again', detail: 'Deleted customers cannot be restored.' },
        ],
      })
    }
    return toCustomer(raw)
  },
})

/** Lists customers, newest first (`GET /v1/customers`). */
export const listCustomers = defineAction({
  name: 'list_customers',
  title: 'List customers',
  description:
    'Lists Stripe customers, newest first, optionally only those with an exact email address (case-sensitive) or created after a date. Reads pages of up to 100 until limit; when hasMore is true, pass nextCursor as startingAfter to read on.',
  input: Type.Object({
    email: Type.Optional(
      Type.String({ minLength: 1, maxLength: 512, description: 'Only customers with exactly this email' }),
    ),
    createdAfter: Type.Optional(
      Type.String({ format: 'date-time', description: 'Only customers created at or after this time' }),
    ),
    limit: Type.Integer({
      minimum: 1,
      maximum: 1000,
      default: 10,
      description: 'The most customers to return',
    }),
    startingAfter: Type.Optional(
      Type.String({
        pattern: '^cus_[A-Za-z0-9]+$',
        description: 'The nextCursor of an earlier call: list after this customer',
      }),
    ),
  }),
  output: Type.Object({
    customers: Type.Array(Customer),
    hasMore: Type.Boolean(),
    nextCursor: Type.Union([Type.String(), Type.Null()], {
      description: 'Pass it as startingAfter to read on',
    }),
  }),
  examples: [
    {
      title: 'Find customers by email',
      input: { email: 'ada@example.com', limit: 10 },
      output: { customers: [exampleCustomer], hasMore: false, nextCursor: null },
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
      '/v1/customers',
      { email: input.email, created },
      input.limit,
      input.startingAfter,
      toCustomer,
    )
    return { customers: items, hasMore, nextCursor }
  },
})
