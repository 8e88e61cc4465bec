import type { Kysely, Selectable } from 'kysely'
import type { Schema, WorkspaceToolTable } from '../db/schema.js'

export type WorkspaceToolRow = Selectable<WorkspaceToolTable>

/** A workspace's imported tools. Every method takes the workspace id. */
export function workspaceToolStore(db: Kysely<Schema>) {
  return {
    /** Ids and versions only: enough to tell which cached tools are current. */
    async versions(workspaceId: string): Promise<{ id: string; slug: string; updated_at: number }[]> {
      return db
        .selectFrom('workspace_tools')
        .select(['id', 'slug', 'updated_at'])
        .where('workspace_id', '=', workspaceId)
        .orderBy('slug')
        .execute()
    },

    async get(workspaceId: string, id: string): Promise<WorkspaceToolRow | undefined> {
      return db
        .selectFrom('workspace_tools')
        .selectAll()
        .where('workspace_id', '=', workspaceId)
        .where('id', '=', id)
        .executeTakeFirst()
    },

    async findBySlug(workspaceId: string, slug: string): Promise<WorkspaceToolRow | undefined> {
      return db
        .selectFrom('workspace_tools')
        .selectAll()
        .where('workspace_id', '=', workspaceId)
        .where('slug', '=', slug)
        .executeTakeFirst()
    },

    async insert(row: WorkspaceToolRow): Promise<void> {
      await db.insertInto('workspace_tools').values(row).execute()
    },

    async replace(
      workspaceId: string,
      id: string,
      row: Omit<WorkspaceToolRow, 'id' | 'workspace_id' | 'created_at'>,
    ): Promise<void> {
      await db
        .updateTable('workspace_tools')
        .set(row)
        .where('workspace_id', '=', workspaceId)
        .where('id', '=', id)
        .execute()
    },

    async delete(workspaceId: string, slug: string): Promise<boolean> {
      const result = await db
        .deleteFrom('workspace_tools')
        .where('workspace_id', '=', workspaceId)
        .where('slug', '=', slug)
        .executeTakeFirst()
      return result.numDeletedRows > 0n
    },
  }
}

export type WorkspaceToolStore = ReturnType<typeof workspaceToolStore>
