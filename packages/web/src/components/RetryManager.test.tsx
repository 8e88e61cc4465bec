import { act, fireEvent, render, renderHook, screen } from '@testing-library/react'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { ApiError } from '../api/client.js'
import { backoffDelay, isRetryable, retryAfterOf, RetryManager, useRetry } from './RetryManager.js'

const options = { maxAttempts: 3, baseDelayMs: 1000, maxDelayMs: 30_000, random: () => 0.5 }

class Passing extends Error {
  readonly retryable = true
}

beforeEach(() => {
  vi.useFakeTimers()
})

afterEach(() => {
  vi.useRealTimers()
})

/** Lets settled promises' callbacks run. */
async function flush() {
  await act(async () => {
    await Promise.resolve()
    await Promise.resolve()
  })
}

describe('backoff', () => {
  it('waits a random time under a ceiling that doubles, capped, with full jitter', () => {
    expect(backoffDelay(1, new Error('x'), options)).toBe(500)
    expect(backoffDelay(3, new Error('x'), options)).toBe(2000)
    expect(backoffDelay(10, new Error('x'), options)).toBe(15_000)
    expect(backoffDelay(3, new Error('x'), { ...options, random: () => 0 })).toBe(0)
  })

  it('honours the wait the server asked for', () => {
    const limited = new ApiError({ status: 429, code: 'rate_limited', title: '', detail: '', retryAfter: 7 })
    expect(retryAfterOf(limited)).toBe(7000)
    expect(backoffDelay(1, limited, options)).toBe(7000)
    expect(backoffDelay(1, { retryAfterMs: 4000 }, options)).toBe(4000)
  })

  it('reads whether an error may pass', () => {
    expect(isRetryable(new ApiError({ status: 400, code: 'validation_error', title: '', detail: '' }))).toBe(
      false,
    )
    expect(isRetryable(new ApiError({ status: 503, code: 'not_ready', title: '', detail: '' }))).toBe(true)
    expect(isRetryable(new Error('unknown'))).toBe(true)
  })
})

describe('useRetry', () => {
  it('retries a passing failure with backoff until it succeeds', async () => {
    const run = vi
      .fn<(signal: AbortSignal) => Promise<string>>()
      .mockRejectedValueOnce(new Passing('down'))
      .mockResolvedValueOnce('done')
    const { result } = renderHook(() => useRetry(run, options))
    act(() => {
      result.current.retryNow()
    })
    expect(result.current.status).toBe('running')
    await flush()
    expect(result.current.status).toBe('waiting')
    expect(result.current.secondsLeft).toBe(1)
    expect(run).toHaveBeenCalledTimes(1)
    act(() => {
      vi.advanceTimersByTime(500)
    })
    await flush()
    expect(run).toHaveBeenCalledTimes(2)
    expect(result.current.status).toBe('succeeded')
    expect(result.current.result).toBe('done')
    expect(result.current.attempt).toBe(2)
  })

  it('gives up after the last attempt and on a failure that will not pass', async () => {
    const run = vi.fn(() => Promise.reject(new Passing('down')))
    const { result } = renderHook(() => useRetry(run, { ...options, maxAttempts: 2 }))
    act(() => {
      result.current.retryNow()
    })
    await flush()
    act(() => {
      vi.advanceTimersByTime(1000)
    })
    await flush()
    expect(run).toHaveBeenCalledTimes(2)
    expect(result.current.status).toBe('failed')

    const refused = vi.fn(() =>
      Promise.reject(new ApiError({ status: 409, code: 'conflict', title: 'Conflict', detail: 'No.' })),
    )
    const second = renderHook(() => useRetry(refused, options))
    act(() => {
      second.result.current.retryNow()
    })
    await flush()
    expect(refused).toHaveBeenCalledTimes(1)
    expect(second.result.current.status).toBe('failed')
  })

  it('waits the Retry-After before the first attempt, ticking down, and can be cancelled', () => {
    const run = vi.fn(() => Promise.resolve('ok'))
    const { result } = renderHook(() => useRetry(run, { ...options, retryAfterMs: 4000 }))
    act(() => {
      result.current.start()
    })
    expect(result.current.status).toBe('waiting')
    expect(result.current.secondsLeft).toBe(4)
    act(() => {
      vi.advanceTimersByTime(1000)
    })
    expect(result.current.secondsLeft).toBe(3)
    act(() => {
      result.current.cancel()
    })
    expect(result.current.status).toBe('cancelled')
    act(() => {
      vi.advanceTimersByTime(10_000)
    })
    expect(run).not.toHaveBeenCalled()
  })

  it('runs at once on retryNow while waiting', async () => {
    const run = vi.fn(() => Promise.resolve('ok'))
    const { result } = renderHook(() => useRetry(run, { ...options, retryAfterMs: 60_000 }))
    act(() => {
      result.current.start()
    })
    act(() => {
      result.current.retryNow()
    })
    await flush()
    expect(run).toHaveBeenCalledTimes(1)
    expect(result.current.status).toBe('succeeded')
  })

  it('ignores the result of an attempt cancelled while running, and aborts it', async () => {
    let signal: AbortSignal | undefined
    let finish: (value: string) => void = () => undefined
    const run = vi.fn(
      (s: AbortSignal) =>
        new Promise<string>((resolve) => {
          signal = s
          finish = resolve
        }),
    )
    const { result } = renderHook(() => useRetry(run, options))
    act(() => {
      result.current.retryNow()
    })
    act(() => {
      result.current.cancel()
    })
    expect(signal?.aborted).toBe(true)
    finish('late')
    await flush()
    expect(result.current.status).toBe('cancelled')
  })
})

