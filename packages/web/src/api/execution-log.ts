/**
 * The execution log over HTTP: search with filters and cursor pages, one execution (refreshed until it
 * finishes), retry, cancel, and the live tail (`GET /v1/executions/stream`, Server-Sent Events).
 */
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import type { InfiniteData, QueryClient } from '@tanstack/react-query'
import { useCallback, useEffect, useRef, useState } from 'react'
import type { ApiClient, ApiError } from './client.js'
import { useApi } from './context.js'
import { isFinished } from './executions.js'
import type { Execution, ExecutionStatus, ExecutionSummary } from './executions.js'

/** The filters of the search and the live tail, as the query string names them (SPEC §4). */
export interface ExecutionFilters {
  readonly status?: ExecutionStatus
  readonly tool?: string
  /** `tool.action`, or the action's name together with `tool`. */
  readonly action?: string
  readonly credentialId?: string
  readonly batchId?: string
  /** ISO 8601: created at or after. */
  readonly from?: string
  /** ISO 8601: created before. */
  readonly to?: string
  /** Words searched (by prefix) in the action, the error and the non-secret input and output. */
  readonly q?: string
}

export type FilterName = keyof ExecutionFilters

/** Every filter, in the order the address lists them. */
export const filterNames: readonly FilterName[] = [
  'status',
  'tool',
  'action',
  'credentialId',
  'batchId',
  'from',
  'to',
  'q',
]

export const executionStatuses: readonly ExecutionStatus[] = [
  'queued',
  'running',
  'succeeded',
  'failed',
  'cancelled',
]

function isStatus(value: string): value is ExecutionStatus {
  return (executionStatuses as readonly string[]).includes(value)
}

/**
 * The filters in an address's query; unknown statuses, unreadable times and empty values are left out,
 * so a hand-edited link never makes the server answer 400.
 *
 * @example
 * filtersFromParams(new URLSearchParams('status=failed&q=timeout')) // { status: 'failed', q: 'timeout' }
 */
export function filtersFromParams(params: URLSearchParams): ExecutionFilters {
  const filters: Partial<Record<FilterName, string>> = {}
  for (const name of filterNames) {
    const value = params.get(name)?.trim()
    if (value === undefined || value === '') continue
    if (name === 'status' && !isStatus(value)) continue
    if ((name === 'from' || name === 'to') && Number.isNaN(Date.parse(value))) continue
    filters[name] = value.slice(0, name === 'q' || name === 'action' ? 200 : 100)
  }
  return filters as ExecutionFilters
}

/**
 * `params` with its filters replaced by `filters` (other members, such as `execution`, are kept).
 *
 * @example
 * withFilters(new URLSearchParams('execution=e1'), { status: 'failed' }).toString() // 'execution=e1&status=failed'
 */
export function withFilters(params: URLSearchParams, filters: ExecutionFilters): URLSearchParams {
  const next = new URLSearchParams(params)
  for (const name of filterNames) next.delete(name)
  for (const name of filterNames) {
    const value = filters[name]
    if (value !== undefined && value !== '') next.set(name, value)
  }
  return next
}

/** Whether any filter is set. */
export function hasFilters(filters: ExecutionFilters): boolean {
  return filterNames.some((name) => filters[name] !== undefined && filters[name] !== '')
}

/** The filters as query parameters for the API (only those set). */
function filterQuery(filters: ExecutionFilters): Record<string, string> {
  const query: Record<string, string> = {}
  for (const name of filterNames) {
    const value = filters[name]
    if (value !== undefined && value !== '') query[name] = value
  }
  return query
}

/**
 * The execution as the list and the live tail show it: without input and output, which a row never
 * shows and which would make 100,000 loaded rows weigh far more.
 *
 * @example
 * summaryOf(execution).attempts // 3
 */
