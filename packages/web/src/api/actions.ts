/**
 * Running an action from the UI: the credentials a tool can run with, running (sync, or async and
 * following it until it ends), retrying a failed execution, and sample inputs. Shapes from
 * packages/server/src/executions/routes.ts and tools/routes.ts.
 */
import { useMutation, useQuery } from '@tanstack/react-query'
import { useEffect, useRef } from 'react'
import type { ApiClient, ApiError } from './client.js'
import { useApi } from './context.js'
import type { Credential } from './credentials.js'
import type { Execution } from './executions.js'
import { isFinished } from './executions.js'

interface Page<T> {
  readonly data: readonly T[]
  readonly nextCursor: string | null
}

/** The most credentials the picker lists; a tool with more is managed on the credentials page. */
const credentialPageSize = 200

/**
 * The credentials of one tool, for the action page's picker (`GET /v1/credentials?tool=`).
 *
 * @example
 * const credentials = useToolCredentials('github', true)
 */
export function useToolCredentials(tool: string, enabled: boolean) {
  const api = useApi()
  return useQuery<readonly Credential[], ApiError>({
    queryKey: ['credentials', { tool }],
    queryFn: async ({ signal }) => {
      const page = await api.get<Page<Credential>>('/v1/credentials', {
        query: { tool, limit: credentialPageSize },
        signal,
      })
      return page.data
    },
    enabled,
  })
}

/** What `POST /v1/executions` is asked to run. */
export interface RunRequest {
  /** `tool.action`. */
  readonly action: string
  readonly credentialId: string | null
  readonly input: unknown
  readonly mode: 'sync' | 'async'
}

export interface FollowOptions {
  readonly signal?: AbortSignal
  /** Called with each state the execution is seen in while it is followed (queued, running…). */
  readonly onUpdate?: (execution: Execution) => void
  /** The first wait between polls; it grows by half each time up to `maxPollMs`. */
  readonly firstPollMs?: number
  readonly maxPollMs?: number
}

function wait(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(signal.reason as Error)
      return
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', abort)
      resolve()
    }, ms)
    const abort = () => {
      clearTimeout(timer)
      reject(signal?.reason as Error)
    }
    signal?.addEventListener('abort', abort, { once: true })
  })
}

/**
 * Polls `GET /v1/executions/{id}` until the execution has ended, waiting longer between polls as it
 * goes on (0.5 s, 0.75 s, … up to 5 s): quick runs show quickly, long ones do not flood the server.
 *
 * @example
 * const finished = await followExecution(api, queued, { onUpdate: setProgress })
 */
export async function followExecution(
  api: ApiClient,
  execution: Execution,
  { signal, onUpdate, firstPollMs = 500, maxPollMs = 5000 }: FollowOptions = {},
): Promise<Execution> {
  let current = execution
  let delay = firstPollMs
  while (!isFinished(current.status)) {
    onUpdate?.(current)
    await wait(delay, signal)
    delay = Math.min(Math.round(delay * 1.5), maxPollMs)
    current = await api.get<Execution>(`/v1/executions/${encodeURIComponent(current.id)}`, {
      ...(signal === undefined ? {} : { signal }),
    })
  }
  return current
}

/**
 * Runs an action and answers with the finished execution. A sync run answers at once (a run that
 * failed upstream is still an execution, with its `error`); an async one is queued (202) and followed
 * until it ends. A request the server refuses (invalid input, over quota, rate limited) throws its
 * `ApiError`.
 *
 * @example
 * const execution = await runAction(api, { action: 'http.request', credentialId, input, mode: 'sync' })
 */
export async function runAction(
  api: ApiClient,
  request: RunRequest,
  options: FollowOptions = {},
): Promise<Execution> {
  const started = await api.post<Execution>(
    '/v1/executions',
    { action: request.action, credentialId: request.credentialId, input: request.input, mode: request.mode },
    options.signal === undefined ? {} : { signal: options.signal },
  )
  return followExecution(api, started, options)
}

/**
 * Retries a failed or cancelled execution as a new one (`retryOf` links it) and answers with the new
 * execution once it has ended.
 *
 * @example
 * const next = await retryExecution(api, failed.id)
 */
export async function retryExecution(
  api: ApiClient,
  id: string,
  options: FollowOptions = {},
): Promise<Execution> {
  const started = await api.post<Execution>(
    `/v1/executions/${encodeURIComponent(id)}/retry`,
    // The route validates its body as an object even though every member is optional.
    {},
    options.signal === undefined ? {} : { signal: options.signal },
  )
  return followExecution(api, started, options)
}

/** One execution (`GET /v1/executions/{id}`), for the result the page's address names. */
export function useExecution(id: string | null) {
  const api = useApi()
  return useQuery<Execution, ApiError>({
    queryKey: ['executions', id],
    queryFn: ({ signal }) => api.get<Execution>(`/v1/executions/${encodeURIComponent(id ?? '')}`, { signal }),
    enabled: id !== null,
    staleTime: Infinity,
  })
}

/** An abort signal that fires when the component unmounts, so a followed run stops polling. */
function useUnmountSignal(): () => AbortSignal {
  const controller = useRef<AbortController | null>(null)
  useEffect(() => {
    const current = new AbortController()
    controller.current = current
    return () => {
      current.abort(new DOMException('The page was left', 'AbortError'))
    }
  }, [])
  return () => controller.current?.signal ?? new AbortController().signal
}

/**
 * Runs an action (see `runAction`); `onUpdate` hears of a queued or running async execution.
 *
 * @example
 * const run = useRunAction(setProgress)
 * run.mutate({ action: 'http.request', credentialId, input, mode: 'async' })
 */
export function useRunAction(onUpdate?: (execution: Execution) => void) {
  const api = useApi()
  const signal = useUnmountSignal()
  return useMutation<Execution, ApiError, RunRequest>({
    mutationFn: (request) =>
      runAction(api, request, { signal: signal(), ...(onUpdate === undefined ? {} : { onUpdate }) }),
  })
}

/**
 * The function that retries an execution and follows the new one to its end, for `useRetry`.
 *
 * @example
 * const retry = useRetryExecution(setProgress)
 * const next = await retry(failed.id)
 */
export function useRetryExecution(onUpdate?: (execution: Execution) => void) {
  const api = useApi()
  const signal = useUnmountSignal()
  return (id: string) =>
    retryExecution(api, id, { signal: signal(), ...(onUpdate === undefined ? {} : { onUpdate }) })
}

/** `GET /v1/tools/{tool}/actions/{action}/sample-input`. */
export interface SampleInput {
  readonly seed: number
  readonly input: unknown
}

/**
 * A valid sample input for an action; the same `seed` gives the same input.
 *
 * @example
 * const { input } = await fetchSampleInput(api, 'http', 'request', 3)
 */
export function fetchSampleInput(
  api: ApiClient,
  tool: string,
  action: string,
  seed: number,
): Promise<SampleInput> {
  return api.get<SampleInput>(
    `/v1/tools/${encodeURIComponent(tool)}/actions/${encodeURIComponent(action)}/sample-input`,
    { query: { seed } },
  )
}

/** Asks for a sample input (a mutation: each press asks anew, with its own seed). */
export function useSampleInput(tool: string, action: string) {
  const api = useApi()
  return useMutation<SampleInput, ApiError, number>({
    mutationFn: (seed) => fetchSampleInput(api, tool, action, seed),
  })
}
