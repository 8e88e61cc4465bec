import { afterEach, describe, expect, it, vi } from 'vitest'
import { parseRateLimit } from '../config.js'
import { blockBucket, rateLimitPolicy, takeFromBucket } from './rate-limiter.js'
import type { RateLimitPolicy, TokenBucket } from './rate-limiter.js'
import { createMemoryRateLimiter } from './rate-limiter-memory.js'

const policy: RateLimitPolicy = { name: 'api', perSecond: 10, burst: 3 }

/** A clock that only moves when told to. */
function manualClock(start = 1_700_000_000_000) {
  let now = start
  return {
    now: () => now,
    advance(ms: number) {
      now += ms
    },
  }
}

/** Runs takes through the pure function, keeping the bucket between them. */
function bucketAt() {
  let bucket: TokenBucket | undefined
  return (nowMs: number, cost = 1, withPolicy: RateLimitPolicy = policy) => {
    const result = takeFromBucket(bucket, withPolicy, cost, nowMs)
    bucket = result.bucket
    return result.decision
  }
}

describe('takeFromBucket', () => {
  it('admits a full burst at once, then refuses with the time until the next token', () => {
    const take = bucketAt()
    expect([take(0), take(0), take(0)].map((d) => [d.allowed, d.remaining])).toEqual([
      [true, 2],
      [true, 1],
      [true, 0],
    ])
    const refused = take(0)
    expect(refused).toMatchObject({ allowed: false, remaining: 0, retryAfterMs: 100, resetMs: 300 })
  })

  it('refills at perSecond, never beyond the burst', () => {
    const take = bucketAt()
    for (let index = 0; index < 3; index++) take(0)
    expect(take(99).allowed).toBe(false)
    expect(take(100)).toMatchObject({ allowed: true, remaining: 0 })
    // An hour idle fills the bucket to its burst, and no further.
    expect(take(3_600_000)).toMatchObject({ allowed: true, remaining: 2, resetMs: 100 })
  })

  it('takes nothing when it refuses', () => {
    const take = bucketAt()
    take(0, 3)
    for (let attempt = 0; attempt < 10; attempt++) expect(take(50).retryAfterMs).toBe(50)
    expect(take(100).allowed).toBe(true)
  })

  it('takes several tokens at once, or none of them', () => {
    const take = bucketAt()
    expect(take(0, 2)).toMatchObject({ allowed: true, remaining: 1 })
    // 1 token there, 2 wanted: refused, with the time for the missing one.
    expect(take(0, 2)).toMatchObject({ allowed: false, remaining: 1, retryAfterMs: 100 })
    expect(take(0, 1)).toMatchObject({ allowed: true, remaining: 0 })
  })

  it('keeps fractional rates exact: 5,000 an hour is a token every 720 ms', () => {
    const hourly = rateLimitPolicy('github', { perSecond: 5000 / 3600, burst: 1 })
    const take = bucketAt()
    expect(take(0, 1, hourly).allowed).toBe(true)
    expect(take(0, 1, hourly).retryAfterMs).toBe(720)
    expect(take(719, 1, hourly).allowed).toBe(false)
    expect(take(720, 1, hourly).allowed).toBe(true)
    // A third of a token a second: 3 s make exactly one token despite floating point.
    const slow = { name: 'slow', perSecond: 1 / 3, burst: 1 }
    const takeSlow = bucketAt()
    expect(takeSlow(0, 1, slow).allowed).toBe(true)
    for (let second = 1; second <= 30; second++) {
      expect(takeSlow(second * 3000, 1, slow).allowed, `at ${second * 3} s`).toBe(true)
    }
  })

  it('clamps what a bucket holds to a smaller burst, and does not grant a larger one at once', () => {
    const take = bucketAt()
    const wide = { name: 'api', perSecond: 1, burst: 10 }
    expect(take(0, 1, wide).remaining).toBe(9)
    expect(take(0, 1, { ...wide, burst: 3 })).toMatchObject({ allowed: true, remaining: 2 })
    // Raising the burst again keeps the two tokens; the rest comes at the refill rate.
    expect(take(0, 1, wide)).toMatchObject({ allowed: true, remaining: 1, resetMs: 9000 })
  })

  it('refills nothing for time the clock went back, and does not stall after it', () => {
    const take = bucketAt()
    for (let index = 0; index < 3; index++) take(10_000)
    expect(take(5_000).allowed).toBe(false)
    expect(take(5_100).allowed).toBe(true)
  })

  it('refuses every take during a block, while the bucket goes on refilling', () => {
    const start = takeFromBucket(undefined, policy, 3, 0).bucket
    const blocked = blockBucket(start, 1_000, 0)
    expect(takeFromBucket(blocked, policy, 1, 500).decision).toMatchObject({
      allowed: false,
      remaining: 0,
      retryAfterMs: 500,
      resetMs: 500,
    })
    expect(takeFromBucket(blocked, policy, 1, 1_000).decision).toMatchObject({ allowed: true, remaining: 2 })
  })

  it('waits for the tokens when they come later than the end of the block', () => {
    const empty = takeFromBucket(undefined, policy, 3, 0).bucket
    const briefly = blockBucket(empty, 50, 0)
    expect(takeFromBucket(briefly, policy, 3, 0).decision).toMatchObject({
      allowed: false,
      retryAfterMs: 300,
    })
  })

  it('keeps the later of two blocks', () => {
    const later = blockBucket(blockBucket(undefined, 2_000, 0), 1_000, 0)
    expect(later.blockedUntilMs).toBe(2_000)
    expect(later.idleFromMs).toBe(2_000)
  })

  it('says when the bucket is idle, so that forgetting it changes nothing', () => {
    const { bucket } = takeFromBucket(undefined, policy, 2, 1_000)
    expect(bucket.idleFromMs).toBe(1_200)
  })
})

