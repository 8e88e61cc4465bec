import type { Kysely } from 'kysely'

// Inbound trigger deliveries (SPEC §7): one row per accepted delivery, so a provider's retry or a
// replayed request with the same delivery id is recognised and not emitted twice. The unique
// (workspace_id, tool, delivery_id) index is the replay guard; received_at feeds the 30-day
// retention sweep. No foreign key to credentials: a deleted credential's recent deliveries still
// guard against replays until the sweep removes them. See hooks/README.md.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('inbound_events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
    .addColumn('tool', 'text', (c) => c.notNull())
    .addColumn('credential_id', 'text', (c) => c.notNull())
    .addColumn('delivery_id', 'text', (c) => c.notNull())
    .addColumn('event', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('received_at', 'bigint', (c) => c.notNull())
    .execute()
  await db.schema
    .createIndex('inbound_events_delivery_idx')
    .on('inbound_events')
    .columns(['workspace_id', 'tool', 'delivery_id'])
    .unique()
    .execute()
  await db.schema
    .createIndex('inbound_events_received_idx')
    .on('inbound_events')
    .columns(['received_at'])
    .execute()
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('inbound_events').execute()
}
