import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'
import SQLite from 'better-sqlite3'
import { CompiledQuery } from 'kysely'
import type { Kysely } from 'kysely'
import { searchTextOfColumns, searchTextSource } from '../executions/search-text.js'
import { createGroupCommit, maxGroupSize } from './group-commit.js'
import type { Schema } from './schema.js'

/** A value SQLite binds, and that crosses to another thread unchanged. */
export type WriteValue = string | number | bigint | null | Uint8Array

/** One statement of a {@link WriteProgram}. */
export interface WriteStep {
  /** SQLite SQL with `?` placeholders. */
  readonly sql: string
  readonly parameters: readonly WriteValue[]
  /**
   * Run only when step `step` of this program returned rows (`returned: true`) or none (`false`).
   * A step whose `step` was itself skipped is skipped too.
   */
  readonly when?: { readonly step: number; readonly returned: boolean }
  /**
   * Parameter `into` is computed, by the thread that runs the step, from parameters `from`: work taken
   * off the request thread. `searchText`: an execution's search text from its tool, action, input,
   * output and error columns.
   */
  readonly derive?: { readonly into: number; readonly using: Derivation; readonly from: readonly number[] }
}

/** What a step can {@link WriteStep.derive derive} a parameter with. */
export type Derivation = 'searchText'

// Each one runs on the main thread as it is, and on the write thread from its source (searchTextSource).
const derivations: Record<Derivation, (...values: never[]) => WriteValue> = {
  searchText: searchTextOfColumns,
}

/** A step's parameters, with its derived one filled in. */
function parametersOf(step: WriteStep): WriteValue[] {
  const parameters = [...step.parameters]
  if (step.derive !== undefined) {
    const derive = derivations[step.derive.using] as (...values: WriteValue[]) => WriteValue
    parameters[step.derive.into] = derive(...step.derive.from.map((i) => parameters[i] ?? null))
  }
  return parameters
}

/**
 * Statements that run together, in order, in one transaction (possibly shared with other programs).
 * Plain data, so it can be posted to the write thread: what would be an `if` between two queries is
 * a step's `when`.
 */
export interface WriteProgram {
  readonly steps: readonly WriteStep[]
}

/** What one step did: the rows it returned (`[]` for none) and the rows it changed. */
export interface StepResult {
  rows: Record<string, unknown>[]
  /** Rows changed; for a statement that returns rows (RETURNING, or a select), how many it returned. */
  changes: number
}

/** Per step: its rows (RETURNING / select; [] for none) and changes; null when skipped by `when`. */
export type ProgramResult = readonly (StepResult | null)[]

/**
 * Runs write programs against a SQLite database, grouping them into transactions. Programs settle in
 * the order they were submitted; a program that fails rejects alone (the others of its group commit).
 */
export interface SqliteWriter {
  run(program: WriteProgram): Promise<ProgramResult>
  /** Resolves once every program submitted so far has settled. */
  drain(): Promise<void>
  /** Drains, then stops the thread (if any). Later `run` calls reject. */
  stop(): Promise<void>
}

/** The write thread: a {@link SqliteWriter}, and its worker while it runs. */
export interface WriteThread extends SqliteWriter {
  /** The worker, or null once the writer has fallen back to the main connection. Tests end it to see that. */
  readonly thread: Worker | null
}

/** Whether a step runs, given the results of the steps before it. */
function shouldRun(step: WriteStep, results: readonly (StepResult | null)[]): boolean {
  if (step.when === undefined) return true
  const earlier = results[step.when.step]
  if (earlier === undefined || earlier === null) return false
  return earlier.rows.length > 0 === step.when.returned
}

