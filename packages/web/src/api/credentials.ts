/**
 * Credentials as the API shows them (SPEC §4 shapes, §6), and the hooks that read and change them:
 * the list (`?tool=`, cursor paging), one credential, create, update, delete, check now, diagnose,
 * and the OAuth app and authorization of a tool. Secrets are only ever sent, never received.
 */
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import type { QueryClient } from '@tanstack/react-query'
import { isApiError } from './client.js'
import type { ApiError } from './client.js'
import { useApi } from './context.js'

/** A credential's health (SPEC §6). */
export type CredentialStatus = 'healthy' | 'degraded' | 'expired' | 'invalid' | 'unchecked'

/** Every status, in the order a user reads them from best to worst-known. */
export const credentialStatuses: readonly CredentialStatus[] = [
  'healthy',
  'degraded',
  'expired',
  'invalid',
  'unchecked',
]

/** What the API shows of one secret field: whether it is set, and a masked hint (`••••abcd`). */
export interface CredentialField {
  readonly set: boolean
  readonly hint: string | null
}

/** A stored connection to a tool; never its secrets. */
export interface Credential {
  readonly id: string
  readonly tool: string
  readonly name: string
  readonly authMethod: string
  readonly externalUserId: string | null
  /** Overrides the tool's base URL for this credential. */
  readonly baseUrl: string | null
  readonly status: CredentialStatus
  readonly statusReason: string | null
  readonly lastCheckedAt: string | null
  readonly lastUsedAt: string | null
  readonly expiresAt: string | null
  readonly fields: Readonly<Record<string, CredentialField>>
  readonly createdAt: string
  readonly updatedAt: string
}

/** `POST /v1/credentials`. */
export interface CreateCredentialInput {
  readonly tool: string
  readonly name: string
  readonly authMethod: string
  readonly secrets: Record<string, unknown>
  readonly externalUserId?: string | null
  readonly baseUrl?: string | null
}

/** `PATCH /v1/credentials/{id}`: given secrets replace the stored ones (null removes one), others are kept. */
export interface UpdateCredentialInput {
  readonly name?: string
  readonly secrets?: Record<string, unknown>
  readonly baseUrl?: string | null
}

/** What `POST /v1/credentials/{id}/check` found. */
export interface HealthCheckOutcome {
  readonly ok: boolean
  /** False when the tool has no health check. */
  readonly checked: boolean
  readonly detail?: string
  readonly errorClass?: string
  readonly durationMs: number
}

/** One troubleshooting check's stable id, in the order they run. */
export type DiagnosticCheckId =
  | 'secrets_present'
  | 'not_expired'
  | 'refresh_works'
  | 'scopes_cover_actions'
  | 'dns'
  | 'tcp'
  | 'tls'
  | 'clock_skew'
  | 'health_check'

/** One check of a diagnosis: what was seen and, when it failed, what to do. */
export interface DiagnosticCheck {
  /** One of {@link DiagnosticCheckId}; a newer server may add others. */
  readonly id: string
  readonly title: string
  readonly status: 'pass' | 'fail' | 'skip'
  readonly observed: string
  readonly fix: string | null
  readonly durationMs: number
}

/** `GET /v1/credentials/{id}/diagnose`: `ok` when no check failed. */
export interface Diagnosis {
  readonly ok: boolean
  readonly checks: readonly DiagnosticCheck[]
}

/** The workspace's OAuth client for a tool (its secret is never returned). */
export interface OAuthApp {
  readonly tool: string
  readonly clientId: string
  readonly clientAuthMethod: 'client_secret_basic' | 'client_secret_post'
  /** Null: the tool's default scopes. */
  readonly scopes: readonly string[] | null
  /** The redirect URI to register at the provider. */
  readonly redirectUri: string
  readonly createdAt: string
  readonly updatedAt: string
}

/** `PUT /v1/oauth/{tool}/app`; leave `clientSecret` out to keep the stored one. */
export interface SaveOAuthAppInput {
  readonly clientId: string
  readonly clientSecret?: string
  readonly scopes?: readonly string[] | null
  readonly clientAuthMethod?: 'client_secret_basic' | 'client_secret_post'
}

/** `POST /v1/oauth/{tool}/authorize`. */
export interface AuthorizeInput {
  readonly authMethod?: string
  readonly name?: string
  readonly externalUserId?: string | null
  readonly scopes?: readonly string[]
  /** Where the browser comes back to afterwards (a path on this Toolplane); `credentialId` is added. */
  readonly redirectTo?: string | null
}

/** The provider URL to open (authorization code), or the credential at once (client credentials). */
export type AuthorizeResult = { url: string; expiresAt: string } | { credential: Credential }

interface Page<T> {
  readonly data: readonly T[]
  readonly nextCursor: string | null
}

/** Query keys, so every change can invalidate exactly what it affects. */
export const credentialKeys = {
  all: ['credentials'] as const,
  lists: () => ['credentials', 'list'] as const,
  list: (tool: string | null) => ['credentials', 'list', { tool }] as const,
  detail: (id: string) => ['credentials', 'detail', id] as const,
  oauthApp: (tool: string) => ['oauth-app', tool] as const,
}

/** How many credentials one page of the list asks for. */
export const credentialPageSize = 100

const path = (id: string) => `/v1/credentials/${encodeURIComponent(id)}`

