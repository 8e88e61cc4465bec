import { randomUUID } from 'node:crypto'
import type { Resolver } from '@toolplane/sdk'
import fastifyCookie from '@fastify/cookie'
import fastifySwagger from '@fastify/swagger'
import fastifySwaggerUi from '@fastify/swagger-ui'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify, { LogController } from 'fastify'
import pino from 'pino'
import type { FastifyBaseLogger } from 'fastify'
import type { IncomingMessage } from 'node:http'
import { registerApiKeyRoutes } from './api-keys/routes.js'
import { apiKeyService } from './api-keys/service.js'
import { apiKeyStore } from './api-keys/store.js'
import type { Clock } from './auth/context.js'
import { registerAuthRoutes } from './auth/routes.js'
import { authService } from './auth/service.js'
import { authStore } from './auth/store.js'
import type { Config } from './config.js'
import { loadKeyring } from './credentials/keys.js'
import type { Keyring } from './credentials/keyring.js'
import { deriveKey } from './credentials/master-key.js'
import { checkCredential, diagnoseCredential } from './credentials/health.js'
import { sweepCredentials } from './credentials/sweep.js'
import { oauthConnections } from './credentials/oauth-connections.js'
import type { OAuthConnections } from './credentials/oauth-connections.js'
import { registerOAuthRoutes } from './credentials/oauth-routes.js'
import { credentialView, registerCredentialRoutes } from './credentials/routes.js'
import { credentialService } from './credentials/service.js'
import type { CredentialService } from './credentials/service.js'
import { credentialStore } from './credentials/store.js'
import type { MasterKey } from './credentials/master-key.js'
import type { Database } from './db/database.js'
import type { App } from './http/app-types.js'
import { registerAuthentication } from './http/authentication.js'
import type { DeclaredRoute } from './http/authentication.js'
import { registerBatchRoutes } from './batches/routes.js'
import { batchQueue, batchService } from './batches/service.js'
import type { BatchService } from './batches/service.js'
import { executionMetrics } from './executions/metrics.js'
import { registerExecutionRoutes } from './executions/routes.js'
import { executionQueue, executionService } from './executions/service.js'
import type { ExecutionService } from './executions/service.js'
import { executionStore } from './executions/store.js'
import { sweepExecutions } from './executions/sweep.js'
import { createBullmqQueue } from './infra/queue-bullmq.js'
import { createDatabaseQueue } from './infra/queue-database.js'
import type { JobQueue } from './infra/queue.js'
import { createInfrastructure } from './infra/setup.js'
import type { Infrastructure } from './infra/setup.js'
import { registerProblemHandlers } from './http/problems.js'
import { registerValidation } from './http/validation.js'
import { ProblemSchema } from './http/schemas.js'
import { deferredChildLogger, loggableUrl } from './observability/logging.js'
import { createMetrics, statusClass } from './observability/metrics.js'
import { createReadiness } from './observability/readiness.js'
import { registerObservabilityRoutes } from './observability/routes.js'
import { openApiOptions } from './openapi/document.js'
import { hookMetrics } from './hooks/metrics.js'
import { registerHookRoutes } from './hooks/routes.js'
import { hookService } from './hooks/service.js'
import { inboundEventStore } from './hooks/store.js'
import { registerApiRateLimit } from './ratelimit/api.js'
import { rateLimitMetrics } from './ratelimit/metrics.js'
import { upstreamLimits } from './ratelimit/upstream.js'
import { toolImports } from './tools/imports.js'
import { loadPlugins } from './tools/plugins.js'
import type { LoadedPlugins } from './tools/plugins.js'
import { registerToolRoutes } from './tools/routes.js'
import { toolCatalog } from './tools/service.js'
import { workspaceToolStore } from './tools/store.js'
import type { ToolCatalog } from './tools/service.js'
import { registerUsageRoutes } from './usage/routes.js'
import { usageService } from './usage/service.js'
import { usageStore } from './usage/store.js'
import { registerWebApp, webAppRoot } from './web/static.js'
import { registerWorkspaceRoutes } from './workspaces/routes.js'
import { deliveryWorker, webhookQueue } from './webhooks/delivery.js'
import type { DeliveryJob } from './webhooks/delivery.js'
import { recoveryIntervalMs, webhookDispatcher } from './webhooks/dispatcher.js'
import { webhookMetrics } from './webhooks/metrics.js'
import { registerWebhookRoutes } from './webhooks/routes.js'
import { webhookService } from './webhooks/service.js'
import { webhookStore } from './webhooks/store.js'
import { workspaceService } from './workspaces/service.js'
import { workspaceStore } from './workspaces/store.js'

