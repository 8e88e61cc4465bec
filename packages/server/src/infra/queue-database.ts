import { randomBytes } from 'node:crypto'
import os from 'node:os'
import { sql } from 'kysely'
import { v7 as uuidv7 } from 'uuid'
import type { Database } from '../db/database.js'
import type { JobTable } from '../db/schema.js'
import {
  RescheduleJob,
  assertEnqueueOptions,
  assertWorkerOptions,
  encodeJobData,
  rescheduleDelayMs,
  retryDelayMs,
  settlesWithin,
} from './queue.js'
import type { Job, JobHandler, JobQueue, QueueErrorContext, QueueErrorReporter } from './queue.js'

export interface DatabaseQueueOptions {
  /** The application's database; the queue does not own it and never closes it. */
  readonly database: Database
  /** Epoch milliseconds for `run_at` and leases; default `Date.now`. */
  readonly clock?: () => number
  /** How long a claim holds a job without renewal, in milliseconds; renewed every third of it. Default 30 000. */
  readonly leaseMs?: number
  /** Mean delay between polls of an idle worker, in milliseconds (±50% jitter); default 500. */
  readonly pollMs?: number
  /** Written into `lease_owner` (with `#<claim>` appended); default `<host>/<pid>/<random>`. */
  readonly workerId?: string
  readonly onError: QueueErrorReporter
}

/** How long `close` waits for handlers it has aborted before it hands their jobs back regardless. */
const abortedSettleMs = 2_000
/** Delayed run times remembered per queue for an early wake-up; past this the poll finds the rest. */
const knownDueLimit = 1_000

type Outcome = { readonly ok: true } | { readonly ok: false; readonly error: unknown }

/** One claimed job on this node, from its claim until its row is no longer ours. */
interface Running {
  readonly row: JobTable
  /** The `lease_owner` of this claim: every write compares on it, so a lost lease is never touched. */
  readonly owner: string
  readonly controller: AbortController
  leaseUntil: number
  renewal: NodeJS.Timeout | undefined
  renewing: boolean
  handlerSettled: boolean
  /** Shutdown passed its grace period or the lease was lost: the job goes back, whatever the handler did. */
  handBack: boolean
  handedBack: boolean
  finished: Promise<void>
}

interface QueueWorker {
  readonly queue: string
  readonly handler: JobHandler
  readonly concurrency: number
  readonly running: Set<Running>
  claiming: Promise<void> | undefined
  /** Wake-up calls so far, and how many of them a claim has already answered. */
  wakeups: number
  wakeupsAnswered: number
  timer: NodeJS.Timeout | undefined
  timerAt: number
  /** Future run times this node knows of (its own delayed enqueues and reschedules), ascending. */
  readonly knownDue: number[]
}

class LeaseLostError extends Error {
  override name = 'LeaseLostError'
}

/**
 * The embedded-mode job queue: rows of the `jobs` table in the application's own database, so a
 * job is as durable as the data it is about (SPEC §2). A worker claims due jobs with one atomic
 * `update … returning` (`for update skip locked` on PostgreSQL; SQLite's write lock serialises
 * claims, also across processes sharing the file), holds them by a lease it renews every third of
 * `leaseMs`, deletes the row when the handler resolves, and otherwise writes the next run time.
 * A job whose worker died is claimed again once its lease has passed. Workers poll when idle and
 * are woken at once by an enqueue on this node, by a slot freeing, and at the run time of delayed
 * jobs this node knows of.
 *
 * @example
 * const queue = createDatabaseQueue({ database, onError: (error, context) => log.error({ err: error, ...context }, 'job queue') })
 * queue.work('webhook-deliveries', (job, { signal }) => deliver(job.data, signal), { concurrency: 8 })
 * await queue.enqueue('webhook-deliveries', { deliveryId }, { id: `delivery:${deliveryId}` })
 * await queue.close({ graceMs: 10_000 })
 */
