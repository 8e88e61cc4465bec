import { createHash } from 'node:crypto'
import type { Redis } from 'ioredis'
import { assertBlock, assertTake, TOKEN_EPSILON } from './rate-limiter.js'
import type { RateLimitDecision, RateLimiter } from './rate-limiter.js'

// Both scripts read the time from Redis (`TIME`), never from the node, so nodes whose clocks
// disagree still share one bucket. A bucket is a hash: `t` tokens (absent: full), `u` when `t` was
// computed, `b` blocked until (epoch ms, server time). The key expires when the bucket is full and
// unblocked, since a missing key is a full bucket. Numbers are written with 17 significant digits
// so nothing is lost between takes (Lua's own conversion keeps 14).

/** `takeFromBucket` (rate-limiter.ts) in Lua. KEYS[1] bucket; ARGV perSecond, burst, cost, epsilon. */
const takeScript = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000
local per_second = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local epsilon = tonumber(ARGV[4])
local state = redis.call('HMGET', KEYS[1], 't', 'u', 'b')
local tokens = burst
if state[1] then
  local elapsed = math.max(0, now - tonumber(state[2]))
  tokens = math.min(burst, tonumber(state[1]) + elapsed * per_second / 1000)
end
local blocked_until = tonumber(state[3]) or 0
local blocked = blocked_until > now
local block_left = 0
if blocked then block_left = math.ceil(blocked_until - now) end
local allowed = (not blocked) and tokens + epsilon >= cost
if allowed then tokens = math.max(0, tokens - cost) end
local full_in = math.max(0, math.ceil((burst - tokens - epsilon) * 1000 / per_second))
local missing = math.max(0, math.ceil((cost - tokens) * 1000 / per_second))
local reset = math.max(full_in, block_left)
if reset > 0 then
  redis.call('HSET', KEYS[1], 't', string.format('%.17g', tokens), 'u', string.format('%.17g', now),
    'b', string.format('%.17g', blocked_until))
  redis.call('PEXPIRE', KEYS[1], reset)
else
  redis.call('DEL', KEYS[1])
end
local remaining = 0
if not blocked then remaining = math.floor(tokens + epsilon) end
local retry_after = 0
if not allowed then retry_after = math.max(1, missing, block_left) end
return { allowed and 1 or 0, remaining, retry_after, reset }
`

/** `blockBucket` in Lua. KEYS[1] bucket; ARGV[1] how long from now to block, in ms. */
const blockScript = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000
local blocked_until = now + tonumber(ARGV[1])
local before = tonumber(redis.call('HGET', KEYS[1], 'b'))
if before == nil or before < blocked_until then
  redis.call('HSET', KEYS[1], 'b', string.format('%.17g', blocked_until))
end
local wanted = math.ceil(blocked_until - now)
local ttl = redis.call('PTTL', KEYS[1])
if ttl < wanted then redis.call('PEXPIRE', KEYS[1], wanted) end
return 1
`

interface Script {
  readonly source: string
  readonly sha: string
}

const script = (source: string): Script => ({
  source,
  sha: createHash('sha1').update(source).digest('hex'),
})
const take = script(takeScript)
const block = script(blockScript)

export interface RedisRateLimiterOptions {
  /** A command connection; the limiter does not own it and never closes it. */
  readonly redis: Redis
  /** Prepended to every key the limiter writes (`<prefix>rl:<key>`); default `toolplane:`. */
  readonly prefix?: string
}

/**
 * The cluster-mode rate limiter: one Redis hash per bucket, read and written by a Lua script, so a
 * take is atomic across every node, on Redis's clock. One round trip per take (`EVALSHA`, falling
 * back to `EVAL` when Redis has forgotten the script). Idle buckets expire: a key lives until its
 * bucket is full again or its block ends, whichever is later.
 *
 * `block(key, untilMs)` reads `untilMs` on this node's clock and sends Redis how long that is from
 * now, so a node whose clock is off still blocks for as long as the provider said.
 *
 * @example
 * const limiter = createRedisRateLimiter({ redis, prefix: config.redisPrefix })
 * const decision = await limiter.take(`api-key:${apiKeyId}`, { name: 'api', perSecond: 100, burst: 200 })
 */
export function createRedisRateLimiter(options: RedisRateLimiterOptions): RateLimiter {
  const { redis, prefix = 'toolplane:' } = options
  let closed = false

  async function run(code: Script, key: string, args: readonly (string | number)[]): Promise<unknown> {
    if (closed) throw new Error('The rate limiter is closed')
    const redisKey = `${prefix}rl:${key}`
    try {
      return await redis.evalsha(code.sha, 1, redisKey, ...args)
    } catch (error) {
      // After a restart or SCRIPT FLUSH; EVAL loads the script again for the next EVALSHA.
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error
      return redis.eval(code.source, 1, redisKey, ...args)
    }
  }

  return {
    async take(key, policy, cost = 1) {
      assertTake(key, policy, cost)
      // String(n) is the shortest text that reads back as exactly n, so Lua's tonumber loses nothing.
      const reply = await run(take, key, [
        String(policy.perSecond),
        policy.burst,
        cost,
        String(TOKEN_EPSILON),
      ])
      const [allowed, remaining, retryAfterMs, resetMs] = integers(reply)
      const decision: RateLimitDecision = { allowed: allowed === 1, remaining, retryAfterMs, resetMs, policy }
      return decision
    },
    async block(key, untilMs) {
      assertBlock(key, untilMs)
      const forMs = Math.ceil(untilMs - Date.now())
      if (forMs <= 0) return
      await run(block, key, [forMs])
    },
    close() {
      closed = true
      return Promise.resolve()
    },
  }
}

function integers(reply: unknown): [number, number, number, number] {
  if (Array.isArray(reply) && reply.length === 4 && reply.every((value) => typeof value === 'number')) {
    return reply as [number, number, number, number]
  }
  throw new Error(`Unexpected reply from the rate limit script: ${JSON.stringify(reply)}`)
}
