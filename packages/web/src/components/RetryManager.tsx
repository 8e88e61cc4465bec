/**
 * Trying something again: `useRetry` runs a function with retries (exponential backoff with full
 * jitter, or the wait the server asked for), and `RetryManager` shows it: a Retry button, a countdown
 * that screen readers hear once rather than every second, and Cancel.
 */
import { useCallback, useEffect, useRef, useState } from 'react'
import { Button } from 'react-aria-components'
import { describeError } from './ErrorHandler.js'
import '../styles/actions.css'

export type RetryStatus = 'idle' | 'waiting' | 'running' | 'succeeded' | 'failed' | 'cancelled'

export interface RetryOptions {
  /** Attempts in one go, counting the first; a failure after the last waits for the user. */
  readonly maxAttempts: number
  /** The backoff's first ceiling: attempt n waits a random time up to `baseDelayMs × 2^(n−1)`. */
  readonly baseDelayMs: number
  /** The most any backoff waits (a server's `Retry-After` is honoured even when longer). */
  readonly maxDelayMs: number
  /** The wait before the first attempt of `start()`, as a server asked (`Retry-After`). */
  readonly retryAfterMs?: number | undefined
  /** A random number in [0, 1); tests pass their own. */
  readonly random?: () => number
}

export interface RetryState<T> {
  readonly status: RetryStatus
  /** Attempts made since the last `start()` or `retryNow()` from rest. */
  readonly attempt: number
  /** While waiting: whole seconds until the next attempt, ticking down. */
  readonly secondsLeft: number | null
  /** The wait that is running, in ms (for "Retrying in …" said once). */
  readonly waitMs: number | null
  /** The last failure. */
  readonly error: unknown
  /** The last success's value. */
  readonly result: T | undefined
}

export interface RetryControls<T> extends RetryState<T> {
  /** Starts from rest: waits `retryAfterMs` first when given, else runs at once. */
  start(): void
  /** Runs now: skips a running wait, or starts again from rest. */
  retryNow(): void
  /** Stops waiting, or abandons a running attempt (its signal is aborted and its result ignored). */
  cancel(): void
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null
}

/**
 * Whether a failure may go away by trying again: what the error says of itself (`retryable`, as
 * `ApiError` and execution errors do), else yes.
 */
export function isRetryable(error: unknown): boolean {
  if (isRecord(error) && typeof error.retryable === 'boolean') return error.retryable
  return true
}

/** The wait a failure asks for: `retryAfterMs`, or `retryAfter` in seconds (`ApiError`); else null. */
export function retryAfterOf(error: unknown): number | null {
  if (!isRecord(error)) return null
  if (typeof error.retryAfterMs === 'number') return error.retryAfterMs
  if (typeof error.retryAfter === 'number') return error.retryAfter * 1000
  return null
}

/**
 * The wait after `attempt` failed attempts: what the failure asked for, else full jitter — a random
 * time between 0 and `min(maxDelayMs, baseDelayMs × 2^(attempt−1))`, so clients that failed together
 * do not come back together.
 *
 * @example
 * backoffDelay(3, new Error('x'), { baseDelayMs: 1000, maxDelayMs: 30_000, maxAttempts: 5, random: () => 0.5 }) // 2000
 */
export function backoffDelay(attempt: number, error: unknown, options: RetryOptions): number {
  const asked = retryAfterOf(error)
  if (asked !== null) return Math.max(0, asked)
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** Math.max(0, attempt - 1))
  return Math.floor((options.random ?? Math.random)() * ceiling)
}

const rest: RetryState<never> = {
  status: 'idle',
  attempt: 0,
  secondsLeft: null,
  waitMs: null,
  error: null,
  result: undefined,
}

/**
 * Runs `run` with retries. Each failure that may pass (see `isRetryable`) waits (`backoffDelay`) and
 * tries again, up to `maxAttempts`; then the state is `failed` until the user asks again.
 *
 * @example
 * const retry = useRetry((signal) => api.post('/v1/executions/x/retry', undefined, { signal }), {
 *   maxAttempts: 3, baseDelayMs: 1000, maxDelayMs: 30_000, retryAfterMs: 4000,
 * })
 * retry.start() // "Retrying in 4 s"
 */
