/**
 * Stripe's objects as this tool returns them: camelCase, the fields people act on, absent values as
 * `null`, Unix times as ISO dates, expandable references as plain IDs. Amounts stay integers in the
 * currency's smallest unit (cents for USD, yen for JPY), as Stripe counts them.
 */
import { Secret, Type } from '@toolplane/sdk'
import type { Static, TSchema } from '@toolplane/sdk'

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()])

/** Stripe metadata: up to 50 keys of up to 40 characters, values of up to 500. */
export const Metadata = Type.Record(Type.String(), Type.String({ maxLength: 500 }), {
  maxProperties: 50,
  description: 'Your own key-value pairs, such as { "order_id": "6735" }; Stripe stores and returns them',
})

/** An amount in the smallest currency unit. */
export const amount = (description: string) =>
  Type.Integer({ minimum: 1, maximum: 99999999, description, examples: [1999] })

/** A three-letter ISO currency code, which Stripe wants in lower case. */
export const Currency = Type.String({
  pattern: '^[A-Za-z]{3}$',
  description: 'ISO 4217 code such as usd or eur',
  examples: ['usd'],
})

/** Your own key for a write, so a repeated call runs once; see the tool's documentation. */
export const IdempotencyKey = Type.String({
  minLength: 1,
  maxLength: 255,
  description:
    'Makes the call safe to repeat: Stripe runs a write once per key for 24 hours and answers repeats with the first result. Use your own ID for the operation (order-6735-payment). Without it a key is derived from the input, so an identical call within 24 hours returns the first result instead of creating a second object.',
  examples: ['order-6735-payment'],
})

const Timestamp = Type.String({ format: 'date-time' })

export const Customer = Type.Object({
  id: Type.String(),
  email: Nullable(Type.String()),
  name: Nullable(Type.String()),
  phone: Nullable(Type.String()),
  description: Nullable(Type.String()),
  /** Credit (negative) or debt (positive) applied to the next invoice, in the smallest unit. */
  balance: Type.Integer(),
  currency: Nullable(Type.String()),
  delinquent: Nullable(Type.Boolean()),
  defaultPaymentMethod: Nullable(Type.String()),
  createdAt: Timestamp,
  livemode: Type.Boolean(),
  metadata: Type.Record(Type.String(), Type.String()),
})
export type Customer = Static<typeof Customer>

export const PaymentIntent = Type.Object({
  id: Type.String(),
  status: Type.String({
    description:
      'requires_payment_method, requires_confirmation, requires_action, processing, requires_capture, canceled or succeeded',
  }),
  amount: Type.Integer(),
  amountReceived: Type.Integer(),
  amountCapturable: Type.Integer(),
  currency: Type.String(),
  customer: Nullable(Type.String()),
  description: Nullable(Type.String()),
  paymentMethod: Nullable(Type.String()),
  latestCharge: Nullable(Type.String()),
  captureMethod: Type.String(),
  receiptEmail: Nullable(Type.String()),
  // Stripe: "should not be stored, logged, or exposed to anyone other than the customer".
  clientSecret: Secret(
    Nullable(Type.String({ description: 'Hand it to your front end to confirm the payment with Stripe.js' })),
  ),
  cancellationReason: Nullable(Type.String()),
  lastPaymentError: Nullable(
    Type.Object({
      code: Nullable(Type.String()),
      declineCode: Nullable(Type.String()),
      message: Nullable(Type.String()),
    }),
  ),
  createdAt: Timestamp,
  livemode: Type.Boolean(),
  metadata: Type.Record(Type.String(), Type.String()),
})
export type PaymentIntent = Static<typeof PaymentIntent>

export const Refund = Type.Object({
  id: Type.String(),
  status: Nullable(Type.String({ description: 'pending, requires_action, succeeded, failed or canceled' })),
  amount: Type.Integer(),
  currency: Type.String(),
  charge: Nullable(Type.String()),
  paymentIntent: Nullable(Type.String()),
  reason: Nullable(Type.String()),
  failureReason: Nullable(Type.String()),
  createdAt: Timestamp,
  metadata: Type.Record(Type.String(), Type.String()),
})
export type Refund = Static<typeof Refund>

export const Charge = Type.Object({
  id: Type.String(),
  status: Type.String({ description: 'succeeded, pending or failed' }),
  amount: Type.Integer(),
  amountCaptured: Type.Integer(),
  amountRefunded: Type.Integer(),
  currency: Type.String(),
  paid: Type.Boolean(),
  captured: Type.Boolean(),
  refunded: Type.Boolean(),
  disputed: Type.Boolean(),
  customer: Nullable(Type.String()),
  paymentIntent: Nullable(Type.String()),
  description: Nullable(Type.String()),
  failureCode: Nullable(Type.String()),
  failureMessage: Nullable(Type.String()),
  paymentMethodType: Nullable(Type.String()),
  cardBrand: Nullable(Type.String()),
  cardLast4: Nullable(Type.String()),
  receiptUrl: Nullable(Type.String()),
  createdAt: Timestamp,
  livemode: Type.Boolean(),
  metadata: Type.Record(Type.String(), Type.String()),
})
export type Charge = Static<typeof Charge>

const Funds = Type.Array(Type.Object({ amount: Type.Integer(), currency: Type.String() }))

export const Balance = Type.Object({
  livemode: Type.Boolean(),
  available: Funds,
  pending: Funds,
})
export type Balance = Static<typeof Balance>

/** An expandable reference: an ID, or the object when expanded. */
type Ref = string | { id: string } | null | undefined

