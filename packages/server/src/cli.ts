import fs from 'node:fs'
import path from 'node:path'
import { Command, InvalidArgumentError, Option } from 'commander'
import pino from 'pino'
import type { Logger } from 'pino'
import { createServices } from './app.js'
import type { Scope } from './auth/scopes.js'
import { isScope, roles } from './auth/scopes.js'
import type { Role } from './auth/scopes.js'
import { loadConfig, unknownVariables } from './config.js'
import type { Config } from './config.js'
import { loadKeyring, rotateKeys } from './credentials/keys.js'
import { resolveMasterKey } from './credentials/master-key.js'
import { credentialStore } from './credentials/store.js'
import { openDatabase } from './db/database.js'
import type { Database } from './db/database.js'
import { migrateDown, migrateUp, migrationStatus } from './db/migrator.js'
import { AppError } from './errors.js'
import { loggerOptions } from './observability/logging.js'
import { startServer } from './start.js'
import { toolImports } from './tools/imports.js'
import { loadPlugins } from './tools/plugins.js'
import { workspaceToolStore } from './tools/store.js'
import type { RunningServer } from './start.js'
import { signInUrl } from './workspaces/bootstrap.js'

export interface CliIo {
  readonly env: Readonly<Record<string, string | undefined>>
  readonly out: (text: string) => void
  readonly err: (text: string) => void
  /** Reads all of standard input (for `--password-stdin`). */
  readonly readStdin: () => Promise<string>
  /** The logger for `serve`; defaults to JSON on stdout at the configured level. */
  readonly logger?: (config: Config) => Logger
  /** Called with the running server, so a caller (a test) can stop it; by default signals do. */
  readonly onServing?: (server: RunningServer) => void
}

function parseScopes(value: string): Scope[] {
  const list = value.split(',').map((s) => s.trim())
  const bad = list.filter((s) => !isScope(s))
  if (bad.length > 0) throw new InvalidArgumentError(`unknown scope ${bad.join(', ')}`)
  return list.filter(isScope)
}

/**
 * The `toolplane` command line: serve, migrate, admin. Output and environment are injected so the
 * commands run the same in a test as in a shell.
 *
 * @example
 * await createProgram(io).parseAsync(['migrate', 'status'], { from: 'user' })
 */
