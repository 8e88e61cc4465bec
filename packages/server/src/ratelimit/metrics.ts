import { Counter } from 'prom-client'
import type { Registry } from 'prom-client'

/** What refused a call: the per-key API limit, a limit towards an upstream, or the monthly quota. */
export type RateLimitScope = 'api' | 'upstream' | 'quota'

/**
 * `toolplane_rate_limited_total{scope}`: every refusal by a rate limit or quota (SPEC §8). An
 * upstream refusal counts each time a call is held back, so a long wait shows as a rate.
 *
 * @example
 * const rateLimited = rateLimitMetrics(registry)
 * rateLimited.inc('api')
 */
export function rateLimitMetrics(registry: Registry) {
  const counter = new Counter({
    name: 'toolplane_rate_limited_total',
    help: 'Requests and calls refused by a rate limit or quota, by scope (api, upstream, quota).',
    labelNames: ['scope'] as const,
    registers: [registry],
  })
  for (const scope of ['api', 'upstream', 'quota'] as const) counter.inc({ scope }, 0)
  return {
    inc(scope: RateLimitScope): void {
      counter.inc({ scope })
    },
  }
}

export type RateLimitMetrics = ReturnType<typeof rateLimitMetrics>