/** Stripe's raw objects, as far as this tool reads them. */
export interface RawCustomer {
  id: string
  deleted?: boolean
  email?: string | null
  name?: string | null
  phone?: string | null
  description?: string | null
  balance?: number
  currency?: string | null
  delinquent?: boolean | null
  invoice_settings?: { default_payment_method?: Ref }
  created: number
  livemode: boolean
  metadata?: Record<string, string>
}

export interface RawPaymentIntent {
  id: string
  status: string
  amount: number
  amount_received?: number
  amount_capturable?: number
  currency: string
  customer?: Ref
  description?: string | null
  payment_method?: Ref
  latest_charge?: Ref
  capture_method?: string
  receipt_email?: string | null
  client_secret?: string | null
  cancellation_reason?: string | null
  last_payment_error?: { code?: string; decline_code?: string; message?: string } | null
  created: number
  livemode: boolean
  metadata?: Record<string, string>
}

export interface RawRefund {
  id: string
  status?: string | null
  amount: number
  currency: string
  charge?: Ref
  payment_intent?: Ref
  reason?: string | null
  failure_reason?: string | null
  created: number
  metadata?: Record<string, string> | null
}

export interface RawCharge {
  id: string
  status: string
  amount: number
  amount_captured?: number
  amount_refunded?: number
  currency: string
  paid?: boolean
  captured?: boolean
  refunded?: boolean
  disputed?: boolean
  customer?: Ref
  payment_intent?: Ref
  description?: string | null
  failure_code?: string | null
  failure_message?: string | null
  payment_method_details?: { type?: string; card?: { brand?: string; last4?: string } } | null
  receipt_url?: string | null
  created: number
  livemode: boolean
  metadata?: Record<string, string>
}

export interface RawBalance {
  livemode: boolean
  available?: { amount: number; currency: string }[]
  pending?: { amount: number; currency: string }[]
}

const idOf = (ref: Ref): string | null =>
  ref === null || ref === undefined ? null : typeof ref === 'string' ? ref : ref.id
const iso = (seconds: number): string => new Date(seconds * 1000).toISOString()

export function toCustomer(raw: RawCustomer): Customer {
  return {
    id: raw.id,
    email: raw.email ?? null,
    name: raw.name ?? null,
    phone: raw.phone ?? null,
    description: raw.description ?? null,
    balance: raw.balance ?? 0,
    currency: raw.currency ?? null,
    delinquent: raw.delinquent ?? null,
    defaultPaymentMethod: idOf(raw.invoice_settings?.default_payment_method),
    createdAt: iso(raw.created),
    livemode: raw.livemode,
    metadata: raw.metadata ?? {},
  }
}

export function toPaymentIntent(raw: RawPaymentIntent): PaymentIntent {
  const failure = raw.last_payment_error
  return {
    id: raw.id,
    status: raw.status,
    amount: raw.amount,
    amountReceived: raw.amount_received ?? 0,
    amountCapturable: raw.amount_capturable ?? 0,
    currency: raw.currency,
    customer: idOf(raw.customer),
    description: raw.description ?? null,
    paymentMethod: idOf(raw.payment_method),
    latestCharge: idOf(raw.latest_charge),
    captureMethod: raw.capture_method ?? 'automatic',
    receiptEmail: raw.receipt_email ?? null,
    clientSecret: raw.client_secret ?? null,
    cancellationReason: raw.cancellation_reason ?? null,
    lastPaymentError:
      failure === null || failure === undefined
        ? null
        : {
            code: failure.code ?? null,
            declineCode: failure.decline_code ?? null,
            message: failure.message ?? null,
          },
    createdAt: iso(raw.created),
    livemode: raw.livemode,
    metadata: raw.metadata ?? {},
  }
}

export function toRefund(raw: RawRefund): Refund {
  return {
    id: raw.id,
    status: raw.status ?? null,
    amount: raw.amount,
    currency: raw.currency,
    charge: idOf(raw.charge),
    paymentIntent: idOf(raw.payment_intent),
    reason: raw.reason ?? null,
    failureReason: raw.failure_reason ?? null,
    createdAt: iso(raw.created),
    metadata: raw.metadata ?? {},
  }
}

export function toCharge(raw: RawCharge): Charge {
  const method = raw.payment_method_details
  return {
    id: raw.id,
    status: raw.status,
    amount: raw.amount,
    amountCaptured: raw.amount_captured ?? 0,
    amountRefunded: raw.amount_refunded ?? 0,
    currency: raw.currency,
    paid: raw.paid ?? false,
    captured: raw.captured ?? false,
    refunded: raw.refunded ?? false,
    disputed: raw.disputed ?? false,
    customer: idOf(raw.customer),
    paymentIntent: idOf(raw.payment_intent),
    description: raw.description ?? null,
    failureCode: raw.failure_code ?? null,
    failureMessage: raw.failure_message ?? null,
    paymentMethodType: method?.type ?? null,
    cardBrand: method?.card?.brand ?? null,
    cardLast4: method?.card?.last4 ?? null,
    receiptUrl: raw.receipt_url ?? null,
    createdAt: iso(raw.created),
    livemode: raw.livemode,
    metadata: raw.metadata ?? {},
  }
}

export function toBalance(raw: RawBalance): Balance {
  const funds = (list: { amount: number; currency: string }[] | undefined) =>
    (list ?? []).map(({ amount, currency }) => ({ amount, currency }))
  return { livemode: raw.livemode, available: funds(raw.available), pending: funds(raw.pending) }
}
