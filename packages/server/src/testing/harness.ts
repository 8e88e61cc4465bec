import { randomBytes } from 'node:crypto'
import { Writable } from 'node:stream'
import type { Resolver } from '@toolplane/sdk'
import pino from 'pino'
import { buildApp } from '../app.js'
import type { Scope } from '../auth/scopes.js'
import { loadConfig } from '../config.js'
import type { Config } from '../config.js'
import { resolveMasterKey } from '../credentials/master-key.js'
import type { Database, Dialect } from '../db/database.js'
import { openDatabase } from '../db/database.js'
import { migrateUp } from '../db/migrator.js'
import type { Infrastructure } from '../infra/setup.js'
import { loggerOptions } from '../observability/logging.js'
import type { LoadedPlugins } from '../tools/plugins.js'
import { createTestDatabase } from './databases.js'
import { deleteRedisKeys, testRedisUrl } from './redis-env.js'
import type { TestDatabase } from './databases.js'

export interface TestApp {
  readonly app: Awaited<ReturnType<typeof buildApp>>
  readonly config: Config
  readonly database: Database
  readonly testDatabase: TestDatabase
  /** Every log line written so far, parsed. */
  readonly logs: Record<string, unknown>[]
  /** The raw log text, for searching for things that must never appear. */
  logText(): string
  /** The test clock: `now.value` is what the app sees as the current time. */
  readonly now: { value: number }
  /** The Redis prefix of this app in cluster mode (for a second process joining it). */
  readonly redisPrefix: string
  /** Creates a workspace with an API key holding `scopes`; returns the key's secret. */
  workspace(slug: string, scopes?: Scope[]): Promise<{ id: string; key: string }>
  /** Adds a key to an existing workspace. */
  key(workspaceId: string, scopes: Scope[]): Promise<string>
  close(): Promise<void>
}

/**
 * A real app on a fresh database of the given dialect, migrated, with logs captured at debug
 * level. `env` adds configuration variables.
 */
export async function startTestApp(
  dialect: Dialect,
  env: Record<string, string> = {},
  options: {
    plugins?: LoadedPlugins
    infrastructure?: Infrastructure
    testDatabase?: TestDatabase
    /** Cluster mode: Redis for locks, events and the BullMQ queue, under a prefix private to this app. */
    cluster?: boolean
    resolver?: Resolver
    retryBaseMs?: number
    /** Whether this app runs queued jobs (default true); false when another process must. */
    runWorker?: boolean
    /** Join another app's Redis slice (a second node of the same cluster). */
    redisPrefix?: string
    /** Serve this built web UI at `/` (the browser tests); by default the app serves none. */
    webRoot?: string | null
  } = {},
): Promise<TestApp> {
  const testDatabase = options.testDatabase ?? (await createTestDatabase(dialect))
  const config = loadConfig({
    TOOLPLANE_DATA_DIR: testDatabase.dataDir,
    TOOLPLANE_DATABASE_URL: testDatabase.url,
    TOOLPLANE_MASTER_KEY: Buffer.alloc(32, 7).toString('base64'),
    TOOLPLANE_LOG_LEVEL: 'debug',
    // Tests send bursts far above the default per-key limit; the rate-limit tests set their own.
    TOOLPLANE_API_RATE_LIMIT: '100000/s,burst=100000',
    ...(options.cluster === true ? { TOOLPLANE_REDIS_URL: testRedisUrl } : {}),
    ...env,
  })
  const lines: string[] = []
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(
        ...chunk
          .toString('utf8')
          .split('\n')
          .filter((l) => l !== ''),
      )
      done()
    },
  })
  const logger = pino(loggerOptions(config.logLevel), stream)
  const database = openDatabase(config.database)
  await migrateUp(database.db)
  const now = { value: Date.UTC(2026, 0, 15, 12) }
  const redisPrefix = options.redisPrefix ?? `toolplane-test:${randomBytes(6).toString('hex')}:`
  const masterKey = resolveMasterKey(config.masterKey, () => undefined)
  const app = await buildApp({
    config,
    database,
    masterKey,
    logger,
    clock: () => now.value,
    ...(options.plugins === undefined ? {} : { plugins: options.plugins }),
    ...(options.infrastructure === undefined ? {} : { infrastructure: options.infrastructure }),
    ...(options.resolver === undefined ? {} : { resolver: options.resolver }),
    retryBaseMs: options.retryBaseMs ?? 20,
    ...(options.runWorker === undefined ? {} : { runWorker: options.runWorker }),
    redisPrefix,
    // No UI unless a test asks: other tests must not depend on whether packages/web is built.
    webRoot: options.webRoot ?? null,
  })

  const key = async (workspaceId: string, scopes: Scope[]) =>
    (await app.services.apiKeys.create(workspaceId, { name: `test ${scopes.join(' ')}`, scopes })).key

  return {
    app,
    config,
    database,
    testDatabase,
    get logs() {
      return lines.map((line) => JSON.parse(line) as Record<string, unknown>)
    },
    logText: () => lines.join('\n'),
    now,
    redisPrefix,
    key,
    async workspace(slug, scopes = ['admin']) {
      const workspace = await app.services.workspaces.create({ slug, name: slug })
      return { id: workspace.id, key: await key(workspace.id, scopes) }
    },
    async close() {
      await app.close()
      await database.close()
      if (options.cluster === true && options.redisPrefix === undefined) await deleteRedisKeys(redisPrefix)
      // A database shared with another app (two "nodes") is dropped by whoever created it.
      if (options.testDatabase === undefined) await testDatabase.drop()
    },
  }
}

/** `Authorization` header for an API key. */
export function bearer(key: string): { authorization: string } {
  return { authorization: `Bearer ${key}` }
}
