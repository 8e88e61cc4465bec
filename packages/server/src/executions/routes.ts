import { ERROR_CLASSES } from '@toolplane/sdk'
import { Type } from 'typebox'
import { pageRequest } from '../db/pagination.js'
import { AppError } from '../errors.js'
import type { App } from '../http/app-types.js'
import { callerOf } from '../http/authentication.js'
import { retryAfterSeconds } from '../ratelimit/headers.js'
import {
  NullableTimestamp,
  PageOf,
  PageQuery,
  Timestamp,
  noBodyAsEmptyObject,
  problemRef,
} from '../http/schemas.js'
import type { EventBus, ToolplaneEvent } from '../infra/events.js'
import { executionStatuses, maxAttemptsLimit, maxTimeoutMs } from './service.js'
import type { ExecutionService } from './service.js'
import type { ExecutionFilter } from './store.js'
import type { ExecutionSummary } from './view.js'

const Suggestion = Type.Object({ title: Type.String(), detail: Type.String() })

const ExecutionErrorSchema = Type.Object(
  {
    class: Type.Enum(ERROR_CLASSES),
    message: Type.String(),
    retryable: Type.Boolean(),
    retryAfterMs: Type.Optional(Type.Integer({ description: 'How long the upstream asked to wait.' })),
    httpStatus: Type.Optional(Type.Integer()),
    suggestions: Type.Array(Suggestion, { description: 'Recovery steps, the tool’s own first.' }),
  },
  { $id: 'ExecutionError', title: 'ExecutionError' },
)

const AttemptSchema = Type.Object({
  number: Type.Integer({ minimum: 1 }),
  status: Type.Enum(['succeeded', 'failed']),
  httpStatus: Type.Union([Type.Integer(), Type.Null()], { description: 'The upstream’s last HTTP status.' }),
  errorClass: Type.Union([Type.Enum(ERROR_CLASSES), Type.Null()]),
  startedAt: Timestamp,
  durationMs: Type.Integer(),
  error: Type.Optional(Type.String()),
  retryInMs: Type.Optional(Type.Integer({ description: 'The wait before the next attempt.' })),
})

const ExecutionSchema = Type.Object(
  {
    id: Type.String(),
    action: Type.String({ description: '`tool.action`.' }),
    tool: Type.String(),
    credentialId: Type.Union([Type.String(), Type.Null()]),
    status: Type.Enum(executionStatuses),
    mode: Type.Enum(['sync', 'async']),
    input: Type.Unknown({ description: 'The input the action ran with; secret fields redacted.' }),
    output: Type.Unknown({
      description: 'The output, after the output transformation; null until it succeeds.',
    }),
    error: Type.Union([Type.Ref('ExecutionError'), Type.Null()]),
    attempts: Type.Array(AttemptSchema),
    batchId: Type.Union([Type.String(), Type.Null()]),
    batchIndex: Type.Union([Type.Integer(), Type.Null()]),
    retryOf: Type.Union([Type.String(), Type.Null()], { description: 'The execution this one retries.' }),
    correlationId: Type.String({
      description: 'The request id that started it; in every log line of the run.',
    }),
    cancelRequested: Type.Boolean(),
    createdAt: Timestamp,
    startedAt: NullableTimestamp,
    finishedAt: NullableTimestamp,
    durationMs: Type.Union([Type.Integer(), Type.Null()]),
  },
  { $id: 'Execution', title: 'Execution' },
)

const DryRunSchema = Type.Object(
  {
    dryRun: Type.Literal(true),
    action: Type.String(),
    credentialId: Type.Union([Type.String(), Type.Null()]),
    input: Type.Unknown(),
    requests: Type.Array(
      Type.Object({
        method: Type.String(),
        url: Type.String(),
        headers: Type.Record(Type.String(), Type.String()),
        body: Type.Optional(Type.String()),
      }),
      { description: 'What would be sent, credentials masked as `****`.' },
    ),
    note: Type.Optional(Type.String()),
  },
  { $id: 'DryRun', title: 'DryRun' },
)

