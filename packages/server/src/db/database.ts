import fs from 'node:fs'
import path from 'node:path'
import SQLite from 'better-sqlite3'
import {
  CompiledQuery,
  Kysely,
  PostgresDialect,
  SqliteAdapter,
  SqliteDialect,
  SqliteDriver,
  sql,
} from 'kysely'
import type {
  DatabaseConnection,
  DialectAdapter,
  Driver,
  MigrationLockOptions,
  SqliteDatabase,
  SqliteDialectConfig,
} from 'kysely'
import pg from 'pg'
import type { DatabaseConfig } from '../config.js'
import { startCheckpointer } from './checkpointer.js'
import type { Schema } from './schema.js'
import {
  journalSizeLimitBytes,
  registerSqliteWriter,
  startWriteThread,
  stopSqliteWriter,
} from './write-thread.js'

export type Dialect = 'sqlite' | 'postgres'

/**
 * Kysely's SQLite adapter takes no migration lock (one connection per process is assumed), but two
 * processes — `toolplane migrate` and a starting server — can share the file. This adapter takes
 * the lock row by writing the time into it when it is free (or held for longer than a crashed
 * migration could plausibly take), polling until it can; and it runs each migration in a
 * transaction, which SQLite supports for DDL.
 */
class MigrationLockingSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Kysely's own signature
  override async acquireMigrationLock(db: Kysely<any>, options: MigrationLockOptions): Promise<void> {
    const staleAfterMs = 10 * 60_000
    const giveUpAt = Date.now() + 2 * 60_000
    for (;;) {
      const now = Date.now()
      const result = await sql`update ${sql.table(options.lockTable)} set is_locked = ${now}
        where id = ${options.lockRowId} and (is_locked = 0 or is_locked < ${now - staleAfterMs})`.execute(db)
      if ((result.numAffectedRows ?? 0n) > 0n) return
      if (now > giveUpAt) throw new Error('another process has held the migration lock for over two minutes')
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Kysely's own signature
  override async releaseMigrationLock(db: Kysely<any>, options: MigrationLockOptions): Promise<void> {
    await sql`update ${sql.table(options.lockTable)} set is_locked = 0 where id = ${options.lockRowId}`.execute(
      db,
    )
  }
}

/** Prepared statements kept per SQL text: Kysely prepares every query again, which costs more than running it. */
const statementCacheSize = 500

// Kysely asks the database for `prepare` and `close` only; better-sqlite3 statements can be run again and
// again, and SQLite re-prepares one by itself when the schema under it changes.
function cachedStatements(sqlite: SQLite.Database): SqliteDatabase {
  const statements = new Map<string, SQLite.Statement>()
  return {
    prepare(sql: string) {
      let statement = statements.get(sql)
      if (statement === undefined) {
        statement = sqlite.prepare(sql)
        if (statements.size >= statementCacheSize) {
          const oldest = statements.keys().next().value
          if (oldest !== undefined) statements.delete(oldest)
        }
      } else {
        // Most recently used last, so the oldest is dropped first.
        statements.delete(sql)
      }
      statements.set(sql, statement)
      return statement
    },
    close() {
      statements.clear()
      sqlite.close()
    },
  }
}

/**
 * Switches a SQLite file to WAL. The switch needs a lock that SQLite does not wait for through
 * `busy_timeout`: a second process opening the file while the first switches it or migrates
 * (`toolplane migrate` beside a starting server) got "database is locked". The mode is stored in
 * the file, so a file already in WAL needs no switch; otherwise try again for up to 5 s.
 */
function enableWal(sqlite: SQLite.Database): void {
  const deadline = Date.now() + 5000
  for (;;) {
    try {
      if (sqlite.pragma('journal_mode', { simple: true }) === 'wal') return
      sqlite.pragma('journal_mode = WAL')
      return
    } catch (error) {
      const busy = error instanceof SQLite.SqliteError && error.code.startsWith('SQLITE_BUSY')
      if (!busy || Date.now() > deadline) throw error
      // Opening a database is synchronous; a short blocking sleep before the next try.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 25)
    }
  }
}

/**
 * Transactions on the main connection begin IMMEDIATE, taking the write lock at once (waiting for it
 * through busy_timeout). The write thread is a second writer in the process: a deferred transaction that
 * read before writing would, had the thread committed in between, fail with SQLITE_BUSY_SNAPSHOT, which
 * SQLite does not wait out.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'))
  }
}

class ToolplaneSqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig

  constructor(config: SqliteDialectConfig) {
    super(config)
    this.#config = config
  }

  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#config)
  }

  override createAdapter(): DialectAdapter {
    return new MigrationLockingSqliteAdapter()
  }
}

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
 * Opens the configured database. SQLite runs in WAL mode with foreign keys on; a file gets a thread
 * that checkpoints and one that runs the hot path's writes (`write-thread.ts`). PostgreSQL gets a
 * connection pool whose 64-bit integers come back as numbers (our times are epoch milliseconds).
 *
 * @example
 * const database = openDatabase({ kind: 'sqlite', path: './data/toolplane.db' })
 */
export function openDatabase(
  config: DatabaseConfig,
  options: {
    onIdleClientError?: (error: Error) => void
    /** The SQLite checkpoint thread failed; the request thread checkpoints again by itself. */
    onCheckpointError?: (message: string) => void
    /** The SQLite write thread failed; its writes run on the request thread again. */
    onWriteThreadError?: (message: string) => void
    /** False: no SQLite write thread, the hot path's writes run on the main connection. Default true. */
    writeThread?: boolean
  } = {},
): Database {
  if (config.kind === 'sqlite') {
    if (config.path !== ':memory:') fs.mkdirSync(path.dirname(config.path), { recursive: true })
    const sqlite = new SQLite(config.path)
    // busy_timeout first: switching a new file to WAL needs a lock another process may hold.
    sqlite.pragma('busy_timeout = 5000')
    enableWal(sqlite)
    sqlite.pragma('synchronous = NORMAL')
    // A WAL that grew under load is cut back to this size when it starts over (see write-thread.ts).
    sqlite.pragma(`journal_size_limit = ${String(journalSizeLimitBytes)}`)
    sqlite.pragma('foreign_keys = ON')
    const db = new Kysely<Schema>({
      dialect: new ToolplaneSqliteDialect({ database: cachedStatements(sqlite) }),
    })
    const file = config.path === ':memory:' ? null : config.path
    const checkpointer = file === null ? null : startCheckpointer(sqlite, file, options.onCheckpointError)
    // A second connection cannot open a :memory: database: its writes stay on this one.
    if (file !== null && options.writeThread !== false) {
      registerSqliteWriter(db, startWriteThread(file, { db, onError: options.onWriteThreadError }))
    }
    return {
      db,
      dialect: 'sqlite',
      ping: async () => {
        await sql`select 1`.execute(db)
      },
      async close() {
        // Whatever the writer was given commits before the connections close.
        await stopSqliteWriter(db)
        await checkpointer?.stop()
        await db.destroy()
      },
    }
  }

  const pool = new pg.Pool({
    connectionString: config.url,
    max: config.poolSize,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 5_000,
    types: numericTypes,
  })
  // An idle pooled connection can fail (a restart, a failover, an administrator ending it). Without a
  // listener that is an unhandled 'error' event and the process dies; with one, the pool drops the
  // client and the next query gets a fresh connection.
  pool.on('error', (error) => {
    options.onIdleClientError?.(error)
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