describe('RetryManager', () => {
  it('counts down on screen, announces the wait once, and retries by itself', async () => {
    const run = vi.fn(() => Promise.resolve('ok'))
    const onSucceeded = vi.fn()
    render(<RetryManager run={run} {...options} retryAfterMs={4000} autoStart onSucceeded={onSucceeded} />)
    const status = screen.getByRole('status')
    expect(status.textContent).toBe('Retrying in 4 s (attempt 1 of 3).')
    expect(screen.getByRole('timer').textContent).toContain('Retrying in 4 s')
    act(() => {
      vi.advanceTimersByTime(1000)
    })
    expect(screen.getByRole('timer').textContent).toContain('Retrying in 3 s')
    // The live region does not repeat every tick.
    expect(status.textContent).toBe('Retrying in 4 s (attempt 1 of 3).')
    act(() => {
      vi.advanceTimersByTime(3000)
    })
    await flush()
    expect(run).toHaveBeenCalledOnce()
    expect(status.textContent).toBe('The retry succeeded.')
    expect(onSucceeded).toHaveBeenCalledWith('ok')
  })

  it('offers Retry now and Cancel while waiting', async () => {
    const run = vi.fn(() => Promise.resolve('ok'))
    render(<RetryManager run={run} {...options} retryAfterMs={30_000} autoStart />)
    fireEvent.click(screen.getByRole('button', { name: 'Cancel' }))
    expect(screen.getByRole('status').textContent).toBe('Retry cancelled.')
    expect(screen.queryByRole('timer')).toBeNull()
    fireEvent.click(screen.getByRole('button', { name: 'Retry' }))
    await flush()
    expect(run).toHaveBeenCalledOnce()
  })

  it('says why the retry failed', async () => {
    const run = vi.fn(() =>
      Promise.reject(
        new ApiError({ status: 409, code: 'conflict', title: 'Not retryable', detail: 'It succeeded.' }),
      ),
    )
    render(<RetryManager run={run} {...options} />)
    fireEvent.click(screen.getByRole('button', { name: 'Retry' }))
    await flush()
    expect(screen.getByRole('status').textContent).toBe('The retry failed: Not retryable.')
    expect(document.body.textContent).toContain('It succeeded.')
  })
})
