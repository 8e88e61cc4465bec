// The background checkpoint: with it, committed pages reach the database file without the main
// connection ever checkpointing (its automatic checkpoint is off); after it stops, the main
// connection checkpoints again by itself.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import SQLite from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import { checkpointIntervalMs, startCheckpointer } from './checkpointer.js'

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'toolplane-checkpoint-'))
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true })
})

describe('the background checkpointer', () => {
  it('copies the WAL into the database file while the main connection never checkpoints', async () => {
    const file = path.join(dir, 'a.db')
    const main = new SQLite(file)
    main.pragma('journal_mode = WAL')
    main.exec('create table t (v text)')
    const checkpointer = startCheckpointer(main, file)
    expect(main.pragma('wal_autocheckpoint', { simple: true })).toBe(0)
    const before = fs.statSync(file).size
    const insert = main.prepare('insert into t (v) values (?)')
    main.transaction(() => {
      for (let i = 0; i < 5000; i++) insert.run('x'.repeat(200))
    })()
    // Nothing has reached the database file yet: the rows are in the WAL.
    expect(fs.statSync(file).size).toBe(before)
    await sleep(checkpointIntervalMs * 2.5)
    expect(fs.statSync(file).size).toBeGreaterThan(before + 500_000)
    await checkpointer.stop()
    expect(main.pragma('wal_autocheckpoint', { simple: true })).toBe(1000)
    main.close()
  })

  it('reports a worker that cannot open the database and lets the main connection checkpoint again', async () => {
    const main = new SQLite(path.join(dir, 'b.db'))
    main.pragma('journal_mode = WAL')
    const errors: string[] = []
    const checkpointer = startCheckpointer(main, path.join(dir, 'missing', 'nowhere.db'), (message) => {
      errors.push(message)
    })
    for (let i = 0; i < 50 && errors.length === 0; i++) await sleep(20)
    expect(errors.join(' ')).toMatch(/directory|open/i)
    for (let i = 0; i < 50 && main.pragma('wal_autocheckpoint', { simple: true }) !== 1000; i++)
      await sleep(20)
    expect(main.pragma('wal_autocheckpoint', { simple: true })).toBe(1000)
    await checkpointer.stop()
    main.close()
  })
})
