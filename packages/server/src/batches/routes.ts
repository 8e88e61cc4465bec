import { Type } from 'typebox'
import { pageRequest } from '../db/pagination.js'
import type { App } from '../http/app-types.js'
import { callerOf } from '../http/authentication.js'
import { NullableTimestamp, PageOf, PageQuery, Timestamp, problemRef } from '../http/schemas.js'
import { defaultBatchConcurrency, maxBatchConcurrency, maxBatchItems } from './service.js'
import type { BatchService } from './service.js'

const Counts = Type.Object({
  total: Type.Integer(),
  queued: Type.Integer(),
  running: Type.Integer(),
  succeeded: Type.Integer(),
  failed: Type.Integer(),
  cancelled: Type.Integer(),
})

const BatchSchema = Type.Object(
  {
    id: Type.String(),
    mode: Type.Enum(['parallel', 'sequential']),
    status: Type.Enum(['running', 'completed', 'cancelled']),
    concurrency: Type.Integer(),
    counts: Counts,
    correlationId: Type.String(),
    createdAt: Timestamp,
    finishedAt: NullableTimestamp,
  },
  { $id: 'Batch', title: 'Batch' },
)

const Item = Type.Object(
  {
    action: Type.String({ minLength: 1, maxLength: 200, description: '`tool.action`.' }),
    credentialId: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 100 }), Type.Null()])),
    input: Type.Optional(Type.Unknown()),
    transform: Type.Optional(
      Type.Object(
        {
          input: Type.Optional(Type.String({ minLength: 1, maxLength: 10_000 })),
          output: Type.Optional(Type.String({ minLength: 1, maxLength: 10_000 })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
)

export function registerBatchRoutes(app: App, deps: { batches: BatchService }): void {
  const { batches } = deps
  app.addSchema(BatchSchema)
  const batchRef = Type.Ref('Batch')
  const idParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) })

  app.post(
    '/v1/batches',
    {
      config: { auth: { scope: 'executions:write' } },
      bodyLimit: 10 * 1024 * 1024,
      schema: {
        tags: ['batches'],
        summary: 'Submit a batch',
        description: `Up to ${maxBatchItems} executions at once, run asynchronously. \`parallel\` runs up to \`concurrency\` items at a time (default ${defaultBatchConcurrency}); \`sequential\` runs them in order, and an item's input transformation can read earlier items' outputs as \`$items\` (null for an item that did not succeed). An item that is invalid (unknown action, input that does not fit the schema) is recorded as a failed execution; it never fails the batch. Answers 202 with the batch and a \`Location\`.`,
        body: Type.Object(
          {
            items: Type.Array(Item, { minItems: 1, maxItems: maxBatchItems }),
            mode: Type.Optional(Type.Enum(['parallel', 'sequential'], { default: 'parallel' })),
            concurrency: Type.Optional(Type.Integer({ minimum: 1, maximum: maxBatchConcurrency })),
          },
          { additionalProperties: false },
        ),
        response: { 202: batchRef, 400: problemRef },
      },
    },
    async (request, reply) => {
      const batch = await batches.submit(callerOf(request).workspaceId, request.body, {
        correlationId: request.id,
      })
      void reply.header('Location', `/v1/batches/${batch.id}`)
      return reply.code(202).send(batch)
    },
  )

  app.get(
    '/v1/batches',
    {
      config: { auth: { scope: 'executions:read' } },
      schema: {
        tags: ['batches'],
        summary: 'List batches',
        description: 'Newest first, with their counts.',
        querystring: Type.Object({ ...PageQuery }),
        response: { 200: PageOf(batchRef), 400: problemRef },
      },
    },
    async (request) => batches.list(callerOf(request).workspaceId, pageRequest(request.query)),
  )

  app.get(
    '/v1/batches/:id',
    {
      config: { auth: { scope: 'executions:read' } },
      schema: {
        tags: ['batches'],
        summary: 'A batch',
        description: 'Status and counts per item status.',
        params: idParams,
        response: { 200: batchRef, 404: problemRef },
      },
    },
    async (request) => batches.get(callerOf(request).workspaceId, request.params.id),
  )

  app.get(
    '/v1/batches/:id/items',
    {
      config: { auth: { scope: 'executions:read' } },
      schema: {
        tags: ['batches'],
        summary: 'A batch’s items',
        description: 'Each item’s execution, in submission order.',
        params: idParams,
        querystring: Type.Object({ ...PageQuery }),
        response: { 200: PageOf(Type.Ref('Execution')), 400: problemRef, 404: problemRef },
      },
    },
    async (request) =>
      batches.items(callerOf(request).workspaceId, request.params.id, pageRequest(request.query)),
  )

  app.post(
    '/v1/batches/:id/cancel',
    {
      config: { auth: { scope: 'executions:write' } },
      schema: {
        tags: ['batches'],
        summary: 'Cancel a batch',
        description: 'Cancels every item not yet finished; the batch ends `cancelled`.',
        params: idParams,
        response: { 200: batchRef, 404: problemRef, 409: problemRef },
      },
    },
    async (request) => batches.cancel(callerOf(request).workspaceId, request.params.id),
  )
}
