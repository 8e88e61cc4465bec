// The SQLite write thread (SQLite only: PostgreSQL has no such thread). Programs run on a worker thread
// with its own connection, grouped into transactions; what they wrote is visible to the main connection
// once `run` resolves; a bad program fails alone; if the thread dies, the main connection takes over.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { sql } from 'kysely'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { searchTextOfColumns } from '../executions/search-text.js'
import { isUniqueViolation, openDatabase } from './database.js'
import type { Database } from './database.js'
import { autocheckpointPages, sqliteWriter, startWriteThread } from './write-thread.js'
import type { ProgramResult, WriteProgram, WriteThread } from './write-thread.js'

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'toolplane-write-thread-'))
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true })
})

let files = 0
// Run after each test, last first: a write thread stops before the database under it closes.
const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** A new database file with a table `t`, its main connection (no thread of its own) and a write thread on it. */
async function setUp(): Promise<{ database: Database; writer: WriteThread; errors: string[] }> {
  const file = path.join(dir, `${String(++files)}.db`)
  const database = openDatabase({ kind: 'sqlite', path: file }, { writeThread: false })
  cleanups.push(() => database.close())
  await sql`create table t (id integer primary key, v text not null unique)`.execute(database.db)
  const errors: string[] = []
  const writer = startWriteThread(file, {
    db: database.db,
    onError: (message) => {
      errors.push(message)
    },
  })
  cleanups.push(() => writer.stop())
  return { database, writer, errors }
}

const insert = (v: string): WriteProgram => ({
  steps: [{ sql: 'insert into t (v) values (?) returning id, v', parameters: [v] }],
})

async function values(database: Database): Promise<string[]> {
  const { rows } = await sql<{ v: string }>`select v from t order by id`.execute(database.db)
  return rows.map((row) => row.v)
}

/** The messages the main thread posts to `writer`'s thread from now on, as posted. */
function postsOf(writer: WriteThread): unknown[] {
  const thread = writer.thread
  if (thread === null) throw new Error('the write thread did not start')
  const posted: unknown[] = []
  const post = thread.postMessage.bind(thread)
  thread.postMessage = (message: unknown) => {
    posted.push(message)
    post(message)
  }
  return posted
}

