import { SqliteAdapter, sql } from 'kysely'
import type { Kysely } from 'kysely'

// Executions (attempts kept as a JSON array on the row: one write records an attempt, and a record
// is read whole), their full-text search, idempotency keys, batches and the embedded job queue.
// See docs/decisions/0021-execution-records.md and 0022-job-queue.
export async function up(db: Kysely<unknown>): Promise<void> {
  const sqlite = db.getExecutor().adapter instanceof SqliteAdapter

  await db.schema
    .createTable('batches')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
    .addColumn('mode', 'text', (c) => c.notNull())
    .addColumn('concurrency', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('total', 'integer', (c) => c.notNull())
    .addColumn('correlation_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('finished_at', 'bigint')
    .execute()
  await db.schema.createIndex('batches_workspace_idx').on('batches').columns(['workspace_id', 'id']).execute()

  await db.schema
    .createTable('executions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
    .addColumn('tool', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('credential_id', 'text')
    .addColumn('mode', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    // The input as shown (secret fields redacted); the full input sealed under the master key when it
    // holds secrets, so a queued run and a retry can still use it.
    .addColumn('input', 'text', (c) => c.notNull())
    .addColumn('input_sealed', 'text')
    .addColumn('output', 'text')
    .addColumn('error', 'text')
    .addColumn('error_class', 'text')
    .addColumn('attempts', 'text', (c) => c.notNull())
    .addColumn('transform', 'text')
    .addColumn('options', 'text')
    .addColumn('batch_id', 'text', (c) => c.references('batches.id').onDelete('cascade'))
    .addColumn('batch_index', 'integer')
    .addColumn('retry_of', 'text')
    .addColumn('correlation_id', 'text', (c) => c.notNull())
    .addColumn('cancel_requested', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('search_text', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('started_at', 'bigint')
    .addColumn('finished_at', 'bigint')
    .addColumn('duration_ms', 'integer')
    .execute()
  // Ids are UUIDv7, so ordering by id is ordering by creation; each filter has an index that ends in it.
  // The credential and batch indexes are partial: most executions have neither, and every index
  // entry is a write on the path of every execution.
  await db.schema
    .createIndex('executions_workspace_idx')
    .on('executions')
    .columns(['workspace_id', 'id'])
    .execute()
  await db.schema
    .createIndex('executions_status_idx')
    .on('executions')
    .columns(['workspace_id', 'status', 'id'])
    .execute()
  await db.schema
    .createIndex('executions_action_idx')
    .on('executions')
    .columns(['workspace_id', 'tool', 'action', 'id'])
    .execute()
  await db.schema
    .createIndex('executions_credential_idx')
    .on('executions')
    .columns(['workspace_id', 'credential_id', 'id'])
    .where(sql.ref('credential_id'), 'is not', null)
    .execute()
  await db.schema
    .createIndex('executions_batch_idx')
    .on('executions')
    .columns(['batch_id', 'batch_index'])
    .where(sql.ref('batch_id'), 'is not', null)
    .execute()
  await db.schema.createIndex('executions_created_idx').on('executions').columns(['created_at']).execute()

  if (sqlite) {
    // External-content FTS5: the text lives once, in executions.search_text; triggers keep the index.
    await sql`create virtual table executions_fts using fts5(search_text, content='executions', content_rowid='rowid', tokenize='unicode61')`.execute(
      db,
    )
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
  } else {
    // Stored, so testing a row in the newest-first walk reads a vector instead of parsing the text.
    await sql`alter table executions add column search_vector tsvector generated always as (to_tsvector('simple', search_text)) stored`.execute(
      db,
    )
    await sql`create index executions_search_idx on executions using gin (search_vector)`.execute(db)
  }

  await db.schema
    .createTable('idempotency_keys')
    .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('request_hash', 'text', (c) => c.notNull())
    .addColumn('execution_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('idempotency_keys_pk', ['workspace_id', 'key'])
    .execute()
  await db.schema
    .createIndex('idempotency_keys_expiry_idx')
    .on('idempotency_keys')
    .columns(['expires_at'])
    .execute()

  await db.schema
    .createTable('jobs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('queue', 'text', (c) => c.notNull())
    .addColumn('data', 'text', (c) => c.notNull())
    .addColumn('run_at', 'bigint', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('lease_owner', 'text')
    .addColumn('lease_until', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('jobs_due_idx').on('jobs').columns(['queue', 'run_at']).execute()
}

export async function down(db: Kysely<unknown>): Promise<void> {
  const sqlite = db.getExecutor().adapter instanceof SqliteAdapter
  await db.schema.dropTable('jobs').execute()
  await db.schema.dropTable('idempotency_keys').execute()
  if (sqlite) {
    await sql`drop trigger executions_fts_update`.execute(db)
    await sql`drop trigger executions_fts_delete`.execute(db)
    await sql`drop trigger executions_fts_insert`.execute(db)
    await sql`drop table executions_fts`.execute(db)
  }
  await db.schema.dropTable('executions').execute()
  await db.schema.dropTable('batches').execute()
}
