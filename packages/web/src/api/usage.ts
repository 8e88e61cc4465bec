/** The workspace's executions against its monthly quota (`GET /v1/usage`, SPEC §8). */
import { useQuery } from '@tanstack/react-query'
import type { ApiError } from './client.js'
import { useApi } from './context.js'

/** One month's use. */
export interface Usage {
  /** The UTC calendar month, `YYYY-MM`. */
  readonly period: string
  readonly periodStart: string
  /** The first instant after the period, when the count starts again. */
  readonly periodEnd: string
  /** Executions allowed per month (the quota now, also for past months); null means unlimited. */
  readonly quota: number | null
  readonly used: number
  readonly remaining: number | null
  /** Executions per tool, most first. */
  readonly byTool: readonly { readonly tool: string; readonly executions: number }[]
}

/**
 * One month's use; `period` null means this month.
 *
 * @example
 * const usage = useUsage('2026-01')
 */
export function useUsage(period: string | null) {
  const api = useApi()
  return useQuery<Usage, ApiError>({
    queryKey: ['usage', period],
    queryFn: ({ signal }) => api.get<Usage>('/v1/usage', { query: { period }, signal }),
    staleTime: 10_000,
  })
}
