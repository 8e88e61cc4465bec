// The lock contract, run against both implementations, then what only the Redis lock can show:
// exclusion across nodes, renewal past the TTL, and the signal when a lease is lost.
// (The contract lives here rather than in a shared module because the build ships every
// non-test file under src/ except src/testing.)
import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createTestRedis } from '../testing/redis-env.js'
import { coalesceAcrossNodes, createSingleFlight, LockLostError, LockTimeoutError } from './lock.js'
import type { Lock } from './lock.js'
import { createMemoryLock } from './lock-memory.js'
import { createRedisLock } from './lock-redis.js'
import type { LockErrorContext } from './lock-redis.js'

const testRedis = createTestRedis()
afterAll(() => testRedis.cleanup())

/** Resolves once `signal` aborts. */
const aborted = (signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    signal.addEventListener('abort', () => {
      resolve()
    })
  })

const freshKey = () => `test-${randomUUID()}`

/** Counts how many runs are inside the lock at once. */
function occupancy() {
  let inside = 0
  let most = 0
  let runs = 0
  return {
    async occupy(ms: number) {
      inside += 1
      runs += 1
      most = Math.max(most, inside)
      await sleep(ms)
      inside -= 1
    },
    get most() {
      return most
    },
    get runs() {
      return runs
    },
  }
}

function describeLockContract(implementation: string, createLock: () => Lock) {
  describe(`${implementation} lock`, () => {
    let lock: Lock
    beforeEach(() => {
      lock = createLock()
    })

    it('runs the work and returns its result', async () => {
      await expect(
        lock.withLock(freshKey(), { ttlMs: 1_000, waitMs: 0 }, () => Promise.resolve(42)),
      ).resolves.toBe(42)
    })

    it('releases the lock after the work, so the next caller gets it without waiting', async () => {
      const key = freshKey()
      await lock.withLock(key, { ttlMs: 10_000, waitMs: 0 }, () => Promise.resolve())
      await expect(
        lock.withLock(key, { ttlMs: 10_000, waitMs: 0 }, () => Promise.resolve('again')),
      ).resolves.toBe('again')
    })

    it('releases the lock when the work fails, and passes the failure on', async () => {
      const key = freshKey()
      const failure = new Error('upstream said no')
      await expect(
        lock.withLock(key, { ttlMs: 10_000, waitMs: 0 }, () => Promise.reject(failure)),
      ).rejects.toBe(failure)
      // Not an async function: it throws before it returns a promise.
      const throwsAtOnce = (): Promise<never> => {
        throw failure
      }
      await expect(lock.withLock(key, { ttlMs: 10_000, waitMs: 0 }, throwsAtOnce)).rejects.toBe(failure)
      await expect(
        lock.withLock(key, { ttlMs: 10_000, waitMs: 0 }, () => Promise.resolve('free')),
      ).resolves.toBe('free')
    })

    it('lets one of 20 concurrent callers in at a time, and every one of them in turn', async () => {
      const key = freshKey()
      const room = occupancy()
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, caller) =>
          lock.withLock(key, { ttlMs: 5_000, waitMs: 20_000 }, async () => {
            await room.occupy(2)
            return caller
          }),
        ),
      )
      expect(room.most).toBe(1)
      expect(room.runs).toBe(20)
      expect(results.toSorted((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, caller) => caller))
    })

    it('lets work on different keys run at the same time', async () => {
      let inside = 0
      let most = 0
      const occupy = async () => {
        inside += 1
        most = Math.max(most, inside)
        await sleep(50)
        inside -= 1
      }
      await Promise.all([
        lock.withLock(freshKey(), { ttlMs: 5_000, waitMs: 0 }, occupy),
        lock.withLock(freshKey(), { ttlMs: 5_000, waitMs: 0 }, occupy),
      ])
      expect(most).toBe(2)
    })

    it('gives up with LockTimeoutError after waitMs while another holder keeps the lock', async () => {
      const key = freshKey()
      let release = () => {}
      const holding = lock.withLock(
        key,
        { ttlMs: 10_000, waitMs: 0 },
        () => new Promise<void>((r) => (release = r)),
      )
      await sleep(20)
      let ran = false
      const started = Date.now()
      const waiting = lock.withLock(key, { ttlMs: 10_000, waitMs: 150 }, () => {
        ran = true
        return Promise.resolve()
      })
      const error = await waiting.catch((e: unknown) => e)
      expect(Date.now() - started).toBeGreaterThanOrEqual(140)
      expect(error).toBeInstanceOf(LockTimeoutError)
      expect(error).toMatchObject({ code: 'lock_timeout', key, waitMs: 150 })
      await expect(lock.withLock(key, { ttlMs: 10_000, waitMs: 0 }, () => Promise.resolve())).rejects.toThrow(
        LockTimeoutError,
      )
      release()
      await holding
      // The caller that gave up never runs later, and did not leave the lock taken.
      await expect(
        lock.withLock(key, { ttlMs: 10_000, waitMs: 0 }, () => Promise.resolve('next')),
      ).resolves.toBe('next')
      expect(ran).toBe(false)
    })

    it('keeps the lock past ttlMs while the work goes on, with the signal never aborted', async () => {
      const key = freshKey()
      const outcome = lock.withLock(key, { ttlMs: 300, waitMs: 0 }, async (signal) => {
        await sleep(1_200)
        return signal.aborted
      })
      await sleep(700) // more than twice the TTL
      await expect(lock.withLock(key, { ttlMs: 300, waitMs: 100 }, () => Promise.resolve())).rejects.toThrow(
        LockTimeoutError,
      )
      await expect(outcome).resolves.toBe(false)
    })

    it('refuses an empty key and a ttlMs or waitMs out of range', async () => {
      const run = () => Promise.resolve()
      await expect(lock.withLock('', { ttlMs: 1_000, waitMs: 0 }, run)).rejects.toThrow(RangeError)
      await expect(lock.withLock(freshKey(), { ttlMs: 0, waitMs: 0 }, run)).rejects.toThrow(/ttlMs/)
      await expect(lock.withLock(freshKey(), { ttlMs: 1.5, waitMs: 0 }, run)).rejects.toThrow(/ttlMs/)
      await expect(lock.withLock(freshKey(), { ttlMs: 1_000, waitMs: -1 }, run)).rejects.toThrow(/waitMs/)
      await expect(lock.withLock(freshKey(), { ttlMs: 1_000, waitMs: Infinity }, run)).rejects.toThrow(
        /waitMs/,
      )
    })
  })
}

