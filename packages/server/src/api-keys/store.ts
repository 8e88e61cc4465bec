import type { Kysely, Selectable } from 'kysely'
import type { PageRequest } from '../db/pagination.js'
import type { ApiKeyTable, Schema } from '../db/schema.js'

export type ApiKeyRow = Selectable<ApiKeyTable>

/**
 * API key rows. Every method takes the workspace id, except `findActiveByHash`, which is how a
 * request is authenticated and so cannot know the workspace yet.
 */
export function apiKeyStore(db: Kysely<Schema>) {
  return {
    async insert(row: ApiKeyRow): Promise<void> {
      await db.insertInto('api_keys').values(row).execute()
    },

    /** Active keys, newest first. Served by the (workspace_id, id) index. */
    async list(workspaceId: string, page: PageRequest): Promise<ApiKeyRow[]> {
      let query = db
        .selectFrom('api_keys')
        .selectAll()
        .where('workspace_id', '=', workspaceId)
        .where('revoked_at', 'is', null)
        .orderBy('id', 'desc')
        .limit(page.limit + 1)
      if (page.after !== null) query = query.where('id', '<', page.after)
      return query.execute()
    },

    async get(workspaceId: string, id: string): Promise<ApiKeyRow | undefined> {
      return db
        .selectFrom('api_keys')
        .selectAll()
        .where('workspace_id', '=', workspaceId)
        .where('id', '=', id)
        .executeTakeFirst()
    },

    /** Marks a key revoked; returns false when there is no active key with that id in the workspace. */
    async revoke(workspaceId: string, id: string, now: number): Promise<boolean> {
      const result = await db
        .updateTable('api_keys')
        .set({ revoked_at: now })
        .where('workspace_id', '=', workspaceId)
        .where('id', '=', id)
        .where('revoked_at', 'is', null)
        .executeTakeFirst()
      return result.numUpdatedRows > 0n
    },

    async touch(workspaceId: string, id: string, now: number): Promise<void> {
      await db
        .updateTable('api_keys')
        .set({ last_used_at: now })
        .where('workspace_id', '=', workspaceId)
        .where('id', '=', id)
        .execute()
    },

    async findActiveByHash(keyHash: string): Promise<ApiKeyRow | undefined> {
      return db
        .selectFrom('api_keys')
        .selectAll()
        .where('key_hash', '=', keyHash)
        .where('revoked_at', 'is', null)
        .executeTakeFirst()
    },
  }
}

export type ApiKeyStore = ReturnType<typeof apiKeyStore>
