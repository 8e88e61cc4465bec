import { useState } from 'react'
import { Button } from 'react-aria-components'
import { Link, useNavigate, useSearchParams } from 'react-router'
import type { Batch } from '../api/batches.js'
import { useBatches } from '../api/batches.js'
import { BatchProgress, BatchStatusLabel, batchName, formatTime } from '../components/BatchProgress.js'
import { EmptyState } from '../components/EmptyState.js'
import { ApiErrorDisplay } from '../components/ErrorHandler.js'
import { NewBatchForm } from '../components/NewBatchForm.js'
import { PageTitle } from '../components/PageTitle.js'
import { ListSkeleton } from '../components/Skeleton.js'
import '../styles/batches.css'

function BatchCard({ batch }: { batch: Batch }) {
  const name = batchName(batch.id)
  return (
    <li className="card batch-card">
      <div className="batch-card-head">
        <h3 className="card-title">
          <Link to={`/batches/${encodeURIComponent(batch.id)}`}>{name}</Link>
        </h3>
        <BatchStatusLabel status={batch.status} counts={batch.counts} />
      </div>
      <p className="muted small">
        {batch.counts.total.toLocaleString()} {batch.counts.total === 1 ? 'item' : 'items'} ·{' '}
        {batch.mode === 'parallel' ? `in parallel, ${batch.concurrency} at once` : 'in order'} · created{' '}
        <time dateTime={batch.createdAt}>{formatTime(batch.createdAt)}</time>
      </p>
      <BatchProgress batch={batch} label={`Progress of ${name}`} />
    </li>
  )
}

/** The batches list, newest first, and the form that submits a new batch (`?new`, `?action=`). */
export default function BatchesPage() {
  const [params, setParams] = useSearchParams()
  const navigate = useNavigate()
  // Earlier pages' cursors, so "Newer" can go back; the first page has none.
  const [cursors, setCursors] = useState<(string | null)[]>([null])
  const cursor = cursors.at(-1) ?? null
  const batches = useBatches(cursor)
  const creating = params.has('new')

  const openForm = () => {
    const next = new URLSearchParams(params)
    next.set('new', '')
    setParams(next)
  }
  const closeForm = () => {
    const next = new URLSearchParams(params)
    next.delete('new')
    next.delete('action')
    setParams(next)
  }

  let list
  if (batches.data === undefined) {
    list =
      batches.error !== null ? (
        <ApiErrorDisplay error={batches.error} onRetry={() => void batches.refetch()} />
      ) : (
        <ListSkeleton rows={4} label="Loading batches…" />
      )
  } else if (batches.data.data.length === 0 && cursor === null) {
    list = (
      <EmptyState
        title="No batches yet"
        action={
          creating ? undefined : (
            <Button className="button button-primary" onPress={openForm}>
              New batch
            </Button>
          )
        }
      >
        <p>
          A batch runs one action for many inputs at once — from a CSV file or a JSON array — and shows each
          item’s result. Start one with “New batch”, or submit one with <code>POST /v1/batches</code>.
        </p>
      </EmptyState>
    )
  } else {
    list = (
      <>
        {batches.error !== null && (
          <ApiErrorDisplay
            error={batches.error}
            title="The list could not be refreshed"
            onRetry={() => void batches.refetch()}
          />
        )}
        <ul className="card-list" aria-label="Batches" aria-busy={batches.isPlaceholderData}>
          {batches.data.data.map((batch) => (
            <BatchCard key={batch.id} batch={batch} />
          ))}
        </ul>
        <nav className="button-row" aria-label="Pages of batches">
          {cursors.length > 1 && (
            <Button
              className="button"
              onPress={() => {
                setCursors((c) => c.slice(0, -1))
              }}
            >
              Newer batches
            </Button>
          )}
          {batches.data.nextCursor !== null && (
            <Button
              className="button"
              onPress={() => {
                const next = batches.data.nextCursor
                if (next !== null) setCursors((c) => [...c, next])
              }}
            >
              Older batches
            </Button>
          )}
        </nav>
      </>
    )
  }

  return (
    <>
      <PageTitle title="Batches" />
      <p className="lede">
        Run one action for many inputs at once. Each item becomes an execution of its own; an item that fails
        never fails the batch.
      </p>
      {creating ? (
        <section className="section card batch-new" aria-labelledby="new-batch-heading">
          <h2 id="new-batch-heading">New batch</h2>
          <NewBatchForm
            initialAction={params.get('action')}
            onSubmitted={(batch) => void navigate(`/batches/${encodeURIComponent(batch.id)}`)}
            onCancel={closeForm}
          />
        </section>
      ) : (
        <div className="button-row">
          <Button className="button button-primary" onPress={openForm}>
            New batch
          </Button>
        </div>
      )}
      <section className="section" aria-labelledby="batches-heading">
        <h2 id="batches-heading">Recent batches</h2>
        {list}
      </section>
    </>
  )
}
