import { SqliteAdapter, sql } from 'kysely'
import type { Kysely } from 'kysely'

// SQLite only: FTS5 merges its index segments as it writes ("automerge"), and now and then a merge
// is large enough to hold the only writer for 20–30 ms, which every request then waits behind (the
// benchmark's p99 at 500 requests/s). With automerge off the execution store merges a bounded
// amount after every few writes instead (`executionStore`), so the index stays as compact and no
// single write pays for a big merge. The setting is stored in the FTS table itself.
export async function up(db: Kysely<unknown>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof SqliteAdapter)) return
  await sql`insert into executions_fts(executions_fts, rank) values ('automerge', 0)`.execute(db)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof SqliteAdapter)) return
  await sql`insert into executions_fts(executions_fts, rank) values ('automerge', 4)`.execute(db)
}
