import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import type { Pool } from 'undici'
import type { LatencySummary, LoadResult, LoadTarget } from './load.js'
import { createLoadPool, runClosedLoop, runOpenLoop, summarizeLatencies } from './load.js'
import type { BenchChild } from './processes.js'
import { MemorySampler, readCpuMs, startBenchChild, upstreamCount } from './processes.js'
import type { Check, ScenarioRow, SoakFigures } from './report.js'
import { summarizeProfile } from './profile.js'
import {
  describeMachine,
  formatChecks,
  formatSoak,
  formatTable,
  gitRevision,
  median,
  writeReport,
} from './report.js'
import type { ToolplaneServer } from './toolplane.js'
import { repositoryRoot, startToolplane } from './toolplane.js'

/**
 * Toolplane's execution benchmark: a local upstream called directly, a minimal Node proxy making
 * the same call (the baseline), Toolplane sync executions through the `http` tool, and async
 * executions (accepted/s and completed/s), each at saturation and at a fixed rate; then a soak run
 * that checks memory stays flat. See bench/README.md.
 */

const groups = ['direct', 'baseline', 'sync', 'async', 'soak'] as const
type Group = (typeof groups)[number]

const usage = `Usage: node --expose-gc --import tsx bench/executions.ts [options]

  --quick             short runs for a smoke test (about a minute in all)
  --duration=<s>      seconds per measured run (default 15, quick 3)
  --warmup=<s>        seconds of warm-up before each run (default 3, quick 1)
  --soak=<s>          seconds of the memory-flat run (default 120, quick 10)
  --rate=<n>          requests per second of the fixed-rate runs (default 500)
  --connections=<n>   connections of the saturation runs (default 50)
  --only=<groups>     comma list of ${groups.join(', ')} (default: all)
  --profile           write a CPU profile of Toolplane and print where its time went
  --write, --no-write write docs/benchmarks.md (default: on for a full run, off for --quick or --only)
`

interface Options {
  readonly quick: boolean
  readonly durationMs: number
  readonly warmupMs: number
  readonly soakMs: number
  readonly rate: number
  readonly connections: number
  readonly only: ReadonlySet<Group>
  readonly write: boolean
  readonly profile: boolean
}

function parseOptions(argv: readonly string[]): Options {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      quick: { type: 'boolean', default: false },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      soak: { type: 'string' },
      rate: { type: 'string' },
      connections: { type: 'string' },
      only: { type: 'string' },
      write: { type: 'boolean' },
      'no-write': { type: 'boolean' },
      profile: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  })
  if (values.help) {
    process.stdout.write(usage)
    process.exit(0)
  }
  const positive = (name: string, text: string | undefined, fallback: number) => {
    if (text === undefined) return fallback
    const value = Number(text)
    if (!Number.isFinite(value) || value <= 0)
      throw new Error(`--${name}: expected a positive number, got "${text}"`)
    return value
  }
  const only = new Set<Group>()
  for (const name of (values.only ?? groups.join(',')).split(',').map((g) => g.trim())) {
    const group = groups.find((g) => g === name)
    if (group === undefined) throw new Error(`--only: unknown group "${name}"; expected ${groups.join(', ')}`)
    only.add(group)
  }
  const partial = values.quick || values.only !== undefined
  return {
    quick: values.quick,
    durationMs: positive('duration', values.duration, values.quick ? 3 : 15) * 1000,
    warmupMs: positive('warmup', values.warmup, values.quick ? 1 : 3) * 1000,
    soakMs: positive('soak', values.soak, values.quick ? 10 : 120) * 1000,
    rate: positive('rate', values.rate, 500),
    connections: Math.round(positive('connections', values.connections, 50)),
    only,
    write: values['no-write'] === true ? false : (values.write ?? !partial),
    profile: values.profile,
  }
}

// With --expose-gc (as the npm scripts run it) the generator collects its own garbage between
// runs, so a collection of the previous run's latencies does not stall the next run's sends.
const collectGarbage = (globalThis as { gc?: () => void }).gc ?? (() => undefined)

function progress(text: string): void {
  process.stderr.write(`${text}\n`)
}

function seconds(ms: number): string {
  return `${String(Math.round(ms / 100) / 10)} s`
}

