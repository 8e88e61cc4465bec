/**
 * The signature schemes of inbound triggers (SPEC §7): pure functions of the raw body, the request
 * headers, the secret and the time, so each can be tested against its provider's published vector.
 * Every comparison of a signature is constant-time.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto'
import { isUtf8 } from 'node:buffer'
import type { TriggerVerifier } from '@toolplane/sdk'
import { Webhook } from 'standardwebhooks'

/** How far a signed timestamp may be from the server's clock, either way. */
export const toleranceMs = 5 * 60_000

/** Request headers as Node gives them: lower-case names. */
export type InboundHeaders = Readonly<Record<string, string | readonly string[] | undefined>>

/**
 * Why a delivery was refused: `signature` (missing or wrong: the sender does not hold the secret,
 * or the body or signed headers changed), `stale` (authentic, but signed more than five minutes
 * from now: a replay or a badly wrong clock), `malformed` (authentic, but without the delivery id,
 * or GitHub's event header, that the scheme promises). A body that names no event is not a failure
 * here: `event` is then undefined and the caller decides.
 */
export type VerificationFailure = 'signature' | 'stale' | 'malformed'

/** A verified delivery, or why not; `reason` is for the log, never for the caller. */
export type Verification =
  | {
      readonly ok: true
      /** The provider's id of the delivery, the same on its retries. */
      readonly deliveryId: string
      /**
       * The provider's event name, such as `issues.opened` or `payment_intent.succeeded`; undefined
       * when an authentic body names none (the caller decides what that means).
       */
      readonly event: string | undefined
      /** The body, parsed (JSON, or a form's fields; the text itself when it is neither). */
      readonly payload: unknown
      /** When the provider signed it, for schemes that sign a time. */
      readonly timestampMs?: number
      /** Slack's `url_verification` challenge, to be answered instead of emitting anything. */
      readonly challenge?: string
    }
  | { readonly ok: false; readonly failure: VerificationFailure; readonly reason: string }

/** One scheme's verification. */
export type Verify = (rawBody: Buffer, headers: InboundHeaders, secret: string, nowMs: number) => Verification

/** The credential secret field each scheme reads its secret from. */
export const secretFields: Readonly<Record<TriggerVerifier, string>> = {
  github: 'webhookSecret',
  slack: 'signingSecret',
  stripe: 'webhookSigningSecret',
  'standard-webhooks': 'webhookSecret',
}

const fail = (failure: VerificationFailure, reason: string): Verification => ({ ok: false, failure, reason })

function header(headers: InboundHeaders, name: string): string | undefined {
  const value = headers[name]
  const first = typeof value === 'string' ? value : value?.[0]
  return first === undefined || first === '' ? undefined : first
}

function hmacHex(secret: string | Buffer, ...parts: (string | Buffer)[]): string {
  const hmac = createHmac('sha256', secret)
  for (const part of parts) hmac.update(part)
  return hmac.digest('hex')
}

/** Constant-time equality of two strings; unequal lengths are unequal without comparing. */
export function safeEqual(presented: string, expected: string): boolean {
  const a = Buffer.from(presented, 'utf8')
  const b = Buffer.from(expected, 'utf8')
  return a.length === b.length && timingSafeEqual(a, b)
}

/** Whole seconds since the epoch, as the schemes write them; undefined for anything else. */
function unixSeconds(text: string | undefined): number | undefined {
  return text !== undefined && /^\d{1,12}$/.test(text) ? Number(text) * 1000 : undefined
}

const isStale = (timestampMs: number, nowMs: number) => Math.abs(nowMs - timestampMs) > toleranceMs

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

function parseJson(rawBody: Buffer): unknown {
  try {
    return JSON.parse(rawBody.toString('utf8')) as unknown
  } catch {
    return undefined
  }
}

function isForm(headers: InboundHeaders): boolean {
  return (header(headers, 'content-type') ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded')
}

function parseForm(rawBody: Buffer): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(rawBody.toString('utf8')))
}

/**
 * GitHub: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, body)>`. GitHub signs no time, so
 * replays are caught by `X-GitHub-Delivery` alone. The event is `X-GitHub-Event`, with the body's
 * `action` when it has one (`issues` + `opened` → `issues.opened`). JSON and form-encoded
 * (`payload=…`) deliveries are both read; any other body is kept as text.
 *
 * @example
 * const result = verifyGitHub(rawBody, request.headers, secrets.webhookSecret, Date.now())
 */
