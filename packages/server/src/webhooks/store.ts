import { sql } from 'kysely'
import type { Kysely, Selectable } from 'kysely'
import type { PageRequest } from '../db/pagination.js'
import type { Schema, WebhookDeliveryTable, WebhookTable } from '../db/schema.js'

export type WebhookRow = Selectable<WebhookTable>
export type DeliveryRow = Selectable<WebhookDeliveryTable>

type WebhookChanges = Partial<Omit<WebhookRow, 'id' | 'workspace_id' | 'created_at'>>
type DeliveryChanges = Partial<
  Pick<DeliveryRow, 'status' | 'attempts' | 'attempt_count' | 'next_attempt_at' | 'updated_at'>
>

// The predicate of the partial index on pending deliveries, written as a literal: a bound parameter
// would keep the planners (SQLite's in particular) from matching the index's predicate.
const pendingOnly = sql<boolean>`status = 'pending'`

/**
 * Subscription and delivery rows. Every API read and write names the workspace; the dispatcher,
 * the delivery worker and the recovery sweep, which start from an event or a job, read by id.
 */
export function webhookStore(db: Kysely<Schema>) {
  return {
    async insert(row: WebhookRow): Promise<void> {
      await db.insertInto('webhooks').values(row).execute()
    },

    /** Newest first, served by the (workspace_id, id) index. */
    async list(workspaceId: string, page: PageRequest): Promise<WebhookRow[]> {
      let query = db
        .selectFrom('webhooks')
        .selectAll()
        .where('workspace_id', '=', workspaceId)
        .orderBy('id', 'desc')
        .limit(page.limit + 1)
      if (page.after !== null) query = query.where('id', '<', page.after)
      return query.execute()
    },

    async get(workspaceId: string, id: string): Promise<WebhookRow | undefined> {
      return db
        .selectFrom('webhooks')
        .selectAll()
        .where('workspace_id', '=', workspaceId)
        .where('id', '=', id)
        .executeTakeFirst()
    },

    async getById(id: string): Promise<WebhookRow | undefined> {
      return db.selectFrom('webhooks').selectAll().where('id', '=', id).executeTakeFirst()
    },

    /** The subscriptions an event of this workspace may go to. */
    async enabledIn(workspaceId: string): Promise<WebhookRow[]> {
      return db
        .selectFrom('webhooks')
        .selectAll()
        .where('workspace_id', '=', workspaceId)
        .where('enabled', '=', 1)
        .execute()
    },

    /** Returns false when there is no such subscription in the workspace. */
    async update(workspaceId: string, id: string, changes: WebhookChanges): Promise<boolean> {
      const result = await db
        .updateTable('webhooks')
        .set(changes)
        .where('workspace_id', '=', workspaceId)
        .where('id', '=', id)
        .executeTakeFirst()
      return result.numUpdatedRows > 0n
    },

    /** Deletes a subscription and (by cascade) its deliveries; false when there was none. */
    async delete(workspaceId: string, id: string): Promise<boolean> {
      const result = await db
        .deleteFrom('webhooks')
        .where('workspace_id', '=', workspaceId)
        .where('id', '=', id)
        .executeTakeFirst()
      return result.numDeletedRows > 0n
    },

    /**
     * Notes a failed delivery: sets `failing_since` unless it is set already. Returns the value in
     * force afterwards (null when the subscription is gone).
     */
    async markFailing(id: string, now: number): Promise<number | null> {
      await db
        .updateTable('webhooks')
        .set({ failing_since: now })
        .where('id', '=', id)
        .where('failing_since', 'is', null)
        .execute()
      const row = await db
        .selectFrom('webhooks')
        .select('failing_since')
        .where('id', '=', id)
        .executeTakeFirst()
      return row?.failing_since ?? null
    },

    /** A delivery succeeded: the subscription is healthy again. */
    async clearFailing(id: string): Promise<void> {
      await db
        .updateTable('webhooks')
        .set({ failing_since: null })
        .where('id', '=', id)
        .where('failing_since', 'is not', null)
        .execute()
    },

    /**
     * Disables an enabled subscription; returns whether this call did it, so of several workers
     * seeing the same failure exactly one announces it.
     */
    async disable(id: string, reason: string, now: number): Promise<boolean> {
      const result = await db
        .updateTable('webhooks')
        .set({ enabled: 0, disabled_reason: reason, updated_at: now })
        .where('id', '=', id)
        .where('enabled', '=', 1)
        .executeTakeFirst()
      return result.numUpdatedRows > 0n
    },

    /** Inserts a delivery unless one exists for the same subscription and event; returns whether it did. */
    async insertDelivery(row: DeliveryRow): Promise<boolean> {
      const inserted = await db
        .insertInto('webhook_deliveries')
        .values(row)
        .onConflict((oc) => oc.columns(['webhook_id', 'event_id']).doNothing())
        .returning('id')
        .executeTakeFirst()
      return inserted !== undefined
    },

    async getDelivery(workspaceId: string, webhookId: string, id: string): Promise<DeliveryRow | undefined> {
      return db
        .selectFrom('webhook_deliveries')
        .selectAll()
        .where('workspace_id', '=', workspaceId)
        .where('webhook_id', '=', webhookId)
        .where('id', '=', id)
        .executeTakeFirst()
    },

    async getDeliveryById(id: string): Promise<DeliveryRow | undefined> {
      return db.selectFrom('webhook_deliveries').selectAll().where('id', '=', id).executeTakeFirst()
    },

    /** A subscription's deliveries, newest first, served by the (webhook_id, id) index. */
    async listDeliveries(
      workspaceId: string,
      webhookId: string,
      filter: { status?: string | undefined },
      page: PageRequest,
    ): Promise<DeliveryRow[]> {
      let query = db
        .selectFrom('webhook_deliveries')
        .selectAll()
        .where('webhook_id', '=', webhookId)
        .where('workspace_id', '=', workspaceId)
        .orderBy('id', 'desc')
        .limit(page.limit + 1)
      if (filter.status !== undefined) query = query.where('status', '=', filter.status)
      if (page.after !== null) query = query.where('id', '<', page.after)
      return query.execute()
    },

    /**
     * Writes the outcome of an attempt, only while the delivery is still pending in the generation
     * and at the attempt count the worker read: a second run of the same job (at-least-once) or a
     * replay that began meanwhile leaves the row alone. Returns whether it wrote.
     */
    async recordAttempt(
      id: string,
      expected: { generation: number; attemptCount: number },
      changes: DeliveryChanges,
    ): Promise<boolean> {
      const result = await db
        .updateTable('webhook_deliveries')
        .set(changes)
        .where('id', '=', id)
        .where('status', '=', 'pending')
        .where('generation', '=', expected.generation)
        .where('attempt_count', '=', expected.attemptCount)
        .executeTakeFirst()
      return result.numUpdatedRows > 0n
    },

    /** Ends a pending delivery without an attempt (its subscription was disabled). */
    async failPending(id: string, generation: number, now: number): Promise<boolean> {
      const result = await db
        .updateTable('webhook_deliveries')
        .set({ status: 'failed', next_attempt_at: null, updated_at: now })
        .where('id', '=', id)
        .where('status', '=', 'pending')
        .where('generation', '=', generation)
        .executeTakeFirst()
      return result.numUpdatedRows > 0n
    },

    /**
     * Starts a new generation: the delivery is pending again and the schedule starts over. Compares
     * on the generation the caller read, so two replays at once make one.
     */
    async replay(id: string, generation: number, now: number): Promise<boolean> {
      const result = await db
        .updateTable('webhook_deliveries')
        .set((eb) => ({
          status: 'pending',
          generation: generation + 1,
          schedule_start: eb.ref('attempt_count'),
          next_attempt_at: now,
          updated_at: now,
        }))
        .where('id', '=', id)
        .where('generation', '=', generation)
        .executeTakeFirst()
      return result.numUpdatedRows > 0n
    },

    /** Pending deliveries whose next attempt was due before `before`, oldest first. */
    async overdue(before: number, limit: number): Promise<DeliveryRow[]> {
      return db
        .selectFrom('webhook_deliveries')
        .selectAll()
        .where(pendingOnly)
        .where('next_attempt_at', '<', before)
        .orderBy('next_attempt_at')
        .limit(limit)
        .execute()
    },

    /** How many deliveries are pending across all workspaces (`toolplane_webhook_backlog`). */
    async pendingCount(): Promise<number> {
      const row = await db
        .selectFrom('webhook_deliveries')
        .select((eb) => eb.fn.countAll<number | string>().as('count'))
        .where(pendingOnly)
        .executeTakeFirst()
      return Number(row?.count ?? 0)
    },
  }
}

export type WebhookStore = ReturnType<typeof webhookStore>
