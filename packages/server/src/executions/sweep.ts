import type { FastifyBaseLogger } from 'fastify'
import type { JobQueue } from '../infra/queue.js'
import { executionQueue } from './service.js'
import type { ExecutionStore } from './store.js'

/** An async execution still queued this long after it was accepted may have lost its job. */
export const lostJobAfterMs = 5 * 60_000
/** A sync execution still running this long was cut off by a crash: nobody waits for it any more. */
export const abandonedSyncAfterMs = 60 * 60_000

const batchSize = 1000

/**
 * One pass of the background sweep: deletes executions (and finished batches) past the retention
 * period and expired idempotency keys; re-enqueues async executions whose job may have been lost
 * (accepted, then the process died before the job was stored — enqueueing the same id again is a
 * no-op when the job exists); and fails sync executions left `running` by a crash.
 *
 * @example
 * const { deleted } = await sweepExecutions({ store, queue, clock: Date.now, retentionDays: 30, log })
 */
export async function sweepExecutions(deps: {
  store: ExecutionStore
  queue: JobQueue
  clock: () => number
  retentionDays: number
  log: FastifyBaseLogger
}): Promise<{ deleted: number; requeued: number; abandoned: number }> {
  const { store, queue, clock, log } = deps
  const now = clock()
  const before = now - deps.retentionDays * 86_400_000
  let deleted = 0
  for (;;) {
    const count = await store.deleteOlderThan(before, batchSize)
    deleted += count
    if (count < batchSize) break
  }
  for (;;) {
    const count = await store.deleteBatchesOlderThan(before, 100)
    if (count < 100) break
  }
  await store.deleteExpiredIdempotencyKeys(now)

  let requeued = 0
  for (const row of await store.stale('queued', 'async', now - lostJobAfterMs, batchSize)) {
    if (row.batch_id !== null) continue
    await queue.enqueue(executionQueue, { executionId: row.id }, { id: row.id })
    requeued += 1
  }
  let abandoned = 0
  for (const row of await store.stale('running', 'sync', now - abandonedSyncAfterMs, batchSize)) {
    if (row.batch_id !== null) continue
    const error = {
      class: 'internal_error',
      message:
        'The server stopped while this execution ran; its outcome is unknown. Retry it if it is safe to.',
      retryable: false,
      suggestions: [
        {
          title: 'Check the upstream before retrying',
          detail: 'The call may have reached the tool. Look there first, then retry the execution if needed.',
        },
      ],
    }
    const changed = await store.transition(row.id, ['running'], {
      status: 'failed',
      error: JSON.stringify(error),
      error_class: 'internal_error',
      finished_at: now,
    })
    if (changed) abandoned += 1
  }
  if (deleted + requeued + abandoned > 0) log.info({ deleted, requeued, abandoned }, 'execution sweep')
  return { deleted, requeued, abandoned }
}

/**
 * Runs the sweep every `intervalMs` (first pass after a minute); returns a stop function.
 *
 * @example
 * const stop = startExecutionSweep(app.sweepExecutions, 3_600_000, logger)
 */
export function startExecutionSweep(
  sweep: () => Promise<unknown>,
  intervalMs: number,
  log: FastifyBaseLogger,
): () => void {
  const run = () => {
    sweep().catch((error: unknown) => {
      log.warn({ err: error }, 'execution sweep failed')
    })
  }
  const first = setTimeout(run, 60_000)
  const timer = setInterval(run, intervalMs)
  first.unref()
  timer.unref()
  return () => {
    clearTimeout(first)
    clearInterval(timer)
  }
}
