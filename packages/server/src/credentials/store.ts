import type { Kysely, Selectable } from 'kysely'
import type { PageRequest } from '../db/pagination.js'
import type { CredentialStatusChangeTable, CredentialTable, Schema } from '../db/schema.js'

export type CredentialRow = Selectable<CredentialTable>
export type StatusChangeRow = Selectable<CredentialStatusChangeTable>

/**
 * Credential rows. Every method takes the workspace id, except the key-rotation scan, which works
 * across workspaces by design (it re-wraps data keys and never reads secrets).
 */
export function credentialStore(db: Kysely<Schema>) {
  return {
    async insert(row: CredentialRow): Promise<void> {
      await db.insertInto('credentials').values(row).execute()
    },

    async get(workspaceId: string, id: string): Promise<CredentialRow | undefined> {
      return db
        .selectFrom('credentials')
        .selectAll()
        .where('workspace_id', '=', workspaceId)
        .where('id', '=', id)
        .executeTakeFirst()
    },

    /** Newest first; served by (workspace_id, id) or (workspace_id, external_user_id, id). */
    async list(
      workspaceId: string,
      filter: { externalUserId?: string; tool?: string },
      page: PageRequest,
    ): Promise<CredentialRow[]> {
      let query = db
        .selectFrom('credentials')
        .selectAll()
        .where('workspace_id', '=', workspaceId)
        .orderBy('id', 'desc')
        .limit(page.limit + 1)
      if (filter.externalUserId !== undefined)
        query = query.where('external_user_id', '=', filter.externalUserId)
      if (filter.tool !== undefined) query = query.where('tool', '=', filter.tool)
      if (page.after !== null) query = query.where('id', '<', page.after)
      return query.execute()
    },

    async update(
      workspaceId: string,
      id: string,
      changes: Partial<Omit<CredentialRow, 'id' | 'workspace_id' | 'created_at'>>,
    ): Promise<void> {
      await db
        .updateTable('credentials')
        .set(changes)
        .where('workspace_id', '=', workspaceId)
        .where('id', '=', id)
        .execute()
    },

    async delete(workspaceId: string, id: string): Promise<boolean> {
      const result = await db
        .deleteFrom('credentials')
        .where('workspace_id', '=', workspaceId)
        .where('id', '=', id)
        .executeTakeFirst()
      return result.numDeletedRows > 0n
    },

    async insertStatusChange(row: StatusChangeRow): Promise<void> {
      await db.insertInto('credential_status_changes').values(row).execute()
    },

    async statusChanges(
      workspaceId: string,
      credentialId: string,
      limit: number,
    ): Promise<StatusChangeRow[]> {
      return db
        .selectFrom('credential_status_changes')
        .selectAll()
        .where('workspace_id', '=', workspaceId)
        .where('credential_id', '=', credentialId)
        .orderBy('id', 'desc')
        .limit(limit)
        .execute()
    },

    /** Rotation: the next batch of envelopes not sealed under `version`, after `afterId`. */
    async envelopesNotUnder(
      version: number,
      afterId: string | null,
      limit: number,
    ): Promise<Pick<CredentialRow, 'id' | 'workspace_id' | 'secret_envelope' | 'key_version'>[]> {
      let query = db
        .selectFrom('credentials')
        .select(['id', 'workspace_id', 'secret_envelope', 'key_version'])
        .where('key_version', '!=', version)
        .orderBy('id')
        .limit(limit)
      if (afterId !== null) query = query.where('id', '>', afterId)
      return query.execute()
    },

    /** Rotation: replaces an envelope only if it is still the one read (compare and swap). */
    async swapEnvelope(
      workspaceId: string,
      id: string,
      expected: string,
      next: { secret_envelope: string; key_version: number },
    ): Promise<boolean> {
      const result = await db
        .updateTable('credentials')
        .set(next)
        .where('workspace_id', '=', workspaceId)
        .where('id', '=', id)
        .where('secret_envelope', '=', expected)
        .executeTakeFirst()
      return result.numUpdatedRows > 0n
    },

    /**
     * The sweep: credentials not checked since `checkedBefore`, or whose token expires before
     * `expiringBefore`, across workspaces (the sweep acts for each credential's own workspace).
     */
    async dueForSweep(
      checkedBefore: number,
      expiringBefore: number,
      limit: number,
    ): Promise<Pick<CredentialRow, 'id' | 'workspace_id'>[]> {
      return db
        .selectFrom('credentials')
        .select(['id', 'workspace_id'])
        .where('status', 'not in', ['expired', 'invalid'])
        .where((eb) =>
          eb.or([
            eb('last_checked_at', 'is', null),
            eb('last_checked_at', '<', checkedBefore),
            eb.and([eb('expires_at', 'is not', null), eb('expires_at', '<', expiringBefore)]),
          ]),
        )
        .orderBy('id')
        .limit(limit)
        .execute()
    },

    async keyVersionsInUse(): Promise<number[]> {
      const rows = await db.selectFrom('credentials').select('key_version').distinct().execute()
      return rows.map((r) => r.key_version)
    },

    async countByKeyVersion(): Promise<{ version: number; count: number }[]> {
      const rows = await db
        .selectFrom('credentials')
        .select((eb) => ['key_version', eb.fn.countAll<number | string>().as('count')])
        .groupBy('key_version')
        .execute()
      return rows.map((r) => ({ version: r.key_version, count: Number(r.count) }))
    },
  }
}

export type CredentialStore = ReturnType<typeof credentialStore>
