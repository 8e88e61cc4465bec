/**
 * Delivering one event to one subscription (SPEC §7): the Standard Webhooks signature, the trace
 * headers, and the job handler that makes one attempt per run and decides what follows — delivered,
 * another attempt after the retry schedule's next delay (or the endpoint's `Retry-After`), or failed;
 * a 410 or five days of failures disable the subscription. See README.md for the invariants.
 */
import { createHash, randomBytes } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import { classifyHttpStatus, createHttpClient, retryAfterMs, toActionError } from '@toolplane/sdk'
import type { ErrorClass, HttpResponse, Resolver } from '@toolplane/sdk'
import type { FastifyBaseLogger } from 'fastify'
import { Webhook } from 'standardwebhooks'
import { openSecrets, parseEnvelope, sealSecrets, serializeEnvelope } from '../credentials/envelope.js'
import type { Keyring } from '../credentials/keyring.js'
import { CircuitOpenError, createCircuitBreakers } from '../executions/circuit-breaker.js'
import type { CircuitBreakers } from '../executions/circuit-breaker.js'
import type { EventBus } from '../infra/events.js'
import type { Job, JobContext } from '../infra/queue.js'
import { RescheduleJob } from '../infra/queue.js'
import type { WebhookMetrics } from './metrics.js'
import type { DeliveryRow, WebhookRow, WebhookStore } from './store.js'

/** The job queue of deliveries: one job per delivery and generation. */
export const webhookQueue = 'webhooks'
/** The time limit of one attempt, connection and response body included. */
export const deliveryTimeoutMs = 15_000
/** The part of an endpoint's response body kept with an attempt. */
export const responseBodyLimit = 4096
/** Response headers kept with an attempt, and the length of each value. */
const responseHeaderLimit = 50
const responseHeaderValueLimit = 1024
/** A larger response body is discarded and the attempt counts as failed. */
export const maxResponseBytes = 1024 * 1024
/** A subscription whose deliveries have failed this long without a success is disabled. */
export const failingDisableMs = 5 * 24 * 3_600_000
/** `Retry-After` is honoured up to this long. */
export const maxRetryAfterMs = 24 * 3_600_000
export const webhookUserAgent = 'Toolplane-Webhooks/1'

/** A delivery job's data. */
export interface DeliveryJob {
  readonly deliveryId: string
  /** The delivery's generation when the job was made; a replay starts a new one and stales the old job. */
  readonly generation: number
}

/**
 * The job id of a delivery's generation: the delivery id, then `<id>:r<n>` for the n-th replay. Ids
 * are deterministic so enqueueing a generation whose job is still waiting does nothing.
 *
 * @example
 * deliveryJobId('dlv_0193…', 2) // 'dlv_0193…:r2'
 */
export function deliveryJobId(deliveryId: string, generation: number): string {
  return generation === 0 ? deliveryId : `${deliveryId}:r${String(generation)}`
}

/** One attempt as stored on the delivery row. */
export interface DeliveryAttempt {
  readonly number: number
  /** The endpoint's status; null when no response came. */
  readonly httpStatus: number | null
  readonly durationMs: number
  /** Why the attempt failed; null when it succeeded. */
  readonly error: string | null
  /** Epoch milliseconds. */
  readonly at: number
  /** Names in lower case; null when no response came. */
  readonly responseHeaders: Record<string, string> | null
  /** The first {@link responseBodyLimit} bytes of the body; null when no response came. */
  readonly responseBody: string | null
}

/**
 * A new signing secret in the Standard Webhooks format: `whsec_` and 24 random bytes in base64.
 *
 * @example
 * newSecret() // 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
 */
