import { ActionError } from '@toolplane/sdk'
import type { ErrorClass } from '@toolplane/sdk'
import { describe, expect, it } from 'vitest'
import { CircuitOpenError, createCircuitBreakers } from './circuit-breaker.js'
import type { CircuitBreakerOptions, CircuitState } from './circuit-breaker.js'

const key = 'ws_1:github:cred_1'

function setup(options: CircuitBreakerOptions = {}) {
  let now = 1_000_000
  const changes: [string, CircuitState][] = []
  const breakers = createCircuitBreakers({
    clock: () => now,
    onChange: (changed, state) => changes.push([changed, state]),
    ...options,
  })
  /** One call through the breaker that fails with the class, as the engine makes it. */
  const fail = (errorClass: ErrorClass = 'upstream_unavailable', on = key) => {
    breakers.before(on)
    breakers.failure(on, errorClass)
  }
  const succeed = (on = key) => {
    breakers.before(on)
    breakers.success(on)
  }
  const refusal = (on = key): CircuitOpenError => {
    try {
      breakers.before(on)
    } catch (error) {
      expect(error).toBeInstanceOf(CircuitOpenError)
      return error as CircuitOpenError
    }
    throw new Error('the call went through')
  }
  return {
    breakers,
    changes,
    fail,
    succeed,
    refusal,
    advance: (ms: number) => {
      now += ms
    },
  }
}

/** Opens the default breaker with five 503s. */
function opened(options: CircuitBreakerOptions = {}) {
  const context = setup(options)
  for (let i = 0; i < 5; i++) context.fail()
  return context
}

