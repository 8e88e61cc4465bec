import type { Kysely, Transaction } from 'kysely'
import type { Schema } from './schema.js'

/** A write to run inside a shared transaction; it may run a second time alone if the batch fails. */
export type GroupedWrite<T> = (trx: Transaction<Schema>) => Promise<T>

interface Pending {
  readonly write: GroupedWrite<unknown>
  readonly resolve: (value: unknown) => void
  readonly reject: (error: unknown) => void
}

/** Writes committed together at most. */
export const maxGroupSize = 200

/**
 * Group commit (used on SQLite, by the in-thread writer of `write-thread.ts`: for `:memory:` databases and
 * when the write thread has failed): writes submitted in the same turn of the event loop are committed in one
 * transaction, and each caller's promise settles once that transaction has committed. On SQLite a
 * commit (and FTS5's per-transaction segment) costs more than the rows it carries, so under load
 * this divides the cost of recording executions several times; alone, a write waits for nothing
 * but the next turn of the loop. If the shared transaction fails, every write is retried in its
 * own transaction, so one bad write fails alone.
 *
 * @example
 * const writes = createGroupCommit(db)
 * await writes.run((trx) => trx.insertInto('executions').values(row).execute())
 */
export function createGroupCommit(db: Kysely<Schema>) {
  let queue: Pending[] = []
  let scheduled = false
  let flushing: Promise<void> = Promise.resolve()

  async function runAlone(item: Pending): Promise<void> {
    try {
      item.resolve(await db.transaction().execute((trx) => item.write(trx)))
    } catch (error) {
      item.reject(error)
    }
  }

  async function flush(): Promise<void> {
    scheduled = false
    const group = queue.slice(0, maxGroupSize)
    queue = queue.slice(group.length)
    if (queue.length > 0) schedule()
    if (group.length === 1) {
      const only = group[0]
      if (only !== undefined) await runAlone(only)
      return
    }
    let results: unknown[]
    try {
      results = await db.transaction().execute(async (trx) => {
        const out: unknown[] = []
        for (const item of group) out.push(await item.write(trx))
        return out
      })
    } catch {
      for (const item of group) await runAlone(item)
      return
    }
    group.forEach((item, i) => {
      item.resolve(results[i])
    })
  }

  function schedule(): void {
    if (scheduled) return
    scheduled = true
    setImmediate(() => {
      // One group at a time, in order: a later write never commits before an earlier one.
      flushing = flushing.then(flush, flush)
    })
  }

  return {
    run<T>(write: GroupedWrite<T>): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        queue.push({ write, resolve: resolve as (value: unknown) => void, reject })
        schedule()
      })
    },
    /** Resolves once every write submitted so far has settled. */
    async drain(): Promise<void> {
      while (queue.length > 0 || scheduled) {
        await new Promise<void>((resolve) => setImmediate(resolve))
        await flushing
      }
      await flushing
    },
  }
}

export type GroupCommit = ReturnType<typeof createGroupCommit>
