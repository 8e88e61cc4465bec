import { createHmac, webcrypto } from 'node:crypto'
import { Webhook } from 'standardwebhooks'
import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  safeEqual,
  secretFields,
  toleranceMs,
  verifiers,
  verifyGitHub,
  verifySlack,
  verifyStandardWebhooks,
  verifyStripe,
} from './verifiers.js'

const body = (text: string) => Buffer.from(text, 'utf8')
const hmacHex = (secret: string, text: string) => createHmac('sha256', secret).update(text).digest('hex')
const refused = (failure: string): unknown => expect.objectContaining({ ok: false, failure }) as unknown

describe('GitHub (X-Hub-Signature-256)', () => {
  // GitHub's documented example: https://docs.github.com/webhooks/using-webhooks/validating-webhook-deliveries
  const secret = "It's a Secret to Everybody"
  const vector = {
    body: body('Hello, World!'),
    headers: {
      'x-hub-signature-256': 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17',
      'x-github-event': 'push',
      'x-github-delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958',
    },
  }
  const now = Date.UTC(2026, 0, 15)

  it('accepts the documented test vector', () => {
    expect(verifyGitHub(vector.body, vector.headers, secret, now)).toEqual({
      ok: true,
      deliveryId: '72d3162e-cc78-11e3-81ab-4c9367dc0958',
      event: 'push',
      payload: 'Hello, World!',
    })
  })

  it('rejects a tampered body, a wrong secret and a missing or malformed signature', () => {
    expect(verifyGitHub(body('Hello, World?'), vector.headers, secret, now)).toEqual(refused('signature'))
    expect(verifyGitHub(vector.body, vector.headers, "It's a secret to everybody", now)).toEqual(
      refused('signature'),
    )
    const { 'x-hub-signature-256': signature, ...unsigned } = vector.headers
    expect(verifyGitHub(vector.body, unsigned, secret, now)).toEqual(refused('signature'))
    // The bare hex, the SHA-1 header's form, and upper case are not GitHub's SHA-256 header.
    for (const wrong of [
      signature.slice('sha256='.length),
      `sha1=${signature.slice(7)}`,
      signature.toUpperCase(),
    ]) {
      expect(
        verifyGitHub(vector.body, { ...vector.headers, 'x-hub-signature-256': wrong }, secret, now),
      ).toEqual(refused('signature'))
    }
  })

  it('signs no time, so an old delivery still verifies: replays are caught by the delivery id', () => {
    const aYearLater = now + 365 * 86_400_000
    const first = verifyGitHub(vector.body, vector.headers, secret, now)
    const again = verifyGitHub(vector.body, vector.headers, secret, aYearLater)
    expect(again).toEqual(first)
  })

  it('names the event with the action, from JSON or from a form-encoded payload', () => {
    const json = '{ "action" : "opened",  "issue": { "number": 7 } }'
    const headers = (text: string) => ({
      'x-hub-signature-256': `sha256=${hmacHex('s3cret', text)}`,
      'x-github-event': 'issues',
      'x-github-delivery': 'd-1',
    })
    expect(verifyGitHub(body(json), headers(json), 's3cret', now)).toEqual({
      ok: true,
      deliveryId: 'd-1',
      event: 'issues.opened',
      payload: { action: 'opened', issue: { number: 7 } },
    })
    const form = `payload=${encodeURIComponent(json)}`
    expect(
      verifyGitHub(
        body(form),
        { ...headers(form), 'content-type': 'application/x-www-form-urlencoded' },
        's3cret',
        now,
      ),
    ).toMatchObject({ ok: true, event: 'issues.opened', payload: { issue: { number: 7 } } })
  })

  it('refuses an authentic body without the delivery or event header as malformed', () => {
    const { 'x-github-delivery': _delivery, ...noDelivery } = vector.headers
    expect(verifyGitHub(vector.body, noDelivery, secret, now)).toEqual(refused('malformed'))
    const { 'x-github-event': _event, ...noEvent } = vector.headers
    expect(verifyGitHub(vector.body, noEvent, secret, now)).toEqual(refused('malformed'))
  })
})