/** What the bench knows about one server under test. */
interface Subject {
  readonly label: string
  /** Name under which the memory sampler watches the server's process. */
  readonly memoryName: string
  /** The server's process, for its CPU time; undefined when it is not ours to watch. */
  readonly pid?: number | undefined
  readonly target: LoadTarget
  readonly pool: Pool
}

class Bench {
  readonly rows: ScenarioRow[] = []
  readonly notes: string[] = []
  readonly results = new Map<string, LoadResult>()
  readonly memory = new MemorySampler(250)
  soak: SoakFigures | null = null
  paired: PairedFigures | null = null

  constructor(readonly options: Options) {}

  private row(
    subject: Subject,
    key: string,
    targetRate: string,
    result: LoadResult,
    cpuMs: number | null = null,
  ): void {
    this.memory.sample()
    const peakRss = this.memory.peak(subject.memoryName, result.startedAt, performance.now())
    this.results.set(key, result)
    const row: ScenarioRow = {
      scenario: subject.label,
      targetRate,
      requests: result.sent,
      errors: result.errors,
      throughput: result.throughput,
      latency: result.latency,
      peakRss,
      cpuPerRequestMs: cpuMs === null || result.sent === 0 ? NaN : cpuMs / result.sent,
    }
    this.rows.push(row)
    progress(
      `  ${Math.round(result.throughput).toLocaleString('en-US')} req/s, p50 ${result.latency.p50.toFixed(2)} ms, ` +
        `p99 ${result.latency.p99.toFixed(2)} ms, ${String(result.errors)} errors, peak RSS ${peakRss.toFixed(0)} MB`,
    )
    for (const sample of result.errorSamples) progress(`  error: ${sample}`)
    if (result.sendLag !== undefined && result.sendLag.p99 > 1) {
      this.notes.push(
        `${subject.label} at ${targetRate}: the load generator itself sent requests late (p99 ${result.sendLag.p99.toFixed(2)} ms, ` +
          `max ${result.sendLag.max.toFixed(1)} ms); that lateness is included in the latencies.`,
      )
    }
  }

  /** Closed loop at `connections` after a warm-up. */
  async saturation(subject: Subject, key: string): Promise<LoadResult> {
    const { connections, warmupMs, durationMs } = this.options
    progress(
      `${subject.label} @ saturation, ${String(connections)} connections (${seconds(warmupMs)} warm-up, ${seconds(durationMs)})`,
    )
    await runClosedLoop(subject.pool, subject.target, { connections, durationMs: warmupMs })
    collectGarbage()
    const cpuBefore = subject.pid === undefined ? null : readCpuMs(subject.pid)
    const result = await runClosedLoop(subject.pool, subject.target, { connections, durationMs })
    const cpuAfter = subject.pid === undefined ? null : readCpuMs(subject.pid)
    const cpuMs = cpuBefore === null || cpuAfter === null ? null : cpuAfter - cpuBefore
    this.row(subject, key, `${String(connections)} connections`, result, cpuMs)
    return result
  }

  /** Open loop at `rate` after a warm-up at the same rate. */
  async fixedRate(subject: Subject, key: string): Promise<LoadResult> {
    const { rate, warmupMs, durationMs } = this.options
    progress(`${subject.label} @ ${String(rate)}/s (${seconds(warmupMs)} warm-up, ${seconds(durationMs)})`)
    await runOpenLoop(subject.pool, subject.target, { rate, durationMs: warmupMs })
    collectGarbage()
    const result = await runOpenLoop(subject.pool, subject.target, { rate, durationMs })
    this.row(subject, key, `${String(rate)}/s`, result)
    return result
  }
}

const executionPath = '/v1/executions'

function executionBody(upstreamPort: number, mode: 'sync' | 'async'): string {
  return JSON.stringify({
    action: 'http.request',
    input: { method: 'GET', url: `http://127.0.0.1:${String(upstreamPort)}/items/1` },
    mode,
  })
}

function parsed(body: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(body)
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : null
  } catch {
    return null
  }
}

const terminal = new Set(['succeeded', 'failed', 'cancelled'])

interface ExecutionRecord {
  readonly status: string
  readonly createdAt: string | null
  readonly finishedAt: string | null
}

