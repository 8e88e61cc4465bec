/**
 * The job queue: work accepted now and done by some worker later, surviving the crash of the process
 * that accepted it (SPEC §2). Two implementations behind this one interface: a job table in the
 * database (`queue-database.ts`, embedded mode) and BullMQ on Redis (`queue-bullmq.ts`, cluster mode).
 *
 * Delivery is at least once. A job is leased to one worker; the lease is renewed while the handler
 * runs; when its worker dies the lease expires and another worker runs the job again. Handlers must
 * therefore be safe to run twice (the execution engine claims its execution row before calling out).
 */

/** A job as a handler sees it. */
export interface Job<T = unknown> {
  readonly id: string
  readonly queue: string
  readonly data: T
  /** How many times a worker has started this job, this time included (1 on the first run). */
  readonly attempt: number
}

export interface EnqueueOptions {
  /**
   * Enqueueing an id that is already waiting, delayed or running does nothing; once its job has
   * completed the id can be used again. Default: a new UUIDv7. The database queue keeps all queues in
   * one table, so there an id must be unique across queues: name the subject (`delivery:<id>`).
   */
  readonly id?: string
  /** Run no sooner than this many milliseconds from now. */
  readonly delayMs?: number
}

export interface JobContext {
  /**
   * Aborted when the worker shuts down and the grace period has passed, or when the worker has lost
   * the job's lease (another worker may be running it): the handler should stop and leave its work to
   * be picked up again. Once the signal has aborted the job is handed back, never completed, however
   * the handler settles.
   */
  readonly signal: AbortSignal
}

/**
 * What a handler does with a job. Resolving completes the job (it is removed). Throwing
 * {@link RescheduleJob} runs it again later; any other error is reported and the job is run again
 * after a short back-off, so a bug cannot lose work (handlers record their own failures).
 */
export type JobHandler<T = unknown> = (job: Job<T>, context: JobContext) => Promise<void>

/** Thrown by a handler to run its job again after `delayMs`, with new `data` if given. */
export class RescheduleJob extends Error {
  override name = 'RescheduleJob'
  readonly delayMs: number
  readonly data: unknown

  constructor(delayMs: number, data?: unknown) {
    super(`Run the job again in ${delayMs} ms`)
    this.delayMs = delayMs
    this.data = data
  }
}

export interface WorkerOptions {
  /** Jobs of this queue run at once on this node. */
  readonly concurrency: number
}

/** Jobs per state, for `/readyz` and `toolplane_queue_jobs{queue,state}`. */
export interface QueueCounts {
  /** Due now, not yet claimed. */
  readonly waiting: number
  /** Not due yet. */
  readonly delayed: number
  /** Claimed by a worker. */
  readonly active: number
}

/** What went wrong in the background, where no caller could be thrown to. */
export interface QueueErrorContext {
  /** `*` for what no single queue owns (BullMQ's shared command connection). */
  readonly queue: string
  readonly jobId?: string
  /**
   * `handler`: a handler threw (the job runs again after a back-off); `claim`, `renew`, `complete`,
   * `reschedule`, `hand-back`: storage failed (the lease settles it); `connection`, `worker`: the
   * queue's own machinery.
   */
  readonly during:
    | 'handler'
    | 'claim'
    | 'renew'
    | 'complete'
    | 'reschedule'
    | 'hand-back'
    | 'connection'
    | 'worker'
    | 'close'
}

export type QueueErrorReporter = (error: unknown, context: QueueErrorContext) => void