const Transform = Type.Object(
  {
    input: Type.Optional(
      Type.String({ minLength: 1, maxLength: 10_000, description: 'JSONata, applied to the input.' }),
    ),
    output: Type.Optional(
      Type.String({ minLength: 1, maxLength: 10_000, description: 'JSONata, applied to the output.' }),
    ),
  },
  { additionalProperties: false },
)

const ExecutionFilterQuery = {
  status: Type.Optional(Type.Enum(executionStatuses)),
  tool: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  action: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 200,
      description: '`tool.action`, or the action name with `tool`.',
    }),
  ),
  credentialId: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  batchId: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  from: Type.Optional(Type.String({ format: 'date-time', description: 'Created at or after (ISO 8601).' })),
  to: Type.Optional(Type.String({ format: 'date-time', description: 'Created before (ISO 8601).' })),
  q: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 200,
      description:
        'Words searched in the action, the error and the non-secret input and output (prefix match).',
    }),
  ),
}

interface FilterQuery {
  status?: string | undefined
  tool?: string | undefined
  action?: string | undefined
  credentialId?: string | undefined
  batchId?: string | undefined
  from?: string | undefined
  to?: string | undefined
  q?: string | undefined
}

/** The query's filters in store terms; `action` may be `tool.action`. */
export function filterOf(query: FilterQuery): ExecutionFilter {
  let tool = query.tool
  let action = query.action
  if (action?.includes('.') === true) {
    const dot = action.indexOf('.')
    const named = action.slice(0, dot)
    if (tool !== undefined && tool !== named) {
      throw new AppError('validation_error', `action "${action}" is not an action of the tool "${tool}"`, {
        errors: [{ path: '/query/action', message: 'names another tool than `tool`' }],
      })
    }
    tool = named
    action = action.slice(dot + 1)
  }
  return {
    ...(query.status === undefined ? {} : { status: query.status }),
    ...(tool === undefined ? {} : { tool }),
    ...(action === undefined ? {} : { action }),
    ...(query.credentialId === undefined ? {} : { credentialId: query.credentialId }),
    ...(query.batchId === undefined ? {} : { batchId: query.batchId }),
    ...(query.from === undefined ? {} : { from: Date.parse(query.from) }),
    ...(query.to === undefined ? {} : { to: Date.parse(query.to) }),
    ...(query.q === undefined ? {} : { q: query.q }),
  }
}

/** Whether a live event matches the tail's filters (the same filters as the list). */
export function summaryMatches(filter: ExecutionFilter, summary: ExecutionSummary): boolean {
  if (filter.status !== undefined && summary.status !== filter.status) return false
  if (filter.tool !== undefined && summary.tool !== filter.tool) return false
  if (filter.action !== undefined && summary.action !== `${summary.tool}.${filter.action}`) return false
  if (filter.credentialId !== undefined && summary.credentialId !== filter.credentialId) return false
  if (filter.batchId !== undefined && summary.batchId !== filter.batchId) return false
  // The same window as the list: created at or after `from`, before `to`.
  const createdAt = Date.parse(summary.createdAt)
  if (filter.from !== undefined && !(createdAt >= filter.from)) return false
  if (filter.to !== undefined && !(createdAt < filter.to)) return false
  if (filter.q !== undefined) {
    const haystack =
      `${summary.action} ${summary.errorClass ?? ''} ${summary.errorMessage ?? ''}`.toLowerCase()
    const words = filter.q.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []
    if (!words.every((word) => haystack.includes(word))) return false
  }
  return true
}

/**
 * The serializer of the routes that answer with execution records. Fastify's default compiles the
 * response schema with fast-json-stringify, which picks a branch of every union (`string | null`,
 * the execution-or-dry-run answer of `POST /v1/executions`) by validating the value against each
 * one, date-time formats included: that cost more than the rest of the answer. The records are built
 * field by field (`executionView`), so nothing unlisted can leak; the schemas still document them.
 */
const recordSerializer = () => (data: unknown) => JSON.stringify(data)

/** Comment lines keep proxies from closing an idle live tail. */
const heartbeatMs = 15_000

