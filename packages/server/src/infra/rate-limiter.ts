/**
 * Token buckets (SPEC §8): per API key for the HTTP API, per credential and tool for upstream calls.
 * In process in embedded mode (`rate-limiter-memory.ts`), on Redis in cluster mode
 * (`rate-limiter-redis.ts`), so a limit holds across every node. Both compute the same thing; the
 * arithmetic is {@link takeFromBucket} here and its transcription into Lua in the Redis limiter.
 *
 * A bucket holds up to `burst` tokens and gains `perSecond` tokens a second; a take of `cost` tokens
 * succeeds when the bucket has them and otherwise takes nothing. A provider's "wait until" is a
 * block on the key: every take is refused until it ends, while the bucket keeps refilling.
 */
import type { RateLimit } from '../config.js'

export interface RateLimitPolicy {
  /** Named in the `RateLimit` and `RateLimit-Policy` response fields, e.g. `api`. */
  readonly name: string
  /** Tokens added per second; may be fractional (5000 an hour is 1.3889 a second). */
  readonly perSecond: number
  /** Bucket capacity, a whole number: the most requests admitted at once. */
  readonly burst: number
}

export interface RateLimitDecision {
  readonly allowed: boolean
  /** Whole tokens left after this decision; 0 while the key is blocked. */
  readonly remaining: number
  /** 0 when allowed; otherwise milliseconds until `cost` tokens are there and any block has ended. */
  readonly retryAfterMs: number
  /** Milliseconds until the bucket is full again (and any block has ended); 0 when it is full. */
  readonly resetMs: number
  readonly policy: RateLimitPolicy
}

export interface RateLimiter {
  /**
   * Takes `cost` tokens (default 1) from the bucket `key` when it has them, and nothing when it does
   * not; atomic, also across nodes. A bucket nobody has taken from is full. When `policy` differs
   * from the one of earlier takes, the tokens left are kept, up to the new `burst`.
   *
   * @throws RangeError for an empty key, a policy that is not a valid bucket, or a `cost` that is not
   *   a whole number from 1 to `policy.burst` (such a take could never succeed).
   */
  take(key: string, policy: RateLimitPolicy, cost?: number): Promise<RateLimitDecision>
  /**
   * Refuses every take on `key` until `untilMs` (epoch milliseconds), because a provider said to
   * wait. Of two blocks the later end wins; a moment already past changes nothing.
   */
  block(key: string, untilMs: number): Promise<void>
  /** Stops background work; later calls reject. Does not close a connection it was given. */
  close(): Promise<void>
}

/**
 * A bucket's state between takes, as both limiters keep it (the Redis one as a hash with the
 * fields `t`, `u` and `b`, and `idleFromMs` as the key's expiry).
 */
export interface TokenBucket {
  /** Tokens at `updatedMs`, fractional; `null` until the first take: a new bucket is full, whatever the policy. */
  readonly tokens: number | null
  /** When `tokens` was computed, epoch milliseconds. */
  readonly updatedMs: number
  /** Takes are refused before this moment (epoch milliseconds); 0 when never blocked. */
  readonly blockedUntilMs: number
  /** From this moment the bucket is full and unblocked, so forgetting it changes nothing. */
  readonly idleFromMs: number
}

/**
 * Slack for floating-point error when comparing tokens: 3 s at a third of a token a second must
 * make one whole token, not 0.9999999999999999.
 */
export const TOKEN_EPSILON = 1e-9

/**
 * Checks a policy, so that both limiters refuse the same mistakes.
 *
 * @example
 * assertRateLimitPolicy({ name: 'api', perSecond: 0, burst: 10 }) // throws RangeError
 */
export function assertRateLimitPolicy(policy: RateLimitPolicy): void {
  if (policy.name === '') throw new RangeError('A rate limit policy needs a name')
  if (!Number.isFinite(policy.perSecond) || policy.perSecond <= 0) {
    throw new RangeError(`perSecond must be a finite number above 0 (got ${policy.perSecond})`)
  }
  if (!Number.isSafeInteger(policy.burst) || policy.burst < 1) {
    throw new RangeError(`burst must be a whole number, at least 1 (got ${policy.burst})`)
  }
}

/**
 * Checks the arguments of a take, so that both limiters refuse the same mistakes.
 *
 * @example
 * assertTake('api-key:k1', { name: 'api', perSecond: 100, burst: 200 }, 201) // throws: could never succeed
 */