export const verifyGitHub: Verify = (rawBody, headers, secret) => {
  const signature = header(headers, 'x-hub-signature-256')
  if (signature === undefined) return fail('signature', 'no X-Hub-Signature-256 header')
  if (!safeEqual(signature, `sha256=${hmacHex(secret, rawBody)}`)) {
    return fail('signature', 'X-Hub-Signature-256 does not match the body')
  }
  const deliveryId = header(headers, 'x-github-delivery')
  const name = header(headers, 'x-github-event')
  if (deliveryId === undefined || name === undefined) {
    return fail('malformed', 'no X-GitHub-Delivery or X-GitHub-Event header')
  }
  const json = isForm(headers) ? parseJson(Buffer.from(parseForm(rawBody).payload ?? '')) : parseJson(rawBody)
  const payload = json ?? rawBody.toString('utf8')
  const event = isRecord(payload) && typeof payload.action === 'string' ? `${name}.${payload.action}` : name
  return { ok: true, deliveryId, event, payload }
}

/** The event of a Slack body: Events API, interactivity (`payload=`) or a slash command. */
function slackEvent(
  rawBody: Buffer,
  headers: InboundHeaders,
): { payload: Record<string, unknown>; event: string; eventId?: string; challenge?: string } | undefined {
  if (isForm(headers)) {
    const form = parseForm(rawBody)
    if (form.payload !== undefined) {
      const payload = parseJson(Buffer.from(form.payload))
      if (!isRecord(payload) || typeof payload.type !== 'string') return undefined
      return { payload, event: payload.type }
    }
    if (form.command !== undefined) return { payload: form, event: 'slash_command' }
    return undefined
  }
  const payload = parseJson(rawBody)
  if (!isRecord(payload) || typeof payload.type !== 'string') return undefined
  if (payload.type === 'url_verification') {
    if (typeof payload.challenge !== 'string') return undefined
    return { payload, event: 'url_verification', challenge: payload.challenge }
  }
  if (payload.type === 'event_callback') {
    const inner = payload.event
    if (!isRecord(inner) || typeof inner.type !== 'string') return undefined
    return {
      payload,
      event: inner.type,
      ...(typeof payload.event_id === 'string' ? { eventId: payload.event_id } : {}),
    }
  }
  return { payload, event: payload.type }
}

/**
 * Slack: `X-Slack-Signature: v0=<hex HMAC-SHA256(secret, "v0:" + X-Slack-Request-Timestamp + ":" + body)>`,
 * refused when the timestamp is over five minutes from now. The event is the Events API's
 * `event.type` (or the body's `type`, `slash_command`, or an interaction's `type`); the delivery id
 * is the Events API's `event_id`, which Slack keeps on retries, else a hash of timestamp and
 * signature. A `url_verification` body yields its `challenge`.
 *
 * @example
 * const result = verifySlack(rawBody, request.headers, secrets.signingSecret, Date.now())
 * if (result.ok && result.challenge !== undefined) return { challenge: result.challenge }
 */
export const verifySlack: Verify = (rawBody, headers, secret, nowMs) => {
  const signature = header(headers, 'x-slack-signature')
  const timestamp = header(headers, 'x-slack-request-timestamp')
  const timestampMs = unixSeconds(timestamp)
  if (signature === undefined || timestamp === undefined || timestampMs === undefined) {
    return fail('signature', 'no X-Slack-Signature or valid X-Slack-Request-Timestamp header')
  }
  if (!safeEqual(signature, `v0=${hmacHex(secret, `v0:${timestamp}:`, rawBody)}`)) {
    return fail('signature', 'X-Slack-Signature does not match the timestamp and body')
  }
  if (isStale(timestampMs, nowMs)) return fail('stale', 'X-Slack-Request-Timestamp is over five minutes off')
  const found = slackEvent(rawBody, headers)
  const deliveryId =
    found?.eventId ?? `sha256:${createHash('sha256').update(`${timestamp}:${signature}`).digest('hex')}`
  if (found === undefined) {
    const payload = isForm(headers) ? parseForm(rawBody) : (parseJson(rawBody) ?? rawBody.toString('utf8'))
    return { ok: true, deliveryId, event: undefined, payload, timestampMs }
  }
  return {
    ok: true,
    deliveryId,
    event: found.event,
    payload: found.payload,
    timestampMs,
    ...(found.challenge === undefined ? {} : { challenge: found.challenge }),
  }
}

