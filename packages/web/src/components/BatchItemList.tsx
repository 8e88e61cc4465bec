import { Link } from 'react-router'
import type { Execution, ExecutionStatus } from '../api/executions.js'
import '../styles/batches.css'
import { EmptyState } from './EmptyState.js'
import { ApiErrorDisplay } from './ErrorHandler.js'
import { ListSkeleton } from './Skeleton.js'
import { formatDuration } from './time.js'

const statusText: Record<ExecutionStatus, string> = {
  queued: 'Queued',
  running: 'Running',
  succeeded: 'Succeeded',
  failed: 'Failed',
  cancelled: 'Cancelled',
}

const statusIcon: Record<ExecutionStatus, string> = {
  queued: '…',
  running: '◔',
  succeeded: '✓',
  failed: '✗',
  cancelled: '⊘',
}

/** One item: its number, status, what failed, how long it took, and a link to its execution. */
function BatchItemRow({ item }: { item: Execution }) {
  const number = (item.batchIndex ?? 0) + 1
  return (
    <li className="batch-item" data-status={item.status}>
      <span className="batch-item-number">Item {number.toLocaleString()}</span>
      <span className="batch-item-status">
        <span className="status-icon" aria-hidden="true">
          {statusIcon[item.status]}
        </span>{' '}
        {statusText[item.status]}
      </span>
      <span className="batch-item-duration">
        {item.durationMs === null ? (
          <span className="muted">—</span>
        ) : (
          <>
            <span className="visually-hidden">Took </span>
            {formatDuration(item.durationMs)}
          </>
        )}
      </span>
      <Link className="batch-item-link" to={`/executions?execution=${encodeURIComponent(item.id)}`}>
        Execution<span className="visually-hidden"> of item {number.toLocaleString()}</span>
      </Link>
      {item.error !== null && (
        <p className="batch-item-error">
          <code>{item.error.class}</code> {item.error.message}
        </p>
      )}
    </li>
  )
}

export interface BatchItemListProps {
  /** The page of items; undefined while it loads. */
  readonly items: readonly Execution[] | undefined
  readonly error?: unknown
  readonly onRetry?: () => void
  /** Whether only the failed items are asked for (the empty state then says none failed). */
  readonly failedOnly: boolean
  /** Whether the batch still runs (an empty failed list may still fill). */
  readonly running: boolean
  /** Whether a newer page is loading while the old one shows. */
  readonly busy?: boolean
}

/**
 * A page of a batch's items: each with its number, status (icon and word), error class and message,
 * duration and a link to its execution's details.
 *
 * @example
 * <BatchItemList items={items.data?.data} error={items.error} failedOnly={false} running />
 */
export function BatchItemList({
  items,
  error,
  onRetry,
  failedOnly,
  running,
  busy = false,
}: BatchItemListProps) {
  if (items === undefined) {
    if (error !== null && error !== undefined) {
      return (
        <ApiErrorDisplay error={error} headingLevel={3} {...(onRetry === undefined ? {} : { onRetry })} />
      )
    }
    return <ListSkeleton rows={5} label="Loading the items…" />
  }
  if (items.length === 0) {
    if (failedOnly) {
      return (
        <EmptyState title={running ? 'No item has failed so far' : 'No item failed'} headingLevel={3}>
          <p>
            {running
              ? 'Items that fail will show here as the batch runs.'
              : 'Every item of this batch succeeded or was cancelled. Show all items to see them.'}
          </p>
        </EmptyState>
      )
    }
    return (
      <EmptyState title="No items on this page" headingLevel={3}>
        <p>Go back to the first page of items.</p>
      </EmptyState>
    )
  }
  return (
    <>
      {error !== null && error !== undefined && (
        <ApiErrorDisplay
          error={error}
          headingLevel={3}
          title="The items could not be refreshed"
          {...(onRetry === undefined ? {} : { onRetry })}
        />
      )}
      <ol className="batch-items" aria-label={failedOnly ? 'Failed items' : 'Items'} aria-busy={busy}>
        {items.map((item) => (
          <BatchItemRow key={item.id} item={item} />
        ))}
      </ol>
    </>
  )
}
