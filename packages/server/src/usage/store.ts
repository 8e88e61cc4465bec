import { sql } from 'kysely'
import type { Kysely } from 'kysely'
import type { Dialect } from '../db/database.js'
import type { Schema } from '../db/schema.js'
import { sqliteWriter } from '../db/write-thread.js'
import type { WriteProgram } from '../db/write-thread.js'

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

// SQLite's admission as a write program (run by the write thread, see ../db/write-thread.ts): the
// statements of admitTotal, the tool's upsert (unconditional: the total decided) and currentTotal, as
// SQLite text with `?` parameters.
const sqliteQuota = '(select monthly_execution_quota from workspaces where id = ?)'
const sqliteAdmitTotal = `insert into usage_counters (workspace_id, period, tool, executions)
  select id, cast(? as text), cast(? as text), cast(? as bigint) from workspaces
  where id = ? and (monthly_execution_quota is null or cast(? as bigint) <= monthly_execution_quota)
  on conflict (workspace_id, period, tool) do update
  set executions = usage_counters.executions + excluded.executions
  where ${sqliteQuota} is null or usage_counters.executions + excluded.executions <= ${sqliteQuota}
  returning executions, ${sqliteQuota} as quota`
const sqliteAddToTool = `insert into usage_counters (workspace_id, period, tool, executions)
  values (?, ?, ?, cast(? as bigint))
  on conflict (workspace_id, period, tool) do update
  set executions = usage_counters.executions + excluded.executions`
const sqliteCurrentTotal = `select workspaces.monthly_execution_quota as quota, usage_counters.executions as used
  from workspaces left join usage_counters on usage_counters.workspace_id = workspaces.id
  and usage_counters.period = ? and usage_counters.tool = ?
  where workspaces.id = ?`
const sqliteRelease = `update usage_counters
  set executions = case when executions > ? then executions - ? else 0 end
  where workspace_id = ? and period = ? and tool in (?, ?)`

/**
 * The admission: step 0 the total's upsert (rows when admitted); step 1 the tool's, only then; step 2,
 * only when refused (or no such workspace), the total and quota that refused it, read in the same
 * transaction.
 */
function admissionProgram(workspaceId: string, period: string, tool: string, count: number): WriteProgram {
  return {
    steps: [
      {
        sql: sqliteAdmitTotal,
        parameters: [period, totalRow, count, workspaceId, count, workspaceId, workspaceId, workspaceId],
      },
      {
        sql: sqliteAddToTool,
        parameters: [workspaceId, period, tool, count],
        when: { step: 0, returned: true },
      },
      {
        sql: sqliteCurrentTotal,
        parameters: [period, totalRow, workspaceId],
        when: { step: 0, returned: false },
      },
    ],
  }
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
  // Admission is on every execution's path. On SQLite it goes to the database's writer (a thread of its
  // own), where concurrent admissions share one transaction (each still sees the ones before it: one
  // writer); PostgreSQL commits many at once over the pool, so each goes alone, as one statement.
  const writer = dialect === 'sqlite' ? sqliteWriter(db) : null

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
      if (writer !== null) {
        const [total, , current] = await writer.run(admissionProgram(workspaceId, period, tool, count))
        const admitted = total?.rows[0] as { executions: number; quota: number | null } | undefined
        if (admitted !== undefined)
          return { admitted: true, used: admitted.executions, quota: admitted.quota }
        // Refused, or no such workspace.
        const found = current?.rows[0] as { used: number | null; quota: number | null } | undefined
        return found === undefined
          ? undefined
          : { admitted: false, used: found.used ?? 0, quota: found.quota }
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
      if (writer !== null) {
        await writer.run({
          steps: [{ sql: sqliteRelease, parameters: [count, count, workspaceId, period, totalRow, tool] }],
        })
        return
      }
      await db
        .updateTable('usage_counters')
        .set({
          executions: sql<number>`case when executions > ${count} then executions - ${count} else 0 end`,
        })
        .where('workspace_id', '=', workspaceId)
        .where('period', '=', period)
        .where('tool', 'in', [totalRow, tool])
        .execute()
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

    /** Resolves once every write submitted so far has committed (SQLite's writer). */
    drain: () => writer?.drain() ?? Promise.resolve(),
  }
}

export type UsageStore = ReturnType<typeof usageStore>
