import fs from 'node:fs'
import path from 'node:path'
import { median } from './report.js'

/** One round of an A/B comparison: each side's throughput and CPU per request in its slice. */
export interface AbRound {
  readonly a: { readonly throughput: number; readonly cpuMsPerRequest: number }
  readonly b: { readonly throughput: number; readonly cpuMsPerRequest: number }
}

/** What a comparison found: the medians, and how many rounds B was ahead in. */
export interface AbSummary {
  readonly rounds: number
  /** Median over the rounds of B's throughput over A's, as a fraction (1.05 is B 5 % ahead). */
  readonly medianRatio: number
  readonly bAhead: number
  readonly medianCpuA: number
  readonly medianCpuB: number
}

/**
 * Sums up the rounds of a comparison. A round's ratio is B over A in that round: slices seconds
 * apart see the same machine, and the median ignores a disturbed round.
 *
 * @example
 * summarizeRounds(rounds).medianRatio // 1.064
 */
export function summarizeRounds(rounds: readonly AbRound[]): AbSummary {
  return {
    rounds: rounds.length,
    medianRatio: median(rounds.map((r) => r.b.throughput / r.a.throughput)),
    bAhead: rounds.filter((r) => r.b.throughput > r.a.throughput).length,
    medianCpuA: median(rounds.map((r) => r.a.cpuMsPerRequest)),
    medianCpuB: median(rounds.map((r) => r.b.cpuMsPerRequest)),
  }
}

/**
 * The server to start for a side: `where` is a checkout (its `packages/server/dist/bin.js`) or a
 * `bin.js` itself, relative to `cwd`.
 *
 * @throws Error when there is no built server there.
 * @example
 * serverBinOf('/tmp/main-before') // '/tmp/main-before/packages/server/dist/bin.js'
 */
export function serverBinOf(where: string, cwd = process.cwd()): string {
  const resolved = path.resolve(cwd, where)
  const bin =
    fs.existsSync(resolved) && fs.statSync(resolved).isDirectory()
      ? path.join(resolved, 'packages/server/dist/bin.js')
      : resolved
  if (!fs.existsSync(bin)) {
    throw new Error(`no built server at ${bin}: build that checkout first (npm run build)`)
  }
  return bin
}

/**
 * Environment settings given as `NAME=value`, for one side's server.
 *
 * @throws Error for a setting without a name or without `=`.
 * @example
 * parseEnvSettings(['TOOLPLANE_LOG_LEVEL=info']) // { TOOLPLANE_LOG_LEVEL: 'info' }
 */
export function parseEnvSettings(settings: readonly string[]): Record<string, string> {
  const env: Record<string, string> = {}
  for (const setting of settings) {
    const at = setting.indexOf('=')
    if (at <= 0) throw new Error(`expected NAME=value, got "${setting}"`)
    env[setting.slice(0, at)] = setting.slice(at + 1)
  }
  return env
}
