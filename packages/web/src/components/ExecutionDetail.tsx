import { useEffect, useRef, useState } from 'react'
import { Button, Dialog, Heading, Modal, ModalOverlay, ProgressBar } from 'react-aria-components'
import { Link } from 'react-router'
import { hasStatus } from '../api/client.js'
import { useCancelExecution, useExecution, useRetryExecution } from '../api/execution-log.js'
import { isFinished } from '../api/executions.js'
import type { Attempt, Execution, ExecutionError } from '../api/executions.js'
import '../styles/executions.css'
import { ApiErrorDisplay } from './ErrorHandler.js'
import { ErrorRecoverySuggestions } from './ErrorRecoverySuggestions.js'
import { ExecutionStatusBadge, statusLabel } from './ExecutionStatus.js'
import { formatDateTime, formatDuration } from './time.js'
import { PageSkeleton } from './Skeleton.js'

/** Pretty JSON for people; `undefined` (nothing sent) shows as null. */
function pretty(value: unknown): string {
  return JSON.stringify(value ?? null, null, 2)
}

/** The link to an execution's detail, keeping the log's filters. */
function executionLink(search: string, id: string): string {
  const params = new URLSearchParams(search)
  params.set('execution', id)
  return `?${params.toString()}`
}

function Time({ iso }: { iso: string | null }) {
  if (iso === null) return <span className="muted">Not yet</span>
  return <time dateTime={iso}>{formatDateTime(iso)}</time>
}

/**
 * A block of JSON with a button that copies it; the result is announced.
 */
function JsonBlock({ title, value, id }: { title: string; value: unknown; id: string }) {
  const text = pretty(value)
  const [copied, setCopied] = useState<'copied' | 'failed' | null>(null)
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text)
      setCopied('copied')
    } catch {
      setCopied('failed')
    }
  }
  return (
    <section className="execution-section" aria-labelledby={id}>
      <div className="execution-section-head">
        <h3 id={id}>{title}</h3>
        <Button className="button" onPress={() => void copy()} aria-describedby={id}>
          Copy
        </Button>
      </div>
      <pre className="code-block execution-json" tabIndex={0} aria-labelledby={id}>
        <code>{text}</code>
      </pre>
      <p className="visually-hidden" role="status">
        {copied === 'copied'
          ? `${title} copied to the clipboard.`
          : copied === 'failed'
            ? 'Could not copy: select the text and copy it instead.'
            : ''}
      </p>
    </section>
  )
}

/**
 * The attempts on a timeline: each attempt's start (from the first), a bar as long as it took, its
 * HTTP status and error, and the wait before the next one. It is a list that reads in words; the bars
 * only draw what the words say.
 */
function AttemptTimeline({ attempts }: { attempts: readonly Attempt[] }) {
  const firstAttempt = attempts[0]
  if (firstAttempt === undefined) {
    return <p className="muted">No attempt has started yet.</p>
  }
  const first = Date.parse(firstAttempt.startedAt)
  const end = Math.max(...attempts.map((a) => Date.parse(a.startedAt) - first + a.durationMs))
  const span = Math.max(end, 1)
  return (
    <ol className="attempts" aria-label="Attempts">
      {attempts.map((attempt, i) => {
        const offset = Date.parse(attempt.startedAt) - first
        const left = (offset / span) * 100
        const width = Math.max((attempt.durationMs / span) * 100, 0.75)
        const next = attempts[i + 1]
        return (
          <li key={attempt.number} className={`attempt attempt-${attempt.status}`}>
            <p className="attempt-head">
              <strong>Attempt {attempt.number}</strong>{' '}
              <span className="attempt-outcome">
                <span aria-hidden="true">{attempt.status === 'succeeded' ? '✓' : '✕'}</span>{' '}
                {attempt.status === 'succeeded' ? 'Succeeded' : 'Failed'}
              </span>
              {attempt.httpStatus !== null && <> · HTTP {attempt.httpStatus}</>}
              {attempt.errorClass !== null && (
                <>
                  {' · '}
                  <code>{attempt.errorClass}</code>
                </>
              )}
            </p>
            <p className="attempt-times muted small">
              Started at +{formatDuration(offset)}, took {formatDuration(attempt.durationMs)}
            </p>
            <div className="attempt-track" aria-hidden="true">
              <div className="attempt-bar" style={{ marginLeft: `${left}%`, width: `${width}%` }} />
            </div>
            {attempt.error !== undefined && <p className="attempt-error">{attempt.error}</p>}
            {attempt.retryInMs !== undefined && next !== undefined && (
              <p className="attempt-wait muted small">
                Waited {formatDuration(attempt.retryInMs)} before attempt {next.number}.
              </p>
            )}
          </li>
        )
      })}
    </ol>
  )
}

