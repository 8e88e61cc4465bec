import type { FastifyReply } from 'fastify'
import { Type } from 'typebox'
import type { Config } from '../config.js'
import { AppError } from '../errors.js'
import type { App } from '../http/app-types.js'
import { callerOf, sessionCookie } from '../http/authentication.js'
import { ScopeSchema, Timestamp, isoTime, problemRef } from '../http/schemas.js'
import type { WorkspaceService } from '../workspaces/service.js'
import type { AuthService, NewSession } from './service.js'

const ScopeList = Type.Array(ScopeSchema)

const SessionResponse = Type.Object({
  user: Type.Object({
    id: Type.String(),
    email: Type.String(),
    name: Type.Union([Type.String(), Type.Null()]),
  }),
  workspace: Type.Object({ id: Type.String(), slug: Type.String(), name: Type.String() }),
  role: Type.String(),
  scopes: ScopeList,
  csrfToken: Type.String({
    description: 'Send as `X-CSRF-Token` on every state-changing request of this session.',
  }),
  expiresAt: Timestamp,
})

const MeResponse = Type.Object({
  workspace: Type.Object({ id: Type.String(), slug: Type.String(), name: Type.String() }),
  scopes: ScopeList,
  principal: Type.Union([
    Type.Object({
      type: Type.Literal('api_key'),
      id: Type.String(),
      name: Type.String(),
      prefix: Type.String(),
    }),
    Type.Object({
      type: Type.Literal('user'),
      id: Type.String(),
      email: Type.String(),
      name: Type.Union([Type.String(), Type.Null()]),
      role: Type.String(),
      hasPassword: Type.Boolean(),
    }),
  ]),
  csrfToken: Type.Optional(Type.String({ description: 'Present for session callers.' })),
})

export function registerAuthRoutes(
  app: App,
  deps: { auth: AuthService; workspaces: WorkspaceService; config: Config },
): void {
  const { auth, workspaces, config } = deps
  const secure = config.publicUrl.startsWith('https://')

  const setSessionCookie = (reply: FastifyReply, session: NewSession) =>
    reply.setCookie(sessionCookie, session.token, {
      httpOnly: true,
      sameSite: 'lax',
      secure,
      path: '/',
      expires: new Date(session.expiresAt),
    })

  const sessionBody = async (session: NewSession) => {
    const workspace = await workspaces.get(session.workspaceId)
    const caller = await auth.authenticate(session.token)
    return {
      user: { id: session.user.id, email: session.user.email, name: session.user.name },
      workspace: { id: workspace.id, slug: workspace.slug, name: workspace.name },
      role: session.role,
      scopes: caller?.scopes ?? [],
      csrfToken: session.csrfToken,
      expiresAt: isoTime(session.expiresAt),
    }
  }

  app.post(
    '/v1/auth/login',
    {
      config: { auth: 'public' },
      schema: {
        tags: ['auth'],
        summary: 'Sign in',
        description:
          'Signs in with email and password and sets an HTTP-only session cookie. The response carries the CSRF token to send as `X-CSRF-Token` on state-changing requests.',
        body: Type.Object(
          {
            email: Type.String({ minLength: 3, maxLength: 320 }),
            password: Type.String({ minLength: 1, maxLength: 1024 }),
            workspace: Type.Optional(
              Type.String({ description: 'Workspace slug; defaults to the first membership.' }),
            ),
          },
          { additionalProperties: false },
        ),
        response: { 200: SessionResponse, 400: problemRef, 401: problemRef, 403: problemRef },
      },
    },
    async (request, reply) => {
      const session = await auth.login({ ...request.body, userAgent: request.headers['user-agent'] ?? null })
      setSessionCookie(reply, session)
      return sessionBody(session)
    },
  )

  app.get(
    '/v1/auth/link',
    {
      config: { auth: 'public' },
      schema: {
        tags: ['auth'],
        summary: 'Sign in with a one-time link',
        description:
          'Uses a one-time sign-in link (printed at first start, or made by `toolplane admin sign-in-link`), sets the session cookie and redirects to the UI.',
        querystring: Type.Object({ token: Type.String({ minLength: 1 }) }),
        response: { 303: Type.Null(), 401: problemRef },
      },
    },
    async (request, reply) => {
      const session = await auth.signInWithLink(request.query.token, request.headers['user-agent'] ?? null)
      setSessionCookie(reply, session)
      return reply.redirect('/', 303)
    },
  )

  app.post(
    '/v1/auth/logout',
    {
      config: { auth: { scope: null } },
      schema: {
        tags: ['auth'],
        summary: 'Sign out',
        description:
          'Ends this session, or with `?everywhere=true` every session of the user on every device.',
        querystring: Type.Object(
          {
            everywhere: Type.Optional(
              Type.Boolean({ default: false, description: 'End every session of the user.' }),
            ),
          },
          { additionalProperties: false },
        ),
        response: { 204: Type.Null(), 400: problemRef },
      },
    },
    async (request, reply) => {
      await auth.logout(callerOf(request), request.query.everywhere ?? false)
      void reply.clearCookie(sessionCookie, { path: '/' })
      return reply.code(204).send(null)
    },
  )

  app.get(
    '/v1/me',
    {
      config: { auth: { scope: null } },
      schema: {
        tags: ['auth'],
        summary: 'The caller',
        description: 'Who is calling: the API key or signed-in user, the workspace and the scopes in force.',
        response: { 200: MeResponse },
      },
    },
    async (request) => {
      const caller = callerOf(request)
      const workspace = await workspaces.get(caller.workspaceId)
      const base = {
        workspace: { id: workspace.id, slug: workspace.slug, name: workspace.name },
        scopes: [...caller.scopes],
      }
      const principal = caller.principal
      if (principal.type === 'api_key') {
        return {
          ...base,
          principal: {
            type: 'api_key' as const,
            id: principal.apiKeyId,
            name: principal.name,
            prefix: principal.prefix,
          },
        }
      }
      const user = await auth.getUser(principal.userId)
      return {
        ...base,
        principal: {
          type: 'user' as const,
          id: user.id,
          email: user.email,
          name: user.name,
          role: principal.role,
          hasPassword: user.hasPassword,
        },
        csrfToken: auth.csrfTokenFor(principal.sessionId),
      }
    },
  )

  app.post(
    '/v1/me/password',
    {
      config: { auth: { scope: null } },
      schema: {
        tags: ['auth'],
        summary: 'Change password',
        description:
          'Sets the signed-in user’s password. `currentPassword` is required when one is already set (an owner created with a one-time link has none).',
        body: Type.Object(
          {
            currentPassword: Type.Optional(Type.String({ maxLength: 1024 })),
            newPassword: Type.String({ minLength: 1, maxLength: 1024 }),
          },
          { additionalProperties: false },
        ),
        response: { 204: Type.Null(), 400: problemRef },
      },
    },
    async (request, reply) => {
      const caller = callerOf(request)
      if (caller.principal.type !== 'user') {
        throw new AppError('validation_error', 'Only a signed-in user has a password; API keys do not.')
      }
      await auth.changePassword(
        caller.principal.userId,
        request.body.currentPassword,
        request.body.newPassword,
      )
      return reply.code(204).send(null)
    },
  )
}
