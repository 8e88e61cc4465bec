import { Worker } from 'node:worker_threads'
import { Pool } from 'undici'

/**
 * A small HTTP load generator on undici's `Pool`: closed-loop (N connections, each sending its next
 * request as soon as the previous answer arrives) and open-loop (requests sent on a fixed schedule
 * whatever the answers do). Latencies are kept raw and sorted for percentiles, so nothing is
 * bucketed away.
 */

/** One request as the generator sends it. */
export interface LoadRequest {
  readonly method: 'GET' | 'POST'
  readonly path: string
  readonly headers?: Record<string, string>
  readonly body?: string
}

/**
 * Judges one answer: `true` when it counts as a success. `body` is the raw text; the generator
 * reads every body whole so connections are reused and the parse cost is the same for every target.
 */
export type AnswerCheck = (statusCode: number, body: string) => boolean

export interface LoadTarget {
  /** Origin such as `http://127.0.0.1:4000`. */
  readonly origin: string
  readonly request: LoadRequest
  readonly check: AnswerCheck
  /** Called with each successful answer's body (e.g. to collect execution ids). */
  readonly onSuccess?: (body: string) => void
}

export interface LoadResult {
  /** Requests sent during the measured window. */
  readonly sent: number
  readonly succeeded: number
  /** Answers the check refused (non-2xx, wrong body) plus transport errors and unanswered requests. */
  readonly errors: number
  /** First error messages seen, for the report. */
  readonly errorSamples: readonly string[]
  /**
   * Successful answers per second over the measured window; for the open loop the window lasts
   * until the last answer when that came after the schedule's end.
   */
  readonly throughput: number
  readonly latency: LatencySummary
  /** Open loop only: how late the generator itself sent requests after their scheduled time. */
  readonly sendLag?: LatencySummary
  /** Size of the last successful answer body, in bytes. */
  readonly answerBytes: number
  /** `performance.now()` at the start and end of the measured window. */
  readonly startedAt: number
  readonly endedAt: number
}

export interface LatencySummary {
  readonly count: number
  readonly mean: number
  readonly p50: number
  readonly p95: number
  readonly p99: number
  readonly max: number
}

/**
 * Collects latencies in milliseconds in a growing `Float64Array`.
 *
 * @example
 * const recorder = new LatencyRecorder()
 * recorder.add(1.25)
 * recorder.summary().p99
 */
export class LatencyRecorder {
  private values = new Float64Array(1 << 16)
  private length = 0

  add(milliseconds: number): void {
    if (this.length === this.values.length) {
      const grown = new Float64Array(this.values.length * 2)
      grown.set(this.values)
      this.values = grown
    }
    this.values[this.length++] = milliseconds
  }

  get count(): number {
    return this.length
  }

  summary(): LatencySummary {
    return summarizeLatencies(this.values.subarray(0, this.length))
  }
}

/**
 * Nearest-rank percentiles of a set of latencies (the input is not changed).
 *
 * @example
 * summarizeLatencies(Float64Array.from([1, 2, 3, 4])).p50 // 2
 */
export function summarizeLatencies(values: Float64Array): LatencySummary {
  const sorted = Float64Array.from(values).sort()
  const n = sorted.length
  if (n === 0)
    return { count: 0, mean: Number.NaN, p50: Number.NaN, p95: Number.NaN, p99: Number.NaN, max: Number.NaN }
  const rank = (p: number) => sorted[Math.min(n - 1, Math.max(0, Math.ceil(p * n) - 1))] ?? Number.NaN
  let total = 0
  for (const value of sorted) total += value
  return {
    count: n,
    mean: total / n,
    p50: rank(0.5),
    p95: rank(0.95),
    p99: rank(0.99),
    max: sorted[n - 1] ?? Number.NaN,
  }
}

/** A keep-alive pool of `connections` HTTP/1.1 connections without pipelining, as a client would use. */
export function createLoadPool(origin: string, connections: number): Pool {
  return new Pool(origin, {
    connections,
    pipelining: 1,
    keepAliveTimeout: 60_000,
    keepAliveMaxTimeout: 600_000,
    headersTimeout: 60_000,
    bodyTimeout: 60_000,
  })
}

class Tally {
  sent = 0
  succeeded = 0
  answerBytes = 0
  lastAnswerAt = 0
  readonly errorSamples: string[] = []
  readonly latencies = new LatencyRecorder()

  record(outcome: Outcome, since: number, target: LoadTarget): void {
    this.lastAnswerAt = Math.max(this.lastAnswerAt, outcome.at)
    if (outcome.ok) {
      this.latencies.add(outcome.at - since)
      this.succeeded++
      this.answerBytes = Buffer.byteLength(outcome.body)
      target.onSuccess?.(outcome.body)
    } else this.sample(outcome.message)
  }

  sample(message: string): void {
    if (this.errorSamples.length < 5 && !this.errorSamples.includes(message)) this.errorSamples.push(message)
  }
}

type Outcome = { ok: true; at: number; body: string } | { ok: false; at: number; message: string }

