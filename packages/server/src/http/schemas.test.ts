import { describe, expect, it } from 'vitest'
import { isoTime } from './schemas.js'

describe('isoTime', () => {
  it('formats exactly as toISOString, in and across seconds, forwards and back', () => {
    const base = Date.UTC(2026, 10, 27, 2, 49, 20)
    const times = [0, 1, 9, 10, 99, 100, 999, 1000, 1001, 998, 61_000, 5, -1_000 + 7].map((d) => base + d)
    times.push(0, 999, 1_000, Date.UTC(1999, 11, 31, 23, 59, 59, 999), Date.UTC(2000, 0, 1))
    for (const ms of times) expect(isoTime(ms)).toBe(new Date(ms).toISOString())
  })

  it('leaves the unusual to Date: before 1970, from year 10000, fractions', () => {
    for (const ms of [-1, -86_400_001, 253_402_300_800_000, 8.64e15, base() + 0.5]) {
      expect(isoTime(ms)).toBe(new Date(ms).toISOString())
    }
    expect(isoTime(null)).toBeNull()
  })
})

function base(): number {
  return Date.UTC(2026, 0, 1)
}
