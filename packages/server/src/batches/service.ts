/**
 * Batches (SPEC §5): many executions submitted together. Items are stored at once as queued
 * executions; one `batches` job runs them — in parallel with bounded concurrency, or in order, where
 * an item's input transformation reads earlier items' outputs as `$items`. One item's failure never
 * fails the batch. When every item is final the batch is `completed` and `batch.completed` is emitted.
 */
import { ActionError, ValidationError, toActionError } from '@toolplane/sdk'
import { v7 as uuidv7 } from 'uuid'
import { toPage } from '../db/pagination.js'
import type { Page, PageRequest } from '../db/pagination.js'
import { AppError } from '../errors.js'
import type { EventBus } from '../infra/events.js'
import type { Job, JobContext, JobQueue } from '../infra/queue.js'
import { describeError } from '../executions/error-classes.js'
import type { ExecutionService, TransformSpec } from '../executions/service.js'
import type { BatchRow, ExecutionRow, ExecutionStore } from '../executions/store.js'
import { executionView } from '../executions/view.js'
import { isoTime } from '../http/schemas.js'

export const batchQueue = 'batches'
export const maxBatchItems = 1000
export const defaultBatchConcurrency = 10
export const maxBatchConcurrency = 50

export interface BatchItemRequest {
  readonly action: string
  readonly credentialId?: string | null
  readonly input?: unknown
  readonly transform?: TransformSpec
}

export interface BatchRequest {
  readonly items: readonly BatchItemRequest[]
  readonly mode?: 'parallel' | 'sequential'
  readonly concurrency?: number
}

const counted = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const

/** A batch as the API shows it. */
export function batchView(row: BatchRow, counts: Record<string, number>) {
  const byStatus = Object.fromEntries(counted.map((status) => [status, counts[status] ?? 0])) as Record<
    (typeof counted)[number],
    number
  >
  return {
    id: row.id,
    mode: row.mode,
    status: row.status,
    concurrency: row.concurrency,
    counts: { total: row.total, ...byStatus },
    correlationId: row.correlation_id,
    createdAt: isoTime(row.created_at),
    finishedAt: isoTime(row.finished_at),
  }
}

export type BatchView = ReturnType<typeof batchView>

/** Thrown out of the batch job when its worker shuts down: the queue hands the job back. */
class BatchInterrupted extends Error {
  override name = 'BatchInterrupted'
}

function outputOf(row: ExecutionRow): unknown {
  return row.status === 'succeeded' && row.output !== null ? (JSON.parse(row.output) as unknown) : null
}

/**
 * The batch service.
 *
 * @example
 * const batch = await batches.submit(workspaceId, { items, mode: 'parallel' }, { correlationId })
 */