export function summaryOf(execution: Execution): ExecutionSummary {
  return {
    id: execution.id,
    action: execution.action,
    tool: execution.tool,
    credentialId: execution.credentialId,
    status: execution.status,
    mode: execution.mode,
    errorClass: execution.error?.class ?? null,
    errorMessage: execution.error?.message ?? null,
    attempts: execution.attempts.length,
    batchId: execution.batchId,
    batchIndex: execution.batchIndex,
    retryOf: execution.retryOf,
    correlationId: execution.correlationId,
    createdAt: execution.createdAt,
    finishedAt: execution.finishedAt,
    durationMs: execution.durationMs,
  }
}

/** One page of the log as it is kept: summaries, and the cursor of the next page. */
export interface ExecutionPage {
  readonly data: readonly ExecutionSummary[]
  readonly nextCursor: string | null
}

/** How many executions a page asks for (the server gives at most 200). */
export const executionPageSize = 100

export const executionKeys = {
  all: ['executions'] as const,
  lists: () => [...executionKeys.all, 'list'] as const,
  list: (filters: ExecutionFilters) => [...executionKeys.lists(), filterQuery(filters)] as const,
  one: (id: string) => [...executionKeys.all, 'one', id] as const,
}

async function fetchPage(
  api: ApiClient,
  filters: ExecutionFilters,
  cursor: string | null,
  limit: number,
  signal?: AbortSignal,
): Promise<ExecutionPage> {
  const page = await api.get<{ data: Execution[]; nextCursor: string | null }>('/v1/executions', {
    query: { ...filterQuery(filters), limit, cursor },
    ...(signal === undefined ? {} : { signal }),
  })
  return { data: page.data.map(summaryOf), nextCursor: page.nextCursor }
}

/**
 * The log, newest first, one cursor page at a time: call `fetchNextPage` as the user nears the end of
 * what is loaded, never everything at once.
 *
 * @example
 * const log = useExecutionList({ status: 'failed' })
 * const rows = log.data?.pages.flatMap((p) => p.data) ?? []
 */
export function useExecutionList(filters: ExecutionFilters, pageSize: number = executionPageSize) {
  const api = useApi()
  return useInfiniteQuery<
    ExecutionPage,
    ApiError,
    InfiniteData<ExecutionPage, string | null>,
    ReturnType<typeof executionKeys.list>,
    string | null
  >({
    queryKey: executionKeys.list(filters),
    queryFn: ({ pageParam, signal }) => fetchPage(api, filters, pageParam, pageSize, signal),
    initialPageParam: null,
    getNextPageParam: (last) => last.nextCursor,
    // The live tail shows what is new; refetching every loaded page on focus would be thousands of rows.
    refetchOnWindowFocus: false,
    staleTime: 60_000,
  })
}

/** How often an execution that has not finished is read again. */
export const unfinishedRefreshMs = 1000

/**
 * One execution with its attempts, input and output; read again every second until it has finished.
 *
 * @example
 * const execution = useExecution(id)
 */
export function useExecution(id: string | null) {
  const api = useApi()
  return useQuery<Execution, ApiError>({
    queryKey: executionKeys.one(id ?? ''),
    queryFn: ({ signal }) => api.get<Execution>(`/v1/executions/${encodeURIComponent(id ?? '')}`, { signal }),
    enabled: id !== null,
    refetchInterval: (query) => {
      const status = query.state.data?.status
      return status !== undefined && !isFinished(status) ? unfinishedRefreshMs : false
    },
    staleTime: 5_000,
  })
}

function remember(client: QueryClient, execution: Execution) {
  client.setQueryData(executionKeys.one(execution.id), execution)
}

/**
 * Runs a failed or cancelled execution again as a new one (`retryOf` links them). It is queued
 * (`async`), so the answer is immediate and the new execution can be watched as it runs.
 *
 * @example
 * const retry = useRetryExecution()
 * retry.mutate(execution.id, { onSuccess: (next) => open(next.id) })
 */
export function useRetryExecution() {
  const api = useApi()
  const client = useQueryClient()
  return useMutation<Execution, ApiError, string>({
    mutationFn: (id) =>
      api.post<Execution>(`/v1/executions/${encodeURIComponent(id)}/retry`, { mode: 'async' }),
    onSuccess: (execution) => {
      remember(client, execution)
    },
  })
}