export interface AppDeps {
  readonly config: Config
  readonly database: Database
  readonly masterKey: MasterKey
  readonly logger: FastifyBaseLogger
  readonly clock?: Clock
  /** Already-loaded plugins (tests); by default the built-ins and `TOOLPLANE_PLUGINS` are loaded. */
  readonly plugins?: LoadedPlugins
  /** Lock and event bus (tests share one between two apps); by default chosen from the configuration. */
  readonly infrastructure?: Infrastructure
  /** The job queue (tests share one, or give BullMQ a private prefix); by default chosen from the configuration. */
  readonly queue?: JobQueue
  /** Whether this app runs queued jobs; defaults to `config.serveRunsWorker`. */
  readonly runWorker?: boolean
  /** Outbound DNS for actions (tests inject one to prove the network rules); the system's by default. */
  readonly resolver?: Resolver
  /** The base delay of retries (tests shrink it). */
  readonly retryBaseMs?: number
  /** Prefix of every Redis key and channel in cluster mode (tests use a private one); the configuration's by default. */
  readonly redisPrefix?: string
  /** The built web UI to serve at `/`: packages/web/dist when it is built, by default; null for none. */
  readonly webRoot?: string | null
}

const requestIdPattern = /^[A-Za-z0-9._:-]{1,128}$/

/** The request id: the caller's `X-Request-Id` when it is a sane token, else a fresh UUID. */
function requestIdOf(request: IncomingMessage): string {
  const header = request.headers['x-request-id']
  return typeof header === 'string' && requestIdPattern.test(header) ? header : randomUUID()
}

/**
 * Wires the services over one database and returns them; the HTTP app and the CLI share this.
 *
 * @example
 * const services = createServices({ config, database, masterKey })
 */
export function createServices(deps: Omit<AppDeps, 'logger'>) {
  const clock = deps.clock ?? Date.now
  const db = deps.database.db
  const workspaceRows = workspaceStore(db)
  const workspaces = workspaceService({
    store: workspaceRows,
    clock,
    defaultApiRateLimit: deps.config.apiRateLimit,
  })
  const apiKeys = apiKeyService({ store: apiKeyStore(db), clock })
  const auth = authService({
    store: authStore(db),
    workspaces: workspaceRows,
    clock,
    csrfKey: deriveKey(deps.masterKey.key, 'csrf'),
    sessionTtlMs: deps.config.sessionTtlMs,
  })
  return { clock, workspaces, apiKeys, auth }
}

export type Services = ReturnType<typeof createServices>

/**
 * Builds the HTTP application: logging with request ids, problem+json errors, authentication,
 * metrics, readiness, the OpenAPI document and reference, and every route.
 *
 * @example
 * const app = await buildApp({ config, database, masterKey, logger })
 * await app.listen({ port: config.port, host: config.host })
 */
export async function buildApp(deps: AppDeps): Promise<
  App & {
    services: Services
    declaredRoutes: readonly DeclaredRoute[]
    catalog: ToolCatalog
    credentials: CredentialService
    connections: OAuthConnections
    keyring: Keyring
    infrastructure: Infrastructure
    queue: JobQueue
    executions: ExecutionService
    batches: BatchService
    /** One pass of the execution retention and stale-run sweep. */
    sweepExecutions: () => Promise<{ deleted: number; requeued: number; abandoned: number }>
    /** One pass of the periodic credential sweep; the server runs it every TOOLPLANE_CREDENTIAL_CHECK_INTERVAL. */
    sweepCredentials: () => Promise<number>
  }
