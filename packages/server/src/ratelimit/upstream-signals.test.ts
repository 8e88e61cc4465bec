import { describe, expect, it } from 'vitest'
import { MAX_UPSTREAM_WAIT_MS, upstreamSignal } from './upstream-signals.js'

const now = Date.parse('2025-01-01T00:00:00Z')
const nowSeconds = now / 1000

describe('upstreamSignal', () => {
  it('reads Retry-After in seconds on a 429 (Slack) and a 503', () => {
    expect(upstreamSignal(429, { 'retry-after': '30' }, now)).toEqual({
      waitUntilMs: now + 30_000,
      reason: '429 with Retry-After: 30',
    })
    expect(upstreamSignal(503, { 'retry-after': '5' }, now)?.waitUntilMs).toBe(now + 5_000)
  })

  it('reads Retry-After as an HTTP date', () => {
    expect(upstreamSignal(429, { 'retry-after': 'Wed, 01 Jan 2025 00:02:00 GMT' }, now)?.waitUntilMs).toBe(
      now + 120_000,
    )
  })

  it("reads Retry-After on a 403, GitHub's answer when its secondary limits are hit", () => {
    expect(upstreamSignal(403, { 'retry-after': '60' }, now)?.waitUntilMs).toBe(now + 60_000)
  })

  it('ignores Retry-After on statuses that do not mean "slow down"', () => {
    expect(upstreamSignal(200, { 'retry-after': '30' }, now)).toBeNull()
    expect(upstreamSignal(301, { 'retry-after': '30' }, now)).toBeNull()
    expect(upstreamSignal(undefined, { 'retry-after': '30' }, now)).toBeNull()
  })

  it('gives no signal for a 429 without any hint: the caller decides', () => {
    expect(upstreamSignal(429, {}, now)).toBeNull()
    expect(upstreamSignal(429, { 'content-type': 'application/json' }, now)).toBeNull()
  })

  it("reads GitHub's spent quota, with its reset in epoch seconds and the resource", () => {
    const signal = upstreamSignal(
      403,
      {
        'x-ratelimit-limit': '5000',
        'x-ratelimit-remaining': '0',
        'x-ratelimit-reset': String(nowSeconds + 1_200),
        'x-ratelimit-resource': 'core',
      },
      now,
    )
    expect(signal?.waitUntilMs).toBe(now + 1_200_000)
    expect(signal?.reason).toContain('resource core')
  })

  it('reads a spent quota on a successful response too: the next call would be refused', () => {
    expect(
      upstreamSignal(200, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(nowSeconds + 60) }, now)
        ?.waitUntilMs,
    ).toBe(now + 60_000)
  })

  it('reads a small X-RateLimit-Reset as seconds from now, and a huge one as epoch milliseconds', () => {
    expect(
      upstreamSignal(200, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '45' }, now)?.waitUntilMs,
    ).toBe(now + 45_000)
    expect(
      upstreamSignal(200, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(now + 7_000) }, now)
        ?.waitUntilMs,
    ).toBe(now + 7_000)
  })

  it('gives no signal while quota remains', () => {
    expect(
      upstreamSignal(
        200,
        { 'x-ratelimit-remaining': '12', 'x-ratelimit-reset': String(nowSeconds + 60) },
        now,
      ),
    ).toBeNull()
  })

  it('reads a reset alone on a 429', () => {
    expect(upstreamSignal(429, { 'x-ratelimit-reset': '20' }, now)?.waitUntilMs).toBe(now + 20_000)
    expect(upstreamSignal(200, { 'x-ratelimit-reset': '20' }, now)).toBeNull()
  })

  it("reads the early IETF drafts' RateLimit-Remaining and RateLimit-Reset (GitLab)", () => {
    expect(
      upstreamSignal(429, { 'ratelimit-remaining': '0', 'ratelimit-reset': String(nowSeconds + 30) }, now)
        ?.waitUntilMs,
    ).toBe(now + 30_000)
  })

  it('reads the IETF RateLimit field: an item with nothing remaining', () => {
    expect(upstreamSignal(200, { ratelimit: '"default";r=0;t=30' }, now)).toEqual({
      waitUntilMs: now + 30_000,
      reason: 'RateLimit: "default";r=0;t=30',
    })
    expect(
      upstreamSignal(200, { ratelimit: '"burst";r=5;t=1, "daily";r=0;t=600, "odd;name";r=0;t=10' }, now)
        ?.waitUntilMs,
    ).toBe(now + 600_000)
    expect(upstreamSignal(200, { ratelimit: '"default";r=3;t=30' }, now)).toBeNull()
  })

  it("reads draft 07's RateLimit dictionary", () => {
    expect(upstreamSignal(429, { ratelimit: 'limit=100, remaining=0, reset=15' }, now)?.waitUntilMs).toBe(
      now + 15_000,
    )
  })

  it('takes the latest moment when several headers speak', () => {
    const signal = upstreamSignal(
      429,
      { 'retry-after': '10', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(nowSeconds + 90) },
      now,
    )
    expect(signal?.waitUntilMs).toBe(now + 90_000)
  })

  it('caps a wait at an hour', () => {
    const signal = upstreamSignal(429, { 'retry-after': String(30 * 86_400) }, now)
    expect(signal?.waitUntilMs).toBe(now + MAX_UPSTREAM_WAIT_MS)
    expect(signal?.reason).toContain('capped')
    expect(
      upstreamSignal(200, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '99999999999' }, now)
        ?.waitUntilMs,
    ).toBe(now + MAX_UPSTREAM_WAIT_MS)
  })

  it('ignores moments in the past and values that do not parse', () => {
    expect(upstreamSignal(429, { 'retry-after': '0' }, now)).toBeNull()
    expect(upstreamSignal(429, { 'retry-after': 'Tue, 31 Dec 2024 23:00:00 GMT' }, now)).toBeNull()
    expect(upstreamSignal(429, { 'retry-after': 'soon' }, now)).toBeNull()
    expect(upstreamSignal(429, { 'retry-after': '-5' }, now)).toBeNull()
    expect(upstreamSignal(429, { 'retry-after': '' }, now)).toBeNull()
    expect(
      upstreamSignal(
        200,
        { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(nowSeconds - 60) },
        now,
      ),
    ).toBeNull()
    expect(
      upstreamSignal(200, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': 'tomorrow' }, now),
    ).toBeNull()
    expect(upstreamSignal(200, { ratelimit: '"default";r=0;t=-3' }, now)).toBeNull()
    expect(upstreamSignal(200, { ratelimit: '"default";r=0' }, now)).toBeNull()
  })

  it('reads the first value of a repeated header', () => {
    expect(upstreamSignal(429, { 'retry-after': ['', '12', '99'] }, now)?.waitUntilMs).toBe(now + 12_000)
  })

  it('rounds a fractional wait up to a whole millisecond', () => {
    expect(upstreamSignal(429, { 'retry-after': '1.5' }, now + 0.2)?.waitUntilMs).toBe(now + 1_501)
  })
})