export function assertTake(key: string, policy: RateLimitPolicy, cost: number): void {
  if (key === '') throw new RangeError('A rate limit key must not be empty')
  assertRateLimitPolicy(policy)
  if (!Number.isSafeInteger(cost) || cost < 1 || cost > policy.burst) {
    throw new RangeError(
      `cost must be a whole number from 1 to the policy's burst of ${policy.burst} (got ${cost}); a larger take could never succeed`,
    )
  }
}

/**
 * Checks the arguments of a block.
 *
 * @example
 * assertBlock('upstream:github:cred_1', Number.NaN) // throws RangeError
 */
export function assertBlock(key: string, untilMs: number): void {
  if (key === '') throw new RangeError('A rate limit key must not be empty')
  if (!Number.isFinite(untilMs)) throw new RangeError(`untilMs must be a finite epoch time (got ${untilMs})`)
}

/**
 * A policy from a configured rate limit (`TOOLPLANE_API_RATE_LIMIT`, an API key's or a workspace's
 * own limit), all of which `parseRateLimit` reads.
 *
 * @example
 * const limit = parseRateLimit('5000/h,burst=100')
 * if (limit) rateLimitPolicy('api', limit) // { name: 'api', perSecond: 1.3888…, burst: 100 }
 */
export function rateLimitPolicy(
  name: string,
  limit: Pick<RateLimit, 'perSecond' | 'burst'>,
): RateLimitPolicy {
  const policy = { name, perSecond: limit.perSecond, burst: limit.burst }
  assertRateLimitPolicy(policy)
  return policy
}

/**
 * The token bucket itself, with no storage: what a take of `cost` tokens at `nowMs` decides, and the
 * bucket after it. The Redis limiter runs the same steps in Lua.
 *
 * The bucket refills for the time since the last take (none if the clock went back), up to the
 * policy's burst — which is also how a smaller burst clamps what a bucket holds. A take succeeds
 * when the key is not blocked and the bucket holds `cost` tokens; a refused take takes nothing.
 *
 * @example
 * const policy = { name: 'api', perSecond: 10, burst: 2 }
 * let { bucket, decision } = takeFromBucket(undefined, policy, 1, 0) // allowed, remaining 1
 * ;({ bucket, decision } = takeFromBucket(bucket, policy, 2, 0)) // refused, retryAfterMs 100
 */
export function takeFromBucket(
  bucket: TokenBucket | undefined,
  policy: RateLimitPolicy,
  cost: number,
  nowMs: number,
): { readonly bucket: TokenBucket; readonly decision: RateLimitDecision } {
  const { perSecond, burst } = policy
  const blockedUntilMs = bucket?.blockedUntilMs ?? 0
  let tokens = burst
  if (bucket !== undefined && bucket.tokens !== null) {
    const elapsedMs = Math.max(0, nowMs - bucket.updatedMs)
    tokens = Math.min(burst, bucket.tokens + (elapsedMs * perSecond) / 1000)
  }
  const blocked = blockedUntilMs > nowMs
  const blockLeftMs = blocked ? Math.ceil(blockedUntilMs - nowMs) : 0
  const allowed = !blocked && tokens + TOKEN_EPSILON >= cost
  if (allowed) tokens = Math.max(0, tokens - cost)
  const fullInMs = Math.max(0, Math.ceil(((burst - tokens - TOKEN_EPSILON) * 1000) / perSecond))
  const missingMs = Math.max(0, Math.ceil(((cost - tokens) * 1000) / perSecond))
  const resetMs = Math.max(fullInMs, blockLeftMs)
  return {
    bucket: { tokens, updatedMs: nowMs, blockedUntilMs, idleFromMs: nowMs + resetMs },
    decision: {
      allowed,
      remaining: blocked ? 0 : Math.floor(tokens + TOKEN_EPSILON),
      retryAfterMs: allowed ? 0 : Math.max(1, missingMs, blockLeftMs),
      resetMs,
      policy,
    },
  }
}

/**
 * A bucket blocked until `untilMs`: the later of its block and this one. The tokens stay as they
 * are; they go on refilling during the block.
 *
 * @example
 * const blocked = blockBucket(undefined, Date.now() + 30_000, Date.now())
 */
export function blockBucket(bucket: TokenBucket | undefined, untilMs: number, nowMs: number): TokenBucket {
  const base = bucket ?? { tokens: null, updatedMs: nowMs, blockedUntilMs: 0, idleFromMs: nowMs }
  return {
    ...base,
    blockedUntilMs: Math.max(base.blockedUntilMs, untilMs),
    idleFromMs: Math.max(base.idleFromMs, untilMs),
  }
}
