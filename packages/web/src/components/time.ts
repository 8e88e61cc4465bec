/**
 * Times and durations in the reader's words, one way across the app: the execution log, an execution's
 * detail, batches, credentials and webhooks all say "5 minutes ago", "1.2 s" and a date the same way.
 */
import { useEffect, useState } from 'react'

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' })
const exact = new Intl.DateTimeFormat(undefined, { dateStyle: 'long', timeStyle: 'long' })
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' })

const relativeUnits: readonly (readonly [Intl.RelativeTimeFormatUnit, number])[] = [
  ['year', 365 * 86_400_000],
  ['month', 30 * 86_400_000],
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
]

/**
 * A moment from the API (ISO 8601) in the reader's locale and time zone; a value it cannot read is
 * returned as it is.
 *
 * @example
 * formatDateTime('2026-01-15T12:00:00.000Z') // '15 Jan 2026, 13:00:00' in Paris
 */
export function formatDateTime(value: string): string {
  const at = new Date(value)
  return Number.isNaN(at.getTime()) ? value : dateTime.format(at)
}

/**
 * A moment in full, with its time zone, for a `title` beside a relative time; a value it cannot read is
 * returned as it is.
 *
 * @example
 * exactTime('2026-01-15T12:00:00.000Z') // '15 January 2026 at 13:00:00 CET' in Paris
 */
export function exactTime(value: string): string {
  const at = new Date(value)
  return Number.isNaN(at.getTime()) ? value : exact.format(at)
}

/**
 * How far `iso` is from `now`, in the largest unit that fits: "just now", "5 minutes ago", "yesterday",
 * "in 2 days". Anything under 45 seconds is "just now"; a value it cannot read is "an unknown time".
 *
 * @example
 * relativeTime('2026-01-15T11:55:00Z', Date.parse('2026-01-15T12:00:00Z')) // '5 minutes ago'
 */
export function relativeTime(iso: string, now: number): string {
  const diff = Date.parse(iso) - now
  if (Number.isNaN(diff)) return 'an unknown time'
  if (Math.abs(diff) < 45_000) return 'just now'
  for (const [unit, size] of relativeUnits) {
    if (Math.abs(diff) >= size) return relative.format(Math.round(diff / size), unit)
  }
  // 45 to 60 seconds: the nearest minute.
  return relative.format(Math.round(diff / 60_000), 'minute')
}

/**
 * A duration for people: "850 ms", "1.2 s", "2 min", "3 min 5 s".
 *
 * @example
 * formatDuration(1234) // '1.2 s'
 * formatDuration(185_000) // '3 min 5 s'
 */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`
  if (ms < 60_000) return `${(Math.round(ms / 100) / 10).toLocaleString()} s`
  // Whole seconds first, so 119.6 s is "2 min", not "1 min 60 s".
  const total = Math.round(ms / 1000)
  const minutes = Math.floor(total / 60)
  const seconds = total % 60
  return seconds === 0 ? `${minutes} min` : `${minutes} min ${seconds} s`
}

/**
 * The current time, moving on every 30 seconds, so relative times ("5 minutes ago") stay true while a
 * page is open. Call it once per page or list and pass the time down, rather than once per row.
 *
 * @example
 * const now = useNow()
 * return <RelativeTime iso={execution.createdAt} now={now} />
 */
export function useNow(): number {
  const [now, setNow] = useState(() => Date.now())
  useEffect(() => {
    const timer = setInterval(() => {
      setNow(Date.now())
    }, 30_000)
    return () => {
      clearInterval(timer)
    }
  }, [])
  return now
}