async function readExecution(
  pool: Pool,
  toolplane: ToolplaneServer,
  id: string,
): Promise<ExecutionRecord | null> {
  try {
    const answer = await pool.request({
      method: 'GET',
      path: `${executionPath}/${encodeURIComponent(id)}`,
      headers: { authorization: `Bearer ${toolplane.apiKey}` },
    })
    const record = parsed(await answer.body.text())
    if (answer.statusCode !== 200 || record === null) return null
    const text = (value: unknown) => (typeof value === 'string' ? value : null)
    return {
      status: text(record.status) ?? 'unknown',
      createdAt: text(record.createdAt),
      finishedAt: text(record.finishedAt),
    }
  } catch {
    return null
  }
}

interface Completion {
  /** `performance.now()` when the upstream had seen every request and the last executions were done. */
  readonly completedAt: number
  /** Executions that reached the upstream (at most the number accepted). */
  readonly reached: number
  readonly drained: boolean
  /** Queue-to-finish times (createdAt → finishedAt) of an evenly spread sample. */
  readonly endToEnd: LatencySummary
  readonly sampleStatuses: Readonly<Record<string, number>>
}

/**
 * Waits until the upstream has answered `accepted` more requests than `countBefore` and the last
 * accepted executions are finished, then reads a sample of executions for their queue-to-finish
 * times and statuses.
 */
