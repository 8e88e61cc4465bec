import { sql } from 'kysely'
import type { Kysely, Selectable } from 'kysely'
import type { Dialect } from '../db/database.js'
import { createGroupCommit } from '../db/group-commit.js'
import type { PageRequest } from '../db/pagination.js'
import type { BatchTable, ExecutionTable, IdempotencyKeyTable, Schema } from '../db/schema.js'

export type ExecutionRow = Selectable<ExecutionTable>
export type BatchRow = Selectable<BatchTable>
export type IdempotencyKeyRow = Selectable<IdempotencyKeyTable>

/** The filters of `GET /v1/executions` and of the live tail. */
export interface ExecutionFilter {
  readonly status?: string
  readonly tool?: string
  readonly action?: string
  readonly credentialId?: string
  readonly batchId?: string
  /** Epoch milliseconds, inclusive. */
  readonly from?: number
  /** Epoch milliseconds, exclusive. */
  readonly to?: number
  /** Free text: every word must appear (as a word prefix) in the execution's search text. */
  readonly q?: string
}

type ExecutionChanges = Partial<Omit<ExecutionRow, 'id' | 'workspace_id' | 'created_at'>>

const maxSearchWords = 8
/** Up to this many matching rows, a search starts from the full-text index; beyond, from the newest rows. */
export const searchProbeLimit = 2000

/**
 * Words of a free-text query, reduced to what both full-text engines treat as a token: letters and
 * digits. Anything else separates words, so no query syntax can be injected into MATCH/to_tsquery.
 */
export function searchWords(q: string): string[] {
  return (q.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).slice(0, maxSearchWords)
}

/**
 * Execution, batch and idempotency-key rows. Every read and write names the workspace, except the
 * background sweeps (retention, stale runs), which work across workspaces by design.
 */
