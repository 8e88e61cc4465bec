// The job queue contract, run against the database queue on SQLite and on PostgreSQL and against
// BullMQ on Redis, ending with a real worker process killed mid-job; then what only the database
// queue shows: a dead worker's row, and wake-ups that do not wait for the poll. (The contract lives
// here rather than in a shared module because the build ships every non-test file under src/
// except src/testing.)
import { spawn } from 'node:child_process'
import type { ChildProcessWithoutNullStreams } from 'node:child_process'
import { randomInt, randomUUID } from 'node:crypto'
import { once } from 'node:events'
import readline from 'node:readline'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { DatabaseConfig } from '../config.js'
import { openDatabase } from '../db/database.js'
import type { Database } from '../db/database.js'
import { migrateUp } from '../db/migrator.js'
import { createTestDatabase, dialects } from '../testing/databases.js'
import type { TestDatabase } from '../testing/databases.js'
import { createTestRedis, testRedisUrl } from '../testing/redis-env.js'
import { RescheduleJob } from './queue.js'
import type { Job, JobQueue, QueueErrorContext, QueueErrorReporter } from './queue.js'
import { createBullmqQueue } from './queue-bullmq.js'
import { createDatabaseQueue } from './queue-database.js'

/** How a queue is built, for the test process and for a child process alike. */
type QueueSetting =
  | { readonly kind: 'database'; readonly database: DatabaseConfig }
  | { readonly kind: 'bullmq'; readonly redisUrl: string; readonly prefix: string }

interface Fixture {
  readonly setting: QueueSetting
  /** A new queue instance, standing for one node. */
  create(options: { leaseMs?: number; onError: QueueErrorReporter }): JobQueue
  teardown(): Promise<void>
}

interface ReportedError {
  readonly error: unknown
  readonly context: QueueErrorContext
}

const none = { waiting: 0, delayed: 0, active: 0 }

/** A queue name of its own for each test, so no test sees another's jobs. */
const freshQueue = () => `test-${randomUUID()}`

async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline)
      throw new Error(`Still not true after ${String(timeoutMs)} ms: ${check.toString()}`)
    await sleep(10)
  }
}

/** Resolves when `signal` aborts (at once if it has). */
const aborted = (signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) resolve()
    signal.addEventListener('abort', () => {
      resolve()
    })
  })

/** No job of `name` waits or runs (delayed ones may remain). */
async function idle(queue: JobQueue, name: string): Promise<boolean> {
  const counts = await queue.counts(name)
  return counts.waiting === 0 && counts.active === 0
}

function deferred<T = void>() {
  let resolve!: (value: T) => void
  const promise = new Promise<T>((done) => {
    resolve = done
  })
  return { promise, resolve }
}

// The child: builds the queue the same way, claims a job with a 1-s lease and never finishes it.
const childScript = `
const [setting, queueName, modules] = JSON.parse(process.argv[1])
const onError = () => {}
let queue
if (setting.kind === 'database') {
  const { openDatabase } = await import(modules.database)
  const { createDatabaseQueue } = await import(modules.queueDatabase)
  queue = createDatabaseQueue({ database: openDatabase(setting.database), leaseMs: 1000, pollMs: 50, onError })
} else {
  const { createBullmqQueue } = await import(modules.queueBullmq)
  queue = createBullmqQueue({ redisUrl: setting.redisUrl, prefix: setting.prefix, leaseMs: 1000, onError })
}
queue.work(queueName, (job) => {
  process.stdout.write('claimed ' + job.id + '\\n')
  return new Promise(() => {})
}, { concurrency: 1 })
process.stdout.write('ready\\n')
`

const moduleUrl = (relative: string) => new URL(relative, import.meta.url).href

