import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type {
  FastifyBaseLogger,
  FastifyInstance,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify'
import type { AuthContext } from '../auth/context.js'
import type { Scope } from '../auth/scopes.js'

/** Who may call a route: anyone, any authenticated caller (`scope: null`), or callers with a scope. */
export type RouteAuth = 'public' | { readonly scope: Scope | null }

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Required on every `/v1` route: registration fails without it, so no route is left open by a typo. */
    auth?: RouteAuth
  }
  interface FastifyRequest {
    /** The authenticated caller; null on public routes. */
    caller: AuthContext | null
  }
}

/** The Fastify instance every route module registers on: TypeBox-typed schemas. */
export type App = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>
