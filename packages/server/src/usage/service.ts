import type { Clock } from '../auth/context.js'
import { AppError } from '../errors.js'
import type { UsageStore } from './store.js'

/** The result of asking to run executions: admitted and counted, or refused and nothing counted. */
export type Admission =
  | { readonly admitted: true; readonly used: number; readonly quota: number | null }
  | {
      readonly admitted: false
      readonly used: number
      readonly quota: number
      /** Epoch milliseconds: the first millisecond of the next UTC month, when the count starts again. */
      readonly resetAt: number
    }

export type Refusal = Extract<Admission, { admitted: false }>

/** A workspace's executions in one month, as `GET /v1/usage` shows them (SPEC §4). */
export interface Usage {
  /** The UTC calendar month, `YYYY-MM`. */
  readonly period: string
  /** ISO 8601: the period's first millisecond. */
  readonly periodStart: string
  /** ISO 8601: the first millisecond after the period, when the count starts again. */
  readonly periodEnd: string
  /** The workspace's quota now (a past period shows today's quota, not the one it had then); null is unlimited. */
  readonly quota: number | null
  readonly used: number
  /** `quota - used`, never below zero; null when unlimited. */
  readonly remaining: number | null
  /** Tools that ran in the period, most executions first, then by slug. */
  readonly byTool: readonly { readonly tool: string; readonly executions: number }[]
}

const periodPattern = /^(\d{4})-(0[1-9]|1[0-2])$/

/** The JSON Schema pattern of a period, `YYYY-MM`. */
export const periodPatternSource = periodPattern.source

/**
 * The UTC calendar month an instant falls in.
 *
 * @example
 * periodOf(Date.UTC(2026, 0, 31, 23, 59)) // '2026-01'
 */
export function periodOf(ms: number): string {
  const date = new Date(ms)
  return `${String(date.getUTCFullYear()).padStart(4, '0')}-${String(date.getUTCMonth() + 1).padStart(2, '0')}`
}

/**
 * A period's bounds in epoch milliseconds: its first millisecond and the first one after it. Undefined
 * when `period` is not `YYYY-MM`.
 *
 * @example
 * periodBounds('2026-12') // { start: Date.UTC(2026, 11), end: Date.UTC(2027, 0) }
 */
export function periodBounds(period: string): { start: number; end: number } | undefined {
  const match = periodPattern.exec(period)
  if (match === null) return undefined
  const year = Number(match[1])
  const month = Number(match[2]) - 1
  // Date.UTC maps years 0–99 to 1900–1999; setUTCFullYear does not.
  const at = (y: number, m: number) => new Date(0).setUTCFullYear(y, m, 1)
  return { start: at(year, month), end: at(year, month + 1) }
}

function checkCount(count: number): void {
  if (!Number.isSafeInteger(count) || count < 1) {
    throw new RangeError(`count must be a positive integer, got ${String(count)}`)
  }
}

function checkTool(tool: string): void {
  // '' names the row of the workspace's total.
  if (tool === '') throw new RangeError('tool must be a tool slug, not empty')
}

/**
 * The 429 `quota_exceeded` problem for a refused admission, with `Retry-After` (seconds until the
 * quota resets).
 *
 * @example
 * const admission = await usage.admit(workspaceId, 'github', 1)
 * if (!admission.admitted) throw quotaExceeded(admission, 1, clock())
 */
export function quotaExceeded(refusal: Refusal, count: number, nowMs: number): AppError {
  const wanted = count === 1 ? 'one more execution' : `${count} more executions`
  return new AppError(
    'quota_exceeded',
    `The workspace has used ${refusal.used} of its ${refusal.quota} executions this month, so ${wanted} would exceed its quota. The count starts again at ${new Date(refusal.resetAt).toISOString()}.`,
    { headers: { 'Retry-After': String(Math.max(1, Math.ceil((refusal.resetAt - nowMs) / 1000))) } },
  )
}

