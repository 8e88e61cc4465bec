import { createHash } from 'node:crypto'
import { Webhook } from 'standardwebhooks'
import { describe, expect, it } from 'vitest'
import {
  bodyExcerpt,
  deliveryHeaders,
  deliveryJobId,
  maxRetryAfterMs,
  newSecret,
  newSpanId,
  nextDelayMs,
  signatureHeader,
  traceIdOf,
  traceparentOf,
} from './delivery.js'
import { isDeliverable } from './dispatcher.js'
import { eventProblems, urlProblems } from './service.js'

const payload = '{"type":"webhook.test","timestamp":"2026-01-15T12:00:00.000Z","data":{"n":1}}'
const now = () => Math.floor(Date.now() / 1000)

describe('signing', () => {
  it('makes whsec_ secrets of 24 random bytes', () => {
    const secret = newSecret()
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/)
    expect(Buffer.from(secret.slice(6), 'base64')).toHaveLength(24)
    expect(newSecret()).not.toBe(secret)
  })

  it('signs so that the standardwebhooks library verifies, and a changed body does not', () => {
    const secret = newSecret()
    const headers = deliveryHeaders({
      messageId: 'msg_1',
      payload,
      secrets: [secret],
      timestampSeconds: now(),
      correlationId: null,
      traceparent: traceparentOf('x'),
    })
    expect(new Webhook(secret).verify(payload, headers)).toEqual(JSON.parse(payload))
    expect(() => new Webhook(secret).verify(payload.replace('1', '2'), headers)).toThrow(/signature/)
    expect(() => new Webhook(newSecret()).verify(payload, headers)).toThrow(/signature/)
    expect(headers).not.toHaveProperty('x-toolplane-correlation-id')
  })

  it('carries one signature per secret, each verifying with its own secret', () => {
    const [current, previous] = [newSecret(), newSecret()]
    const timestamp = now()
    const header = signatureHeader([current, previous], 'msg_2', timestamp, payload)
    expect(header.split(' ')).toHaveLength(2)
    expect(header).toMatch(/^v1,[A-Za-z0-9+/]+=* v1,[A-Za-z0-9+/]+=*$/)
    const headers = {
      'webhook-id': 'msg_2',
      'webhook-timestamp': String(timestamp),
      'webhook-signature': header,
    }
    for (const secret of [current, previous])
      expect(() => new Webhook(secret).verify(payload, headers)).not.toThrow()
  })

  it('matches the Standard Webhooks test vector', () => {
    // From the specification's reference libraries.
    const header = signatureHeader(
      ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'],
      'msg_p5jXN8AQM9LWM0D4loKWxJek',
      1614265330,
      '{"test": 2432232314}',
    )
    expect(header).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=')
  })
})

describe('trace context', () => {
  it('uses the hex digits of a UUID correlation id as the trace id', () => {
    expect(traceIdOf('0193A1B2-C3D4-7E8F-9A0B-1C2D3E4F5A6B')).toBe('0193a1b2c3d47e8f9a0b1c2d3e4f5a6b')
  })

  it('hashes any other correlation id, and the all-zero UUID', () => {
    const sha = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 32)
    expect(traceIdOf('corr-1')).toBe(sha('corr-1'))
    const nil = '00000000-0000-0000-0000-000000000000'
    expect(traceIdOf(nil)).toBe(sha(nil))
  })

  it('builds a sampled traceparent with a new span per call', () => {
    const a = traceparentOf('corr-1')
    const b = traceparentOf('corr-1')
    expect(a).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/)
    expect(a.slice(0, 35)).toBe(b.slice(0, 35))
    expect(a).not.toBe(b)
    expect(traceparentOf('corr-1', 'abcdef0123456789')).toBe(`00-${traceIdOf('corr-1')}-abcdef0123456789-01`)
    expect(newSpanId()).toMatch(/^[0-9a-f]{16}$/)
  })

  it('sends the correlation id when there is one', () => {
    const headers = deliveryHeaders({
      messageId: 'msg_3',
      payload,
      secrets: [newSecret()],
      timestampSeconds: 1,
      correlationId: 'corr-9',
      traceparent: traceparentOf('corr-9'),
    })
    expect(headers['x-toolplane-correlation-id']).toBe('corr-9')
    expect(headers.traceparent).toContain(traceIdOf('corr-9'))
    expect(headers['webhook-timestamp']).toBe('1')
  })
})

describe('the retry schedule', () => {
  const schedule = [0, 5_000, 300_000]

  it('waits schedule[n] before attempt n+1 and stops at its end', () => {
    expect(nextDelayMs(schedule, 1)).toBe(5_000)
    expect(nextDelayMs(schedule, 2)).toBe(300_000)
    expect(nextDelayMs(schedule, 3)).toBeNull()
  })

  it('lets Retry-After raise a delay, never lower it, up to a day', () => {
    expect(nextDelayMs(schedule, 1, 60_000)).toBe(60_000)
    expect(nextDelayMs(schedule, 2, 1_000)).toBe(300_000)
    expect(nextDelayMs(schedule, 1, 365 * 86_400_000)).toBe(maxRetryAfterMs)
    expect(nextDelayMs(schedule, 3, 1_000)).toBeNull()
  })

  it('names a generation’s job after the delivery', () => {
    expect(deliveryJobId('dlv_1', 0)).toBe('dlv_1')
    expect(deliveryJobId('dlv_1', 2)).toBe('dlv_1:r2')
  })
})

describe('what is kept and what is sent', () => {
  it('keeps the first 4 KB of a body without a broken character at the cut', () => {
    expect(bodyExcerpt(Buffer.from('x'.repeat(5000)))).toHaveLength(4096)
    expect(bodyExcerpt(Buffer.from('short'))).toBe('short')
    const cut = bodyExcerpt(Buffer.from(`${'x'.repeat(4095)}é`))
    expect(cut).toBe('x'.repeat(4095))
  })

  it('delivers public event types and triggers, not internal ones', () => {
    expect(isDeliverable('execution.succeeded')).toBe(true)
    expect(isDeliverable('trigger.github.push')).toBe(true)
    expect(isDeliverable('execution.cancel_requested')).toBe(false)
    expect(isDeliverable('trigger.')).toBe(false)
  })

  it('accepts known types, prefixes, triggers and *, and names what it refuses', () => {
    expect(
      eventProblems(['*', 'execution.*', 'batch.completed', 'trigger.github.*', 'trigger.stripe.charge']),
    ).toEqual([])
    expect(eventProblems(['execution.succeded', 'nothing.*', 'a b'])).toEqual([
      { path: '/body/events/0', message: expect.stringContaining('matches no event type') as string },
      { path: '/body/events/1', message: expect.stringContaining('matches no event type') as string },
      { path: '/body/events/2', message: expect.stringContaining('not an event pattern') as string },
    ])
  })

  it('refuses URLs that are not http(s) or carry credentials', () => {
    expect(urlProblems('https://example.com/hooks')).toEqual([])
    expect(urlProblems('http://127.0.0.1:9/hooks')).toEqual([])
    expect(urlProblems('ftp://example.com/')).toEqual(['The URL must be http or https'])
    expect(urlProblems('not a url')).toHaveLength(1)
    expect(urlProblems('https://a:b@example.com/')).toHaveLength(1)
  })
})
