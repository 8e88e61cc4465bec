const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' })

/**
 * A moment from the API (ISO 8601) in the reader's locale and time zone; `fallback` when there is none.
 *
 * @example
 * formatDateTime('2026-01-15T12:00:00.000Z') // '15 Jan 2026, 13:00:00' in Paris
 */
export function formatDateTime(value: string): string {
  const at = new Date(value)
  return Number.isNaN(at.getTime()) ? value : dateTime.format(at)
}

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
