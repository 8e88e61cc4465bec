import { SqliteAdapter, sql } from 'kysely'
import type { Kysely } from 'kysely'

// SQLite only: an execution is no longer indexed for full-text search by the transaction that records
// it. Its rowid goes to `executions_fts_pending`, and the execution store indexes the pending rows in
// batches (every few hundred rows, or a second after the first). Indexing one row per transaction
// cost about as much as everything else the write did; a batch costs a fraction per row. Searches
// test the newest rows' text directly (`executionStore.list`), so a row not yet indexed is found all
// the same (decision 0029).
//
// The index must never be told to delete a row it does not hold (an external-content FTS5 table
// would be corrupted), so deleting or changing a pending row touches only the pending list.
export async function up(db: Kysely<unknown>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof SqliteAdapter)) return
  await sql`create table executions_fts_pending (id integer primary key)`.execute(db)
  await sql`drop trigger executions_fts_insert`.execute(db)
  await sql`drop trigger executions_fts_delete`.execute(db)
  await sql`drop trigger executions_fts_update`.execute(db)
  await sql`create trigger executions_fts_insert after insert on executions begin
    insert or ignore into executions_fts_pending (id) values (new.rowid);
  end`.execute(db)
  await sql`create trigger executions_fts_delete after delete on executions begin
    insert into executions_fts (executions_fts, rowid, search_text)
      select 'delete', old.rowid, old.search_text
      where not exists (select 1 from executions_fts_pending where id = old.rowid);
    delete from executions_fts_pending where id = old.rowid;
  end`.execute(db)
  await sql`create trigger executions_fts_update after update of search_text on executions
    when not exists (select 1 from executions_fts_pending where id = old.rowid) begin
    insert into executions_fts (executions_fts, rowid, search_text) values ('delete', old.rowid, old.search_text);
    insert into executions_fts (rowid, search_text) values (new.rowid, new.search_text);
  end`.execute(db)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof SqliteAdapter)) return
  await sql`insert into executions_fts (rowid, search_text)
    select executions.rowid, executions.search_text from executions_fts_pending
    join executions on executions.rowid = executions_fts_pending.id`.execute(db)
  await sql`drop trigger executions_fts_insert`.execute(db)
  await sql`drop trigger executions_fts_delete`.execute(db)
  await sql`drop trigger executions_fts_update`.execute(db)
  await sql`drop table executions_fts_pending`.execute(db)
  await sql`create trigger executions_fts_insert after insert on executions begin
    insert into executions_fts(rowid, search_text) values (new.rowid, new.search_text);
  end`.execute(db)
  await sql`create trigger executions_fts_delete after delete on executions begin
    insert into executions_fts(executions_fts, rowid, search_text) values ('delete', old.rowid, old.search_text);
  end`.execute(db)
  await sql`create trigger executions_fts_update after update of search_text on executions begin
    insert into executions_fts(executions_fts, rowid, search_text) values ('delete', old.rowid, old.search_text);
    insert into executions_fts(rowid, search_text) values (new.rowid, new.search_text);
  end`.execute(db)
}