/** A worker in a process of its own, which the test can kill like a crashed node. */
function spawnWorker(setting: QueueSetting, queue: string) {
  const modules = {
    database: moduleUrl('../db/database.ts'),
    queueDatabase: moduleUrl('./queue-database.ts'),
    queueBullmq: moduleUrl('./queue-bullmq.ts'),
  }
  const child: ChildProcessWithoutNullStreams = spawn(
    process.execPath,
    [
      '--conditions=@toolplane/source',
      '--import',
      'tsx',
      '--input-type=module',
      '-e',
      childScript,
      JSON.stringify([setting, queue, modules]),
    ],
    { stdio: 'pipe' },
  )
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
  })
  const lines = readline.createInterface({ input: child.stdout })[Symbol.asyncIterator]()
  return {
    child,
    async nextLine(): Promise<string> {
      const line = await lines.next()
      if (line.done === true) throw new Error(`The worker process ended early: ${stderr}`)
      return line.value
    },
  }
}

function describeQueueContract(name: string, setUp: () => Promise<Fixture>) {
  describe(name, () => {
    let fixture: Fixture
    let errors: ReportedError[] = []
    const opened: JobQueue[] = []

    /** A queue instance closed after the test; its errors land in `errors`. */
    function open(options: { leaseMs?: number } = {}): JobQueue {
      const queue = fixture.create({
        ...options,
        onError: (error, context) => {
          errors.push({ error, context })
        },
      })
      opened.push(queue)
      return queue
    }

    beforeAll(async () => {
      fixture = await setUp()
    })
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((queue) => queue.close({ graceMs: 0 })))
      errors = []
    })
    afterAll(async () => {
      await fixture.teardown()
    })

    it('runs a job once, with its data through JSON and attempt 1', async () => {
      const queue = open()
      const name = freshQueue()
      const runs: Job[] = []
      queue.work(
        name,
        (job) => {
          runs.push(job)
          return Promise.resolve()
        },
        { concurrency: 1 },
      )
      await queue.enqueue(name, { greeting: 'hello', at: new Date(0) })
      await eventually(() => runs.length === 1)
      await eventually(() => idle(queue, name))
      await sleep(200)
      expect(runs).toEqual([
        {
          id: expect.any(String) as unknown,
          queue: name,
          data: { greeting: 'hello', at: '1970-01-01T00:00:00.000Z' },
          attempt: 1,
        },
      ])
      expect(errors).toEqual([])
    })

    it("keeps the caller's job id, whatever its characters", async () => {
      const queue = open()
      const name = freshQueue()
      const seen: string[] = []
      queue.work(
        name,
        (job) => {
          seen.push(job.id)
          return Promise.resolve()
        },
        { concurrency: 1 },
      )
      const ids = [`delivery:${randomUUID()}`, String(randomInt(1, 2 ** 40)), `#%${randomUUID()} é`]
      for (const id of ids) await queue.enqueue(name, {}, { id })
      await eventually(() => seen.length === ids.length)
      expect(seen.sort()).toEqual([...ids].sort())
    })

    it('refuses data that JSON cannot carry, a negative delay and a name BullMQ cannot take', async () => {
      const queue = open()
      await expect(queue.enqueue(freshQueue(), undefined)).rejects.toThrow(/JSON/)
      await expect(queue.enqueue(freshQueue(), {}, { delayMs: -1 })).rejects.toThrow(/delayMs/)
      await expect(queue.enqueue('webhooks:deliveries', {})).rejects.toThrow(/queue name/)
      expect(() => {
        queue.work(freshQueue(), () => Promise.resolve(), { concurrency: 0 })
      }).toThrow(/concurrency/)
    })

    it('never runs more jobs at once than the concurrency', async () => {
      const queue = open()
      const name = freshQueue()
      for (let n = 0; n < 6; n += 1) await queue.enqueue(name, { n })
      let inside = 0
      let most = 0
      const done: number[] = []
      queue.work<{ n: number }>(
        name,
        async (job) => {
          inside += 1
          most = Math.max(most, inside)
          await sleep(80)
          inside -= 1
          done.push(job.data.n)
        },
        { concurrency: 2 },
      )
      await eventually(() => done.length === 6)
      expect(most).toBe(2)
      expect(done.sort()).toEqual([0, 1, 2, 3, 4, 5])
    })

    it('runs each job once when two nodes work the same queue', async () => {
      const name = freshQueue()
      const runs: number[] = []
      for (const queue of [open(), open()]) {
        queue.work<{ n: number }>(
          name,
          async (job) => {
            runs.push(job.data.n)
            await sleep(5)
          },
          { concurrency: 4 },
        )
      }
      const producer = open()
      await Promise.all(Array.from({ length: 30 }, (_, n) => producer.enqueue(name, { n })))
      await eventually(() => runs.length >= 30)
      await sleep(300)
      expect(runs.sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, n) => n))
    })

    it('does not run a delayed job before its time', async () => {
      const queue = open()
      const name = freshQueue()
      const order: string[] = []
      queue.work<{ name: string }>(
        name,
        (job) => {
          order.push(job.data.name)
          return Promise.resolve()
        },
        { concurrency: 2 },
      )
      await queue.enqueue(name, { name: 'later' }, { delayMs: 300 })
      await queue.enqueue(name, { name: 'now' })
      await eventually(() => order.length === 2)
      expect(order).toEqual(['now', 'later'])
    })

    it('ignores an id that is still queued, and takes it again once its job is done', async () => {
      const queue = open()
      const name = freshQueue()
      const id = `job:${randomUUID()}`
      await queue.enqueue(name, { version: 1 }, { id, delayMs: 200 })
      await queue.enqueue(name, { version: 2 }, { id })
      expect(await queue.counts(name)).toEqual({ waiting: 0, delayed: 1, active: 0 })
      const runs: unknown[] = []
      queue.work(
        name,
        (job) => {
          runs.push(job.data)
          return Promise.resolve()
        },
        { concurrency: 1 },
      )
      await eventually(() => runs.length === 1)
      await eventually(() => idle(queue, name))
      await queue.enqueue(name, { version: 3 }, { id })
      await eventually(() => runs.length === 2)
      expect(runs).toEqual([{ version: 1 }, { version: 3 }])
    })

    it('runs a rescheduled job again later, with its new data', async () => {
      const queue = open()
      const name = freshQueue()
      const runs: { data: unknown; attempt: number; at: number }[] = []
      queue.work<{ step: number }>(
        name,
        (job) => {
          runs.push({ data: job.data, attempt: job.attempt, at: Date.now() })
          if (job.data.step === 1) throw new RescheduleJob(250, { step: 2 })
          return Promise.resolve()
        },
        { concurrency: 1 },
      )
      await queue.enqueue(name, { step: 1 })
      await eventually(() => runs.length === 2)
      expect(runs.map(({ data, attempt }) => ({ data, attempt }))).toEqual([
        { data: { step: 1 }, attempt: 1 },
        { data: { step: 2 }, attempt: 2 },
      ])
      expect(errors).toEqual([])
    })

    it('reports a failing handler and runs its job again', async () => {
      const queue = open()
      const name = freshQueue()
      const failure = new Error('upstream down')
      const runs: Job[] = []
      queue.work(
        name,
        (job) => {
          runs.push(job)
          return job.attempt === 1 ? Promise.reject(failure) : Promise.resolve()
        },
        { concurrency: 1 },
      )
      await queue.enqueue(name, { n: 1 }, { id: `flaky:${randomUUID()}` })
      await eventually(() => runs.length === 2)
      expect(runs.map((job) => [job.data, job.attempt])).toEqual([
        [{ n: 1 }, 1],
        [{ n: 1 }, 2],
      ])
      expect(errors).toEqual([
        { error: failure, context: { queue: name, jobId: runs[0]?.id, during: 'handler' } },
      ])
      await eventually(() => idle(queue, name))
      expect(await queue.counts(name)).toEqual(none)
    })

    it('counts waiting, delayed and active jobs', async () => {
      const queue = open()
      const name = freshQueue()
      const started = deferred()
      const release = deferred()
      queue.work(
        name,
        async (_job, { signal }) => {
          started.resolve()
          await Promise.race([release.promise, aborted(signal)])
        },
        { concurrency: 1 },
      )
      await queue.enqueue(name, { n: 1 })
      await started.promise
      await queue.enqueue(name, { n: 2 })
      await queue.enqueue(name, { n: 3 })
      await queue.enqueue(name, { n: 4 }, { delayMs: 60_000 })
      expect(await queue.counts(name)).toEqual({ waiting: 2, delayed: 1, active: 1 })
      release.resolve()
      await eventually(() => idle(queue, name))
      expect(await queue.counts(name)).toEqual({ waiting: 0, delayed: 1, active: 0 })
      await expect(queue.ping()).resolves.toBeUndefined()
    })

    it('lets a running job finish when it closes within the grace period', async () => {
      const queue = open()
      const name = freshQueue()
      const started = deferred()
      let finished = false
      queue.work(
        name,
        async (_job, { signal }) => {
          started.resolve()
          await sleep(300)
          finished = !signal.aborted
        },
        { concurrency: 1 },
      )
      await queue.enqueue(name, {})
      await started.promise
      await queue.close({ graceMs: 10_000 })
      expect(finished).toBe(true)
      expect(await open().counts(name)).toEqual(none)
      await expect(queue.enqueue(name, {})).rejects.toThrow(/closed/)
      expect(() => {
        queue.work(freshQueue(), () => Promise.resolve(), { concurrency: 1 })
      }).toThrow(/closed/)
      await expect(queue.close()).resolves.toBeUndefined()
    })

    it('past the grace period aborts the handler and hands the job to another node at once', async () => {
      const first = open()
      const name = freshQueue()
      const started = deferred<Job>()
      let sawAbort = false
      first.work(
        name,
        async (job, { signal }) => {
          started.resolve(job)
          await aborted(signal)
          sawAbort = true
          // Returning instead of throwing must not complete the job either.
        },
        { concurrency: 1 },
      )
      await first.enqueue(name, { n: 7 })
      const job = await started.promise
      await first.close({ graceMs: 100 })
      expect(sawAbort).toBe(true)

      // The lease is the default 30 s: only a hand-back lets the second node run it this soon.
      const second = open()
      const runs: Job[] = []
      second.work(
        name,
        (again) => {
          runs.push(again)
          return Promise.resolve()
        },
        { concurrency: 1 },
      )
      await eventually(() => runs.length === 1)
      expect(runs).toEqual([{ id: job.id, queue: name, data: { n: 7 }, attempt: 2 }])
    })

    it('runs the job of a killed worker process again, exactly once', async () => {
      const name = freshQueue()
      const worker = spawnWorker(fixture.setting, name)
      try {
        expect(await worker.nextLine()).toBe('ready')
        const queue = open({ leaseMs: 1_000 })
        const id = `crash:${randomUUID()}`
        await queue.enqueue(name, { n: 1 }, { id })
        expect(await worker.nextLine()).toBe(`claimed ${id}`)
        worker.child.kill('SIGKILL')
        await once(worker.child, 'exit')

        const runs: Job[] = []
        queue.work(
          name,
          (job) => {
            runs.push(job)
            return Promise.resolve()
          },
          { concurrency: 1 },
        )
        await eventually(() => runs.length === 1)
        await eventually(() => idle(queue, name))
        // Longer than a lease: nothing runs it a third time.
        await sleep(1_200)
        expect(runs).toEqual([{ id, queue: name, data: { n: 1 }, attempt: 2 }])
        expect(await queue.counts(name)).toEqual(none)
      } finally {
        if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill('SIGKILL')
      }
    })
  })
}

