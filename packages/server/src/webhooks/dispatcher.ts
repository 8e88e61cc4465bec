/**
 * From the event bus to deliveries: every event a subscription's filter admits becomes a delivery
 * row and a job. In cluster mode every node receives every event; the unique (webhook, event) pair
 * lets exactly one node create the delivery. Deliveries whose job was lost (a crash between the row
 * and the enqueue) are found and enqueued again by {@link WebhookDispatcher.recover}.
 */
import type { FastifyBaseLogger } from 'fastify'
import { newId } from '../auth/tokens.js'
import { eventMatches } from '../infra/events.js'
import type { EventBus, ToolplaneEvent, Unsubscribe } from '../infra/events.js'
import type { JobQueue } from '../infra/queue.js'
import { deliveryJobId, webhookQueue } from './delivery.js'
import type { DeliveryJob } from './delivery.js'
import type { DeliveryRow, WebhookRow, WebhookStore } from './store.js'

/** The event types a subscription can receive, besides `trigger.<tool>.<event>`. */
export const deliverableEventTypes = [
  'execution.queued',
  'execution.running',
  'execution.succeeded',
  'execution.failed',
  'execution.cancelled',
  'batch.completed',
  'credential.expired',
  'credential.recovered',
  'webhook.disabled',
  'webhook.test',
] as const

const deliverable: ReadonlySet<string> = new Set(deliverableEventTypes)

/**
 * Whether subscriptions may receive events of this type; internal ones (such as
 * `execution.cancel_requested`, which only tells nodes to abort a run) are not sent out.
 *
 * @example
 * isDeliverable('trigger.github.push') // true
 * isDeliverable('execution.cancel_requested') // false
 */
export function isDeliverable(type: string): boolean {
  return deliverable.has(type) || (type.startsWith('trigger.') && type.length > 'trigger.'.length)
}

/** A pending delivery whose job should have run this long ago is taken for lost and enqueued again. */
export const recoveryGraceMs = 60_000
/** How long a node remembers a workspace's enabled subscriptions. */
export const subscriptionCacheMs = 1_000
const subscriptionCacheSize = 10_000

/** How often a worker node looks for lost deliveries. */
export const recoveryIntervalMs = 60_000

/** The correlation id an event carries in its data (executions and batches have one). */
function correlationIdOf(event: ToolplaneEvent): string | null {
  const data = event.data
  if (typeof data !== 'object' || data === null) return null
  const value = (data as { correlationId?: unknown }).correlationId
  return typeof value === 'string' && value !== '' ? value : null
}

/** Whether a `webhook.*` event is about this very subscription (never sent to it). */
function isAbout(webhook: WebhookRow, event: ToolplaneEvent): boolean {
  if (!event.type.startsWith('webhook.')) return false
  const data = event.data
  if (typeof data !== 'object' || data === null) return false
  const { id, webhookId } = data as { id?: unknown; webhookId?: unknown }
  return id === webhook.id || webhookId === webhook.id
}

/**
 * The delivery of `event` to `webhook`: the body is fixed here, so every attempt and replay sends
 * the same bytes under the same `webhook-id`.
 *
 * @example
 * const row = newDelivery(webhook, event, clock())
 */
export function newDelivery(webhook: WebhookRow, event: ToolplaneEvent, now: number): DeliveryRow {
  const id = newId('dlv')
  return {
    id,
    workspace_id: webhook.workspace_id,
    webhook_id: webhook.id,
    event_id: event.id,
    event_type: event.type,
    message_id: `msg_${id.slice('dlv_'.length)}`,
    payload: JSON.stringify({
      type: event.type,
      timestamp: new Date(event.at).toISOString(),
      data: event.data,
    }),
    status: 'pending',
    attempts: '[]',
    attempt_count: 0,
    generation: 0,
    schedule_start: 0,
    correlation_id: correlationIdOf(event),
    next_attempt_at: now,
    created_at: now,
    updated_at: now,
  }
}

export interface WebhookDispatcherDeps {
  readonly store: WebhookStore
  readonly queue: JobQueue
  readonly clock: () => number
  readonly log: FastifyBaseLogger
  /** The delay before the first attempt is its first entry. */
  readonly retryScheduleMs: readonly number[]
}

/**
 * Turns events into deliveries.
 *
 * @example
 * const dispatcher = webhookDispatcher({ store, queue, clock, log, retryScheduleMs })
 * const stop = dispatcher.start(events)
 */
