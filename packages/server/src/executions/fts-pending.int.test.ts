// SQLite indexes recorded executions for full-text search in batches (migration 0011, decision 0029).
// Rows that wait are found by search all the same, deleting or changing one never corrupts the index,
// and a batch comes when it is full, a moment after the first row waited, or before a search reads
// the index. On PostgreSQL (a GIN index, no batches) the same searches must give the same answers.
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { migrateDown, migrateUp } from '../db/migrator.js'
import { dialects } from '../testing/databases.js'
import { executionRow } from '../testing/executions.js'
import { startTestApp } from '../testing/harness.js'
import type { TestApp } from '../testing/harness.js'
import { ftsIndexDelayMs, ftsIndexEvery, executionStore, searchWindow } from './store.js'

describe.each(dialects)('executions waiting for the full-text index on %s', (dialect) => {
  let t: TestApp
  let workspaceId: string
  let serial = 0

  beforeAll(async () => {
    t = await startTestApp(dialect, {}, { runWorker: false })
    workspaceId = (await t.workspace('fts-pending')).id
  })
  afterAll(() => t.close())

  const id = () => `00000000-0000-7000-8000-${String((serial += 1)).padStart(12, '0')}`
  const page = { limit: 50, after: null }
  const sqlite = dialect === 'sqlite'

  /** Rows waiting (SQLite), and what the index itself finds for `word`. */
  const waiting = async () =>
    sqlite
      ? Number(
          (await sql<{ n: number }>`select count(*) as n from executions_fts_pending`.execute(t.database.db))
            .rows[0]?.n,
        )
      : 0
  const indexed = async (word: string) =>
    Number(
      (
        await sql<{
          n: number
        }>`select count(*) as n from executions_fts where executions_fts match ${word}`.execute(t.database.db)
      ).rows[0]?.n,
    )
  const integrity = () =>
    sql`insert into executions_fts(executions_fts) values ('integrity-check')`.execute(t.database.db)

  it('finds a row that waits, indexes it with the next batch, and keeps the index whole', async () => {
    const store = executionStore(t.database.db, dialect)
    const first = id()
    await store.insert(executionRow(workspaceId, first, { search_text: 'http request marmalade' }))
    await store.drain()
    expect((await store.list(workspaceId, { q: 'marmalade' }, page)).map((r) => r.id)).toEqual([first])
    if (!sqlite) return
    expect(await waiting()).toBeGreaterThan(0)
    expect(await indexed('marmalade')).toBe(0)

    // A waiting row's text changes (an async run finishing): it is indexed with its new text only.
    await store.transition(first, ['succeeded'], { search_text: 'http request quince' })
    // A waiting row is deleted, and so is one already indexed: neither reaches the index as a delete
    // of a row it does not hold.
    const gone = id()
    await store.insert(executionRow(workspaceId, gone, { search_text: 'http request damson' }))
    const indexedThenGone = id()
    await store.insert(executionRow(workspaceId, indexedThenGone, { search_text: 'http request greengage' }))
    await store.drain()
    await t.database.db.deleteFrom('executions').where('id', '=', gone).execute()
    await store.indexWaiting()
    expect(await waiting()).toBe(0)
    expect(await indexed('quince')).toBe(1)
    expect(await indexed('marmalade')).toBe(0)
    expect(await indexed('damson')).toBe(0)
    expect(await indexed('greengage')).toBe(1)
    await t.database.db.deleteFrom('executions').where('id', '=', indexedThenGone).execute()
    expect(await indexed('greengage')).toBe(0)
    // An indexed row's text changes: the index follows at once.
    await store.transition(first, ['succeeded'], { search_text: 'http request medlar' })
    expect(await indexed('quince')).toBe(0)
    expect(await indexed('medlar')).toBe(1)
    await integrity()
  })

  it.runIf(sqlite)(
    `indexes a full batch of ${String(ftsIndexEvery)} with the write that fills it`,
    async () => {
      const store = executionStore(t.database.db, dialect)
      await store.indexWaiting()
      for (let i = 0; i < ftsIndexEvery; i++) {
        await store.insert(executionRow(workspaceId, id(), { search_text: 'http request batchful' }))
      }
      await store.drain()
      expect(await waiting()).toBe(0)
      expect(await indexed('batchful')).toBe(ftsIndexEvery)
      await integrity()
    },
  )

  it.runIf(sqlite)('indexes a batch later when the write that was to index it fails', async () => {
    const store = executionStore(t.database.db, dialect)
    await store.indexWaiting()
    const first = id()
    await store.insert(executionRow(workspaceId, first, { search_text: 'http request bilberry' }))
    for (let i = 1; i < ftsIndexEvery - 1; i++) {
      await store.insert(executionRow(workspaceId, id(), { search_text: 'http request bilberry' }))
    }
    // The write that fills the batch fails (the id is taken): the rows go on waiting, briefly.
    await expect(store.insert(executionRow(workspaceId, first))).rejects.toThrow(/UNIQUE/)
    expect(await waiting()).toBe(ftsIndexEvery - 1)
    await new Promise((resolve) => setTimeout(resolve, ftsIndexDelayMs + 300))
    await store.drain()
    expect(await waiting()).toBe(0)
    expect(await indexed('bilberry')).toBe(ftsIndexEvery - 1)
  })

  it.runIf(sqlite)('indexes a lone row a moment after it was recorded', async () => {
    const store = executionStore(t.database.db, dialect)
    await store.insert(executionRow(workspaceId, id(), { search_text: 'http request lonesome' }))
    await store.drain()
    expect(await indexed('lonesome')).toBe(0)
    await new Promise((resolve) => setTimeout(resolve, ftsIndexDelayMs + 300))
    await store.drain()
    expect(await indexed('lonesome')).toBe(1)
    expect(await waiting()).toBe(0)
  })

  it.runIf(sqlite)(
    'indexes the waiting rows when migration 0011 is reverted, and waits again after',
    async () => {
      const store = executionStore(t.database.db, dialect)
      await store.indexWaiting()
      await store.insert(executionRow(workspaceId, id(), { search_text: 'http request mulberry' }))
      await store.drain()
      expect(await waiting()).toBe(1)
      expect(await migrateDown(t.database.db)).toEqual(['0011-executions-fts-deferred'])
      expect(await indexed('mulberry')).toBe(1)
      // Back to indexing in the writing transaction.
      await store.insert(executionRow(workspaceId, id(), { search_text: 'http request loganberry' }))
      await store.drain()
      expect(await indexed('loganberry')).toBe(1)
      await integrity()
      expect(await migrateUp(t.database.db)).toEqual(['0011-executions-fts-deferred'])
      await store.insert(executionRow(workspaceId, id(), { search_text: 'http request boysenberry' }))
      await store.drain()
      expect(await waiting()).toBe(1)
      await store.indexWaiting()
      expect(await indexed('boysenberry')).toBe(1)
      await integrity()
    },
  )

  it('finds a waiting row that is older than the newest-rows window', async () => {
    const store = executionStore(t.database.db, dialect)
    // A row with an old id (a sync run that lasted long) recorded after more than a window of newer
    // rows: the search must read the index for it, and the index must hold it by then.
    const old = '00000000-0000-7000-0000-000000000001'
    const db = t.database.db
    if (sqlite) {
      await sql`with recursive seq(n) as (select 1 union all select n + 1 from seq where n < ${searchWindow + 10})
        insert into executions (id, workspace_id, tool, action, mode, status, input, attempts, correlation_id,
          cancel_requested, search_text, created_at)
        select printf('00000000-0000-7000-9000-%012d', n), ${workspaceId}, 'http', 'request', 'async', 'succeeded',
          '{}', '[]', 'c', 0, 'http request filler', n from seq`.execute(db)
      await store.indexWaiting()
    } else {
      await sql`insert into executions (id, workspace_id, tool, action, mode, status, input, attempts, correlation_id,
          cancel_requested, search_text, created_at)
        select '00000000-0000-7000-9000-' || lpad(n::text, 12, '0'), ${workspaceId}, 'http', 'request', 'async',
          'succeeded', '{}', '[]', 'c', 0, 'http request filler', n
        from generate_series(1, ${searchWindow + 10}) as n`.execute(db)
    }
    await store.insert(executionRow(workspaceId, old, { search_text: 'http request elderberry' }))
    await store.drain()
    expect(await waiting()).toBe(sqlite ? 1 : 0)
    expect((await store.list(workspaceId, { q: 'elderberry' }, page)).map((r) => r.id)).toEqual([old])
    expect(await waiting()).toBe(0)
  })
})
