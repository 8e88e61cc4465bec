import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'

/**
 * The benchmark's child processes — upstream, baseline proxy, Toolplane — and what it watches of
 * them: each runs in its own process so its memory is its own and its CPU is not the load
 * generator's event loop.
 */

/** Messages the bench's own children (upstream, proxy) send over IPC. */
export type ChildMessage = { type: 'listening'; port: number } | { type: 'count'; count: number }

/** Messages the parent sends to the upstream. */
export interface CountQuery {
  type: 'count'
}

const cleanups: (() => void)[] = []

/**
 * Registers a synchronous cleanup (kill a child, remove a temp dir) run once when the bench exits,
 * however it exits: normally, on an uncaught error, or on SIGINT/SIGTERM.
 *
 * @example
 * onExit(() => fs.rmSync(dir, { recursive: true, force: true }))
 */
export function onExit(cleanup: () => void): void {
  cleanups.push(cleanup)
}

function runCleanups(): void {
  for (const cleanup of cleanups.splice(0).reverse()) {
    try {
      cleanup()
    } catch {
      // Cleanup is best effort: one failure must not keep the others from running.
    }
  }
}

process.on('exit', runCleanups)
for (const [signal, number] of [
  ['SIGINT', 2],
  ['SIGTERM', 15],
] as const) {
  process.once(signal, () => {
    process.stderr.write(`\n${signal}: stopping the benchmark\n`)
    runCleanups()
    process.exit(128 + number)
  })
}

/**
 * Kills a child when the bench exits, and returns a function that stops it now (SIGTERM, then
 * SIGKILL after `graceMs`).
 */
export function ownChild(child: ChildProcess, graceMs = 5_000): () => Promise<void> {
  onExit(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  })
  return async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise<void>((resolve) => {
      child.once('exit', () => {
        resolve()
      })
    })
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
    await exited
    clearTimeout(timer)
  }
}

/** A running bench child (upstream or proxy) reachable over IPC. */
export interface BenchChild {
  readonly name: string
  readonly process: ChildProcess
  readonly port: number
  stop(): Promise<void>
}

// Where the children's JavaScript goes: under the root node_modules so that their imports of
// packages (undici) resolve exactly as they do from bench/.
const compiledDir = fileURLToPath(new URL('../node_modules/.cache/toolplane-bench/', import.meta.url))

/**
 * Transpiles one of the bench's TypeScript programs to plain JavaScript, so its process runs
 * without the tsx loader, which alone adds some 40 MB of resident memory and would blur the
 * comparison with Toolplane (which runs from its build).
 */
function compileChild(file: URL): string {
  const source = fs.readFileSync(file, 'utf8')
  const { outputText } = ts.transpileModule(source, {
    compilerOptions: {
      module: ts.ModuleKind.ESNext,
      target: ts.ScriptTarget.ES2023,
      verbatimModuleSyntax: true,
    },
    fileName: fileURLToPath(file),
  })
  fs.mkdirSync(compiledDir, { recursive: true })
  const output = path.join(compiledDir, path.basename(fileURLToPath(file)).replace(/\.ts$/, '.mjs'))
  fs.writeFileSync(output, outputText)
  return output
}

/**
 * Starts one of the bench's own programs (transpiled to JavaScript, run by plain `node`) and waits
 * for it to report the port it listens on.
 *
 * @example
 * const upstream = await startBenchChild('upstream', new URL('./upstream.ts', import.meta.url))
 */
export async function startBenchChild(
  name: string,
  file: URL,
  args: readonly string[] = [],
): Promise<BenchChild> {
  const child = spawn(process.execPath, [compileChild(file), ...args], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const stop = ownChild(child)
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`${name} did not start within 20 s`))
    }, 20_000)
    child.on('message', (message: ChildMessage) => {
      if (message.type === 'listening') {
        clearTimeout(timer)
        resolve(message.port)
      }
    })
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      reject(new Error(`${name} exited during start-up (${signal ?? `code ${String(code)}`})`))
    })
  })
  return { name, process: child, port, stop }
}

/**
 * Asks the upstream how many requests it has answered so far.
 *
 * @example
 * const before = await upstreamCount(upstream)
 */
