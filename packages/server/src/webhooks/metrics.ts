import { Counter, Gauge, Histogram } from 'prom-client'
import type { Registry } from 'prom-client'

/** What became of an attempt, the one label of `toolplane_webhook_deliveries_total`. */
export const deliveryOutcomes = ['delivered', 'retrying', 'failed', 'circuit_open'] as const

/**
 * The webhook metrics: attempts by outcome, their duration, and the pending deliveries. No label
 * names a subscription, URL or event: those are unbounded.
 *
 * @example
 * const metrics = webhookMetrics(registry, () => store.pendingCount())
 * metrics.deliveries.inc({ outcome: 'delivered' })
 */
export function webhookMetrics(registry: Registry, pending: () => Promise<number>) {
  const deliveries = new Counter({
    name: 'toolplane_webhook_deliveries_total',
    help: 'Webhook delivery attempts by outcome: delivered, retrying (failed, another attempt is scheduled), failed (failed, no attempt follows), circuit_open (held back, not sent).',
    labelNames: ['outcome'] as const,
    registers: [registry],
  })
  const duration = new Histogram({
    name: 'toolplane_webhook_delivery_duration_seconds',
    help: 'Time from sending a webhook delivery attempt to the end of the endpoint’s response (or the failure).',
    buckets: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15],
    registers: [registry],
  })
  new Gauge({
    name: 'toolplane_webhook_backlog',
    help: 'Webhook deliveries pending: waiting for their first attempt or for a retry.',
    registers: [registry],
    async collect() {
      try {
        this.set(await pending())
      } catch {
        // The scrape still answers; /readyz reports the database.
      }
    },
  })
  return { deliveries, duration }
}

export type WebhookMetrics = ReturnType<typeof webhookMetrics>