describe('Slack (X-Slack-Signature, v0)', () => {
  // Slack's documented example: https://api.slack.com/authentication/verifying-requests-from-slack
  const secret = '8f742231b10e8888abcd99yyyzzz85a5'
  const timestamp = 1531420618
  const slashCommand =
    'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c'
  const headers = {
    'content-type': 'application/x-www-form-urlencoded',
    'x-slack-request-timestamp': String(timestamp),
    'x-slack-signature': 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
  }
  const now = timestamp * 1000 + 30_000

  function signed(text: string, at: number, signingSecret = secret) {
    return {
      'content-type': 'application/json',
      'x-slack-request-timestamp': String(at),
      'x-slack-signature': `v0=${hmacHex(signingSecret, `v0:${String(at)}:${text}`)}`,
    }
  }

  it('accepts the documented test vector, a slash command', () => {
    const result = verifySlack(body(slashCommand), headers, secret, now)
    expect(result).toMatchObject({
      ok: true,
      event: 'slash_command',
      timestampMs: timestamp * 1000,
      payload: { command: '/webhook-collect', team_id: 'T1DC2JH3J' },
    })
    // No event id in a slash command: the delivery is named by its timestamp and signature, so the
    // same request twice has the same id.
    expect(result.ok && result.deliveryId).toMatch(/^sha256:[0-9a-f]{64}$/)
    expect(verifySlack(body(slashCommand), headers, secret, now + 1000)).toEqual(
      verifySlack(body(slashCommand), headers, secret, now),
    )
  })

  it('rejects a tampered body, a wrong secret, a changed timestamp and a missing header', () => {
    expect(verifySlack(body(slashCommand.replace('foobar', 'foobaz')), headers, secret, now)).toEqual(
      refused('signature'),
    )
    expect(verifySlack(body(slashCommand), headers, '8f742231b10e8888abcd99yyyzzz85a6', now)).toEqual(
      refused('signature'),
    )
    expect(
      verifySlack(
        body(slashCommand),
        { ...headers, 'x-slack-request-timestamp': String(timestamp + 1) },
        secret,
        now,
      ),
    ).toEqual(refused('signature'))
    for (const missing of ['x-slack-signature', 'x-slack-request-timestamp']) {
      const partial = Object.fromEntries(Object.entries(headers).filter(([name]) => name !== missing))
      expect(verifySlack(body(slashCommand), partial, secret, now)).toEqual(refused('signature'))
    }
    expect(
      verifySlack(body(slashCommand), { ...headers, 'x-slack-request-timestamp': 'yesterday' }, secret, now),
    ).toEqual(refused('signature'))
  })

  it('rejects a timestamp over five minutes from now, either way, once the signature holds', () => {
    const at = timestamp * 1000
    expect(verifySlack(body(slashCommand), headers, secret, at + toleranceMs)).toMatchObject({ ok: true })
    expect(verifySlack(body(slashCommand), headers, secret, at - toleranceMs)).toMatchObject({ ok: true })
    expect(verifySlack(body(slashCommand), headers, secret, at + toleranceMs + 1000)).toEqual(
      refused('stale'),
    )
    expect(verifySlack(body(slashCommand), headers, secret, at - toleranceMs - 1000)).toEqual(
      refused('stale'),
    )
    // A stale request with a wrong signature says nothing about its time.
    expect(verifySlack(body(slashCommand), headers, 'wrong', at + 3_600_000)).toEqual(refused('signature'))
  })

  it('names an Events API delivery by its event_id and its event by event.type', () => {
    const text = JSON.stringify({
      type: 'event_callback',
      team_id: 'T1',
      event_id: 'Ev0PV52K21',
      event: { type: 'app_mention', user: 'U1', text: '<@U0> hi', channel: 'C1', ts: '1.2' },
    })
    expect(verifySlack(body(text), signed(text, timestamp), secret, now)).toMatchObject({
      ok: true,
      deliveryId: 'Ev0PV52K21',
      event: 'app_mention',
    })
    // Slack's retry of the same event: new timestamp and signature, same event_id.
    expect(verifySlack(body(text), signed(text, timestamp + 60), secret, now)).toMatchObject({
      deliveryId: 'Ev0PV52K21',
    })
  })

  it('yields the url_verification challenge, only with a valid signature', () => {
    const text =
      '{"token":"Jhj5dZrVaK7ZwHHjRyZWjbDl","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}'
    expect(verifySlack(body(text), signed(text, timestamp), secret, now)).toMatchObject({
      ok: true,
      event: 'url_verification',
      challenge: '3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P',
    })
    expect(verifySlack(body(text), signed(text, timestamp, 'not-the-secret'), secret, now)).toEqual(
      refused('signature'),
    )
  })

  it('reads interactions, other envelopes, and leaves an unknown body without an event', () => {
    const interaction = `payload=${encodeURIComponent('{"type":"block_actions","trigger_id":"1.2.3"}')}`
    expect(
      verifySlack(
        body(interaction),
        { ...signed(interaction, timestamp), 'content-type': 'application/x-www-form-urlencoded' },
        secret,
        now,
      ),
    ).toMatchObject({ ok: true, event: 'block_actions', payload: { trigger_id: '1.2.3' } })
    const limited = '{"type":"app_rate_limited","team_id":"T1","minute_rate_limited":1518467820}'
    expect(verifySlack(body(limited), signed(limited, timestamp), secret, now)).toMatchObject({
      ok: true,
      event: 'app_rate_limited',
    })
    const odd = 'just text'
    expect(verifySlack(body(odd), signed(odd, timestamp), secret, now)).toMatchObject({
      ok: true,
      event: undefined,
      payload: 'just text',
    })
  })
})

