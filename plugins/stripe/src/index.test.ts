import { findAction, runHealthCheck, secretPaths, validate, validateTool } from '@toolplane/sdk'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import stripe from './index.js'
import { RESTRICTED_KEY, SECRET_KEY, startFakeStripe } from './testing/fake-stripe.js'
import type { FakeStripe } from './testing/fake-stripe.js'

let fake: FakeStripe
beforeAll(async () => {
  fake = await startFakeStripe()
})
afterAll(() => fake.close())
beforeEach(() => {
  fake.reset()
})

const check = (token: string) =>
  runHealthCheck(stripe, {
    credential: { authMethod: 'bearer', secrets: { token } },
    baseUrl: fake.url,
    allowPrivateNetwork: true,
  })

// The health check's own answer, which runHealthCheck keeps only when the check fails.
// What the health check said: runHealthCheck keeps a passing check's detail too.
const detailOf = async (token: string) => (await check(token)).detail

describe('the stripe tool', () => {
  it('passes the checks the server runs before serving a plugin', () => {
    expect(validateTool(stripe)).toEqual([])
  })

  it('offers the eight actions and a secret-key credential', () => {
    expect(stripe.actions.map((action) => action.name)).toEqual([
      'create_customer',
      'get_customer',
      'list_customers',
      'create_payment_intent',
      'retrieve_payment_intent',
      'create_refund',
      'list_charges',
      'get_balance',
    ])
    expect(stripe.authMethods.map((method) => [method.id, method.kind])).toEqual([['bearer', 'bearer']])
    expect(stripe.rateLimits).toEqual([{ scope: 'credential', limit: 100, windowSeconds: 1 }])
  })

  it.each(stripe.actions.map((action) => [action.name, action] as const))(
    'has a first example for %s that its input schema accepts',
    (_name, action) => {
      const example = action.examples[0]
      expect(example).toBeDefined()
      expect(validate(action.input, example?.input)).toMatchObject({ ok: true })
    },
  )

  it('marks every write safe to retry, because each attempt sends the same Idempotency-Key', () => {
    for (const action of stripe.actions) expect(action.retry.idempotent).toBe(true)
  })

  it('keeps the client secret of a payment intent out of execution records', () => {
    const action = findAction(stripe, 'create_payment_intent')
    expect(action === undefined ? [] : secretPaths(action.output)).toEqual(['/clientSecret'])
  })
})

describe('the health check', () => {
  it('passes with a working secret key, reading the balance', async () => {
    expect(await check(SECRET_KEY)).toMatchObject({ ok: true, checked: true })
    expect(fake.calls()).toMatchObject([{ method: 'GET', path: '/v1/balance' }])
  })

  it('says whether the key is a test or a live one', async () => {
    expect(await detailOf(SECRET_KEY)).toBe('The key works in test mode')
    fake.failNext(200, { object: 'balance', livemode: true, available: [], pending: [] })
    expect(await detailOf(SECRET_KEY)).toBe('The key works in live mode')
  })

  it('passes with a restricted key that may not read the balance: Stripe knew the key', async () => {
    expect(await check(RESTRICTED_KEY)).toMatchObject({ ok: true })
    expect(await detailOf(RESTRICTED_KEY)).toBe('The key works but may not read the balance')
  })

  it('fails as an auth error with a key Stripe does not know', async () => {
    expect(await check('sk_live_doesnotexist0000')).toMatchObject({
      ok: false,
      errorClass: 'auth_error',
      detail: 'Stripe rejected the API key (request req_Fake0001)',
    })
  })

  it('fails when Stripe is down', async () => {
    fake.failNext(500, { error: { type: 'api_error', message: 'An unknown error occurred' } })
    expect(await check(SECRET_KEY)).toMatchObject({ ok: false, errorClass: 'upstream_error' })
  })
})
