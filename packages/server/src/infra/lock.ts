/**
 * A lock held while a piece of work runs, so that one thing happens at a time per key: in process
 * in embedded mode (`lock-memory.ts`), across every node through Redis in cluster mode
 * (`lock-redis.ts`). Plus single flight, which makes concurrent callers in one process share one
 * run, and the two combined: "20 concurrent uses of an expiring token cause one refresh".
 */

export interface LockOptions {
  /**
   * How long the lock outlives a node that dies while holding it, in milliseconds. A live holder
   * keeps the lock for as long as `run` goes on (the Redis lock renews its lease).
   */
  readonly ttlMs: number
  /** How long to wait for a lock someone else holds before giving up with `LockTimeoutError`. */
  readonly waitMs: number
}

export interface Lock {
  /**
   * Acquires the lock on `key`, runs `run`, releases the lock and returns what `run` returned (or
   * throws what it threw). `signal` aborts, with a `LockLostError` as its reason, if the lock is lost
   * while `run` is still going; `run` should then stop touching what the lock protects.
   *
   * @throws LockTimeoutError when the lock could not be had within `options.waitMs`.
   */
  withLock<T>(key: string, options: LockOptions, run: (signal: AbortSignal) => Promise<T>): Promise<T>
}

/**
 * Thrown by `withLock` when another holder kept the lock for longer than the caller would wait.
 *
 * @example
 * try {
 *   await lock.withLock(`credential-refresh:${id}`, { ttlMs: 30_000, waitMs: 5_000 }, refresh)
 * } catch (error) {
 *   if (error instanceof LockTimeoutError) log.warn({ key: error.key }, 'refresh still running elsewhere')
 *   else throw error
 * }
 */
export class LockTimeoutError extends Error {
  readonly code = 'lock_timeout'

  constructor(
    readonly key: string,
    readonly waitMs: number,
  ) {
    super(`The lock "${key}" is held elsewhere; gave up after waiting ${waitMs} ms`)
    this.name = 'LockTimeoutError'
  }
}

/**
 * The reason of a `withLock` signal that aborted because the lock was lost: its lease ran out
 * before it could be renewed (Redis unreachable, the process paused) or another holder has it now.
 *
 * @example
 * await lock.withLock(key, options, async (signal) => {
 *   await fetch(url, { signal }) // rejects with a LockLostError reason once the lock is gone
 * })
 */
export class LockLostError extends Error {
  readonly code = 'lock_lost'

  constructor(readonly key: string) {
    super(
      `The lock "${key}" was lost while its holder was still running: its lease ran out or another holder took it`,
    )
    this.name = 'LockLostError'
  }
}

/**
 * Checks the arguments every lock implementation takes, so both refuse the same mistakes.
 *
 * @example
 * assertLockRequest(key, options) // throws RangeError on an empty key or a ttlMs of 0
 */
export function assertLockRequest(key: string, options: LockOptions): void {
  if (key === '') throw new RangeError('A lock key must not be empty')
  if (!Number.isInteger(options.ttlMs) || options.ttlMs < 1) {
    throw new RangeError(`ttlMs must be a whole number of milliseconds, at least 1 (got ${options.ttlMs})`)
  }
  if (!Number.isFinite(options.waitMs) || options.waitMs < 0) {
    throw new RangeError(`waitMs must be a finite number of milliseconds, at least 0 (got ${options.waitMs})`)
  }
}

export interface SingleFlight<T> {
  /**
   * Runs `run` unless a run for `key` is already in flight in this process, in which case the
   * caller gets that run's promise. A flight ends when its promise settles; the next call starts a
   * new one (nothing is cached).
   */
  coalesce(key: string, run: () => Promise<T>): Promise<T>
}

/**
 * Single flight: concurrent calls with the same key share one in-flight promise.
 *
 * @example
 * const refreshes = createSingleFlight<AccessToken>()
 * // 20 concurrent callers, one call to refreshToken:
 * const token = await refreshes.coalesce(credentialId, () => refreshToken(credentialId))
 */
export function createSingleFlight<T>(): SingleFlight<T> {
  const flights = new Map<string, Promise<T>>()
  return {
    coalesce(key, run) {
      const inFlight = flights.get(key)
      if (inFlight !== undefined) return inFlight
      // `then` turns a synchronous throw in `run` into a rejection; the entry is removed when the
      // flight settles (always after `set` below, since `finally` never runs synchronously).
      const flight = Promise.resolve()
        .then(run)
        .finally(() => flights.delete(key))
      flights.set(key, flight)
      return flight
    },
  }
}

export interface CoalescedWork<T> {
  /** The current result if it is still good (a token that does not expire soon), else `undefined`. */
  current(): Promise<T | undefined>
  /** Does the work (refreshes the token and stores it); runs under the lock. */
  produce(signal: AbortSignal): Promise<T>
}

/**
 * Does a piece of work once for every caller on every node that needs it at the same time:
 * concurrent callers in this process share one flight, the flight takes the lock, and once it has
 * the lock it checks `current()` again, because another node may have just done the work.
 * `current()` is also checked before taking the lock, so a result that is still good costs no lock.
 *
 * @example
 * const token = await coalesceAcrossNodes(
 *   { flights: tokenRefreshes, lock },
 *   `credential-refresh:${credential.id}`,
 *   { ttlMs: 30_000, waitMs: 35_000 },
 *   {
 *     current: async () => freshTokenOrUndefined(await store.credential(workspaceId, credential.id)),
 *     produce: (signal) => refreshAndStore(credential, signal),
 *   },
 * )
 */
export function coalesceAcrossNodes<T>(
  coordination: { readonly flights: SingleFlight<T>; readonly lock: Lock },
  key: string,
  options: LockOptions,
  work: CoalescedWork<T>,
): Promise<T> {
  return coordination.flights.coalesce(key, async () => {
    const before = await work.current()
    if (before !== undefined) return before
    return coordination.lock.withLock(key, options, async (signal) => {
      const after = await work.current()
      if (after !== undefined) return after
      return work.produce(signal)
    })
  })
}
