/**
 * Outbound webhook subscriptions (SPEC §7): create, read, update, delete, rotate the secret, send a
 * test event, read the delivery log and replay a delivery. Delivery itself is `delivery.ts`; turning
 * events into deliveries is `dispatcher.ts`. See README.md for the invariants.
 */
import { v7 as uuidv7 } from 'uuid'
import { newId } from '../auth/tokens.js'
import type { Keyring } from '../credentials/keyring.js'
import { toPage } from '../db/pagination.js'
import type { Page, PageRequest } from '../db/pagination.js'
import { AppError } from '../errors.js'
import type { FieldError } from '../errors.js'
import { deliveryJobId, newSecret, openWebhookSecrets, sealWebhookSecrets, webhookQueue } from './delivery.js'
import type { DeliveryAttempt, DeliveryJob } from './delivery.js'
import { deliverableEventTypes } from './dispatcher.js'
import type { WebhookDispatcher } from './dispatcher.js'
import type { JobQueue } from '../infra/queue.js'
import type { DeliveryRow, WebhookRow, WebhookStore } from './store.js'

export const deliveryStatuses = ['pending', 'delivered', 'failed'] as const
export type DeliveryStatus = (typeof deliveryStatuses)[number]

/** The longest rotation overlap: a week. */
export const maxOverlapSeconds = 7 * 24 * 3600
export const defaultOverlapSeconds = 24 * 3600
export const maxEventPatterns = 50

/** An event pattern: an exact type, `prefix.*`, or `*`. */
export const eventPatternSource = '^(\\*|[a-z0-9_-]+(\\.[a-z0-9_-]+)*(\\.\\*)?)$'
const eventPattern = new RegExp(eventPatternSource)

/** A subscription as the API shows it: never the secret, except once in create and rotate answers. */
export interface Webhook {
  readonly id: string
  readonly url: string
  readonly events: string[]
  readonly description: string | null
  readonly enabled: boolean
  readonly disabledReason: string | null
  /** When deliveries began failing without a success since. */
  readonly failingSince: number | null
  /** Until when the secret before the last rotation also signs. */
  readonly previousSecretExpiresAt: number | null
  readonly createdAt: number
  readonly updatedAt: number
}

/** A delivery as the API shows it. */
export interface Delivery {
  readonly id: string
  readonly webhookId: string
  readonly eventId: string
  /** The event's type. */
  readonly event: string
  readonly messageId: string
  readonly status: DeliveryStatus
  readonly attempts: DeliveryAttempt[]
  readonly correlationId: string | null
  readonly nextAttemptAt: number | null
  readonly payload: unknown
  readonly createdAt: number
  readonly updatedAt: number
}

export interface NewWebhook {
  readonly url: string
  readonly events?: readonly string[] | undefined
  readonly description?: string | null | undefined
  readonly enabled?: boolean | undefined
}

export type WebhookChanges = Partial<NewWebhook>

