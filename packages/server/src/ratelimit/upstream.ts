import type { HttpExchange, RateLimitDeclaration, Tool } from '@toolplane/sdk'
import type { RateLimitPolicy, RateLimiter } from '../infra/rate-limiter.js'
import { upstreamSignal } from './upstream-signals.js'

/** Where an upstream call goes: the tool, the credential it uses, and the origin it reaches. */
export interface UpstreamTarget {
  readonly workspaceId: string
  readonly tool: Tool
  readonly action: string
  readonly credentialId: string | null
  /**
   * The origin the call reaches when the tool has no base URL of its own (the generic `http` tool):
   * two hosts called without a credential are two upstreams, not one.
   */
  readonly origin: string | null
}

/** Whether a call may go now, and if not, how long until it may. */
export type UpstreamAdmission =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly retryAfterMs: number; readonly reason: string }

// A bucket that never runs dry: takes on it only report the provider's block on the key.
const unlimited: RateLimitPolicy = { name: 'upstream', perSecond: 1_000_000, burst: 1_000_000 }

function policyOf(declaration: RateLimitDeclaration, index: number): RateLimitPolicy {
  return {
    name: `upstream-${String(index)}`,
    perSecond: declaration.limit / declaration.windowSeconds,
    burst: declaration.limit,
  }
}

function counts(declaration: RateLimitDeclaration, action: string): boolean {
  return declaration.actions === undefined || declaration.actions.includes(action)
}

function describeWindow(declaration: RateLimitDeclaration): string {
  const { windowSeconds: seconds } = declaration
  if (seconds === 1) return 'a second'
  if (seconds === 60) return 'a minute'
  if (seconds === 3600) return 'an hour'
  if (seconds === 86_400) return 'a day'
  return `${String(seconds)} seconds`
}

/**
 * The limits Toolplane keeps towards the APIs it calls (SPEC §8), per tool and credential:
 *
 * - the limits the plugin declares (`rateLimits`: GitHub's 5,000 an hour per token, Notion's 3 a
 *   second…), each a token bucket of `limit` tokens refilled over `windowSeconds` — per credential,
 *   or per workspace for a `tool`-scoped limit (an OAuth app's quota shared by its users);
 * - what the provider says in its responses (`Retry-After`, `X-RateLimit-Remaining: 0` with a
 *   reset, GitHub's `x-ratelimit-*`, the IETF `RateLimit` field): no call to that upstream until then.
 *
 * A call takes a token from every bucket that counts it before it goes; the engine turns a refusal
 * into a delayed job (async) or a `rate_limited` failure with the time to retry (sync).
 *
 * @example
 * const limits = upstreamLimits({ limiter, clock: Date.now })
 * const admission = await limits.admit(target)
 * if (admission.allowed) limits.observe(target, await call())
 */
export function upstreamLimits(deps: { limiter: RateLimiter; clock: () => number }) {
  const { limiter, clock } = deps

  function providerKey(target: UpstreamTarget): string {
    const credential = target.credentialId ?? '-'
    const origin = target.tool.baseUrl === undefined ? (target.origin ?? '-') : '-'
    return `upstream:${target.workspaceId}:${target.tool.slug}:${credential}:${origin}`
  }

  function declaredKey(target: UpstreamTarget, declaration: RateLimitDeclaration, index: number): string {
    const owner = declaration.scope === 'tool' ? '*' : (target.credentialId ?? '-')
    return `upstream:${target.workspaceId}:${target.tool.slug}:${owner}:limit${String(index)}`
  }

  return {
    /** Takes this call's tokens, or says how long to wait when the upstream would refuse it. */
    async admit(target: UpstreamTarget): Promise<UpstreamAdmission> {
      const provider = await limiter.take(providerKey(target), unlimited)
      if (!provider.allowed) {
        return {
          allowed: false,
          retryAfterMs: provider.retryAfterMs,
          reason: `${target.tool.name} asked Toolplane to wait before calling it again`,
        }
      }
      const declarations = target.tool.rateLimits
      for (let index = 0; index < declarations.length; index++) {
        const declaration = declarations[index]
        if (declaration === undefined || !counts(declaration, target.action)) continue
        const decision = await limiter.take(
          declaredKey(target, declaration, index),
          policyOf(declaration, index),
        )
        if (!decision.allowed) {
          const whose = declaration.scope === 'tool' ? 'this workspace' : 'this credential'
          return {
            allowed: false,
            retryAfterMs: decision.retryAfterMs,
            reason: `${target.tool.name} allows ${String(declaration.limit)} calls in ${describeWindow(declaration)} for ${whose}`,
          }
        }
      }
      return { allowed: true }
    },

    /**
     * Reads the provider's answer for a limit it announced; when it says to stop until some moment,
     * every call to that upstream waits until then. Returns the wait it recorded, if any.
     */
    async observe(
      target: UpstreamTarget,
      exchange: Pick<HttpExchange, 'status' | 'headers'> | undefined,
    ): Promise<number | null> {
      if (exchange?.headers === undefined) return null
      const now = clock()
      const signal = upstreamSignal(exchange.status, exchange.headers, now)
      if (signal === null) return null
      await limiter.block(providerKey(target), signal.waitUntilMs)
      return signal.waitUntilMs - now
    },
  }
}

export type UpstreamLimits = ReturnType<typeof upstreamLimits>