/**
 * Monthly execution quotas and usage (SPEC §8): admission counts executions against the workspace's
 * quota atomically, and usage reads the counts back.
 *
 * @example
 * const usage = usageService({ store: usageStore(database.db, database.dialect), clock: Date.now })
 * const admission = await usage.admit(workspaceId, 'github', 1)
 */
export function usageService(deps: { store: UsageStore; clock: Clock }) {
  const { store, clock } = deps

  async function read(workspaceId: string, period: string): Promise<Usage> {
    const bounds = periodBounds(period)
    if (bounds === undefined) {
      throw new AppError('validation_error', `The period must be a month as YYYY-MM, not "${period}".`, {
        errors: [{ path: '/query/period', message: 'expected YYYY-MM' }],
      })
    }
    const rows = await store.read(workspaceId, period)
    if (rows === undefined) throw new AppError('not_found', 'The workspace no longer exists.')
    const byTool = rows.tools
      .filter((t) => t.executions > 0)
      .sort((a, b) => b.executions - a.executions || (a.tool < b.tool ? -1 : a.tool > b.tool ? 1 : 0))
    return {
      period,
      periodStart: new Date(bounds.start).toISOString(),
      periodEnd: new Date(bounds.end).toISOString(),
      quota: rows.quota,
      used: rows.total,
      remaining: rows.quota === null ? null : Math.max(0, rows.quota - rows.total),
      byTool,
    }
  }

  return {
    /**
     * Admits `count` executions of `tool` (a batch asks for all its items at once) if the workspace's
     * quota for the month of `nowMs` allows every one of them, and counts them; otherwise counts
     * nothing. Exact under concurrency on both databases. Workspaces without a quota are counted too,
     * so a quota set mid-month sees the month's real use.
     *
     * @example
     * const admission = await usage.admit(workspaceId, 'github', items.length)
     * if (!admission.admitted) throw quotaExceeded(admission, items.length, now)
     */
    async admit(
      workspaceId: string,
      tool: string,
      count: number,
      nowMs: number = clock(),
    ): Promise<Admission> {
      checkTool(tool)
      checkCount(count)
      const period = periodOf(nowMs)
      const row = await store.admit(workspaceId, period, tool, count)
      if (row === undefined) throw new AppError('not_found', 'The workspace no longer exists.')
      if (row.admitted) return { admitted: true, used: row.used, quota: row.quota }
      const bounds = periodBounds(period)
      return {
        admitted: false,
        used: row.used,
        // Only a quota refuses.
        quota: row.quota ?? 0,
        resetAt: bounds?.end ?? nowMs,
      }
    },

    /**
     * Gives back admitted executions that never ran (the request failed after admission), never below
     * zero. Pass the `nowMs` the admission used, so a release just after midnight at the end of a
     * month gives back to the month that counted them.
     *
     * @example
     * await usage.release(workspaceId, 'github', 1, admittedAt)
     */
    async release(workspaceId: string, tool: string, count: number, nowMs: number = clock()): Promise<void> {
      checkTool(tool)
      checkCount(count)
      await store.release(workspaceId, periodOf(nowMs), tool, count)
    },

    /**
     * The workspace's usage in the month of `nowMs`.
     *
     * @example
     * const { used, remaining } = await usage.usage(workspaceId)
     */
    usage(workspaceId: string, nowMs: number = clock()): Promise<Usage> {
      return read(workspaceId, periodOf(nowMs))
    },

    /**
     * The workspace's usage in a given month, `YYYY-MM`; another value is a `validation_error`.
     *
     * @example
     * const december = await usage.usageInPeriod(workspaceId, '2025-12')
     */
    usageInPeriod(workspaceId: string, period: string): Promise<Usage> {
      return read(workspaceId, period)
    },

    /** Resolves once every counter write submitted so far has committed. */
    drain: () => store.drain(),
  }
}

export type UsageService = ReturnType<typeof usageService>
