// The rate limiter contract, run against both implementations on real time, then what only the
// Redis limiter can show: its keys and their expiry, and the script cache. Every contract case
// alternates between two limiters: the same one in memory, two on separate Redis connections
// (standing for two nodes) under one prefix, so a Redis bucket is shown to be one across nodes.
// (The contract lives here rather than in a shared module because the build ships every non-test
// file under src/ except src/testing.)
import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, describe, expect, it } from 'vitest'
import { createTestRedis } from '../testing/redis-env.js'
import type { RateLimitPolicy, RateLimiter } from './rate-limiter.js'
import { createMemoryRateLimiter } from './rate-limiter-memory.js'
import { createRedisRateLimiter } from './rate-limiter-redis.js'

const testRedis = createTestRedis()
afterAll(() => testRedis.cleanup())

const freshKey = () => `test-${randomUUID()}`

/** Two limiters that must behave as one. */
type Nodes = readonly [RateLimiter, RateLimiter]

const implementations: [string, () => Nodes][] = [
  [
    'memory',
    () => {
      const limiter = createMemoryRateLimiter()
      return [limiter, limiter]
    },
  ],
  [
    'redis',
    () => [
      createRedisRateLimiter({ redis: testRedis.connect(), prefix: testRedis.prefix }),
      createRedisRateLimiter({ redis: testRedis.connect(), prefix: testRedis.prefix }),
    ],
  ],
]

describe.each(implementations)('%s rate limiter', (_name, createNodes) => {
  const [one, two] = createNodes()
  afterAll(async () => {
    await one.close()
    await two.close()
  })

  it('admits the burst across nodes, then refuses with the time until the next token', async () => {
    const key = freshKey()
    const policy: RateLimitPolicy = { name: 'api', perSecond: 1, burst: 4 }
    const decisions = [
      await one.take(key, policy),
      await two.take(key, policy),
      await one.take(key, policy),
      await two.take(key, policy),
    ]
    expect(decisions.map((d) => [d.allowed, d.remaining])).toEqual([
      [true, 3],
      [true, 2],
      [true, 1],
      [true, 0],
    ])
    const refused = await one.take(key, policy)
    expect(refused).toMatchObject({ allowed: false, remaining: 0, policy })
    expect(refused.retryAfterMs).toBeGreaterThan(900)
    expect(refused.retryAfterMs).toBeLessThanOrEqual(1000)
    expect(refused.resetMs).toBeGreaterThan(3900)
    expect(refused.resetMs).toBeLessThanOrEqual(4000)
  })

  it('refills over time, a token at a time', async () => {
    const key = freshKey()
    const policy: RateLimitPolicy = { name: 'api', perSecond: 5, burst: 1 }
    expect((await one.take(key, policy)).allowed).toBe(true)
    const refused = await two.take(key, policy)
    expect(refused.allowed).toBe(false)
    expect(refused.retryAfterMs).toBeLessThanOrEqual(200)
    await sleep(refused.retryAfterMs + 20)
    expect((await two.take(key, policy)).allowed).toBe(true)
    expect((await one.take(key, policy)).allowed).toBe(false)
  })

  it('takes several tokens at once or none; a refused take takes nothing', async () => {
    const key = freshKey()
    const policy: RateLimitPolicy = { name: 'api', perSecond: 0.01, burst: 5 }
    expect(await one.take(key, policy, 3)).toMatchObject({ allowed: true, remaining: 2 })
    for (let attempt = 0; attempt < 5; attempt++) {
      expect(await two.take(key, policy, 3)).toMatchObject({ allowed: false, remaining: 2 })
    }
    expect(await one.take(key, policy, 2)).toMatchObject({ allowed: true, remaining: 0 })
  })

  it('keeps a fractional rate: 5,000 an hour refuses for 720 ms after the burst', async () => {
    const key = freshKey()
    const policy: RateLimitPolicy = { name: 'github', perSecond: 5000 / 3600, burst: 2 }
    await one.take(key, policy)
    await two.take(key, policy)
    const refused = await one.take(key, policy)
    expect(refused.allowed).toBe(false)
    expect(refused.retryAfterMs).toBeGreaterThan(600)
    expect(refused.retryAfterMs).toBeLessThanOrEqual(720)
    expect(refused.resetMs).toBeLessThanOrEqual(1440)
  })

  it('refuses every take during a block on any node, and admits again after it', async () => {
    const key = freshKey()
    const policy: RateLimitPolicy = { name: 'api', perSecond: 100, burst: 10 }
    await one.block(key, Date.now() + 300)
    // An earlier end does not shorten the block.
    await two.block(key, Date.now() + 50)
    const refused = await two.take(key, policy)
    expect(refused).toMatchObject({ allowed: false, remaining: 0 })
    expect(refused.retryAfterMs).toBeGreaterThan(200)
    expect(refused.retryAfterMs).toBeLessThanOrEqual(300)
    expect(refused.resetMs).toBeGreaterThanOrEqual(refused.retryAfterMs)
    await sleep(refused.retryAfterMs + 20)
    // A blocked bucket nobody took from is full when the block ends.
    expect(await one.take(key, policy)).toMatchObject({ allowed: true, remaining: 9 })
  })

  it('ignores a block that has already ended', async () => {
    const key = freshKey()
    await one.block(key, Date.now() - 1_000)
    expect((await two.take(key, { name: 'api', perSecond: 1, burst: 1 })).allowed).toBe(true)
  })

  it('clamps what a bucket holds to a smaller burst when the policy changes', async () => {
    const key = freshKey()
    const wide: RateLimitPolicy = { name: 'api', perSecond: 0.01, burst: 10 }
    expect((await one.take(key, wide)).remaining).toBe(9)
    expect(await two.take(key, { ...wide, burst: 3 })).toMatchObject({ allowed: true, remaining: 2 })
    expect(await one.take(key, wide)).toMatchObject({ allowed: true, remaining: 1 })
  })

  it('admits no more than burst + perSecond × elapsed to 50 concurrent callers making 2,000 takes', async () => {
    const key = freshKey()
    const policy: RateLimitPolicy = { name: 'api', perSecond: 20, burst: 40 }
    const admittedAt: number[] = []
    let refused = 0
    // Taken before the first take is sent: the bucket's clock starts no earlier than this.
    const start = Date.now()
    await Promise.all(
      Array.from({ length: 50 }, async (_, caller) => {
        const node = caller % 2 === 0 ? one : two
        for (let index = 0; index < 40; index++) {
          const decision = await node.take(key, policy)
          // Read after the answer arrived: the take was decided no later than this.
          if (decision.allowed) admittedAt.push(Date.now())
          else refused += 1
          // Spread the takes over a few hundred milliseconds, so the refill matters.
          await sleep(Math.floor(Math.random() * 5))
        }
      }),
    )
    // Taken after the last answer arrived: every take was decided before this.
    const elapsedSeconds = (Date.now() - start) / 1000
    expect(admittedAt.length + refused).toBe(2000)
    expect(admittedAt.length).toBeGreaterThanOrEqual(policy.burst)
    expect(admittedAt.length).toBeLessThanOrEqual(policy.burst + policy.perSecond * elapsedSeconds)
    // And at every moment of the run, not only at its end: by the time the nth admission was seen,
    // n takes had been decided, which the bucket allows only that long after the start.
    admittedAt.sort((a, b) => a - b)
    admittedAt.forEach((at, index) => {
      expect(index + 1).toBeLessThanOrEqual(policy.burst + (policy.perSecond * (at - start)) / 1000)
    })
  })
})