describe('createCircuitBreakers', () => {
  it('lets calls through while closed', () => {
    const { breakers, fail, succeed } = setup()
    for (let i = 0; i < 4; i++) fail()
    succeed()
    expect(breakers.state(key)).toBe('closed')
    expect(() => {
      breakers.before(key)
    }).not.toThrow()
  })

  it('opens after 5 upstream_unavailable failures in a row', () => {
    const { breakers, changes, fail } = setup()
    for (let i = 0; i < 4; i++) fail()
    expect(breakers.state(key)).toBe('closed')
    fail()
    expect(breakers.state(key)).toBe('open')
    expect(changes).toEqual([[key, 'open']])
  })

  it('fails fast with a retryable upstream_unavailable that was not sent and says when to retry', () => {
    const { refusal, advance } = opened()
    advance(10_000)
    const error = refusal()
    expect(error).toBeInstanceOf(ActionError)
    expect(error.class).toBe('upstream_unavailable')
    expect(error.retryable).toBe(true)
    expect(error.requestSent).toBe(false)
    expect(error.retryAfterMs).toBe(20_000)
    expect(error.state).toBe('open')
    expect(error.message).toBe(
      `Calls to ${key} are paused for 20 s: the last 5 calls failed with upstream_unavailable. After the pause one probe call goes through, and the circuit closes when a probe succeeds.`,
    )
    expect(error.suggestions[0]?.title).toBe('Wait for the probe')
  })

  it('keeps each tool and credential apart', () => {
    const { breakers, succeed } = opened()
    expect(breakers.state('ws_1:github:cred_2')).toBe('closed')
    succeed('ws_1:github:cred_2')
    expect(breakers.state(key)).toBe('open')
  })

  it('starts counting again after a success or an answer from the upstream', () => {
    const { breakers, fail, succeed } = setup()
    for (let i = 0; i < 4; i++) fail()
    succeed()
    for (let i = 0; i < 4; i++) fail()
    fail('not_found')
    for (let i = 0; i < 4; i++) fail()
    expect(breakers.state(key)).toBe('closed')
    fail()
    expect(breakers.state(key)).toBe('open')
  })

  it('neither counts nor forgets timeouts and network errors', () => {
    const { breakers, fail } = setup()
    for (let i = 0; i < 4; i++) fail()
    for (let i = 0; i < 10; i++) fail(i % 2 === 0 ? 'timeout' : 'network_error')
    expect(breakers.state(key)).toBe('closed')
    fail()
    expect(breakers.state(key)).toBe('open')
  })

  it('ignores the failure of a call it refused while no call is in flight', () => {
    const { breakers, refusal, advance } = opened()
    for (let i = 0; i < 3; i++) {
      refusal()
      breakers.failure(key, 'upstream_unavailable')
    }
    advance(30_000)
    expect(breakers.state(key)).toBe('half_open')
  })

  it('lets exactly one probe through after the pause', () => {
    const { breakers, changes, refusal, advance } = opened()
    advance(30_000)
    expect(breakers.state(key)).toBe('half_open')
    breakers.before(key)
    const error = refusal()
    expect(error.state).toBe('half_open')
    expect(error.retryAfterMs).toBe(1000)
    expect(error.message).toMatch(/a probe call is checking whether the upstream has recovered/)
    refusal()
    expect(breakers.state(key)).toBe('half_open')
    expect(changes).toEqual([
      [key, 'open'],
      [key, 'half_open'],
    ])
    breakers.success(key)
    expect(breakers.state(key)).toBe('closed')
  })

  it('closes when the probe succeeds', () => {
    const { breakers, changes, advance, fail } = opened()
    advance(30_000)
    breakers.before(key)
    breakers.success(key)
    expect(breakers.state(key)).toBe('closed')
    expect(() => {
      breakers.before(key)
    }).not.toThrow()
    breakers.success(key)
    expect(changes.map(([, state]) => state)).toEqual(['open', 'half_open', 'closed'])
    // The count starts from zero again.
    for (let i = 0; i < 4; i++) fail()
    expect(breakers.state(key)).toBe('closed')
  })

  it('closes when the probe gets any answer from the upstream', () => {
    const { breakers, advance } = opened()
    advance(30_000)
    breakers.before(key)
    breakers.failure(key, 'validation_error')
    expect(breakers.state(key)).toBe('closed')
  })

  it('opens again for a whole pause when the probe fails', () => {
    const { breakers, refusal, advance } = opened()
    advance(30_000)
    breakers.before(key)
    advance(2000)
    breakers.failure(key, 'upstream_unavailable')
    expect(breakers.state(key)).toBe('open')
    const error = refusal()
    expect(error.retryAfterMs).toBe(30_000)
    expect(error.message).toContain('the last 6 calls failed')
    advance(30_000)
    expect(breakers.state(key)).toBe('half_open')
  })

  it('lets the next call probe when the probe ended without showing either way', () => {
    const { breakers, advance } = opened()
    advance(30_000)
    breakers.before(key)
    breakers.failure(key, 'timeout')
    expect(breakers.state(key)).toBe('half_open')
    breakers.before(key)
    breakers.success(key)
    expect(breakers.state(key)).toBe('closed')
  })

  it('lets another probe through when a probe never reports back', () => {
    const { breakers, refusal, advance } = opened()
    advance(30_000)
    breakers.before(key)
    advance(29_000)
    refusal()
    advance(1000)
    expect(() => {
      breakers.before(key)
    }).not.toThrow()
  })

  it('ignores late outcomes of calls that started before it opened', () => {
    const { breakers, fail, refusal } = setup()
    breakers.before(key)
    breakers.before(key)
    for (let i = 0; i < 5; i++) fail()
    breakers.success(key)
    breakers.failure(key, 'upstream_unavailable')
    expect(breakers.state(key)).toBe('open')
    expect(refusal().retryAfterMs).toBe(30_000)
  })

  it('follows its options', () => {
    const { breakers, fail, refusal, advance } = setup({ failureThreshold: 2, openMs: 5000 })
    fail()
    fail()
    expect(breakers.state(key)).toBe('open')
    expect(refusal().retryAfterMs).toBe(5000)
    advance(5000)
    expect(breakers.state(key)).toBe('half_open')
  })

  it('forgets the least recently used closed breakers beyond maxKeys, never an open one', () => {
    const { breakers, fail } = setup({ maxKeys: 3, failureThreshold: 2 })
    fail('upstream_unavailable', 'a')
    fail('upstream_unavailable', 'a')
    fail('upstream_unavailable', 'b')
    fail('upstream_unavailable', 'c')
    fail('upstream_unavailable', 'd')
    expect(breakers.state('a')).toBe('open')
    // b was the least recently used closed breaker: its one failure is forgotten.
    fail('upstream_unavailable', 'b')
    expect(breakers.state('b')).toBe('closed')
    fail('upstream_unavailable', 'd')
    expect(breakers.state('d')).toBe('open')
  })

  // A breaker used again moves to the recently used end only when its last move is a second old, so a
  // busy key is not moved on every call.
  it.each([
    { after: 999, state: 'closed' },
    { after: 1000, state: 'open' },
  ] as const)(
    'forgets the least recently used breaker to within a second (used again after $after ms: $state)',
    ({ after, state }) => {
      const { breakers, fail, advance } = setup({ maxKeys: 2, failureThreshold: 3 })
      fail('upstream_unavailable', 'a')
      fail('upstream_unavailable', 'b')
      advance(after)
      fail('upstream_unavailable', 'a')
      // `c` pushes out the least recently used: `b` if that use moved `a`, else `a` with its two failures.
      fail('upstream_unavailable', 'c')
      fail('upstream_unavailable', 'a')
      expect(breakers.state('a')).toBe(state)
    },
  )
})
