import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Redis } from 'ioredis'
import { assertLockRequest, LockLostError, LockTimeoutError } from './lock.js'
import type { Lock } from './lock.js'

// Delete or extend the lock only while it still holds our token: a holder whose lease ran out
// must never release or extend the lock of whoever acquired it next.
const releaseScript = `
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
end
return 0`

const renewScript = `
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0`

/** What went wrong in the background, where no caller could be thrown to. */
export interface LockErrorContext {
  readonly key: string
  readonly during: 'renew' | 'release'
}

export interface RedisLockOptions {
  /** A command connection; the lock does not own it and never closes it. */
  readonly redis: Redis
  /** Prepended to every key the lock writes (`<prefix>lock:<key>`); default `toolplane:`. */
  readonly prefix?: string
  /** Mean delay between attempts while waiting for a held lock, in milliseconds (±50% jitter); default 50. */
  readonly pollMs?: number
  /**
   * Renew the lease at ttl/3 intervals while `run` goes on; default true. Only tests turn it off,
   * to see the signal abort when a lease runs out.
   */
  readonly renewLease?: boolean
  /** Receives failures to renew or release, which the lease's expiry then settles. */
  readonly onError: (error: unknown, context: LockErrorContext) => void
}

/**
 * The cluster-mode lock: `SET key token NX PX ttl` to acquire, polling with jitter while another
 * node holds it; a watchdog that extends the lease (compare-and-`PEXPIRE`) every ttl/3 while `run`
 * goes on; a compare-and-delete to release. If the lease cannot be renewed before it runs out, or
 * the key turns out to hold another token, the signal given to `run` aborts with `LockLostError`.
 *
 * @example
 * const lock = createRedisLock({ redis, onError: (error, context) => log.error({ err: error, ...context }, 'lock') })
 * await lock.withLock(`credential-refresh:${id}`, { ttlMs: 30_000, waitMs: 35_000 }, (signal) => refresh(id, signal))
 */
export function createRedisLock(options: RedisLockOptions): Lock {
  const { redis, prefix = 'toolplane:', pollMs = 50, renewLease = true, onError } = options

  function report(error: unknown, context: LockErrorContext): void {
    try {
      onError(error, context)
    } catch {
      // A failing error reporter must not take the lock's bookkeeping down with it.
    }
  }

  /** Returns the time the attempt that got the lock was sent: the lease runs from then at the latest. */
  async function acquire(redisKey: string, key: string, token: string, ttlMs: number, waitMs: number) {
    const deadline = Date.now() + waitMs
    for (;;) {
      const sentAt = Date.now()
      if ((await redis.set(redisKey, token, 'PX', ttlMs, 'NX')) === 'OK') return sentAt
      const remaining = deadline - Date.now()
      if (remaining <= 0) throw new LockTimeoutError(key, waitMs)
      // The last attempt lands on the deadline, so a lock released just in time is still taken.
      await sleep(Math.min(remaining, pollMs * (0.5 + Math.random())))
    }
  }

  /** Keeps the lease alive while `run` goes on; aborts `signal` once it is gone. */
  function holdLease(redisKey: string, key: string, token: string, ttlMs: number, acquiredAt: number) {
    const controller = new AbortController()
    let stopped = false
    let renewing = false

    const lose = () => {
      if (stopped) return
      stop()
      controller.abort(new LockLostError(key))
    }
    // The lease is known good only until ttl after the last successful SET or renewal was sent.
    let expiry = setTimeout(lose, Math.max(0, acquiredAt + ttlMs - Date.now()))

    const renew = async () => {
      // Only the watchdog calls this, and `stop` clears it; a slow renewal is not doubled up.
      if (renewing) return
      renewing = true
      const sentAt = Date.now()
      try {
        const renewed = await redis.eval(renewScript, 1, redisKey, token, ttlMs)
        if (stopped) return
        if (renewed === 1) {
          clearTimeout(expiry)
          expiry = setTimeout(lose, Math.max(0, sentAt + ttlMs - Date.now()))
        } else {
          lose()
        }
      } catch (error) {
        // Redis unreachable: keep trying until the expiry timer says the lease is surely gone.
        report(error, { key, during: 'renew' })
      } finally {
        renewing = false
      }
    }
    const watchdog = renewLease
      ? setInterval(() => void renew(), Math.max(1, Math.floor(ttlMs / 3)))
      : undefined

    function stop() {
      stopped = true
      clearTimeout(expiry)
      clearInterval(watchdog)
    }
    return { signal: controller.signal, stop }
  }

  return {
    async withLock(key, lockOptions, run) {
      assertLockRequest(key, lockOptions)
      const { ttlMs, waitMs } = lockOptions
      const redisKey = `${prefix}lock:${key}`
      const token = randomUUID()
      const acquiredAt = await acquire(redisKey, key, token, ttlMs, waitMs)
      const lease = holdLease(redisKey, key, token, ttlMs, acquiredAt)
      try {
        return await run(lease.signal)
      } finally {
        lease.stop()
        try {
          await redis.eval(releaseScript, 1, redisKey, token)
        } catch (error) {
          // The work is done; the lease runs out on its own within ttlMs.
          report(error, { key, during: 'release' })
        }
      }
    },
  }
}
