import { QueryCache, QueryClient } from '@tanstack/react-query'
import { hasStatus, isApiError } from './client.js'

/** Attempts a failed query gets before its error is shown (the first try plus two retries). */
const maxAttempts = 3

/**
 * Whether a failed query should be tried again: never for a request the server refused (4xx, other
 * than a rate limit), a few times for no response, a rate limit or a server error.
 *
 * @example
 * shouldRetry(0, new ApiError({ status: 404, code: 'not_found', title: '', detail: '' })) // false
 */
export function shouldRetry(failureCount: number, error: unknown): boolean {
  if (isApiError(error) && !error.retryable) return false
  return failureCount < maxAttempts - 1
}

/**
 * How long to wait before the next try: what `Retry-After` said (at most 30 s), else 1 s, 2 s, 4 s….
 *
 * @example
 * retryDelay(0, rateLimitedError) // its Retry-After in milliseconds
 */
export function retryDelay(failureCount: number, error: unknown): number {
  if (isApiError(error) && error.retryAfter !== null) return Math.min(error.retryAfter * 1000, 30_000)
  return Math.min(1000 * 2 ** failureCount, 8000)
}

/** The query key of the signed-in session (`GET /v1/me`). */
export const sessionKey = ['session'] as const

/**
 * The app's query client. A 401 from any query but the session's own means the session ended
 * elsewhere: the session is fetched again, and the sign-in guard takes the user to sign in.
 *
 * @example
 * <QueryClientProvider client={createQueryClient()}>…</QueryClientProvider>
 */
export function createQueryClient(): QueryClient {
  const client: QueryClient = new QueryClient({
    queryCache: new QueryCache({
      onError: (error, query) => {
        if (hasStatus(error, 401) && query.queryKey[0] !== sessionKey[0]) {
          void client.invalidateQueries({ queryKey: sessionKey })
        }
      },
    }),
    defaultOptions: {
      queries: { retry: shouldRetry, retryDelay, staleTime: 30_000 },
      mutations: { retry: false },
    },
  })
  return client
}
