import {
  AbortedError,
  ActionError,
  BlockedAddressError,
  NetworkError,
  TimeoutError,
  UpstreamHTTPError,
} from '@toolplane/sdk'
import { describe, expect, it } from 'vitest'
import { RETRY_CAP_MS, retryDelayMs, shouldRetry } from './retry.js'

const highest = () => 0.999_999
const lowest = () => 0

describe('retryDelayMs', () => {
  it('doubles the ceiling with each attempt, from 250 ms', () => {
    expect([1, 2, 3, 4, 5].map((attempt) => retryDelayMs(attempt, { random: highest }))).toEqual([
      250, 500, 1000, 2000, 4000,
    ])
  })

  it('draws the whole delay at random, down to zero (full jitter)', () => {
    expect(retryDelayMs(4, { random: lowest })).toBe(0)
    expect(retryDelayMs(4, { random: () => 0.5 })).toBe(1000)
  })

  it('never waits longer than the cap, however many attempts failed', () => {
    expect(retryDelayMs(20, { random: highest })).toBe(RETRY_CAP_MS)
    expect(retryDelayMs(5000, { random: highest })).toBe(RETRY_CAP_MS)
    expect(retryDelayMs(10, { random: highest, baseMs: 100, capMs: 5000 })).toBe(5000)
  })

  it('stays within its bounds for any random draw', () => {
    for (let attempt = 1; attempt <= 12; attempt++) {
      for (const draw of [0, 0.1, 0.5, 0.9, 0.999]) {
        const delay = retryDelayMs(attempt, { random: () => draw })
        expect(delay).toBeGreaterThanOrEqual(0)
        expect(delay).toBeLessThanOrEqual(Math.min(RETRY_CAP_MS, 250 * 2 ** (attempt - 1)))
      }
    }
  })

  it('waits at least as long as the upstream asked, plus up to 10 % of it', () => {
    expect(retryDelayMs(1, { retryAfterMs: 2000, random: lowest })).toBe(2000)
    expect(retryDelayMs(1, { retryAfterMs: 2000, random: highest })).toBe(2200)
    expect(retryDelayMs(1, { retryAfterMs: 500, random: () => 0.5 })).toBe(525)
  })

  it('adds at most 250 ms of jitter to a long wait the upstream asked for', () => {
    expect(retryDelayMs(1, { retryAfterMs: 60_000, random: highest })).toBe(60_250)
  })

  it('honours a wait beyond the cap', () => {
    expect(retryDelayMs(1, { retryAfterMs: 3_600_000, random: lowest })).toBe(3_600_000)
  })

  it('keeps the backoff when it is longer than the wait the upstream asked for', () => {
    expect(retryDelayMs(6, { retryAfterMs: 1000, random: highest })).toBe(8000)
  })

  it('spreads callers that were told the same wait', () => {
    const delays = new Set(
      [0.1, 0.4, 0.7].map((draw) => retryDelayMs(1, { retryAfterMs: 1000, random: () => draw })),
    )
    expect(delays.size).toBe(3)
  })
})

describe('shouldRetry', () => {
  const first = { attempt: 1, maxAttempts: 3, idempotent: false }

  const unavailableAfterSending = new UpstreamHTTPError({
    method: 'POST',
    url: 'https://api.example.test/issues',
    status: 503,
    headers: {},
    text: 'Service Unavailable',
  })

  it('does not repeat a non-idempotent call whose request reached the upstream', () => {
    expect(shouldRetry(unavailableAfterSending, first)).toBe(false)
    expect(shouldRetry(new TimeoutError(30_000), first)).toBe(false)
  })

  it('repeats the same failure of an idempotent action', () => {
    expect(shouldRetry(unavailableAfterSending, { ...first, idempotent: true })).toBe(true)
    expect(shouldRetry(new TimeoutError(30_000), { ...first, idempotent: true })).toBe(true)
  })

  it('repeats a non-idempotent call that certainly never left', () => {
    const refused = new NetworkError('ECONNREFUSED', 'connect ECONNREFUSED 203.0.113.7:443')
    expect(refused.requestSent).toBe(false)
    expect(shouldRetry(refused, first)).toBe(true)
  })

  it('does not repeat a non-idempotent call after a connection reset, which may have arrived', () => {
    expect(shouldRetry(new NetworkError('ECONNRESET', 'socket hang up'), first)).toBe(false)
  })

  it('repeats a rate-limited call, which the upstream did not process', () => {
    const tooMany = new UpstreamHTTPError({
      method: 'POST',
      url: 'https://api.example.test/messages',
      status: 429,
      headers: { 'retry-after': '3' },
      text: '',
    })
    expect(tooMany.requestSent).toBe(true)
    expect(shouldRetry(tooMany, first)).toBe(true)
  })

  it('does not repeat what cannot succeed unchanged', () => {
    const invalid = new UpstreamHTTPError({
      method: 'GET',
      url: 'https://api.example.test/search',
      status: 400,
      headers: {},
      text: '',
    })
    expect(shouldRetry(invalid, { ...first, idempotent: true })).toBe(false)
    expect(shouldRetry(new BlockedAddressError('metadata', '169.254.169.254', 'link-local'), first)).toBe(
      false,
    )
    expect(shouldRetry(new AbortedError(), { ...first, idempotent: true })).toBe(false)
  })

  it('follows a tool that marks an error retryable or not', () => {
    const retryable = new ActionError('upstream_error', 'Stripe: lock_timeout', {
      retryable: true,
      requestSent: false,
    })
    expect(shouldRetry(retryable, first)).toBe(true)
    const final = new ActionError('rate_limited', 'Daily limit spent', { retryable: false })
    expect(shouldRetry(final, first)).toBe(false)
  })

  it('stops after the last attempt', () => {
    const refused = new NetworkError('ECONNREFUSED', 'connect ECONNREFUSED')
    expect(shouldRetry(refused, { attempt: 2, maxAttempts: 3, idempotent: true })).toBe(true)
    expect(shouldRetry(refused, { attempt: 3, maxAttempts: 3, idempotent: true })).toBe(false)
    expect(shouldRetry(refused, { attempt: 1, maxAttempts: 1, idempotent: true })).toBe(false)
  })
})
