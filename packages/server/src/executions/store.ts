import { CompiledQuery, sql } from 'kysely'
import type { Kysely, Selectable } from 'kysely'
import type { Dialect } from '../db/database.js'
import type { PageRequest } from '../db/pagination.js'
import { deleteChosen } from '../db/retention.js'
import type { BatchTable, ExecutionTable, IdempotencyKeyTable, Schema } from '../db/schema.js'
import { sqliteWriter } from '../db/write-thread.js'
import { searchTextOfColumns } from './search-text.js'
import type { WriteStep, WriteValue } from '../db/write-thread.js'

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
/** A search tests the text of this many newest rows before it asks the full-text index for older ones. */
export const searchWindow = 5000

/** `word:*` terms joined with `&`: every word, each as a prefix (words are letters and digits only). */
function prefixQuery(words: readonly string[]): string {
  return words.map((w) => `${w}:*`).join(' & ')
}

/**
 * Words of a free-text query, reduced to what both full-text engines treat as a token: letters and
 * digits. Anything else separates words, so no query syntax can be injected into MATCH/to_tsquery.
 */
export function searchWords(q: string): string[] {
  return (q.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).slice(0, maxSearchWords)
}

/**
 * SQLite indexes recorded executions for full-text search in batches (migration 0011): when this many
 * rows recorded by a store are waiting…
 */
export const ftsIndexEvery = 250
/** …or this long after the first of them, whichever comes first. */
export const ftsIndexDelayMs = 1000
/** The index is merged after this many rows were indexed… */
const ftsMergeEvery = 20
/** …by this many pages at least, four per row, and at most (a bound on the time one merge takes). */
const ftsMergeMinPages = 64
const ftsMergeMaxPages = 512
const ftsMergeText = `insert into executions_fts(executions_fts, rank) values ('merge', ?)`
const ftsIndexPendingText = `insert into executions_fts (rowid, search_text)
  select executions.rowid, executions.search_text from executions_fts_pending
  join executions on executions.rowid = executions_fts_pending.id`
const ftsClearPendingText = 'delete from executions_fts_pending'

/**
 * A row's values as a write step's parameters. They are what the rows hold: strings, numbers and nulls
 * (flags such as `cancel_requested` are numbers already).
 */
function writeValues(values: readonly unknown[]): WriteValue[] {
  return values as WriteValue[]
}

function searchTextOfRow(row: ExecutionRow): string {
  return searchTextOfColumns(row.tool, row.action, row.input, row.output, row.error)
}

/**
 * Execution, batch and idempotency-key rows. Every read and write names the workspace, except the
 * background sweeps (retention, stale runs), which work across workspaces by design.
 */