/**
 * The error with what to do about it. The drawer's own Retry button runs a retry, so no `onRetry` is
 * given here: a second retry control (with its own backoff) beside it would do the same thing.
 */
function ErrorSection({ execution }: { execution: Execution & { error: ExecutionError } }) {
  const [tool, ...rest] = execution.action.split('.')
  return (
    <div className="execution-section">
      <ErrorRecoverySuggestions
        error={execution.error}
        credentialId={execution.credentialId}
        headingLevel={3}
        inputHref={`/tools/${encodeURIComponent(tool ?? execution.tool)}/actions/${encodeURIComponent(rest.join('.'))}`}
      />
    </div>
  )
}

function Summary({ execution, search }: { execution: Execution; search: string }) {
  const [tool, ...rest] = execution.action.split('.')
  const actionName = rest.join('.')
  return (
    <dl className="facts execution-facts">
      <div>
        <dt>Status</dt>
        <dd>
          <ExecutionStatusBadge status={execution.status} />
          {execution.cancelRequested && !isFinished(execution.status) && (
            <span className="muted"> (cancel requested)</span>
          )}
        </dd>
      </div>
      <div>
        <dt>Action</dt>
        <dd>
          <Link
            to={`/tools/${encodeURIComponent(tool ?? execution.tool)}/actions/${encodeURIComponent(actionName)}`}
          >
            <code>{execution.action}</code>
          </Link>
        </dd>
      </div>
      <div>
        <dt>Credential</dt>
        <dd>
          {execution.credentialId === null ? (
            <span className="muted">None</span>
          ) : (
            <Link to={`/credentials/${encodeURIComponent(execution.credentialId)}`}>
              <code>{execution.credentialId}</code>
            </Link>
          )}
        </dd>
      </div>
      {execution.batchId !== null && (
        <div>
          <dt>Batch</dt>
          <dd>
            <Link to={`/batches/${encodeURIComponent(execution.batchId)}`}>
              <code>{execution.batchId}</code>
            </Link>
            {execution.batchIndex !== null && <span className="muted"> item {execution.batchIndex + 1}</span>}
          </dd>
        </div>
      )}
      {execution.retryOf !== null && (
        <div>
          <dt>Retry of</dt>
          <dd>
            <Link to={executionLink(search, execution.retryOf)} replace state={{ fromLog: true }}>
              <code>{execution.retryOf}</code>
            </Link>
          </dd>
        </div>
      )}
      <div>
        <dt>Correlation id</dt>
        <dd>
          <code>{execution.correlationId ?? '—'}</code>
        </dd>
      </div>
      <div>
        <dt>Mode</dt>
        <dd>{execution.mode === 'sync' ? 'Synchronous' : 'Queued (async)'}</dd>
      </div>
      <div>
        <dt>Created</dt>
        <dd>
          <Time iso={execution.createdAt} />
        </dd>
      </div>
      <div>
        <dt>Started</dt>
        <dd>
          <Time iso={execution.startedAt} />
        </dd>
      </div>
      <div>
        <dt>Finished</dt>
        <dd>
          <Time iso={execution.finishedAt} />
        </dd>
      </div>
      <div>
        <dt>Duration</dt>
        <dd>{execution.durationMs === null ? '—' : formatDuration(execution.durationMs)}</dd>
      </div>
      <div>
        <dt>Id</dt>
        <dd>
          <code>{execution.id}</code>
        </dd>
      </div>
    </dl>
  )
}

