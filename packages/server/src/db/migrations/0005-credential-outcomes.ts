import type { Kysely } from 'kysely'

// Consecutive authentication failures of real executions: three in a row mark a credential invalid.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('credentials')
    .addColumn('consecutive_auth_failures', 'integer', (c) => c.notNull().defaultTo(0))
    .execute()
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('credentials').dropColumn('consecutive_auth_failures').execute()
}
