import { createContext, use } from 'react'
import type { ReactNode } from 'react'
import type { ApiClient } from './client.js'

const ApiContext = createContext<ApiClient | null>(null)

/**
 * Gives the components below it the API client.
 *
 * @example
 * <ApiProvider client={createApiClient()}><App /></ApiProvider>
 */
export function ApiProvider({ client, children }: { client: ApiClient; children: ReactNode }) {
  return <ApiContext value={client}>{children}</ApiContext>
}

/** The API client of the nearest `ApiProvider`. */
export function useApi(): ApiClient {
  const client = use(ApiContext)
  if (client === null) throw new Error('useApi() needs an <ApiProvider> above it')
  return client
}
