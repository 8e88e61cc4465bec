// The execution store's own merging of SQLite's full-text index (migration 0010 turns FTS5's
// automerge off): after many single-row transactions the index stays compact (few segments), and search still
// finds every row. On PostgreSQL (a GIN index, merged by PostgreSQL) only the search is checked.
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dialects } from '../testing/databases.js'
import { executionRow } from '../testing/executions.js'
import { startTestApp } from '../testing/harness.js'
import type { TestApp } from '../testing/harness.js'
import { executionStore } from './store.js'
import type { ExecutionRow } from './store.js'

const rows = 1000

/** The total number of segments in an FTS5 structure record. */
function segmentCount(record: Buffer): number {
  let at = 4
  const varint = () => {
    let value = 0
    for (let i = 0; i < 9; i++) {
      const byte = record[at++] ?? 0
      value = value * 128 + (byte & 0x7f)
      if ((byte & 0x80) === 0) break
    }
    return value
  }
  varint() // levels
  return varint()
}

describe.each(dialects)('the full-text index under many small writes on %s', (dialect) => {
  let t: TestApp
  let workspaceId: string

  beforeAll(async () => {
    t = await startTestApp(dialect, {}, { runWorker: false })
    workspaceId = (await t.workspace('fts')).id
  })
  afterAll(() => t.close())

  const row = (i: number): ExecutionRow =>
    executionRow(workspaceId, `00000000-0000-7000-8000-${String(i).padStart(12, '0')}`, {
      mode: 'sync',
      search_text: `http request get status 200 item${String(i)} ${i % 2 === 0 ? 'even' : 'odd'} launch checklist`,
      created_at: t.now.value - rows + i,
    })

  it('stays compact and finds every row after hundreds of one-row transactions', async () => {
    const store = executionStore(t.database.db, dialect)
    // One at a time: each insert is its own transaction, the worst case for the index.
    for (let i = 0; i < rows; i++) await store.insert(row(i))
    await store.indexWaiting()

    const page = { limit: 200, after: null }
    const even = await store.list(workspaceId, { q: 'even' }, page)
    expect(even.length).toBeGreaterThanOrEqual(200)
    const one = await store.list(workspaceId, { q: 'item999' }, page)
    expect(one.map((r) => r.id)).toEqual([row(999).id])

    if (dialect !== 'sqlite') return
    // The store's search reads the index only past its newest-rows window; ask the index itself.
    const matches = async (query: string) =>
      (
        await sql<{
          n: number
        }>`select count(*) as n from executions_fts where executions_fts match ${query}`.execute(
          t.database.db,
        )
      ).rows[0]?.n
    expect(await matches('even')).toBe(rows / 2)
    expect(await matches('item999')).toBe(1)
    const config = await sql<{
      v: number
    }>`select v from executions_fts_config where k = 'automerge'`.execute(t.database.db)
    expect(config.rows[0]?.v).toBe(0)
    // Each transaction writes a segment. FTS5's structure record (rowid 10 of its data table) starts
    // with a 4-byte cookie, then varints: the number of levels, then of segments. Without merging, a
    // level fills up to 16 segments before FTS5 merges it in one go (the stall this avoids).
    const structure = await sql<{
      block: Uint8Array
    }>`select block from executions_fts_data where id = 10`.execute(t.database.db)
    const segments = segmentCount(Buffer.from(structure.rows[0]?.block ?? new Uint8Array()))
    expect(segments).toBeGreaterThan(0)
    expect(segments).toBeLessThanOrEqual(6)
  })
})