export function registerExecutionRoutes(
  app: App,
  deps: { executions: ExecutionService; events: EventBus },
): void {
  const { executions, events } = deps
  app.addSchema(ExecutionErrorSchema)
  app.addSchema(ExecutionSchema)
  app.addSchema(DryRunSchema)
  const executionRef = Type.Ref('Execution')
  const idParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) })
  // Open live tails end when the server closes, or closing would wait for their clients.
  const streams = new Set<() => void>()
  app.addHook('preClose', (done) => {
    for (const close of streams) close()
    streams.clear()
    done()
  })

  app.post(
    '/v1/executions',
    {
      config: { auth: { scope: 'executions:write' } },
      serializerCompiler: recordSerializer,
      schema: {
        tags: ['executions'],
        summary: 'Run an action',
        description:
          '`sync` (the default) runs it now and answers 200 with the finished execution — a failed execution is still a 200: its `error` says what failed and how to recover. `async` answers 202 with the queued execution and a `Location` to poll. `dryRun` validates, transforms and resolves the credential, and answers with the request that would be sent, credentials masked; nothing is called or recorded. `Idempotency-Key`: the same key and body within 24 hours answer with the first execution (header `Idempotent-Replayed: true`) and run nothing; the same key with another body is a 409.',
        headers: Type.Object({
          'idempotency-key': Type.Optional(
            Type.String({ minLength: 1, maxLength: 255, description: 'Makes a retried request safe.' }),
          ),
        }),
        body: Type.Object(
          {
            action: Type.String({
              minLength: 3,
              maxLength: 200,
              description: '`tool.action`, e.g. `github.create_issue`.',
            }),
            credentialId: Type.Optional(
              Type.Union([Type.String({ minLength: 1, maxLength: 100 }), Type.Null()]),
            ),
            input: Type.Optional(Type.Unknown({ description: 'The action’s input; see its schema.' })),
            mode: Type.Optional(Type.Enum(['sync', 'async'], { default: 'sync' })),
            transform: Type.Optional(Transform),
            dryRun: Type.Optional(Type.Boolean()),
            timeoutMs: Type.Optional(
              Type.Integer({ minimum: 100, maximum: maxTimeoutMs, description: 'Per-attempt time limit.' }),
            ),
            maxAttempts: Type.Optional(
              Type.Integer({
                minimum: 1,
                maximum: maxAttemptsLimit,
                description: 'Attempts in all; overrides the action’s.',
              }),
            ),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Union([executionRef, Type.Ref('DryRun')]),
          202: executionRef,
          400: problemRef,
          404: problemRef,
          409: problemRef,
        },
      },
    },
    async (request, reply) => {
      const { workspaceId } = callerOf(request)
      const key = request.headers['idempotency-key']
      const result = await executions.submit(workspaceId, request.body, {
        correlationId: request.id,
        idempotencyKey: key,
        body: request.body,
      })
      if (result.kind === 'dry_run') return reply.code(200).send(result.preview)
      const { execution, replayed } = result
      if (replayed) void reply.header('Idempotent-Replayed', 'true')
      if (
        execution.mode === 'async' &&
        (replayed ? execution.status === 'queued' || execution.status === 'running' : true)
      ) {
        void reply.header('Location', `/v1/executions/${execution.id}`)
        return reply.code(202).send(execution)
      }
      // A sync run the upstream's limit held back says when to come again, as a 429 would.
      if (execution.error?.class === 'rate_limited' && execution.error.retryAfterMs !== undefined) {
        void reply.header('Retry-After', String(retryAfterSeconds(execution.error.retryAfterMs)))
      }
      return reply.code(200).send(execution)
    },
  )

  app.get(
    '/v1/executions',
    {
      config: { auth: { scope: 'executions:read' } },
      serializerCompiler: recordSerializer,
      schema: {
        tags: ['executions'],
        summary: 'Search executions',
        description:
          'Newest first. Filters combine; `q` matches words (by prefix) in the action, the error and the non-secret input and output.',
        querystring: Type.Object({ ...ExecutionFilterQuery, ...PageQuery }),
        response: { 200: PageOf(executionRef), 400: problemRef },
      },
    },
    async (request) => {
      const { workspaceId } = callerOf(request)
      return executions.list(workspaceId, filterOf(request.query), pageRequest(request.query))
    },
  )

  app.get(
    '/v1/executions/stream',
    {
      config: { auth: { scope: 'executions:read' } },
      schema: {
        tags: ['executions'],
        summary: 'Live tail of executions',
        description:
          'Server-Sent Events: one `execution` event (the execution without input and output) each time an execution is queued, starts or ends, filtered like the search; a comment line every 15 s keeps the stream open. Works across nodes through Redis in cluster mode.',
        querystring: Type.Object(ExecutionFilterQuery),
        produces: ['text/event-stream'],
        response: { 200: Type.String({ description: 'text/event-stream' }), 400: problemRef },
      },
    },
    (request, reply) => {
      const { workspaceId } = callerOf(request)
      const filter = filterOf(request.query)
      reply.hijack()
      const raw = reply.raw
      raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
        'x-request-id': request.id,
      })
      raw.write(': live tail of executions\n\n')
      const send = (event: ToolplaneEvent) => {
        const summary = event.data as ExecutionSummary
        if (!summaryMatches(filter, summary)) return
        raw.write(
          `id: ${event.id}\nevent: execution\ndata: ${JSON.stringify({ type: event.type, ...summary })}\n\n`,
        )
      }
      const unsubscribe = events.subscribe(
        {
          types: [
            'execution.queued',
            'execution.running',
            'execution.succeeded',
            'execution.failed',
            'execution.cancelled',
          ],
          workspaceId,
        },
        send,
      )
      const heartbeat = setInterval(() => {
        raw.write(': heartbeat\n\n')
      }, heartbeatMs)
      const stop = () => {
        clearInterval(heartbeat)
        unsubscribe()
      }
      const close = () => {
        stop()
        raw.end()
      }
      streams.add(close)
      raw.on('close', () => {
        streams.delete(close)
        stop()
      })
    },
  )

  app.get(
    '/v1/executions/:id',
    {
      config: { auth: { scope: 'executions:read' } },
      serializerCompiler: recordSerializer,
      schema: {
        tags: ['executions'],
        summary: 'An execution',
        description: 'With every attempt, its input (secrets redacted), output and error.',
        params: idParams,
        response: { 200: executionRef, 404: problemRef },
      },
    },
    async (request) => executions.get(callerOf(request).workspaceId, request.params.id),
  )

  app.post(
    '/v1/executions/:id/retry',
    {
      preValidation: noBodyAsEmptyObject,
      config: { auth: { scope: 'executions:write' } },
      serializerCompiler: recordSerializer,
      schema: {
        tags: ['executions'],
        summary: 'Retry a failed execution',
        description:
          'Runs a failed or cancelled execution again as a new execution (`retryOf` links it), with the same action, credential, input and transformations. `mode` defaults to the original’s.',
        params: idParams,
        body: Type.Optional(
          Type.Object({ mode: Type.Optional(Type.Enum(['sync', 'async'])) }, { additionalProperties: false }),
        ),
        response: { 200: executionRef, 202: executionRef, 404: problemRef, 409: problemRef },
      },
    },
    async (request, reply) => {
      const execution = await executions.retry(callerOf(request).workspaceId, request.params.id, {
        correlationId: request.id,
        mode: (request.body as { mode?: 'sync' | 'async' } | undefined)?.mode,
      })
      if (execution.mode === 'async') {
        void reply.header('Location', `/v1/executions/${execution.id}`)
        return reply.code(202).send(execution)
      }
      return reply.code(200).send(execution)
    },
  )

  app.post(
    '/v1/executions/:id/cancel',
    {
      config: { auth: { scope: 'executions:write' } },
      serializerCompiler: recordSerializer,
      schema: {
        tags: ['executions'],
        summary: 'Cancel an execution',
        description:
          'A queued execution is cancelled at once; a running one has its upstream call aborted on whichever node runs it (the answer waits up to 2 s to show the final state). Finished executions answer 409.',
        params: idParams,
        response: { 200: executionRef, 404: problemRef, 409: problemRef },
      },
    },
    async (request) => executions.cancel(callerOf(request).workspaceId, request.params.id),
  )
}