export function webhookDispatcher(deps: WebhookDispatcherDeps) {
  const { store, queue, clock, log } = deps
  const firstDelayMs = deps.retryScheduleMs[0] ?? 0

  // Every execution publishes events; reading the workspace's subscriptions for each would cost a
  // query per event on every node. They are remembered for a second, and forgotten at once when
  // this node changes them. Another node may act on a second-old list: a delivery it creates for a
  // subscription just disabled or deleted is refused when it runs, and for one just created the
  // node that created it (which receives every event too) makes the delivery.
  const cache = new Map<string, { rows: WebhookRow[]; until: number }>()
  async function subscriptionsOf(workspaceId: string): Promise<WebhookRow[]> {
    const now = Date.now()
    const cached = cache.get(workspaceId)
    if (cached !== undefined && cached.until > now) return cached.rows
    const rows = await store.enabledIn(workspaceId)
    if (cache.size >= subscriptionCacheSize) cache.clear()
    cache.set(workspaceId, { rows, until: now + subscriptionCacheMs })
    return rows
  }

  /** False only when the workspace is remembered, still fresh, to have no enabled subscription. */
  function mayHaveSubscriptions(workspaceId: string): boolean {
    const cached = cache.get(workspaceId)
    return cached === undefined || cached.until <= Date.now() || cached.rows.length > 0
  }

  async function enqueue(row: DeliveryRow, delayMs: number): Promise<void> {
    const job: DeliveryJob = { deliveryId: row.id, generation: row.generation }
    await queue.enqueue(webhookQueue, job, { id: deliveryJobId(row.id, row.generation), delayMs })
  }

  /**
   * Creates the delivery of an event to one subscription (unless it exists) and enqueues its job.
   * Returns the delivery when this call created it.
   */
  async function deliver(webhook: WebhookRow, event: ToolplaneEvent): Promise<DeliveryRow | null> {
    const row = newDelivery(webhook, event, clock())
    if (!(await store.insertDelivery(row))) return null
    try {
      await enqueue(row, firstDelayMs)
    } catch (error) {
      // Stored but not queued: the recovery sweep enqueues it once it is overdue.
      log.error(
        { err: error, deliveryId: row.id },
        'enqueueing a webhook delivery failed; the sweep will retry',
      )
    }
    return row
  }

  /** Creates a delivery for each enabled subscription of the event's workspace that wants it. */
  async function dispatch(event: ToolplaneEvent): Promise<number> {
    if (!isDeliverable(event.type)) return 0
    const webhooks = await subscriptionsOf(event.workspaceId)
    let created = 0
    for (const webhook of webhooks) {
      const patterns = JSON.parse(webhook.events) as string[]
      if (!eventMatches({ types: patterns }, event) || isAbout(webhook, event)) continue
      if ((await deliver(webhook, event)) !== null) created += 1
    }
    return created
  }

  return {
    deliver,
    dispatch,
    enqueue,

    /** Drops the remembered subscriptions of a workspace (this node just changed one). */
    forget(workspaceId: string): void {
      cache.delete(workspaceId)
    },

    /** Listens to the bus until the returned function is called. */
    start(events: EventBus): Unsubscribe {
      return events.subscribe(
        // A workspace remembered to have no enabled subscription is skipped, so publishers can tell
        // (`events.wants`) that nobody wants its events and not build them.
        (event) => isDeliverable(event.type) && mayHaveSubscriptions(event.workspaceId),
        async (event) => {
          try {
            await dispatch(event)
          } catch (error) {
            log.error(
              { err: error, eventId: event.id, eventType: event.type },
              'dispatching an event to webhooks failed',
            )
          }
        },
      )
    },

    /**
     * Enqueues again the pending deliveries whose next attempt is overdue by {@link recoveryGraceMs}
     * (their job was lost). A generation's job id is fixed, so a job that is only late is not doubled.
     */
    async recover(limit = 500): Promise<number> {
      const rows = await store.overdue(clock() - recoveryGraceMs, limit)
      for (const row of rows) await enqueue(row, 0)
      if (rows.length > 0) log.warn({ count: rows.length }, 'enqueued overdue webhook deliveries again')
      return rows.length
    },
  }
}

export type WebhookDispatcher = ReturnType<typeof webhookDispatcher>
