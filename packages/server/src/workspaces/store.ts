import type { Kysely, Selectable } from 'kysely'
import type { Schema, WorkspaceTable } from '../db/schema.js'

export type WorkspaceRow = Selectable<WorkspaceTable>

export interface WorkspacePatch {
  readonly name?: string
  readonly monthlyExecutionQuota?: number | null
  readonly apiRateLimit?: string | null
}

/** Workspace rows. Reads and writes are by the caller's own workspace id. */
export function workspaceStore(db: Kysely<Schema>) {
  return {
    async insert(row: WorkspaceRow): Promise<void> {
      await db.insertInto('workspaces').values(row).execute()
    },

    async get(workspaceId: string): Promise<WorkspaceRow | undefined> {
      return db.selectFrom('workspaces').selectAll().where('id', '=', workspaceId).executeTakeFirst()
    },

    /** For the CLI and sign-in, which name a workspace by its slug. */
    async findBySlug(slug: string): Promise<WorkspaceRow | undefined> {
      return db.selectFrom('workspaces').selectAll().where('slug', '=', slug).executeTakeFirst()
    },

    async isEmpty(): Promise<boolean> {
      const row = await db.selectFrom('workspaces').select('id').limit(1).executeTakeFirst()
      return row === undefined
    },

    async update(workspaceId: string, patch: WorkspacePatch, now: number): Promise<WorkspaceRow | undefined> {
      await db
        .updateTable('workspaces')
        .set({
          ...(patch.name === undefined ? {} : { name: patch.name }),
          ...(patch.monthlyExecutionQuota === undefined
            ? {}
            : { monthly_execution_quota: patch.monthlyExecutionQuota }),
          ...(patch.apiRateLimit === undefined ? {} : { api_rate_limit: patch.apiRateLimit }),
          updated_at: now,
        })
        .where('id', '=', workspaceId)
        .execute()
      return this.get(workspaceId)
    },
  }
}

export type WorkspaceStore = ReturnType<typeof workspaceStore>
