import { Counter, Gauge, Histogram } from 'prom-client'
import type { Registry } from 'prom-client'
import type { JobQueue } from '../infra/queue.js'

/** The queues whose depth `toolplane_queue_jobs` reports. */
export const queueNames = ['executions', 'batches'] as const

/**
 * The execution metrics of SPEC §12. Labels are bounded: tools and actions come from the catalog,
 * statuses and error classes from fixed lists; never an id or an input value.
 */
export function executionMetrics(registry: Registry, queue: JobQueue) {
  const executions = new Counter({
    name: 'toolplane_executions_total',
    help: 'Finished executions, by tool, action, final status and error class ("none" on success).',
    labelNames: ['tool', 'action', 'status', 'error_class'] as const,
    registers: [registry],
  })
  const duration = new Histogram({
    name: 'toolplane_execution_duration_seconds',
    help: 'Time from the start of an execution’s first attempt to its end, retries included.',
    labelNames: ['tool', 'action'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  })
  const attempts = new Counter({
    name: 'toolplane_execution_attempts_total',
    help: 'Attempts at calling an action, by outcome (succeeded, or the error class of the failure).',
    labelNames: ['tool', 'action', 'outcome'] as const,
    registers: [registry],
  })
  new Gauge({
    name: 'toolplane_queue_jobs',
    help: 'Jobs in the queue, by queue and state (waiting, delayed, active).',
    labelNames: ['queue', 'state'] as const,
    registers: [registry],
    async collect() {
      for (const name of queueNames) {
        try {
          const counts = await queue.counts(name)
          this.set({ queue: name, state: 'waiting' }, counts.waiting)
          this.set({ queue: name, state: 'delayed' }, counts.delayed)
          this.set({ queue: name, state: 'active' }, counts.active)
        } catch {
          // The scrape still answers; /readyz reports the queue's storage.
        }
      }
    },
  })
  return { executions, duration, attempts }
}

export type ExecutionMetrics = ReturnType<typeof executionMetrics>
