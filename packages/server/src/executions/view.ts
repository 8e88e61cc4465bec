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

/** An execution row as the API shows it (SPEC §4 shapes). */
export function executionView(row: ExecutionRow) {
  const attempts = parse(row.attempts) as AttemptRecord[]
  return {
    id: row.id,
    action: `${row.tool}.${row.action}`,
    tool: row.tool,
    credentialId: row.credential_id,
    status: row.status,
    mode: row.mode,
    input: parse(row.input),
    output: parse(row.output),
    error: parse(row.error) as ExecutionErrorRecord | null,
    attempts: attempts.map((a) => ({ ...a, startedAt: isoTime(a.startedAt) })),
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
export function executionSummary(row: ExecutionRow) {
  const error = parse(row.error) as ExecutionErrorRecord | null
  return {
    id: row.id,
    action: `${row.tool}.${row.action}`,
    tool: row.tool,
    credentialId: row.credential_id,
    status: row.status,
    mode: row.mode,
    errorClass: row.error_class,
    errorMessage: error?.message ?? null,
    attempts: (parse(row.attempts) as AttemptRecord[]).length,
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

/** The words `q` can find: the action, the error, and the (already redacted) input and output. */
export function searchTextOf(parts: {
  tool: string
  action: string
  input: unknown
  output?: unknown
  error?: { class: string; message: string } | null
}): string {
  const words: string[] = [`${parts.tool}.${parts.action}`, parts.tool, parts.action]
  if (parts.error) words.push(parts.error.class, parts.error.message)
  collect(parts.input, words)
  if (parts.output !== undefined) collect(parts.output, words)
  // Lower-case letters and digits only, as the query is split: both engines then see the same words
  // (PostgreSQL's parser would otherwise keep `example.com` or an e-mail address as one token), and the
  // newest-first walk can test a row with a plain LIKE.
  const text = words
    .join(' ')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
  return text.length > searchTextLimit ? text.slice(0, searchTextLimit) : text
}

/** Enough for any field a person searches by; long bodies are cut so the index stays small. */
const searchTextLimit = 8192

function collect(value: unknown, into: string[], depth = 0): void {
  if (depth > 8 || into.length > 2000) return
  if (typeof value === 'string') into.push(value.length > 512 ? value.slice(0, 512) : value)
  else if (typeof value === 'number' || typeof value === 'boolean') into.push(String(value))
  else if (Array.isArray(value)) for (const item of value.slice(0, 100)) collect(item, into, depth + 1)
  else if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value).slice(0, 100)) {
      into.push(key)
      collect(item, into, depth + 1)
    }
  }
}
