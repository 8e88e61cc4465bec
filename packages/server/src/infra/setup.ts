import type { FastifyBaseLogger } from 'fastify'
import { Redis } from 'ioredis'
import { createMemoryEventBus } from './events-memory.js'
import { createRedisEventBus } from './events-redis.js'
import type { EventBus } from './events.js'
import { createMemoryLock } from './lock-memory.js'
import { createRedisLock } from './lock-redis.js'
import type { Lock } from './lock.js'
import { createMemoryRateLimiter } from './rate-limiter-memory.js'
import { createRedisRateLimiter } from './rate-limiter-redis.js'
import type { RateLimiter } from './rate-limiter.js'

/** The infrastructure with two implementations, chosen by configuration alone (SPEC §2). */
export interface Infrastructure {
  readonly mode: 'embedded' | 'cluster'
  readonly lock: Lock
  readonly events: EventBus
  /** Token buckets for the API and upstream limits; shared by every node in cluster mode. */
  readonly limiter: RateLimiter
  /** A readiness check for Redis in cluster mode. */
  readonly ping: (() => Promise<void>) | null
  close(): Promise<void>
}

/**
 * In-process lock, event bus and rate limiter in embedded mode; Redis ones when `TOOLPLANE_REDIS_URL` is set.
 *
 * @example
 * const infrastructure = await createInfrastructure(config.redisUrl, logger)
 */
export async function createInfrastructure(
  redisUrl: string | null,
  log: FastifyBaseLogger,
  options: { prefix?: string } = {},
): Promise<Infrastructure> {
  if (redisUrl === null) {
    const events = createMemoryEventBus({
      onError: (error, context) => {
        log.error({ err: error, ...context }, 'event handler failed')
      },
    })
    const limiter = createMemoryRateLimiter()
    return {
      mode: 'embedded',
      lock: createMemoryLock(),
      events,
      limiter,
      ping: null,
      async close() {
        await limiter.close()
        await events.close()
      },
    }
  }
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 3, enableOfflineQueue: true })
  redis.on('error', (error: unknown) => {
    log.warn({ err: error }, 'Redis connection error')
  })
  const prefix = options.prefix ?? 'toolplane:'
  const lock = createRedisLock({
    redis,
    prefix,
    onError: (error, context) => {
      log.warn({ err: error, ...context }, 'lock renewal or release failed')
    },
  })
  const events = await createRedisEventBus({
    redis,
    prefix,
    onError: (error, context) => {
      log.error({ err: error, ...context }, 'event bus error')
    },
  })
  const limiter = createRedisRateLimiter({ redis, prefix })
  return {
    mode: 'cluster',
    lock,
    events,
    limiter,
    ping: async () => {
      await redis.ping()
    },
    async close() {
      await limiter.close()
      await events.close()
      await redis.quit()
    },
  }
}