function Details({
  execution,
  search,
  onOpen,
}: {
  execution: Execution
  search: string
  onOpen: (id: string) => void
}) {
  const retry = useRetryExecution()
  const cancel = useCancelExecution()
  const running = !isFinished(execution.status)
  const canRetry = execution.status === 'failed' || execution.status === 'cancelled'
  const canCancel = running && !execution.cancelRequested

  // Says when a run being watched finishes (the drawer keeps reading it until then).
  const [finished, setFinished] = useState('')
  const wasRunning = useRef(running)
  useEffect(() => {
    if (wasRunning.current && !running)
      setFinished(`The execution ${statusLabel(execution.status).toLowerCase()}.`)
    wasRunning.current = running
  }, [running, execution.status])

  const runRetry = () => {
    retry.mutate(execution.id, {
      onSuccess: (next) => {
        onOpen(next.id)
      },
    })
  }

  return (
    <>
      <p className="visually-hidden" role="status">
        {finished}
      </p>
      {running && (
        <ProgressBar
          className="execution-progress"
          isIndeterminate
          aria-label="Waiting for the execution to finish"
        >
          <span className="muted small">
            {execution.status === 'queued' ? 'Queued' : 'Running'}: this view refreshes until it finishes.
          </span>
          <div className="execution-progress-track" aria-hidden="true">
            <div className="execution-progress-fill" />
          </div>
        </ProgressBar>
      )}
      {(canRetry || canCancel) && (
        <div className="button-row execution-detail-actions">
          {canRetry && (
            <Button className="button button-primary" onPress={runRetry} isPending={retry.isPending}>
              {retry.isPending ? 'Retrying…' : 'Retry'}
            </Button>
          )}
          {canCancel && (
            <Button
              className="button"
              onPress={() => {
                cancel.mutate(execution.id)
              }}
              isPending={cancel.isPending}
            >
              {cancel.isPending ? 'Cancelling…' : 'Cancel'}
            </Button>
          )}
        </div>
      )}
      {retry.error !== null && (
        <ApiErrorDisplay error={retry.error} title="Could not retry" headingLevel={3} />
      )}
      {cancel.error !== null && (
        <ApiErrorDisplay error={cancel.error} title="Could not cancel" headingLevel={3} />
      )}
      <Summary execution={execution} search={search} />
      {execution.error !== null && (
        <ErrorSection execution={execution as Execution & { error: ExecutionError }} />
      )}
      <section className="execution-section" aria-labelledby="execution-attempts-title">
        <h3 id="execution-attempts-title">
          Attempts <span className="count">({execution.attempts.length})</span>
        </h3>
        <AttemptTimeline attempts={execution.attempts} />
      </section>
      <JsonBlock title="Input" value={execution.input} id="execution-input-title" />
      {execution.status === 'succeeded' || execution.output !== null ? (
        <JsonBlock title="Output" value={execution.output} id="execution-output-title" />
      ) : (
        <section className="execution-section" aria-labelledby="execution-output-title">
          <h3 id="execution-output-title">Output</h3>
          <p className="muted">{running ? 'Not yet: it has not finished.' : 'None: it did not succeed.'}</p>
        </section>
      )}
    </>
  )
}

export interface ExecutionDetailProps {
  /** The execution to show; null when the drawer is closed. */
  readonly id: string | null
  readonly onClose: () => void
  /** Shows another execution in the drawer (the one a retry started). */
  readonly onOpen: (id: string) => void
  /** The log's query string, kept in links to other executions. */
  readonly search?: string
}

/**
 * One execution in a side sheet over the log: its summary with links to the credential, batch and
 * the execution it retries; its attempts on a timeline; the error with what to do about it; the input
 * and output as JSON to copy; Retry (failed or cancelled) and Cancel (queued or running). A queued or
 * running execution is read again every second until it finishes. It is a modal dialog: focus moves
 * into it, Esc closes it, and focus returns to where it was.
 *
 * @example
 * <ExecutionDetail id={params.get('execution')} onClose={close} onOpen={open} />
 */
export function ExecutionDetail({ id, onClose, onOpen, search = '' }: ExecutionDetailProps) {
  const execution = useExecution(id)
  let content
  if (execution.data !== undefined && execution.data.id === id) {
    content = <Details execution={execution.data} search={search} onOpen={onOpen} />
  } else if (hasStatus(execution.error, 404)) {
    content = (
      <p>
        There is no execution <code>{id}</code> in this workspace. It may have been removed by the retention
        policy, or the link is wrong.
      </p>
    )
  } else if (execution.error !== null) {
    content = (
      <ApiErrorDisplay error={execution.error} headingLevel={3} onRetry={() => void execution.refetch()} />
    )
  } else {
    content = <PageSkeleton label="Loading the execution…" />
  }
  const title = execution.data?.id === id ? execution.data.action : 'Execution'
  return (
    <ModalOverlay
      className="drawer-overlay"
      isOpen={id !== null}
      isDismissable
      onOpenChange={(open) => {
        if (!open) onClose()
      }}
    >
      <Modal className="drawer">
        <Dialog className="drawer-dialog">
          <div className="drawer-head">
            <Heading slot="title" level={2} className="drawer-title">
              {title}
            </Heading>
            <Button className="button" onPress={onClose}>
              Close
            </Button>
          </div>
          {content}
        </Dialog>
      </Modal>
    </ModalOverlay>
  )
}
