/**
 * What the execution log and its detail both show: an execution's status (a symbol and a word, never
 * colour alone). Durations and times are in time.ts.
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
      <span className="status-icon" aria-hidden="true">
        {symbol}
      </span>
      {label}
    </span>
  )
}