export function executionStore(db: Kysely<Schema>, dialect: Dialect) {
  // Recording an execution is on every run's path. On SQLite a commit costs more than the row: the
  // record and its state changes go to the database's writer (a thread of its own), which commits them
  // in groups. PostgreSQL commits on its own processes, many at once over the pool: each write goes alone.
  const writer = dialect === 'sqlite' ? sqliteWriter(db) : null
  // The insert of every run, its SQL made once per set of columns (rows are built by our code, so
  // there are one or two): building it with the query builder each time costs more than running it.
  // With it, where the write thread finds the inserted row's search text and what it is made from.
  const inserts = new Map<string, { text: string; deriveSearchText: NonNullable<WriteStep['derive']> }>()
  function insertQuery(row: ExecutionRow) {
    // A column left undefined is left out, as the query builder would.
    const values = row as unknown as Record<string, unknown>
    const columns = Object.keys(row).filter((column) => values[column] !== undefined)
    const key = columns.join(',')
    let insert = inserts.get(key)
    if (insert === undefined) {
      const names = columns.map((column) => `"${column}"`).join(', ')
      const places = columns.map((_, i) => (dialect === 'postgres' ? `$${String(i + 1)}` : '?')).join(', ')
      const at = (column: string) => columns.indexOf(column)
      insert = {
        text: `insert into "executions" (${names}) values (${places})`,
        deriveSearchText: {
          into: at('search_text'),
          using: 'searchText',
          from: [at('tool'), at('action'), at('input'), at('output'), at('error')],
        },
      }
      if (inserts.size < 16) inserts.set(key, insert)
    }
    return {
      query: CompiledQuery.raw(
        insert.text,
        columns.map((column) => values[column]),
      ),
      deriveSearchText: insert.deriveSearchText,
    }
  }

  // SQLite: a recorded row waits in executions_fts_pending (migration 0011) until a batch of them is
  // indexed, as steps of the write that makes the batch full, or of its own write a moment after the
  // first row waited. Searches test the newest rows' text directly (`list`), so no search misses a row
  // that waits. FTS5's own merging is off (migration 0010): it held the writer for tens of milliseconds
  // at once. Each batch, and every few changes to indexed rows, merges a bounded number of pages instead.
  // The counts stay on this thread.
  let waiting = 0
  let indexTimer: NodeJS.Timeout | undefined
  let indexedSinceMerge = 0
  /** Counts `written` indexed rows; the pages to merge now, or null when it is not yet time. */
  function mergePages(written: number): number | null {
    indexedSinceMerge += written
    if (indexedSinceMerge < ftsMergeEvery) return null
    const pages = Math.min(ftsMergeMaxPages, Math.max(ftsMergeMinPages, indexedSinceMerge * 4))
    indexedSinceMerge = 0
    return pages
  }
  /** `steps`, followed by the index's merge when `written` more indexed rows make it due. */
  function withMerge(steps: WriteStep[], written: number): { steps: WriteStep[] } {
    const pages = mergePages(written)
    if (pages !== null) steps.push({ sql: ftsMergeText, parameters: [pages] })
    return { steps }
  }
  /** The steps that index every waiting row (whoever recorded it) and merge. */
  function indexSteps(): WriteStep[] {
    const written = waiting
    waiting = 0
    clearTimeout(indexTimer)
    indexTimer = undefined
    return withMerge(
      [
        { sql: ftsIndexPendingText, parameters: [] },
        { sql: ftsClearPendingText, parameters: [] },
      ],
      Math.max(written, 1),
    ).steps
  }
  /** Indexes the waiting rows now; used by the timer, and by tests that read the index itself. */
  async function indexWaiting(): Promise<void> {
    if (writer === null) return
    await writer.run({ steps: indexSteps() })
  }
  /** Indexes the waiting rows a moment from now, unless that is already planned. */
  function indexLater(): void {
    // Unreferenced: a timer never keeps the process up; a write after the database closed fails quietly
    // (the rows wait in the table, and the next run indexes them with its first batch).
    indexTimer ??= setTimeout(() => {
      indexTimer = undefined
      indexWaiting().catch(() => undefined)
    }, ftsIndexDelayMs).unref()
  }
  /** Counts `written` recorded rows; the steps that index them when the batch is full. */
  function recorded(written: number): WriteStep[] {
    waiting += written
    if (waiting >= ftsIndexEvery) return indexSteps()
    indexLater()
    return []
  }
  /** Runs a write that records rows; should one that was to index the batch fail, the batch waits on. */
  async function recording<T>(indexing: readonly WriteStep[], write: () => Promise<T>): Promise<T> {
    try {
      return await write()
    } catch (error) {
      if (indexing.length > 0) indexLater()
      throw error
    }
  }

  return {
    /**
     * Records a new execution. With `deriveSearchText`, the row's `search_text` is ignored and made from
     * its tool, action, input, output and error columns: on SQLite by the write thread, off the request
     * thread (a sync run's record is on its request's path), on PostgreSQL here.
     */
    async insert(row: ExecutionRow, options: { deriveSearchText?: boolean } = {}): Promise<void> {
      if (writer === null) {
        const recordedRow =
          options.deriveSearchText === true ? { ...row, search_text: searchTextOfRow(row) } : row
        await db.executeQuery(insertQuery(recordedRow).query)
        return
      }
      const { query, deriveSearchText } = insertQuery(row)
      const insert: WriteStep = {
        sql: query.sql,
        parameters: writeValues(query.parameters),
        ...(options.deriveSearchText === true ? { derive: deriveSearchText } : {}),
      }
      const indexing = recorded(1)
      await recording(indexing, () => writer.run({ steps: [insert, ...indexing] }))
    },

    /** Inserts many rows in one transaction (a batch's items). */
    async insertMany(rows: readonly ExecutionRow[]): Promise<void> {
      const indexing = dialect === 'sqlite' ? recorded(rows.length) : []
      await recording(indexing, () =>
        db.transaction().execute(async (trx) => {
          for (let i = 0; i < rows.length; i += 200) {
            await trx
              .insertInto('executions')
              .values(rows.slice(i, i + 200))
              .execute()
          }
          for (const step of indexing) {
            await trx.executeQuery(CompiledQuery.raw(step.sql, [...step.parameters]))
          }
        }),
      )
    },

    /** SQLite: indexes the rows that wait for the full-text index now, rather than with the next batch. */
    indexWaiting,

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
      if (writer === null) {
        const result = await db
          .updateTable('executions')
          .set(changes)
          .where('id', '=', id)
          .where('status', 'in', from)
          .executeTakeFirst()
        return result.numUpdatedRows > 0n
      }
      // A column left undefined is left out, as the query builder would. The names are our own columns.
      const values = changes as Record<string, unknown>
      const columns = Object.keys(changes).filter((column) => values[column] !== undefined)
      const text = `update "executions" set ${columns.map((column) => `"${column}" = ?`).join(', ')}
        where "id" = ? and "status" in (${from.map(() => '?').join(', ')})`
      const step = {
        sql: text,
        parameters: writeValues([...columns.map((column) => values[column]), id, ...from]),
      }
      const program = changes.search_text === undefined ? { steps: [step] } : withMerge([step], 1)
      const [updated] = await writer.run(program)
      return (updated?.changes ?? 0) > 0
    },

    /** Resolves once every write submitted so far has committed (SQLite's writer). */
    drain: () => writer?.drain() ?? Promise.resolve(),

    /**
     * Newest first, filtered. With `q`: the newest rows that pass the filters (a window of
     * {@link searchWindow}) are walked in order, testing each row's text, which fills a page at once
     * for a common word; older matches come from the full-text index (FTS5 on SQLite, a GIN index on
     * PostgreSQL), which finds a rare word at once. Either way no plan reads every match of a common
     * word nor every row for a rare one.
     */
    async list(workspaceId: string, filter: ExecutionFilter, page: PageRequest): Promise<ExecutionRow[]> {
      const filtered = () => {
        let query = db.selectFrom('executions').where('executions.workspace_id', '=', workspaceId)
        if (filter.status !== undefined) query = query.where('executions.status', '=', filter.status)
        if (filter.tool !== undefined) query = query.where('executions.tool', '=', filter.tool)
        if (filter.action !== undefined) query = query.where('executions.action', '=', filter.action)
        if (filter.credentialId !== undefined)
          query = query.where('executions.credential_id', '=', filter.credentialId)
        if (filter.batchId !== undefined) query = query.where('executions.batch_id', '=', filter.batchId)
        if (filter.from !== undefined) query = query.where('executions.created_at', '>=', filter.from)
        if (filter.to !== undefined) query = query.where('executions.created_at', '<', filter.to)
        if (page.after !== null) query = query.where('executions.id', '<', page.after)
        return query
      }
      const wanted = page.limit + 1
      const words = filter.q === undefined ? [] : searchWords(filter.q)
      if (words.length === 0) {
        return filtered().selectAll('executions').orderBy('executions.id', 'desc').limit(wanted).execute()
      }

      const edge = await filtered()
        .select('executions.id')
        .orderBy('executions.id', 'desc')
        .offset(searchWindow - 1)
        .limit(1)
        .executeTakeFirst()
      let recent = filtered().selectAll('executions').orderBy('executions.id', 'desc').limit(wanted)
      if (dialect === 'sqlite') {
        // search_text is stored in lower case with words separated by single spaces.
        for (const word of words) {
          recent = recent.where(sql<boolean>`(' ' || executions.search_text) like ${`% ${word}%`}`)
        }
      } else {
        recent = recent.where(
          sql<boolean>`executions.search_vector @@ to_tsquery('simple', ${prefixQuery(words)})`,
        )
      }
      if (edge !== undefined) recent = recent.where('executions.id', '>=', edge.id)
      const found = await recent.execute()
      if (found.length >= wanted || edge === undefined) return found

      const missing = wanted - found.length
      const older = filtered().where('executions.id', '<', edge.id)
      if (dialect === 'sqlite') {
        // The index holds what was indexed so far: rows still waiting (rarely more than a batch) are
        // indexed first, so this search misses none of them.
        const waits = await sql<{ id: number }>`select id from executions_fts_pending limit 1`.execute(db)
        if (waits.rows.length > 0) await indexWaiting()
        const match = words.map((w) => `"${w}"*`).join(' ')
        const rows = await older
          .selectAll('executions')
          .where(
            sql<boolean>`executions.rowid in (select rowid from executions_fts where executions_fts match ${match})`,
          )
          .orderBy('executions.id', 'desc')
          .limit(missing)
          .execute()
        return [...found, ...rows]
      }
      // Materialized, so PostgreSQL reads the matches from the GIN index and sorts only them, instead
      // of walking the primary key backwards and testing every row on the way.
      const rows = await db
        .with(
          (cte) => cte('hits').materialized(),
          () =>
            older
              .select('executions.id')
              .where(sql<boolean>`executions.search_vector @@ to_tsquery('simple', ${prefixQuery(words)})`),
        )
        .with('top', (qb) =>
          qb.selectFrom('hits').select('hits.id').orderBy('hits.id', 'desc').limit(missing),
        )
        .selectFrom('executions')
        .selectAll('executions')
        .where('executions.id', 'in', (qb) => qb.selectFrom('top').select('top.id'))
        .orderBy('executions.id', 'desc')
        .execute()
      return [...found, ...rows]
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
      return deleteChosen(db, 'executions', ids)
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
