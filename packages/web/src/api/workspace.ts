/** The caller's workspace (`/v1/workspace`): its name, monthly execution quota and per-key API limit. */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import type { ApiError } from './client.js'
import { useApi } from './context.js'
import { sessionKey } from './query.js'

export interface Workspace {
  readonly id: string
  readonly slug: string
  readonly name: string
  /** Executions allowed per calendar month; null means unlimited. */
  readonly monthlyExecutionQuota: number | null
  /** The per-API-key limit in force, such as `100/s,burst=200`. */
  readonly apiRateLimit: string
  /** True when the server's default limit applies. */
  readonly apiRateLimitIsDefault: boolean
  readonly createdAt: string
  readonly updatedAt: string
}

/** What PATCH takes; `apiRateLimit: null` goes back to the server default. */
export interface WorkspaceChanges {
  readonly name?: string
  readonly monthlyExecutionQuota?: number | null
  readonly apiRateLimit?: string | null
}

export const workspaceKey = ['workspace'] as const

/** The caller's workspace. */
export function useWorkspace() {
  const api = useApi()
  return useQuery<Workspace, ApiError>({
    queryKey: workspaceKey,
    queryFn: ({ signal }) => api.get<Workspace>('/v1/workspace', { signal }),
  })
}

/**
 * Changes the workspace (owners and admins). The session is read again too: it carries the
 * workspace's name, which the header shows.
 */
export function useUpdateWorkspace() {
  const api = useApi()
  const queryClient = useQueryClient()
  return useMutation<Workspace, ApiError, WorkspaceChanges>({
    mutationFn: (changes) => api.patch<Workspace>('/v1/workspace', changes),
    onSuccess: async (workspace) => {
      queryClient.setQueryData(workspaceKey, workspace)
      await queryClient.invalidateQueries({ queryKey: sessionKey })
    },
  })
}