/**
 * Cancels a queued or running execution; the answer is the execution as it then stands.
 *
 * @example
 * const cancel = useCancelExecution()
 * cancel.mutate(execution.id)
 */
export function useCancelExecution() {
  const api = useApi()
  const client = useQueryClient()
  return useMutation<Execution, ApiError, string>({
    mutationFn: (id) => api.post<Execution>(`/v1/executions/${encodeURIComponent(id)}/cancel`),
    onSuccess: (execution) => {
      remember(client, execution)
    },
  })
}

/** Where the live tail's connection stands. */
export type TailConnection = 'off' | 'connecting' | 'open' | 'reconnecting'

/** The wait before reconnecting after the `failures`-th failure in a row: 1 s, 2 s, 4 s … at most 30 s. */
export function reconnectDelay(failures: number): number {
  return Math.min(1000 * 2 ** Math.max(0, failures - 1), 30_000)
}

/** One live event as the stream sends it: the summary plus what happened (`execution.failed`, …). */
type TailEvent = ExecutionSummary & { readonly type?: string }

function isSummary(value: unknown): value is TailEvent {
  if (typeof value !== 'object' || value === null) return false
  const record = value as Record<string, unknown>
  return (
    typeof record.id === 'string' &&
    typeof record.action === 'string' &&
    typeof record.status === 'string' &&
    typeof record.createdAt === 'string'
  )
}

function withoutType(event: TailEvent): ExecutionSummary {
  const { type: _type, ...summary } = event
  return summary
}

/** Whether a live execution falls in the time window of the filters (the stream does not filter by time). */
function inWindow(filters: ExecutionFilters, summary: ExecutionSummary): boolean {
  const created = Date.parse(summary.createdAt)
  if (filters.from !== undefined && created < Date.parse(filters.from)) return false
  if (filters.to !== undefined && created >= Date.parse(filters.to)) return false
  return true
}

/** The live executions: the latest state of each, by id, newest first. */
export interface TailState {
  /** Newest first (ids are time-ordered). */
  readonly items: readonly ExecutionSummary[]
  /** Events that arrived while paused, latest state per id, to merge on resume. */
  readonly held: ReadonlyMap<string, ExecutionSummary>
}

const emptyTail: TailState = { items: [], held: new Map() }

/**
 * Merges executions into a list: a known id is replaced in place by its newer state, a new one goes on
 * top; the result stays newest first.
 *
 * @example
 * mergeLive(items, [queued, succeededLater]) // one row per id
 */
export function mergeLive(
  items: readonly ExecutionSummary[],
  incoming: Iterable<ExecutionSummary>,
): ExecutionSummary[] {
  const byId = new Map(items.map((item) => [item.id, item]))
  let added = false
  for (const summary of incoming) {
    if (!byId.has(summary.id)) added = true
    byId.set(summary.id, summary)
  }
  const merged = [...byId.values()]
  // Ids are UUIDv7: in creation order. Only a new id can change the order.
  if (added) merged.sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
  return merged
}

export interface ExecutionTailOptions {
  readonly filters: ExecutionFilters
  /** Whether the tail is on (a connection is open). */
  readonly enabled: boolean
  /** The most live executions kept; older ones are still in the list below. */
  readonly keep?: number
  /** Whether an execution is shown already (in the loaded pages): it is not counted as new. */
  readonly known?: (id: string) => boolean
}

/**
 * The live tail: an `EventSource` on `GET /v1/executions/stream` with the list's filters (same origin,
 * the session cookie authenticates it). The connection is re-opened after a failure with backoff (1 s,
 * 2 s, 4 s … 30 s); after a reconnection the newest page is read once, so what happened in the gap is
 * not lost. Each execution appears once, in its latest state. While paused, events are held and
 * counted (`newCount`: executions not shown yet); `resume` merges them.
 *
 * @example
 * const tail = useExecutionTail({ filters, enabled: live })
 * {tail.paused && tail.newCount > 0 && <button onClick={tail.resume}>{tail.newCount} new</button>}
 */