> {
  const { config, database, logger } = deps
  const app = Fastify({
    loggerInstance: logger,
    childLoggerFactory: deferredChildLogger,
    genReqId: requestIdOf,
    // One 'request completed' line per request, written by our onResponse hook below.
    logController: new LogController({ requestIdLogLabel: 'requestId', disableRequestLogging: true }),
    trustProxy: config.trustProxy,
    bodyLimit: 1024 * 1024,
  }).withTypeProvider<TypeBoxTypeProvider>()

  const plugins = deps.plugins ?? (await loadPlugins({ extra: config.plugins, cwd: process.cwd() }))
  for (const { plugin, problem } of plugins.refused) logger.error({ plugin, problem }, 'plugin refused')
  const services = createServices(deps)
  const imports = toolImports({
    store: workspaceToolStore(database.db),
    clock: services.clock,
    reservedSlugs: new Set(plugins.tools.map((t) => t.tool.slug)),
    allowPrivateNetwork: config.allowPrivateNetwork,
  })
  const catalog = toolCatalog({
    loaded: plugins.tools,
    workspaceTools: (workspaceId) => imports.workspaceTools(workspaceId),
  })
  const keyring = await loadKeyring(
    database.db,
    { current: deps.masterKey.key, previous: config.previousMasterKeys },
    services.clock(),
    (unmatched) => {
      logger.warn(
        {
          positions: unmatched.map((u) => u.position),
          fingerprints: unmatched.map((u) => u.fingerprint.slice(0, 8)),
        },
        'TOOLPLANE_MASTER_KEY_PREVIOUS holds keys that match no stored key version; they are ignored',
      )
    },
  )
  const infrastructure =
    deps.infrastructure ??
    (await createInfrastructure(config.redisUrl, logger, { prefix: deps.redisPrefix ?? config.redisPrefix }))
  const findTool = async (workspaceId: string, slug: string) => (await catalog.get(workspaceId, slug)).tool
  const credentials = credentialService({
    store: credentialStore(database.db),
    keyring,
    clock: services.clock,
    findTool,
    publish: (event) => infrastructure.events.publish(event),
  })
  const connections = oauthConnections({
    db: database.db,
    keyring,
    clock: services.clock,
    findTool,
    credentials,
    lock: infrastructure.lock,
    publicUrl: config.publicUrl,
    network: { allowPrivateNetwork: config.allowPrivateNetwork },
  })
  const metrics = createMetrics()
  const queue =
    deps.queue ??
    (config.redisUrl === null
      ? createDatabaseQueue({
          database,
          leaseMs: config.jobLeaseMs,
          onError: (error, context) => {
            logger.error({ err: error, ...context }, 'job failed unexpectedly; it will run again')
          },
        })
      : createBullmqQueue({
          redisUrl: config.redisUrl,
          prefix: (deps.redisPrefix ?? config.redisPrefix).replace(/:$/, ''),
          leaseMs: config.jobLeaseMs,
          onError: (error, context) => {
            logger.error({ err: error, ...context }, 'job failed unexpectedly; it will run again')
          },
        }))
  const store = executionStore(database.db, database.dialect)
  const rateLimited = rateLimitMetrics(metrics.registry)
  const usage = usageService({ store: usageStore(database.db, database.dialect), clock: services.clock })
  const executions = executionService({
    store,
    catalog,
    credentials,
    connections,
    keyring,
    queue,
    events: infrastructure.events,
    metrics: executionMetrics(metrics.registry, queue),
    upstream: upstreamLimits({ limiter: infrastructure.limiter, clock: Date.now }),
    rateLimited,
    quota: usage,
    clock: services.clock,
    log: logger,
    network: {
      allowPrivateNetwork: config.allowPrivateNetwork,
      ...(deps.resolver === undefined ? {} : { resolver: deps.resolver }),
    },
    ...(deps.retryBaseMs === undefined ? {} : { retryBaseMs: deps.retryBaseMs }),
  })
  const batches = batchService({
    store,
    executions,
    queue,
    events: infrastructure.events,
    clock: services.clock,
  })
  if (deps.runWorker ?? config.serveRunsWorker) {
    queue.work<{ executionId: string }>(executionQueue, (job, context) => executions.runJob(job, context), {
      concurrency: config.workerConcurrency,
    })
    queue.work<{ batchId: string }>(batchQueue, (job, context) => batches.runJob(job, context), {
      concurrency: Math.max(1, Math.floor(config.workerConcurrency / 4)),
    })
  }
  const hooks = hookService({
    store: inboundEventStore(database.db),
    findTool,
    credentials,
    events: infrastructure.events,
    metrics: hookMetrics(metrics.registry),
    clock: services.clock,
    log: logger,
  })
  const webhookRows = webhookStore(database.db)
  const webhookEvents = webhookDispatcher({
    store: webhookRows,
    queue,
    clock: services.clock,
    log: logger,
    retryScheduleMs: config.webhookRetryScheduleMs,
  })
  const webhooks = webhookService({
    store: webhookRows,
    keyring,
    queue,
    dispatcher: webhookEvents,
    clock: services.clock,
  })
  const webhookCounters = webhookMetrics(metrics.registry, () => webhookRows.pendingCount())
  const stopDispatching = webhookEvents.start(infrastructure.events)
  let webhookRecovery: NodeJS.Timeout | undefined
  if (deps.runWorker ?? config.serveRunsWorker) {
    const deliveries = deliveryWorker({
      store: webhookRows,
      keyring,
      events: infrastructure.events,
      metrics: webhookCounters,
      clock: services.clock,
      log: logger,
      retryScheduleMs: config.webhookRetryScheduleMs,
      network: {
        allowPrivateNetwork: config.allowPrivateNetwork,
        ...(deps.resolver === undefined ? {} : { resolver: deps.resolver }),
      },
    })
    queue.work<DeliveryJob>(webhookQueue, (job, context) => deliveries.runJob(job, context), {
      concurrency: Math.max(1, Math.floor(config.workerConcurrency / 2)),
    })
    const recoverDeliveries = () => {
      webhookEvents.recover().catch((error: unknown) => {
        logger.error({ err: error }, 'looking for lost webhook deliveries failed')
      })
    }
    recoverDeliveries()
    webhookRecovery = setInterval(recoverDeliveries, recoveryIntervalMs).unref()
  }
  app.addHook('onClose', () => {
    stopDispatching()
    clearInterval(webhookRecovery)
    return Promise.resolve()
  })
  app.addHook('onClose', async () => {
    // Running jobs finish (or are handed back) before the database and Redis go away.
    if (deps.queue === undefined) await queue.close({ graceMs: 10_000 })
    executions.close()
    if (deps.infrastructure === undefined) await infrastructure.close()
  })
  const readiness = createReadiness()
  readiness.register('database', () => database.ping())
  readiness.register('queue', () => queue.ping())
  if (infrastructure.ping !== null) readiness.register('redis', infrastructure.ping)
  readiness.register('plugins', () =>
    Promise.resolve(
      plugins.refused.length === 0
        ? undefined
        : { warning: plugins.refused.map((r) => `${r.plugin} refused: ${r.problem}`).join('; ') },
    ),
  )

  app.decorate('readiness', readiness)
  app.decorate('metrics', metrics)

  app.addHook('onRequest', async (request, reply) => {
    void reply.header('X-Request-Id', request.id)
  })
  const infoEnabled = (pino.levels.values[logger.level] ?? 0) <= (pino.levels.values.info ?? 30)
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched'
    metrics.httpRequestDuration.observe(
      { method: request.method, route, status_class: statusClass(reply.statusCode) },
      reply.elapsedTime / 1000,
    )
    // Built only when it will be written: this runs for every request.
    if (!infoEnabled) return
    request.log.info(
      {
        method: request.method,
        url: loggableUrl(request.url),
        route,
        statusCode: reply.statusCode,
        durationMs: Math.round(reply.elapsedTime * 100) / 100,
      },
      'request completed',
    )
  })

  registerProblemHandlers(app)
  registerValidation(app)
  await app.register(fastifyCookie)
  app.addSchema(ProblemSchema)
  await app.register(fastifySwagger, openApiOptions(config.publicUrl))
  await app.register(fastifySwaggerUi, { routePrefix: '/docs', staticCSP: true })
  const declaredRoutes = registerAuthentication(app, { auth: services.auth, apiKeys: services.apiKeys })
  const apiLimits = registerApiRateLimit(app, {
    limiter: infrastructure.limiter,
    defaultLimit: config.apiRateLimit,
    workspaceLimit: (workspaceId) => services.workspaces.getOwnApiRateLimit(workspaceId),
    metrics: rateLimited,
    clock: Date.now,
  })

  app.get('/openapi.json', { schema: { hide: true } }, () => app.swagger())
  registerObservabilityRoutes(app, { readiness, metrics })
  registerAuthRoutes(app, { auth: services.auth, workspaces: services.workspaces, config })
  registerApiKeyRoutes(app, { apiKeys: services.apiKeys })
  registerWorkspaceRoutes(app, {
    workspaces: services.workspaces,
    onUpdated: (workspaceId) => {
      apiLimits.forget(workspaceId)
    },
  })
  registerUsageRoutes(app, { usage })
  registerToolRoutes(app, { catalog, imports })
  registerCredentialRoutes(app, {
    credentials,
    connections,
    check: (workspaceId, id) =>
      checkCredential(
        { credentials, connections, findTool, allowPrivateNetwork: config.allowPrivateNetwork },
        workspaceId,
        id,
      ),
    diagnose: (workspaceId, id) =>
      diagnoseCredential(
        {
          credentials,
          connections,
          findTool,
          allowPrivateNetwork: config.allowPrivateNetwork,
          clock: services.clock,
        },
        workspaceId,
        id,
      ),
  })
  registerOAuthRoutes(app, { connections, sessions: services.auth, credentialView: credentialView })
  registerExecutionRoutes(app, { executions, events: infrastructure.events })
  registerBatchRoutes(app, { batches })
  registerWebhookRoutes(app, { webhooks })
  registerHookRoutes(app, { hooks })
  // Last: the UI answers the page addresses no API route claims.
  await registerWebApp(app, { root: deps.webRoot === undefined ? webAppRoot() : deps.webRoot })

  const sweep = () =>
    sweepCredentials({
      store: credentialStore(database.db),
      clock: services.clock,
      intervalMs: config.credentialCheckIntervalMs,
      check: (workspaceId, id) =>
        checkCredential(
          { credentials, connections, findTool, allowPrivateNetwork: config.allowPrivateNetwork },
          workspaceId,
          id,
        ),
      log: logger,
    })

  const retentionSweep = async () => {
    const swept = await sweepExecutions({
      store,
      queue,
      clock: services.clock,
      retentionDays: config.executionRetentionDays,
      log: logger,
    })
    // Inbound deliveries are kept long enough to recognise a provider's late retries, then go.
    await hooks.sweep()
    return swept
  }

  return Object.assign(app, {
    queue,
    executions,
    batches,
    sweepExecutions: retentionSweep,
    sweepCredentials: sweep,
    services,
    declaredRoutes,
    catalog,
    credentials,
    connections,
    keyring,
    infrastructure,
  })
}

declare module 'fastify' {
  interface FastifyInstance {
    readiness: ReturnType<typeof createReadiness>
    metrics: ReturnType<typeof createMetrics>
  }
}
