import { Type } from 'typebox'
import { pageRequest } from '../db/pagination.js'
import type { App } from '../http/app-types.js'
import { callerOf } from '../http/authentication.js'
import {
  NullableTimestamp,
  PageOf,
  PageQuery,
  ScopeSchema,
  Timestamp,
  isoTime,
  problemRef,
} from '../http/schemas.js'
import type { ApiKey, ApiKeyService } from './service.js'

const ApiKeySchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    scopes: Type.Array(ScopeSchema),
    prefix: Type.String({
      description: 'The first characters of the key, to recognise it; never enough to use it.',
    }),
    rateLimit: Type.Union([Type.String(), Type.Null()], {
      description: 'Per-key limit overriding the workspace’s.',
    }),
    lastUsedAt: NullableTimestamp,
    createdAt: Timestamp,
  },
  { $id: 'ApiKey', title: 'ApiKey' },
)

const view = (key: ApiKey) => ({
  ...key,
  lastUsedAt: isoTime(key.lastUsedAt),
  createdAt: isoTime(key.createdAt),
})

export function registerApiKeyRoutes(app: App, deps: { apiKeys: ApiKeyService }): void {
  const { apiKeys } = deps
  app.addSchema(ApiKeySchema)
  const apiKeyRef = Type.Ref('ApiKey')

  app.get(
    '/v1/api-keys',
    {
      config: { auth: { scope: 'admin' } },
      schema: {
        tags: ['api-keys'],
        summary: 'List API keys',
        description: 'Active API keys of the workspace, newest first. Secrets are never returned.',
        querystring: Type.Object(PageQuery),
        response: { 200: PageOf(apiKeyRef), 400: problemRef },
      },
    },
    async (request) => {
      const page = await apiKeys.list(callerOf(request).workspaceId, pageRequest(request.query))
      return { data: page.data.map(view), nextCursor: page.nextCursor }
    },
  )

  app.post(
    '/v1/api-keys',
    {
      config: { auth: { scope: 'admin' } },
      schema: {
        tags: ['api-keys'],
        summary: 'Create an API key',
        description:
          'Creates a key. The `key` field of this response is the only time the secret is shown: store it now.',
        body: Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 100 }),
            scopes: Type.Array(ScopeSchema, { minItems: 1, uniqueItems: true }),
            rateLimit: Type.Optional(
              Type.Union([Type.String({ examples: ['10/s,burst=20'] }), Type.Null()], {
                description: 'Overrides the workspace’s per-key limit, e.g. "10/s,burst=20".',
              }),
            ),
          },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Intersect([
            apiKeyRef,
            Type.Object({ key: Type.String({ description: 'The secret, shown once.' }) }),
          ]),
          400: problemRef,
        },
      },
    },
    async (request, reply) => {
      const { apiKey, key } = await apiKeys.create(callerOf(request).workspaceId, request.body)
      return reply.code(201).send({ ...view(apiKey), key })
    },
  )

  app.delete(
    '/v1/api-keys/:id',
    {
      config: { auth: { scope: 'admin' } },
      schema: {
        tags: ['api-keys'],
        summary: 'Revoke an API key',
        description: 'Revokes the key at once: its next request is refused with 401.',
        params: Type.Object({ id: Type.String() }),
        response: { 204: Type.Null(), 404: problemRef },
      },
    },
    async (request, reply) => {
      await apiKeys.revoke(callerOf(request).workspaceId, request.params.id)
      return reply.code(204).send(null)
    },
  )
}
