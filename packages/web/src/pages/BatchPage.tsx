import { useQueryClient } from '@tanstack/react-query'
import { useEffect, useRef, useState } from 'react'
import {
  Button,
  Dialog,
  DialogTrigger,
  Heading,
  Label,
  Modal,
  ModalOverlay,
  RadioButton,
  RadioField,
  RadioGroup,
} from 'react-aria-components'
import { Link, useParams, useSearchParams } from 'react-router'
import type { Batch } from '../api/batches.js'
import { isBatchRunning, useBatch, useBatchItems, useCancelBatch } from '../api/batches.js'
import { hasStatus } from '../api/client.js'
import { BatchItemList } from '../components/BatchItemList.js'
import {
  BatchProgress,
  BatchStatusLabel,
  batchName,
  countsText,
  formatTime,
} from '../components/BatchProgress.js'
import { ApiErrorDisplay } from '../components/ErrorHandler.js'
import { PageTitle } from '../components/PageTitle.js'
import { PageSkeleton } from '../components/Skeleton.js'
import '../styles/batches.css'

/** What a screen reader hears when the batch's state changes (not on every count: that would be noise). */
function announcement(batch: Batch): string {
  if (batch.status === 'running') return 'The batch is running.'
  const what = batch.status === 'completed' ? 'The batch completed' : 'The batch was cancelled'
  return `${what}: ${countsText(batch.counts)}.`
}

function CancelBatch({ batch }: { batch: Batch }) {
  const cancel = useCancelBatch(batch.id)
  return (
    <DialogTrigger>
      <Button className="button">Cancel the batch…</Button>
      <ModalOverlay className="modal-overlay" isDismissable>
        <Modal className="modal">
          <Dialog className="dialog" role="alertdialog">
            {({ close }) => (
              <>
                <Heading slot="title">Cancel this batch?</Heading>
                <p>
                  The {(batch.counts.queued + batch.counts.running).toLocaleString()} items not yet finished
                  are cancelled; those that finished keep their results.
                </p>
                {cancel.error !== null && (
                  <ApiErrorDisplay
                    error={cancel.error}
                    headingLevel={3}
                    title="The batch was not cancelled"
                  />
                )}
                <div className="button-row">
                  <Button
                    className="button button-primary"
                    isPending={cancel.isPending}
                    onPress={() => {
                      cancel.mutate(undefined, { onSuccess: close })
                    }}
                  >
                    Cancel the batch
                  </Button>
                  <Button className="button" onPress={close}>
                    Keep it running
                  </Button>
                </div>
              </>
            )}
          </Dialog>
        </Modal>
      </ModalOverlay>
    </DialogTrigger>
  )
}

function Items({ batch }: { batch: Batch }) {
  const [params, setParams] = useSearchParams()
  const failedOnly = params.get('show') === 'failed'
  const running = isBatchRunning(batch)
  // Earlier pages' cursors; the filter starts again from the first page.
  const [paging, setPaging] = useState<{ failedOnly: boolean; cursors: (string | null)[] }>({
    failedOnly,
    cursors: [null],
  })
  const cursors = paging.failedOnly === failedOnly ? paging.cursors : [null]
  const cursor = cursors.at(-1) ?? null
  const items = useBatchItems(batch.id, { cursor, failedOnly, live: running })
  const queryClient = useQueryClient()

  // When the batch finishes, the items are read once more: the last poll may predate the last result.
  const wasRunning = useRef(running)
  useEffect(() => {
    if (wasRunning.current && !running) {
      void queryClient.invalidateQueries({ queryKey: ['batches', 'items', batch.id] })
    }
    wasRunning.current = running
  }, [running, batch.id, queryClient])

  const page = items.data
  const first = cursors.length === 1
  return (
    <section className="section" aria-labelledby="items-heading">
      <h2 id="items-heading">Items</h2>
      <p className="muted">
        Each item is an execution of its own. One item’s failure never fails the batch: the other items run
        on, and the batch completes with its failures counted.
      </p>
      <RadioGroup
        className="batch-filter"
        orientation="horizontal"
        value={failedOnly ? 'failed' : 'all'}
        onChange={(value) => {
          const next = new URLSearchParams(params)
          if (value === 'failed') next.set('show', 'failed')
          else next.delete('show')
          setParams(next, { replace: true })
          setPaging({ failedOnly: value === 'failed', cursors: [null] })
        }}
      >
        <Label className="field-label">Show</Label>
        <div className="segmented">
          <RadioField value="all" className="segmented-field">
            <RadioButton className="segmented-option">
              All items ({batch.counts.total.toLocaleString()})
            </RadioButton>
          </RadioField>
          <RadioField value="failed" className="segmented-field">
            <RadioButton className="segmented-option">
              Failed items ({batch.counts.failed.toLocaleString()})
            </RadioButton>
          </RadioField>
        </div>
      </RadioGroup>
      <BatchItemList
        items={page?.data}
        error={items.error}
        onRetry={() => void items.refetch()}
        failedOnly={failedOnly}
        running={running}
        busy={items.isPlaceholderData}
      />
      {page !== undefined && (!first || page.nextCursor !== null) && (
        <nav className="button-row" aria-label="Pages of items">
          {!first && (
            <Button
              className="button"
              onPress={() => {
                setPaging({ failedOnly, cursors: cursors.slice(0, -1) })
              }}
            >
              Previous items
            </Button>
          )}
          {page.nextCursor !== null && (
            <Button
              className="button"
              onPress={() => {
                const next = page.nextCursor
                setPaging({ failedOnly, cursors: [...cursors, next] })
              }}
            >
              Next items
            </Button>
          )}
        </nav>
      )}
    </section>
  )
}

