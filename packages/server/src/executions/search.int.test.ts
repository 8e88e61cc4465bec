// Search over 100,000 executions on both databases: full-text `q` (FTS5 on SQLite, a GIN tsvector
// index on PostgreSQL) combined with filters and cursor pages. The rows are generated inside the
// database so the test spends its time searching, not inserting.
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dialects } from '../testing/databases.js'
import { bearer, startTestApp } from '../testing/harness.js'
import type { TestApp } from '../testing/harness.js'
import { executionStore } from './store.js'

const rows = 100_000
const base = Date.UTC(2026, 0, 1)

interface Page {
  data: { id: string; status: string; createdAt: string }[]
  nextCursor: string | null
}

describe.each(dialects)('searching 100,000 executions on %s', (dialect) => {
  let t: TestApp
  let ws: { id: string; key: string }

  beforeAll(async () => {
    t = await startTestApp(dialect)
    ws = await t.workspace('search')
    const other = await t.workspace('other')
    const db = t.database.db
    // Every 10,000th row mentions "needle"; every third failed; words cycle through 97 variants.
    // Workspace "other" gets the same needles, which must never show up in "search".
    for (const [workspaceId, count, offset] of [
      [ws.id, rows, 0],
      [other.id, 20_000, rows],
    ] as const) {
      if (dialect === 'sqlite') {
        await sql`with recursive seq(n) as (select 1 union all select n + 1 from seq where n < ${count})
          insert into executions (id, workspace_id, tool, action, mode, status, input, attempts, correlation_id,
            cancel_requested, search_text, created_at)
          select printf('00000000-0000-7000-8000-%012d', n + ${offset}), ${workspaceId}, 'http', 'request', 'async',
            case n % 3 when 0 then 'failed' else 'succeeded' end, '{}', '[]', 'corr', 0,
            'http.request alpha' || (n % 97) || case when n % 10000 = 0 then ' needle haystack' else ' hay' end,
            ${base} + n * 1000
          from seq`.execute(db)
      } else {
        await sql`insert into executions (id, workspace_id, tool, action, mode, status, input, attempts, correlation_id,
            cancel_requested, search_text, created_at)
          select '00000000-0000-7000-8000-' || lpad((n + ${offset})::text, 12, '0'), ${workspaceId}, 'http', 'request', 'async',
            case n % 3 when 0 then 'failed' else 'succeeded' end, '{}', '[]', 'corr', 0,
            'http.request alpha' || (n % 97) || case when n % 10000 = 0 then ' needle haystack' else ' hay' end,
            ${base}::bigint + n * 1000
          from generate_series(1, ${count}) as n`.execute(db)
        await sql`analyze executions`.execute(db)
      }
    }
    // Rows written around the store wait for SQLite's full-text index; the store would index them at
    // the first search that reads the index. Do it here, where the time is the set-up's.
    await executionStore(db, dialect).indexWaiting()
  }, 120_000)
  afterAll(() => t.close())

  const search = async (query: string) => {
    const res = await t.app.inject({ url: `/v1/executions?${query}`, headers: bearer(ws.key) })
    expect(res.statusCode, res.body).toBe(200)
    return res.json<Page>()
  }

  it('finds the ten needles among 100,000 rows, newest first, in this workspace only', async () => {
    const page = await search('q=needle&limit=50')
    expect(page.data).toHaveLength(10)
    expect(page.data.map((e) => e.id)).toEqual(
      Array.from(
        { length: 10 },
        (_, i) => `00000000-0000-7000-8000-${String((10 - i) * 10_000).padStart(12, '0')}`,
      ),
    )
    expect(page.nextCursor).toBeNull()
  })

  it('matches words by prefix and requires every word', async () => {
    expect((await search('q=need&limit=50')).data).toHaveLength(10)
    expect((await search('q=needle%20haystack&limit=50')).data).toHaveLength(10)
    expect((await search('q=needle%20nothinglikethis&limit=50')).data).toHaveLength(0)
  })

  it('combines the text search with status and time filters', async () => {
    const failed = await search('q=needle&status=failed&limit=50')
    // n = 30,000, 60,000 and 90,000 are divisible by 3.
    expect(failed.data).toHaveLength(3)
    expect(failed.data.every((e) => e.status === 'failed')).toBe(true)
    const from = new Date(base + 50_000 * 1000).toISOString()
    const to = new Date(base + 80_001 * 1000).toISOString()
    const window = await search(`q=needle&from=${from}&to=${to}&limit=50`)
    expect(window.data.map((e) => e.createdAt)).toEqual(
      [80_000, 70_000, 60_000, 50_000].map((n) => new Date(base + n * 1000).toISOString()),
    )
  })

  it('pages through a common word with cursors, without gaps or repeats', async () => {
    const seen = new Set<string>()
    let cursor: string | null = null
    let pages = 0
    do {
      const page: Page = await search(
        `q=alpha5&status=failed&limit=200${cursor === null ? '' : `&cursor=${cursor}`}`,
      )
      for (const e of page.data) seen.add(e.id)
      cursor = page.nextCursor
      pages += 1
    } while (cursor !== null && pages < 100)
    // alpha5 and alpha50..alpha59 (prefix match): n % 97 in {5, 50..59}, and n % 3 == 0.
    let expected = 0
    for (let n = 1; n <= rows; n += 1) {
      const word = n % 97
      if ((word === 5 || (word >= 50 && word <= 59)) && n % 3 === 0) expected += 1
    }
    expect(seen.size).toBe(expected)
  })

  it('treats query syntax as plain words', async () => {
    for (const q of [
      '"needle',
      'needle OR hay',
      'needle*',
      "needle') or 1=1 --",
      'NEAR(needle hay)',
      '!!!',
    ]) {
      const res = await t.app.inject({
        url: `/v1/executions?q=${encodeURIComponent(q)}&limit=5`,
        headers: bearer(ws.key),
      })
      expect(res.statusCode, q).toBe(200)
    }
    // "or" is just a word that appears nowhere, so it finds nothing.
    expect((await search(`q=${encodeURIComponent('needle OR hay')}`)).data).toHaveLength(0)
  })
})
