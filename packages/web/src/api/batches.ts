/**
 * Batches as the API shows them (SPEC §4, §5): many executions submitted together, run in parallel
 * or in order. Hooks for the batch list, one batch (polled while it runs), its items page by page,
 * submitting one, and the credentials a batch can use.
 */
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import type { ApiError } from './client.js'
import { useApi } from './context.js'
import type { Execution } from './executions.js'
import type { Tool } from './tools.js'

export type BatchStatus = 'running' | 'completed' | 'cancelled'
export type BatchMode = 'parallel' | 'sequential'

/** How many of a batch's items are in each state. */
export interface BatchCounts {
  readonly total: number
  readonly queued: number
  readonly running: number
  readonly succeeded: number
  readonly failed: number
  readonly cancelled: number
}

/** A batch (`GET /v1/batches/{id}`). */
export interface Batch {
  readonly id: string
  readonly mode: BatchMode
  readonly status: BatchStatus
  readonly concurrency: number
  readonly counts: BatchCounts
  readonly correlationId: string
  readonly createdAt: string
  readonly finishedAt: string | null
}

/** One item of `POST /v1/batches`. */
export interface BatchItemRequest {
  /** `tool.action`. */
  readonly action: string
  /** Null or left out for a tool that needs no credential. */
  readonly credentialId?: string | null
  readonly input?: unknown
  /** JSONata expressions applied to the input before the call and to the output after. */
  readonly transform?: { readonly input?: string; readonly output?: string }
}

/** The body of `POST /v1/batches`. */
export interface BatchRequest {
  readonly items: readonly BatchItemRequest[]
  readonly mode: BatchMode
  /** Items run at once in parallel mode (1 to 50); the server ignores it in sequential mode. */
  readonly concurrency?: number
}

/** The `{ data, nextCursor }` envelope of every list. */
export interface Page<T> {
  readonly data: readonly T[]
  readonly nextCursor: string | null
}

/** What the batch pages need of a credential (`GET /v1/credentials?tool=`); secrets never come back. */
export interface CredentialChoice {
  readonly id: string
  readonly tool: string
  readonly name: string
  readonly authMethod: string
  readonly status: string
  readonly externalUserId: string | null
}

/** How often a running batch and its items are read again. */
export const batchPollMs = 1000

/** Whether a batch has more to do: it is running and some item has not finished. */
export function isBatchRunning(batch: Pick<Batch, 'status'>): boolean {
  return batch.status === 'running'
}

/** Items that have reached their end (succeeded, failed or cancelled). */
export function finishedCount(counts: BatchCounts): number {
  return counts.succeeded + counts.failed + counts.cancelled
}

/**
 * A page of the workspace's batches, newest first.
 *
 * @example
 * const batches = useBatches(cursor)
 */
export function useBatches(cursor: string | null, limit = 20) {
  const api = useApi()
  return useQuery<Page<Batch>, ApiError>({
    queryKey: ['batches', 'list', { cursor, limit }],
    queryFn: ({ signal }) => api.get<Page<Batch>>('/v1/batches', { query: { limit, cursor }, signal }),
    placeholderData: keepPreviousData,
    // A batch on the page that is still running changes its counts; read the page again until none is.
    refetchInterval: (query) =>
      query.state.data?.data.some(isBatchRunning) === true ? batchPollMs * 3 : false,
  })
}

/**
 * One batch, read again every second while it runs.
 *
 * @example
 * const batch = useBatch(id)
 * if (batch.data) show(batch.data.counts)
 */
export function useBatch(id: string) {
  const api = useApi()
  return useQuery<Batch, ApiError>({
    queryKey: ['batches', 'one', id],
    queryFn: ({ signal }) => api.get<Batch>(`/v1/batches/${encodeURIComponent(id)}`, { signal }),
    refetchInterval: (query) => {
      const batch = query.state.data
      return batch !== undefined && isBatchRunning(batch) ? batchPollMs : false
    },
    staleTime: 0,
  })
}

export interface BatchItemsOptions {
  readonly cursor: string | null
  /** Only the items that failed (read through the execution search, which filters on the server). */
  readonly failedOnly: boolean
  /** Whether the batch still runs: the page is read again until it is done. */
  readonly live: boolean
  readonly limit?: number
}

