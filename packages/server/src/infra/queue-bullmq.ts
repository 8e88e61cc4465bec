import { DelayedError, Queue, WaitingError, Worker } from 'bullmq'
import type { Job as BullmqJob } from 'bullmq'
import { Redis } from 'ioredis'
import { v7 as uuidv7 } from 'uuid'
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

export interface BullmqQueueOptions {
  readonly redisUrl: string
  /**
   * BullMQ's key prefix: keys are `<prefix>:<queue>:…`. A trailing `:` is dropped, so the prefix
   * of the other Redis infrastructure (`toolplane:`) can be passed as it is.
   */
  readonly prefix: string
  /** BullMQ's `lockDuration` and stalled-check interval, in milliseconds; default 30 000. */
  readonly leaseMs?: number
  readonly onError: QueueErrorReporter
}

/** How long `close` waits for handlers it has aborted before it hands their jobs back regardless. */
const abortedSettleMs = 2_000
/** How long `close` then gives BullMQ to wind down before it drops the connections. */
const windDownMs = 5_000
/**
 * Failed runs BullMQ retries before it gives up. Handlers report their own failures and expect to
 * run again; at the one-minute cap of `retryDelayMs` this is about two years.
 */
const retries = 1_000_000
/** Times a job may lose its worker (stall) before BullMQ moves it to `failed` instead of `wait`. */
const maxStalledCount = 1_000
/** The name of the back-off BullMQ calls back into: `retryDelayMs`. */
const backoffType = 'toolplane'

type Outcome = { readonly ok: true } | { readonly ok: false; readonly error: unknown }

/** One job whose handler runs on this node. */
interface Running {
  readonly queue: string
  readonly bullmqId: string
  readonly controller: AbortController
  handlerSettled: boolean
  handlerDone: Promise<Outcome>
  /** Shutdown passed its grace period or the lease was lost: the job goes back, whatever the handler did. */
  handBack: boolean
  /** Stops waiting for a handler that ignores its signal. */
  giveUp: () => void
}

// BullMQ refuses custom ids that look like integers or contain ':'. Percent-encoding removes the
// colons (and keeps UUIDs as they are); a leading '#', which the encoding never produces, marks
// the integer-looking ones.
function toBullmqId(id: string): string {
  const encoded = encodeURIComponent(id)
  return String(parseInt(encoded, 10)) === encoded ? `#${encoded}` : encoded
}

function fromBullmqId(bullmqId: string): string {
  return decodeURIComponent(bullmqId.startsWith('#') ? bullmqId.slice(1) : bullmqId)
}

const asError = (error: unknown): Error => (error instanceof Error ? error : new Error(String(error)))

/**
 * The cluster-mode job queue on BullMQ: a job is a Redis hash that moves between BullMQ's lists
 * (`wait`, `delayed`, `active`). A worker holds each active job by a lock that BullMQ renews while
 * the handler runs; when a worker dies its lock runs out, another worker's stalled check moves the
 * job back to `wait`, and it runs again (`maxStalledCount` is high, so this is not a failure).
 * `RescheduleJob` moves the job to `delayed` itself; any other error is reported and left to
 * BullMQ's retries with `retryDelayMs` as back-off, so no job ends in `failed` short of a thousand
 * stalls. Completed jobs are removed, which frees their id for a later enqueue.
 *
 * @example
 * const queue = createBullmqQueue({ redisUrl, prefix: 'toolplane', onError: (error, context) => log.error({ err: error, ...context }, 'job queue') })
 * queue.work('webhook-deliveries', (job, { signal }) => deliver(job.data, signal), { concurrency: 8 })
 * await queue.enqueue('webhook-deliveries', { deliveryId }, { id: `delivery:${deliveryId}` })
 * await queue.close({ graceMs: 10_000 })
 */