export function createDatabaseQueue(options: DatabaseQueueOptions): JobQueue {
  const { database, clock = Date.now, leaseMs = 30_000, pollMs = 500, onError } = options
  const workerId =
    options.workerId ?? `${os.hostname()}/${String(process.pid)}/${randomBytes(4).toString('hex')}`
  if (!(Number.isFinite(leaseMs) && leaseMs > 0)) throw new RangeError('leaseMs must be a positive number')
  if (!(Number.isFinite(pollMs) && pollMs > 0)) throw new RangeError('pollMs must be a positive number')
  const { db } = database
  const workers = new Map<string, QueueWorker>()
  let claims = 0
  let closed = false
  let closing: Promise<void> | undefined
  // Read through a call where an await lies between two checks, which narrowing would not see.
  const isClosed = () => closed

  function report(error: unknown, context: QueueErrorContext): void {
    try {
      onError(error, context)
    } catch {
      // A failing error reporter must not take the queue's bookkeeping down with it.
    }
  }

  async function claim(queue: string, limit: number, owner: string): Promise<JobTable[]> {
    const now = clock()
    const due = db
      .selectFrom('jobs')
      .select('id')
      .where('queue', '=', queue)
      .where('run_at', '<=', now)
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]))
      .orderBy('run_at')
      .orderBy('id')
      .limit(limit)
    const claimRows = (ids: typeof due | readonly string[]) =>
      db
        .updateTable('jobs')
        .set((eb) => ({ lease_owner: owner, lease_until: now + leaseMs, attempts: eb('attempts', '+', 1) }))
        .where('id', 'in', ids)
        .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]))
        .returningAll()
        .execute()
    // Concurrent claimers skip each other's rows instead of queueing behind them.
    if (database.dialect === 'postgres') return claimRows(due.forUpdate().skipLocked())
    // SQLite has one writer at a time, so the update alone is atomic; but an UPDATE takes the write
    // lock even when it matches nothing, and this thread then waits (busy_timeout, in sleeps of
    // milliseconds) while the write thread commits, stalling every request it serves. Most polls find
    // nothing: a read, which never waits in WAL mode, asks first.
    const ids = (await due.execute()).map((row) => row.id)
    return ids.length === 0 ? [] : claimRows(ids)
  }

  /** Frees a claimed row for any worker at once, keeping its attempt count. */
  async function release(id: string, owner: string): Promise<void> {
    await db
      .updateTable('jobs')
      .set({ lease_owner: null, lease_until: null })
      .where('id', '=', id)
      .where('lease_owner', '=', owner)
      .execute()
  }

  async function handBack(running: Running): Promise<void> {
    if (running.handedBack) return
    running.handedBack = true
    stopRenewal(running)
    try {
      await release(running.row.id, running.owner)
    } catch (error) {
      // The lease runs out on its own and another worker takes the job then.
      report(error, { queue: running.row.queue, jobId: running.row.id, during: 'hand-back' })
    }
  }

  function stopRenewal(running: Running): void {
    clearInterval(running.renewal)
    running.renewal = undefined
  }

  function loseLease(running: Running, reason: string): void {
    stopRenewal(running)
    if (running.handlerSettled) return
    running.handBack = true
    running.controller.abort(new LeaseLostError(reason))
  }

  async function renew(running: Running): Promise<void> {
    if (running.renewing) return
    running.renewing = true
    const sentAt = clock()
    try {
      const result = await db
        .updateTable('jobs')
        .set({ lease_until: sentAt + leaseMs })
        .where('id', '=', running.row.id)
        .where('lease_owner', '=', running.owner)
        .executeTakeFirst()
      if (running.renewal === undefined) return
      if (result.numUpdatedRows > 0n) running.leaseUntil = sentAt + leaseMs
      else loseLease(running, `Another worker took over job ${running.row.id}: its lease had run out`)
    } catch (error) {
      report(error, { queue: running.row.queue, jobId: running.row.id, during: 'renew' })
      // The database is unreachable: keep trying until the lease has surely run out.
      if (clock() >= running.leaseUntil) {
        loseLease(running, `The lease of job ${running.row.id} ran out while it could not be renewed`)
      }
    } finally {
      running.renewing = false
    }
  }

  /** Writes what the handler's outcome means for the row: gone, or due again later. */
  async function settle(worker: QueueWorker, running: Running, outcome: Outcome): Promise<void> {
    const { row, owner } = running
    const context = { queue: row.queue, jobId: row.id }
    if (outcome.ok) {
      try {
        await db.deleteFrom('jobs').where('id', '=', row.id).where('lease_owner', '=', owner).execute()
      } catch (error) {
        // The lease runs out and the job runs again: at least once, as promised.
        report(error, { ...context, during: 'complete' })
      }
      return
    }
    const { error } = outcome
    const reschedule = error instanceof RescheduleJob
    if (!reschedule) report(error, { ...context, during: 'handler' })
    const runAt = clock() + (reschedule ? rescheduleDelayMs(error) : retryDelayMs(row.attempts))
    try {
      const data = reschedule && error.data !== undefined ? encodeJobData(error.data) : undefined
      await db
        .updateTable('jobs')
        .set({ run_at: runAt, lease_owner: null, lease_until: null, ...(data === undefined ? {} : { data }) })
        .where('id', '=', row.id)
        .where('lease_owner', '=', owner)
        .execute()
      remember(worker, runAt)
    } catch (writeError) {
      report(writeError, { ...context, during: 'reschedule' })
    }
  }

  function start(worker: QueueWorker, row: JobTable, owner: string): void {
    const running: Running = {
      row,
      owner,
      controller: new AbortController(),
      leaseUntil: row.lease_until ?? clock() + leaseMs,
      renewal: undefined,
      renewing: false,
      handlerSettled: false,
      handBack: false,
      handedBack: false,
      finished: Promise.resolve(),
    }
    worker.running.add(running)
    running.renewal = setInterval(() => void renew(running), Math.max(1, Math.floor(leaseMs / 3)))
    running.finished = run(worker, running)
  }

  async function run(worker: QueueWorker, running: Running): Promise<void> {
    let outcome: Outcome
    try {
      const { row } = running
      const job: Job = {
        id: row.id,
        queue: row.queue,
        data: JSON.parse(row.data) as unknown,
        attempt: row.attempts,
      }
      await worker.handler(job, { signal: running.controller.signal })
      outcome = { ok: true }
    } catch (error) {
      outcome = { ok: false, error }
    }
    running.handlerSettled = true
    try {
      if (running.handBack) await handBack(running)
      else await settle(worker, running, outcome)
    } finally {
      stopRenewal(running)
      worker.running.delete(running)
      fill(worker)
    }
  }

  /** Claims due jobs for the free slots of `worker`, unless a claim is already under way. */
  function fill(worker: QueueWorker): void {
    if (closed) return
    worker.wakeups += 1
    if (worker.claiming !== undefined) return
    worker.claiming = claimForSlots(worker).finally(() => {
      worker.claiming = undefined
      // A wake-up that came while the last claim was finishing must not wait for the next poll.
      if (worker.wakeups !== worker.wakeupsAnswered) fill(worker)
    })
  }

  async function claimForSlots(worker: QueueWorker): Promise<void> {
    for (;;) {
      const wakeups = worker.wakeups
      worker.wakeupsAnswered = wakeups
      const free = worker.concurrency - worker.running.size
      if (free <= 0 || closed) break
      claims += 1
      const owner = `${workerId}#${String(claims)}`
      let rows: JobTable[]
      try {
        rows = await claim(worker.queue, free, owner)
      } catch (error) {
        report(error, { queue: worker.queue, during: 'claim' })
        break
      }
      if (isClosed()) {
        // Claimed while shutting down: give them straight back rather than let them wait for the lease.
        await Promise.all(
          rows.map((row) =>
            release(row.id, owner).catch((error: unknown) => {
              report(error, { queue: worker.queue, jobId: row.id, during: 'hand-back' })
            }),
          ),
        )
        return
      }
      for (const row of rows) start(worker, row, owner)
      if (rows.length < free && worker.wakeups === wakeups) break
    }
    schedule(worker)
  }

  /** Arms the next wake-up of an idle worker: the next poll, or a known run time if sooner. */
  function schedule(worker: QueueWorker): void {
    if (closed) return
    const now = clock()
    const { knownDue } = worker
    while (knownDue[0] !== undefined && knownDue[0] <= now) knownDue.shift()
    const poll = now + pollMs * (0.5 + Math.random())
    const due = knownDue[0]
    wakeAt(worker, due !== undefined && due < poll ? due : poll)
  }

  function wakeAt(worker: QueueWorker, at: number): void {
    if (closed || (worker.timer !== undefined && worker.timerAt <= at)) return
    clearTimeout(worker.timer)
    worker.timerAt = at
    // One millisecond late, so the job's `run_at <= now` holds when the timer fires.
    worker.timer = setTimeout(
      () => {
        worker.timer = undefined
        fill(worker)
      },
      Math.max(0, at - clock()) + 1,
    )
  }

  /** Notes a delayed run time on this node, so the worker wakes for it rather than at the next poll. */
  function remember(worker: QueueWorker, runAt: number): void {
    const { knownDue } = worker
    if (knownDue.length >= knownDueLimit) return
    let index = knownDue.length
    while (index > 0 && (knownDue[index - 1] ?? 0) > runAt) index -= 1
    knownDue.splice(index, 0, runAt)
    if (worker.claiming === undefined) schedule(worker)
  }

  async function shutDown(graceMs: number): Promise<void> {
    closed = true
    for (const worker of workers.values()) {
      clearTimeout(worker.timer)
      worker.timer = undefined
    }
    // A claim under way hands its rows back itself once it sees `closed`.
    await Promise.all([...workers.values()].flatMap((worker) => worker.claiming ?? []))
    const inFlight = [...workers.values()].flatMap((worker) => [...worker.running])
    if (inFlight.length === 0) return
    const allFinished = Promise.all(inFlight.map((running) => running.finished))
    if (await settlesWithin(allFinished, graceMs)) return
    const late = inFlight.filter((running) => !running.handlerSettled)
    for (const running of late) {
      running.handBack = true
      running.controller.abort(new Error('The worker is shutting down; the job will run again elsewhere'))
    }
    // Handing back after the handler has stopped keeps two runs of one job from overlapping; a
    // handler that ignores its signal for longer loses that guarantee, not its job.
    await settlesWithin(allFinished, abortedSettleMs)
    await Promise.all(late.map((running) => handBack(running)))
  }

  return {
    kind: 'database',

    async enqueue(queue, data, enqueueOptions = {}) {
      if (closed) throw new Error('The job queue is closed')
      assertEnqueueOptions(queue, enqueueOptions)
      const json = encodeJobData(data)
      const now = clock()
      const runAt = now + (enqueueOptions.delayMs ?? 0)
      await db
        .insertInto('jobs')
        .values({
          id: enqueueOptions.id ?? uuidv7(),
          queue,
          data: json,
          run_at: runAt,
          attempts: 0,
          lease_owner: null,
          lease_until: null,
          created_at: now,
        })
        .onConflict((oc) => oc.column('id').doNothing())
        .execute()
      const worker = workers.get(queue)
      if (worker === undefined) return
      if (runAt <= now) fill(worker)
      else remember(worker, runAt)
    },

    work(queue, handler, workerOptions) {
      if (closed) throw new Error('The job queue is closed')
      assertWorkerOptions(queue, workerOptions)
      if (workers.has(queue)) throw new Error(`Queue ${queue} already has a worker on this node`)
      const worker: QueueWorker = {
        queue,
        handler: handler as JobHandler,
        concurrency: workerOptions.concurrency,
        running: new Set(),
        claiming: undefined,
        wakeups: 0,
        wakeupsAnswered: 0,
        timer: undefined,
        timerAt: 0,
        knownDue: [],
      }
      workers.set(queue, worker)
      fill(worker)
    },

    async counts(queue) {
      const now = clock()
      const { rows } = await sql<{
        waiting: number | string
        delayed: number | string
        active: number | string
      }>`
        select
          count(*) filter (where run_at <= ${now} and (lease_until is null or lease_until < ${now})) as waiting,
          count(*) filter (where run_at > ${now} and (lease_until is null or lease_until < ${now})) as delayed,
          count(*) filter (where lease_until >= ${now}) as active
        from jobs where queue = ${queue}`.execute(db)
      const row = rows[0]
      return {
        waiting: Number(row?.waiting ?? 0),
        delayed: Number(row?.delayed ?? 0),
        active: Number(row?.active ?? 0),
      }
    },

    async ping() {
      await sql`select 1`.execute(db)
    },

    close(closeOptions = {}) {
      closing ??= shutDown(closeOptions.graceMs ?? 10_000)
      return closing
    },
  }
}
