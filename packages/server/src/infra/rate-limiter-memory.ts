import type { Clock } from '../auth/context.js'
import { assertBlock, assertTake, blockBucket, takeFromBucket } from './rate-limiter.js'
import { markUsed } from './recently-used.js'
import type { RecentlyUsed } from './recently-used.js'
import type { RateLimiter, TokenBucket } from './rate-limiter.js'

export interface MemoryRateLimiterOptions {
  /** Epoch milliseconds; `Date.now` unless a test moves time. */
  readonly clock?: Clock
  /**
   * Buckets kept; past it the least recently used one is forgotten, which only matters if it was
   * not full yet. Default 100,000 (a few MB).
   */
  readonly maxKeys?: number
  /** How often buckets that are full and unblocked are dropped; default a minute. */
  readonly sweepIntervalMs?: number
}

export interface MemoryRateLimiter extends RateLimiter {
  /** Buckets held now: the ones taken from or blocked recently enough that forgetting them would matter. */
  readonly size: number
}

export const DEFAULT_MAX_KEYS = 100_000
export const DEFAULT_SWEEP_INTERVAL_MS = 60_000

interface Entry extends RecentlyUsed {
  bucket: TokenBucket
}

/**
 * The embedded-mode rate limiter: a map of buckets in this process. Each take is computed
 * synchronously, so it is atomic. Memory stays bounded: a bucket that is full and unblocked is the
 * same as no bucket, so a sweep drops those, and a cap on the number of keys drops the least
 * recently used beyond it. The sweep's timer is unref'd, so it never keeps the process alive.
 *
 * @example
 * const limiter = createMemoryRateLimiter()
 * const decision = await limiter.take(`api-key:${apiKeyId}`, { name: 'api', perSecond: 100, burst: 200 })
 * if (!decision.allowed) reply.header('retry-after', retryAfterSeconds(decision.retryAfterMs))
 */
export function createMemoryRateLimiter(options: MemoryRateLimiterOptions = {}): MemoryRateLimiter {
  const {
    clock = Date.now,
    maxKeys = DEFAULT_MAX_KEYS,
    sweepIntervalMs = DEFAULT_SWEEP_INTERVAL_MS,
  } = options
  if (!Number.isSafeInteger(maxKeys) || maxKeys < 1) {
    throw new RangeError(`maxKeys must be a whole number, at least 1 (got ${maxKeys})`)
  }
  // In order of use (recently-used.ts): the least recently used first, to within a second. A used
  // entry gets its new bucket in place.
  const buckets = new Map<string, Entry>()
  let closed = false

  function current(key: string, now: number): Entry | undefined {
    const entry = buckets.get(key)
    if (entry === undefined || entry.bucket.idleFromMs > now) return entry
    buckets.delete(key)
    return undefined
  }

  function keep(key: string, entry: Entry | undefined, bucket: TokenBucket, now: number): void {
    if (entry !== undefined) {
      entry.bucket = bucket
      markUsed(buckets, key, entry, now)
      return
    }
    buckets.set(key, { bucket, movedAt: now })
    if (buckets.size > maxKeys) {
      const oldest = buckets.keys().next()
      if (oldest.done !== true) buckets.delete(oldest.value)
    }
  }

  function sweep(): void {
    const now = clock()
    for (const [key, entry] of buckets) {
      if (entry.bucket.idleFromMs <= now) buckets.delete(key)
    }
  }

  const sweeper = setInterval(sweep, sweepIntervalMs)
  sweeper.unref()

  function assertOpen(): void {
    if (closed) throw new Error('The rate limiter is closed')
  }

  return {
    get size() {
      return buckets.size
    },
    // The executor runs at once, so each call is computed synchronously (atomic), and a throw
    // from the checks becomes a rejection, as from the Redis limiter.
    take(key, policy, cost = 1) {
      return new Promise((resolve) => {
        assertOpen()
        assertTake(key, policy, cost)
        const now = clock()
        const entry = current(key, now)
        const { bucket, decision } = takeFromBucket(entry?.bucket, policy, cost, now)
        keep(key, entry, bucket, now)
        resolve(decision)
      })
    },
    block(key, untilMs) {
      return new Promise((resolve) => {
        assertOpen()
        assertBlock(key, untilMs)
        const now = clock()
        if (untilMs > now) {
          const entry = current(key, now)
          keep(key, entry, blockBucket(entry?.bucket, untilMs, now), now)
        }
        resolve()
      })
    },
    close() {
      closed = true
      clearInterval(sweeper)
      buckets.clear()
      return Promise.resolve()
    },
  }
}