describe('redis rate limiter', () => {
  const redis = testRedis.connect()
  const limiter = createRedisRateLimiter({ redis, prefix: testRedis.prefix })
  afterAll(() => limiter.close())

  it('keeps a bucket under <prefix>rl:<key>, expiring once it is full again', async () => {
    const key = freshKey()
    const redisKey = `${testRedis.prefix}rl:${key}`
    await limiter.take(key, { name: 'api', perSecond: 10, burst: 20 }, 5)
    const ttl = await redis.pttl(redisKey)
    // 5 tokens at 10 a second: full again in 500 ms.
    expect(ttl).toBeGreaterThan(400)
    expect(ttl).toBeLessThanOrEqual(500)
  })

  it('lets an idle bucket disappear', async () => {
    const key = freshKey()
    const redisKey = `${testRedis.prefix}rl:${key}`
    await limiter.take(key, { name: 'api', perSecond: 100, burst: 5 }, 5)
    expect(await redis.exists(redisKey)).toBe(1)
    await sleep(100)
    expect(await redis.exists(redisKey)).toBe(0)
  })

  it('keeps a blocked key until its block ends, when that is later than the refill', async () => {
    const key = freshKey()
    const redisKey = `${testRedis.prefix}rl:${key}`
    await limiter.take(key, { name: 'api', perSecond: 10, burst: 20 }, 1)
    await limiter.block(key, Date.now() + 60_000)
    const ttl = await redis.pttl(redisKey)
    expect(ttl).toBeGreaterThan(59_000)
    expect(ttl).toBeLessThanOrEqual(60_000)
    // A shorter block keeps the longer expiry.
    await limiter.block(key, Date.now() + 1_000)
    expect(await redis.pttl(redisKey)).toBeGreaterThan(59_000)
  })

  it('keeps the refill time as the expiry when a block is shorter', async () => {
    const key = freshKey()
    const redisKey = `${testRedis.prefix}rl:${key}`
    await limiter.take(key, { name: 'api', perSecond: 1, burst: 20 }, 20)
    await limiter.block(key, Date.now() + 1_000)
    expect(await redis.pttl(redisKey)).toBeGreaterThan(19_000)
  })

  it('blocks a key nobody took from, with the block as its expiry', async () => {
    const key = freshKey()
    const redisKey = `${testRedis.prefix}rl:${key}`
    await limiter.block(key, Date.now() + 5_000)
    const ttl = await redis.pttl(redisKey)
    expect(ttl).toBeGreaterThan(4_000)
    expect(ttl).toBeLessThanOrEqual(5_000)
  })

  it('loads its script again after Redis has forgotten it', async () => {
    const policy: RateLimitPolicy = { name: 'api', perSecond: 1, burst: 2 }
    const key = freshKey()
    await limiter.take(key, policy)
    await redis.script('FLUSH')
    expect(await limiter.take(key, policy)).toMatchObject({ allowed: true, remaining: 0 })
    await redis.script('FLUSH')
    await limiter.block(key, Date.now() + 10_000)
    expect((await limiter.take(key, policy)).allowed).toBe(false)
  })

  it('rejects calls once closed, leaving the connection open', async () => {
    const own = createRedisRateLimiter({ redis, prefix: testRedis.prefix })
    await own.close()
    await expect(own.take(freshKey(), { name: 'api', perSecond: 1, burst: 1 })).rejects.toThrow(/closed/)
    expect(await redis.ping()).toBe('PONG')
  })
})
