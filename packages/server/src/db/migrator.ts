import { Migrator } from 'kysely'
import type { Kysely, MigrationResult } from 'kysely'
import { migrations } from './migrations/index.js'

export interface MigrationStatus {
  readonly name: string
  readonly executedAt: Date | null
}

function migratorFor<DB>(db: Kysely<DB>): Migrator {
  return new Migrator({
    db,
    provider: { getMigrations: () => Promise.resolve(migrations) },
    migrationTableName: 'toolplane_migrations',
    migrationLockTableName: 'toolplane_migrations_lock',
  })
}

/** Raised when a migration fails; names the migration and keeps the database error as `cause`. */
export class MigrationError extends Error {
  constructor(message: string, options: { cause: unknown }) {
    super(message, options)
    this.name = 'MigrationError'
  }
}

function check(results: MigrationResult[] | undefined, error: unknown): string[] {
  if (error !== undefined) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown'
    throw new MigrationError(
      `Migration ${failed} failed: ${error instanceof Error ? error.message : JSON.stringify(error)}`,
      {
        cause: error,
      },
    )
  }
  return (results ?? []).map((r) => r.migrationName)
}

/**
 * Applies every pending migration; safe to call from several processes at once (Kysely takes a lock).
 * Returns the names applied.
 *
 * @example
 * await migrateUp(database.db)
 */
export async function migrateUp<DB>(db: Kysely<DB>): Promise<string[]> {
  const { results, error } = await migratorFor(db).migrateToLatest()
  return check(results, error)
}

/** Reverts the most recent migration. Returns the names reverted (empty when none was applied). */
export async function migrateDown<DB>(db: Kysely<DB>): Promise<string[]> {
  const { results, error } = await migratorFor(db).migrateDown()
  return check(results, error)
}

/** Every known migration and when it was applied (null when pending). */
export async function migrationStatus<DB>(db: Kysely<DB>): Promise<MigrationStatus[]> {
  const list = await migratorFor(db).getMigrations()
  return list.map((m) => ({ name: m.name, executedAt: m.executedAt ?? null }))
}
