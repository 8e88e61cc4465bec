import { Type } from 'typebox'
import type { App } from '../http/app-types.js'
import { callerOf } from '../http/authentication.js'
import { Timestamp, isoTime, problemRef } from '../http/schemas.js'
import type { Workspace, WorkspaceService } from './service.js'

const WorkspaceSchema = Type.Object(
  {
    id: Type.String(),
    slug: Type.String(),
    name: Type.String(),
    monthlyExecutionQuota: Type.Union([Type.Integer(), Type.Null()], {
      description: 'Null means unlimited.',
    }),
    apiRateLimit: Type.String({ description: 'Per-API-key limit in force, e.g. "100/s,burst=200".' }),
    apiRateLimitIsDefault: Type.Boolean({ description: 'True when the server default applies.' }),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { $id: 'Workspace', title: 'Workspace' },
)

const view = (workspace: Workspace) => ({
  ...workspace,
  createdAt: isoTime(workspace.createdAt),
  updatedAt: isoTime(workspace.updatedAt),
})

export function registerWorkspaceRoutes(
  app: App,
  deps: {
    workspaces: WorkspaceService
    /** Told after a workspace's settings change (the API limit's cache forgets it). */
    onUpdated?: (workspaceId: string) => void
  },
): void {
  const { workspaces } = deps
  app.addSchema(WorkspaceSchema)
  const workspaceRef = Type.Ref('Workspace')

  app.get(
    '/v1/workspace',
    {
      config: { auth: { scope: null } },
      schema: {
        tags: ['workspace'],
        summary: 'The caller’s workspace',
        response: { 200: workspaceRef },
      },
    },
    async (request) => view(await workspaces.get(callerOf(request).workspaceId)),
  )

  app.patch(
    '/v1/workspace',
    {
      config: { auth: { scope: 'admin' } },
      schema: {
        tags: ['workspace'],
        summary: 'Update the workspace',
        description:
          'Changes the name, the monthly execution quota (null = unlimited) or the per-key API rate limit (null = server default).',
        body: Type.Object(
          {
            name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
            monthlyExecutionQuota: Type.Optional(Type.Union([Type.Integer({ minimum: 0 }), Type.Null()])),
            apiRateLimit: Type.Optional(
              Type.Union([Type.String({ examples: ['100/s,burst=200'] }), Type.Null()]),
            ),
          },
          { additionalProperties: false, minProperties: 1 },
        ),
        response: { 200: workspaceRef, 400: problemRef },
      },
    },
    async (request) => {
      const workspaceId = callerOf(request).workspaceId
      const updated = await workspaces.update(workspaceId, request.body)
      deps.onUpdated?.(workspaceId)
      return view(updated)
    },
  )
}
