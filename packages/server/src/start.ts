import type { Logger } from 'pino'
import { buildApp } from './app.js'
import type { Config } from './config.js'
import { deriveKey, resolveMasterKey } from './credentials/master-key.js'
import { startCredentialSweep } from './credentials/sweep.js'
import { startExecutionSweep } from './executions/sweep.js'
import { openDatabase } from './db/database.js'
import { migrateUp } from './db/migrator.js'
import { bootstrap } from './workspaces/bootstrap.js'

export interface RunningServer {
  readonly url: string
  readonly app: Awaited<ReturnType<typeof buildApp>>
  close(): Promise<void>
}

const sessionSweepIntervalMs = 3_600_000
const executionSweepIntervalMs = 3_600_000

/**
 * Starts Toolplane: master key, database, migrations, bootstrap, HTTP. On a first start with no
 * bootstrap variables it prints the one-time sign-in link with `print` (stdout, not the log).
 *
 * @example
 * const server = await startServer(loadConfig(process.env), logger, (text) => process.stdout.write(text))
 */
export async function startServer(
  config: Config,
  logger: Logger,
  print: (text: string) => void,
  options: { role?: 'serve' | 'worker' } = {},
): Promise<RunningServer> {
  const role = options.role ?? 'serve'
  const masterKey = resolveMasterKey(config.masterKey, (file) => {
    logger.warn(
      { file },
      'No master key was configured, so one was generated. Back this file up, or set TOOLPLANE_MASTER_KEY: stored credentials cannot be decrypted without it.',
    )
  })
  const database = openDatabase(config.database, {
    onIdleClientError: (error) => {
      logger.warn({ err: error }, 'an idle database connection failed; it will be replaced')
    },
    onCheckpointError: (message) => {
      logger.warn(
        { error: message },
        'the SQLite checkpoint thread failed; requests checkpoint the WAL again',
      )
    },
    onWriteThreadError: (message) => {
      logger.warn(
        { error: message },
        'the SQLite write thread failed; requests write on their own thread again',
      )
    },
  })
  try {
    const applied = await migrateUp(database.db)
    if (applied.length > 0) logger.info({ migrations: applied }, 'database migrated')

    const result = await bootstrap({
      db: database.db,
      config,
      clock: Date.now,
      csrfKey: deriveKey(masterKey.key, 'csrf'),
    })
    if (result.created) {
      logger.info(
        { workspaceId: result.workspaceId, apiKey: result.apiKeyCreated, owner: result.ownerEmail },
        'empty database: created workspace "default"',
      )
    }
    if (result.signInUrl !== undefined) {
      print(
        `\n  Toolplane is set up. Sign in as the workspace owner with this one-time link (valid 24 hours):\n\n    ${result.signInUrl}\n\n  Then set a password, or create users and API keys with \`toolplane admin\`.\n\n`,
      )
    }

    const mode = config.redisUrl === null ? 'embedded' : 'cluster'
    const app = await buildApp({
      config,
      database,
      masterKey,
      logger,
      runWorker: role === 'worker' || config.serveRunsWorker,
    })
    let url = ''
    if (role === 'serve') {
      url = await app.listen({ port: config.port, host: config.host })
      logger.info({ url, database: database.dialect, mode }, 'Toolplane is listening')
    } else {
      await app.ready()
      logger.info(
        { database: database.dialect, mode, queue: app.queue.kind, concurrency: config.workerConcurrency },
        'Toolplane worker is running queued jobs',
      )
    }

    const sweep = setInterval(() => {
      app.services.auth.sweepExpiredSessions().catch((error: unknown) => {
        logger.warn({ err: error }, 'expired-session sweep failed')
      })
    }, sessionSweepIntervalMs)
    sweep.unref()

    const stopCredentialSweep = startCredentialSweep(
      app.sweepCredentials,
      config.credentialCheckIntervalMs,
      logger,
    )

    const stopExecutionSweep = startExecutionSweep(app.sweepExecutions, executionSweepIntervalMs, logger)

    return {
      url,
      app,
      async close() {
        stopExecutionSweep()
        stopCredentialSweep()
        clearInterval(sweep)
        await app.close()
        await database.close()
      },
    }
  } catch (error) {
    await database.close()
    throw error
  }
}
