import type { FastifyBaseLogger } from 'fastify'
import type { Clock } from '../auth/context.js'
import { newId } from '../auth/tokens.js'
import type { CredentialService, ToolLookup } from '../credentials/service.js'
import { AppError } from '../errors.js'
import type { EventBus } from '../infra/events.js'
import type { HookMetrics } from './metrics.js'
import { maxPayloadBytes } from './store.js'
import type { InboundEventStore } from './store.js'
import { secretFields, verifiers } from './verifiers.js'
import type { InboundHeaders } from './verifiers.js'

/** How long accepted deliveries are kept (and so how long a delivery id is remembered). */
export const defaultRetentionDays = 30

/** One request to `POST /v1/hooks/{tool}/{credentialId}`, body as received. */
export interface InboundRequest {
  readonly tool: string
  readonly credentialId: string
  readonly rawBody: Buffer
  readonly headers: InboundHeaders
}

/** What the endpoint answers a verified delivery. */
export type Receipt =
  | {
      /** `accepted`: stored and emitted now; `duplicate`: the delivery id was seen, nothing emitted. */
      readonly outcome: 'accepted' | 'duplicate'
      /** The stored delivery's id (the first one's, for a duplicate). */
      readonly id: string
      readonly event: string
      readonly deliveryId: string
    }
  /** Slack's `url_verification`: answered with the challenge, neither stored nor emitted. */
  | { readonly outcome: 'challenge'; readonly challenge: string }

/** What subscribers to `trigger.<tool>.<event>` receive as the event's `data`. */
export interface TriggerEventData {
  readonly id: string
  readonly tool: string
  readonly credentialId: string
  readonly event: string
  readonly deliveryId: string
  readonly payload: unknown
}

/**
 * A provider's event name as an event type segment: lower case, and only `[a-z0-9_.]`, so that no
 * provider can send a `*` into subscription patterns. Undefined when nothing is left.
 *
 * @example
 * eventName('Customer.Subscription.Updated') // 'customer.subscription.updated'
 */
export function eventName(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined
  const name = raw
    .toLowerCase()
    .replace(/[^a-z0-9_.]+/g, '_')
    .slice(0, 200)
  return /[a-z0-9]/.test(name) ? name : undefined
}

// The same answer whatever is missing: the URL must not tell a caller which credentials exist.
const notFound = () => new AppError('not_found', 'There is no inbound trigger endpoint at this URL.')
const unverified = () =>
  new AppError('unauthenticated', 'The delivery’s signature could not be verified with this credential.')

/**
 * Inbound triggers (SPEC §7): verifies a provider's delivery with the scheme the tool's trigger
 * declarations name and the secret in the credential, records its delivery id (a replay is a
 * duplicate, answered but not emitted again), and emits `trigger.<tool>.<event>` on the event bus.
 *
 * @example
 * const hooks = hookService({ store: inboundEventStore(db), findTool, credentials, events, metrics, clock: Date.now, log })
 * const receipt = await hooks.receive({ tool: 'github', credentialId, rawBody, headers }, request.log)
 */