async function awaitCompletion(
  upstream: BenchChild,
  toolplane: ToolplaneServer,
  pool: Pool,
  countBefore: number,
  ids: readonly string[],
  timeoutMs: number,
): Promise<Completion> {
  const deadline = performance.now() + timeoutMs
  let reached = 0
  while (performance.now() < deadline) {
    reached = (await upstreamCount(upstream)) - countBefore
    if (reached >= ids.length) break
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  const last = ids.slice(-5)
  let lastDone = false
  while (!lastDone && performance.now() < deadline) {
    const records = await Promise.all(last.map((id) => readExecution(pool, toolplane, id)))
    lastDone = records.every((record) => record !== null && terminal.has(record.status))
    if (!lastDone) await new Promise((resolve) => setTimeout(resolve, 20))
  }
  const completedAt = performance.now()

  const sampleSize = Math.min(200, ids.length)
  const sample = Array.from(
    { length: sampleSize },
    (_, i) => ids[Math.floor((i * ids.length) / sampleSize)] ?? '',
  )
  const statuses: Record<string, number> = {}
  const endToEnd: number[] = []
  for (let i = 0; i < sample.length; i += 10) {
    const records = await Promise.all(sample.slice(i, i + 10).map((id) => readExecution(pool, toolplane, id)))
    for (const record of records) {
      const status = record?.status ?? 'unreadable'
      statuses[status] = (statuses[status] ?? 0) + 1
      if (record?.createdAt != null && record.finishedAt != null) {
        endToEnd.push(Date.parse(record.finishedAt) - Date.parse(record.createdAt))
      }
    }
  }
  return {
    completedAt,
    reached: Math.min(reached, ids.length),
    drained: reached >= ids.length && lastDone,
    endToEnd: summarizeLatencies(Float64Array.from(endToEnd.filter((ms) => Number.isFinite(ms)))),
    sampleStatuses: statuses,
  }
}

function describeStatuses(statuses: Readonly<Record<string, number>>): string {
  return Object.entries(statuses)
    .map(([status, count]) => `${String(count)} ${status}`)
    .join(', ')
}

async function runAsync(
  bench: Bench,
  upstream: BenchChild,
  toolplane: ToolplaneServer,
  subject: Subject,
  ids: string[],
  load: 'saturation' | 'fixed',
): Promise<void> {
  const { options } = bench
  const drainTimeoutMs = options.quick ? 60_000 : 300_000
  const drain = async (before: number) =>
    awaitCompletion(upstream, toolplane, subject.pool, before, ids, drainTimeoutMs)
  const targetRate =
    load === 'saturation' ? `${String(options.connections)} connections` : `${String(options.rate)}/s`
  progress(
    `${subject.label} @ ${load === 'saturation' ? 'saturation' : `${String(options.rate)}/s`} ` +
      `(${seconds(options.warmupMs)} warm-up, ${seconds(options.durationMs)}, then until all completed)`,
  )

  // Warm-up, and let its queue drain so the measured run starts from an empty queue.
  ids.length = 0
  let before = await upstreamCount(upstream)
  if (load === 'saturation') {
    await runClosedLoop(subject.pool, subject.target, {
      connections: options.connections,
      durationMs: options.warmupMs,
    })
  } else await runOpenLoop(subject.pool, subject.target, { rate: options.rate, durationMs: options.warmupMs })
  await drain(before)

  ids.length = 0
  collectGarbage()
  before = await upstreamCount(upstream)
  const accept =
    load === 'saturation'
      ? await runClosedLoop(subject.pool, subject.target, {
          connections: options.connections,
          durationMs: options.durationMs,
        })
      : await runOpenLoop(subject.pool, subject.target, {
          rate: options.rate,
          durationMs: options.durationMs,
        })
  const acceptPeak = bench.memory.peak(subject.memoryName, accept.startedAt, performance.now())
  const completion = await drain(before)
  bench.memory.sample()
  const elapsedSeconds = (completion.completedAt - accept.startedAt) / 1000
  const key = load === 'saturation' ? 'async-saturation' : 'async-fixed'
  bench.results.set(`${key}-accept`, accept)
  bench.rows.push({
    scenario: `${subject.label}: accepted`,
    targetRate,
    requests: accept.sent,
    errors: accept.errors,
    throughput: accept.throughput,
    latency: accept.latency,
    peakRss: acceptPeak,
    note: 'latency of the 202 answer',
  })
  bench.rows.push({
    scenario: `${subject.label}: completed`,
    targetRate,
    requests: completion.reached,
    errors: ids.length - completion.reached,
    throughput: elapsedSeconds > 0 ? completion.reached / elapsedSeconds : 0,
    latency: completion.endToEnd,
    peakRss: bench.memory.peak(subject.memoryName, accept.startedAt, performance.now()),
    note:
      'completed/s from the first accept until the upstream has seen every accepted execution and the last ones are done; ' +
      'latency is createdAt → finishedAt of a sample of up to 200 executions',
  })
  const drainAfter = (completion.completedAt - accept.endedAt) / 1000
  progress(
    `  accepted ${Math.round(accept.throughput).toLocaleString('en-US')}/s (${String(accept.errors)} errors), ` +
      `completed ${String(completion.reached)} of ${String(ids.length)} at ${Math.round(completion.reached / elapsedSeconds).toLocaleString('en-US')}/s, ` +
      `queue drained ${drainAfter.toFixed(1)} s after the last accept; sample: ${describeStatuses(completion.sampleStatuses)}`,
  )
  for (const sample of accept.errorSamples) progress(`  error: ${sample}`)
  bench.notes.push(
    `${subject.label} at ${targetRate}: the queue was ${completion.drained ? '' : 'NOT '}drained ` +
      `${drainAfter.toFixed(1)} s after the last accept; sampled executions: ${describeStatuses(completion.sampleStatuses)}.`,
  )
}

function leastSquaresSlope(points: readonly { x: number; y: number }[]): number {
  const n = points.length
  if (n < 2) return NaN
  const meanX = points.reduce((sum, p) => sum + p.x, 0) / n
  const meanY = points.reduce((sum, p) => sum + p.y, 0) / n
  let covariance = 0
  let variance = 0
  for (const p of points) {
    covariance += (p.x - meanX) * (p.y - meanY)
    variance += (p.x - meanX) ** 2
  }
  return variance === 0 ? NaN : covariance / variance
}

/** The soak's second half may climb by at most this much (MB per minute) and still be flat. */
const maxSlopeMbPerMinute = 10

async function runSoak(bench: Bench, subject: Subject): Promise<void> {
  const { rate, soakMs, warmupMs } = bench.options
  progress(`${subject.label} soak @ ${String(rate)}/s for ${seconds(soakMs)} (memory sampled every 250 ms)`)
  await runOpenLoop(subject.pool, subject.target, { rate, durationMs: warmupMs })
  collectGarbage()
  bench.memory.sample()
  const result = await runOpenLoop(subject.pool, subject.target, { rate, durationMs: soakMs })
  bench.memory.sample()
  const samples = bench.memory.between(subject.memoryName, result.startedAt - 300, performance.now())
  const first = samples[0]
  const lastSample = samples.at(-1)
  if (first === undefined || lastSample === undefined) {
    bench.notes.push('The soak run took no memory samples of Toolplane; is /proc readable?')
    return
  }
  const at = (sample: { at: number }) => (sample.at - result.startedAt) / 1000
  // The issue's reference point is after the first 30 s; short (quick) soaks use the first quarter.
  const referenceAtSeconds = Math.min(30, Math.round(soakMs / 4000))
  const reference = samples.find((s) => at(s) >= referenceAtSeconds) ?? first
  const secondHalf = samples.filter((s) => at(s) >= soakMs / 2000).map((s) => ({ x: at(s) / 60, y: s.rss }))
  const toleranceMb = Math.max(0.1 * reference.rss, 20)
  const slopeMbPerMinute = leastSquaresSlope(secondHalf)
  const step = soakMs >= 60_000 ? 10 : 1
  const series: { second: number; rss: number }[] = []
  for (let second = 0; second <= soakMs / 1000; second += step) {
    const point = samples.find((s) => at(s) >= second)
    if (point !== undefined) series.push({ second, rss: point.rss })
  }
  bench.soak = {
    durationSeconds: soakMs / 1000,
    rate,
    startRss: first.rss,
    referenceRss: reference.rss,
    referenceAtSeconds,
    endRss: lastSample.rss,
    peakRss: Math.max(...samples.map((s) => s.rss)),
    slopeMbPerMinute,
    toleranceMb,
    maxSlopeMbPerMinute,
    // A leak grows: memory may not end above the reference by more than the tolerance, nor climb over
    // the second half. It may fall: V8 lets the heap grow to its first full collection, which comes
    // some 30–40 s into a fresh process at this rate and gives back tens of MB (e.g. 304 → 249 MB,
    // then level), so "within the tolerance either way" judged the timing of that collection.
    flat: lastSample.rss - reference.rss <= toleranceMb && !(slopeMbPerMinute > maxSlopeMbPerMinute),
    series,
    seriesStepSeconds: step,
    requests: result.sent,
    errors: result.errors,
    latency: result.latency,
  }
  bench.rows.push({
    scenario: `${subject.label} (soak)`,
    targetRate: `${String(rate)}/s`,
    requests: result.sent,
    errors: result.errors,
    throughput: result.throughput,
    latency: result.latency,
    peakRss: bench.soak.peakRss,
  })
  progress(
    `  RSS ${first.rss.toFixed(1)} → ${lastSample.rss.toFixed(1)} MB (reference ${reference.rss.toFixed(1)} MB at ${String(referenceAtSeconds)} s, ` +
      `peak ${bench.soak.peakRss.toFixed(1)} MB, slope ${bench.soak.slopeMbPerMinute.toFixed(2)} MB/min); ` +
      `p50 ${result.latency.p50.toFixed(2)} ms, p99 ${result.latency.p99.toFixed(2)} ms, ${String(result.errors)} errors`,
  )
}

/** Throughput of the baseline and of sync executions measured in alternating slices. */
interface PairedFigures {
  readonly rounds: number
  readonly sliceSeconds: number
  /** Sync throughput over the baseline's, per round. */
  readonly ratios: readonly number[]
  readonly median: number
  readonly baseline: number
  readonly sync: number
}

/**
 * The ratio the issue checks, measured so that both sides see the same machine: rounds of a short
 * baseline slice and a short sync slice at saturation, in ABBA order. On a shared VM the machine's
 * speed drifts by tens of percent between the minute the baseline runs and the minute Toolplane
 * does (the upstream called directly has gone from 29,600 to 40,700 req/s between two runs); paired
 * slices a few seconds apart cancel that drift, and the median of the rounds ignores one disturbed
 * slice. Both servers are warm: this runs after their own saturation and fixed-rate runs.
 */
async function runPaired(bench: Bench, baseline: Subject, sync: Subject): Promise<void> {
  const { options } = bench
  const rounds = options.quick ? 2 : 6
  const sliceMs = options.quick ? 1_000 : 3_000
  progress(
    `baseline and sync alternating @ ${String(options.connections)} connections: ` +
      `${String(rounds)} rounds of ${seconds(sliceMs)} each`,
  )
  const ratios: number[] = []
  let baselineTotal = 0
  let syncTotal = 0
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? [baseline, sync] : [sync, baseline]
    const throughput = new Map<Subject, number>()
    for (const subject of order) {
      collectGarbage()
      const result = await runClosedLoop(subject.pool, subject.target, {
        connections: options.connections,
        durationMs: sliceMs,
      })
      for (const sample of result.errorSamples) progress(`  error (${subject.label}): ${sample}`)
      throughput.set(subject, result.throughput)
    }
    const [b, s] = [throughput.get(baseline) ?? NaN, throughput.get(sync) ?? NaN]
    baselineTotal += b
    syncTotal += s
    ratios.push(s / b)
    progress(
      `  round ${String(round + 1)}: baseline ${Math.round(b).toLocaleString('en-US')}, sync ` +
        `${Math.round(s).toLocaleString('en-US')} req/s (${((s / b) * 100).toFixed(1)} %)`,
    )
  }
  bench.paired = {
    rounds,
    sliceSeconds: sliceMs / 1000,
    ratios,
    median: median(ratios),
    baseline: baselineTotal / rounds,
    sync: syncTotal / rounds,
  }
  bench.notes.push(
    `Paired slices (${String(rounds)} rounds of ${seconds(sliceMs)}, ABBA): sync over baseline per round ` +
      `${ratios.map((r) => `${(r * 100).toFixed(1)} %`).join(', ')}; mean throughput baseline ` +
      `${Math.round(baselineTotal / rounds).toLocaleString('en-US')}, sync ${Math.round(syncTotal / rounds).toLocaleString('en-US')} req/s.`,
  )
}