/**
 * A page of a batch's items (their executions). All items come in submission order; the failed ones
 * come from `GET /v1/executions?batchId=&status=failed` (newest first, so each page is put back in
 * submission order).
 *
 * @example
 * const items = useBatchItems(id, { cursor: null, failedOnly: false, live: true })
 */
export function useBatchItems(id: string, { cursor, failedOnly, live, limit = 50 }: BatchItemsOptions) {
  const api = useApi()
  return useQuery<Page<Execution>, ApiError>({
    queryKey: ['batches', 'items', id, { cursor, failedOnly, limit }],
    queryFn: async ({ signal }) => {
      if (!failedOnly) {
        return api.get<Page<Execution>>(`/v1/batches/${encodeURIComponent(id)}/items`, {
          query: { limit, cursor },
          signal,
        })
      }
      const page = await api.get<Page<Execution>>('/v1/executions', {
        query: { batchId: id, status: 'failed', limit, cursor },
        signal,
      })
      const data = [...page.data].sort((a, b) => (a.batchIndex ?? 0) - (b.batchIndex ?? 0))
      return { data, nextCursor: page.nextCursor }
    },
    // Keep the page shown while the next page loads, but never show all items under "Failed items"
    // (or the reverse) while the other list loads.
    placeholderData: (previous, previousQuery) =>
      (previousQuery?.queryKey[3] as { failedOnly?: boolean } | undefined)?.failedOnly === failedOnly
        ? previous
        : undefined,
    refetchInterval: live ? batchPollMs : false,
    staleTime: live ? 0 : 30_000,
  })
}

/**
 * Submits a batch; the server answers at once (202) with the batch, which then runs on its own.
 *
 * @example
 * const submit = useSubmitBatch()
 * submit.mutate(request, { onSuccess: (batch) => navigate(`/batches/${batch.id}`) })
 */
export function useSubmitBatch() {
  const api = useApi()
  const queryClient = useQueryClient()
  return useMutation<Batch, ApiError, BatchRequest>({
    mutationFn: (request) => api.post<Batch>('/v1/batches', request),
    onSuccess: (batch) => {
      queryClient.setQueryData(['batches', 'one', batch.id], batch)
      void queryClient.invalidateQueries({ queryKey: ['batches', 'list'] })
      void queryClient.invalidateQueries({ queryKey: ['usage'] })
    },
  })
}

/**
 * Cancels every item of a running batch that has not finished; the batch ends `cancelled`.
 *
 * @example
 * const cancel = useCancelBatch(id)
 * cancel.mutate()
 */
export function useCancelBatch(id: string) {
  const api = useApi()
  const queryClient = useQueryClient()
  return useMutation<Batch, ApiError>({
    mutationFn: () => api.post<Batch>(`/v1/batches/${encodeURIComponent(id)}/cancel`),
    onSuccess: (batch) => {
      queryClient.setQueryData(['batches', 'one', batch.id], batch)
      void queryClient.invalidateQueries({ queryKey: ['batches'] })
    },
  })
}

/**
 * The credentials of one tool (the first 200: enough to pick from; the credentials page lists all).
 * Disabled until a tool is chosen.
 *
 * @example
 * const credentials = useToolCredentials('github')
 */
export function useToolCredentials(tool: string | null) {
  const api = useApi()
  return useQuery<Page<CredentialChoice>, ApiError>({
    queryKey: ['credentials', 'choices', tool],
    queryFn: ({ signal }) =>
      api.get<Page<CredentialChoice>>('/v1/credentials', { query: { tool, limit: 200 }, signal }),
    enabled: tool !== null,
  })
}

/**
 * A tool with its actions' schemas and auth methods, once one is chosen (the same query as
 * `useTool`, sharing its cache, but asking nothing while `slug` is null).
 *
 * @example
 * const tool = useChosenTool(slugOrNull)
 */
export function useChosenTool(slug: string | null) {
  const api = useApi()
  return useQuery<Tool, ApiError>({
    queryKey: ['tools', slug],
    queryFn: ({ signal }) => api.get<Tool>(`/v1/tools/${encodeURIComponent(slug ?? '')}`, { signal }),
    enabled: slug !== null,
    staleTime: 60_000,
  })
}