describe('Stripe (Stripe-Signature)', () => {
  // Built here and checked twice: against a signature computed once with `openssl dgst -sha256
  // -hmac` (the literal below) and with WebCrypto, neither of which is the code under test.
  const secret = 'whsec_toolplane_test_0123456789'
  const t = 1700000000
  const text =
    '{"id":"evt_1NAbCdEfGhIjKlMn","object":"event","type":"payment_intent.succeeded","created":1700000000,"livemode":false,"data":{"object":{"id":"pi_3NAbCd","object":"payment_intent","amount":2000,"currency":"eur"}}}'
  const v1 = '9fcba8a9bd913a6354bfdfa801bb631e458d2d4256677b0718a4bff8e7976843'
  const headers = {
    'stripe-signature': `t=${String(t)},v1=${v1},v0=6ffbb59b2300aae63f272406069a9788598b792a944a07aba816edb039989a39`,
  }
  const now = t * 1000 + 10_000

  it('the vector is HMAC-SHA256 of "t.body" under the whole whsec_ secret, by an independent computation', async () => {
    const key = await webcrypto.subtle.importKey(
      'raw',
      new TextEncoder().encode(secret),
      { name: 'HMAC', hash: 'SHA-256' },
      false,
      ['sign'],
    )
    const mac = await webcrypto.subtle.sign('HMAC', key, new TextEncoder().encode(`${String(t)}.${text}`))
    expect(Buffer.from(mac).toString('hex')).toBe(v1)
  })

  it('accepts the vector', () => {
    expect(verifyStripe(body(text), headers, secret, now)).toEqual({
      ok: true,
      deliveryId: 'evt_1NAbCdEfGhIjKlMn',
      event: 'payment_intent.succeeded',
      payload: JSON.parse(text) as unknown,
      timestampMs: t * 1000,
    })
  })

  it('accepts any matching v1 among several, as while a secret is rolled', () => {
    const rolled = { 'stripe-signature': `t=${String(t)},v1=${'0'.repeat(64)},v1=${v1}` }
    expect(verifyStripe(body(text), rolled, secret, now)).toMatchObject({ ok: true })
  })

  it('rejects a tampered body, a wrong secret, a changed t, and a header without t or v1', () => {
    expect(verifyStripe(body(text.replace('2000', '200')), headers, secret, now)).toEqual(
      refused('signature'),
    )
    expect(verifyStripe(body(text), headers, 'whsec_toolplane_test_0123456788', now)).toEqual(
      refused('signature'),
    )
    const shifted = { 'stripe-signature': `t=${String(t + 1)},v1=${v1}` }
    expect(verifyStripe(body(text), shifted, secret, now)).toEqual(refused('signature'))
    for (const header of [`v1=${v1}`, `t=${String(t)}`, `t=${String(t)},v0=${v1}`, 'garbage', '']) {
      expect(verifyStripe(body(text), { 'stripe-signature': header }, secret, now), header).toEqual(
        refused('signature'),
      )
    }
    expect(verifyStripe(body(text), {}, secret, now)).toEqual(refused('signature'))
  })

  it('rejects a timestamp over five minutes from now', () => {
    expect(verifyStripe(body(text), headers, secret, t * 1000 + toleranceMs)).toMatchObject({ ok: true })
    expect(verifyStripe(body(text), headers, secret, t * 1000 + toleranceMs + 1000)).toEqual(refused('stale'))
    expect(verifyStripe(body(text), headers, secret, t * 1000 - toleranceMs - 1000)).toEqual(refused('stale'))
  })

  it('refuses an authentic body that is not an event with an id', () => {
    const bare = '{"type":"charge.refunded"}'
    const signedBare = { 'stripe-signature': `t=${String(t)},v1=${hmacHex(secret, `${String(t)}.${bare}`)}` }
    expect(verifyStripe(body(bare), signedBare, secret, now)).toEqual(refused('malformed'))
  })
})