const lockErrors: { error: unknown; context: LockErrorContext }[] = []
const recordLockError = (error: unknown, context: LockErrorContext) => {
  lockErrors.push({ error, context })
}

describeLockContract('memory', createMemoryLock)

describe('Redis', () => {
  const node = testRedis.connect()
  afterEach(() => {
    expect(lockErrors).toEqual([])
    lockErrors.length = 0
  })
  describeLockContract('Redis', () =>
    createRedisLock({ redis: node, prefix: testRedis.prefix, pollMs: 10, onError: recordLockError }),
  )
})

describe('Redis lock across nodes', () => {
  const nodeA = testRedis.connect()
  const nodeB = testRedis.connect()
  const { prefix } = testRedis
  afterEach(() => {
    lockErrors.length = 0
  })

  it('lets one run at a time when two nodes contend with 20 concurrent callers each', async () => {
    const lockA = createRedisLock({ redis: nodeA, prefix, pollMs: 10, onError: recordLockError })
    const lockB = createRedisLock({ redis: nodeB, prefix, pollMs: 10, onError: recordLockError })
    const key = freshKey()
    const room = occupancy()
    const runOn = (lock: Lock) =>
      Array.from({ length: 20 }, () =>
        lock.withLock(key, { ttlMs: 5_000, waitMs: 30_000 }, () => room.occupy(3)),
      )
    await Promise.all([...runOn(lockA), ...runOn(lockB)])
    expect(room.most).toBe(1)
    expect(room.runs).toBe(40)
    expect(lockErrors).toEqual([])
    expect(await nodeA.exists(`${prefix}lock:${key}`)).toBe(0)
  })

  it('holds the lock under <prefix>lock:<key> with a lease of ttlMs, and removes it on release', async () => {
    const lock = createRedisLock({ redis: nodeA, prefix, onError: recordLockError })
    const key = freshKey()
    const pttl = await lock.withLock(key, { ttlMs: 5_000, waitMs: 0 }, () =>
      nodeB.pttl(`${prefix}lock:${key}`),
    )
    expect(pttl).toBeGreaterThan(4_000)
    expect(pttl).toBeLessThanOrEqual(5_000)
    expect(await nodeB.exists(`${prefix}lock:${key}`)).toBe(0)
  })

  it('refreshes one expiring token once when 20 callers on each of two nodes need it at once', async () => {
    // The credential store both nodes read: a token that expires soon, until someone refreshes it.
    let stored = { token: 'old', expiresAt: Date.now() + 1_000 }
    let refreshes = 0
    const node = (redis: typeof nodeA) => ({
      flights: createSingleFlight<string>(),
      lock: createRedisLock({ redis, prefix, pollMs: 10, onError: recordLockError }),
    })
    const a = node(nodeA)
    const b = node(nodeB)
    const work = {
      current: () => Promise.resolve(stored.expiresAt - Date.now() > 5 * 60_000 ? stored.token : undefined),
      produce: async () => {
        refreshes += 1
        await sleep(50) // the provider's token endpoint
        stored = { token: `new-${refreshes}`, expiresAt: Date.now() + 3_600_000 }
        return stored.token
      },
    }
    const key = `credential-refresh:${randomUUID()}`
    const callers = (coordination: typeof a) =>
      Array.from({ length: 20 }, () =>
        coalesceAcrossNodes(coordination, key, { ttlMs: 5_000, waitMs: 10_000 }, work),
      )
    const tokens = await Promise.all([...callers(a), ...callers(b)])
    expect(refreshes).toBe(1)
    expect(new Set(tokens)).toEqual(new Set(['new-1']))
  })
})

