import type { Kysely, Selectable } from 'kysely'
import { deleteChosen } from '../db/retention.js'
import type { InboundEventTable, Schema } from '../db/schema.js'

export type InboundEventRow = Selectable<InboundEventTable>

/** The largest payload kept, as JSON text: the route's body limit, so an accepted body always fits. */
export const maxPayloadBytes = 1024 * 1024

/** What recording a delivery did: stored it, or found the delivery id already there (a replay). */
export type Recorded =
  | { readonly inserted: true; readonly row: InboundEventRow }
  | { readonly inserted: false; readonly existing: InboundEventRow }

/**
 * Accepted inbound trigger deliveries (`inbound_events`). A delivery id is recorded once per
 * workspace and tool; the unique index decides between two racing copies on both databases.
 *
 * @example
 * const store = inboundEventStore(database.db)
 * const recorded = await store.record(row)
 * if (!recorded.inserted) return { duplicate: true }
 */
export function inboundEventStore(db: Kysely<Schema>) {
  return {
    /**
     * The workspace and tool of a credential, by its id alone: the hook URL names no workspace.
     * Reads the credentials table (owned by `../credentials/`) for these two columns only.
     */
    async credentialOwner(credentialId: string): Promise<{ workspaceId: string; tool: string } | undefined> {
      const row = await db
        .selectFrom('credentials')
        .select(['workspace_id', 'tool'])
        .where('id', '=', credentialId)
        .executeTakeFirst()
      return row === undefined ? undefined : { workspaceId: row.workspace_id, tool: row.tool }
    },

    /**
     * Stores a delivery unless its (workspace, tool, delivery id) is already stored; then returns
     * the row that holds it. Throws a RangeError for a payload over `maxPayloadBytes`.
     */
    async record(row: InboundEventRow): Promise<Recorded> {
      if (Buffer.byteLength(row.payload, 'utf8') > maxPayloadBytes) {
        throw new RangeError(`an inbound event payload may hold at most ${maxPayloadBytes} bytes`)
      }
      const result = await db
        .insertInto('inbound_events')
        .values(row)
        .onConflict((oc) => oc.columns(['workspace_id', 'tool', 'delivery_id']).doNothing())
        .executeTakeFirst()
      if ((result.numInsertedOrUpdatedRows ?? 0n) > 0n) return { inserted: true, row }
      const existing = await db
        .selectFrom('inbound_events')
        .selectAll()
        .where('workspace_id', '=', row.workspace_id)
        .where('tool', '=', row.tool)
        .where('delivery_id', '=', row.delivery_id)
        .executeTakeFirstOrThrow()
      return { inserted: false, existing }
    },

    async get(workspaceId: string, id: string): Promise<InboundEventRow | undefined> {
      return db
        .selectFrom('inbound_events')
        .selectAll()
        .where('workspace_id', '=', workspaceId)
        .where('id', '=', id)
        .executeTakeFirst()
    },

    /** Forgets one delivery (its event could not be emitted), so the provider's retry is taken afresh. */
    async remove(workspaceId: string, id: string): Promise<void> {
      await db
        .deleteFrom('inbound_events')
        .where('workspace_id', '=', workspaceId)
        .where('id', '=', id)
        .execute()
    },

    /** Deletes up to `limit` deliveries received before `before`; returns how many. */
    async deleteOlderThan(before: number, limit: number): Promise<number> {
      const ids = await db
        .selectFrom('inbound_events')
        .select('id')
        .where('received_at', '<', before)
        .limit(limit)
        .execute()
      return deleteChosen(db, 'inbound_events', ids)
    },
  }
}

export type InboundEventStore = ReturnType<typeof inboundEventStore>
