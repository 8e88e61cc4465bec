/**
 * Circuit breakers per tool and credential (SPEC §5): when an upstream keeps answering that it is
 * unavailable, stop calling it for a while and fail fast with a clear error, then let a single probe
 * call through; the circuit closes again when a probe succeeds.
 *
 * States: `closed` (calls go through), `open` (calls fail at once with `upstream_unavailable`,
 * retryable, `requestSent: false`, and `retryAfterMs` set to the rest of the pause), `half_open`
 * (the pause is over: the first call goes through as the probe, the others fail fast until its
 * outcome is known).
 *
 * What an outcome does:
 * - `upstream_unavailable` (a 502, 503 or 504) counts. `failureThreshold` of them in a row open the
 *   circuit; a probe that fails with it opens it again for another pause.
 * - A success, or a failure that shows the upstream answered (`validation_error`, `auth_error`,
 *   `permission_error`, `not_found`, `conflict`, `rate_limited`, `upstream_error`), resets the count;
 *   as a probe's outcome it closes the circuit.
 * - Any other class neither counts nor resets: `timeout` and `network_error` show neither that the
 *   upstream is down (a client-side network problem, one slow action) nor that it is up, and opening
 *   on them would hide a misconfigured base URL's real error behind "paused"; `cancelled`,
 *   `internal_error`, `transform_error`, `quota_exceeded` and `credential_expired` are not about the
 *   upstream's availability. As a probe's outcome they free the probe slot for the next call.
 * - While open, outcomes of calls that started before the circuit opened change nothing: only the
 *   end of the pause does.
 *
 * The engine calls `before` just before calling the upstream and reports the outcome of each call it
 * let through with `success` or `failure` — and only those: a call `before` refused (a
 * {@link CircuitOpenError}) must not be reported, because while a probe runs its failure would be
 * taken for the probe's. (An outcome reported while no call is in flight is ignored.) A probe whose
 * outcome is never reported stops blocking after `openMs`, when the next call becomes the probe.
 *
 * The state is per node and in memory: each node learns on its own that an upstream is down, after
 * `failureThreshold` failures of its own. A breaker shared across a cluster would add a Redis round
 * trip to every call, which costs more than a few extra failed calls during an outage.
 */
import { ActionError } from '@toolplane/sdk'
import type { ErrorClass } from '@toolplane/sdk'
import { markUsed } from '../infra/recently-used.js'
import type { RecentlyUsed } from '../infra/recently-used.js'

/** Where one breaker stands. */
export type CircuitState = 'closed' | 'open' | 'half_open'

/** How {@link createCircuitBreakers} behaves; every field has a default. */
export interface CircuitBreakerOptions {
  /** `upstream_unavailable` failures in a row that open a circuit; default 5. */
  failureThreshold?: number
  /** How long an open circuit pauses calls before a probe; default 30 s. */
  openMs?: number
  /** Milliseconds since the epoch; `Date.now` unless a test moves time. */
  clock?: () => number
  /** Breakers kept; beyond this the least recently used closed ones are forgotten. Default 10,000. */
  maxKeys?: number
  /** Called after every state change, for logs and metrics. */
  onChange?: (key: string, state: CircuitState) => void
}

/** The breakers of one node, keyed by `${workspaceId}:${tool}:${credentialId ?? 'none'}`. */
export interface CircuitBreakers {
  /** Lets a call through, or throws a {@link CircuitOpenError} when the circuit is open. */
  before(key: string): void
  /** The call `before` let through succeeded. */
  success(key: string): void
  /** The call `before` let through failed with this class; never report a {@link CircuitOpenError}. */
  failure(key: string, errorClass: ErrorClass): void
  state(key: string): CircuitState
}

export const DEFAULT_FAILURE_THRESHOLD = 5
export const DEFAULT_OPEN_MS = 30_000
export const DEFAULT_MAX_KEYS = 10_000
// While a probe runs, callers are told to come back soon: probes are usually quick.
const HALF_OPEN_RETRY_AFTER_MS = 1000

/**
 * A call was refused without reaching the upstream because its circuit is open. An
 * `upstream_unavailable` error, retryable and certainly not sent.
 *
 * @example
 * try { breakers.before(key) } catch (error) { if (error instanceof CircuitOpenError) console.log(error.retryAfterMs) }
 */
export class CircuitOpenError extends ActionError {
  override name = 'CircuitOpenError'
  readonly key: string
  readonly state: 'open' | 'half_open'

  constructor(key: string, state: 'open' | 'half_open', failures: number, retryAfterMs: number) {
    const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000))
    const message =
      state === 'open'
        ? `Calls to ${key} are paused for ${seconds} s: the last ${failures} calls failed with upstream_unavailable. After the pause one probe call goes through, and the circuit closes when a probe succeeds.`
        : `Calls to ${key} are paused: after ${failures} calls failed with upstream_unavailable, a probe call is checking whether the upstream has recovered; the circuit closes when the probe succeeds.`
    super('upstream_unavailable', message, {
      retryable: true,
      retryAfterMs,
      requestSent: false,
      suggestions: [
        {
          title: 'Wait for the probe',
          detail: `Retry in about ${seconds} s. Toolplane lets one call through to check whether the upstream has recovered; when it succeeds, calls go through again.`,
        },
      ],
    })
    this.key = key
    this.state = state
  }
}

