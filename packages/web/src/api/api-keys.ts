/** API keys (`/v1/api-keys`, admin only): types, the scopes a key can hold, and the hooks of the page. */
import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query'
import type { InfiniteData } from '@tanstack/react-query'
import type { ApiError } from './client.js'
import { useApi } from './context.js'
import type { Page } from './webhooks.js'

/** An API key as listed: never its secret. */
export interface ApiKey {
  readonly id: string
  readonly name: string
  readonly scopes: readonly string[]
  /** The first characters of the key, to recognise it; never enough to use it. */
  readonly prefix: string
  /** A per-key limit overriding the workspace's, such as `10/s,burst=20`. */
  readonly rateLimit: string | null
  readonly lastUsedAt: string | null
  readonly createdAt: string
}

/** The create response: the key and its secret, shown this once. */
export interface CreatedApiKey extends ApiKey {
  readonly key: string
}

/** The scopes of SPEC §1 (the server's `scopes`), with what each allows. */
export const apiKeyScopes: readonly { scope: string; description: string }[] = [
  { scope: 'tools:read', description: 'Browse the tool catalog and the actions’ schemas.' },
  { scope: 'credentials:read', description: 'List credentials and their health (never their secrets).' },
  { scope: 'credentials:write', description: 'Create, change, check and delete credentials.' },
  { scope: 'executions:read', description: 'Search executions and batches and follow them live.' },
  { scope: 'executions:write', description: 'Run actions and batches; retry and cancel executions.' },
  { scope: 'webhooks:read', description: 'List webhook subscriptions and their deliveries.' },
  {
    scope: 'webhooks:write',
    description: 'Create, change, test and delete subscriptions; rotate secrets; replay deliveries.',
  },
  {
    scope: 'admin',
    description: 'Everything, including API keys and workspace settings. Give it to as few keys as you can.',
  },
]

export const apiKeysKey = ['api-keys'] as const

/** The workspace's active keys, newest first, a page at a time. */
export function useApiKeys(enabled = true) {
  const api = useApi()
  return useInfiniteQuery<
    Page<ApiKey>,
    ApiError,
    InfiniteData<Page<ApiKey>>,
    readonly string[],
    string | null
  >({
    queryKey: apiKeysKey,
    queryFn: ({ pageParam, signal }) =>
      api.get<Page<ApiKey>>('/v1/api-keys', { query: { limit: 50, cursor: pageParam }, signal }),
    initialPageParam: null,
    getNextPageParam: (last) => last.nextCursor,
    enabled,
  })
}

export interface ApiKeyInput {
  readonly name: string
  readonly scopes: readonly string[]
  readonly rateLimit?: string | null
}

/** Creates a key; the answer's `key` is the only time the secret is shown. */
export function useCreateApiKey() {
  const api = useApi()
  const queryClient = useQueryClient()
  return useMutation<CreatedApiKey, ApiError, ApiKeyInput>({
    mutationFn: (input) => api.post<CreatedApiKey>('/v1/api-keys', input),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: apiKeysKey }),
  })
}

/** Revokes a key at once: its next request gets a 401. */
export function useRevokeApiKey() {
  const api = useApi()
  const queryClient = useQueryClient()
  return useMutation<undefined, ApiError, string>({
    mutationFn: (id) => api.delete<undefined>(`/v1/api-keys/${encodeURIComponent(id)}`),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: apiKeysKey }),
  })
}
