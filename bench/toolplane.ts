import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { freePort, onExit, ownChild } from './processes.js'

/** A Toolplane server in embedded mode (SQLite in a fresh temp dir), run from the built CLI. */
export interface ToolplaneServer {
  readonly process: ChildProcess
  readonly origin: string
  readonly apiKey: string
  readonly dataDir: string
  /** Log lines the server wrote (stdout and stderr), most recent last, at most 200. */
  readonly log: readonly string[]
  /** How many log lines the server wrote in all. */
  logLines(): number
  stop(): Promise<void>
}

/**
 * The Node.js flags `npm start` runs the server with (package.json): a young generation large enough
 * for a burst of requests in flight, so fewer of their objects survive into the old one (fewer
 * scavenges, fewer promotions; see docs/operations.md).
 */
export const serverNodeFlags = ['--max-semi-space-size=32']

export const repositoryRoot = fileURLToPath(new URL('..', import.meta.url))
export const serverBin = path.join(repositoryRoot, 'packages/server/dist/bin.js')

/**
 * Starts `toolplane serve` on a free loopback port with a fresh data dir, a random master key and
 * a bootstrap admin API key, and waits until `/readyz` answers 200. With `profileDir`, the server
 * writes a V8 CPU profile there when it stops.
 *
 * The per-key API rate limit is raised far above what the benchmark sends, so the benchmark
 * measures executions rather than the limiter's refusals (the limiter still runs on every request).
 *
 * @example
 * const toolplane = await startToolplane()
 */
export async function startToolplane(
  options: {
    profileDir?: string
    /** Another build's `bin.js` (bench/ab.ts compares two); this checkout's by default. */
    bin?: string
    /** More environment for the server, over the benchmark's own settings. */
    env?: Readonly<Record<string, string>>
  } = {},
): Promise<ToolplaneServer> {
  const bin = options.bin ?? serverBin
  if (!fs.existsSync(bin)) {
    throw new Error(`${bin} does not exist: run \`npm run build\` first (\`npm run bench\` does)`)
  }
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'toolplane-bench-'))
  onExit(() => {
    fs.rmSync(dataDir, { recursive: true, force: true })
  })
  const port = await freePort()
  const apiKey = `tp_bench_${randomBytes(24).toString('base64url')}`
  // A CPU profile is written when the process exits, which `serve` does on SIGTERM.
  const profiling =
    options.profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${options.profileDir}`]
  const child = spawn(process.execPath, [...profiling, ...serverNodeFlags, bin, 'serve'], {
    cwd: dataDir,
    env: {
      PATH: process.env.PATH ?? '',
      TOOLPLANE_PORT: String(port),
      TOOLPLANE_HOST: '127.0.0.1',
      TOOLPLANE_DATA_DIR: dataDir,
      TOOLPLANE_MASTER_KEY: randomBytes(32).toString('base64'),
      TOOLPLANE_BOOTSTRAP_API_KEY: apiKey,
      TOOLPLANE_ALLOW_PRIVATE_NETWORK: 'true',
      TOOLPLANE_API_RATE_LIMIT: '1000000/s,burst=1000000',
      TOOLPLANE_LOG_LEVEL: 'warn',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const stop = ownChild(child, 10_000)

  const log: string[] = []
  let lines = 0
  for (const stream of [child.stdout, child.stderr]) {
    let partial = ''
    stream.setEncoding('utf8')
    stream.on('data', (chunk: string) => {
      const parts = (partial + chunk).split('\n')
      partial = parts.pop() ?? ''
      for (const line of parts) {
        if (line.trim() === '') continue
        lines++
        log.push(line)
        if (log.length > 200) log.shift()
      }
    })
  }

  const origin = `http://127.0.0.1:${String(port)}`
  const exited = new Promise<never>((_, reject) => {
    child.once('exit', (code, signal) => {
      reject(
        new Error(
          `Toolplane exited during start-up (${signal ?? `code ${String(code)}`}):\n${log.slice(-20).join('\n')}`,
        ),
      )
    })
  })
  // Keep a start-up failure from becoming an unhandled rejection after start-up succeeded.
  exited.catch(() => undefined)
  await Promise.race([waitForReady(origin, 60_000), exited])
  return { process: child, origin, apiKey, dataDir, log, logLines: () => lines, stop }
}

async function waitForReady(origin: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let last = 'no answer'
  while (Date.now() < deadline) {
    try {
      const answer = await fetch(`${origin}/readyz`)
      if (answer.status === 200) return
      last = `HTTP ${String(answer.status)}: ${(await answer.text()).slice(0, 300)}`
    } catch (error) {
      last = error instanceof Error ? error.message : String(error)
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`Toolplane was not ready within ${String(timeoutMs / 1000)} s: ${last}`)
}
