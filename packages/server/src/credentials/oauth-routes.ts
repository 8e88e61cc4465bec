import type { FastifyReply } from 'fastify'
import { Type } from 'typebox'
import type { App } from '../http/app-types.js'
import { callerOf, optionalSessionCaller } from '../http/authentication.js'
import type { SessionAuthenticator } from '../http/authentication.js'
import { Timestamp, isoTime, problemRef } from '../http/schemas.js'
import { OAuthCallbackFailure } from './oauth-connections.js'
import type { OAuthApp, OAuthConnections } from './oauth-connections.js'
import type { Credential } from './service.js'

const OAuthAppSchema = Type.Object(
  {
    tool: Type.String(),
    clientId: Type.String(),
    clientAuthMethod: Type.Enum(['client_secret_basic', 'client_secret_post']),
    scopes: Type.Union([Type.Array(Type.String()), Type.Null()], {
      description: 'Null: the tool’s default scopes.',
    }),
    redirectUri: Type.String({ description: 'Register this redirect URI at the provider.' }),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { $id: 'OAuthApp', title: 'OAuthApp' },
)

const toolParams = Type.Object({ tool: Type.String() })

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

export function registerOAuthRoutes(
  app: App,
  deps: {
    connections: OAuthConnections
    sessions: SessionAuthenticator
    credentialView: (credential: Credential) => Record<string, unknown>
  },
): void {
  const { connections } = deps
  app.addSchema(OAuthAppSchema)
  const appView = (oauthApp: OAuthApp) => ({
    ...oauthApp,
    redirectUri: connections.redirectUri,
    createdAt: isoTime(oauthApp.createdAt),
    updatedAt: isoTime(oauthApp.updatedAt),
  })

  app.put(
    '/v1/oauth/:tool/app',
    {
      // Replacing the client breaks every credential of the tool's refreshes: an admin decision.
      config: { auth: { scope: 'admin' } },
      schema: {
        tags: ['oauth'],
        summary: 'Configure the OAuth app of a tool',
        description:
          'Saves the workspace’s OAuth client for a tool: the client id and secret you registered at the provider (with the `redirectUri` this returns), and optionally the scopes to request. The secret is encrypted and never returned; omit it to keep the stored one.',
        params: toolParams,
        body: Type.Object(
          {
            clientId: Type.String({ minLength: 1, maxLength: 500 }),
            clientSecret: Type.Optional(Type.String({ minLength: 1, maxLength: 2000 })),
            scopes: Type.Optional(Type.Union([Type.Array(Type.String({ minLength: 1 })), Type.Null()])),
            clientAuthMethod: Type.Optional(Type.Enum(['client_secret_basic', 'client_secret_post'])),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Ref('OAuthApp'), 201: Type.Ref('OAuthApp'), 400: problemRef },
      },
    },
    async (request, reply) => {
      const { app: saved, created } = await connections.saveApp(
        callerOf(request).workspaceId,
        request.params.tool,
        request.body,
      )
      return reply.code(created ? 201 : 200).send(appView(saved))
    },
  )

  app.get(
    '/v1/oauth/:tool/app',
    {
      config: { auth: { scope: 'credentials:read' } },
      schema: {
        tags: ['oauth'],
        summary: 'The OAuth app of a tool',
        params: toolParams,
        response: { 200: Type.Ref('OAuthApp'), 400: problemRef },
      },
    },
    async (request) => appView(await connections.getApp(callerOf(request).workspaceId, request.params.tool)),
  )

  app.post(
    '/v1/oauth/:tool/authorize',
    {
      config: { auth: { scope: 'credentials:write' } },
      schema: {
        tags: ['oauth'],
        summary: 'Start connecting an account',
        description:
          'Authorization code grant: returns the provider URL to open (PKCE S256; the state is single-use, expires in 10 minutes and is bound to this caller). The provider redirects to `/v1/oauth/callback`, which stores the credential. Client credentials grant (`authMethod` of that kind): fetches a token now and answers 201 with the credential.',
        params: toolParams,
        body: Type.Object(
          {
            name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
            externalUserId: Type.Optional(
              Type.Union([Type.String({ minLength: 1, maxLength: 200 }), Type.Null()]),
            ),
            scopes: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
            authMethod: Type.Optional(Type.String()),
            redirectTo: Type.Optional(
              Type.Union([
                Type.String({
                  description: 'Where to send the browser afterwards: a path or URL on this Toolplane.',
                }),
                Type.Null(),
              ]),
            ),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ url: Type.String(), expiresAt: Timestamp }),
          201: Type.Object({ credential: Type.Ref('Credential') }),
          400: problemRef,
        },
      },
    },
    async (request, reply) => {
      const result = await connections.authorize(callerOf(request), request.params.tool, request.body)
      if ('credential' in result)
        return reply.code(201).send({ credential: deps.credentialView(result.credential) })
      return reply.code(200).send({ url: result.url, expiresAt: isoTime(result.expiresAt) })
    },
  )

  app.get(
    '/v1/oauth/callback',
    {
      config: { auth: 'public' },
      schema: {
        tags: ['oauth'],
        summary: 'Finish connecting an account',
        description:
          'Where the provider sends the browser back. Checks the state, exchanges the code (with the PKCE verifier) and stores the credential, then redirects to the `redirectTo` given when the flow started (with `credentialId` added), or shows a short confirmation page. When the provider refused or the exchange failed, a flow started with `redirectTo` is sent there with `error` (the problem code) and `error_description` instead. `Accept: application/json` gets the credential (or the problem) as JSON.',
        querystring: Type.Object({}, { additionalProperties: true }),
        response: { 200: Type.Unknown(), 303: Type.Null(), 400: problemRef, 403: problemRef },
      },
    },
    async (request, reply: FastifyReply) => {
      const callbackUrl = new URL(request.url, connections.redirectUri)
      const session = await optionalSessionCaller(request, deps.sessions)
      let finished: Awaited<ReturnType<typeof connections.callback>>
      try {
        finished = await connections.callback(callbackUrl, session)
      } catch (error) {
        if (!(error instanceof OAuthCallbackFailure)) throw error
        if (request.headers.accept?.includes('application/json') === true) throw error.problem
        const target = new URL(error.redirectTo, connections.redirectUri)
        target.searchParams.set('error', error.problem.code)
        target.searchParams.set('error_description', error.problem.detail)
        return reply.redirect(target.toString(), 303)
      }
      const { credential, redirectTo } = finished
      if (redirectTo !== null) {
        const target = new URL(redirectTo, connections.redirectUri)
        target.searchParams.set('credentialId', credential.id)
        return reply.redirect(target.toString(), 303)
      }
      if (request.headers.accept?.includes('application/json') === true) {
        return reply.send({ credential: deps.credentialView(credential) })
      }
      return reply
        .type('text/html; charset=utf-8')
        .send(
          `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Connected</title></head><body><main><h1>Connected</h1><p>${escapeHtml(credential.name)} is connected to Toolplane. You can close this window.</p></main></body></html>`,
        )
    },
  )
}
