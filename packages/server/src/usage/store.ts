import { sql } from 'kysely'
import type { Kysely } from 'kysely'
import type { Dialect } from '../db/database.js'
import { sharedGroupCommit } from '../db/group-commit.js'
import type { Schema } from '../db/schema.js'

/** The `tool` of the row that counts the workspace's total; the quota is tested against it. */
export const totalRow = ''

/** What an admission did: the total it left (or found) and the quota it was tested against. */
export interface AdmissionRow {
  readonly admitted: boolean
  /** The period's total after the admission, or as found when refused. */
  readonly used: number
  readonly quota: number | null
}

/** A period's counters as stored: the workspace's total and one count per tool. */
export interface UsageRows {
  readonly quota: number | null
  readonly total: number
  readonly tools: readonly { readonly tool: string; readonly executions: number }[]
}

/**
 * Adds `count` to the workspace's total row, creating it, unless the workspace's quota (read in the
 * same statement) would be passed: `returning` gives the new total, or nothing when refused. The
 * upsert locks the row on conflict and tests its `where` against the newest version, so concurrent
 * admissions on PostgreSQL queue on the row and each sees the ones before it: never one too many.
 * `returning` also gives the quota it was tested against, so an admission needs no second read.
 * (One statement instead of "insert … on conflict do nothing" and then a conditional update: the
 * same row lock, one round trip.) Casts, because PostgreSQL does not infer a parameter's type
 * from the target column of `insert … select`.
 */
function admitTotal(workspaceId: string, period: string, count: number) {
  const quota = sql`(select monthly_execution_quota from workspaces where id = ${workspaceId})`
  return sql`insert into usage_counters (workspace_id, period, tool, executions)
    select id, cast(${period} as text), cast(${totalRow} as text), cast(${count} as bigint) from workspaces
    where id = ${workspaceId} and (monthly_execution_quota is null or cast(${count} as bigint) <= monthly_execution_quota)
    on conflict (workspace_id, period, tool) do update
    set executions = usage_counters.executions + excluded.executions
    where ${quota} is null or usage_counters.executions + excluded.executions <= ${quota}
    returning executions, ${quota} as quota`
}

/** Adds `count` to a tool's row, creating it. Unconditional: the total row decided. */
function addToTool(workspaceId: string, period: string, tool: string, count: number) {
  return sql`insert into usage_counters (workspace_id, period, tool, executions)
    values (${workspaceId}, ${period}, ${tool}, cast(${count} as bigint))
    on conflict (workspace_id, period, tool) do update
    set executions = usage_counters.executions + excluded.executions`
}

/**
 * Execution counters per workspace, month and tool (`usage_counters`). Every read and write names
 * the workspace. Periods are `YYYY-MM` strings; the service computes them.
 *
 * @example
 * const store = usageStore(database.db, database.dialect)
 * const result = await store.admit(workspaceId, '2026-01', 'github', 1)
 */