export function createProgram(io: CliIo): Command {
  const program = new Command('toolplane')
    .description('Run actions on third-party tools with managed credentials.')
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .exitOverride()
    .showHelpAfterError()

  const config = () => loadConfig(io.env)

  async function withServices<T>(
    run: (services: ReturnType<typeof createServices>, database: Database) => Promise<T>,
  ): Promise<T> {
    const cfg = config()
    const masterKey = resolveMasterKey(cfg.masterKey, (file) => {
      io.err(`Generated a master key in ${file}; back it up.\n`)
    })
    const database = openDatabase(cfg.database)
    try {
      await migrateUp(database.db)
      return await run(createServices({ config: cfg, database, masterKey }), database)
    } finally {
      await database.close()
    }
  }

  async function workspaceId(services: ReturnType<typeof createServices>, slug: string): Promise<string> {
    const workspace = await services.workspaces.findBySlug(slug)
    if (workspace === undefined) {
      throw new AppError(
        'not_found',
        `There is no workspace "${slug}"; create it with \`toolplane admin create-workspace\`.`,
      )
    }
    return workspace.id
  }

  async function run(role: 'serve' | 'worker'): Promise<void> {
    const cfg = config()
    const logger = io.logger?.(cfg) ?? pino(loggerOptions(cfg.logLevel))
    for (const name of unknownVariables(io.env))
      logger.warn({ variable: name }, 'unknown TOOLPLANE_ variable ignored')
    const server = await startServer(cfg, logger, io.out, { role })
    if (io.onServing) {
      io.onServing(server)
      return
    }
    const stop = (signal: string) => {
      logger.info({ signal }, 'shutting down')
      server.close().then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error({ err: error }, 'shutdown failed')
          process.exit(1)
        },
      )
    }
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
  }

  program
    .command('serve')
    .description('Start the API, UI and worker (embedded mode) or an API node (cluster mode).')
    .action(() => run('serve'))

  program
    .command('worker')
    .description(
      'Run queued jobs only, no HTTP: add workers to a cluster. SIGTERM finishes running jobs (or hands them back after 10 s) before exiting.',
    )
    .action(() => run('worker'))

  program
    .command('migrate')
    .description('Apply, revert or list database migrations.')
    .addArgument(
      new Command()
        .createArgument('direction', 'up, down (reverts the latest) or status')
        .choices(['up', 'down', 'status']),
    )
    .action(async (direction: 'up' | 'down' | 'status') => {
      const database = openDatabase(config().database)
      try {
        if (direction === 'up') {
          const applied = await migrateUp(database.db)
          io.out(applied.length === 0 ? 'Already up to date.\n' : `Applied ${applied.join(', ')}.\n`)
        } else if (direction === 'down') {
          const reverted = await migrateDown(database.db)
          io.out(reverted.length === 0 ? 'Nothing to revert.\n' : `Reverted ${reverted.join(', ')}.\n`)
        } else {
          for (const m of await migrationStatus(database.db)) {
            io.out(
              `${m.executedAt === null ? 'pending ' : 'applied '} ${m.name}${m.executedAt === null ? '' : `  ${m.executedAt.toISOString()}`}\n`,
            )
          }
        }
      } finally {
        await database.close()
      }
    })

  const admin = program.command('admin').description('Create workspaces, users, API keys and sign-in links.')

  admin
    .command('create-workspace')
    .description('Create a workspace.')
    .requiredOption('--slug <slug>', 'short unique name, e.g. acme')
    .option('--name <name>', 'display name (defaults to the slug)')
    .action(async (options: { slug: string; name?: string }) => {
      const workspace = await withServices((s) =>
        s.workspaces.create({ slug: options.slug, name: options.name ?? options.slug }),
      )
      io.out(`Created workspace ${workspace.slug} (${workspace.id}).\n`)
    })

  admin
    .command('create-user')
    .description('Create a user (or add an existing one) in a workspace.')
    .requiredOption('--email <email>', 'sign-in email')
    .option('--password <password>', 'at least 12 characters (prefer --password-stdin: arguments show in ps)')
    .option('--password-stdin', 'read the password from standard input')
    .option('--name <name>', 'display name')
    .addOption(new Option('--role <role>', 'role in the workspace').choices(roles).default('owner'))
    .option('--workspace <slug>', 'workspace slug', 'default')
    .action(
      async (options: {
        email: string
        password?: string
        passwordStdin?: boolean
        name?: string
        role: Role
        workspace: string
      }) => {
        const password =
          options.passwordStdin === true
            ? (await io.readStdin()).replace(/\r?\n$/, '')
            : (options.password ?? null)
        const user = await withServices(async (s) =>
          s.auth.addUser({
            email: options.email,
            password,
            name: options.name ?? null,
            role: options.role,
            workspaceId: await workspaceId(s, options.workspace),
          }),
        )
        io.out(`User ${user.email} (${user.id}) is ${options.role} of ${options.workspace}.\n`)
      },
    )

  admin
    .command('create-api-key')
    .description('Create an API key and print it once.')
    .requiredOption('--name <name>', 'what the key is for')
    .option('--scopes <list>', 'comma-separated scopes', parseScopes, ['admin'] as Scope[])
    .option('--workspace <slug>', 'workspace slug', 'default')
    .action(async (options: { name: string; scopes: Scope[]; workspace: string }) => {
      const { apiKey, key } = await withServices(async (s) =>
        s.apiKeys.create(await workspaceId(s, options.workspace), {
          name: options.name,
          scopes: options.scopes,
        }),
      )
      io.err(`Created API key ${apiKey.id} with scopes ${apiKey.scopes.join(', ')}. It is shown once:\n`)
      io.out(`${key}\n`)
    })

  admin
    .command('sign-in-link')
    .description('Print a one-time sign-in link for a user (valid 24 hours).')
    .requiredOption('--email <email>', 'the user')
    .option('--workspace <slug>', 'workspace slug', 'default')
    .action(async (options: { email: string; workspace: string }) => {
      const url = await withServices(async (s) => {
        const user = await s.auth.findUserByEmail(options.email)
        if (user === undefined) throw new AppError('not_found', `There is no user ${options.email}.`)
        const link = await s.auth.createSignInLink(await workspaceId(s, options.workspace), user.id)
        return signInUrl(config().publicUrl, link.token)
      })
      io.out(`${url}\n`)
    })

  const keys = program.command('keys').description('Master key versions and rotation.')

  keys
    .command('status')
    .description(
      'List master key versions, how many credentials each wraps, and whether this process holds it.',
    )
    .action(async () => {
      const cfg = config()
      const database = openDatabase(cfg.database)
      try {
        await migrateUp(database.db)
        const masterKey = resolveMasterKey(cfg.masterKey, () => undefined)
        const keyring = await loadKeyring(
          database.db,
          { current: masterKey.key, previous: cfg.previousMasterKeys },
          Date.now(),
        )
        const counts = new Map(
          (await credentialStore(database.db).countByKeyVersion()).map((c) => [c.version, c.count]),
        )
        const apps = await database.db
          .selectFrom('oauth_apps')
          .select((eb) => ['key_version', eb.fn.countAll<number | string>().as('count')])
          .groupBy('key_version')
          .execute()
        const appCounts = new Map(apps.map((a) => [a.key_version, Number(a.count)]))
        for (const row of await database.db
          .selectFrom('master_keys')
          .selectAll()
          .orderBy('version')
          .execute()) {
          const held =
            keyring.keyFor(row.version) === undefined
              ? 'missing'
              : row.version === keyring.current
                ? 'current'
                : 'previous'
          const retired = row.retired_at === null ? '' : '  retired'
          io.out(
            `v${row.version}  ${row.fingerprint.slice(0, 8)}  ${held}  ${counts.get(row.version) ?? 0} credentials  ${appCounts.get(row.version) ?? 0} OAuth apps${retired}\n`,
          )
        }
      } finally {
        await database.close()
      }
    })

  keys
    .command('rotate')
    .description(
      'Re-wrap every credential data key under the current master key (TOOLPLANE_MASTER_KEY), reading old ones with TOOLPLANE_MASTER_KEY_PREVIOUS. Online, in batches, resumable.',
    )
    .option('--batch-size <n>', 'credentials per batch', (value) => Number.parseInt(value, 10), 100)
    .action(async (options: { batchSize: number }) => {
      const cfg = config()
      const database = openDatabase(cfg.database)
      try {
        await migrateUp(database.db)
        const masterKey = resolveMasterKey(cfg.masterKey, () => undefined)
        const keyring = await loadKeyring(
          database.db,
          { current: masterKey.key, previous: cfg.previousMasterKeys },
          Date.now(),
        )
        const result = await rotateKeys(database.db, keyring, {
          batchSize: options.batchSize,
          now: Date.now,
          onBatch: (progress) => {
            io.err(`re-wrapped ${progress.rewrapped} so far\n`)
          },
        })
        io.out(
          `Re-wrapped ${result.rewrapped} data keys (credentials and OAuth apps) under master key version ${keyring.current}` +
            (result.remaining === 0
              ? '; older versions are retired and their keys can be removed from TOOLPLANE_MASTER_KEY_PREVIOUS.\n'
              : `; ${result.remaining} remain (changed during the run): run it again.\n`),
        )
      } finally {
        await database.close()
      }
    })

  const tools = program.command('tools').description('Import and remove a workspace’s OpenAPI tools.')

  tools
    .command('import')
    .description(
      'Import an OpenAPI 3.0 or 3.1 document (JSON or YAML file, or an http(s) URL) as a workspace tool.',
    )
    .argument('<file-or-url>', 'path of the document, or its URL')
    .option('--workspace <slug>', 'workspace slug', 'default')
    .option('--slug <slug>', 'tool slug (defaults to one made from info.title)')
    .option('--name <name>', 'tool name')
    .action(async (source: string, options: { workspace: string; slug?: string; name?: string }) => {
      const cfg = config()
      const request = /^https?:\/\//.test(source)
        ? { url: source }
        : { document: fs.readFileSync(path.resolve(source), 'utf8') }
      const result = await withServices(async (s, database) => {
        const plugins = await loadPlugins({ extra: cfg.plugins, cwd: process.cwd() })
        const imports = toolImports({
          store: workspaceToolStore(database.db),
          clock: s.clock,
          reservedSlugs: new Set(plugins.tools.map((t) => t.tool.slug)),
          allowPrivateNetwork: cfg.allowPrivateNetwork,
        })
        return imports.importDocument(await workspaceId(s, options.workspace), {
          ...request,
          ...(options.slug === undefined ? {} : { slug: options.slug }),
          ...(options.name === undefined ? {} : { name: options.name }),
        })
      })
      for (const warning of result.warnings) io.err(`warning: ${warning}\n`)
      io.out(
        `${result.created ? 'Imported' : 'Re-imported'} ${result.tool.slug} (${result.tool.name}) with ${result.tool.actions.length} actions into ${options.workspace}.\n`,
      )
    })

  return program
}