export interface JobQueue {
  readonly kind: 'database' | 'bullmq'
  /**
   * Adds a job; resolves once it is stored durably. `data` goes through JSON, so a handler sees
   * dates as strings; `undefined` data is refused (use `{}` or `null`).
   */
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- lets callers state the job's data type
  enqueue<T>(queue: string, data: T, options?: EnqueueOptions): Promise<void>
  /**
   * Starts consuming `queue` on this node with `handler`. Call at most once per queue; throws
   * after `close`. Queue names are non-empty and without ':' (a BullMQ rule, kept in both).
   */
  work<T>(queue: string, handler: JobHandler<T>, options: WorkerOptions): void
  counts(queue: string): Promise<QueueCounts>
  /** A readiness check: throws when the queue's storage cannot be reached. */
  ping(): Promise<void>
  /**
   * Stops claiming jobs, waits up to `graceMs` for running handlers to finish, then aborts the rest
   * and hands their jobs back so another worker runs them at once. Safe to call twice. Afterwards
   * `enqueue` rejects and `work` throws.
   */
  close(options?: { graceMs?: number }): Promise<void>
}

/**
 * How long a job whose handler threw waits before its next run: 1 s after the first failure,
 * doubling up to a minute, so a bug or an outage does not spin a worker but work resumes soon after
 * the fix.
 *
 * @example
 * retryDelayMs(1) // 1_000
 * retryDelayMs(10) // 60_000
 */
export function retryDelayMs(attempt: number): number {
  return Math.min(60_000, 1_000 * 2 ** Math.max(0, attempt - 1))
}

/**
 * The delay a `RescheduleJob` asks for, read defensively: a negative or non-finite one means now.
 *
 * @example
 * rescheduleDelayMs(new RescheduleJob(-5)) // 0
 */
export function rescheduleDelayMs(reschedule: RescheduleJob): number {
  return Number.isFinite(reschedule.delayMs) ? Math.max(0, reschedule.delayMs) : 0
}

/**
 * The JSON a job's data is stored as, the same in both implementations; refuses what JSON cannot
 * carry back (`undefined`, a `BigInt` throws on its own).
 *
 * @example
 * encodeJobData({ deliveryId }) // '{"deliveryId":"…"}'
 */
export function encodeJobData(data: unknown): string {
  const json = JSON.stringify(data) as string | undefined
  if (json === undefined) throw new TypeError('Job data must be JSON; got undefined (use {} or null)')
  return json
}

/**
 * Refuses a queue name BullMQ would refuse, in both implementations, so what works on a laptop
 * works in a cluster.
 *
 * @example
 * assertQueueName('webhook-deliveries') // passes; 'webhooks:deliveries' throws
 */
export function assertQueueName(queue: string): void {
  if (queue === '' || queue.includes(':')) {
    throw new TypeError(`A queue name must be non-empty and without ':'; got ${JSON.stringify(queue)}`)
  }
}

/**
 * Checks what `work` is given, the same way in both implementations.
 *
 * @example
 * assertWorkerOptions(queue, { concurrency: 8 })
 */
export function assertWorkerOptions(queue: string, options: WorkerOptions): void {
  assertQueueName(queue)
  if (!Number.isInteger(options.concurrency) || options.concurrency < 1) {
    throw new RangeError(`concurrency must be a positive integer; got ${String(options.concurrency)}`)
  }
}

/**
 * Checks what `enqueue` is given, the same way in both implementations.
 *
 * @example
 * assertEnqueueOptions(queue, { id: `delivery:${deliveryId}`, delayMs: 5_000 })
 */
export function assertEnqueueOptions(queue: string, options: EnqueueOptions): void {
  assertQueueName(queue)
  const { id, delayMs } = options
  if (id === '') throw new TypeError('A job id must not be empty')
  if (delayMs !== undefined && !(Number.isFinite(delayMs) && delayMs >= 0)) {
    throw new RangeError(`delayMs must be a finite number of milliseconds >= 0; got ${String(delayMs)}`)
  }
}

/**
 * Whether `promise` resolves within `ms` (a rejection rejects); for grace periods.
 *
 * @example
 * if (!(await settlesWithin(running, graceMs))) abortAll()
 */
export function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  return Promise.race([
    promise.then(() => true),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => {
        resolve(false)
      }, ms)
    }),
  ]).finally(() => {
    clearTimeout(timer)
  })
}