interface Breaker extends RecentlyUsed {
  state: CircuitState
  /** Counted failures in a row. */
  failures: number
  openedAt: number
  /** When the current probe was let through; undefined when no probe is running. */
  probeSince: number | undefined
  /** Calls let through whose outcome is not reported yet. */
  inFlight: number
}

const counted: ReadonlySet<ErrorClass> = new Set(['upstream_unavailable'])
// Failures that can only come from an upstream that answered.
const answered: ReadonlySet<ErrorClass> = new Set([
  'validation_error',
  'auth_error',
  'permission_error',
  'not_found',
  'conflict',
  'rate_limited',
  'upstream_error',
])

/**
 * Creates one node's circuit breakers.
 *
 * @example
 * const breakers = createCircuitBreakers()
 * const key = `${workspaceId}:github:${credentialId}`
 * breakers.before(key) // throws CircuitOpenError while the circuit is open
 * try {
 *   const result = await call()
 *   breakers.success(key)
 * } catch (error) {
 *   breakers.failure(key, toActionError(error).class)
 * }
 */
export function createCircuitBreakers(options: CircuitBreakerOptions = {}): CircuitBreakers {
  const threshold = options.failureThreshold ?? DEFAULT_FAILURE_THRESHOLD
  const openMs = options.openMs ?? DEFAULT_OPEN_MS
  const clock = options.clock ?? Date.now
  const maxKeys = options.maxKeys ?? DEFAULT_MAX_KEYS
  const onChange = options.onChange
  // In order of use (recently-used.ts): the least recently used first, to within a second.
  const breakers = new Map<string, Breaker>()

  function change(key: string, breaker: Breaker, state: CircuitState): void {
    breaker.state = state
    breaker.probeSince = undefined
    if (state === 'open') breaker.openedAt = clock()
    if (state === 'closed') breaker.failures = 0
    onChange?.(key, state)
  }

  /** The breaker of a key, most recently used now, with an elapsed pause turned into half-open. */
  function use(key: string): Breaker | undefined {
    const breaker = breakers.get(key)
    if (breaker === undefined) return undefined
    const now = clock()
    markUsed(breakers, key, breaker, now)
    if (breaker.state === 'open' && now - breaker.openedAt >= openMs) change(key, breaker, 'half_open')
    return breaker
  }

  function create(key: string): Breaker {
    const breaker: Breaker = {
      state: 'closed',
      failures: 0,
      openedAt: 0,
      probeSince: undefined,
      inFlight: 0,
      movedAt: clock(),
    }
    breakers.set(key, breaker)
    if (breakers.size > maxKeys) {
      for (const [candidate, other] of breakers) {
        if (candidate !== key && other.state === 'closed') {
          breakers.delete(candidate)
          break
        }
      }
    }
    return breaker
  }

  /** Forgets a breaker that holds nothing worth remembering. */
  function settle(key: string, breaker: Breaker): void {
    if (breaker.state === 'closed' && breaker.failures === 0 && breaker.inFlight === 0) breakers.delete(key)
  }

  /** Takes back the permit of a call `before` let through; false when there was none. */
  function release(breaker: Breaker): boolean {
    if (breaker.inFlight === 0) return false
    breaker.inFlight -= 1
    return true
  }

  return {
    before(key) {
      const breaker = use(key) ?? create(key)
      const now = clock()
      if (breaker.state === 'open') {
        throw new CircuitOpenError(key, 'open', breaker.failures, breaker.openedAt + openMs - now)
      }
      if (breaker.state === 'half_open') {
        if (breaker.probeSince !== undefined && now - breaker.probeSince < openMs) {
          const wait = Math.min(HALF_OPEN_RETRY_AFTER_MS, breaker.probeSince + openMs - now)
          throw new CircuitOpenError(key, 'half_open', breaker.failures, wait)
        }
        breaker.probeSince = now
      }
      breaker.inFlight += 1
    },

    success(key) {
      const breaker = use(key)
      if (breaker === undefined || !release(breaker)) return
      if (breaker.state === 'half_open') change(key, breaker, 'closed')
      else if (breaker.state === 'closed') breaker.failures = 0
      settle(key, breaker)
    },

    failure(key, errorClass) {
      const breaker = use(key)
      if (breaker === undefined || !release(breaker)) return
      if (breaker.state === 'closed') {
        if (counted.has(errorClass)) {
          breaker.failures += 1
          if (breaker.failures >= threshold) change(key, breaker, 'open')
        } else if (answered.has(errorClass)) {
          breaker.failures = 0
        }
      } else if (breaker.state === 'half_open') {
        if (counted.has(errorClass)) {
          breaker.failures += 1
          change(key, breaker, 'open')
        } else if (answered.has(errorClass)) {
          change(key, breaker, 'closed')
        } else {
          breaker.probeSince = undefined
        }
      }
      settle(key, breaker)
    },

    state(key) {
      return use(key)?.state ?? 'closed'
    },
  }
}
