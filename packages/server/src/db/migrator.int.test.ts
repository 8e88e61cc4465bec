import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dialects } from '../testing/databases.js'
import { createTestDatabase } from '../testing/databases.js'
import type { TestDatabase } from '../testing/databases.js'
import { openDatabase } from './database.js'
import type { Database } from './database.js'
import { migrateDown, migrateUp, migrationStatus } from './migrator.js'
import { migrations } from './migrations/index.js'

const execFileAsync = promisify(execFile)
const binPath = fileURLToPath(new URL('../bin.ts', import.meta.url))

async function tableNames(database: Database): Promise<string[]> {
  const query =
    database.dialect === 'sqlite'
      ? sql<{
          name: string
        }>`select name from sqlite_master where type = 'table' and name not like 'sqlite_%'`
      : sql<{
          name: string
        }>`select table_name as name from information_schema.tables where table_schema = 'public'`
  const { rows } = await query.execute(database.db)
  return (
    rows
      .map((r) => r.name)
      .filter((n) => !n.startsWith('toolplane_migrations'))
      // SQLite's full-text index of executions (a virtual table and its shadow tables).
      .filter((n) => !n.startsWith('executions_fts'))
      .sort()
  )
}

describe.each(dialects)('migrations on %s', (dialect) => {
  let testDatabase: TestDatabase
  let database: Database

  beforeAll(async () => {
    testDatabase = await createTestDatabase(dialect)
    database = openDatabase(testDatabase.config)
  })
  afterAll(async () => {
    await database.close()
    await testDatabase.drop()
  })

  it('applies every migration, and a second run applies nothing', async () => {
    expect((await migrationStatus(database.db)).every((m) => m.executedAt === null)).toBe(true)
    expect(await migrateUp(database.db)).toEqual(Object.keys(migrations))
    expect(await migrateUp(database.db)).toEqual([])
    expect((await migrationStatus(database.db)).every((m) => m.executedAt instanceof Date)).toBe(true)
    expect(await tableNames(database)).toEqual([
      'api_keys',
      'batches',
      'credential_status_changes',
      'credentials',
      'executions',
      'idempotency_keys',
      'inbound_events',
      'jobs',
      'master_keys',
      'memberships',
      'oauth_apps',
      'oauth_states',
      'sessions',
      'sign_in_links',
      'usage_counters',
      'users',
      'webhook_deliveries',
      'webhooks',
      'workspace_tools',
      'workspaces',
    ])
  })

  it('reverts every migration down to an empty schema, then applies them again', async () => {
    const names = Object.keys(migrations)
    for (const name of [...names].reverse()) expect(await migrateDown(database.db)).toEqual([name])
    expect(await migrateDown(database.db)).toEqual([])
    expect(await tableNames(database)).toEqual([])
    expect(await migrateUp(database.db)).toEqual(names)
  })

  it('lets two processes started at once migrate exactly once', async () => {
    const fresh = await createTestDatabase(dialect)
    try {
      const env = { ...process.env, TOOLPLANE_DATABASE_URL: fresh.url, TOOLPLANE_DATA_DIR: fresh.dataDir }
      const run = () =>
        execFileAsync(
          process.execPath,
          ['--conditions=@toolplane/source', '--import', 'tsx', binPath, 'migrate', 'up'],
          { env },
        )
      const outputs = await Promise.all([run(), run()])
      const lines = outputs.map((o) => o.stdout.trim()).sort()
      expect(lines).toEqual([`Already up to date.`, `Applied ${Object.keys(migrations).join(', ')}.`])
    } finally {
      await fresh.drop()
    }
  })

  it('has an index for the API key list query', async () => {
    const plan =
      database.dialect === 'sqlite'
        ? await sql<{
            detail: string
          }>`explain query plan select * from api_keys where workspace_id = 'w' and revoked_at is null order by id desc limit 51`.execute(
            database.db,
          )
        : await sql<{
            indexname: string
          }>`select indexname from pg_indexes where tablename = 'api_keys'`.execute(database.db)
    expect(JSON.stringify(plan.rows)).toContain('api_keys_workspace_idx')
  })
})
