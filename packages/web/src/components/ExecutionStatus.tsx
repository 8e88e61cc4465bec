/**
 * What the execution log and its detail both show: an execution's status (a symbol and a word, never
 * colour alone), durations and times.
 */
import type { ExecutionStatus } from '../api/executions.js'

const statusText: Record<ExecutionStatus, { label: string; symbol: string }> = {
  queued: { label: 'Queued', symbol: '◷' },
  running: { label: 'Running', symbol: '↻' },
  succeeded: { label: 'Succeeded', symbol: '✓' },
  failed: { label: 'Failed', symbol: '✕' },
  cancelled: { label: 'Cancelled', symbol: '⊘' },
}

/** The word for a status ("Failed"). */
export function statusLabel(status: ExecutionStatus): string {
  return statusText[status].label
}

/**
 * A status as a symbol (hidden from screen readers) and a word, coloured by a class per status.
 *
 * @example
 * <ExecutionStatusBadge status="failed" />
 */
export function ExecutionStatusBadge({ status }: { status: ExecutionStatus }) {
  const { label, symbol } = statusText[status]
  return (
    <span className={`execution-status execution-status-${status}`}>
      <span className="execution-status-symbol" aria-hidden="true">
        {symbol}
      </span>
      {label}
    </span>
  )
}

/**
 * A duration for people: "850 ms", "1.2 s", "2 min 5 s".
 *
 * @example
 * formatDuration(1234) // '1.2 s'
 */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`
  if (ms < 60_000) return `${(Math.round(ms / 100) / 10).toLocaleString()} s`
  const minutes = Math.floor(ms / 60_000)
  const seconds = Math.round((ms % 60_000) / 1000)
  return seconds === 0 ? `${minutes} min` : `${minutes} min ${seconds} s`
}

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' })
const exact = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' })

const units: [Intl.RelativeTimeFormatUnit, number][] = [
  ['year', 365 * 24 * 3600_000],
  ['month', 30 * 24 * 3600_000],
  ['day', 24 * 3600_000],
  ['hour', 3600_000],
  ['minute', 60_000],
]

/**
 * How long ago `iso` was, relative to `now`: "just now", "5 minutes ago", "yesterday".
 *
 * @example
 * formatRelative('2026-01-15T11:55:00Z', Date.parse('2026-01-15T12:00:00Z')) // '5 minutes ago'
 */
export function formatRelative(iso: string, now: number): string {
  const diff = Date.parse(iso) - now
  if (Math.abs(diff) < 45_000) return 'just now'
  for (const [unit, size] of units) {
    if (Math.abs(diff) >= size || unit === 'minute') return relative.format(Math.round(diff / size), unit)
  }
  return relative.format(Math.round(diff / 60_000), 'minute')
}

/** A date and time in full, in the reader's locale. */
export function formatExact(iso: string): string {
  return exact.format(new Date(iso))
}

/**
 * A moment shown relative to now, with the exact time in `dateTime` and as a tooltip.
 *
 * @example
 * <RelativeTime iso={execution.createdAt} now={now} />
 */
export function RelativeTime({ iso, now }: { iso: string; now: number }) {
  return (
    <time dateTime={iso} title={formatExact(iso)}>
      {formatRelative(iso, now)}
    </time>
  )
}