describe('Standard Webhooks', () => {
  // The specification's test vector, as the reference libraries test it.
  const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
  const text = '{"test": 2432232314}'
  const headers = {
    'webhook-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek',
    'webhook-timestamp': '1614265330',
    'webhook-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
  }
  const now = 1614265330 * 1000 + 1000

  afterEach(() => {
    vi.useRealTimers()
  })

  it('accepts the specification’s test vector', () => {
    expect(verifyStandardWebhooks(body(text), headers, secret, now)).toEqual({
      ok: true,
      deliveryId: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
      event: undefined,
      payload: { test: 2432232314 },
      timestampMs: 1614265330 * 1000,
    })
  })

  it('agrees with the standardwebhooks library’s own verify, which reads the system clock', () => {
    vi.useFakeTimers({ now, toFake: ['Date'] })
    const library = new Webhook(secret)
    expect(library.verify(text, headers)).toEqual({ test: 2432232314 })
    expect(() => library.verify(`${text} `, headers)).toThrow()
    expect(verifyStandardWebhooks(body(`${text} `), headers, secret, now)).toEqual(refused('signature'))
  })

  it('accepts a typed event signed by the library, among several signatures while a key rotates', () => {
    const event = '{"type":"invoice.paid","timestamp":"2026-01-15T12:00:00Z","data":{"id":"in_1"}}'
    const at = new Date(Date.UTC(2026, 0, 15, 12))
    const signature = new Webhook(secret).sign('msg_2', at, event)
    const rotated = new Webhook('whsec_c2Vjb25kIGtleSBmb3Igcm90YXRpb24=').sign('msg_2', at, event)
    const result = verifyStandardWebhooks(
      body(event),
      {
        'webhook-id': 'msg_2',
        'webhook-timestamp': String(at.getTime() / 1000),
        'webhook-signature': `${rotated} ${signature}`,
      },
      secret,
      at.getTime(),
    )
    expect(result).toMatchObject({
      ok: true,
      deliveryId: 'msg_2',
      event: 'invoice.paid',
      payload: { data: { id: 'in_1' } },
    })
  })

  it('rejects a tampered body, a wrong secret, a changed id or timestamp, and missing headers', () => {
    expect(verifyStandardWebhooks(body('{"test": 2432232315}'), headers, secret, now)).toEqual(
      refused('signature'),
    )
    expect(
      verifyStandardWebhooks(body(text), headers, 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSx', now),
    ).toEqual(refused('signature'))
    expect(
      verifyStandardWebhooks(body(text), { ...headers, 'webhook-id': 'msg_other' }, secret, now),
    ).toEqual(refused('signature'))
    expect(
      verifyStandardWebhooks(body(text), { ...headers, 'webhook-timestamp': '1614265331' }, secret, now),
    ).toEqual(refused('signature'))
    for (const missing of Object.keys(headers)) {
      const partial = Object.fromEntries(Object.entries(headers).filter(([name]) => name !== missing))
      expect(verifyStandardWebhooks(body(text), partial, secret, now), missing).toEqual(refused('signature'))
    }
    // Only v1 signatures count.
    const v2 = { ...headers, 'webhook-signature': headers['webhook-signature'].replace('v1,', 'v2,') }
    expect(verifyStandardWebhooks(body(text), v2, secret, now)).toEqual(refused('signature'))
  })

  it('refuses a secret that is not a whsec_ key, and a body that is not UTF-8', () => {
    expect(verifyStandardWebhooks(body(text), headers, 'whsec_', now)).toEqual(refused('signature'))
    expect(verifyStandardWebhooks(body(text), headers, 'whsec_not base64!', now)).toEqual(
      refused('signature'),
    )
    const invalid = Buffer.concat([body('{"type":"x","n":"'), Buffer.from([0xff]), body('"}')])
    const signature = createHmac('sha256', Buffer.from('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'base64'))
      .update(Buffer.concat([body('msg_1.1614265330.'), invalid]))
      .digest('base64')
    expect(
      verifyStandardWebhooks(
        invalid,
        { ...headers, 'webhook-id': 'msg_1', 'webhook-signature': `v1,${signature}` },
        secret,
        now,
      ),
    ).toEqual(refused('signature'))
  })

  it('rejects a timestamp over five minutes from now', () => {
    const at = 1614265330 * 1000
    expect(verifyStandardWebhooks(body(text), headers, secret, at + toleranceMs)).toMatchObject({ ok: true })
    expect(verifyStandardWebhooks(body(text), headers, secret, at + toleranceMs + 1000)).toEqual(
      refused('stale'),
    )
    expect(verifyStandardWebhooks(body(text), headers, secret, at - toleranceMs - 1000)).toEqual(
      refused('stale'),
    )
  })
})

describe('the schemes together', () => {
  it('have one verifier and one secret field per declared verifier name', () => {
    expect(Object.keys(verifiers).sort()).toEqual(['github', 'slack', 'standard-webhooks', 'stripe'])
    expect(secretFields).toEqual({
      github: 'webhookSecret',
      slack: 'signingSecret',
      stripe: 'webhookSigningSecret',
      'standard-webhooks': 'webhookSecret',
    })
  })

  it('compare in constant time only strings of equal length, and never equal unequal ones', () => {
    expect(safeEqual('abc', 'abc')).toBe(true)
    expect(safeEqual('abc', 'abd')).toBe(false)
    expect(safeEqual('abc', 'abcd')).toBe(false)
    expect(safeEqual('', '')).toBe(true)
  })

  it('take the first of repeated headers', () => {
    const secret = 'k'
    const text = '{}'
    const good = `sha256=${hmacHex(secret, text)}`
    const headers = {
      'x-hub-signature-256': [good, 'sha256=00'],
      'x-github-event': 'ping',
      'x-github-delivery': 'd',
    }
    expect(verifyGitHub(body(text), headers, secret, 0)).toMatchObject({ ok: true, event: 'ping' })
  })
})
