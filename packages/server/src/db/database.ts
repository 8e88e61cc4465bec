import fs from 'node:fs'
import path from 'node:path'
import SQLite from 'better-sqlite3'
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely'
import pg from 'pg'
import type { DatabaseConfig } from '../config.js'
import type { Schema } from './schema.js'

export type Dialect = 'sqlite' | 'postgres'

/** An open database: the Kysely handle, which dialect it speaks, and how to close it. */
export interface Database {
  readonly db: Kysely<Schema>
  readonly dialect: Dialect
  /** A cheap round trip, used by `/readyz`. */
  ping(): Promise<void>
  close(): Promise<void>
}

// Per pool, not pg's global parsers: int8 and numeric come back as numbers.
const numericTypes = new pg.TypeOverrides()
numericTypes.setTypeParser(pg.types.builtins.INT8, Number)
numericTypes.setTypeParser(pg.types.builtins.NUMERIC, Number)

/**
 * Opens the configured database. SQLite runs in WAL mode with foreign keys on; PostgreSQL gets a
 * connection pool whose 64-bit integers come back as numbers (our times are epoch milliseconds).
 *
 * @example
 * const database = openDatabase({ kind: 'sqlite', path: './data/toolplane.db' })
 */
export function openDatabase(config: DatabaseConfig): Database {
  if (config.kind === 'sqlite') {
    if (config.path !== ':memory:') fs.mkdirSync(path.dirname(config.path), { recursive: true })
    const sqlite = new SQLite(config.path)
    sqlite.pragma('journal_mode = WAL')
    sqlite.pragma('synchronous = NORMAL')
    sqlite.pragma('foreign_keys = ON')
    sqlite.pragma('busy_timeout = 5000')
    const db = new Kysely<Schema>({ dialect: new SqliteDialect({ database: sqlite }) })
    return {
      db,
      dialect: 'sqlite',
      ping: async () => {
        await sql`select 1`.execute(db)
      },
      close: () => db.destroy(),
    }
  }

  const pool = new pg.Pool({
    connectionString: config.url,
    max: config.poolSize,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 5_000,
    types: numericTypes,
  })
  const db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) })
  return {
    db,
    dialect: 'postgres',
    ping: async () => {
      await sql`select 1`.execute(db)
    },
    close: () => db.destroy(),
  }
}

/** True when the error is a unique-constraint violation on either database. */
export function isUniqueViolation(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false
  const code = (error as { code?: unknown }).code
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
}
