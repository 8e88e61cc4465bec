import type { FastifyReply } from 'fastify'
import type { AuthContext } from '../auth/context.js'
import { parseRateLimit } from '../config.js'
import type { RateLimit } from '../config.js'
import { AppError } from '../errors.js'
import type { App } from '../http/app-types.js'
import type { RateLimitDecision, RateLimitPolicy, RateLimiter } from '../infra/rate-limiter.js'
import { rateLimitFields, retryAfterSeconds } from './headers.js'
import type { RateLimitMetrics } from './metrics.js'

/** How long a workspace's own API limit is remembered before it is read again (a PATCH shows within this). */
export const workspaceLimitTtlMs = 5_000

function policyOf(limit: RateLimit): RateLimitPolicy {
  return { name: 'api', perSecond: limit.perSecond, burst: limit.burst }
}

/** `100 a second`, `30 a minute`, `5 an hour`: a refill rate as people say it. */
export function describeRate(perSecond: number): string {
  const round = (n: number) => String(Math.round(n * 100) / 100)
  if (perSecond >= 1) return `${round(perSecond)} a second`
  if (perSecond * 60 >= 1) return `${round(perSecond * 60)} a minute`
  return `${round(perSecond * 3600)} an hour`
}

/** The bucket a caller draws from: its API key, or the signed-in user. */
function bucketOf(caller: AuthContext): string {
  return caller.principal.type === 'api_key'
    ? `api:key:${caller.principal.apiKeyId}`
    : `api:user:${caller.principal.userId}`
}

function setHeaders(reply: FastifyReply, decision: RateLimitDecision): void {
  for (const [name, value] of Object.entries(rateLimitFields([decision]))) void reply.header(name, value)
}

/**
 * The per-API-key limit (SPEC §8): a token bucket per key — or per user for the UI's sessions —
 * from the key's own limit, else the workspace's, else `TOOLPLANE_API_RATE_LIMIT`. Every
 * authenticated response carries the IETF `RateLimit-Policy` and `RateLimit` fields; a refusal is a
 * 429 `rate_limited` problem with `Retry-After`, before the route reads the body.
 *
 * Registered after authentication, whose `onRequest` hook sets the caller.
 *
 * @example
 * const apiLimits = registerApiRateLimit(app, { limiter, defaultLimit: config.apiRateLimit, workspaceLimit, metrics, clock: Date.now })
 */
export function registerApiRateLimit(
  app: App,
  deps: {
    readonly limiter: RateLimiter
    readonly defaultLimit: RateLimit
    /** The workspace's own limit expression, or null for the server default. */
    readonly workspaceLimit: (workspaceId: string) => Promise<string | null>
    readonly metrics: RateLimitMetrics
    readonly clock: () => number
  },
): { forget(workspaceId: string): void } {
  const parsed = new Map<string, RateLimitPolicy>()
  const defaultPolicy = policyOf(deps.defaultLimit)
  const policyFor = (expression: string | null | undefined): RateLimitPolicy | null => {
    if (expression === null || expression === undefined) return null
    let policy = parsed.get(expression)
    if (policy === undefined) {
      const limit = parseRateLimit(expression)
      if (limit === null) return null
      policy = policyOf(limit)
      if (parsed.size > 1000) parsed.clear()
      parsed.set(expression, policy)
    }
    return policy
  }

  const workspaceLimits = new Map<string, { expression: string | null; until: number }>()
  async function workspacePolicy(workspaceId: string): Promise<RateLimitPolicy | null> {
    const now = deps.clock()
    let cached = workspaceLimits.get(workspaceId)
    if (cached === undefined || cached.until <= now) {
      cached = { expression: await deps.workspaceLimit(workspaceId), until: now + workspaceLimitTtlMs }
      if (workspaceLimits.size > 10_000) workspaceLimits.clear()
      workspaceLimits.set(workspaceId, cached)
    }
    return policyFor(cached.expression)
  }

  app.addHook('onRequest', async (request, reply) => {
    // Only routes that authenticate draw from a bucket (the same test as the authentication hook's).
    const declared = request.routeOptions.config.auth
    if (declared === undefined || declared === 'public') return
    const caller = request.caller
    if (caller === null) return
    const own = caller.principal.type === 'api_key' ? policyFor(caller.principal.rateLimit) : null
    const policy = own ?? (await workspacePolicy(caller.workspaceId)) ?? defaultPolicy
    const decision = await deps.limiter.take(bucketOf(caller), policy)
    if (decision.allowed) {
      setHeaders(reply, decision)
      return
    }
    deps.metrics.inc('api')
    const seconds = retryAfterSeconds(decision.retryAfterMs)
    const who = caller.principal.type === 'api_key' ? 'This API key' : 'Your session'
    throw new AppError(
      'rate_limited',
      `${who} may make ${String(policy.burst)} requests at once and ${describeRate(policy.perSecond)} after that; retry in ${String(seconds)} s.`,
      { headers: rateLimitFields([decision]) },
    )
  })

  return {
    /** Drops a workspace's remembered limit (its admin just changed it). */
    forget(workspaceId: string): void {
      workspaceLimits.delete(workspaceId)
    },
  }
}