describe('the SQLite write thread', () => {
  it('has committed a program when run resolves: the main connection sees its rows', async () => {
    const { database, writer } = await setUp()
    const [inserted] = await writer.run(insert('a'))
    expect(inserted).toEqual({ rows: [{ id: 1, v: 'a' }], changes: 1 })
    expect(await values(database)).toEqual(['a'])
    const [updated] = await writer.run({
      steps: [{ sql: 'update t set v = ? where v = ?', parameters: ['b', 'a'] }],
    })
    expect(updated).toEqual({ rows: [], changes: 1 })
    expect(await values(database)).toEqual(['b'])
    expect(writer.thread).not.toBeNull()
  })

  it('keeps the WAL small under a steady stream of commits while the main connection reads', async () => {
    const { database, writer } = await setUp()
    const wal = `${path.join(dir, `${String(files)}.db`)}-wal`
    const row = 'x'.repeat(2000)
    let largest = 0
    // About 80 MB of rows, committed in groups as fast as the thread takes them; the main connection
    // reads between groups, as the API does.
    for (let round = 0; round < 200; round++) {
      await Promise.all(
        Array.from({ length: 200 }, (_, i) => writer.run(insert(`${String(round)}-${String(i)}-${row}`))),
      )
      await sql`select count(*) from t`.execute(database.db)
      largest = Math.max(largest, fs.existsSync(wal) ? fs.statSync(wal).size : 0)
    }
    expect(await sql`select count(*) as n from t`.execute(database.db)).toMatchObject({
      rows: [{ n: 40_000 }],
    })
    // Checkpointed after the writer's own commits and started over: never much more than the pages
    // that start a checkpoint (4 KB and a 24-byte header each), never the whole stream.
    expect(largest).toBeLessThan(autocheckpointPages * (4096 + 24) * 1.25)
    expect(largest).toBeLessThan(48 * 1024 * 1024)
  }, 60_000)

  it('runs a step only when the step it names returned rows, or none, as asked', async () => {
    const { database, writer } = await setUp()
    await writer.run(insert('present'))
    const program = (v: string): WriteProgram => ({
      steps: [
        { sql: 'select id from t where v = ?', parameters: [v] },
        {
          sql: 'update t set v = ? where v = ?',
          parameters: [`${v}-seen`, v],
          when: { step: 0, returned: true },
        },
        { sql: 'insert into t (v) values (?)', parameters: [`${v}-new`], when: { step: 0, returned: false } },
        // Skipped along with the step it names, else it runs when that step returned nothing.
        {
          sql: 'insert into t (v) values (?)',
          parameters: [`${v}-after`],
          when: { step: 2, returned: false },
        },
      ],
    })
    const found = await writer.run(program('present'))
    expect(found.map((step) => step?.changes ?? null)).toEqual([1, 1, null, null])
    const missing = await writer.run(program('absent'))
    expect(missing.map((step) => step?.changes ?? null)).toEqual([0, null, 1, 1])
    expect(await values(database)).toEqual(['present-seen', 'absent-new', 'absent-after'])
  })

  it('derives a parameter where the step runs, as the main thread would: on the thread and on its fallback', async () => {
    const { database, writer } = await setUp()
    const input = JSON.stringify({ url: 'https://Example.com/Ünïcode', tags: ['a', 1, true] })
    const error = JSON.stringify({ class: 'rate_limited', message: 'Slow down' })
    const derived = (into: number): WriteProgram => ({
      steps: [
        {
          // The other parameters are bound too (as a row's columns would be).
          sql: 'insert into t (v) select ? where coalesce(?, ?, ?, ?, ?) is not null',
          parameters: ['placeholder', 'http', 'request', input, null, error],
          derive: { into, using: 'searchText', from: [1, 2, 3, 4, 5] },
        },
      ],
    })
    const expected = searchTextOfColumns('http', 'request', input, null, error)
    expect(expected).toContain('ünïcode')
    await writer.run(derived(0))
    // The thread's copy of the function: the same text as the main thread's.
    expect(await values(database)).toEqual([expected])
    await sql`delete from t`.execute(database.db)
    // The thread gone, the main connection runs the program, deriving with the function itself.
    await writer.thread?.terminate()
    expect(writer.thread).toBeNull()
    await writer.run(derived(0))
    expect(await values(database)).toEqual([expected])
  })

  it('fails a program that cannot be copied to the thread alone, and sends its SQL again with the next', async () => {
    const { database, writer } = await setUp()
    const text = 'insert into t (v) values (?)'
    const uncopyable = { steps: [{ sql: text, parameters: [(() => 'x') as unknown as string] }] }
    await expect(writer.run(uncopyable)).rejects.toThrow(/could not be cloned/)
    // The thread never saw that text: it must come in full again, not as the number it was given.
    await writer.run({ steps: [{ sql: text, parameters: ['after'] }] })
    await writer.run({ steps: [{ sql: text, parameters: ['again'] }] })
    expect(await values(database)).toEqual(['after', 'again'])
  })

  it('settles programs in the order they were submitted, however they were grouped', async () => {
    const { database, writer } = await setUp()
    const settled: number[] = []
    const runs = Array.from({ length: 600 }, (_, i) =>
      writer.run(insert(`v${String(i)}`)).then((result: ProgramResult) => {
        settled.push(i)
        return result[0]?.rows[0]?.['id']
      }),
    )
    const ids = await Promise.all(runs)
    expect(settled).toEqual(runs.map((_, i) => i))
    // Committed in that order too.
    expect(ids).toEqual(runs.map((_, i) => i + 1))
    expect(await values(database)).toHaveLength(600)
  })

  it('posts the next group while the thread runs one, and holds the third until an answer comes', async () => {
    const { database, writer } = await setUp()
    const posted = postsOf(writer)
    const turn = () => new Promise((resolve) => setImmediate(resolve))
    // Counting to three million keeps the thread busy for a good fraction of a second.
    const slow = writer.run({
      steps: [
        {
          sql: 'with recursive c(x) as (select 1 union all select x + 1 from c where x < 3000000) select count(*) as n from c',
          parameters: [],
        },
      ],
    })
    let slowDone = false
    void slow.then(() => {
      slowDone = true
    })
    await turn()
    const second = writer.run(insert('second'))
    await turn()
    const third = writer.run(insert('third'))
    await turn()
    await turn()
    expect(slowDone).toBe(false)
    expect(posted).toHaveLength(2)
    const [counted] = await slow
    expect(counted?.rows).toEqual([{ n: 3000000 }])
    await Promise.all([second, third])
    expect(posted).toHaveLength(3)
    expect(await values(database)).toEqual(['second', 'third'])
  })

  it('sends a group as JSON when its values survive it, and values that would not as themselves', async () => {
    const { database, writer } = await setUp()
    await sql`create table kinds (id integer primary key, v any) strict`.execute(database.db)
    const posted = postsOf(writer)
    const put = (v: WriteProgram['steps'][number]['parameters'][number]) =>
      writer.run({ steps: [{ sql: 'insert into kinds (v) values (?) returning v', parameters: [v] }] })
    const plain = ['text with "quotes", \\ and ü', 42, 1.5, null, 1e300]
    for (const v of plain) expect((await put(v))[0]?.rows).toEqual([{ v }])
    expect(posted.every((message) => typeof message === 'string')).toBe(true)

    posted.length = 0
    const big = 2n ** 62n
    const bytes = new Uint8Array([0, 1, 254, 255])
    await put(big)
    const [blob] = await put(bytes)
    expect(blob?.rows[0]?.['v']).toEqual(bytes)
    await put(Number.POSITIVE_INFINITY)
    expect(posted.some((message) => typeof message === 'string')).toBe(false)
    const { rows } = await sql<{
      v: unknown
      kind: string
    }>`select v, typeof(v) as kind from kinds order by id`.execute(database.db)
    // better-sqlite3 binds every JS number as a REAL, however it crossed; a bigint as an INTEGER.
    expect(rows.map((row) => row.kind)).toEqual([
      'text',
      'real',
      'real',
      'null',
      'real',
      'integer',
      'blob',
      'real',
    ])
    expect(rows.slice(0, 5).map((row) => row.v)).toEqual(plain)
    expect(rows[7]?.v).toBe(Number.POSITIVE_INFINITY)
  })

  it('fails a program that breaks a unique constraint alone: the rest of its group commits', async () => {
    const { database, writer } = await setUp()
    // Submitted in one turn, the four go together, in one group.
    const first = writer.run(insert('first'))
    const a = writer.run(insert('a'))
    const duplicate = writer.run(insert('a'))
    const b = writer.run(insert('b'))
    await expect(first).resolves.toBeDefined()
    await expect(a).resolves.toBeDefined()
    const error: unknown = await duplicate.then(
      () => null,
      (rejected: unknown) => rejected,
    )
    expect(isUniqueViolation(error)).toBe(true)
    expect(String(error)).toMatch(/UNIQUE constraint failed: t\.v/)
    await expect(b).resolves.toBeDefined()
    expect(await values(database)).toEqual(['first', 'a', 'b'])
  })

  it('drains and stops only once everything submitted has committed; later programs are refused', async () => {
    const { database, writer } = await setUp()
    let settled = 0
    const count = () => {
      settled++
    }
    for (let i = 0; i < 300; i++) void writer.run(insert(`d${String(i)}`)).then(count)
    await writer.drain()
    expect(settled).toBe(300)
    expect(await values(database)).toHaveLength(300)

    for (let i = 0; i < 300; i++) void writer.run(insert(`s${String(i)}`)).then(count)
    await writer.stop()
    expect(settled).toBe(600)
    expect(await values(database)).toHaveLength(600)
    await expect(writer.run(insert('late'))).rejects.toThrow(/stopped/)
  })

  it('hands pending and later programs to the main connection when the thread dies, and says so', async () => {
    const { database, writer, errors } = await setUp()
    await writer.run(insert('before'))
    // Idempotent programs: the group in flight when the thread died may have committed, and runs again.
    const upsert = (v: string): WriteProgram => ({
      steps: [{ sql: 'insert into t (v) values (?) on conflict (v) do nothing', parameters: [v] }],
    })
    // More than one group (at most 200 programs each): two messages may be in flight when it dies.
    const pending = Array.from({ length: 300 }, (_, i) => writer.run(upsert(`p${String(i)}`)))
    await writer.thread?.terminate()
    await Promise.all(pending)
    expect(writer.thread).toBeNull()
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatch(/exited/)

    await writer.run(upsert('after'))
    const duplicate = await writer.run(insert('after')).then(
      () => null,
      (error: unknown) => error,
    )
    expect(isUniqueViolation(duplicate)).toBe(true)
    const written = await values(database)
    expect(written).toHaveLength(302)
    expect(new Set(written)).toEqual(new Set(['before', 'after', ...pending.map((_, i) => `p${String(i)}`)]))
  })

  it('takes over at once when the thread cannot open the database', async () => {
    const { database } = await setUp()
    const errors: string[] = []
    const writer = startWriteThread(path.join(dir, 'missing', 'nowhere.db'), {
      db: database.db,
      onError: (message) => {
        errors.push(message)
      },
    })
    cleanups.push(() => writer.stop())
    await writer.run(insert('x'))
    expect(await values(database)).toEqual(['x'])
    expect(errors.join(' ')).toMatch(/directory|open/i)
  })
})

