import { exactTime, formatDateTime, relativeTime, useNow } from './time.js'

/**
 * A `<time>` element for a moment from the API, machine-readable and in the reader's words.
 *
 * @example
 * <Timestamp value={key.lastUsedAt} fallback="Never used" />
 */
export function Timestamp({ value, fallback = '—' }: { value: string | null; fallback?: string }) {
  if (value === null) return <span>{fallback}</span>
  return <time dateTime={value}>{formatDateTime(value)}</time>
}

/**
 * A moment as "5 minutes ago" relative to `now`, in a `<time>` element whose `dateTime` is exact and
 * whose title shows the exact local time and zone. A list passes one `now` (from `useNow`) to all its rows.
 *
 * @example
 * <RelativeTime iso={execution.createdAt} now={now} />
 */
export function RelativeTime({ iso, now }: { iso: string; now: number }) {
  if (Number.isNaN(Date.parse(iso))) return <span>an unknown time</span>
  return (
    <time dateTime={iso} title={exactTime(iso)}>
      {relativeTime(iso, now)}
    </time>
  )
}

/**
 * `RelativeTime` with its own clock, for a moment shown on its own.
 *
 * @example
 * <LiveRelativeTime iso={credential.createdAt} />
 */
export function LiveRelativeTime({ iso }: { iso: string }) {
  const now = useNow()
  return <RelativeTime iso={iso} now={now} />
}
