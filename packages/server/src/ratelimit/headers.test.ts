import { describe, expect, it } from 'vitest'
import type { RateLimitDecision, RateLimitPolicy } from '../infra/rate-limiter.js'
import {
  formatRateLimit,
  formatRateLimitPolicy,
  policyWindowSeconds,
  rateLimitFields,
  retryAfterSeconds,
} from './headers.js'

const api: RateLimitPolicy = { name: 'api', perSecond: 100, burst: 200 }
const hourly: RateLimitPolicy = { name: 'github', perSecond: 5000 / 3600, burst: 5000 }

const decision = (overrides: Partial<RateLimitDecision> = {}): RateLimitDecision => ({
  allowed: true,
  remaining: 17,
  retryAfterMs: 0,
  resetMs: 1_830,
  policy: api,
  ...overrides,
})

describe('RateLimit-Policy', () => {
  it('gives the burst as the quota and the time to refill from empty as the window', () => {
    expect(formatRateLimitPolicy([api])).toBe('"api";q=200;w=2')
    expect(formatRateLimitPolicy([hourly])).toBe('"github";q=5000;w=3600')
  })

  it('rounds the window up, to at least a second', () => {
    expect(policyWindowSeconds({ name: 'a', perSecond: 3, burst: 10 })).toBe(4)
    expect(policyWindowSeconds({ name: 'a', perSecond: 1000, burst: 1 })).toBe(1)
  })

  it('lists several policies, comma-separated', () => {
    expect(formatRateLimitPolicy([api, hourly])).toBe('"api";q=200;w=2, "github";q=5000;w=3600')
  })

  it('escapes a name as a Structured Field string, and refuses what it cannot carry', () => {
    expect(formatRateLimitPolicy([{ ...api, name: 'say "hi" \\o/' }])).toBe('"say \\"hi\\" \\\\o/";q=200;w=2')
    expect(() => formatRateLimitPolicy([{ ...api, name: 'café' }])).toThrow(RangeError)
    expect(() => formatRateLimitPolicy([{ ...api, name: 'a\nb' }])).toThrow(RangeError)
  })

  it('keeps integers within what a Structured Field allows', () => {
    expect(formatRateLimitPolicy([{ name: 'slow', perSecond: 1e-12, burst: 5000 }])).toBe(
      '"slow";q=5000;w=999999999999999',
    )
  })
})

describe('RateLimit', () => {
  it('gives the whole tokens left and the whole seconds until the bucket is full', () => {
    expect(formatRateLimit([decision()])).toBe('"api";r=17;t=2')
    expect(formatRateLimit([decision({ remaining: 200, resetMs: 0 })])).toBe('"api";r=200;t=0')
  })

  it('lists one item per decision', () => {
    expect(
      formatRateLimit([decision(), decision({ policy: hourly, remaining: 0, resetMs: 3_600_000 })]),
    ).toBe('"api";r=17;t=2, "github";r=0;t=3600')
  })
})

describe('retryAfterSeconds', () => {
  it('rounds up to whole seconds, at least 1', () => {
    expect(retryAfterSeconds(0)).toBe(1)
    expect(retryAfterSeconds(1)).toBe(1)
    expect(retryAfterSeconds(1000)).toBe(1)
    expect(retryAfterSeconds(2_001)).toBe(3)
  })
})

describe('rateLimitFields', () => {
  it('carries both fields on an admitted request, and no Retry-After', () => {
    expect(rateLimitFields([decision()])).toEqual({
      'ratelimit-policy': '"api";q=200;w=2',
      ratelimit: '"api";r=17;t=2',
    })
  })

  it('adds Retry-After with the longest wait when a decision refused', () => {
    const fields = rateLimitFields([
      decision({ allowed: false, remaining: 0, retryAfterMs: 10 }),
      decision({ policy: hourly, allowed: false, remaining: 0, retryAfterMs: 4_500 }),
    ])
    expect(fields['retry-after']).toBe('5')
  })

  it('is empty without decisions', () => {
    expect(rateLimitFields([])).toEqual({})
  })
})