function BatchDetails({
  batch,
  refreshError,
  onRetry,
}: {
  batch: Batch
  refreshError: unknown
  onRetry: () => void
}) {
  const name = batchName(batch.id)
  return (
    <>
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <ol>
          <li>
            <Link to="/batches">Batches</Link>
          </li>
          <li aria-current="page">{name}</li>
        </ol>
      </nav>
      <PageTitle title={name} />
      <p className="batch-page-status">
        <BatchStatusLabel status={batch.status} counts={batch.counts} />
      </p>
      <p className="visually-hidden" role="status">
        {announcement(batch)}
      </p>
      {refreshError !== null && (
        <ApiErrorDisplay error={refreshError} title="The batch could not be refreshed" onRetry={onRetry} />
      )}
      <BatchProgress batch={batch} />
      <dl className="facts">
        <div>
          <dt>Order</dt>
          <dd>
            {batch.mode === 'parallel' ? `In parallel, ${batch.concurrency} at once` : 'One after another'}
          </dd>
        </div>
        <div>
          <dt>Created</dt>
          <dd>
            <time dateTime={batch.createdAt}>{formatTime(batch.createdAt)}</time>
          </dd>
        </div>
        <div>
          <dt>Finished</dt>
          <dd>
            {batch.finishedAt === null ? (
              'Not yet'
            ) : (
              <time dateTime={batch.finishedAt}>{formatTime(batch.finishedAt)}</time>
            )}
          </dd>
        </div>
        <div>
          <dt>Correlation id</dt>
          <dd>
            <code>{batch.correlationId}</code>
          </dd>
        </div>
      </dl>
      <div className="button-row">
        <Link className="button" to={`/executions?batchId=${encodeURIComponent(batch.id)}`}>
          Open in the execution log
        </Link>
        {isBatchRunning(batch) && <CancelBatch batch={batch} />}
      </div>
      <Items batch={batch} />
    </>
  )
}

/** One batch: its status and progress, read again every second until it completes, and its items. */
export default function BatchPage() {
  const id = useParams().id ?? ''
  const batch = useBatch(id)
  if (batch.data !== undefined) {
    return <BatchDetails batch={batch.data} refreshError={batch.error} onRetry={() => void batch.refetch()} />
  }
  if (hasStatus(batch.error, 404)) {
    return (
      <div className="narrow">
        <PageTitle title="Batch not found" />
        <p>
          There is no batch <code>{id}</code> in this workspace. Check the address, or find it in the{' '}
          <Link to="/batches">list of batches</Link>.
        </p>
      </div>
    )
  }
  if (batch.error !== null) {
    return <ApiErrorDisplay error={batch.error} focusOnMount onRetry={() => void batch.refetch()} />
  }
  return <PageSkeleton label="Loading the batch…" />
}
