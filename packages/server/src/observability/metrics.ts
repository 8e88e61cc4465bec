import { Histogram, Registry, collectDefaultMetrics } from 'prom-client'

/**
 * The server's Prometheus registry. One per app instance (not prom-client's global), so several
 * apps in one process — as in tests — never share or double-register metrics.
 */
export function createMetrics() {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })

  const httpRequestDuration = new Histogram({
    name: 'toolplane_http_request_duration_seconds',
    help: 'Duration of HTTP requests, by method, route template and status class (2xx, 4xx, ...).',
    labelNames: ['method', 'route', 'status_class'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  })

  return { registry, httpRequestDuration }
}

export type Metrics = ReturnType<typeof createMetrics>

/** `404` → `4xx`: status classes keep the label set small and bounded. */
export function statusClass(status: number): string {
  return `${Math.floor(status / 100)}xx`
}