export function hookService(deps: {
  store: InboundEventStore
  findTool: ToolLookup
  credentials: Pick<CredentialService, 'open'>
  events: Pick<EventBus, 'publish'>
  metrics?: HookMetrics
  clock: Clock
  log: FastifyBaseLogger
  retentionDays?: number
}) {
  const { store, findTool, credentials, events, clock } = deps
  const count = (tool: string, outcome: 'accepted' | 'duplicate' | 'rejected') =>
    deps.metrics?.inc(tool, outcome)

  return {
    /**
     * Verifies and takes one delivery. Throws `not_found` for an unknown credential, a tool that is
     * not the credential's or that declares no triggers; `unauthenticated` for a missing or wrong
     * signature (why goes to the log only); `validation_error` for an authentic delivery signed over
     * five minutes from now or naming no event; `payload_too_large` past the stored limit.
     */
    async receive(request: InboundRequest, log: FastifyBaseLogger = deps.log): Promise<Receipt> {
      const { tool, credentialId } = request
      const owner = await store.credentialOwner(credentialId)
      if (owner?.tool !== tool) throw notFound()
      const { workspaceId } = owner
      let declared
      try {
        declared = (await findTool(workspaceId, tool)).triggers
      } catch (error) {
        if (error instanceof AppError && error.code === 'not_found') throw notFound()
        throw error
      }
      // A tool's deliveries all come signed one way; the first declaration names it.
      const verifier = declared[0]?.verifier
      if (verifier === undefined) throw notFound()

      let secrets: Record<string, unknown>
      try {
        secrets = (await credentials.open(workspaceId, credentialId)).secrets
      } catch (error) {
        // Deleted since it was looked up.
        if (error instanceof AppError && error.code === 'not_found') throw notFound()
        throw error
      }
      const field = secretFields[verifier]
      const secret = secrets[field]
      const context = { tool, credentialId, workspaceId, verifier }
      if (typeof secret !== 'string' || secret === '') {
        count(tool, 'rejected')
        log.warn({ ...context, field }, `inbound trigger refused: the credential has no ${field} secret`)
        throw unverified()
      }

      const result = verifiers[verifier](request.rawBody, request.headers, secret, clock())
      if (!result.ok) {
        count(tool, 'rejected')
        log.info({ ...context, failure: result.failure, reason: result.reason }, 'inbound trigger refused')
        if (result.failure === 'signature') throw unverified()
        throw new AppError(
          'validation_error',
          result.failure === 'stale'
            ? 'The delivery was signed more than 5 minutes from the server’s time: a replay, or a clock far off. It was not accepted.'
            : 'The delivery is signed but lacks the delivery id or event the signature scheme requires.',
        )
      }
      if (result.challenge !== undefined) return { outcome: 'challenge', challenge: result.challenge }

      const event = eventName(result.event)
      if (event === undefined) {
        count(tool, 'rejected')
        log.info({ ...context, deliveryId: result.deliveryId }, 'inbound trigger refused: no event type')
        throw new AppError('validation_error', 'The delivery is signed but names no event type.')
      }
      const payload = JSON.stringify(result.payload)
      if (Buffer.byteLength(payload, 'utf8') > maxPayloadBytes) {
        count(tool, 'rejected')
        throw new AppError('payload_too_large', `A delivery may hold at most ${maxPayloadBytes} bytes.`)
      }
      const id = newId('trg')
      const recorded = await store.record({
        id,
        workspace_id: workspaceId,
        tool,
        credential_id: credentialId,
        delivery_id: result.deliveryId,
        event,
        payload,
        received_at: clock(),
      })
      if (!recorded.inserted) {
        count(tool, 'duplicate')
        log.info(
          { ...context, deliveryId: result.deliveryId, id: recorded.existing.id },
          'inbound trigger duplicate',
        )
        return {
          outcome: 'duplicate',
          id: recorded.existing.id,
          event: recorded.existing.event,
          deliveryId: result.deliveryId,
        }
      }
      const data: TriggerEventData = {
        id,
        tool,
        credentialId,
        event,
        deliveryId: result.deliveryId,
        payload: result.payload,
      }
      try {
        await events.publish({ type: `trigger.${tool}.${event}`, workspaceId, data })
      } catch (error) {
        // Not emitted: forget the delivery id so the provider's retry (it sees a 500) is taken anew
        // instead of being answered as a duplicate of an event nobody received.
        await store.remove(workspaceId, id)
        throw error
      }
      count(tool, 'accepted')
      log.info({ ...context, deliveryId: result.deliveryId, id, event }, 'inbound trigger accepted')
      return { outcome: 'accepted', id, event, deliveryId: result.deliveryId }
    },

    /**
     * Deletes deliveries older than the retention period (30 days by default); returns how many.
     * A delivery id older than that is no longer recognised as a replay, which only matters for
     * GitHub: the other schemes refuse anything signed over 5 minutes ago anyway.
     *
     * @example
     * const deleted = await hooks.sweep()
     */
    async sweep(nowMs: number = clock()): Promise<number> {
      const before = nowMs - (deps.retentionDays ?? defaultRetentionDays) * 86_400_000
      let deleted = 0
      for (;;) {
        const batch = await store.deleteOlderThan(before, 1000)
        deleted += batch
        if (batch < 1000) return deleted
      }
    },
  }
}

export type HookService = ReturnType<typeof hookService>