export function createBullmqQueue(options: BullmqQueueOptions): JobQueue {
  const { redisUrl, leaseMs = 30_000, onError } = options
  if (!(Number.isFinite(leaseMs) && leaseMs > 0)) throw new RangeError('leaseMs must be a positive number')
  const prefix = options.prefix.endsWith(':') ? options.prefix.slice(0, -1) : options.prefix
  // Producers and readiness share one command connection; each worker has its own (BullMQ opens
  // them, with the blocking connection it needs, from the URL).
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 3, enableOfflineQueue: true })
  const queues = new Map<string, Queue>()
  const workers = new Map<string, Worker>()
  const running = new Set<Running>()
  let closed = false
  let closing: Promise<void> | undefined

  function report(error: unknown, context: QueueErrorContext): void {
    try {
      onError(error, context)
    } catch {
      // A failing error reporter must not take the queue's bookkeeping down with it.
    }
  }

  redis.on('error', (error: unknown) => {
    report(error, { queue: '*', during: 'connection' })
  })

  function queueFor(name: string): Queue {
    let queue = queues.get(name)
    if (queue === undefined) {
      queue = new Queue(name, { connection: redis, prefix })
      queue.on('error', (error: unknown) => {
        report(error, { queue: name, during: 'connection' })
      })
      queues.set(name, queue)
    }
    return queue
  }

  function processorFor(queue: string, handler: JobHandler) {
    return async (bullmqJob: BullmqJob<unknown>, token?: string): Promise<void> => {
      const bullmqId = bullmqJob.id ?? ''
      const jobId = fromBullmqId(bullmqId)
      let giveUp = () => {}
      const gaveUp = new Promise<undefined>((resolve) => {
        giveUp = () => {
          resolve(undefined)
        }
      })
      const entry: Running = {
        queue,
        bullmqId,
        controller: new AbortController(),
        handlerSettled: false,
        handlerDone: Promise.resolve({ ok: true }),
        handBack: false,
        giveUp,
      }
      running.add(entry)
      try {
        const job: Job = { id: jobId, queue, data: bullmqJob.data, attempt: bullmqJob.attemptsStarted }
        entry.handlerDone = (async (): Promise<Outcome> => {
          try {
            await handler(job, { signal: entry.controller.signal })
            return { ok: true }
          } catch (error) {
            return { ok: false, error }
          } finally {
            entry.handlerSettled = true
          }
        })()
        const outcome = await Promise.race([entry.handlerDone, gaveUp])

        if (entry.handBack || outcome === undefined) {
          try {
            await bullmqJob.moveToWait(token)
          } catch (error) {
            // The lock runs out and the stalled check puts the job back instead.
            report(error, { queue, jobId, during: 'hand-back' })
          }
          // Tells BullMQ the job has been moved already, so it neither completes nor fails it.
          throw new WaitingError()
        }
        if (outcome.ok) return
        const { error } = outcome
        if (error instanceof RescheduleJob) {
          try {
            if (error.data !== undefined) {
              await bullmqJob.updateData(JSON.parse(encodeJobData(error.data)) as unknown)
            }
            await bullmqJob.moveToDelayed(Date.now() + rescheduleDelayMs(error), token)
          } catch (moveError) {
            // BullMQ's own retry takes it from here.
            report(moveError, { queue, jobId, during: 'reschedule' })
            throw asError(moveError)
          }
          throw new DelayedError()
        }
        report(error, { queue, jobId, during: 'handler' })
        throw asError(error)
      } finally {
        running.delete(entry)
      }
    }
  }

  async function shutDown(graceMs: number): Promise<void> {
    closed = true
    // Without force BullMQ stops fetching and waits for the processors, which hand their jobs back
    // themselves once told to give up.
    const stopping = Promise.all(
      [...workers].map(([queue, worker]) =>
        worker.close().catch((error: unknown) => {
          report(error, { queue, during: 'close' })
        }),
      ),
    )
    if (!(await settlesWithin(stopping, graceMs))) {
      const late = [...running].filter((entry) => !entry.handlerSettled)
      for (const entry of late) {
        entry.handBack = true
        entry.controller.abort(new Error('The worker is shutting down; the job will run again elsewhere'))
      }
      await settlesWithin(Promise.all(late.map((entry) => entry.handlerDone)), abortedSettleMs)
      for (const entry of running) entry.giveUp()
      if (!(await settlesWithin(stopping, windDownMs))) {
        // Redis is unreachable: drop the sockets; the locks run out and the stalled check recovers the jobs.
        await Promise.all([...workers.values()].map((worker) => worker.disconnect().catch(() => undefined)))
      }
    }
    await Promise.all(
      [...queues].map(([queue, bullmqQueue]) =>
        bullmqQueue.close().catch((error: unknown) => {
          report(error, { queue, during: 'close' })
        }),
      ),
    )
    await redis.quit().catch(() => {
      redis.disconnect()
    })
  }

  return {
    kind: 'bullmq',

    async enqueue(queue, data, enqueueOptions = {}) {
      if (closed) throw new Error('The job queue is closed')
      assertEnqueueOptions(queue, enqueueOptions)
      // Through JSON as in the database queue, so both refuse and transform the same things.
      const json = JSON.parse(encodeJobData(data)) as unknown
      // BullMQ skips an add whose id exists; completed jobs are removed, so only live ones count.
      await queueFor(queue).add(queue, json, {
        jobId: toBullmqId(enqueueOptions.id ?? uuidv7()),
        delay: enqueueOptions.delayMs ?? 0,
        attempts: retries,
        backoff: { type: backoffType },
        removeOnComplete: true,
        // Only a job that stalled maxStalledCount times gets here; keep it a week for inspection.
        removeOnFail: { age: 7 * 24 * 3600 },
      })
    },

    work(queue, handler, workerOptions) {
      if (closed) throw new Error('The job queue is closed')
      assertWorkerOptions(queue, workerOptions)
      if (workers.has(queue)) throw new Error(`Queue ${queue} already has a worker on this node`)
      const worker = new Worker<unknown, void>(queue, processorFor(queue, handler as JobHandler), {
        connection: { url: redisUrl, maxRetriesPerRequest: null },
        prefix,
        concurrency: workerOptions.concurrency,
        lockDuration: leaseMs,
        stalledInterval: leaseMs,
        maxStalledCount,
        settings: { backoffStrategy: (attemptsMade: number) => retryDelayMs(attemptsMade) },
      })
      worker.on('error', (error: unknown) => {
        report(error, { queue, during: 'worker' })
      })
      worker.on('lockRenewalFailed', (bullmqIds: string[]) => {
        // Another worker may already run these: stop ours and make sure it does not complete them.
        for (const entry of running) {
          if (entry.queue !== queue || !bullmqIds.includes(entry.bullmqId) || entry.handlerSettled) continue
          entry.handBack = true
          entry.controller.abort(new Error(`The lease of job ${fromBullmqId(entry.bullmqId)} was lost`))
        }
      })
      workers.set(queue, worker)
    },

    async counts(queue) {
      if (closed) throw new Error('The job queue is closed')
      // A paused queue keeps its jobs in `wait` since BullMQ 5, so `waiting` covers them.
      const counts = await queueFor(queue).getJobCounts('waiting', 'prioritized', 'delayed', 'active')
      const count = (state: string) => counts[state] ?? 0
      return {
        waiting: count('waiting') + count('prioritized'),
        delayed: count('delayed'),
        active: count('active'),
      }
    },

    async ping() {
      await redis.ping()
    },

    close(closeOptions = {}) {
      closing ??= shutDown(closeOptions.graceMs ?? 10_000)
      return closing
    },
  }
}
