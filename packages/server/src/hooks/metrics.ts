import { Counter } from 'prom-client'
import type { Registry } from 'prom-client'

/** What happened to an inbound delivery for a known tool and credential. */
export type InboundOutcome = 'accepted' | 'duplicate' | 'rejected'

/**
 * `toolplane_inbound_events_total{tool,outcome}`: inbound trigger deliveries (SPEC §7). Counted
 * only once the credential and tool are known, so a caller guessing URLs cannot grow the label set;
 * `rejected` covers a bad signature, a stale timestamp and an authentic body without an event.
 *
 * @example
 * const metrics = hookMetrics(app.metrics.registry)
 * metrics.inc('github', 'accepted')
 */
export function hookMetrics(registry: Registry) {
  const counter = new Counter({
    name: 'toolplane_inbound_events_total',
    help: 'Inbound trigger deliveries, by tool and outcome (accepted, duplicate, rejected).',
    labelNames: ['tool', 'outcome'] as const,
    registers: [registry],
  })
  return {
    inc(tool: string, outcome: InboundOutcome): void {
      counter.inc({ tool, outcome })
    },
  }
}

export type HookMetrics = ReturnType<typeof hookMetrics>
