import type { ExecutionRow } from '../executions/store.js'

/**
 * An execution row as the store keeps it, for tests that write rows directly: a finished
 * `http.request` with no input, output or error, changed by `changes`.
 *
 * @example
 * await db.insertInto('executions').values(executionRow(workspaceId, id, { created_at: old })).execute()
 */
export function executionRow(
  workspaceId: string,
  id: string,
  changes: Partial<ExecutionRow> = {},
): ExecutionRow {
  return {
    id,
    workspace_id: workspaceId,
    tool: 'http',
    action: 'request',
    credential_id: null,
    mode: 'async',
    status: 'succeeded',
    input: '{}',
    input_sealed: null,
    output: null,
    error: null,
    error_class: null,
    attempts: '[]',
    transform: null,
    options: null,
    batch_id: null,
    batch_index: null,
    retry_of: null,
    correlation_id: 'c',
    cancel_requested: 0,
    search_text: 'http.request',
    created_at: 0,
    started_at: null,
    finished_at: null,
    duration_ms: null,
    ...changes,
  }
}
