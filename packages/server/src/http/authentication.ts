import type { FastifyRequest } from 'fastify'
import type { ApiKeyService } from '../api-keys/service.js'
import type { AuthContext } from '../auth/context.js'
import { grants } from '../auth/scopes.js'
import type { AuthService } from '../auth/service.js'
import { AppError } from '../errors.js'
import { problemRef } from './schemas.js'
import type { App, RouteAuth } from './app-types.js'

export const sessionCookie = 'toolplane_session'
export const csrfHeader = 'x-csrf-token'
const safeMethods = new Set(['GET', 'HEAD', 'OPTIONS'])

/**
 * Authentication and authorization for every route, by declaration: each `/v1` route states in
 * `config.auth` who may call it, registration fails when it does not, and one `onRequest` hook
 * enforces it before the body is even read. The same declaration feeds the OpenAPI `security`.
 */
export function registerAuthentication(
  app: App,
  deps: { auth: AuthService; apiKeys: ApiKeyService },
): readonly DeclaredRoute[] {
  app.decorateRequest('caller', null)
  const declaredRoutes: DeclaredRoute[] = []

  app.addHook('onRoute', (route) => {
    const declared = route.config?.auth
    if (declared !== undefined && route.method !== 'HEAD') {
      for (const method of [route.method].flat())
        declaredRoutes.push({ method, url: route.url, auth: declared })
    }
    if (route.url.startsWith('/v1') && declared === undefined) {
      throw new Error(`route ${String(route.method)} ${route.url} does not declare config.auth`)
    }
    if (declared === undefined || declared === 'public') return
    const scope = declared.scope === null ? 'any authenticated caller' : `scope \`${declared.scope}\``
    route.schema = {
      ...route.schema,
      security: [{ apiKey: [] }, { session: [] }],
      description: `${route.schema?.description ?? ''}\n\nRequires ${scope}.`.trim(),
      response: {
        401: problemRef,
        403: problemRef,
        ...(route.schema?.response as Record<string, unknown> | undefined),
      },
    }
  })

  app.addHook('onRequest', async (request) => {
    const declared = request.routeOptions.config.auth
    if (declared === undefined || declared === 'public') return
    const caller = await authenticate(request, deps)
    if (declared.scope !== null && !grants(caller.scopes, declared.scope)) {
      throw new AppError(
        'forbidden',
        `This operation needs the \`${declared.scope}\` scope; the caller has ${caller.scopes.length === 0 ? 'none' : caller.scopes.map((s) => `\`${s}\``).join(', ')}.`,
      )
    }
    request.caller = caller
  })
  return declaredRoutes
}

/** A route and who may call it, as registered; tests walk this list to check every route's access. */
export interface DeclaredRoute {
  readonly method: string
  readonly url: string
  readonly auth: RouteAuth
}

async function authenticate(
  request: FastifyRequest,
  deps: { auth: AuthService; apiKeys: ApiKeyService },
): Promise<AuthContext> {
  const header = request.headers.authorization
  if (header !== undefined) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header)
    if (match?.[1] === undefined) {
      throw new AppError('unauthenticated', 'The Authorization header must be `Bearer <api key>`.')
    }
    const caller = await deps.apiKeys.authenticate(match[1])
    if (caller === null)
      throw new AppError('unauthenticated', 'The API key is not valid or has been revoked.')
    return caller
  }
  const token = request.cookies[sessionCookie]
  if (token !== undefined && token !== '') {
    const caller = await deps.auth.authenticate(token)
    if (caller?.principal.type !== 'user') {
      throw new AppError('unauthenticated', 'Your session has expired or was ended; sign in again.')
    }
    if (!safeMethods.has(request.method)) {
      const presented = request.headers[csrfHeader]
      if (
        !deps.auth.checkCsrf(
          caller.principal.sessionId,
          typeof presented === 'string' ? presented : undefined,
        )
      ) {
        throw new AppError(
          'csrf_failed',
          'Send the session’s CSRF token in the X-CSRF-Token header (it is returned by sign-in and GET /v1/me).',
        )
      }
    }
    return caller
  }
  throw new AppError('unauthenticated', 'Send `Authorization: Bearer <api key>`, or sign in.')
}

/** The authenticated caller of a route that declared `auth`; never null there. */
export function callerOf(request: FastifyRequest): AuthContext {
  if (request.caller === null) throw new Error('callerOf() used on a route without auth')
  return request.caller
}

/** What the OAuth callback needs to recognise a signed-in user without requiring one. */
export interface SessionAuthenticator {
  authenticate(token: string): Promise<AuthContext | null>
}

/** The session user of a public route's request, when there is one; never throws. */
export async function optionalSessionCaller(
  request: FastifyRequest,
  sessions: SessionAuthenticator,
): Promise<AuthContext | null> {
  const token = request.cookies[sessionCookie]
  if (token === undefined || token === '') return null
  return sessions.authenticate(token)
}