export function useRetry<T>(
  run: (signal: AbortSignal) => Promise<T>,
  options: RetryOptions,
): RetryControls<T> {
  const [state, setState] = useState<RetryState<T>>(rest)
  const latest = useRef({ run, options })
  latest.current = { run, options }
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null)
  const ticker = useRef<ReturnType<typeof setInterval> | null>(null)
  const controller = useRef<AbortController | null>(null)
  // Every start, retry and cancel begins a new generation; results of an older one are ignored.
  const generation = useRef(0)
  const attempts = useRef(0)

  const clearTimers = () => {
    if (timer.current !== null) clearTimeout(timer.current)
    if (ticker.current !== null) clearInterval(ticker.current)
    timer.current = null
    ticker.current = null
  }

  useEffect(
    () => () => {
      clearTimers()
      controller.current?.abort()
    },
    [],
  )

  const attemptNow = useCallback((gen: number) => {
    clearTimers()
    attempts.current += 1
    const attempt = attempts.current
    const abort = new AbortController()
    controller.current = abort
    setState((s) => ({ ...s, status: 'running', attempt, secondsLeft: null, waitMs: null }))
    latest.current.run(abort.signal).then(
      (result) => {
        if (gen !== generation.current) return
        setState({ ...rest, status: 'succeeded', attempt, result })
      },
      (error: unknown) => {
        if (gen !== generation.current) return
        const { options: current } = latest.current
        if (attempt >= current.maxAttempts || !isRetryable(error)) {
          setState({ ...rest, status: 'failed', attempt, error })
          return
        }
        waitThen(gen, backoffDelay(attempt, error, current), error)
      },
    )
  }, [])

  const waitThen = useCallback(
    (gen: number, delayMs: number, error: unknown) => {
      clearTimers()
      const due = Date.now() + delayMs
      const secondsLeft = () => Math.max(0, Math.ceil((due - Date.now()) / 1000))
      setState((s) => ({ ...s, status: 'waiting', error, secondsLeft: secondsLeft(), waitMs: delayMs }))
      ticker.current = setInterval(() => {
        setState((s) => (s.status === 'waiting' ? { ...s, secondsLeft: secondsLeft() } : s))
      }, 1000)
      timer.current = setTimeout(() => {
        attemptNow(gen)
      }, delayMs)
    },
    [attemptNow],
  )

  const begin = (wait: boolean) => {
    clearTimers()
    controller.current?.abort()
    generation.current += 1
    attempts.current = 0
    const gen = generation.current
    const asked = latest.current.options.retryAfterMs
    if (wait && asked !== undefined && asked > 0) waitThen(gen, asked, null)
    else attemptNow(gen)
  }

  return {
    ...state,
    start: () => {
      begin(true)
    },
    retryNow: () => {
      if (state.status === 'waiting') attemptNow(generation.current)
      else if (state.status !== 'running') begin(false)
    },
    cancel: () => {
      clearTimers()
      controller.current?.abort()
      generation.current += 1
      setState((s) => ({ ...s, status: 'cancelled', secondsLeft: null, waitMs: null }))
    },
  }
}

/** "4 s", "1 min 5 s". */
function secondsText(seconds: number): string {
  if (seconds < 60) return `${seconds} s`
  const minutes = Math.floor(seconds / 60)
  const rest = seconds % 60
  return rest === 0 ? `${minutes} min` : `${minutes} min ${rest} s`
}

/**
 * What the status region says: once when a wait starts, once when it runs, once when it ends; the
 * countdown itself ticks on screen only.
 */