export function newSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`
}

/** The secrets of a subscription as sealed in `secret_envelope`. */
export interface WebhookSecrets {
  readonly secret: string
  /** The secret before the last rotation, while it still signs. */
  readonly previous?: string
}

/**
 * Seals a subscription's secrets under the master key, bound to its workspace and id.
 *
 * @example
 * const { envelope, keyVersion } = sealWebhookSecrets({ secret }, { workspaceId, webhookId }, keyring)
 */
export function sealWebhookSecrets(
  secrets: WebhookSecrets,
  owner: { workspaceId: string; webhookId: string },
  keyring: Keyring,
): { envelope: string; keyVersion: number } {
  const sealed = sealSecrets(
    { ...secrets },
    { workspaceId: owner.workspaceId, credentialId: owner.webhookId },
    keyring,
  )
  return { envelope: serializeEnvelope(sealed), keyVersion: sealed.kv }
}

/**
 * Opens a subscription's secrets.
 *
 * @example
 * const { secret } = openWebhookSecrets(row, keyring)
 */
export function openWebhookSecrets(row: WebhookRow, keyring: Keyring): WebhookSecrets {
  const opened = openSecrets(
    parseEnvelope(row.secret_envelope),
    { workspaceId: row.workspace_id, credentialId: row.id },
    keyring,
  )
  const secret = opened.secret
  const previous = opened.previous
  if (typeof secret !== 'string')
    throw new TypeError(`The secret envelope of webhook ${row.id} holds no secret`)
  return typeof previous === 'string' ? { secret, previous } : { secret }
}

/**
 * The secrets that sign now: the current one, and the previous one until its overlap ends.
 *
 * @example
 * signingSecrets(row, keyring, Date.now()) // ['whsec_new…', 'whsec_old…'] during an overlap
 */
export function signingSecrets(row: WebhookRow, keyring: Keyring, now: number): string[] {
  const { secret, previous } = openWebhookSecrets(row, keyring)
  const overlapEnds = row.previous_secret_expires_at
  return previous !== undefined && overlapEnds !== null && now < overlapEnds ? [secret, previous] : [secret]
}

/**
 * The `webhook-signature` header: one `v1,<base64 HMAC-SHA256>` per secret, space-separated, of
 * `<message id>.<timestamp>.<payload>` (Standard Webhooks). A verifier accepts a message when any
 * signature matches its secret, which is what lets a rotation overlap.
 *
 * @example
 * signatureHeader(['whsec_…'], 'msg_0193…', 1_767_225_600, '{"type":"webhook.test",…}') // 'v1,K5o…='
 */
export function signatureHeader(
  secrets: readonly string[],
  messageId: string,
  timestampSeconds: number,
  payload: string,
): string {
  const at = new Date(timestampSeconds * 1000)
  return secrets.map((secret) => new Webhook(secret).sign(messageId, at, payload)).join(' ')
}

const uuidPattern = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i

/**
 * The W3C trace id a correlation id stands for: its 32 hex digits when it is a UUID, otherwise the
 * first 32 hex digits of its SHA-256, so every delivery an execution caused shares one trace id.
 *
 * @example
 * traceIdOf('0193a1b2-c3d4-7e8f-9a0b-1c2d3e4f5a6b') // '0193a1b2c3d47e8f9a0b1c2d3e4f5a6b'
 * traceIdOf('corr-1') // the first 32 hex digits of sha256('corr-1')
 */
export function traceIdOf(correlationId: string): string {
  const hex = correlationId.replaceAll('-', '').toLowerCase()
  // The all-zero trace id is invalid in W3C trace context.
  if (uuidPattern.test(correlationId) && !/^0+$/.test(hex)) return hex
  return createHash('sha256').update(correlationId, 'utf8').digest('hex').slice(0, 32)
}

/**
 * A `traceparent` header for one attempt: the correlation id's trace, a new span, sampled.
 *
 * @example
 * traceparentOf('corr-1') // '00-<32 hex>-<16 hex>-01'
 */
export function traceparentOf(correlationId: string, spanId = newSpanId()): string {
  return `00-${traceIdOf(correlationId)}-${spanId}-01`
}

/** A random, non-zero W3C span id. */
export function newSpanId(): string {
  for (;;) {
    const id = randomBytes(8).toString('hex')
    if (id !== '0000000000000000') return id
  }
}

/**
 * The headers of one attempt (without `content-type` and `user-agent`, which the client sets).
 *
 * @example
 * deliveryHeaders({ messageId, payload, secrets, timestampSeconds, correlationId: 'corr-1' })
 */
export function deliveryHeaders(options: {
  messageId: string
  payload: string
  secrets: readonly string[]
  timestampSeconds: number
  correlationId: string | null
  traceparent: string
}): Record<string, string> {
  const headers: Record<string, string> = {
    'webhook-id': options.messageId,
    'webhook-timestamp': String(options.timestampSeconds),
    'webhook-signature': signatureHeader(
      options.secrets,
      options.messageId,
      options.timestampSeconds,
      options.payload,
    ),
    traceparent: options.traceparent,
  }
  if (options.correlationId !== null) headers['x-toolplane-correlation-id'] = options.correlationId
  return headers
}

/**
 * The wait before the next attempt of a generation that has made `made` attempts, or null when the
 * schedule is used up. `schedule[n]` is the delay before attempt n+1; a `Retry-After` that asks for
 * longer (on 429 and 503) raises it, up to {@link maxRetryAfterMs}.
 *
 * @example
 * nextDelayMs([0, 5_000, 300_000], 1) // 5_000
 * nextDelayMs([0, 5_000, 300_000], 1, 60_000) // 60_000
 * nextDelayMs([0, 5_000, 300_000], 3) // null
 */
export function nextDelayMs(schedule: readonly number[], made: number, retryAfter?: number): number | null {
  const planned = schedule[made]
  if (planned === undefined) return null
  if (retryAfter === undefined) return planned
  return Math.max(planned, Math.min(retryAfter, maxRetryAfterMs))
}

function keptHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  const kept: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers).slice(0, responseHeaderLimit)) {
    kept[name] = value.length > responseHeaderValueLimit ? value.slice(0, responseHeaderValueLimit) : value
  }
  return kept
}

/** The first {@link responseBodyLimit} bytes of a body, as text. */
export function bodyExcerpt(bytes: Uint8Array): string {
  const cut = bytes.length > responseBodyLimit ? bytes.subarray(0, responseBodyLimit) : bytes
  // A multi-byte character cut in two is dropped rather than shown as a replacement character.
  return new TextDecoder('utf-8').decode(cut).replace(/\uFFFD+$/, '')
}

export interface DeliveryWorkerDeps {
  readonly store: WebhookStore
  readonly keyring: Keyring
  readonly events: EventBus
  readonly metrics: WebhookMetrics
  /** Times stored on rows (attempts, failing since, next attempt); tests move it. */
  readonly clock: () => number
  /** The `webhook-timestamp` a receiver compares with its own clock; `Date.now` by default. */
  readonly wallClock?: () => number
  readonly log: FastifyBaseLogger
  readonly retryScheduleMs: readonly number[]
  readonly network: { readonly allowPrivateNetwork: boolean; readonly resolver?: Resolver }
  /** Per endpoint, per node; made with the defaults unless given. */
  readonly breakers?: CircuitBreakers
}

/** What became of a delivery after an attempt. */
type Decision =
  { status: 'delivered' } | { status: 'pending'; delayMs: number } | { status: 'failed'; disable?: string }

/** How an attempt went, before it is decided on. */
interface Sent {
  readonly attempt: DeliveryAttempt
  readonly ok: boolean
  readonly gone: boolean
  readonly retryAfterMs: number | undefined
  readonly errorClass: ErrorClass | null
}

/**
 * The handler of `webhooks` jobs.
 *
 * @example
 * const worker = deliveryWorker(deps)
 * queue.work<DeliveryJob>(webhookQueue, (job, context) => worker.runJob(job, context), { concurrency: 8 })
 */
export function deliveryWorker(deps: DeliveryWorkerDeps) {
  const { store, keyring, events, metrics, clock, log } = deps
  const wallClock = deps.wallClock ?? Date.now
  // Real time, not the app clock: an open circuit's pause is about this process's calls.
  const breakers = deps.breakers ?? createCircuitBreakers()

  async function send(webhook: WebhookRow, row: DeliveryRow, signal: AbortSignal): Promise<Sent> {
    const number = row.attempt_count + 1
    const at = clock()
    const started = performance.now()
    const elapsed = () => Math.round(performance.now() - started)
    const traceparent = traceparentOf(row.correlation_id ?? row.event_id)
    const http = createHttpClient({
      allowPrivateNetwork: deps.network.allowPrivateNetwork,
      ...(deps.network.resolver === undefined ? {} : { resolver: deps.network.resolver }),
      signal,
      maxResponseBytes,
      traceparent,
      userAgent: webhookUserAgent,
    })
    const headers = deliveryHeaders({
      messageId: row.message_id,
      payload: row.payload,
      secrets: signingSecrets(webhook, keyring, clock()),
      timestampSeconds: Math.floor(wallClock() / 1000),
      correlationId: row.correlation_id,
      traceparent,
    })
    let response: HttpResponse
    try {
      response = await http.request({
        method: 'POST',
        url: webhook.url,
        body: row.payload,
        headers: { ...headers, 'content-type': 'application/json' },
        timeoutMs: deliveryTimeoutMs,
        followRedirects: false,
      })
    } catch (thrown) {
      const error = toActionError(thrown)
      return {
        attempt: {
          number,
          httpStatus: null,
          durationMs: elapsed(),
          error: error.message,
          at,
          responseHeaders: null,
          responseBody: null,
        },
        ok: false,
        gone: false,
        retryAfterMs: undefined,
        errorClass: error.class,
      }
    }
    const status = response.status
    const ok = status >= 200 && status < 300
    return {
      attempt: {
        number,
        httpStatus: status,
        durationMs: elapsed(),
        error: ok ? null : `The endpoint answered ${String(status)}`,
        at,
        responseHeaders: keptHeaders(response.headers),
        responseBody: bodyExcerpt(response.bytes),
      },
      ok,
      gone: status === 410,
      retryAfterMs: status === 429 || status === 503 ? retryAfterMs(response.headers) : undefined,
      errorClass: ok ? null : classifyHttpStatus(status, response.headers),
    }
  }

  async function decide(webhook: WebhookRow, row: DeliveryRow, sent: Sent): Promise<Decision> {
    if (sent.ok) return { status: 'delivered' }
    if (sent.gone) {
      return {
        status: 'failed',
        disable: 'The endpoint answered 410 Gone: it asked not to be sent events any more.',
      }
    }
    const now = clock()
    const failingSince = await store.markFailing(webhook.id, now)
    if (failingSince !== null && now - failingSince >= failingDisableMs) {
      return {
        status: 'failed',
        disable: `Deliveries have failed for 5 days without a success (since ${new Date(failingSince).toISOString()}).`,
      }
    }
    const made = row.attempt_count + 1 - row.schedule_start
    const delayMs = nextDelayMs(deps.retryScheduleMs, made, sent.retryAfterMs)
    return delayMs === null ? { status: 'failed' } : { status: 'pending', delayMs }
  }

  async function disable(webhook: WebhookRow, reason: string): Promise<void> {
    if (!(await store.disable(webhook.id, reason, clock()))) return
    log.warn(
      { webhookId: webhook.id, workspaceId: webhook.workspace_id, reason },
      'webhook subscription disabled',
    )
    await events
      .publish({
        type: 'webhook.disabled',
        workspaceId: webhook.workspace_id,
        data: { id: webhook.id, url: webhook.url, reason },
      })
      .catch((error: unknown) => {
        log.warn({ err: error, webhookId: webhook.id }, 'publishing webhook.disabled failed')
      })
  }

  return {
    /** Makes one attempt at a delivery; throws `RescheduleJob` when another one is due later. */
    async runJob(job: Job<DeliveryJob>, context: JobContext): Promise<void> {
      const row = await store.getDeliveryById(job.data.deliveryId)
      // Done, deleted, or replayed since this job was made: a later job owns it.
      if (row?.status !== 'pending' || row.generation !== job.data.generation) return
      const webhook = await store.getById(row.webhook_id)
      if (webhook === undefined) return
      if (webhook.enabled !== 1) {
        if (await store.failPending(row.id, row.generation, clock()))
          metrics.deliveries.inc({ outcome: 'failed' })
        return
      }
      const breakerKey = `${webhook.workspace_id}:${webhook.url}`
      try {
        breakers.before(breakerKey)
      } catch (error) {
        if (!(error instanceof CircuitOpenError)) throw error
        // Not sent, so no attempt is used: come back when the pause is over.
        metrics.deliveries.inc({ outcome: 'circuit_open' })
        throw new RescheduleJob(Math.max(100, error.retryAfterMs ?? 1_000))
      }
      const sent = await send(webhook, row, context.signal)
      if (sent.errorClass === null) breakers.success(breakerKey)
      else breakers.failure(breakerKey, sent.errorClass)
      // Shutting down or lost the lease: the job runs again, and this attempt is not recorded.
      if (context.signal.aborted) throw new Error('The delivery was interrupted; it will run again')
      metrics.duration.observe(sent.attempt.durationMs / 1000)

      const decision = await decide(webhook, row, sent)
      const attempts = [...(JSON.parse(row.attempts) as DeliveryAttempt[]), sent.attempt]
      const now = clock()
      const recorded = await store.recordAttempt(
        row.id,
        { generation: row.generation, attemptCount: row.attempt_count },
        {
          status: decision.status,
          attempts: JSON.stringify(attempts),
          attempt_count: row.attempt_count + 1,
          next_attempt_at: decision.status === 'pending' ? now + decision.delayMs : null,
          updated_at: now,
        },
      )
      // Another run of this generation recorded first (at-least-once), or a replay began.
      if (!recorded) return
      metrics.deliveries.inc({
        outcome: decision.status === 'pending' ? 'retrying' : decision.status,
      })
      if (decision.status === 'delivered') {
        if (webhook.failing_since !== null) await store.clearFailing(webhook.id)
        return
      }
      log.info(
        {
          deliveryId: row.id,
          webhookId: webhook.id,
          attempt: sent.attempt.number,
          httpStatus: sent.attempt.httpStatus,
          ...(decision.status === 'pending' ? { retryInMs: decision.delayMs } : {}),
        },
        decision.status === 'pending' ? 'webhook delivery failed; retrying' : 'webhook delivery failed',
      )
      if (decision.status === 'failed' && decision.disable !== undefined)
        await disable(webhook, decision.disable)
      if (decision.status === 'pending') throw new RescheduleJob(decision.delayMs)
    },
  }
}

export type DeliveryWorker = ReturnType<typeof deliveryWorker>
