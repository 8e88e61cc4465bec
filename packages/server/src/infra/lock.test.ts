import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import { coalesceAcrossNodes, createSingleFlight } from './lock.js'
import type { Lock } from './lock.js'
import { createMemoryLock } from './lock-memory.js'

describe('single flight', () => {
  it('runs once for 20 concurrent callers with one key, and gives each of them the result', async () => {
    const flights = createSingleFlight<string>()
    let runs = 0
    const refresh = async () => {
      runs += 1
      await sleep(20)
      return `token-${runs}`
    }
    const tokens = await Promise.all(
      Array.from({ length: 20 }, () => flights.coalesce('credential-1', refresh)),
    )
    expect(runs).toBe(1)
    expect(new Set(tokens)).toEqual(new Set(['token-1']))
  })

  it('runs separately for different keys', async () => {
    const flights = createSingleFlight<string>()
    const results = await Promise.all([
      flights.coalesce('a', () => Promise.resolve('for a')),
      flights.coalesce('b', () => Promise.resolve('for b')),
    ])
    expect(results).toEqual(['for a', 'for b'])
  })

  it('starts a new flight once the last one has landed: nothing is cached', async () => {
    const flights = createSingleFlight<number>()
    let runs = 0
    const run = () => Promise.resolve((runs += 1))
    expect(await flights.coalesce('k', run)).toBe(1)
    expect(await flights.coalesce('k', run)).toBe(2)
  })

  it('gives every waiting caller the failure, then lets the next call try again', async () => {
    const flights = createSingleFlight<string>()
    const failure = new Error('the token endpoint is down')
    const failing = () => sleep(10).then(() => Promise.reject(failure))
    const outcomes = await Promise.allSettled([
      flights.coalesce('k', failing),
      flights.coalesce('k', failing),
    ])
    expect(outcomes).toEqual([
      { status: 'rejected', reason: failure },
      { status: 'rejected', reason: failure },
    ])
    // A run that throws before returning a promise fails its flight the same way.
    const throwsAtOnce = (): Promise<string> => {
      throw failure
    }
    await expect(flights.coalesce('k', throwsAtOnce)).rejects.toBe(failure)
    await expect(flights.coalesce('k', () => Promise.resolve('recovered'))).resolves.toBe('recovered')
  })
})

describe('memory lock', () => {
  it('hands the lock to waiters in the order they came', async () => {
    const lock = createMemoryLock()
    const order: number[] = []
    await Promise.all(
      Array.from({ length: 5 }, (_, caller) =>
        lock.withLock('k', { ttlMs: 1_000, waitMs: 1_000 }, async () => {
          await sleep(1)
          order.push(caller)
        }),
      ),
    )
    expect(order).toEqual([0, 1, 2, 3, 4])
  })

  it('skips a waiter that gave up, and still serves the one behind it', async () => {
    const lock = createMemoryLock()
    const served: string[] = []
    const holder = lock.withLock('k', { ttlMs: 1_000, waitMs: 0 }, () => sleep(100))
    const impatient = lock
      .withLock('k', { ttlMs: 1_000, waitMs: 20 }, () => Promise.resolve(served.push('impatient')))
      .catch(() => 'gave up')
    const patient = lock.withLock('k', { ttlMs: 1_000, waitMs: 1_000 }, () =>
      Promise.resolve(served.push('patient')),
    )
    await Promise.all([holder, impatient, patient])
    expect(await impatient).toBe('gave up')
    expect(served).toEqual(['patient'])
  })
})

describe('coalesceAcrossNodes', () => {
  /** A lock that counts how often it is taken. */
  function countingLock() {
    const inner = createMemoryLock()
    const counted = { taken: 0 }
    const lock: Lock = {
      withLock(key, options, run) {
        counted.taken += 1
        return inner.withLock(key, options, run)
      },
    }
    return { lock, counted }
  }

  it('does not take the lock while the current result is still good', async () => {
    const { lock, counted } = countingLock()
    const result = await coalesceAcrossNodes(
      { flights: createSingleFlight<string>(), lock },
      'k',
      { ttlMs: 1_000, waitMs: 1_000 },
      { current: () => Promise.resolve('still good'), produce: () => Promise.resolve('produced') },
    )
    expect(result).toBe('still good')
    expect(counted.taken).toBe(0)
  })

  it('checks again once it holds the lock, and uses what another node produced meanwhile', async () => {
    const { lock, counted } = countingLock()
    let checks = 0
    const result = await coalesceAcrossNodes(
      { flights: createSingleFlight<string>(), lock },
      'k',
      { ttlMs: 1_000, waitMs: 1_000 },
      {
        // Stale before the lock; fresh after it, as if another node had refreshed in between.
        current: () => Promise.resolve((checks += 1) === 1 ? undefined : 'from another node'),
        produce: () => Promise.resolve('produced'),
      },
    )
    expect(result).toBe('from another node')
    expect(counted.taken).toBe(1)
  })

  it('produces once, under the lock, for 20 concurrent callers', async () => {
    const { lock, counted } = countingLock()
    let stored: string | undefined
    let produced = 0
    const flights = createSingleFlight<string>()
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        coalesceAcrossNodes(
          { flights, lock },
          'k',
          { ttlMs: 1_000, waitMs: 1_000 },
          {
            current: () => Promise.resolve(stored),
            produce: async (signal) => {
              expect(signal.aborted).toBe(false)
              produced += 1
              await sleep(10)
              return (stored = 'fresh')
            },
          },
        ),
      ),
    )
    expect(produced).toBe(1)
    expect(counted.taken).toBe(1)
    expect(new Set(results)).toEqual(new Set(['fresh']))
  })
})
