import type { DeliveryAttempt, DeliveryAttemptDetail } from '../api/webhooks.js'
import { EmptyState } from './EmptyState.js'
import { ApiErrorDisplay } from './ErrorHandler.js'
import { ListSkeleton } from './Skeleton.js'
import { Timestamp } from './Timestamp.js'
import '../styles/webhooks.css'

export interface DeliveryAttemptsProps {
  /** The attempts, oldest first; undefined while they load. */
  readonly attempts: readonly (DeliveryAttempt | DeliveryAttemptDetail)[] | undefined
  readonly loading?: boolean
  readonly error?: unknown
  readonly onRetry?: () => void
  /** Whether the delivery is still pending (the empty state then says an attempt is coming). */
  readonly pending?: boolean
  readonly headingLevel?: 2 | 3
}

function hasResponse(attempt: DeliveryAttempt | DeliveryAttemptDetail): attempt is DeliveryAttemptDetail {
  return 'responseHeaders' in attempt && (attempt.responseHeaders !== null || attempt.responseBody !== null)
}

function Outcome({ attempt }: { attempt: DeliveryAttempt }) {
  const status = attempt.httpStatus === null ? 'No response' : `HTTP ${attempt.httpStatus}`
  if (attempt.error === null) {
    return (
      <span className="status" data-status="delivered">
        <span className="status-icon" aria-hidden="true">
          ✓
        </span>
        Succeeded · {status}
      </span>
    )
  }
  return (
    <span className="status" data-status="failed">
      <span className="status-icon" aria-hidden="true">
        ✕
      </span>
      Failed · {status}
    </span>
  )
}

function Response({ attempt }: { attempt: DeliveryAttemptDetail }) {
  const headers = Object.entries(attempt.responseHeaders ?? {})
  return (
    <details className="delivery-attempt-response">
      <summary>Response from the endpoint</summary>
      {headers.length > 0 && (
        <dl className="delivery-attempt-headers">
          {headers.map(([name, value]) => (
            <div key={name}>
              <dt>
                <code>{name}</code>
              </dt>
              <dd>
                <code>{value}</code>
              </dd>
            </div>
          ))}
        </dl>
      )}
      {attempt.responseBody !== null && attempt.responseBody !== '' ? (
        <>
          <p className="muted small">Body (first 4 KB):</p>
          <pre className="code-block">{attempt.responseBody}</pre>
        </>
      ) : (
        <p className="muted small">The response had no body.</p>
      )}
    </details>
  )
}

/**
 * The attempts to deliver one event: each one's number, outcome (HTTP status, or no response), how
 * long it took, its error and when it ran, and — when the delivery's detail gives them — the
 * endpoint's response headers and the start of its body.
 *
 * @example
 * const detail = useDelivery(webhookId, deliveryId)
 * <DeliveryAttempts attempts={detail.data?.attempts} loading={detail.isPending} error={detail.error}
 *   onRetry={() => void detail.refetch()} pending={detail.data?.status === 'pending'} />
 */
export function DeliveryAttempts({
  attempts,
  loading = false,
  error = null,
  onRetry,
  pending = false,
  headingLevel = 3,
}: DeliveryAttemptsProps) {
  if (attempts === undefined && error !== null) {
    return (
      <ApiErrorDisplay
        error={error}
        headingLevel={headingLevel}
        title="Could not load the attempts"
        {...(onRetry === undefined ? {} : { onRetry })}
      />
    )
  }
  if (attempts === undefined || (loading && attempts.length === 0)) {
    return <ListSkeleton rows={2} label="Loading attempts…" />
  }
  if (attempts.length === 0) {
    return (
      <EmptyState title="No attempts yet" headingLevel={headingLevel}>
        <p>
          {pending
            ? 'The first attempt runs as soon as a worker picks the delivery up; this list updates by itself.'
            : 'This delivery was never tried. Replay it to send it now.'}
        </p>
      </EmptyState>
    )
  }
  return (
    <ol className="delivery-attempts" aria-label="Attempts">
      {attempts.map((attempt) => (
        <li key={attempt.number} className="delivery-attempt">
          <p className="delivery-attempt-head">
            <strong>Attempt {attempt.number}</strong> <Outcome attempt={attempt} />
          </p>
          <p className="muted small">
            <Timestamp value={attempt.at} /> · took {attempt.durationMs} ms
          </p>
          {attempt.error !== null && <p className="delivery-attempt-error">{attempt.error}</p>}
          {hasResponse(attempt) && <Response attempt={attempt} />}
        </li>
      ))}
    </ol>
  )
}
