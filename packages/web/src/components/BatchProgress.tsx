import { Label, ProgressBar } from 'react-aria-components'
import type { Batch, BatchCounts, BatchStatus } from '../api/batches.js'
import { finishedCount } from '../api/batches.js'
import '../styles/batches.css'
import { ApiErrorDisplay } from './ErrorHandler.js'

/**
 * A short, recognisable name for a batch: the end of its id.
 *
 * @example
 * batchName('0190f3a2-7c1e-7000-8000-00000000abcd') // 'Batch 0000abcd'
 */
export function batchName(id: string): string {
  return `Batch ${id.slice(-8)}`
}

/** A timestamp for people, in their locale and time zone. */
export function formatTime(iso: string): string {
  return new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' })
}

const statusText: Record<BatchStatus, string> = {
  running: 'Running',
  completed: 'Completed',
  cancelled: 'Cancelled',
}

// Shapes as well as words, so status never rests on colour.
const statusIcon: Record<BatchStatus, string> = { running: '◔', completed: '✓', cancelled: '⊘' }

/**
 * A batch's status as an icon and a word. A completed batch whose items partly failed is still
 * completed: the failures are counted beside it, never shown as the batch failing.
 *
 * @example
 * <BatchStatusLabel status="completed" counts={batch.counts} />
 */
export function BatchStatusLabel({ status, counts }: { status: BatchStatus; counts?: BatchCounts }) {
  const failed = counts?.failed ?? 0
  return (
    <span className="batch-status" data-status={status}>
      <span className="status-icon" aria-hidden="true">
        {statusIcon[status]}
      </span>{' '}
      {statusText[status]}
      {status !== 'running' && failed > 0 && (
        <span className="batch-status-note">
          , {failed.toLocaleString()} {failed === 1 ? 'item' : 'items'} failed
        </span>
      )}
    </span>
  )
}

/**
 * The numbers of a batch's items in words: "18 succeeded · 2 failed · 5 queued". Zero counts are left
 * out, except succeeded and failed, which are always said.
 *
 * @example
 * countsText({ total: 3, queued: 1, running: 0, succeeded: 2, failed: 0, cancelled: 0 }) // '2 succeeded · 0 failed · 1 queued'
 */
export function countsText(counts: BatchCounts): string {
  const parts = [`${counts.succeeded.toLocaleString()} succeeded`, `${counts.failed.toLocaleString()} failed`]
  if (counts.running > 0) parts.push(`${counts.running.toLocaleString()} running`)
  if (counts.queued > 0) parts.push(`${counts.queued.toLocaleString()} queued`)
  if (counts.cancelled > 0) parts.push(`${counts.cancelled.toLocaleString()} cancelled`)
  return parts.join(' · ')
}

export interface BatchProgressProps {
  /** The batch; undefined while it loads. */
  readonly batch: Batch | undefined
  /** Why the batch could not be read, if it could not. */
  readonly error?: unknown
  readonly onRetry?: () => void
  /** The progress bar's label; each bar on a page needs its own ("Progress of batch 3"). */
  readonly label?: string
}

/**
 * How far a batch has got: a progress bar of the items finished (the failed part of the bar striped,
 * not only coloured), and the succeeded, failed, running and queued numbers as text.
 *
 * @example
 * const batch = useBatch(id)
 * <BatchProgress batch={batch.data} error={batch.error} onRetry={() => void batch.refetch()} />
 */
export function BatchProgress({ batch, error, onRetry, label = 'Progress' }: BatchProgressProps) {
  if (batch === undefined) {
    if (error !== null && error !== undefined) {
      return (
        <ApiErrorDisplay error={error} headingLevel={3} {...(onRetry === undefined ? {} : { onRetry })} />
      )
    }
    return (
      <div className="batch-progress" role="status">
        <span className="visually-hidden">Loading the batch’s progress…</span>
        <div className="skeleton skeleton-line" aria-hidden="true" />
      </div>
    )
  }
  const { counts } = batch
  if (counts.total === 0) {
    return <p className="batch-progress muted">This batch has no items.</p>
  }
  const finished = finishedCount(counts)
  const share = (n: number) => `${(n / counts.total) * 100}%`
  return (
    <div className="batch-progress">
      <ProgressBar
        className="batch-progress-bar"
        value={finished}
        minValue={0}
        maxValue={counts.total}
        valueLabel={`${finished.toLocaleString()} of ${counts.total.toLocaleString()} items finished`}
      >
        {({ valueText }) => (
          <>
            <div className="batch-progress-head">
              <Label className="batch-progress-label">{label}</Label>
              <span className="batch-progress-value">{valueText}</span>
            </div>
            <div className="meter-track batch-progress-track" aria-hidden="true">
              <div className="batch-progress-succeeded" style={{ width: share(counts.succeeded) }} />
              <div className="batch-progress-failed" style={{ width: share(counts.failed) }} />
              <div className="batch-progress-cancelled" style={{ width: share(counts.cancelled) }} />
            </div>
          </>
        )}
      </ProgressBar>
      <p className="batch-progress-counts">{countsText(counts)}</p>
    </div>
  )
}
