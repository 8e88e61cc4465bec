/**
 * The IETF rate limit response fields (draft-ietf-httpapi-ratelimit-headers, drafts 08 and later):
 * `RateLimit-Policy` says what the quota is, `RateLimit` how much of it is left. Both are
 * Structured Field lists (RFC 9651) of policy names as strings with integer parameters:
 *
 *     RateLimit-Policy: "api";q=200;w=2
 *     RateLimit: "api";r=17;t=1
 *
 * A token bucket is not a fixed window, so it is described by its nearest window: `q` is the burst
 * and `w` the seconds in which the bucket refills from empty; `r` is the whole tokens left and `t`
 * the seconds until the bucket is full again.
 */
import type { RateLimitDecision, RateLimitPolicy } from '../infra/rate-limiter.js'

/** The largest integer a Structured Field can carry (RFC 9651 §3.3.1: at most 15 digits). */
const MAX_SF_INTEGER = 999_999_999_999_999

// Policy names are few (`api`, a workspace's), and every authenticated response carries them.
const sfStrings = new Map<string, string>()

function sfString(value: string): string {
  const known = sfStrings.get(value)
  if (known !== undefined) return known
  // RFC 9651 §3.3.3: printable ASCII only, with `"` and `\` escaped.
  if (!/^[\x20-\x7e]*$/.test(value)) {
    throw new RangeError(`A rate limit policy name must be printable ASCII (got ${JSON.stringify(value)})`)
  }
  const text = `"${value.replace(/[\\"]/g, (character) => `\\${character}`)}"`
  if (sfStrings.size < 100) sfStrings.set(value, text)
  return text
}

function sfInteger(value: number): number {
  return Math.min(MAX_SF_INTEGER, Math.max(0, Math.ceil(value)))
}

/**
 * The window a token bucket is described with: the whole seconds it takes to refill from empty, at
 * least 1.
 *
 * @example
 * policyWindowSeconds({ name: 'api', perSecond: 100, burst: 200 }) // 2
 */
export function policyWindowSeconds(policy: RateLimitPolicy): number {
  return Math.max(1, sfInteger(policy.burst / policy.perSecond))
}

/**
 * The `RateLimit-Policy` field value for the policies that apply to a request.
 *
 * @example
 * formatRateLimitPolicy([{ name: 'api', perSecond: 100, burst: 200 }]) // '"api";q=200;w=2'
 */
export function formatRateLimitPolicy(policies: readonly RateLimitPolicy[]): string {
  return policies
    .map((policy) => `${sfString(policy.name)};q=${sfInteger(policy.burst)};w=${policyWindowSeconds(policy)}`)
    .join(', ')
}

/**
 * The `RateLimit` field value for the decisions taken on a request, one item per policy.
 *
 * @example
 * formatRateLimit([decision]) // '"api";r=17;t=1'
 */
export function formatRateLimit(decisions: readonly RateLimitDecision[]): string {
  return decisions
    .map(
      (decision) =>
        `${sfString(decision.policy.name)};r=${sfInteger(decision.remaining)};t=${sfInteger(decision.resetMs / 1000)}`,
    )
    .join(', ')
}

/**
 * A wait in milliseconds as a `Retry-After` value: whole seconds, rounded up, at least 1 (a client
 * told 0 would retry at once and be refused again).
 *
 * @example
 * retryAfterSeconds(1) // 1
 * retryAfterSeconds(2_001) // 3
 */
export function retryAfterSeconds(ms: number): number {
  return Math.max(1, sfInteger(ms / 1000))
}

/**
 * Every rate limit field of a response from the decisions taken on its request: `RateLimit-Policy`
 * and `RateLimit`, and `Retry-After` (the longest wait) when any of them refused. Names are
 * lower-case, as HTTP/2 sends them. Empty when no decision was taken.
 *
 * @example
 * for (const [name, value] of Object.entries(rateLimitFields([decision]))) reply.header(name, value)
 */
export function rateLimitFields(decisions: readonly RateLimitDecision[]): Record<string, string> {
  if (decisions.length === 0) return {}
  const fields: Record<string, string> = {
    'ratelimit-policy': formatRateLimitPolicy(decisions.map((decision) => decision.policy)),
    ratelimit: formatRateLimit(decisions),
  }
  const refused = decisions.filter((decision) => !decision.allowed)
  if (refused.length > 0) {
    fields['retry-after'] = String(retryAfterSeconds(Math.max(...refused.map((d) => d.retryAfterMs))))
  }
  return fields
}