export function useExecutionTail({ filters, enabled, keep = 1000, known }: ExecutionTailOptions) {
  const api = useApi()
  const [state, setState] = useState<TailState>(emptyTail)
  const [connection, setConnection] = useState<TailConnection>('off')
  const [retryInMs, setRetryInMs] = useState<number | null>(null)
  const [paused, setPaused] = useState(false)
  const pausedRef = useRef(paused)
  pausedRef.current = paused

  const filterKey = JSON.stringify(filterQuery(filters))

  const ingest = useCallback(
    (incoming: readonly ExecutionSummary[]) => {
      if (incoming.length === 0) return
      setState((current) => {
        if (pausedRef.current) {
          const held = new Map(current.held)
          for (const summary of incoming) held.set(summary.id, summary)
          return { items: current.items, held }
        }
        return { items: mergeLive(current.items, incoming).slice(0, keep), held: current.held }
      })
    },
    [keep],
  )

  // A new set of filters starts an empty tail: what was shown matched the old ones.
  useEffect(() => {
    setState(emptyTail)
  }, [filterKey, enabled])

  useEffect(() => {
    if (!enabled) {
      setConnection('off')
      setRetryInMs(null)
      return
    }
    const current = JSON.parse(filterKey) as ExecutionFilters
    const search = new URLSearchParams(filterQuery(current)).toString()
    const url = `/v1/executions/stream${search === '' ? '' : `?${search}`}`
    let source: EventSource | null = null
    let timer: ReturnType<typeof setTimeout> | null = null
    let failures = 0
    let openedBefore = false
    let stopped = false
    const catchUp = new AbortController()

    const onExecution = (event: MessageEvent<string>) => {
      let data: unknown
      try {
        data = JSON.parse(event.data)
      } catch {
        return
      }
      if (!isSummary(data)) return
      const summary = withoutType(data)
      if (inWindow(current, summary)) ingest([summary])
    }

    const connect = () => {
      setConnection(openedBefore ? 'reconnecting' : 'connecting')
      setRetryInMs(null)
      const opened = new EventSource(url)
      source = opened
      opened.addEventListener('execution', onExecution as EventListener)
      opened.onopen = () => {
        failures = 0
        setConnection('open')
        if (openedBefore) {
          // What ran while the connection was down: the newest page, merged (each id once).
          fetchPage(api, current, null, executionPageSize, catchUp.signal).then(
            (page) => {
              ingest(page.data)
            },
            () => undefined,
          )
        }
        openedBefore = true
      }
      opened.onerror = () => {
        // EventSource retries by itself only for some failures and never after an HTTP error; one
        // schedule with backoff covers all of them.
        opened.close()
        if (stopped) return
        failures += 1
        const delay = reconnectDelay(failures)
        setConnection('reconnecting')
        setRetryInMs(delay)
        timer = setTimeout(connect, delay)
      }
    }
    connect()
    return () => {
      stopped = true
      catchUp.abort()
      if (timer !== null) clearTimeout(timer)
      source?.close()
    }
  }, [api, enabled, filterKey, ingest])

  const pause = useCallback(() => {
    pausedRef.current = true
    setPaused(true)
  }, [])

  const resume = useCallback(() => {
    pausedRef.current = false
    setPaused(false)
    setState((current) =>
      current.held.size === 0
        ? current
        : { items: mergeLive(current.items, current.held.values()).slice(0, keep), held: new Map() },
    )
  }, [keep])

  const shown = new Set(state.items.map((item) => item.id))
  let newCount = 0
  for (const id of state.held.keys()) if (!shown.has(id) && known?.(id) !== true) newCount += 1

  return {
    /** Live executions, newest first, each in its latest state. */
    items: state.items,
    connection,
    /** When reconnecting: the wait before the next try, in milliseconds. */
    retryInMs,
    paused,
    /** Executions that arrived while paused and are not shown yet. */
    newCount,
    pause,
    resume,
  }
}
