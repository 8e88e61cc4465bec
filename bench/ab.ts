// Two Toolplane builds (or one build under two settings) side by side: which one does more sync
// executions a second on this machine, and by how much. See bench/README.md.
import { parseArgs } from 'node:util'
import type { LoadTarget } from './load.js'
import { createLoadPool, runClosedLoop } from './load.js'
import { readCpuMs, startBenchChild } from './processes.js'
import type { AbRound } from './ab-rounds.js'
import { parseEnvSettings, serverBinOf, summarizeRounds } from './ab-rounds.js'
import { describeMachine } from './report.js'
import type { ToolplaneServer } from './toolplane.js'
import { repositoryRoot, startToolplane } from './toolplane.js'

const usage = `Usage: node --expose-gc --import tsx bench/ab.ts [options]

Starts one local upstream and two Toolplane servers, A and B, each on its own SQLite data dir, and
lets them take turns at saturation (sync http.request executions) in ABBA order. Prints each round
and the median of B's throughput over A's, with each side's CPU per execution.

  --a=<path>        A's build: a checkout with packages/server built, or its dist/bin.js (default: this checkout)
  --b=<path>        B's build, likewise (default: this checkout)
  --a-env=NAME=val  an environment setting for A's server (repeatable); --b-env likewise
  --rounds=<n>      rounds of one slice each (10)
  --slice=<s>       seconds per slice (3)
  --warmup=<s>      seconds of warm-up per server before the rounds (3)
  --connections=<n> concurrent connections (50)

Run it once with A and B the same build first: the spread of that A/A run is this machine's noise.
`

interface Options {
  readonly a: { readonly bin: string; readonly env: Record<string, string> }
  readonly b: { readonly bin: string; readonly env: Record<string, string> }
  readonly rounds: number
  readonly sliceMs: number
  readonly warmupMs: number
  readonly connections: number
}

function parseOptions(argv: readonly string[]): Options {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      a: { type: 'string', default: repositoryRoot },
      b: { type: 'string', default: repositoryRoot },
      'a-env': { type: 'string', multiple: true, default: [] },
      'b-env': { type: 'string', multiple: true, default: [] },
      rounds: { type: 'string', default: '10' },
      slice: { type: 'string', default: '3' },
      warmup: { type: 'string', default: '3' },
      connections: { type: 'string', default: '50' },
      help: { type: 'boolean', default: false },
    },
  })
  if (values.help) {
    process.stdout.write(usage)
    process.exit(0)
  }
  const positive = (name: string, text: string) => {
    const value = Number(text)
    if (!Number.isFinite(value) || value <= 0)
      throw new Error(`--${name}: expected a positive number, got "${text}"`)
    return value
  }
  return {
    a: { bin: serverBinOf(values.a), env: parseEnvSettings(values['a-env']) },
    b: { bin: serverBinOf(values.b), env: parseEnvSettings(values['b-env']) },
    rounds: Math.round(positive('rounds', values.rounds)),
    sliceMs: positive('slice', values.slice) * 1000,
    warmupMs: positive('warmup', values.warmup) * 1000,
    connections: Math.round(positive('connections', values.connections)),
  }
}

const progress = (line: string) => {
  process.stdout.write(`${line}\n`)
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2))
  const machine = describeMachine()
  progress(`A/B on ${machine.cpu}, ${String(machine.cpus)} CPUs, Node.js ${process.version}`)
  progress(`  A: ${options.a.bin} ${JSON.stringify(options.a.env)}`)
  progress(`  B: ${options.b.bin} ${JSON.stringify(options.b.env)}`)
  const upstream = await startBenchChild('upstream', new URL('./upstream.ts', import.meta.url))
  const servers: ToolplaneServer[] = []
  try {
    const a = await startToolplane({ bin: options.a.bin, env: options.a.env })
    servers.push(a)
    const b = await startToolplane({ bin: options.b.bin, env: options.b.env })
    servers.push(b)
    const body = JSON.stringify({
      action: 'http.request',
      input: { method: 'GET', url: `http://127.0.0.1:${String(upstream.port)}/items/1` },
      mode: 'sync',
    })
    const side = (server: ToolplaneServer) => {
      const target: LoadTarget = {
        origin: server.origin,
        request: {
          method: 'POST',
          path: '/v1/executions',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${server.apiKey}` },
          body,
        },
        check: (statusCode) => statusCode === 200,
      }
      return { server, target, pool: createLoadPool(server.origin, options.connections) }
    }
    const sides = { a: side(a), b: side(b) }
    const slice = async (which: 'a' | 'b', durationMs: number) => {
      const { server, target, pool } = sides[which]
      ;(globalThis as { gc?: () => void }).gc?.()
      const pid = server.process.pid ?? 0
      const cpuBefore = readCpuMs(pid) ?? NaN
      const result = await runClosedLoop(pool, target, { connections: options.connections, durationMs })
      const cpuMs = (readCpuMs(pid) ?? NaN) - cpuBefore
      if (result.errors > 0) progress(`  ${which.toUpperCase()}: ${String(result.errors)} errors`)
      const answered = (result.throughput * durationMs) / 1000
      return { throughput: result.throughput, cpuMsPerRequest: cpuMs / answered }
    }
    await slice('a', options.warmupMs)
    await slice('b', options.warmupMs)
    const rounds: AbRound[] = []
    for (let round = 0; round < options.rounds; round++) {
      const order: ('a' | 'b')[] = round % 2 === 0 ? ['a', 'b'] : ['b', 'a']
      const measured: Partial<Record<'a' | 'b', AbRound['a']>> = {}
      for (const which of order) measured[which] = await slice(which, options.sliceMs)
      const { a: inA, b: inB } = measured
      if (inA === undefined || inB === undefined) throw new Error('unreachable')
      rounds.push({ a: inA, b: inB })
      progress(
        `  round ${String(round + 1)}: A ${Math.round(inA.throughput).toLocaleString('en-US')} req/s ` +
          `(${inA.cpuMsPerRequest.toFixed(3)} ms CPU), B ${Math.round(inB.throughput).toLocaleString('en-US')} ` +
          `req/s (${inB.cpuMsPerRequest.toFixed(3)} ms CPU): B/A ${((100 * inB.throughput) / inA.throughput).toFixed(1)} %`,
      )
    }
    const summary = summarizeRounds(rounds)
    progress(
      `B/A throughput: median ${(100 * summary.medianRatio).toFixed(1)} % over ${String(summary.rounds)} rounds ` +
        `(B ahead in ${String(summary.bAhead)}); CPU per execution, medians: A ${summary.medianCpuA.toFixed(3)} ms, ` +
        `B ${summary.medianCpuB.toFixed(3)} ms`,
    )
    await Promise.all([sides.a.pool.close(), sides.b.pool.close()])
  } finally {
    for (const server of servers) await server.stop()
    await upstream.stop()
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
  process.exit(1)
})