/** Runs a program's steps on the main connection (inside the caller's transaction). */
async function runSteps(executor: Kysely<Schema>, program: WriteProgram): Promise<ProgramResult> {
  const results: (StepResult | null)[] = []
  for (const step of program.steps) {
    if (!shouldRun(step, results)) {
      results.push(null)
      continue
    }
    const result = await executor.executeQuery<Record<string, unknown>>(
      CompiledQuery.raw(step.sql, parametersOf(step)),
    )
    // Kysely's SQLite driver gives rows for a statement that returns them, a change count otherwise.
    const rows = [...result.rows]
    results.push({
      rows,
      changes: result.numAffectedRows === undefined ? rows.length : Number(result.numAffectedRows),
    })
  }
  return results
}

function stoppedError(): Error {
  return new Error('the SQLite writer is stopped')
}

/**
 * A writer that runs programs on the main connection: programs submitted in the same turn of the event
 * loop share one transaction (the group commit), and one that fails is retried alone. For `:memory:`
 * databases, which another connection cannot open, and as the write thread's fallback.
 *
 * @example
 * const writer = inThreadWriter(db)
 * await writer.run({ steps: [{ sql: 'delete from sessions where expires_at < ?', parameters: [now] }] })
 */
export function inThreadWriter(db: Kysely<Schema>): SqliteWriter {
  const group = createGroupCommit(db)
  let stopped = false
  return {
    run(program) {
      if (stopped) return Promise.reject(stoppedError())
      return group.run((trx) => runSteps(trx, program))
    },
    drain: () => group.drain(),
    async stop() {
      stopped = true
      await group.drain()
    },
  }
}

/**
 * The writer checkpoints once the WAL holds this many pages (about 32 MB). The checkpoint thread has
 * copied most of them by then, so the writer's checkpoint is short, and it is what lets the WAL start
 * over; but it still waits for two fsyncs, and every write handed over meanwhile waits with it. At
 * SQLite's default of 1,000 pages that was 15–20 ms every 0.2 s at 500 executions/s, the p95 of the
 * benchmark's fixed-rate run; at 8,000, once a second or two (decision 0027).
 */
export const autocheckpointPages = 8000
/** A WAL that has grown past this is cut back to it when it starts over. */
export const journalSizeLimitBytes = 64 * 1024 * 1024

/**
 * Whether every value survives a trip through JSON as itself: strings, finite numbers other than -0,
 * and null do; bigints, byte arrays, NaN, the infinities and -0 do not. Messages to and from the write
 * thread cross as one JSON string when they can: V8's structured clone of many small objects cost the
 * request thread more than `JSON.stringify` and `JSON.parse` of the same (the thread runs this from its
 * source, so it uses nothing outside itself).
 */
function allJsonSafe(values: readonly unknown[]): boolean {
  for (const value of values) {
    if (value === null || typeof value === 'string') continue
    if (typeof value !== 'number' || !Number.isFinite(value) || Object.is(value, -0)) return false
  }
  return true
}