/**
 * Stripe: `Stripe-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, t + "." + body)>`, several `v1`
 * while a secret is rolled (any one matching is enough), refused when `t` is over five minutes from
 * now. The delivery id is the event's `id` (`evt_…`), the event its `type`.
 *
 * @example
 * const result = verifyStripe(rawBody, request.headers, secrets.webhookSigningSecret, Date.now())
 */
export const verifyStripe: Verify = (rawBody, headers, secret, nowMs) => {
  const value = header(headers, 'stripe-signature')
  if (value === undefined) return fail('signature', 'no Stripe-Signature header')
  let timestamp: string | undefined
  const signatures: string[] = []
  for (const item of value.split(',')) {
    const at = item.indexOf('=')
    const key = item.slice(0, at).trim()
    const text = item.slice(at + 1).trim()
    if (key === 't') timestamp ??= text
    else if (key === 'v1') signatures.push(text)
  }
  const timestampMs = unixSeconds(timestamp)
  if (timestamp === undefined || timestampMs === undefined || signatures.length === 0) {
    return fail('signature', 'Stripe-Signature has no t= or no v1= signature')
  }
  const expected = hmacHex(secret, `${timestamp}.`, rawBody)
  // Every candidate is compared, so the time taken does not say which one matched.
  let matched = false
  for (const signature of signatures) matched = safeEqual(signature, expected) || matched
  if (!matched) return fail('signature', 'no v1 signature in Stripe-Signature matches the body')
  if (isStale(timestampMs, nowMs))
    return fail('stale', 'the Stripe-Signature timestamp is over five minutes off')
  const payload = parseJson(rawBody)
  if (!isRecord(payload) || typeof payload.id !== 'string' || payload.id === '') {
    return fail('malformed', 'the body is not a Stripe event with an id')
  }
  const event = typeof payload.type === 'string' ? payload.type : undefined
  return { ok: true, deliveryId: payload.id, event, payload, timestampMs }
}

/**
 * Standard Webhooks (https://www.standardwebhooks.com): `webhook-signature: v1,<base64
 * HMAC-SHA256(key, id + "." + timestamp + "." + body)>` (several, space-separated, while a key is
 * rotated), the key being the base64 after `whsec_`. The `standardwebhooks` library computes the
 * signature; the five-minute window is checked here against the injected time (the library reads
 * the system clock). The delivery id is `webhook-id`, the event the body's `type`.
 *
 * @example
 * const result = verifyStandardWebhooks(rawBody, request.headers, secrets.webhookSecret, Date.now())
 */
export const verifyStandardWebhooks: Verify = (rawBody, headers, secret, nowMs) => {
  const id = header(headers, 'webhook-id')
  const timestamp = header(headers, 'webhook-timestamp')
  const signatures = header(headers, 'webhook-signature')
  const timestampMs = unixSeconds(timestamp)
  if (id === undefined || signatures === undefined || timestampMs === undefined) {
    return fail('signature', 'no webhook-id, webhook-signature or valid webhook-timestamp header')
  }
  // JSON is UTF-8, and the library signs the body as text: bytes that are not UTF-8 would be
  // replaced before signing, so two different bodies could share a signature.
  if (!isUtf8(rawBody)) return fail('signature', 'the body is not UTF-8')
  let expected: string
  try {
    expected = new Webhook(secret).sign(id, new Date(timestampMs), rawBody.toString('utf8'))
  } catch {
    return fail('signature', 'the secret is not a whsec_ base64 key')
  }
  let matched = false
  for (const signature of signatures.split(' ')) matched = safeEqual(signature, expected) || matched
  if (!matched) return fail('signature', 'no v1 signature in webhook-signature matches the body')
  if (isStale(timestampMs, nowMs)) return fail('stale', 'webhook-timestamp is over five minutes off')
  const payload = parseJson(rawBody) ?? rawBody.toString('utf8')
  const event = isRecord(payload) && typeof payload.type === 'string' ? payload.type : undefined
  return { ok: true, deliveryId: id, event, payload, timestampMs }
}

/** Each scheme's verification, by the name a trigger declaration gives it. */
export const verifiers: Readonly<Record<TriggerVerifier, Verify>> = {
  github: verifyGitHub,
  slack: verifySlack,
  stripe: verifyStripe,
  'standard-webhooks': verifyStandardWebhooks,
}
