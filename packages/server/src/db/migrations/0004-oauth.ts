import type { Kysely } from 'kysely'

// OAuth2: each workspace's client registration per tool, and the short-lived state of flows in progress.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('oauth_apps')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
    .addColumn('tool', 'text', (c) => c.notNull())
    .addColumn('client_id', 'text', (c) => c.notNull())
    .addColumn('client_auth_method', 'text', (c) => c.notNull())
    .addColumn('scopes', 'text')
    .addColumn('secret_envelope', 'text', (c) => c.notNull())
    .addColumn('key_version', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('oauth_apps_tool_unique', ['workspace_id', 'tool'])
    .execute()
  await db.schema
    .createIndex('oauth_apps_key_version_idx')
    .on('oauth_apps')
    .columns(['key_version', 'id'])
    .execute()

  await db.schema
    .createTable('oauth_states')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('state_hash', 'text', (c) => c.notNull().unique())
    .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
    .addColumn('tool', 'text', (c) => c.notNull())
    .addColumn('auth_method', 'text', (c) => c.notNull())
    .addColumn('principal', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('external_user_id', 'text')
    .addColumn('scopes', 'text', (c) => c.notNull())
    .addColumn('redirect_to', 'text')
    .addColumn('verifier_envelope', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('used_at', 'bigint')
    .execute()
  await db.schema.createIndex('oauth_states_expires_idx').on('oauth_states').column('expires_at').execute()
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('oauth_states').execute()
  await db.schema.dropTable('oauth_apps').execute()
}