export function executionStore(db: Kysely<Schema>, dialect: Dialect) {
  // Recording an execution is on every run's path. On SQLite a commit costs more than the row, and
  // runs on this thread: writes are committed in groups. PostgreSQL commits on its own processes,
  // many at once over the pool: each write goes alone.
  const grouped = createGroupCommit(db)
  const writes =
    dialect === 'sqlite'
      ? grouped
      : {
          run: <T>(write: (trx: Kysely<Schema>) => Promise<T>) => write(db),
          drain: () => Promise.resolve(),
        }
  return {
    async insert(row: ExecutionRow): Promise<void> {
      await writes.run((trx) => trx.insertInto('executions').values(row).execute())
    },

    /** Inserts many rows in one transaction (a batch's items). */
    async insertMany(rows: readonly ExecutionRow[]): Promise<void> {
      await db.transaction().execute(async (trx) => {
        for (let i = 0; i < rows.length; i += 200) {
          await trx
            .insertInto('executions')
            .values(rows.slice(i, i + 200))
            .execute()
        }
      })
    },

    async get(workspaceId: string, id: string): Promise<ExecutionRow | undefined> {
      return db
        .selectFrom('executions')
        .selectAll()
        .where('workspace_id', '=', workspaceId)
        .where('id', '=', id)
        .executeTakeFirst()
    },

    /** For the worker, which knows only the id its job carries. */
    async getById(id: string): Promise<ExecutionRow | undefined> {
      return db.selectFrom('executions').selectAll().where('id', '=', id).executeTakeFirst()
    },

    async update(id: string, changes: ExecutionChanges): Promise<void> {
      await db.updateTable('executions').set(changes).where('id', '=', id).execute()
    },

    /**
     * Changes a row only while its status is one of `from`; returns whether it did. This is how a
     * worker claims a run and how a cancellation and a finishing run never overwrite each other.
     */
    async transition(id: string, from: readonly string[], changes: ExecutionChanges): Promise<boolean> {
      const result = await writes.run((trx) =>
        trx
          .updateTable('executions')
          .set(changes)
          .where('id', '=', id)
          .where('status', 'in', from)
          .executeTakeFirst(),
      )
      return result.numUpdatedRows > 0n
    },

    /** Resolves once every write submitted so far has committed. */
    drain: () => writes.drain(),

    /** Newest first, filtered; `q` goes through FTS5 on SQLite and a GIN tsvector index on PostgreSQL. */
    async list(workspaceId: string, filter: ExecutionFilter, page: PageRequest): Promise<ExecutionRow[]> {
      /** The ids of rows matching every word, at most `limit` of them (cheap for any word). */
      const matchingIds = async (words: readonly string[], limit: number): Promise<string[]> => {
        if (dialect === 'sqlite') {
          const match = words.map((w) => `"${w}"*`).join(' ')
          const { rows } = await sql<{
            id: string
          }>`select executions.id from executions_fts join executions on executions.rowid = executions_fts.rowid where executions_fts match ${match} and executions.workspace_id = ${workspaceId} limit ${limit}`.execute(
            db,
          )
          return rows.map((r) => r.id)
        }
        const tsquery = words.map((w) => `${w}:*`).join(' & ')
        const { rows } = await sql<{
          id: string
        }>`select id from executions where workspace_id = ${workspaceId} and to_tsvector('simple', search_text) @@ to_tsquery('simple', ${tsquery}) limit ${limit}`.execute(
          db,
        )
        return rows.map((r) => r.id)
      }
      let query = db
        .selectFrom('executions')
        .selectAll('executions')
        .where('executions.workspace_id', '=', workspaceId)
        .orderBy('executions.id', 'desc')
        .limit(page.limit + 1)
      if (filter.status !== undefined) query = query.where('executions.status', '=', filter.status)
      if (filter.tool !== undefined) query = query.where('executions.tool', '=', filter.tool)
      if (filter.action !== undefined) query = query.where('executions.action', '=', filter.action)
      if (filter.credentialId !== undefined)
        query = query.where('executions.credential_id', '=', filter.credentialId)
      if (filter.batchId !== undefined) query = query.where('executions.batch_id', '=', filter.batchId)
      if (filter.from !== undefined) query = query.where('executions.created_at', '>=', filter.from)
      if (filter.to !== undefined) query = query.where('executions.created_at', '<', filter.to)
      if (page.after !== null) query = query.where('executions.id', '<', page.after)
      const words = filter.q === undefined ? [] : searchWords(filter.q)
      if (words.length > 0) {
        // Two plans, chosen by how many rows match. Few: take the matches from the full-text index,
        // then order them. Many: walk the newest rows in order and stop at a full page, testing each
        // row's own text — the index would hand back every match just to keep the newest fifty.
        const ids = await matchingIds(words, searchProbeLimit + 1)
        if (ids.length <= searchProbeLimit) {
          if (ids.length === 0) return []
          query = query.where('executions.id', 'in', ids)
        } else if (dialect === 'sqlite') {
          for (const word of words) {
            query = query.where(sql<boolean>`(' ' || lower(executions.search_text)) like ${`% ${word}%`}`)
          }
        } else {
          const tsquery = words.map((w) => `${w}:*`).join(' & ')
          query = query.where(
            sql<boolean>`to_tsvector('simple', executions.search_text) @@ to_tsquery('simple', ${tsquery})`,
          )
        }
      }
      return query.execute()
    },

    /** A batch's items in order. */
    async batchItems(
      workspaceId: string,
      batchId: string,
      page: { limit: number; afterIndex: number | null },
    ): Promise<ExecutionRow[]> {
      let query = db
        .selectFrom('executions')
        .selectAll()
        .where('workspace_id', '=', workspaceId)
        .where('batch_id', '=', batchId)
        .orderBy('batch_index', 'asc')
        .limit(page.limit + 1)
      if (page.afterIndex !== null) query = query.where('batch_index', '>', page.afterIndex)
      return query.execute()
    },

    /** Item counts per status of one batch. */
    async batchCounts(batchId: string): Promise<Record<string, number>> {
      const rows = await db
        .selectFrom('executions')
        .select(['status', db.fn.countAll<string | number>().as('count')])
        .where('batch_id', '=', batchId)
        .groupBy('status')
        .execute()
      return Object.fromEntries(rows.map((r) => [r.status, Number(r.count)]))
    },

    async insertBatch(row: BatchRow): Promise<void> {
      await db.insertInto('batches').values(row).execute()
    },

    async getBatch(workspaceId: string, id: string): Promise<BatchRow | undefined> {
      return db
        .selectFrom('batches')
        .selectAll()
        .where('workspace_id', '=', workspaceId)
        .where('id', '=', id)
        .executeTakeFirst()
    },

    async getBatchById(id: string): Promise<BatchRow | undefined> {
      return db.selectFrom('batches').selectAll().where('id', '=', id).executeTakeFirst()
    },

    async listBatches(workspaceId: string, page: PageRequest): Promise<BatchRow[]> {
      let query = db
        .selectFrom('batches')
        .selectAll()
        .where('workspace_id', '=', workspaceId)
        .orderBy('id', 'desc')
        .limit(page.limit + 1)
      if (page.after !== null) query = query.where('id', '<', page.after)
      return query.execute()
    },

    async finishBatch(id: string, status: string, at: number): Promise<boolean> {
      const result = await db
        .updateTable('batches')
        .set({ status, finished_at: at })
        .where('id', '=', id)
        .where('status', '=', 'running')
        .executeTakeFirst()
      return result.numUpdatedRows > 0n
    },

    /** Claims an idempotency key; false when the workspace already holds it. */
    async claimIdempotencyKey(row: IdempotencyKeyRow): Promise<boolean> {
      const result = await db
        .insertInto('idempotency_keys')
        .values(row)
        .onConflict((oc) => oc.columns(['workspace_id', 'key']).doNothing())
        .executeTakeFirst()
      return (result.numInsertedOrUpdatedRows ?? 0n) > 0n
    },

    async getIdempotencyKey(workspaceId: string, key: string): Promise<IdempotencyKeyRow | undefined> {
      return db
        .selectFrom('idempotency_keys')
        .selectAll()
        .where('workspace_id', '=', workspaceId)
        .where('key', '=', key)
        .executeTakeFirst()
    },

    /** Frees a key whose first request changed nothing (it was refused), or that expired. */
    async releaseIdempotencyKey(
      workspaceId: string,
      key: string,
      condition: { executionId?: string; expiredBefore?: number },
    ): Promise<void> {
      let query = db
        .deleteFrom('idempotency_keys')
        .where('workspace_id', '=', workspaceId)
        .where('key', '=', key)
      if (condition.executionId !== undefined) query = query.where('execution_id', '=', condition.executionId)
      if (condition.expiredBefore !== undefined)
        query = query.where('expires_at', '<', condition.expiredBefore)
      await query.execute()
    },

    /** Deletes up to `limit` executions created before `before`; returns how many. */
    async deleteOlderThan(before: number, limit: number): Promise<number> {
      const ids = await db
        .selectFrom('executions')
        .select('id')
        .where('created_at', '<', before)
        .where('batch_id', 'is', null)
        .limit(limit)
        .execute()
      if (ids.length === 0) return 0
      const result = await db
        .deleteFrom('executions')
        .where(
          'id',
          'in',
          ids.map((r) => r.id),
        )
        .executeTakeFirst()
      return Number(result.numDeletedRows)
    },

    /** Deletes finished batches (with their items) created before `before`. */
    async deleteBatchesOlderThan(before: number, limit: number): Promise<number> {
      const ids = await db
        .selectFrom('batches')
        .select('id')
        .where('created_at', '<', before)
        .where('status', '!=', 'running')
        .limit(limit)
        .execute()
      if (ids.length === 0) return 0
      const list = ids.map((r) => r.id)
      await db.deleteFrom('executions').where('batch_id', 'in', list).execute()
      const result = await db.deleteFrom('batches').where('id', 'in', list).executeTakeFirst()
      return Number(result.numDeletedRows)
    },

    async deleteExpiredIdempotencyKeys(now: number): Promise<number> {
      const result = await db.deleteFrom('idempotency_keys').where('expires_at', '<', now).executeTakeFirst()
      return Number(result.numDeletedRows)
    },

    /** Runs that look abandoned: `status` rows last touched before `before`, oldest first. */
    async stale(status: 'queued' | 'running', mode: 'sync' | 'async', before: number, limit: number) {
      const column = status === 'queued' ? 'created_at' : 'started_at'
      return db
        .selectFrom('executions')
        .select(['id', 'workspace_id', 'batch_id'])
        .where('status', '=', status)
        .where('mode', '=', mode)
        .where(column, '<', before)
        .limit(limit)
        .execute()
    },
  }
}

export type ExecutionStore = ReturnType<typeof executionStore>