function announcement(state: RetryState<unknown>, maxAttempts: number): string {
  const of = maxAttempts > 1 ? ` (attempt ${state.attempt + 1} of ${maxAttempts})` : ''
  switch (state.status) {
    case 'waiting':
      return `Retrying in ${secondsText(Math.ceil((state.waitMs ?? 0) / 1000))}${of}.`
    case 'running':
      return 'Retrying now…'
    case 'succeeded':
      return 'The retry succeeded.'
    case 'failed':
      return `The retry failed: ${describeError(state.error).title}.`
    case 'cancelled':
      return 'Retry cancelled.'
    default:
      return ''
  }
}

export interface RetryManagerProps<T> extends RetryOptions {
  /** One attempt; throw to fail it (an error with `retryable: false` is not tried again). */
  readonly run: (signal: AbortSignal) => Promise<T>
  /** Starts waiting (or running) as soon as it shows, as after a rate limit the server timed. */
  readonly autoStart?: boolean
  /** The button's label; "Retry" by default. */
  readonly label?: string
  /** Hears each success (the caller shows the new result). */
  readonly onSucceeded?: (result: T) => void
  /** Shows the failure in the caller's words; the error's title by default. */
  readonly describeFailure?: (error: unknown) => string
}

/**
 * A Retry button with its countdown and Cancel, driven by `useRetry`.
 *
 * @example
 * <RetryManager run={() => retryExecution(api, id)} maxAttempts={3} baseDelayMs={1000} maxDelayMs={30_000}
 *   retryAfterMs={error.retryAfterMs} autoStart onSucceeded={show} />
 */
export function RetryManager<T>({
  run,
  autoStart = false,
  label = 'Retry',
  onSucceeded,
  describeFailure,
  ...options
}: RetryManagerProps<T>) {
  const retry = useRetry(run, options)
  const started = useRef(false)
  useEffect(() => {
    if (autoStart && !started.current) {
      started.current = true
      retry.start()
    }
  })
  const reported = useRef<unknown>(undefined)
  useEffect(() => {
    if (retry.status === 'succeeded' && reported.current !== retry.result) {
      reported.current = retry.result
      onSucceeded?.(retry.result as T)
    }
  })

  const failure =
    retry.status === 'failed'
      ? (describeFailure?.(retry.error) ??
        `${describeError(retry.error).title}: ${describeError(retry.error).detail}`)
      : null

  return (
    <div className="retry-manager">
      <div role="status" className="visually-hidden">
        {announcement(retry, options.maxAttempts)}
      </div>
      {retry.status === 'waiting' && retry.secondsLeft !== null && (
        <p className="retry-countdown" role="timer" aria-live="off">
          <span aria-hidden="true" className="status-icon">
            ◷
          </span>{' '}
          Retrying in {secondsText(retry.secondsLeft)}
          {options.maxAttempts > 1 && (
            <span className="muted">
              {' '}
              · attempt {retry.attempt + 1} of {options.maxAttempts}
            </span>
          )}
        </p>
      )}
      {retry.status === 'running' && (
        <p className="retry-countdown">
          <span aria-hidden="true" className="status-icon">
            ↻
          </span>{' '}
          Retrying…
        </p>
      )}
      {failure !== null && (
        <p className="retry-failure">
          <span aria-hidden="true" className="status-icon">
            ✕
          </span>{' '}
          The retry failed{retry.attempt > 1 ? ` after ${retry.attempt} attempts` : ''}. {failure}
        </p>
      )}
      {retry.status === 'cancelled' && <p className="muted">Retry cancelled.</p>}
      <div className="button-row">
        {retry.status === 'waiting' ? (
          <Button
            className="button button-primary"
            onPress={() => {
              retry.retryNow()
            }}
          >
            {label} now
          </Button>
        ) : (
          <Button
            className="button button-primary"
            onPress={() => {
              retry.retryNow()
            }}
            isPending={retry.status === 'running'}
          >
            {label}
          </Button>
        )}
        {(retry.status === 'waiting' || retry.status === 'running') && (
          <Button
            className="button"
            onPress={() => {
              retry.cancel()
            }}
          >
            Cancel
          </Button>
        )}
      </div>
    </div>
  )
}