function checks(bench: Bench): Check[] {
  const { rate, connections } = bench.options
  const baseline = bench.results.get('baseline-saturation')
  const sync = bench.results.get('sync-saturation')
  const fixed = bench.results.get('sync-fixed')
  const phases = baseline !== undefined && sync !== undefined ? sync.throughput / baseline.throughput : null
  // The paired slices when they ran (they share the machine's state); else the two saturation runs.
  const ratio = bench.paired?.median ?? phases
  const soak = bench.soak
  const whole =
    phases === null || baseline === undefined || sync === undefined
      ? ''
      : `${(phases * 100).toFixed(1)} % (${Math.round(sync.throughput).toLocaleString('en-US')} vs ` +
        `${Math.round(baseline.throughput).toLocaleString('en-US')} req/s)`
  return [
    {
      requirement: `sync throughput at ${String(connections)} connections ≥ 35 % of the baseline proxy's`,
      pass: ratio === null ? null : ratio >= 0.35,
      measured:
        ratio === null
          ? 'needs the baseline and sync groups'
          : bench.paired === null
            ? whole
            : `${(bench.paired.median * 100).toFixed(1)} %, the median of ${String(bench.paired.rounds)} paired rounds ` +
              `(the two ${String(bench.options.durationMs / 1000)} s runs above: ${whole})`,
    },
    {
      requirement: `sync at a fixed ${String(rate)} requests/s: p50 ≤ 3 ms and p99 ≤ 15 ms`,
      pass: fixed === undefined ? null : fixed.latency.p50 <= 3 && fixed.latency.p99 <= 15,
      measured:
        fixed === undefined
          ? 'needs the sync group'
          : `p50 ${fixed.latency.p50.toFixed(2)} ms, p99 ${fixed.latency.p99.toFixed(2)} ms` +
            `${fixed.errors > 0 ? `, ${String(fixed.errors)} errors` : ''}${rate === 500 ? '' : ' (the issue asks at 500/s)'}`,
    },
    {
      requirement: `memory flat over a ${String(bench.options.soakMs / 1000)} s run at ${String(rate)}/s`,
      pass: soak === null ? null : soak.flat,
      measured:
        soak === null
          ? 'needs the soak group'
          : `${soak.referenceRss.toFixed(1)} MB after ${String(soak.referenceAtSeconds)} s → ${soak.endRss.toFixed(1)} MB at the end ` +
            `(tolerance ${soak.toleranceMb.toFixed(1)} MB), peak ${soak.peakRss.toFixed(1)} MB, ` +
            `slope ${soak.slopeMbPerMinute.toFixed(2)} MB/min over the second half`,
    },
  ]
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2))
  const bench = new Bench(options)
  const machine = describeMachine()
  const begun = performance.now()
  const loadBefore = os.loadavg()[0] ?? 0
  if (loadBefore > machine.cpus / 2) {
    progress(
      `warning: the 1-minute load average is ${loadBefore.toFixed(2)} on ${String(machine.cpus)} CPUs before the start; ` +
        'other work on this machine will lower and scatter the numbers',
    )
  }
  progress(
    `Toolplane execution benchmark — ${machine.cpu}, ${String(machine.cpus)} CPUs, Node.js ${machine.node}; ` +
      `groups: ${[...options.only].join(', ')}`,
  )

  const upstream = await startBenchChild('upstream', new URL('./upstream.ts', import.meta.url))
  bench.memory.watch('upstream', upstream.process.pid)
  const upstreamOrigin = `http://127.0.0.1:${String(upstream.port)}`
  const needsToolplane = options.only.has('sync') || options.only.has('async') || options.only.has('soak')
  const proxy = options.only.has('baseline')
    ? await startBenchChild('proxy', new URL('./proxy.ts', import.meta.url))
    : null
  if (proxy !== null) bench.memory.watch('proxy', proxy.process.pid)
  const profileDir = options.profile
    ? fs.mkdtempSync(path.join(os.tmpdir(), 'toolplane-bench-profile-'))
    : undefined
  const toolplane = needsToolplane
    ? await startToolplane(profileDir === undefined ? {} : { profileDir })
    : null
  if (toolplane !== null) bench.memory.watch('toolplane', toolplane.process.pid)

  const headers = (key: string) => ({ 'content-type': 'application/json', authorization: `Bearer ${key}` })
  const pools: Pool[] = []
  const pool = (origin: string) => {
    const created = createLoadPool(origin, options.connections)
    pools.push(created)
    return created
  }
  const answered = (status: number) => (statusCode: number, body: string) =>
    statusCode === status && parsed(body) !== null

  try {
    if (options.only.has('direct')) {
      const direct: Subject = {
        label: 'upstream direct',
        memoryName: 'upstream',
        pid: upstream.process.pid,
        pool: pool(upstreamOrigin),
        target: {
          origin: upstreamOrigin,
          request: { method: 'GET', path: '/items/1' },
          check: answered(200),
        },
      }
      await bench.saturation(direct, 'direct-saturation')
      await bench.fixedRate(direct, 'direct-fixed')
    }

    let baselineSubject: Subject | null = null
    if (proxy !== null) {
      const origin = `http://127.0.0.1:${String(proxy.port)}`
      const baseline: Subject = {
        label: 'baseline Node proxy',
        memoryName: 'proxy',
        pid: proxy.process.pid,
        pool: pool(origin),
        target: {
          origin,
          request: {
            method: 'POST',
            path: executionPath,
            headers: headers('tp_not_checked_by_the_proxy'),
            body: executionBody(upstream.port, 'sync'),
          },
          check: answered(200),
        },
      }
      baselineSubject = baseline
      await bench.saturation(baseline, 'baseline-saturation')
      await bench.fixedRate(baseline, 'baseline-fixed')
      bench.notes.push(
        `The baseline proxy answers ${String(bench.results.get('baseline-saturation')?.answerBytes ?? 0)} bytes per request.`,
      )
    }

    if (toolplane !== null) {
      const syncSubject: Subject = {
        label: 'Toolplane sync',
        memoryName: 'toolplane',
        pid: toolplane.process.pid,
        pool: pool(toolplane.origin),
        target: {
          origin: toolplane.origin,
          request: {
            method: 'POST',
            path: executionPath,
            headers: headers(toolplane.apiKey),
            body: executionBody(upstream.port, 'sync'),
          },
          check: (statusCode, body) => statusCode === 200 && parsed(body)?.status === 'succeeded',
        },
      }
      if (options.only.has('sync')) {
        await bench.saturation(syncSubject, 'sync-saturation')
        await bench.fixedRate(syncSubject, 'sync-fixed')
        bench.notes.push(
          `Toolplane answers ${String(bench.results.get('sync-saturation')?.answerBytes ?? 0)} bytes per sync execution.`,
        )
        if (baselineSubject !== null) await runPaired(bench, baselineSubject, syncSubject)
        const cpuOf = (scenario: string) =>
          bench.rows.find((row) => row.scenario === scenario && row.targetRate.endsWith('connections'))
            ?.cpuPerRequestMs ?? NaN
        const [proxyCpu, syncCpu] = [cpuOf('baseline Node proxy'), cpuOf('Toolplane sync')]
        if (Number.isFinite(proxyCpu) && Number.isFinite(syncCpu)) {
          bench.notes.push(
            `CPU per request at saturation: baseline proxy ${proxyCpu.toFixed(3)} ms, Toolplane sync ` +
              `${syncCpu.toFixed(3)} ms (${(syncCpu / proxyCpu).toFixed(2)}×). This ratio hardly moves when ` +
              'other work shares the machine; the throughput ratio does.',
          )
        }
      }

      if (options.only.has('async')) {
        const ids: string[] = []
        const asyncSubject: Subject = {
          label: 'Toolplane async',
          memoryName: 'toolplane',
          pool: pool(toolplane.origin),
          target: {
            origin: toolplane.origin,
            request: {
              method: 'POST',
              path: executionPath,
              headers: headers(toolplane.apiKey),
              body: executionBody(upstream.port, 'async'),
            },
            check: (statusCode, body) => statusCode === 202 && typeof parsed(body)?.id === 'string',
            onSuccess: (body) => {
              const id = parsed(body)?.id
              if (typeof id === 'string') ids.push(id)
            },
          },
        }
        await runAsync(bench, upstream, toolplane, asyncSubject, ids, 'saturation')
        await runAsync(bench, upstream, toolplane, asyncSubject, ids, 'fixed')
      }

      if (options.only.has('soak')) {
        // A server of its own: what the saturation runs before it left for the garbage collector, and
        // the collection that gives it back, belong to those runs, not to two minutes at a steady rate.
        const soakServer = await startToolplane()
        bench.memory.watch('toolplane-soak', soakServer.process.pid)
        try {
          await runSoak(bench, {
            ...syncSubject,
            memoryName: 'toolplane-soak',
            pid: soakServer.process.pid,
            pool: pool(soakServer.origin),
            target: {
              ...syncSubject.target,
              origin: soakServer.origin,
              request: { ...syncSubject.target.request, headers: headers(soakServer.apiKey) },
            },
          })
        } finally {
          await soakServer.stop()
        }
      }

      const hwm = bench.memory.latest('toolplane')?.hwm
      if (hwm !== undefined)
        bench.notes.push(`Toolplane's peak resident memory over the whole run (VmHWM): ${hwm.toFixed(0)} MB.`)
      if (toolplane.logLines() > 0) {
        bench.notes.push(
          `Toolplane wrote ${String(toolplane.logLines())} log lines at level warn or above during the run.`,
        )
        progress(`Toolplane's last log lines:\n${toolplane.log.slice(-10).join('\n')}`)
      }
    }
  } finally {
    await Promise.all(pools.map((p) => p.destroy()))
    await Promise.all([upstream.stop(), proxy?.stop(), toolplane?.stop()])
    bench.memory.stop()
  }

  if (profileDir !== undefined) {
    const written = fs.readdirSync(profileDir).filter((name) => name.endsWith('.cpuprofile'))
    for (const name of written) process.stdout.write(`\n${summarizeProfile(path.join(profileDir, name))}`)
    if (written.length === 0) progress(`Toolplane wrote no CPU profile into ${profileDir}`)
    else progress(`Open the profile in Chrome DevTools (Performance panel) for the call tree.`)
  }

  const loadAfter = os.loadavg()[0] ?? 0
  bench.notes.push(
    `1-minute load average: ${loadBefore.toFixed(2)} before the run, ${loadAfter.toFixed(2)} at its end ` +
      `(the benchmark itself keeps up to ${String(machine.cpus)} CPUs busy; more means other work shared the machine).`,
  )
  const settings =
    `${String(options.connections)} connections at saturation, ${String(options.rate)} requests/s at fixed rate, ` +
    `${String(options.durationMs / 1000)} s per run after ${String(options.warmupMs / 1000)} s of warm-up, ` +
    `${String(options.soakMs / 1000)} s soak; Toolplane embedded on SQLite`
  const table = formatTable(bench.rows)
  const checkList = formatChecks(checks(bench))
  const soak = bench.soak === null ? null : formatSoak(bench.soak)
  const out = (text: string) => process.stdout.write(`${text}\n`)
  out('')
  out(table)
  out('')
  out('Checks from the issue:')
  out(checkList)
  if (soak !== null) {
    out('')
    out(soak)
  }
  if (bench.notes.length > 0) {
    out('')
    for (const note of bench.notes) out(`- ${note}`)
  }
  out('')
  out(`Finished in ${seconds(performance.now() - begun)}.`)

  if (options.write) {
    const file = path.join(repositoryRoot, 'docs/benchmarks.md')
    await writeReport(file, {
      command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
      date: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC',
      revision: gitRevision(repositoryRoot),
      machine,
      settings,
      table,
      checks: checkList,
      soak,
      notes: bench.notes,
    })
    out(`Wrote ${path.relative(process.cwd(), file)}.`)
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
  // Exiting runs the cleanups that kill the children, which would otherwise keep the bench alive.
  process.exit(1)
})