// The write thread, plain CommonJS so that it runs the same from the TypeScript sources (under Vitest)
// and from dist. Each message is a group of programs, run in one transaction; if that fails, each
// program runs alone in its own, so only the bad one fails. SQLITE_BUSY is nobody's fault: the group
// fails whole rather than waiting out busy_timeout once more per program.
const source = `
const { parentPort, workerData } = require('node:worker_threads')
const Database = require(workerData.module)
const db = new Database(workerData.path)
db.pragma('busy_timeout = 5000')
db.pragma('synchronous = NORMAL')
db.pragma('foreign_keys = ON')
// This thread checkpoints after its own commits (SQLite's automatic checkpoint, here off the request
// thread). The checkpoint thread's passive checkpoints alone never catch up with a steady stream of
// commits, and SQLite starts the WAL over only once one has: under load the file grew by gigabytes.
// Run by the writer between two of its own transactions, a checkpoint reaches the end of the WAL, and
// the next transaction starts it over, truncated to journal_size_limit.
db.pragma('wal_autocheckpoint = ' + workerData.autocheckpointPages)
db.pragma('journal_size_limit = ' + workerData.journalSizeLimit)
const begin = db.prepare('BEGIN IMMEDIATE')
const commit = db.prepare('COMMIT')
const rollback = db.prepare('ROLLBACK')
${searchTextSource}
${allJsonSafe.toString()}
const derivations = { searchText: searchTextOfColumns }

// Prepared statements by SQL text, the least recently used dropped first.
const statements = new Map()
function prepare(sql) {
  let statement = statements.get(sql)
  if (statement === undefined) {
    statement = db.prepare(sql)
    if (statements.size >= workerData.cacheSize) statements.delete(statements.keys().next().value)
  } else {
    statements.delete(sql)
  }
  statements.set(sql, statement)
  return statement
}

// SQL texts the request thread sent once and names by number since.
const texts = new Map()

function runSteps(program) {
  const results = []
  for (const step of program.steps) {
    if (step.when !== undefined) {
      const earlier = results[step.when.step]
      if (earlier === undefined || earlier === null || (earlier.rows.length > 0) !== step.when.returned) {
        results.push(null)
        continue
      }
    }
    const parameters = step.parameters
    if (step.derive !== undefined) {
      const derive = step.derive
      parameters[derive.into] = derivations[derive.using](...derive.from.map((i) => parameters[i]))
    }
    const statement = prepare(typeof step.sql === 'number' ? texts.get(step.sql) : step.sql)
    if (statement.reader) {
      const rows = statement.all(parameters)
      results.push({ rows, changes: rows.length })
    } else {
      results.push({ rows: [], changes: statement.run(parameters).changes })
    }
  }
  return results
}

function inTransaction(programs) {
  begin.run()
  try {
    const results = programs.map(runSteps)
    commit.run()
    return results
  } catch (error) {
    // Some errors (a full disk, an I/O error) have rolled the transaction back already.
    if (db.inTransaction) rollback.run()
    throw error
  }
}

function failure(error) {
  const message = String((error && error.message) || error)
  const code = error && typeof error.code === 'string' ? error.code : undefined
  return { ok: false, error: { message, code } }
}

// A result's rows go back as JSON when their values survive it (a blob or a bigint does not).
function answer(reply) {
  for (const outcome of reply.results) {
    if (!outcome.ok) continue
    for (const step of outcome.result) {
      if (step === null) continue
      for (const row of step.rows) {
        if (!allJsonSafe(Object.values(row))) return reply
      }
    }
  }
  return JSON.stringify(reply)
}

parentPort.on('message', (posted) => {
  // A group arrives as JSON when its parameters allowed (see allJsonSafe), else as a structured clone.
  const message = typeof posted === 'string' && posted !== 'stop' ? JSON.parse(posted) : posted
  if (message === 'stop') {
    db.close()
    parentPort.close()
    return
  }
  const { id, programs } = message
  if (message.texts !== undefined) for (const [number, text] of message.texts) texts.set(number, text)
  let results
  try {
    results = inTransaction(programs).map((result) => ({ ok: true, result }))
  } catch (error) {
    const busy = error && typeof error.code === 'string' && error.code.startsWith('SQLITE_BUSY')
    if (programs.length === 1 || busy) {
      results = programs.map(() => failure(error))
    } else {
      results = programs.map((program) => {
        try {
          return { ok: true, result: inTransaction([program])[0] }
        } catch (alone) {
          return failure(alone)
        }
      })
    }
  }
  parentPort.postMessage(answer({ id, results }))
})
`

/** Prepared statements the write thread keeps (it runs a handful of distinct statements). */
const threadStatementCacheSize = 200
/** SQL texts sent to the write thread once and named by number after (more are sent in full each time). */
const maxNumberedTexts = 1000
/**
 * Messages posted to the write thread and not yet answered: one it runs, one waiting in its port. More
 * only splits the same writes into more, smaller transactions; and the thread going from one straight
 * to the next leaves the main connection's writers (`busy_timeout`) fewer moments to take the lock.
 */
const maxMessagesInFlight = 2

type Outcome =
  | { readonly ok: true; readonly result: ProgramResult }
  | { readonly ok: false; readonly error: { readonly message: string; readonly code?: string } }

interface Reply {
  readonly id: number
  readonly results: readonly Outcome[]
}

