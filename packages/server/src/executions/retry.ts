/**
 * When a failed attempt is tried again, and after how long (SPEC §5).
 *
 * Whether to retry ({@link shouldRetry}) — all of these must hold:
 * - the error is retryable (its class's default, which a tool may override per error);
 * - attempts remain: the attempt that failed is not the last of `maxAttempts`;
 * - running it again cannot do the work twice, because
 *   - the action is idempotent (for this input), or
 *   - the request certainly did not leave (`requestSent === false`: refused connection, unknown
 *     host, blocked address, an open circuit breaker), or
 *   - the upstream said it is rate limited (`rate_limited`): a 429 means it did not process the call.
 *   A non-idempotent action whose request may have arrived (a 503 after sending, a timeout) is not
 *   retried: creating an issue or sending a message twice is worse than failing once.
 *
 * How long to wait ({@link retryDelayMs}): exponential backoff with "full jitter" (a random delay
 * between 0 and `min(cap, base · 2^(attempt − 1))`, defaults 250 ms and 30 s), which spreads the
 * retries of many clients that failed together. When the upstream said how long to wait
 * (`Retry-After`, a rate-limit reset), the delay is at least that plus a small jitter — up to 10 % of
 * the wait and at most 250 ms — so callers that were refused together do not all return at once.
 */
import type { ActionError } from '@toolplane/sdk'

/** The backoff of the first retry, before jitter. */
export const RETRY_BASE_MS = 250
/** The longest backoff, before jitter, whatever the attempt. */
export const RETRY_CAP_MS = 30_000
/** The most jitter added to a wait the upstream asked for. */
export const RETRY_AFTER_JITTER_MS = 250

/** How {@link retryDelayMs} computes a delay. */
export interface RetryDelayOptions {
  /** Defaults to {@link RETRY_BASE_MS}. */
  baseMs?: number
  /** Defaults to {@link RETRY_CAP_MS}; does not limit `retryAfterMs`. */
  capMs?: number
  /** How long the upstream asked to wait, when it said. */
  retryAfterMs?: number
  /** A number in [0, 1); `Math.random` unless a test fixes it. */
  random?: () => number
}

/**
 * Milliseconds to wait before retrying, after attempt `attempt` (1-based) failed: full-jitter
 * exponential backoff, and never less than the wait the upstream asked for.
 *
 * @example
 * retryDelayMs(1) // between 0 and 250
 * retryDelayMs(3) // between 0 and 1000
 * retryDelayMs(1, { retryAfterMs: 2000 }) // between 2000 and 2200
 */
export function retryDelayMs(attempt: number, options: RetryDelayOptions = {}): number {
  const random = options.random ?? Math.random
  const base = options.baseMs ?? RETRY_BASE_MS
  const cap = options.capMs ?? RETRY_CAP_MS
  const exponent = Math.max(0, Math.floor(attempt) - 1)
  // 2 ** exponent overflows to Infinity for absurd attempts; min() with the cap keeps it finite.
  const ceiling = Math.min(cap, base * 2 ** exponent)
  let delay = random() * ceiling
  const asked = options.retryAfterMs
  if (asked !== undefined && Number.isFinite(asked) && asked > 0) {
    const spread = Math.min(asked * 0.1, RETRY_AFTER_JITTER_MS)
    delay = Math.max(delay, asked + random() * spread)
  }
  return Math.round(delay)
}

/** Where an execution stands when an attempt fails. */
export interface RetryContext {
  /** The attempt that just failed, 1-based. */
  attempt: number
  /** Attempts in all, the first included. */
  maxAttempts: number
  /** Whether running the action twice with this input has the effect of running it once. */
  idempotent: boolean
}

/**
 * Whether to try again after an attempt failed with `error` (the rules are in this file's header).
 *
 * @example
 * shouldRetry(new ActionError('upstream_unavailable', 'HTTP 503', { requestSent: true }),
 *   { attempt: 1, maxAttempts: 3, idempotent: false }) // false: it may have been created
 * shouldRetry(new NetworkError('ECONNREFUSED', 'connection refused'),
 *   { attempt: 1, maxAttempts: 3, idempotent: false }) // true: nothing was sent
 */
export function shouldRetry(error: ActionError, context: RetryContext): boolean {
  if (!error.retryable) return false
  if (context.attempt >= context.maxAttempts) return false
  return context.idempotent || error.requestSent === false || error.class === 'rate_limited'
}
