/**
 * Executions as the API shows them (SPEC §4 shapes): shared by the action page (running one), the
 * execution log (searching, tailing) and every place that shows an error with its suggestions.
 */

export type ExecutionStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled'

/** One attempt at the upstream call. */
export interface Attempt {
  readonly number: number
  readonly status: 'succeeded' | 'failed'
  readonly httpStatus: number | null
  readonly errorClass: string | null
  readonly startedAt: string
  readonly durationMs: number
  /** The attempt's error message, when it failed. */
  readonly error?: string
  /** The wait before the next attempt, when one followed. */
  readonly retryInMs?: number
}

/** A concrete thing the user can do about an error. */
export interface Suggestion {
  readonly title: string
  readonly detail: string
}

/** What failed, whether trying again may help, and what to do. */
export interface ExecutionError {
  /** The error class of SPEC §5 (`auth_error`, `rate_limited`, `upstream_error`, …). */
  readonly class: string
  readonly message: string
  readonly retryable: boolean
  readonly retryAfterMs?: number
  readonly httpStatus?: number
  readonly suggestions: readonly Suggestion[]
}

/** One execution with its input, output and attempts (`GET /v1/executions/{id}`). */
export interface Execution {
  readonly id: string
  /** `tool.action`. */
  readonly action: string
  readonly tool: string
  readonly credentialId: string | null
  readonly status: ExecutionStatus
  readonly mode: 'sync' | 'async'
  readonly input: unknown
  readonly output: unknown
  readonly error: ExecutionError | null
  readonly attempts: readonly Attempt[]
  readonly batchId: string | null
  readonly batchIndex: number | null
  readonly retryOf: string | null
  readonly correlationId: string | null
  readonly cancelRequested: boolean
  readonly createdAt: string
  readonly startedAt: string | null
  readonly finishedAt: string | null
  readonly durationMs: number | null
}

/** What the execution list and the live tail carry: the record without input and output. */
export interface ExecutionSummary {
  readonly id: string
  readonly action: string
  readonly tool: string
  readonly credentialId: string | null
  readonly status: ExecutionStatus
  readonly mode: 'sync' | 'async'
  readonly errorClass: string | null
  readonly errorMessage: string | null
  readonly attempts: number
  readonly batchId: string | null
  readonly batchIndex: number | null
  readonly retryOf: string | null
  readonly correlationId: string | null
  readonly createdAt: string
  readonly finishedAt: string | null
  readonly durationMs: number | null
}

/** Whether an execution has reached its end (and will not change again). */
export function isFinished(status: ExecutionStatus): boolean {
  return status === 'succeeded' || status === 'failed' || status === 'cancelled'
}
