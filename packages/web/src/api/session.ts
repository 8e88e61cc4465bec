import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import type { ApiError } from './client.js'
import { useApi } from './context.js'
import { sessionKey } from './query.js'

export interface WorkspaceRef {
  readonly id: string
  readonly slug: string
  readonly name: string
}

/** `GET /v1/me` for a signed-in user or an API key. */
export interface Session {
  readonly workspace: WorkspaceRef
  readonly scopes: readonly string[]
  readonly principal:
    | {
        readonly type: 'user'
        id: string
        email: string
        name: string | null
        role: string
        hasPassword: boolean
      }
    | { readonly type: 'api_key'; id: string; name: string; prefix: string }
  readonly csrfToken?: string
}

/** `POST /v1/auth/login`'s answer. */
interface SignInResponse {
  readonly user: { id: string; email: string; name: string | null }
  readonly workspace: WorkspaceRef
  readonly role: string
  readonly scopes: readonly string[]
  readonly csrfToken: string
  readonly expiresAt: string
}

export interface SignInInput {
  readonly email: string
  readonly password: string
}

/**
 * The signed-in session. Loading it also hands the session's CSRF token to the API client.
 *
 * @example
 * const session = useSession()
 * if (session.data?.principal.type === 'user') greet(session.data.principal.email)
 */
export function useSession() {
  const api = useApi()
  return useQuery<Session, ApiError>({
    queryKey: sessionKey,
    queryFn: async ({ signal }) => {
      const session = await api.get<Session>('/v1/me', { signal })
      api.setCsrfToken(session.csrfToken ?? null)
      return session
    },
    staleTime: 5 * 60_000,
  })
}

/**
 * Signs in with email and password; on success the session is known without asking the server again.
 *
 * @example
 * const signIn = useSignIn()
 * signIn.mutate({ email, password }, { onSuccess: () => navigate('/tools') })
 */
export function useSignIn() {
  const api = useApi()
  const queryClient = useQueryClient()
  return useMutation<Session, ApiError, SignInInput>({
    mutationFn: async (input) => {
      const response = await api.post<SignInResponse>('/v1/auth/login', input)
      return {
        workspace: response.workspace,
        scopes: response.scopes,
        principal: { type: 'user', ...response.user, role: response.role, hasPassword: true },
        csrfToken: response.csrfToken,
      }
    },
    onSuccess: (session) => {
      api.setCsrfToken(session.csrfToken ?? null)
      queryClient.setQueryData(sessionKey, session)
    },
  })
}

/**
 * Ends the session on the server, then leaves (`onSignedOut`) and forgets everything loaded with it,
 * even when the server could not be reached (the session then ends on its own).
 *
 * @example
 * const signOut = useSignOut(() => void navigate('/sign-in'))
 * signOut.mutate()
 */
export function useSignOut(onSignedOut: () => void) {
  const api = useApi()
  const queryClient = useQueryClient()
  return useMutation<undefined, ApiError>({
    mutationFn: () => api.post<undefined>('/v1/auth/logout'),
    onSettled: () => {
      // Leave first: the signed-in pages must not ask for the session again once it is gone.
      onSignedOut()
      api.setCsrfToken(null)
      queryClient.clear()
    },
  })
}