export function usageStore(db: Kysely<Schema>, dialect: Dialect) {
  // Admission is on every execution's path. On SQLite the commit is the cost and runs on this thread,
  // so concurrent admissions share one transaction (each still sees the ones before it: one writer);
  // PostgreSQL commits many at once over the pool, so each goes alone, as one statement.
  const grouped = dialect === 'sqlite' ? sharedGroupCommit(db) : null

  async function currentTotal(
    executor: Kysely<Schema>,
    workspaceId: string,
    period: string,
  ): Promise<{ used: number; quota: number | null } | undefined> {
    const row = await executor
      .selectFrom('workspaces')
      .leftJoin('usage_counters', (join) =>
        join
          .onRef('usage_counters.workspace_id', '=', 'workspaces.id')
          .on('usage_counters.period', '=', period)
          .on('usage_counters.tool', '=', totalRow),
      )
      .select(['workspaces.monthly_execution_quota as quota', 'usage_counters.executions as used'])
      .where('workspaces.id', '=', workspaceId)
      .executeTakeFirst()
    return row === undefined ? undefined : { used: row.used ?? 0, quota: row.quota }
  }

  return {
    /**
     * Counts `count` executions of `tool` in `period` if the quota allows all of them, atomically;
     * otherwise changes nothing. Undefined when the workspace does not exist.
     */
    async admit(
      workspaceId: string,
      period: string,
      tool: string,
      count: number,
    ): Promise<AdmissionRow | undefined> {
      if (grouped !== null) {
        return grouped.run(async (trx) => {
          const { rows } = await admitTotal(workspaceId, period, count).execute(trx)
          const admitted = rows[0] as { executions: number; quota: number | null } | undefined
          if (admitted === undefined) {
            // Refused, or no such workspace: read what refused it.
            const found = await currentTotal(trx, workspaceId, period)
            return found === undefined ? undefined : { admitted: false, ...found }
          }
          await addToTool(workspaceId, period, tool, count).execute(trx)
          return { admitted: true, used: admitted.executions, quota: admitted.quota }
        })
      }
      // One statement: the total's upsert, the tool's upsert only when the total was admitted, and
      // the quota the total was tested against.
      const { rows } = await sql<{ used: number | null; quota: number | null; found: boolean }>`
        with total as (${admitTotal(workspaceId, period, count)}),
        per_tool as (
          insert into usage_counters (workspace_id, period, tool, executions)
          select cast(${workspaceId} as text), cast(${period} as text), cast(${tool} as text), cast(${count} as bigint)
          from total
          on conflict (workspace_id, period, tool) do update
          set executions = usage_counters.executions + excluded.executions
        )
        select (select executions from total) as used,
          (select monthly_execution_quota from workspaces where id = ${workspaceId}) as quota,
          exists (select 1 from workspaces where id = ${workspaceId}) as found`.execute(db)
      const row = rows[0]
      if (row === undefined || !row.found) return undefined
      if (row.used !== null) return { admitted: true, used: row.used, quota: row.quota }
      // Refused. Read the total again, outside the statement's snapshot, so the refusal shows the
      // count that refused it rather than an older one.
      const found = await currentTotal(db, workspaceId, period)
      return found === undefined ? undefined : { admitted: false, ...found }
    },

    /** Takes `count` back from the total and the tool's row of `period`, never below zero. */
    async release(workspaceId: string, period: string, tool: string, count: number): Promise<void> {
      const write = (executor: Kysely<Schema>) =>
        executor
          .updateTable('usage_counters')
          .set({
            executions: sql<number>`case when executions > ${count} then executions - ${count} else 0 end`,
          })
          .where('workspace_id', '=', workspaceId)
          .where('period', '=', period)
          .where('tool', 'in', [totalRow, tool])
          .execute()
      await (grouped === null ? write(db) : grouped.run(write))
    },

    /** The quota and a period's counters; undefined when the workspace does not exist. */
    async read(workspaceId: string, period: string): Promise<UsageRows | undefined> {
      const rows = await db
        .selectFrom('workspaces')
        .leftJoin('usage_counters', (join) =>
          join
            .onRef('usage_counters.workspace_id', '=', 'workspaces.id')
            .on('usage_counters.period', '=', period),
        )
        .select([
          'workspaces.monthly_execution_quota as quota',
          'usage_counters.tool as tool',
          'usage_counters.executions as executions',
        ])
        .where('workspaces.id', '=', workspaceId)
        .execute()
      const first = rows[0]
      if (first === undefined) return undefined
      let total = 0
      const tools: { tool: string; executions: number }[] = []
      for (const row of rows) {
        if (row.tool === null) continue
        const executions = row.executions ?? 0
        if (row.tool === totalRow) total = executions
        else tools.push({ tool: row.tool, executions })
      }
      return { quota: first.quota, total, tools }
    },

    /** Resolves once every write submitted so far has committed (SQLite's grouped writes). */
    drain: () => grouped?.drain() ?? Promise.resolve(),
  }
}

export type UsageStore = ReturnType<typeof usageStore>
