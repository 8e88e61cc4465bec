// The per-API-key limit under real concurrency: 50 clients sending 2,000 requests never get more
// admitted than the bucket's burst plus its refill over the run — in one process, and with two real
// `toolplane serve` processes sharing PostgreSQL and Redis.
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import net from 'node:net'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { Pool } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase } from '../testing/databases.js'
import type { TestDatabase } from '../testing/databases.js'
import { bearer, startTestApp } from '../testing/harness.js'
import type { TestApp } from '../testing/harness.js'
import { deleteRedisKeys, testRedisUrl } from '../testing/redis-env.js'

const serverRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const perSecond = 20
const burst = 40
const limit = `${String(perSecond)}/s,burst=${String(burst)}`

interface Blast {
  admitted: number
  refused: number
  other: number
  elapsedSeconds: number
  refusal: { headers: Record<string, string | string[] | undefined>; body: string } | null
}

/** `total` GETs of /v1/workspace from `clients` concurrent clients, spread over the origins. */
async function blast(origins: readonly string[], key: string, total = 2_000, clients = 50): Promise<Blast> {
  const pools = origins.map(
    (origin) => new Pool(origin, { connections: Math.ceil(clients / origins.length) }),
  )
  const result: Blast = { admitted: 0, refused: 0, other: 0, elapsedSeconds: 0, refusal: null }
  let sent = 0
  const started = performance.now()
  try {
    await Promise.all(
      Array.from({ length: clients }, async (_, client) => {
        const pool = pools[client % pools.length]
        if (pool === undefined) return
        while (sent < total) {
          sent++
          const answer = await pool.request({ method: 'GET', path: '/v1/workspace', headers: bearer(key) })
          const body = await answer.body.text()
          if (answer.statusCode === 200) result.admitted++
          else if (answer.statusCode === 429) {
            result.refused++
            result.refusal ??= { headers: answer.headers, body }
          } else result.other++
        }
      }),
    )
  } finally {
    result.elapsedSeconds = (performance.now() - started) / 1000
    await Promise.all(pools.map((pool) => pool.close()))
  }
  return result
}

/** The most a token bucket can admit over a run: what it held, plus what flowed in meanwhile. */
function ceiling(elapsedSeconds: number): number {
  return burst + Math.ceil(perSecond * elapsedSeconds)
}

function expectHonestRefusal(run: Blast): void {
  expect(run.other).toBe(0)
  expect(run.admitted + run.refused).toBe(2_000)
  expect(run.admitted).toBeGreaterThanOrEqual(burst)
  expect(run.admitted).toBeLessThanOrEqual(ceiling(run.elapsedSeconds))
  expect(run.refusal).not.toBeNull()
  const refusal = run.refusal
  if (refusal === null) return
  expect(Number(refusal.headers['retry-after'])).toBeGreaterThanOrEqual(1)
  expect(refusal.headers['ratelimit-policy']).toBe(`"api";q=${String(burst)};w=2`)
  expect(refusal.headers.ratelimit).toMatch(/^"api";r=0;t=\d+$/)
  expect(JSON.parse(refusal.body)).toMatchObject({ status: 429, code: 'rate_limited' })
}

