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

/** The words `q` can find: the action, the error, and the (already redacted) input and output. */
export function searchTextOf(parts: {
  tool: string
  action: string
  input: unknown
  output?: unknown
  error?: { class: string; message: string } | null
}): string {
  const words: Words = { parts: [`${parts.tool}.${parts.action}`, parts.tool, parts.action], length: 0 }
  if (parts.error) words.parts.push(parts.error.class, parts.error.message)
  collect(parts.input, words)
  if (parts.output !== undefined) collect(parts.output, words)
  // Lower-case letters and digits only, as the query is split: both engines then see the same words
  // (PostgreSQL's parser would otherwise keep `example.com` or an e-mail address as one token), and the
  // newest-first walk can test a row with a plain LIKE.
  const text = words.parts
    .join(' ')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
  return text.length > searchTextLimit ? text.slice(0, searchTextLimit) : text
}

/** Enough for any field a person searches by; long bodies are cut so the index stays small. */
const searchTextLimit = 8192

interface Words {
  readonly parts: string[]
  /** Characters collected so far: collecting stops once the text would be cut anyway. */
  length: number
}

function add(word: string, into: Words): void {
  into.parts.push(word)
  into.length += word.length + 1
}

// Runs on every execution: plain loops, no intermediate arrays.
function collect(value: unknown, into: Words, depth = 0): void {
  if (depth > 8 || into.length > searchTextLimit) return
  if (typeof value === 'string') add(value.length > 512 ? value.slice(0, 512) : value, into)
  else if (typeof value === 'number' || typeof value === 'boolean') add(String(value), into)
  else if (Array.isArray(value)) {
    const count = Math.min(value.length, 100)
    for (let i = 0; i < count; i++) collect(value[i], into, depth + 1)
  } else if (typeof value === 'object' && value !== null) {
    let keys = 0
    for (const key in value) {
      if (!Object.hasOwn(value, key)) continue
      if (keys++ === 100) break
      add(key, into)
      collect((value as Record<string, unknown>)[key], into, depth + 1)
    }
  }
}