export function upstreamCount(upstream: BenchChild): Promise<number> {
  return new Promise((resolve, reject) => {
    const listener = (message: ChildMessage) => {
      if (message.type !== 'count') return
      upstream.process.off('message', listener)
      resolve(message.count)
    }
    upstream.process.on('message', listener)
    const query: CountQuery = { type: 'count' }
    upstream.process.send(query, (error) => {
      if (error !== null) {
        upstream.process.off('message', listener)
        reject(error)
      }
    })
  })
}

/** A free TCP port on the loopback interface, for a child that must be told its port. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      server.close(() => {
        resolve(port)
      })
    })
  })
}

/** Resident memory of a process from `/proc/<pid>/status`, in megabytes (MiB). */
export interface MemoryReading {
  /** Current resident set size (VmRSS). */
  readonly rss: number
  /** Peak resident set size since the process started (VmHWM). */
  readonly hwm: number
}

/**
 * Reads a process's current and peak resident memory, or `null` when it is gone (Linux only).
 *
 * @example
 * readMemory(child.pid)?.rss
 */
export function readMemory(pid: number): MemoryReading | null {
  let status: string
  try {
    status = fs.readFileSync(`/proc/${String(pid)}/status`, 'utf8')
  } catch {
    return null
  }
  const kilobytes = (field: string) =>
    Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN)
  return { rss: kilobytes('VmRSS') / 1024, hwm: kilobytes('VmHWM') / 1024 }
}

/**
 * CPU time a process has used so far (user + system, from `/proc/<pid>/stat`), in milliseconds, or
 * `null` when it is gone (Linux only). Unlike throughput, CPU per request hardly changes when other
 * work shares the machine.
 *
 * @example
 * const before = readCpuMs(child.pid)
 */
export function readCpuMs(pid: number): number | null {
  let stat: string
  try {
    stat = fs.readFileSync(`/proc/${String(pid)}/stat`, 'utf8')
  } catch {
    return null
  }
  // Fields after the command name (which may hold spaces, inside parentheses): utime and stime are the
  // 14th and 15th fields, in clock ticks (100 per second on Linux).
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  const ticks = Number(fields[11]) + Number(fields[12])
  return Number.isFinite(ticks) ? ticks * 10 : null
}

interface MemorySample {
  readonly at: number
  readonly rss: number
  readonly hwm: number
}

/**
 * Samples the memory of named processes on an interval (default 250 ms) and answers questions
 * about a time window.
 *
 * @example
 * const memory = new MemorySampler()
 * memory.watch('toolplane', pid)
 * memory.peak('toolplane', start, end)
 */
export class MemorySampler {
  private readonly pids = new Map<string, number>()
  private readonly samples = new Map<string, MemorySample[]>()
  private readonly timer: NodeJS.Timeout

  constructor(intervalMs = 250) {
    this.timer = setInterval(() => {
      this.sample()
    }, intervalMs)
    this.timer.unref()
  }

  watch(name: string, pid: number | undefined): void {
    if (pid === undefined) return
    this.pids.set(name, pid)
    this.samples.set(name, [])
    this.sample()
  }

  sample(): void {
    const at = performance.now()
    for (const [name, pid] of this.pids) {
      const reading = readMemory(pid)
      if (reading !== null) this.samples.get(name)?.push({ at, ...reading })
    }
  }

  /** Samples of `name` taken between `from` and `to` (`performance.now()` times). */
  between(name: string, from: number, to: number): MemorySample[] {
    return (this.samples.get(name) ?? []).filter((s) => s.at >= from && s.at <= to)
  }

  /** Highest resident memory of `name` seen between `from` and `to`, in MiB. */
  peak(name: string, from: number, to: number): number {
    const window = this.between(name, from, to)
    return window.length === 0 ? Number.NaN : Math.max(...window.map((s) => s.rss))
  }

  /** The latest reading of `name`. */
  latest(name: string): MemoryReading | null {
    const pid = this.pids.get(name)
    return pid === undefined ? null : readMemory(pid)
  }

  stop(): void {
    clearInterval(this.timer)
  }
}