async function databaseFixture(dialect: 'sqlite' | 'postgres') {
  const testDatabase: TestDatabase = await createTestDatabase(dialect)
  const database: Database = openDatabase(testDatabase.config)
  await migrateUp(database.db)
  return {
    testDatabase,
    database,
    fixture: {
      setting: { kind: 'database', database: testDatabase.config },
      create: ({ leaseMs, onError }) => createDatabaseQueue({ database, leaseMs, pollMs: 50, onError }),
      async teardown() {
        await database.close()
        await testDatabase.drop()
      },
    } satisfies Fixture,
  }
}

for (const dialect of dialects) {
  describeQueueContract(`database queue on ${dialect}`, async () => (await databaseFixture(dialect)).fixture)
}

describeQueueContract('BullMQ queue', () => {
  const testRedis = createTestRedis()
  return Promise.resolve({
    setting: { kind: 'bullmq', redisUrl: testRedisUrl, prefix: testRedis.prefix },
    create: ({ leaseMs, onError }) =>
      createBullmqQueue({ redisUrl: testRedisUrl, prefix: testRedis.prefix, leaseMs, onError }),
    teardown: () => testRedis.cleanup(),
  } satisfies Fixture)
})

describe.each(dialects)('database queue on %s, beyond the contract', (dialect) => {
  let database: Database
  let teardown: () => Promise<void>
  const opened: JobQueue[] = []
  const onError = () => {}

  beforeAll(async () => {
    const made = await databaseFixture(dialect)
    database = made.database
    teardown = () => made.fixture.teardown()
  })
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((queue) => queue.close({ graceMs: 0 })))
  })
  afterAll(() => teardown())

  function open(options: { pollMs?: number } = {}): JobQueue {
    const queue = createDatabaseQueue({ database, pollMs: options.pollMs ?? 50, onError })
    opened.push(queue)
    return queue
  }

  it('claims the job of a dead worker once its lease has passed, and not before', async () => {
    const name = freshQueue()
    const leaseUntil = Date.now() + 400
    await database.db
      .insertInto('jobs')
      .values({
        id: randomUUID(),
        queue: name,
        data: JSON.stringify({ n: 1 }),
        run_at: Date.now() - 1_000,
        attempts: 1,
        lease_owner: 'a-node-that-died#1',
        lease_until: leaseUntil,
        created_at: Date.now() - 1_000,
      })
      .execute()
    const queue = open()
    expect(await queue.counts(name)).toEqual({ waiting: 0, delayed: 0, active: 1 })
    const runs: { attempt: number; at: number }[] = []
    queue.work(
      name,
      (job) => {
        runs.push({ attempt: job.attempt, at: Date.now() })
        return Promise.resolve()
      },
      { concurrency: 1 },
    )
    await eventually(() => runs.length === 1)
    expect(runs[0]?.attempt).toBe(2)
    expect(runs[0]?.at).toBeGreaterThan(leaseUntil)
  })

  it('renews the lease of a long job, so no other node takes it', async () => {
    const name = freshQueue()
    const runs: number[] = []
    const nodes = [
      createDatabaseQueue({ database, leaseMs: 300, pollMs: 20, onError }),
      createDatabaseQueue({ database, leaseMs: 300, pollMs: 20, onError }),
    ]
    opened.push(...nodes)
    for (const node of nodes) {
      node.work(
        name,
        async (job) => {
          runs.push(job.attempt)
          await sleep(1_000)
        },
        { concurrency: 1 },
      )
    }
    await nodes[0]?.enqueue(name, {})
    await eventually(() => runs.length === 1)
    // Done means the row is gone; a lease that ran out would also read as not active.
    await eventually(
      async () =>
        (await database.db.selectFrom('jobs').where('queue', '=', name).select('id').execute()).length === 0,
      5_000,
    )
    expect(runs).toEqual([1])
  })

  it('starts a job enqueued on this node without waiting for the poll, delayed ones too', async () => {
    // Polls are a minute apart: only the wake-ups can run these within the test.
    const queue = open({ pollMs: 60_000 })
    const name = freshQueue()
    const order: string[] = []
    queue.work<{ name: string }>(
      name,
      (job) => {
        order.push(job.data.name)
        return Promise.resolve()
      },
      { concurrency: 1 },
    )
    await sleep(50)
    await queue.enqueue(name, { name: 'now' })
    await eventually(() => order.length === 1, 5_000)
    await queue.enqueue(name, { name: 'delayed' }, { delayMs: 200 })
    await eventually(() => order.length === 2, 5_000)
    expect(order).toEqual(['now', 'delayed'])
  })

  it('keeps the row of a job handed back at shutdown, due at once and unleased', async () => {
    const queue = open()
    const name = freshQueue()
    const started = deferred<Job>()
    queue.work(
      name,
      async (job, { signal }) => {
        started.resolve(job)
        await aborted(signal)
      },
      { concurrency: 1 },
    )
    await queue.enqueue(name, {})
    const job = await started.promise
    await queue.close({ graceMs: 0 })
    const row = await database.db
      .selectFrom('jobs')
      .selectAll()
      .where('id', '=', job.id)
      .executeTakeFirstOrThrow()
    expect(row).toMatchObject({ attempts: 1, lease_owner: null, lease_until: null })
    expect(row.run_at).toBeLessThanOrEqual(Date.now())
  })
})
