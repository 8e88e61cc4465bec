import type { Kysely } from 'kysely'

// Executions counted per workspace, calendar month (UTC, 'YYYY-MM') and tool, for the monthly quota
// (SPEC §8). The row with tool '' is the workspace's total, which admission tests against the quota;
// the per-tool rows feed `byTool`. bigint: an unlimited workspace at 1,000 executions a second
// passes 2^31 within a month. See usage/README.md.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('usage_counters')
    .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
    .addColumn('period', 'text', (c) => c.notNull())
    .addColumn('tool', 'text', (c) => c.notNull())
    .addColumn('executions', 'bigint', (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('usage_counters_pk', ['workspace_id', 'period', 'tool'])
    .execute()
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('usage_counters').execute()
}
