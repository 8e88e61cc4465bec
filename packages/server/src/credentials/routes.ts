import { Type } from 'typebox'
import { pageRequest } from '../db/pagination.js'
import type { App } from '../http/app-types.js'
import { callerOf } from '../http/authentication.js'
import { NullableTimestamp, PageOf, PageQuery, Timestamp, isoTime, problemRef } from '../http/schemas.js'
import type { HealthCheckResult } from '@toolplane/sdk'
import type { Diagnosis } from './diagnose.js'
import type { OAuthConnections } from './oauth-connections.js'
import { credentialStatuses } from './service.js'
import type { Credential, CredentialService } from './service.js'

const CredentialSchema = Type.Object(
  {
    id: Type.String(),
    tool: Type.String(),
    name: Type.String(),
    authMethod: Type.String(),
    externalUserId: Type.Union([Type.String(), Type.Null()], {
      description: 'The end user of your product it belongs to.',
    }),
    baseUrl: Type.Union([Type.String(), Type.Null()], {
      description: 'Overrides the tool’s base URL for this credential.',
    }),
    status: Type.Enum(credentialStatuses),
    statusReason: Type.Union([Type.String(), Type.Null()]),
    lastCheckedAt: NullableTimestamp,
    lastUsedAt: NullableTimestamp,
    expiresAt: NullableTimestamp,
    fields: Type.Record(
      Type.String(),
      Type.Object({ set: Type.Boolean(), hint: Type.Union([Type.String(), Type.Null()]) }),
      {
        description:
          'Per secret field: whether it is set, and a masked hint (at most the last 4 characters of long values).',
      },
    ),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { $id: 'Credential', title: 'Credential' },
)

const Secrets = Type.Record(Type.String(), Type.Unknown(), {
  description: 'The auth method’s secret fields (see the tool’s `authMethods[].fields`). Never returned.',
})
const BaseUrl = Type.Union([Type.String({ format: 'uri', pattern: '^https?://' }), Type.Null()])

/** A credential as the API renders it (times as ISO strings). */
export const credentialView = (c: Credential) => ({
  ...c,
  lastCheckedAt: isoTime(c.lastCheckedAt),
  lastUsedAt: isoTime(c.lastUsedAt),
  expiresAt: isoTime(c.expiresAt),
  createdAt: isoTime(c.createdAt),
  updatedAt: isoTime(c.updatedAt),
})

export function registerCredentialRoutes(
  app: App,
  deps: {
    credentials: CredentialService
    connections: OAuthConnections
    check: (workspaceId: string, id: string) => Promise<{ credential: Credential; result: HealthCheckResult }>
    diagnose: (workspaceId: string, id: string) => Promise<Diagnosis>
  },
): void {
  const { credentials, connections } = deps
  app.addSchema(CredentialSchema)
  const credentialRef = Type.Ref('Credential')
  const idParams = Type.Object({ id: Type.String() })

  app.get(
    '/v1/credentials',
    {
      config: { auth: { scope: 'credentials:read' } },
      schema: {
        tags: ['credentials'],
        summary: 'List credentials',
        description:
          'The workspace’s credentials, newest first, never with secrets. Filter by `externalUserId` or `tool`.',
        querystring: Type.Object({
          externalUserId: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
          tool: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
          ...PageQuery,
        }),
        response: { 200: PageOf(credentialRef), 400: problemRef },
      },
    },
    async (request) => {
      const { externalUserId, tool } = request.query
      const page = await credentials.list(
        callerOf(request).workspaceId,
        {
          ...(externalUserId === undefined ? {} : { externalUserId }),
          ...(tool === undefined ? {} : { tool }),
        },
        pageRequest(request.query),
      )
      return { data: page.data.map(credentialView), nextCursor: page.nextCursor }
    },
  )

  app.post(
    '/v1/credentials',
    {
      config: { auth: { scope: 'credentials:write' } },
      schema: {
        tags: ['credentials'],
        summary: 'Create a credential',
        description:
          'Stores a connection to a tool. `secrets` must fit the auth method’s fields; they are encrypted at once and never returned — the response shows which fields are set, with masked hints.',
        body: Type.Object(
          {
            tool: Type.String({ minLength: 1, maxLength: 100 }),
            name: Type.String({ minLength: 1, maxLength: 200 }),
            authMethod: Type.String({ minLength: 1, maxLength: 100 }),
            secrets: Secrets,
            externalUserId: Type.Optional(
              Type.Union([Type.String({ minLength: 1, maxLength: 200 }), Type.Null()]),
            ),
            baseUrl: Type.Optional(BaseUrl),
          },
          { additionalProperties: false },
        ),
        response: { 201: credentialRef, 400: problemRef },
      },
    },
    async (request, reply) => {
      const created = await credentials.create(callerOf(request).workspaceId, request.body)
      return reply.code(201).send(credentialView(created))
    },
  )

  app.get(
    '/v1/credentials/:id',
    {
      config: { auth: { scope: 'credentials:read' } },
      schema: {
        tags: ['credentials'],
        summary: 'A credential',
        params: idParams,
        response: { 200: credentialRef, 404: problemRef },
      },
    },
    async (request) =>
      credentialView(await credentials.get(callerOf(request).workspaceId, request.params.id)),
  )

  app.patch(
    '/v1/credentials/:id',
    {
      config: { auth: { scope: 'credentials:write' } },
      schema: {
        tags: ['credentials'],
        summary: 'Update a credential',
        description:
          'Renames it, points it at another base URL, or changes secrets: the fields given replace the stored ones (null removes a field), the others are kept. New secrets are re-encrypted under a fresh data key and the status becomes `unchecked`.',
        params: idParams,
        body: Type.Object(
          {
            name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
            secrets: Type.Optional(Secrets),
            baseUrl: Type.Optional(BaseUrl),
          },
          { additionalProperties: false, minProperties: 1 },
        ),
        response: { 200: credentialRef, 400: problemRef, 404: problemRef },
      },
    },
    async (request) =>
      credentialView(
        await credentials.update(callerOf(request).workspaceId, request.params.id, request.body),
      ),
  )

  app.delete(
    '/v1/credentials/:id',
    {
      config: { auth: { scope: 'credentials:write' } },
      schema: {
        tags: ['credentials'],
        summary: 'Delete a credential',
        description:
          'Deletes it and its encrypted secrets. OAuth tokens are revoked at the provider first where the provider supports revocation; a failed revocation is logged and does not stop the deletion.',
        params: idParams,
        response: { 204: Type.Null(), 404: problemRef },
      },
    },
    async (request, reply) => {
      const { workspaceId } = callerOf(request)
      await credentials.get(workspaceId, request.params.id)
      const revocation = await connections.revoke(workspaceId, request.params.id)
      if (revocation.error !== undefined) {
        request.log.warn(
          { credentialId: request.params.id, error: revocation.error },
          'token revocation failed',
        )
      }
      await credentials.remove(workspaceId, request.params.id)
      return reply.code(204).send(null)
    },
  )

  app.post(
    '/v1/credentials/:id/check',
    {
      config: { auth: { scope: 'credentials:write' } },
      schema: {
        tags: ['credentials'],
        summary: 'Check a credential now',
        description:
          'Runs the tool’s health check with the credential (refreshing an expiring OAuth token first) and records the outcome as its status: `healthy`, `invalid` (rejected), `expired`, or `degraded` (reachable problems).',
        params: idParams,
        response: {
          200: Type.Object({
            credential: credentialRef,
            check: Type.Object({
              ok: Type.Boolean(),
              checked: Type.Boolean({ description: 'False when the tool has no health check.' }),
              detail: Type.Optional(Type.String()),
              errorClass: Type.Optional(Type.String()),
              durationMs: Type.Number(),
            }),
          }),
          404: problemRef,
        },
      },
    },
    async (request) => {
      const { credential, result } = await deps.check(callerOf(request).workspaceId, request.params.id)
      return {
        credential: credentialView(credential),
        check: { ...result, durationMs: Math.round(result.durationMs) },
      }
    },
  )

  app.get(
    '/v1/credentials/:id/diagnose',
    {
      config: { auth: { scope: 'credentials:write' } },
      schema: {
        tags: ['credentials'],
        summary: 'Troubleshoot a credential',
        description:
          'Runs the ordered checks — secrets present, not expired, refresh works, scopes cover the tool’s actions, DNS, TCP, TLS, clock skew, health check — each with `pass`, `fail` or `skip`, what was seen, and the fix. Needs `credentials:write` because it may refresh an OAuth token.',
        params: idParams,
        response: {
          200: Type.Object({
            ok: Type.Boolean(),
            checks: Type.Array(
              Type.Object({
                id: Type.String(),
                title: Type.String(),
                status: Type.Enum(['pass', 'fail', 'skip']),
                observed: Type.String(),
                fix: Type.Union([Type.String(), Type.Null()]),
                durationMs: Type.Number(),
              }),
            ),
          }),
          404: problemRef,
        },
      },
    },
    async (request) => {
      const diagnosis = await deps.diagnose(callerOf(request).workspaceId, request.params.id)
      return {
        ok: diagnosis.ok,
        checks: diagnosis.checks.map((c) => ({ ...c, durationMs: Math.round(c.durationMs) })),
      }
    },
  )

  app.get(
    '/v1/credentials/:id/status-history',
    {
      config: { auth: { scope: 'credentials:read' } },
      schema: {
        tags: ['credentials'],
        summary: 'Status history',
        description:
          'Every status change of the credential with its time and reason, newest first (up to 50).',
        params: idParams,
        response: {
          200: Type.Object({
            data: Type.Array(
              Type.Object({
                status: Type.String(),
                reason: Type.Union([Type.String(), Type.Null()]),
                at: Timestamp,
              }),
            ),
          }),
          404: problemRef,
        },
      },
    },
    async (request) => {
      const history = await credentials.statusHistory(callerOf(request).workspaceId, request.params.id)
      return { data: history.map((h) => ({ ...h, at: isoTime(h.at) })) }
    },
  )
}