describe('rateLimitPolicy', () => {
  it('turns a configured limit into a policy', () => {
    const limit = parseRateLimit('5000/h,burst=100')
    expect(limit).not.toBeNull()
    if (limit === null) return
    expect(rateLimitPolicy('api', limit)).toEqual({ name: 'api', perSecond: 5000 / 3600, burst: 100 })
  })

  it('refuses what is not a bucket', () => {
    expect(() => rateLimitPolicy('api', { perSecond: 0, burst: 1 })).toThrow(RangeError)
    expect(() => rateLimitPolicy('api', { perSecond: Number.POSITIVE_INFINITY, burst: 1 })).toThrow(
      RangeError,
    )
    expect(() => rateLimitPolicy('api', { perSecond: 1, burst: 0.5 })).toThrow(RangeError)
    expect(() => rateLimitPolicy('', { perSecond: 1, burst: 1 })).toThrow(RangeError)
  })
})

describe('memory rate limiter', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it('keeps a bucket per key', async () => {
    const clock = manualClock()
    const limiter = createMemoryRateLimiter({ clock: clock.now })
    for (let index = 0; index < 3; index++) await limiter.take('a', policy)
    expect((await limiter.take('a', policy)).allowed).toBe(false)
    expect(await limiter.take('b', policy)).toMatchObject({ allowed: true, remaining: 2, policy })
    await limiter.close()
  })

  it('refills with the clock', async () => {
    const clock = manualClock()
    const limiter = createMemoryRateLimiter({ clock: clock.now })
    for (let index = 0; index < 3; index++) await limiter.take('k', policy)
    const refused = await limiter.take('k', policy)
    expect(refused.retryAfterMs).toBe(100)
    clock.advance(refused.retryAfterMs)
    expect((await limiter.take('k', policy)).allowed).toBe(true)
    expect((await limiter.take('k', policy)).allowed).toBe(false)
    await limiter.close()
  })

  it('refuses takes on a blocked key until the block ends; an earlier block does not shorten it', async () => {
    const clock = manualClock()
    const limiter = createMemoryRateLimiter({ clock: clock.now })
    await limiter.block('k', clock.now() + 30_000)
    await limiter.block('k', clock.now() + 1_000)
    // A moment already past changes nothing.
    await limiter.block('k', clock.now() - 1)
    expect(await limiter.take('k', policy)).toMatchObject({
      allowed: false,
      retryAfterMs: 30_000,
      remaining: 0,
    })
    clock.advance(29_999)
    expect((await limiter.take('k', policy)).retryAfterMs).toBe(1)
    clock.advance(1)
    expect(await limiter.take('k', policy)).toMatchObject({ allowed: true, remaining: 2 })
    await limiter.close()
  })

  it('admits no more than the burst plus the refill, however the takes interleave', async () => {
    const clock = manualClock()
    const limiter = createMemoryRateLimiter({ clock: clock.now })
    const steady = { name: 'api', perSecond: 20, burst: 40 }
    const start = clock.now()
    let admitted = 0
    let taken = 0
    // 50 callers, 40 takes each, the clock moving 1 ms after every 10 takes: 200 ms in all.
    await Promise.all(
      Array.from({ length: 50 }, async () => {
        for (let index = 0; index < 40; index++) {
          if ((await limiter.take('k', steady)).allowed) admitted += 1
          taken += 1
          if (taken % 10 === 0) clock.advance(1)
        }
      }),
    )
    const elapsedSeconds = (clock.now() - start) / 1000
    expect(elapsedSeconds).toBe(0.2)
    // 40 at once, then one every 50 ms: 44 in 200 ms (the last tick falls after the last take).
    expect(admitted).toBeGreaterThanOrEqual(40)
    expect(admitted).toBeLessThanOrEqual(40 + 20 * elapsedSeconds)
    await limiter.close()
  })

  it('refuses a take that could never succeed, and a bad key or block', async () => {
    const limiter = createMemoryRateLimiter()
    await expect(limiter.take('k', policy, 4)).rejects.toThrow(RangeError)
    await expect(limiter.take('k', policy, 0)).rejects.toThrow(RangeError)
    await expect(limiter.take('k', policy, 1.5)).rejects.toThrow(RangeError)
    await expect(limiter.take('', policy)).rejects.toThrow(RangeError)
    await expect(limiter.take('k', { ...policy, perSecond: -1 })).rejects.toThrow(RangeError)
    await expect(limiter.block('k', Number.NaN)).rejects.toThrow(RangeError)
    await limiter.close()
  })

  it('drops buckets that are full and unblocked in its sweep', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] })
    const clock = manualClock()
    const limiter = createMemoryRateLimiter({ clock: clock.now, sweepIntervalMs: 1_000 })
    await limiter.take('refilled soon', policy)
    await limiter.block('blocked long', clock.now() + 60_000)
    expect(limiter.size).toBe(2)
    clock.advance(1_000)
    vi.advanceTimersByTime(1_000)
    expect(limiter.size).toBe(1)
    clock.advance(60_000)
    vi.advanceTimersByTime(1_000)
    expect(limiter.size).toBe(0)
    await limiter.close()
  })

  // A bucket that refills a token in about 17 minutes, so that seconds on the clock leave it empty.
  const slow: RateLimitPolicy = { name: 'api', perSecond: 0.001, burst: 3 }

  // A bucket used again moves to the recently used end only when its last move is a second old, so a
  // hot key is not moved on every take.
  it.each([
    { after: 1_000, kept: 'a', forgotten: 'b' },
    { after: 999, kept: 'b', forgotten: 'a' },
  ])(
    'forgets the least recently used bucket beyond maxKeys, to within a second (used again after $after ms)',
    async ({ after, kept, forgotten }) => {
      const clock = manualClock()
      const limiter = createMemoryRateLimiter({ clock: clock.now, maxKeys: 2 })
      await limiter.take('a', slow, 3)
      await limiter.take('b', slow, 3)
      clock.advance(after)
      expect((await limiter.take('a', slow)).allowed).toBe(false)
      await limiter.take('c', slow, 3)
      expect(limiter.size).toBe(2)
      // The one kept is still empty; the one forgotten starts over full.
      expect((await limiter.take(kept, slow)).allowed).toBe(false)
      expect((await limiter.take(forgotten, slow, 3)).allowed).toBe(true)
      await limiter.close()
    },
  )

  it('rejects calls once closed', async () => {
    const limiter = createMemoryRateLimiter()
    await limiter.close()
    await expect(limiter.take('k', policy)).rejects.toThrow(/closed/)
    await expect(limiter.block('k', Date.now() + 1_000)).rejects.toThrow(/closed/)
  })
})
