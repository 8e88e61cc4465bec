import { isoTime } from '../http/schemas.js'
import type { ExecutionRow } from './store.js'

/** One attempt as stored on the execution row. */
export interface AttemptRecord {
  readonly number: number
  readonly status: 'succeeded' | 'failed'
  readonly httpStatus: number | null
  readonly errorClass: string | null
  /** Epoch milliseconds. */
  readonly startedAt: number
  readonly durationMs: number
  /** The attempt's error message, when it failed. */
  readonly error?: string
  /** The wait before the next attempt, when one followed. */
  readonly retryInMs?: number
}

/** The `error` member of an execution: what failed, whether to retry, and what to do. */
export interface ExecutionErrorRecord {
  readonly class: string
  readonly message: string
  readonly retryable: boolean
  readonly retryAfterMs?: number
  readonly httpStatus?: number
  readonly suggestions: readonly { title: string; detail: string }[]
}

function parse(text: string | null): unknown {
  return text === null ? null : (JSON.parse(text) as unknown)
}

/**
 * The JSON columns of a row, already parsed: the engine has them as values when it records a run,
 * and the API's view and the event summary then need not parse back what was just written.
 */
export interface ParsedColumns {
  readonly input: unknown
  readonly output: unknown
  readonly error: ExecutionErrorRecord | null
  readonly attempts: readonly AttemptRecord[]
}

function parsedColumns(row: ExecutionRow): ParsedColumns {
  return {
    input: parse(row.input),
    output: parse(row.output),
    error: parse(row.error) as ExecutionErrorRecord | null,
    attempts: parse(row.attempts) as AttemptRecord[],
  }
}

/**
 * An execution row as the API shows it (SPEC §4 shapes). `parsed` are the row's JSON columns as
 * values, when the caller has them.
 */
export function executionView(row: ExecutionRow, parsed: ParsedColumns = parsedColumns(row)) {
  return {
    id: row.id,
    action: `${row.tool}.${row.action}`,
    tool: row.tool,
    credentialId: row.credential_id,
    status: row.status,
    mode: row.mode,
    input: parsed.input,
    output: parsed.output,
    error: parsed.error,
    attempts: parsed.attempts.map((a) => ({ ...a, startedAt: isoTime(a.startedAt) })),
    batchId: row.batch_id,
    batchIndex: row.batch_index,
    retryOf: row.retry_of,
    correlationId: row.correlation_id,
    cancelRequested: row.cancel_requested === 1,
    createdAt: isoTime(row.created_at),
    startedAt: isoTime(row.started_at),
    finishedAt: isoTime(row.finished_at),
    durationMs: row.duration_ms,
  }
}

export type ExecutionView = ReturnType<typeof executionView>

/** What events and the live tail carry: the record without input and output. */
export function executionSummary(row: ExecutionRow, parsed?: Pick<ParsedColumns, 'error' | 'attempts'>) {
  const error = parsed === undefined ? (parse(row.error) as ExecutionErrorRecord | null) : parsed.error
  const attempts =
    parsed === undefined ? (parse(row.attempts) as AttemptRecord[]).length : parsed.attempts.length
  return {
    id: row.id,
    action: `${row.tool}.${row.action}`,
    tool: row.tool,
    credentialId: row.credential_id,
    status: row.status,
    mode: row.mode,
    errorClass: row.error_class,
    errorMessage: error?.message ?? null,
    attempts,
    batchId: row.batch_id,
    batchIndex: row.batch_index,
    retryOf: row.retry_of,
    correlationId: row.correlation_id,
    createdAt: isoTime(row.created_at),
    finishedAt: isoTime(row.finished_at),
    durationMs: row.duration_ms,
  }
}

export type ExecutionSummary = ReturnType<typeof executionSummary>

export { searchTextOf } from './search-text.js'
