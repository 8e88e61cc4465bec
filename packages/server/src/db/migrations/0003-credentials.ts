import type { Kysely } from 'kysely'

// Credentials, their status history and the master key versions that wrap their data keys.
// See docs/decisions/0006-credentials-envelope-encryption.md.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('master_keys')
    .addColumn('version', 'integer', (c) => c.primaryKey())
    .addColumn('fingerprint', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('retired_at', 'bigint')
    .execute()

  await db.schema
    .createTable('credentials')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
    .addColumn('tool', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('auth_method', 'text', (c) => c.notNull())
    .addColumn('external_user_id', 'text')
    .addColumn('base_url', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('status_reason', 'text')
    .addColumn('last_checked_at', 'bigint')
    .addColumn('last_used_at', 'bigint')
    .addColumn('expires_at', 'bigint')
    .addColumn('fields', 'text', (c) => c.notNull())
    .addColumn('secret_envelope', 'text', (c) => c.notNull())
    .addColumn('key_version', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute()
  // List newest first, optionally for one end user; rotation finds envelopes by key version.
  await db.schema
    .createIndex('credentials_workspace_idx')
    .on('credentials')
    .columns(['workspace_id', 'id'])
    .execute()
  await db.schema
    .createIndex('credentials_external_user_idx')
    .on('credentials')
    .columns(['workspace_id', 'external_user_id', 'id'])
    .execute()
  await db.schema
    .createIndex('credentials_key_version_idx')
    .on('credentials')
    .columns(['key_version', 'id'])
    .execute()

  await db.schema
    .createTable('credential_status_changes')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
    .addColumn('credential_id', 'text', (c) => c.notNull().references('credentials.id').onDelete('cascade'))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('at', 'bigint', (c) => c.notNull())
    .execute()
  await db.schema
    .createIndex('credential_status_changes_idx')
    .on('credential_status_changes')
    .columns(['workspace_id', 'credential_id', 'id'])
    .execute()
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('credential_status_changes').execute()
  await db.schema.dropTable('credentials').execute()
  await db.schema.dropTable('master_keys').execute()
}