export function batchService(deps: {
  store: ExecutionStore
  executions: ExecutionService
  queue: JobQueue
  events: EventBus
  clock: () => number
}) {
  const { store, executions, queue, events, clock } = deps

  /** An item that cannot run is stored as a failed execution, so the batch still accounts for it. */
  function failedItem(row: ExecutionRow, error: ActionError): ExecutionRow {
    const now = clock()
    const record = describeError(error)
    return {
      ...row,
      status: 'failed',
      error: JSON.stringify(record),
      error_class: record.class,
      finished_at: now,
      duration_ms: 0,
    }
  }

  async function itemRow(
    workspaceId: string,
    batchId: string,
    index: number,
    item: BatchItemRequest,
    sequential: boolean,
    correlationId: string,
  ): Promise<ExecutionRow> {
    const base = {
      batchId,
      batchIndex: index,
      correlationId,
      mode: 'async' as const,
      status: 'queued' as const,
      transform: item.transform,
    }
    let resolved
    try {
      resolved = await executions.resolveAction(workspaceId, item.action)
      await executions.checkCredential(workspaceId, resolved.tool, item.credentialId)
      executions.compileTransforms(item.transform)
    } catch (thrown) {
      const reason = thrown instanceof AppError ? thrown.detail : toActionError(thrown).message
      const stub = placeholderRow(workspaceId, item, base)
      return failedItem(stub, new ActionError('validation_error', reason))
    }
    const { action, toolSlug } = resolved
    const credentialId = item.credentialId ?? null
    // In order, a transformation may read earlier outputs, so it runs when the item runs.
    const deferred = sequential && item.transform?.input !== undefined
    let input: unknown = item.input ?? {}
    let failure: ActionError | undefined
    if (!deferred) {
      try {
        input = await executions.prepareInput(action, item.input, item.transform, {
          execution: { id: null, action: item.action, correlationId },
        })
      } catch (thrown) {
        failure = thrown instanceof ValidationError ? thrown : toActionError(thrown)
      }
    }
    const row = executions.newRow(workspaceId, {
      ...base,
      toolSlug,
      action,
      credentialId,
      input: typeof input === 'object' && input !== null ? (input as Record<string, unknown>) : {},
      options: deferred ? { deferredInputTransform: true } : {},
    })
    return failure === undefined ? row : failedItem(row, failure)
  }

  /** A row for an item whose action cannot be resolved: it records the request as given. */
  function placeholderRow(
    workspaceId: string,
    item: BatchItemRequest,
    base: { batchId: string; batchIndex: number; correlationId: string },
  ): ExecutionRow {
    const dot = item.action.indexOf('.')
    const now = clock()
    return {
      id: uuidv7(),
      workspace_id: workspaceId,
      tool: dot > 0 ? item.action.slice(0, dot) : item.action,
      action: dot > 0 ? item.action.slice(dot + 1) : '',
      credential_id: item.credentialId ?? null,
      mode: 'async',
      status: 'queued',
      // Unknown actions have no schema to say which fields are secret, so the input is not kept.
      input: '{}',
      input_sealed: null,
      output: null,
      error: null,
      error_class: null,
      attempts: '[]',
      transform: item.transform === undefined ? null : JSON.stringify(item.transform),
      options: null,
      batch_id: base.batchId,
      batch_index: base.batchIndex,
      retry_of: null,
      correlation_id: base.correlationId,
      cancel_requested: 0,
      search_text: item.action,
      created_at: now,
      started_at: null,
      finished_at: null,
      duration_ms: null,
    }
  }

  async function view(row: BatchRow): Promise<BatchView> {
    return batchView(row, await store.batchCounts(row.id))
  }

  async function getRow(workspaceId: string, id: string): Promise<BatchRow> {
    const row = await store.getBatch(workspaceId, id)
    if (row === undefined) throw new AppError('not_found', `No batch ${id} in this workspace.`)
    return row
  }

  async function complete(batch: BatchRow): Promise<void> {
    if (!(await store.finishBatch(batch.id, 'completed', clock()))) return
    const after = (await store.getBatchById(batch.id)) ?? batch
    const shown = await view(after)
    await events.publish({ type: 'batch.completed', workspaceId: batch.workspace_id, data: shown })
  }

  /** Claims and runs one item; returns its output for `$items` (null unless it succeeded). */
  async function runOne(row: ExecutionRow, signal: AbortSignal, outputs: unknown[]): Promise<unknown> {
    if (row.status === 'succeeded' || row.status === 'failed' || row.status === 'cancelled')
      return outputOf(row)
    const startedAt = row.started_at ?? clock()
    const claimed = await store.transition(row.id, ['queued', 'running'], {
      status: 'running',
      started_at: startedAt,
    })
    if (!claimed) {
      const now = await store.getById(row.id)
      return now === undefined ? null : outputOf(now)
    }
    const claimedRow = { ...row, status: 'running', started_at: startedAt }
    executions.publish(claimedRow)
    const { row: finished, outcome } = await executions.runItem(claimedRow, signal, { items: outputs })
    if (outcome.kind === 'interrupted' || signal.aborted) throw new BatchInterrupted('The worker shut down')
    return outputOf(finished)
  }

  return {
    /** `POST /v1/batches`: stores every item (invalid ones as failed executions) and queues the batch. */
    async submit(
      workspaceId: string,
      request: BatchRequest,
      context: { correlationId: string },
    ): Promise<BatchView> {
      if (request.items.length === 0 || request.items.length > maxBatchItems) {
        throw new AppError('validation_error', `A batch holds 1 to ${maxBatchItems} items.`, {
          errors: [{ path: '/items', message: `expected 1 to ${maxBatchItems} items` }],
        })
      }
      const mode = request.mode ?? 'parallel'
      const concurrency = mode === 'sequential' ? 1 : (request.concurrency ?? defaultBatchConcurrency)
      const id = uuidv7()
      const rows: ExecutionRow[] = []
      for (const [index, item] of request.items.entries()) {
        rows.push(await itemRow(workspaceId, id, index, item, mode === 'sequential', context.correlationId))
      }
      const batch: BatchRow = {
        id,
        workspace_id: workspaceId,
        mode,
        concurrency,
        status: 'running',
        total: rows.length,
        correlation_id: context.correlationId,
        created_at: clock(),
        finished_at: null,
      }
      const counts = new Map<string, number>()
      for (const row of rows) counts.set(row.tool, (counts.get(row.tool) ?? 0) + 1)
      await executions.admitExecutions(workspaceId, counts)
      await store.insertBatch(batch)
      await store.insertMany(rows)
      await queue.enqueue(batchQueue, { batchId: id }, { id })
      return view(batch)
    },

    async get(workspaceId: string, id: string): Promise<BatchView> {
      return view(await getRow(workspaceId, id))
    },

    async list(workspaceId: string, page: PageRequest): Promise<Page<BatchView>> {
      const rows = await store.listBatches(workspaceId, page)
      const result = toPage(rows, page.limit, (row) => row.id)
      return { data: await Promise.all(result.data.map(view)), nextCursor: result.nextCursor }
    },

    /** Per-item results in submission order; the cursor is the last index seen. */
    async items(workspaceId: string, id: string, page: PageRequest) {
      await getRow(workspaceId, id)
      const afterIndex = page.after === null ? null : Number(page.after)
      if (afterIndex !== null && !Number.isInteger(afterIndex)) {
        throw new AppError('validation_error', 'The cursor is not valid for this batch.')
      }
      const rows = await store.batchItems(workspaceId, id, { limit: page.limit, afterIndex })
      const result = toPage(rows, page.limit, (row) => String(row.batch_index))
      return { data: result.data.map((row) => executionView(row)), nextCursor: result.nextCursor }
    },

    /** Cancels the items that have not finished; the batch ends `cancelled`. */
    async cancel(workspaceId: string, id: string): Promise<BatchView> {
      const batch = await getRow(workspaceId, id)
      if (batch.status !== 'running') {
        throw new AppError('conflict', `Batch ${id} is ${batch.status}; there is nothing to cancel.`)
      }
      await store.finishBatch(id, 'cancelled', clock())
      const items = await store.batchItems(workspaceId, id, { limit: maxBatchItems, afterIndex: null })
      for (const item of items) {
        if (item.status === 'queued' || item.status === 'running') {
          await executions.cancel(workspaceId, item.id).catch(() => undefined)
        }
      }
      const after = await getRow(workspaceId, id)
      const shown = await view(after)
      await events.publish({ type: 'batch.completed', workspaceId, data: shown })
      return shown
    },

    /** The queue's handler for `batches` jobs; resumes where a dead worker stopped. */
    async runJob(job: Job<{ batchId: string }>, context: JobContext): Promise<void> {
      const batch = await store.getBatchById(job.data.batchId)
      if (batch?.status !== 'running') return
      const items = await store.batchItems(batch.workspace_id, batch.id, {
        limit: maxBatchItems,
        afterIndex: null,
      })
      const outputs: unknown[] = items.map(() => null)
      const stopped = () => context.signal.aborted
      if (batch.mode === 'sequential') {
        for (const [index, item] of items.entries()) {
          if (stopped()) throw new BatchInterrupted('The worker shut down')
          outputs[index] = await runOne(item, context.signal, outputs.slice(0, index))
        }
      } else {
        let next = 0
        const lane = async () => {
          while (next < items.length && !stopped()) {
            const index = next
            next += 1
            const item = items[index]
            if (item !== undefined) outputs[index] = await runOne(item, context.signal, [])
          }
        }
        await Promise.all(Array.from({ length: Math.min(batch.concurrency, items.length) }, lane))
        if (stopped()) throw new BatchInterrupted('The worker shut down')
      }
      const now = await store.getBatchById(batch.id)
      if (now?.status === 'running') await complete(now)
    },
  }
}

export type BatchService = ReturnType<typeof batchService>
