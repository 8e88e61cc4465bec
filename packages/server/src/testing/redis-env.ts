// Where the Redis server for tests is, and a per-file slice of it. .ci/run starts Redis on
// loopback; the environment variable points tests at another one.
import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'

export const testRedisUrl = process.env.TOOLPLANE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'

export interface TestRedis {
  /** Unique to this test file (`toolplane-test:<random>:`), so parallel files never share a key. */
  readonly prefix: string
  /** A new connection, standing for one node; closed by `cleanup`. */
  connect(): Redis
  /** Deletes every key under `prefix` and closes every connection `connect` opened. */
  cleanup(): Promise<void>
}

/**
 * A slice of the test Redis server for one test file.
 *
 * @example
 * const testRedis = createTestRedis()
 * afterAll(() => testRedis.cleanup())
 * const lock = createRedisLock({ redis: testRedis.connect(), prefix: testRedis.prefix, onError })
 */
export function createTestRedis(): TestRedis {
  const prefix = `toolplane-test:${randomBytes(6).toString('hex')}:`
  const connections: Redis[] = []
  return {
    prefix,
    connect() {
      // Fail fast rather than retry for a minute when the test server is not running.
      const redis = new Redis(testRedisUrl, { maxRetriesPerRequest: 1 })
      connections.push(redis)
      return redis
    },
    async cleanup() {
      try {
        await deleteRedisKeys(prefix)
      } finally {
        await Promise.all(
          connections.map(async (redis) => {
            if (redis.status === 'end') return
            await redis.quit().catch(() => {
              redis.disconnect()
            })
          }),
        )
      }
    },
  }
}

/**
 * Deletes every key of the test Redis under `prefix` (ours and BullMQ's).
 *
 * @example
 * await deleteRedisKeys('toolplane-test:1a2b3c:')
 */
export async function deleteRedisKeys(prefix: string): Promise<void> {
  const redis = new Redis(testRedisUrl, { maxRetriesPerRequest: 1 })
  try {
    let cursor = '0'
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500)
      if (keys.length > 0) await redis.del(...keys)
      cursor = next
    } while (cursor !== '0')
  } finally {
    await redis.quit()
  }
}
