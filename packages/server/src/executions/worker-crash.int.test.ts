// A worker killed with SIGKILL in the middle of an async execution: once its lease runs out another
// worker runs the job again, and the execution ends with exactly one success — on both databases and
// both queues. The workers are real `toolplane worker` processes.
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { startUpstream } from '@toolplane/sdk/testing'
import type { Upstream } from '@toolplane/sdk/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Dialect } from '../db/database.js'
import { bearer, startTestApp } from '../testing/harness.js'
import type { TestApp } from '../testing/harness.js'
import { testRedisUrl } from '../testing/redis-env.js'

const serverRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const combos: [Dialect, 'database' | 'bullmq'][] = [
  ['sqlite', 'database'],
  ['postgres', 'database'],
  ['sqlite', 'bullmq'],
  ['postgres', 'bullmq'],
]

let upstream: Upstream
/** Paths whose first request hangs until the connection dies (the worker is killed mid-call). */
const seen = new Set<string>()

beforeAll(async () => {
  upstream = await startUpstream(async (request, response) => {
    if (!seen.has(request.url)) {
      seen.add(request.url)
      await new Promise<void>((resolve) => {
        response.on('close', resolve)
      })
      return
    }
    response.writeHead(200, { 'content-type': 'application/json' })
    response.end(JSON.stringify({ ok: true }))
  })
})
afterAll(() => upstream.close())

/**
 * A `toolplane worker` process. The first worker's lease is short, so the test need not wait long for
 * it to lapse after the kill; the second's is longer: on a loaded machine its renewals (every third of
 * the lease) can be late while tsx compiles what the run loads first, and a lapsed lease runs the job
 * once more (at-least-once, as designed), which is not what this test is about.
 */
function startWorker(t: TestApp, cluster: boolean, lease: string): ChildProcess {
  const child = spawn(
    process.execPath,
    ['--conditions=@toolplane/source', '--import', 'tsx', 'src/bin.ts', 'worker'],
    {
      cwd: serverRoot,
      env: {
        PATH: process.env.PATH,
        TOOLPLANE_DATABASE_URL: t.testDatabase.url,
        TOOLPLANE_DATA_DIR: t.testDatabase.dataDir,
        TOOLPLANE_MASTER_KEY: Buffer.alloc(32, 7).toString('base64'),
        TOOLPLANE_ALLOW_PRIVATE_NETWORK: 'true',
        TOOLPLANE_JOB_LEASE: lease,
        TOOLPLANE_LOG_LEVEL: 'warn',
        ...(cluster ? { TOOLPLANE_REDIS_URL: testRedisUrl, TOOLPLANE_REDIS_PREFIX: t.redisPrefix } : {}),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  child.stderr.on('data', (chunk: Buffer) => {
    process.stderr.write(`[worker] ${chunk.toString('utf8')}`)
  })
  return child
}

async function stop(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      resolve()
    })
  })
  child.kill(signal)
  await exited
}

describe.each(combos)('a worker killed mid-run on %s with the %s queue', (dialect, queueKind) => {
  let t: TestApp
  let ws: { id: string; key: string }
  const workers: ChildProcess[] = []

  beforeAll(async () => {
    t = await startTestApp(
      dialect,
      { TOOLPLANE_ALLOW_PRIVATE_NETWORK: 'true' },
      { cluster: queueKind === 'bullmq', runWorker: false },
    )
    ws = await t.workspace('crash')
  })
  afterAll(async () => {
    await Promise.all(workers.map((w) => stop(w, 'SIGTERM')))
    await t.close()
  })

  it('runs the job again after the lease expires and records one success', async () => {
    const target = `${upstream.url}/crash/${dialect}/${queueKind}`
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/executions',
      headers: bearer(ws.key),
      payload: { action: 'http.request', input: { method: 'GET', url: target }, mode: 'async' },
    })
    expect(res.statusCode).toBe(202)
    const id = res.json<{ id: string }>().id

    const first = startWorker(t, queueKind === 'bullmq', '1s')
    workers.push(first)
    const calls = () => upstream.requests.filter((r) => target.endsWith(r.url)).length
    const deadline = Date.now() + 30_000
    while (calls() === 0) {
      if (Date.now() > deadline) throw new Error('the first worker never called the upstream')
      await sleep(50)
    }
    await stop(first, 'SIGKILL')

    const second = startWorker(t, queueKind === 'bullmq', '5s')
    workers.push(second)
    let execution: { status: string; attempts: { status: string }[] } | undefined
    while (Date.now() < deadline + 30_000) {
      execution = (await t.app.inject({ url: `/v1/executions/${id}`, headers: bearer(ws.key) })).json<{
        status: string
        attempts: { status: string }[]
      }>()
      if (execution.status === 'succeeded' || execution.status === 'failed') break
      await sleep(100)
    }
    expect(execution?.status).toBe('succeeded')
    expect(execution?.attempts.filter((a) => a.status === 'succeeded')).toHaveLength(1)
    expect(calls()).toBe(2)
    // Nothing runs it a third time.
    await sleep(1_500)
    expect(calls()).toBe(2)
  }, 90_000)
})
