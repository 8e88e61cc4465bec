import type { Batch, BatchCounts } from '../api/batches.js'
import type { Execution } from '../api/executions.js'
import type { Usage } from '../api/usage.js'

/** A batch as `GET /v1/batches/{id}` returns it. */
export function batch(
  overrides: Partial<Omit<Batch, 'counts'>> & { counts?: Partial<BatchCounts> } = {},
): Batch {
  const { counts, ...rest } = overrides
  return {
    id: '0190f3a2-7c1e-7000-8000-00000000abcd',
    mode: 'parallel',
    status: 'running',
    concurrency: 10,
    correlationId: 'req-batch-1',
    createdAt: '2026-01-15T12:00:00.000Z',
    finishedAt: null,
    ...rest,
    counts: { total: 20, queued: 5, running: 3, succeeded: 10, failed: 2, cancelled: 0, ...counts },
  }
}

/** One batch item (an execution) as `GET /v1/batches/{id}/items` returns it. */
export function batchItem(index: number, overrides: Partial<Execution> = {}): Execution {
  return {
    id: `exec_${index}`,
    action: 'http.request',
    tool: 'http',
    credentialId: 'cred_1',
    status: 'succeeded',
    mode: 'async',
    input: { url: `/items/${index}` },
    output: { status: 200 },
    error: null,
    attempts: [],
    batchId: '0190f3a2-7c1e-7000-8000-00000000abcd',
    batchIndex: index,
    retryOf: null,
    correlationId: 'req-batch-1',
    cancelRequested: false,
    createdAt: '2026-01-15T12:00:00.000Z',
    startedAt: '2026-01-15T12:00:00.000Z',
    finishedAt: '2026-01-15T12:00:00.120Z',
    durationMs: 120,
    ...overrides,
  }
}

/** A failed item with an error class and message. */
export function failedItem(index: number, message = 'The upstream answered 400.'): Execution {
  return batchItem(index, {
    status: 'failed',
    output: null,
    error: { class: 'validation_error', message, retryable: false, suggestions: [] },
  })
}

/** A month's usage as `GET /v1/usage` returns it. */
export function usage(overrides: Partial<Usage> = {}): Usage {
  return {
    period: '2026-01',
    periodStart: '2026-01-01T00:00:00.000Z',
    periodEnd: '2026-02-01T00:00:00.000Z',
    quota: 1000,
    used: 120,
    remaining: 880,
    byTool: [
      { tool: 'http', executions: 100 },
      { tool: 'github', executions: 20 },
    ],
    ...overrides,
  }
}