interface Submitted {
  readonly program: WriteProgram
  readonly resolve: (result: ProgramResult) => void
  readonly reject: (error: unknown) => void
}

/** The error the main connection would have thrown, so `isUniqueViolation` and friends still work. */
function rebuiltError(error: { readonly message: string; readonly code?: string }): Error {
  return error.code === undefined
    ? new Error(error.message)
    : new SQLite.SqliteError(error.message, error.code)
}

const noop = () => undefined

/**
 * Moves SQLite writes off the request thread: a worker thread with its own connection to `file` runs
 * the programs, grouped into transactions. One message is in flight at a time; programs submitted
 * meanwhile go together as the next (at most {@link maxGroupSize}), so a lone write waits for nothing
 * and under load the groups grow by themselves. Should the thread fail, `onError` hears why and every
 * program pending or submitted later runs on `db`'s own connection instead (see {@link inThreadWriter}).
 *
 * @example
 * const writer = startWriteThread('/data/toolplane.db', { db, onError: (message) => log.warn(message) })
 * const [inserted] = await writer.run({ steps: [{ sql: 'insert into t (v) values (?) returning v', parameters: ['x'] }] })
 * await writer.stop()
 */
export function startWriteThread(
  file: string,
  options: { readonly db: Kysely<Schema>; readonly onError?: (message: string) => void },
): WriteThread {
  const require = createRequire(import.meta.url)
  const worker = new Worker(source, {
    eval: true,
    workerData: {
      module: require.resolve('better-sqlite3'),
      path: file,
      cacheSize: threadStatementCacheSize,
      autocheckpointPages,
      journalSizeLimit: journalSizeLimitBytes,
    },
  })
  // Referenced only while a message is in flight: an idle writer keeps no process alive, a busy one does
  // (a script's last write still lands).
  worker.unref()

  let queue: Submitted[] = []
  // Messages posted and not yet answered, oldest first (the thread answers in order).
  let inFlight: { readonly id: number; readonly programs: readonly Submitted[] }[] = []
  let nextId = 1
  let fallback: SqliteWriter | null = null
  let stopped = false
  let stopping = false
  let last: Promise<void> = Promise.resolve()

  // Sending waits for the end of the event loop's turn, so the writes of one turn go together: waking
  // the thread costs more than the message. While the thread runs one message the next may wait in its
  // port, so a write submitted meanwhile does not wait for the answer before it is even sent.
  let scheduled = false
  function schedule(): void {
    if (scheduled || inFlight.length >= maxMessagesInFlight || queue.length === 0) return
    scheduled = true
    setImmediate(() => {
      scheduled = false
      if (inFlight.length < maxMessagesInFlight && queue.length > 0 && fallback === null) send()
    })
  }

  // Each SQL text crosses to the thread once; later steps name it by number. Copying the texts was most
  // of the cost of posting a group (the quota admission alone is 1.2 kB of SQL).
  const textNumbers = new Map<string, number>()
  let nextTextNumber = 0
  function outgoing(programs: readonly Submitted[]) {
    const texts: [number, string][] = []
    const numbered = programs.map(({ program }) => ({
      steps: program.steps.map((step) => {
        let number = textNumbers.get(step.sql)
        if (number === undefined) {
          if (textNumbers.size >= maxNumberedTexts) return step
          number = nextTextNumber++
          textNumbers.set(step.sql, number)
          texts.push([number, step.sql])
        }
        return { ...step, sql: number }
      }),
    }))
    return { id: nextId++, programs: numbered, ...(texts.length === 0 ? {} : { texts }) }
  }

  /** The message as one JSON string when every parameter survives JSON (see allJsonSafe), else itself. */
  function encoded(message: ReturnType<typeof outgoing>): ReturnType<typeof outgoing> | string {
    for (const program of message.programs) {
      for (const step of program.steps) if (!allJsonSafe(step.parameters)) return message
    }
    return JSON.stringify(message)
  }

  function send(): void {
    const programs = queue.splice(0, maxGroupSize)
    const message = outgoing(programs)
    try {
      worker.postMessage(encoded(message))
    } catch (error) {
      // A value that cannot be copied to the thread (never one of ours): those programs fail, the rest go on.
      // The texts this message would have introduced are introduced again by the next one.
      for (const [, text] of message.texts ?? []) textNumbers.delete(text)
      for (const p of programs) p.reject(error)
      if (queue.length > 0) send()
      return
    }
    inFlight.push({ id: message.id, programs })
    worker.ref()
    // More than a group was waiting: the rest may follow while the thread runs this one.
    schedule()
  }

  function fallBack(reason: string): void {
    if (fallback !== null) return
    fallback = inThreadWriter(options.db)
    options.onError?.(reason)
    // The groups in flight may or may not have committed: they run again (decision 0027), then
    // everything queued behind them, in order.
    const pending = [...inFlight.flatMap((message) => message.programs), ...queue]
    inFlight = []
    queue = []
    for (const p of pending) fallback.run(p.program).then(p.resolve, p.reject)
    worker.unref()
  }

  worker.on('message', (posted: Reply | string) => {
    const reply = typeof posted === 'string' ? (JSON.parse(posted) as Reply) : posted
    if (inFlight[0]?.id !== reply.id) return
    const { programs } = inFlight.shift() as { readonly programs: readonly Submitted[] }
    programs.forEach((p, i) => {
      const outcome = reply.results[i]
      if (outcome === undefined) p.reject(new Error('the SQLite write thread returned no result'))
      else if (outcome.ok) p.resolve(outcome.result)
      else p.reject(rebuiltError(outcome.error))
    })
    if (queue.length > 0) schedule()
    else if (inFlight.length === 0) worker.unref()
  })
  worker.on('error', (error) => {
    fallBack(error.message)
  })
  const exited = new Promise<void>((resolve) => {
    worker.once('exit', (code) => {
      if (!stopping) fallBack(`the SQLite write thread exited with code ${code}`)
      resolve()
    })
  })

  return {
    get thread() {
      return fallback === null ? worker : null
    },
    run(program) {
      if (stopped) return Promise.reject(stoppedError())
      const promise =
        fallback !== null
          ? fallback.run(program)
          : new Promise<ProgramResult>((resolve, reject) => {
              queue.push({ program, resolve, reject })
              schedule()
            })
      last = promise.then(noop, noop)
      return promise
    },
    // Programs settle in submission order, so the last one settling means they all have.
    drain: () => last,
    async stop() {
      stopped = true
      await last
      stopping = true
      await fallback?.stop()
      worker.postMessage('stop')
      const timer = setTimeout(() => void worker.terminate(), 2_000)
      await exited
      clearTimeout(timer)
    },
  }
}

const writers = new WeakMap<Kysely<Schema>, SqliteWriter>()

/**
 * Makes `writer` the one {@link sqliteWriter} returns for `db` (the database opens its write thread
 * and registers it here).
 *
 * @example
 * registerSqliteWriter(db, startWriteThread(file, { db }))
 */
export function registerSqliteWriter(db: Kysely<Schema>, writer: SqliteWriter): void {
  writers.set(db, writer)
}

/**
 * The writer of a SQLite database, shared by every store that writes on the hot path (an execution's
 * quota admission and its record), so their writes share transactions: the write thread registered
 * for `db`, or else one in-thread writer for it.
 *
 * @example
 * const [admitted] = await sqliteWriter(db).run(program)
 */
export function sqliteWriter(db: Kysely<Schema>): SqliteWriter {
  let writer = writers.get(db)
  if (writer === undefined) {
    writer = inThreadWriter(db)
    writers.set(db, writer)
  }
  return writer
}

/**
 * Stops the writer of `db`, if it has one: what it was given commits first.
 *
 * @example
 * await stopSqliteWriter(db)
 * await db.destroy()
 */
export async function stopSqliteWriter(db: Kysely<Schema>): Promise<void> {
  await writers.get(db)?.stop()
}
