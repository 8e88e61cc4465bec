import { assertLockRequest, LockTimeoutError } from './lock.js'
import type { Lock } from './lock.js'

interface Waiter {
  readonly admit: () => void
}

/**
 * The embedded-mode lock: one process, so a map of held keys with a first-come, first-served queue
 * of waiters per key. The lock passes straight from its holder to the next waiter, so no waiter
 * is starved by newcomers. `ttlMs` is checked but otherwise unused: a lease only matters when a
 * holder can die without releasing, and here the holder dies with the process that holds the map.
 * The signal never aborts, for the same reason.
 *
 * @example
 * const lock = createMemoryLock()
 * await lock.withLock(`credential-refresh:${id}`, { ttlMs: 30_000, waitMs: 35_000 }, (signal) => refresh(id, signal))
 */
export function createMemoryLock(): Lock {
  // A key is present while it is held; its array is the queue of callers waiting for it.
  const held = new Map<string, Waiter[]>()

  function acquire(key: string, waitMs: number): Promise<void> {
    const queue = held.get(key)
    if (queue === undefined) {
      held.set(key, [])
      return Promise.resolve()
    }
    if (waitMs === 0) return Promise.reject(new LockTimeoutError(key, waitMs))
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        admit: () => {
          clearTimeout(timer)
          resolve()
        },
      }
      const timer = setTimeout(() => {
        queue.splice(queue.indexOf(waiter), 1)
        reject(new LockTimeoutError(key, waitMs))
      }, waitMs)
      queue.push(waiter)
    })
  }

  function release(key: string): void {
    const next = held.get(key)?.shift()
    if (next === undefined) held.delete(key)
    else next.admit()
  }

  return {
    async withLock(key, options, run) {
      assertLockRequest(key, options)
      await acquire(key, options.waitMs)
      try {
        return await run(new AbortController().signal)
      } finally {
        release(key)
      }
    },
  }
}