async function send(pool: Pool, target: LoadTarget): Promise<Outcome> {
  const { request } = target
  try {
    const answer = await pool.request({
      method: request.method,
      path: request.path,
      headers: request.headers,
      body: request.body,
    })
    const body = await answer.body.text()
    const at = performance.now()
    return target.check(answer.statusCode, body)
      ? { ok: true, at, body }
      : { ok: false, at, message: `HTTP ${answer.statusCode}: ${body.slice(0, 200)}` }
  } catch (error) {
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error)
    return { ok: false, at: performance.now(), message }
  }
}

function result(tally: Tally, startedAt: number, endedAt: number, sendLag?: LatencyRecorder): LoadResult {
  const seconds = (endedAt - startedAt) / 1000
  return {
    sent: tally.sent,
    succeeded: tally.succeeded,
    errors: tally.sent - tally.succeeded,
    errorSamples: tally.errorSamples,
    throughput: seconds > 0 ? tally.succeeded / seconds : 0,
    latency: tally.latencies.summary(),
    ...(sendLag === undefined ? {} : { sendLag: sendLag.summary() }),
    answerBytes: tally.answerBytes,
    startedAt,
    endedAt,
  }
}

/**
 * Closed loop: `connections` senders each keep exactly one request in flight for `durationMs`.
 * Only answers that arrive inside the window count, as successes or errors; the request each
 * sender has in flight at the end is awaited and left out.
 *
 * @example
 * const r = await runClosedLoop(pool, target, { connections: 50, durationMs: 15_000 })
 */
export async function runClosedLoop(
  pool: Pool,
  target: LoadTarget,
  options: { connections: number; durationMs: number },
): Promise<LoadResult> {
  const tally = new Tally()
  const startedAt = performance.now()
  const deadline = startedAt + options.durationMs
  const sender = async () => {
    while (performance.now() < deadline) {
      const since = performance.now()
      const outcome = await send(pool, target)
      if (outcome.at > deadline) break
      tally.sent++
      tally.record(outcome, since, target)
    }
  }
  await Promise.all(Array.from({ length: options.connections }, sender))
  return result(tally, startedAt, deadline)
}

// Runs in a worker thread: blocking waits there are precise to a fraction of a millisecond, where
// main-thread timers fire up to a millisecond late and would add that to every measured latency. It
// says when it is ready and is then told when to start: a schedule that began before the thread had
// booted (tens of milliseconds on a slow VM) would charge its boot to the first requests' latency.
const tickerSource = `
const { parentPort, workerData } = require('node:worker_threads')
const cell = new Int32Array(new SharedArrayBuffer(4))
const { intervalMs, count } = workerData
parentPort.once('message', (firstAt) => {
  for (let i = 0; i < count; i++) {
    const due = firstAt + i * intervalMs
    const wait = due - (performance.timeOrigin + performance.now())
    if (wait > 0.05) Atomics.wait(cell, 0, 0, wait)
    parentPort.postMessage(due)
  }
  parentPort.postMessage(-1)
})
parentPort.postMessage('ready')
`

/**
 * Open loop: sends `rate` requests per second for `durationMs` on a fixed schedule, never waiting
 * for answers (the pool queues requests when all connections are busy). Latency runs from each
 * request's scheduled time, so a stall is charged to every request it delayed — no coordinated
 * omission. `sendLag` says how late the generator itself was.
 *
 * @example
 * const r = await runOpenLoop(pool, target, { rate: 500, durationMs: 15_000 })
 */
export async function runOpenLoop(
  pool: Pool,
  target: LoadTarget,
  options: { rate: number; durationMs: number; drainTimeoutMs?: number },
): Promise<LoadResult> {
  const tally = new Tally()
  const sendLag = new LatencyRecorder()
  const intervalMs = 1000 / options.rate
  const count = Math.max(1, Math.round((options.durationMs / 1000) * options.rate))
  let startedAt = 0
  const inFlight = new Set<Promise<void>>()
  await new Promise<void>((resolve, reject) => {
    const worker = new Worker(tickerSource, { eval: true, workerData: { intervalMs, count } })
    worker.on('message', (due: number | 'ready') => {
      if (due === 'ready') {
        // Schedules are in epoch milliseconds because the worker's performance clock has another origin.
        const firstAt = performance.timeOrigin + performance.now() + 5
        startedAt = firstAt - performance.timeOrigin
        worker.postMessage(firstAt)
        return
      }
      if (due < 0) {
        void worker.terminate()
        resolve()
        return
      }
      const scheduled = due - performance.timeOrigin
      sendLag.add(performance.now() - scheduled)
      tally.sent++
      const pending = send(pool, target).then((outcome) => {
        tally.record(outcome, scheduled, target)
      })
      inFlight.add(pending)
      void pending.finally(() => inFlight.delete(pending))
    })
    worker.on('error', reject)
  })
  const drained = Promise.all(inFlight)
  const timeout = new Promise<void>((resolve) =>
    setTimeout(resolve, options.drainTimeoutMs ?? 300_000).unref(),
  )
  await Promise.race([drained, timeout])
  if (inFlight.size > 0) tally.sample(`${inFlight.size} requests unanswered after the run`)
  // A server slower than the rate answers after the schedule ends: its throughput is what it did.
  const endedAt = Math.max(startedAt + count * intervalMs, tally.lastAnswerAt)
  return result(tally, startedAt, endedAt, sendLag)
}
