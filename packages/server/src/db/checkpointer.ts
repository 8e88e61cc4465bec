import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'

// Runs in a worker thread, with its own connection to the same file: a PASSIVE checkpoint copies
// committed pages from the WAL into the database without blocking writers, so the main thread never
// stalls on it.
const source = `
const { parentPort, workerData } = require('node:worker_threads')
const Database = require(workerData.module)
const db = new Database(workerData.path)
db.pragma('busy_timeout = 5000')
const timer = setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)')
  } catch (error) {
    parentPort.postMessage({ error: String((error && error.message) || error) })
  }
}, workerData.intervalMs)
parentPort.on('message', (message) => {
  if (message !== 'stop') return
  clearInterval(timer)
  try { db.close() } catch {}
  parentPort.close()
})
`

/**
 * How often the background checkpoint runs: often enough that the write thread's own checkpoint (at
 * `autocheckpointPages`) finds little left to copy.
 */
export const checkpointIntervalMs = 250

export interface Checkpointer {
  stop(): Promise<void>
}

/**
 * Moves SQLite's WAL checkpoints off the main thread. By default the connection that commits the
 * transaction that fills the WAL to 1,000 pages copies them into the database there and then, with an
 * fsync, stalling every request for milliseconds (the benchmark's p99). With this running, the main
 * connection's automatic checkpoint is turned off; should the worker fail, it is turned back on.
 *
 * @example
 * const checkpointer = startCheckpointer(sqlite, '/data/toolplane.db')
 * await checkpointer.stop()
 */
export function startCheckpointer(
  main: { pragma(source: string): unknown },
  file: string,
  onError: (message: string) => void = () => undefined,
): Checkpointer {
  const require = createRequire(import.meta.url)
  const worker = new Worker(source, {
    eval: true,
    workerData: { module: require.resolve('better-sqlite3'), path: file, intervalMs: checkpointIntervalMs },
  })
  worker.unref()
  main.pragma('wal_autocheckpoint = 0')
  let stopping = false
  const fallBack = () => {
    if (!stopping) main.pragma('wal_autocheckpoint = 1000')
  }
  worker.on('message', (message: { error?: string }) => {
    if (message.error !== undefined) onError(message.error)
  })
  worker.on('error', (error) => {
    onError(error.message)
    fallBack()
  })
  const exited = new Promise<void>((resolve) => {
    worker.once('exit', () => {
      fallBack()
      resolve()
    })
  })
  return {
    async stop() {
      stopping = true
      worker.postMessage('stop')
      const timer = setTimeout(() => void worker.terminate(), 2_000)
      await exited
      clearTimeout(timer)
      main.pragma('wal_autocheckpoint = 1000')
    },
  }
}