describe('Redis lock lease', () => {
  const { prefix } = testRedis
  afterEach(() => {
    lockErrors.length = 0
  })

  it('aborts the signal with LockLostError when the lease runs out without renewal', async () => {
    const redis = testRedis.connect()
    const lock = createRedisLock({ redis, prefix, renewLease: false, onError: recordLockError })
    const other = createRedisLock({ redis, prefix, pollMs: 10, onError: recordLockError })
    const key = freshKey()
    const started = Date.now()
    const reason = await lock.withLock(key, { ttlMs: 200, waitMs: 0 }, async (signal) => {
      await aborted(signal)
      return signal.reason as unknown
    })
    expect(Date.now() - started).toBeGreaterThanOrEqual(150)
    expect(reason).toBeInstanceOf(LockLostError)
    expect(reason).toMatchObject({ code: 'lock_lost', key })
    await expect(
      other.withLock(key, { ttlMs: 1_000, waitMs: 1_000 }, () => Promise.resolve('taken')),
    ).resolves.toBe('taken')
    expect(lockErrors).toEqual([])
  })

  it('aborts the signal when another holder has the key, and leaves that holder’s lock alone', async () => {
    const redis = testRedis.connect()
    const lock = createRedisLock({ redis, prefix, onError: recordLockError })
    const key = freshKey()
    const redisKey = `${prefix}lock:${key}`
    const reason = await lock.withLock(key, { ttlMs: 300, waitMs: 0 }, async (signal) => {
      // As if this node had paused past its lease and another node had taken the lock since.
      await redis.set(redisKey, 'another-node', 'PX', 10_000)
      await aborted(signal)
      return signal.reason as unknown
    })
    expect(reason).toBeInstanceOf(LockLostError)
    expect(await redis.get(redisKey)).toBe('another-node')
    expect(lockErrors).toEqual([])
  })

  it('reports renewals and the release that fail while Redis is unreachable, and aborts when the lease is surely gone', async () => {
    const redis = testRedis.connect()
    const lock = createRedisLock({ redis, prefix, onError: recordLockError })
    const key = freshKey()
    const started = Date.now()
    const result = await lock.withLock(key, { ttlMs: 300, waitMs: 0 }, async (signal) => {
      redis.disconnect()
      await aborted(signal)
      return signal.reason as unknown
    })
    expect(Date.now() - started).toBeGreaterThanOrEqual(250)
    expect(result).toBeInstanceOf(LockLostError)
    const during = lockErrors.map((entry) => entry.context.during)
    expect(during).toContain('renew')
    expect(during.at(-1)).toBe('release')
    expect(lockErrors.every((entry) => entry.context.key === key)).toBe(true)
  })

  it('keeps working when its error reporter throws', async () => {
    const redis = testRedis.connect()
    const lock = createRedisLock({
      redis,
      prefix,
      onError: () => {
        throw new Error('the reporter is broken too')
      },
    })
    const outcome = await lock.withLock(freshKey(), { ttlMs: 300, waitMs: 0 }, async (signal) => {
      redis.disconnect()
      await aborted(signal)
      return 'finished'
    })
    expect(outcome).toBe('finished')
  })
})
