import { act, renderHook } from '@testing-library/react'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { exactTime, formatDateTime, formatDuration, relativeTime, useNow } from './time.js'

const noon = Date.parse('2026-01-15T12:00:00Z')
const at = (ms: number) => new Date(noon + ms).toISOString()

describe('formatDateTime', () => {
  it('writes a moment in the reader’s locale', () => {
    expect(formatDateTime('2026-01-15T12:00:00.000Z')).toContain('2026')
  })

  it('leaves a value it cannot read as it is', () => {
    expect(formatDateTime('soon')).toBe('soon')
  })
})

describe('exactTime', () => {
  it('writes a moment in full, with its time zone', () => {
    const iso = '2026-01-15T12:00:00.000Z'
    expect(exactTime(iso)).toBe(
      new Date(iso).toLocaleString(undefined, { dateStyle: 'long', timeStyle: 'long' }),
    )
    expect(exactTime('soon')).toBe('soon')
  })
})

describe('relativeTime', () => {
  it('says how long ago, in the largest unit that fits', () => {
    expect(relativeTime(at(-20_000), noon)).toBe('just now')
    expect(relativeTime(at(-50_000), noon)).toBe('1 minute ago')
    expect(relativeTime(at(-5 * 60_000), noon)).toBe('5 minutes ago')
    expect(relativeTime(at(-3 * 3_600_000), noon)).toBe('3 hours ago')
    expect(relativeTime(at(-86_400_000), noon)).toBe('yesterday')
    expect(relativeTime(at(-60 * 86_400_000), noon)).toBe('2 months ago')
    expect(relativeTime(at(-400 * 86_400_000), noon)).toBe('last year')
  })

  it('says how long until a future time', () => {
    expect(relativeTime(at(2 * 86_400_000), noon)).toBe('in 2 days')
  })

  it('says so when the moment cannot be read', () => {
    expect(relativeTime('soon', noon)).toBe('an unknown time')
  })
})

describe('formatDuration', () => {
  it('writes durations for people', () => {
    expect([0, -5, 850, 1234, 12_400, 59_999, 60_000, 125_000, 185_000].map(formatDuration)).toEqual([
      '0 ms',
      '0 ms',
      '850 ms',
      '1.2 s',
      '12.4 s',
      '60 s',
      '1 min',
      '2 min 5 s',
      '3 min 5 s',
    ])
  })

  it('rounds to whole seconds before splitting off the minutes', () => {
    expect(formatDuration(119_600)).toBe('2 min')
  })
})

describe('useNow', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it('moves on every 30 seconds, and stops when unmounted', () => {
    vi.useFakeTimers({ now: noon })
    const { result, unmount } = renderHook(() => useNow())
    expect(result.current).toBe(noon)
    act(() => {
      vi.advanceTimersByTime(29_000)
    })
    expect(result.current).toBe(noon)
    act(() => {
      vi.advanceTimersByTime(1_000)
    })
    expect(result.current).toBe(noon + 30_000)
    unmount()
    expect(vi.getTimerCount()).toBe(0)
  })
})
