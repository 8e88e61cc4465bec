import { useQuery } from '@tanstack/react-query'
import type { ApiClient, ApiError } from './client.js'
import { useApi } from './context.js'

/** A tool in the catalog list (`GET /v1/tools`). */
export interface ToolSummary {
  readonly slug: string
  readonly name: string
  readonly description: string
  readonly version: string
  readonly categories: readonly string[]
  readonly icon: string | null
  readonly source: 'builtin' | 'plugin' | 'imported'
  readonly authMethods: readonly { id: string; kind: string; title: string }[]
  readonly actions: readonly { name: string; title: string; description: string }[]
}

/** A JSON Schema, as the server sends it. */
export type JsonSchema = Readonly<Record<string, unknown>>

export interface AuthMethod {
  readonly id: string
  readonly kind: string
  readonly title: string
  readonly fields: JsonSchema
  readonly grant?: string
  readonly authorizationUrl?: string
  readonly tokenUrl?: string
  readonly scopes?: readonly string[]
  readonly pkce?: boolean
  readonly in?: string
  readonly name?: string
}

export interface Action {
  readonly name: string
  /** `tool.action`, as executions name it. */
  readonly id: string
  readonly functionName: string
  readonly title: string
  readonly description: string
  readonly input: JsonSchema
  readonly output: JsonSchema
  readonly examples: readonly { title?: string; input: unknown; output?: unknown }[]
  readonly timeoutMs: number
  readonly retry: { maxAttempts: number; idempotent: boolean | 'depends_on_input' }
  readonly scopes: readonly string[]
}

/** One tool with everything about it (`GET /v1/tools/{tool}`). */
export interface Tool extends Omit<ToolSummary, 'authMethods' | 'actions'> {
  readonly baseUrl: string | null
  readonly authMethods: readonly AuthMethod[]
  readonly actions: readonly Action[]
  readonly triggers: readonly { event: string; title: string; description: string; verifier: string }[]
  readonly rateLimits: readonly {
    scope: string
    limit: number
    windowSeconds: number
    actions?: readonly string[]
  }[]
  readonly healthCheck: boolean
}

interface Page<T> {
  readonly data: readonly T[]
  readonly nextCursor: string | null
}

/** The largest page the server gives. */
const pageSize = 200

/**
 * Every tool in the catalog, page after page: the tool browser filters them in the browser as the
 * user types.
 *
 * @example
 * const tools = await fetchAllTools(api)
 */
export async function fetchAllTools(api: ApiClient, signal?: AbortSignal): Promise<ToolSummary[]> {
  const tools: ToolSummary[] = []
  const seen = new Set<string>()
  let cursor: string | null = null
  do {
    const page: Page<ToolSummary> = await api.get<Page<ToolSummary>>('/v1/tools', {
      query: { limit: pageSize, cursor },
      ...(signal === undefined ? {} : { signal }),
    })
    tools.push(...page.data)
    cursor = page.nextCursor
    // A cursor seen before would loop for ever; the server never sends one, but stop if it did.
    if (cursor !== null && seen.has(cursor)) break
    if (cursor !== null) seen.add(cursor)
  } while (cursor !== null)
  return tools
}

/** The whole catalog. */
export function useTools() {
  const api = useApi()
  return useQuery<ToolSummary[], ApiError>({
    queryKey: ['tools'],
    queryFn: ({ signal }) => fetchAllTools(api, signal),
    staleTime: 60_000,
  })
}

/** One tool with its auth methods and actions. */
export function useTool(slug: string) {
  const api = useApi()
  return useQuery<Tool, ApiError>({
    queryKey: ['tools', slug],
    queryFn: ({ signal }) => api.get<Tool>(`/v1/tools/${encodeURIComponent(slug)}`, { signal }),
    staleTime: 60_000,
  })
}