// After a change: the one credential is known; every list may show it differently now.
function remember(client: QueryClient, credential: Credential): void {
  client.setQueryData(credentialKeys.detail(credential.id), credential)
  void client.invalidateQueries({ queryKey: credentialKeys.lists() })
}

/**
 * The workspace's credentials, newest first, page after page (`fetchNextPage` for more), of one tool
 * or of all.
 *
 * @example
 * const list = useCredentials({ tool: 'github' })
 * const credentials = list.data?.pages.flatMap((p) => p.data) ?? []
 */
export function useCredentials({ tool = null }: { tool?: string | null } = {}) {
  const api = useApi()
  return useInfiniteQuery<
    Page<Credential>,
    ApiError,
    { pages: Page<Credential>[] },
    ReturnType<typeof credentialKeys.list>,
    string | null
  >({
    queryKey: credentialKeys.list(tool),
    queryFn: ({ signal, pageParam }) =>
      api.get<Page<Credential>>('/v1/credentials', {
        query: { tool, limit: credentialPageSize, cursor: pageParam },
        signal,
      }),
    initialPageParam: null,
    getNextPageParam: (last) => last.nextCursor,
  })
}

/** One credential. */
export function useCredential(id: string) {
  const api = useApi()
  return useQuery<Credential, ApiError>({
    queryKey: credentialKeys.detail(id),
    queryFn: ({ signal }) => api.get<Credential>(path(id), { signal }),
  })
}

/** Creates a credential; the lists refresh and the new one is cached. */
export function useCreateCredential() {
  const api = useApi()
  const client = useQueryClient()
  return useMutation<Credential, ApiError, CreateCredentialInput>({
    mutationFn: (input) => api.post<Credential>('/v1/credentials', input),
    onSuccess: (credential) => {
      remember(client, credential)
    },
  })
}

/** Renames a credential, points it elsewhere or replaces secrets. */
export function useUpdateCredential(id: string) {
  const api = useApi()
  const client = useQueryClient()
  return useMutation<Credential, ApiError, UpdateCredentialInput>({
    mutationFn: (input) => api.patch<Credential>(path(id), input),
    onSuccess: (credential) => {
      remember(client, credential)
    },
  })
}

/** Deletes a credential (its OAuth tokens are revoked at the provider first, where it can). */
export function useDeleteCredential() {
  const api = useApi()
  const client = useQueryClient()
  return useMutation<unknown, ApiError, string>({
    mutationFn: (id) => api.delete<unknown>(path(id)),
    onSuccess: (_, id) => {
      client.removeQueries({ queryKey: credentialKeys.detail(id) })
      void client.invalidateQueries({ queryKey: credentialKeys.lists() })
    },
  })
}

/** Runs the tool's health check with the credential now; its new status is cached. */
export function useCheckCredential(id: string) {
  const api = useApi()
  const client = useQueryClient()
  return useMutation<{ credential: Credential; check: HealthCheckOutcome }, ApiError>({
    mutationFn: () =>
      api.post<{ credential: Credential; check: HealthCheckOutcome }>(`${path(id)}/check`, undefined),
    onSuccess: ({ credential }) => {
      remember(client, credential)
    },
  })
}

/**
 * Runs the troubleshooting checks. A mutation, not a query: each run contacts the upstream and may
 * refresh an OAuth token, so it runs when the user asks, never on a cache's schedule.
 */
export function useDiagnoseCredential(id: string) {
  const api = useApi()
  const client = useQueryClient()
  return useMutation<Diagnosis, ApiError>({
    mutationFn: () => api.get<Diagnosis>(`${path(id)}/diagnose`),
    onSettled: () => {
      // A refresh during the diagnosis may have changed the credential's status or expiry.
      void client.invalidateQueries({ queryKey: credentialKeys.detail(id) })
    },
  })
}

/**
 * The workspace's OAuth app for a tool; `null` when none is configured (the server answers a
 * `validation_error` then).
 */
export function useOAuthApp(tool: string, { enabled = true }: { enabled?: boolean } = {}) {
  const api = useApi()
  return useQuery<OAuthApp | null, ApiError>({
    queryKey: credentialKeys.oauthApp(tool),
    queryFn: async ({ signal }) => {
      try {
        return await api.get<OAuthApp>(`/v1/oauth/${encodeURIComponent(tool)}/app`, { signal })
      } catch (error) {
        if (isApiError(error) && error.status === 400 && error.code === 'validation_error') return null
        throw error
      }
    },
    enabled: enabled && tool !== '',
  })
}

/** Saves the workspace's OAuth app for a tool (needs the `admin` scope). */
export function useSaveOAuthApp(tool: string) {
  const api = useApi()
  const client = useQueryClient()
  return useMutation<OAuthApp, ApiError, SaveOAuthAppInput>({
    mutationFn: (input) => api.put<OAuthApp>(`/v1/oauth/${encodeURIComponent(tool)}/app`, input),
    onSuccess: (app) => {
      client.setQueryData(credentialKeys.oauthApp(tool), app)
    },
  })
}

/** Starts connecting an account: the provider URL to open, or (client credentials) the credential. */
export function useAuthorizeOAuth(tool: string) {
  const api = useApi()
  const client = useQueryClient()
  return useMutation<AuthorizeResult, ApiError, AuthorizeInput>({
    mutationFn: (input) =>
      api.post<AuthorizeResult>(`/v1/oauth/${encodeURIComponent(tool)}/authorize`, input),
    onSuccess: (result) => {
      if ('credential' in result) remember(client, result.credential)
    },
  })
}