function toWebhook(row: WebhookRow, now: number): Webhook {
  const overlap = row.previous_secret_expires_at
  return {
    id: row.id,
    url: row.url,
    events: JSON.parse(row.events) as string[],
    description: row.description,
    enabled: row.enabled === 1,
    disabledReason: row.disabled_reason,
    failingSince: row.failing_since,
    previousSecretExpiresAt: overlap !== null && overlap > now ? overlap : null,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}

function toDelivery(row: DeliveryRow): Delivery {
  return {
    id: row.id,
    webhookId: row.webhook_id,
    eventId: row.event_id,
    event: row.event_type,
    messageId: row.message_id,
    status: row.status as DeliveryStatus,
    attempts: JSON.parse(row.attempts) as DeliveryAttempt[],
    correlationId: row.correlation_id,
    nextAttemptAt: row.status === 'pending' ? row.next_attempt_at : null,
    payload: JSON.parse(row.payload) as unknown,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}

function invalid(errors: FieldError[]): AppError {
  return new AppError('validation_error', errors.map((e) => e.message).join('; '), { errors })
}

/**
 * Problems with an endpoint URL: http(s), and no credentials in it. Where it points is checked when
 * a delivery connects (SPEC §5 network rules), after DNS, as for actions; a refused address shows
 * as a failed attempt in the delivery log, and the test endpoint shows it at once.
 *
 * @example
 * urlProblems('ftp://example.com/') // ['The URL must be http or https']
 */
export function urlProblems(text: string): string[] {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    return ['The URL is not a valid absolute URL']
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return ['The URL must be http or https']
  if (url.username !== '' || url.password !== '') {
    return ['The URL must not carry a user name or password; authenticate the requests by their signature']
  }
  return []
}

/**
 * Problems with a list of event patterns: each an exact deliverable type, `prefix.*` naming some,
 * `trigger.…`, or `*`.
 *
 * @example
 * eventProblems(['execution.succeded']) // ['"execution.succeded" is not an event type …']
 */
export function eventProblems(patterns: readonly string[]): FieldError[] {
  const problems: FieldError[] = []
  patterns.forEach((pattern, index) => {
    const path = `/body/events/${String(index)}`
    if (!eventPattern.test(pattern)) {
      problems.push({ path, message: `"${pattern}" is not an event pattern: use a type, "prefix.*" or "*"` })
      return
    }
    if (pattern === '*' || pattern === 'trigger.*' || pattern.startsWith('trigger.')) return
    const known = pattern.endsWith('.*')
      ? deliverableEventTypes.some((type) => type.startsWith(pattern.slice(0, -1)))
      : (deliverableEventTypes as readonly string[]).includes(pattern)
    if (!known) {
      problems.push({
        path,
        message: `"${pattern}" matches no event type; the types are ${deliverableEventTypes.join(', ')} and trigger.<tool>.<event>`,
      })
    }
  })
  return problems
}

export interface WebhookServiceDeps {
  readonly store: WebhookStore
  readonly keyring: Keyring
  readonly queue: JobQueue
  readonly dispatcher: WebhookDispatcher
  readonly clock: () => number
}

/**
 * The subscription API's logic.
 *
 * @example
 * const webhooks = webhookService({ store, keyring, queue, dispatcher, clock })
 * const { webhook, secret } = await webhooks.create(workspaceId, { url: 'https://example.com/hooks', events: ['execution.*'] })
 */
export function webhookService(deps: WebhookServiceDeps) {
  const { store, keyring, queue, dispatcher, clock } = deps

  function check(input: WebhookChanges): void {
    const errors: FieldError[] = []
    if (input.url !== undefined) {
      for (const message of urlProblems(input.url)) errors.push({ path: '/body/url', message })
    }
    if (input.events !== undefined) errors.push(...eventProblems(input.events))
    if (errors.length > 0) throw invalid(errors)
  }

  async function getRow(workspaceId: string, id: string): Promise<WebhookRow> {
    const row = await store.get(workspaceId, id)
    if (row === undefined) throw new AppError('not_found', `No webhook subscription ${id} in this workspace.`)
    return row
  }

  async function getDeliveryRow(workspaceId: string, webhookId: string, id: string): Promise<DeliveryRow> {
    const row = await store.getDelivery(workspaceId, webhookId, id)
    if (row === undefined) {
      throw new AppError(
        'not_found',
        `No delivery ${id} of webhook subscription ${webhookId} in this workspace.`,
      )
    }
    return row
  }

  function refuseDisabled(row: WebhookRow, what: string): void {
    if (row.enabled === 1) return
    throw new AppError(
      'conflict',
      `Webhook subscription ${row.id} is disabled${row.disabled_reason === null ? '' : ` (${row.disabled_reason})`}; enable it with PATCH {"enabled": true} before you ${what}.`,
    )
  }

  return {
    /** Creates a subscription with a fresh secret, which is returned here and by rotation only. */
    async create(workspaceId: string, input: NewWebhook): Promise<{ webhook: Webhook; secret: string }> {
      check(input)
      const id = newId('wh')
      const secret = newSecret()
      const sealed = sealWebhookSecrets({ secret }, { workspaceId, webhookId: id }, keyring)
      const now = clock()
      const enabled = input.enabled ?? true
      const row: WebhookRow = {
        id,
        workspace_id: workspaceId,
        url: input.url,
        events: JSON.stringify([...new Set(input.events ?? ['*'])]),
        description: input.description ?? null,
        enabled: enabled ? 1 : 0,
        disabled_reason: enabled ? null : 'Created disabled',
        secret_envelope: sealed.envelope,
        key_version: sealed.keyVersion,
        previous_secret_expires_at: null,
        failing_since: null,
        created_at: now,
        updated_at: now,
      }
      await store.insert(row)
      dispatcher.forget(workspaceId)
      return { webhook: toWebhook(row, now), secret }
    },

    async list(workspaceId: string, page: PageRequest): Promise<Page<Webhook>> {
      const rows = await store.list(workspaceId, page)
      const result = toPage(rows, page.limit, (row) => row.id)
      const now = clock()
      return { data: result.data.map((row) => toWebhook(row, now)), nextCursor: result.nextCursor }
    },

    async get(workspaceId: string, id: string): Promise<Webhook> {
      return toWebhook(await getRow(workspaceId, id), clock())
    },

    /** Changes the URL, filters, description or state; enabling clears the reason and the failure streak. */
    async update(workspaceId: string, id: string, changes: WebhookChanges): Promise<Webhook> {
      check(changes)
      const row = await getRow(workspaceId, id)
      const now = clock()
      const enabling = changes.enabled === true && row.enabled !== 1
      const disabling = changes.enabled === false && row.enabled === 1
      await store.update(workspaceId, id, {
        ...(changes.url === undefined ? {} : { url: changes.url }),
        ...(changes.events === undefined ? {} : { events: JSON.stringify([...new Set(changes.events)]) }),
        ...(changes.description === undefined ? {} : { description: changes.description }),
        ...(enabling ? { enabled: 1, disabled_reason: null, failing_since: null } : {}),
        ...(disabling ? { enabled: 0, disabled_reason: 'Disabled through the API' } : {}),
        updated_at: now,
      })
      dispatcher.forget(workspaceId)
      return toWebhook(await getRow(workspaceId, id), now)
    },

    /** Deletes a subscription with its delivery log; pending deliveries are dropped. */
    async remove(workspaceId: string, id: string): Promise<void> {
      if (!(await store.delete(workspaceId, id))) {
        throw new AppError('not_found', `No webhook subscription ${id} in this workspace.`)
      }
      dispatcher.forget(workspaceId)
    },

    /**
     * A new secret that signs from now on; the old one also signs for `overlapSeconds` (0 ends it at
     * once), so receivers can switch without dropping a delivery. Returns the new secret, once.
     */
    async rotateSecret(
      workspaceId: string,
      id: string,
      options: { overlapSeconds?: number | undefined },
    ): Promise<{ webhook: Webhook; secret: string }> {
      const overlapSeconds = options.overlapSeconds ?? defaultOverlapSeconds
      if (!Number.isInteger(overlapSeconds) || overlapSeconds < 0 || overlapSeconds > maxOverlapSeconds) {
        throw invalid([
          {
            path: '/body/overlapSeconds',
            message: `overlapSeconds must be an integer from 0 to ${String(maxOverlapSeconds)}`,
          },
        ])
      }
      const row = await getRow(workspaceId, id)
      const { secret: old } = openWebhookSecrets(row, keyring)
      const secret = newSecret()
      const now = clock()
      const sealed = sealWebhookSecrets(
        overlapSeconds > 0 ? { secret, previous: old } : { secret },
        { workspaceId, webhookId: id },
        keyring,
      )
      await store.update(workspaceId, id, {
        secret_envelope: sealed.envelope,
        key_version: sealed.keyVersion,
        previous_secret_expires_at: overlapSeconds > 0 ? now + overlapSeconds * 1000 : null,
        updated_at: now,
      })
      return { webhook: toWebhook(await getRow(workspaceId, id), now), secret }
    },

    /** Sends a `webhook.test` event to this subscription only, whatever its filters. */
    async sendTest(workspaceId: string, id: string, context: { correlationId: string }): Promise<Delivery> {
      const row = await getRow(workspaceId, id)
      refuseDisabled(row, 'send a test event')
      const delivery = await dispatcher.deliver(row, {
        id: uuidv7(),
        type: 'webhook.test',
        workspaceId,
        at: Date.now(),
        data: {
          webhookId: id,
          message: 'A test event from Toolplane: this endpoint receives and verifies deliveries.',
          correlationId: context.correlationId,
        },
      })
      if (delivery === null) throw new Error('A new test event collided with an existing delivery')
      return toDelivery(delivery)
    },

    async listDeliveries(
      workspaceId: string,
      webhookId: string,
      filter: { status?: DeliveryStatus | undefined },
      page: PageRequest,
    ): Promise<Page<Delivery>> {
      await getRow(workspaceId, webhookId)
      const rows = await store.listDeliveries(workspaceId, webhookId, filter, page)
      const result = toPage(rows, page.limit, (row) => row.id)
      return { data: result.data.map(toDelivery), nextCursor: result.nextCursor }
    },

    async getDelivery(workspaceId: string, webhookId: string, id: string): Promise<Delivery> {
      return toDelivery(await getDeliveryRow(workspaceId, webhookId, id))
    },

    /**
     * Delivers again now, with the same `webhook-id` and body and a fresh timestamp and signature:
     * the delivery is pending again and its retry schedule starts over; attempts keep their numbers.
     */
    async replay(workspaceId: string, webhookId: string, id: string): Promise<Delivery> {
      const webhook = await getRow(workspaceId, webhookId)
      refuseDisabled(webhook, 'replay a delivery')
      const row = await getDeliveryRow(workspaceId, webhookId, id)
      if (!(await store.replay(row.id, row.generation, clock()))) {
        throw new AppError('conflict', `Delivery ${id} is being replayed by another request; try again.`)
      }
      const generation = row.generation + 1
      const job: DeliveryJob = { deliveryId: row.id, generation }
      await queue.enqueue(webhookQueue, job, { id: deliveryJobId(row.id, generation) })
      return toDelivery(await getDeliveryRow(workspaceId, webhookId, id))
    },
  }
}

export type WebhookService = ReturnType<typeof webhookService>