describe('the writer of an open database', () => {
  it('is a write thread for a file, stopped when the database closes', async () => {
    const database = openDatabase({ kind: 'sqlite', path: path.join(dir, 'opened.db') })
    await sql`create table t (id integer primary key, v text not null unique)`.execute(database.db)
    const writer = sqliteWriter(database.db)
    expect('thread' in writer && writer.thread !== null).toBe(true)
    await writer.run(insert('a'))
    expect(await values(database)).toEqual(['a'])
    await database.close()
    await expect(writer.run(insert('b'))).rejects.toThrow(/stopped/)
  })

  it('runs on the main connection for :memory:, which no other connection can open', async () => {
    const database = openDatabase({ kind: 'sqlite', path: ':memory:' })
    cleanups.push(() => database.close())
    await sql`create table t (id integer primary key, v text not null unique)`.execute(database.db)
    const writer = sqliteWriter(database.db)
    expect('thread' in writer).toBe(false)
    const [inserted] = await writer.run(insert('a'))
    expect(inserted?.rows).toEqual([{ id: 1, v: 'a' }])
    const failed = await writer.run(insert('a')).then(
      () => null,
      (error: unknown) => error,
    )
    expect(isUniqueViolation(failed)).toBe(true)
    expect(await values(database)).toEqual(['a'])
  })
})