describe('the API limit in one process', () => {
  let t: TestApp
  let origin: string
  let ws: { id: string; key: string }

  beforeAll(async () => {
    t = await startTestApp('sqlite', { TOOLPLANE_API_RATE_LIMIT: limit })
    origin = await t.app.listen({ port: 0, host: '127.0.0.1' })
    ws = await t.workspace('limited')
  })
  afterAll(() => t.close())

  it('admits at most burst plus refill to 50 concurrent clients', async () => {
    const run = await blast([origin], ws.key)
    expectHonestRefusal(run)
    const metrics = await t.app.inject({ url: '/metrics' })
    expect(metrics.body).toMatch(/toolplane_rate_limited_total\{scope="api"\} [1-9]/)
  }, 60_000)

  it('tells every admitted caller where it stands', async () => {
    await sleep(2_100)
    const res = await t.app.inject({ url: '/v1/workspace', headers: bearer(ws.key) })
    expect(res.statusCode).toBe(200)
    expect(res.headers['ratelimit-policy']).toBe(`"api";q=${String(burst)};w=2`)
    expect(res.headers.ratelimit).toMatch(new RegExp(`^"api";r=${String(burst - 1)};t=[01]$`))
  })

  it('applies a key’s own limit, and a workspace’s as soon as its admin changes it', async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: '/v1/api-keys',
      headers: bearer(ws.key),
      payload: { name: 'slow', scopes: ['tools:read'], rateLimit: '1/m' },
    })
    expect(created.statusCode).toBe(201)
    const slow = created.json<{ key: string }>().key
    expect((await t.app.inject({ url: '/v1/tools', headers: bearer(slow) })).statusCode).toBe(200)
    const refused = await t.app.inject({ url: '/v1/tools', headers: bearer(slow) })
    expect(refused.statusCode).toBe(429)
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(50)
    // Another key of the workspace is not affected.
    expect((await t.app.inject({ url: '/v1/tools', headers: bearer(ws.key) })).statusCode).toBe(200)

    const other = await t.workspace('tight')
    const patched = await t.app.inject({
      method: 'PATCH',
      url: '/v1/workspace',
      headers: bearer(other.key),
      payload: { apiRateLimit: '2/h' },
    })
    expect(patched.statusCode).toBe(200)
    // The PATCH itself used one token of the default bucket; the new policy starts a fresh count.
    const statuses: number[] = []
    for (let i = 0; i < 3; i++) {
      statuses.push((await t.app.inject({ url: '/v1/workspace', headers: bearer(other.key) })).statusCode)
    }
    expect(statuses).toEqual([200, 200, 429])
  })
})

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => {
        resolve(typeof address === 'object' && address !== null ? address.port : 0)
      })
    })
  })
}

async function waitReady(origin: string, child: ChildProcess, log: string[]): Promise<void> {
  const deadline = Date.now() + 60_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the server exited:\n${log.join('')}`)
    try {
      if ((await fetch(`${origin}/readyz`)).status === 200) return
    } catch {
      // Not listening yet.
    }
    await sleep(100)
  }
  throw new Error(`the server was not ready within 60 s:\n${log.join('')}`)
}

describe('the API limit across two server processes sharing Redis', () => {
  let testDatabase: TestDatabase
  const redisPrefix = `toolplane-test:${randomBytes(6).toString('hex')}:`
  const apiKey = `tp_${randomBytes(24).toString('base64url')}`
  const children: ChildProcess[] = []
  const origins: string[] = []

  async function startServer(): Promise<void> {
    const port = await freePort()
    const log: string[] = []
    const child = spawn(
      process.execPath,
      ['--conditions=@toolplane/source', '--import', 'tsx', 'src/bin.ts', 'serve'],
      {
        cwd: serverRoot,
        env: {
          PATH: process.env.PATH,
          TOOLPLANE_PORT: String(port),
          TOOLPLANE_HOST: '127.0.0.1',
          TOOLPLANE_DATABASE_URL: testDatabase.url,
          TOOLPLANE_DATA_DIR: testDatabase.dataDir,
          TOOLPLANE_REDIS_URL: testRedisUrl,
          TOOLPLANE_REDIS_PREFIX: redisPrefix,
          TOOLPLANE_MASTER_KEY: Buffer.alloc(32, 9).toString('base64'),
          TOOLPLANE_BOOTSTRAP_API_KEY: apiKey,
          TOOLPLANE_API_RATE_LIMIT: limit,
          TOOLPLANE_LOG_LEVEL: 'warn',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    children.push(child)
    for (const stream of [child.stdout, child.stderr]) {
      stream.on('data', (chunk: Buffer) => log.push(chunk.toString('utf8')))
    }
    const origin = `http://127.0.0.1:${String(port)}`
    await waitReady(origin, child, log)
    origins.push(origin)
  }

  beforeAll(async () => {
    testDatabase = await createTestDatabase('postgres')
    // One after the other: the first creates the schema and the bootstrap key.
    await startServer()
    await startServer()
  }, 120_000)
  afterAll(async () => {
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null) {
              resolve()
              return
            }
            child.once('exit', () => {
              resolve()
            })
            child.kill('SIGTERM')
          }),
      ),
    )
    await deleteRedisKeys(redisPrefix)
    await testDatabase.drop()
  }, 60_000)

  it('admits at most burst plus refill in all, whichever node a request reaches', async () => {
    const run = await blast(origins, apiKey)
    expectHonestRefusal(run)
    // A bucket per node would admit about twice the ceiling: passing it proves the nodes share one.
  }, 120_000)
})
