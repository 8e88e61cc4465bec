/**
 * Outbound webhook subscriptions and their deliveries (SPEC §7, `/v1/webhooks`): types as the server
 * sends them, what the server accepts, and the query hooks of the webhook pages.
 */
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import type { InfiniteData } from '@tanstack/react-query'
import type { ApiError } from './client.js'
import { useApi } from './context.js'

/** A webhook subscription. Its secret is never returned, except once by create and rotate. */
export interface Webhook {
  readonly id: string
  readonly url: string
  /** Event type patterns: exact types, `prefix.*`, or `*`. */
  readonly events: readonly string[]
  readonly description: string | null
  readonly enabled: boolean
  /** Why it is disabled: a 410 from the endpoint, 5 days of failures, or a user. */
  readonly disabledReason: string | null
  /** When deliveries began failing without a success since; null while healthy. */
  readonly failingSince: string | null
  /** After a rotation: until when the previous secret also signs deliveries. */
  readonly previousSecretExpiresAt: string | null
  readonly createdAt: string
  readonly updatedAt: string
}

/** The create and rotate responses: the subscription and its signing secret, shown this once. */
export interface WebhookWithSecret extends Webhook {
  readonly secret: string
}

export const deliveryStatuses = ['pending', 'delivered', 'failed'] as const
export type DeliveryStatus = (typeof deliveryStatuses)[number]

/** One attempt to deliver, as the delivery log lists it. */
export interface DeliveryAttempt {
  readonly number: number
  /** The endpoint's status; null when no response came. */
  readonly httpStatus: number | null
  readonly durationMs: number
  /** Why the attempt failed; null on success. */
  readonly error: string | null
  readonly at: string
}

/** An attempt with what the endpoint answered (`GET …/deliveries/{id}` only). */
export interface DeliveryAttemptDetail extends DeliveryAttempt {
  /** Names in lower case; null when no response came. */
  readonly responseHeaders: Readonly<Record<string, string>> | null
  /** The first 4 KB of the response body; null when no response came. */
  readonly responseBody: string | null
}

/** One event sent (or being sent) to one subscription. */
export interface Delivery {
  readonly id: string
  readonly webhookId: string
  readonly eventId: string
  /** The event type, such as `execution.succeeded`. */
  readonly event: string
  /** The `webhook-id` header: the same on every attempt and replay. */
  readonly messageId: string
  readonly status: DeliveryStatus
  readonly correlationId: string | null
  /** When a pending delivery is tried next. */
  readonly nextAttemptAt: string | null
  readonly createdAt: string
  readonly updatedAt: string
  readonly attempts: readonly DeliveryAttempt[]
}

/** A delivery with the body as sent and each attempt's response. */
export interface DeliveryDetail extends Omit<Delivery, 'attempts'> {
  readonly attempts: readonly DeliveryAttemptDetail[]
  /** The JSON body as sent: `{ type, timestamp, data }`. */
  readonly payload: unknown
}

export interface Page<T> {
  readonly data: readonly T[]
  readonly nextCursor: string | null
}

/**
 * The event types a subscription can receive besides `trigger.<tool>.<event>` (the server's
 * `deliverableEventTypes`), with what each means. `webhook.test` is left out: a test event goes to
 * the subscription it tests whatever its filters.
 */
export const eventTypes: readonly { type: string; description: string }[] = [
  { type: 'execution.queued', description: 'An execution was accepted and waits to run.' },
  { type: 'execution.running', description: 'An execution started its first attempt.' },
  { type: 'execution.succeeded', description: 'An execution finished with a result.' },
  { type: 'execution.failed', description: 'An execution failed after its last attempt.' },
  { type: 'execution.cancelled', description: 'An execution was cancelled.' },
  { type: 'batch.completed', description: 'Every item of a batch has finished.' },
  { type: 'credential.expired', description: 'A credential stopped working (expired or refresh failed).' },
  { type: 'credential.recovered', description: 'A credential that had failed works again.' },
  { type: 'webhook.disabled', description: 'Another subscription was disabled after failing.' },
]

/** The server's pattern rule: an exact type, `prefix.*`, or `*`. */
export const eventPatternRule = /^(\*|[a-z0-9_-]+(\.[a-z0-9_-]+)*(\.\*)?)$/
/** At most this many patterns per subscription. */
export const maxEventPatterns = 50
/** How long the previous secret keeps signing after a rotation, by default: one day. */
export const defaultOverlapSeconds = 24 * 3600
/** The longest overlap the server allows: seven days. */
export const maxOverlapSeconds = 7 * 24 * 3600

const knownTypes = new Set(eventTypes.map((e) => e.type).concat('webhook.test'))

/**
 * What is wrong with an event pattern before the server is asked (the same rules it applies), or
 * null when it is fine.
 *
 * @example
 * eventPatternProblem('execution.*') // null
 * eventPatternProblem('execution.succeded') // '“execution.succeded” matches no event type…'
 */
export function eventPatternProblem(pattern: string): string | null {
  if (!eventPatternRule.test(pattern)) {
    return `“${pattern}” is not an event pattern: use a type such as execution.failed, a prefix such as execution.*, or *`
  }
  if (pattern === '*' || pattern.startsWith('trigger.')) return null
  const known = pattern.endsWith('.*')
    ? [...knownTypes].some((type) => type.startsWith(pattern.slice(0, -1)))
    : knownTypes.has(pattern)
  return known ? null : `“${pattern}” matches no event type; check its spelling`
}

/**
 * Patterns typed by the user, one per line or separated by commas or spaces, without repeats.
 *
 * @example
 * splitPatterns('execution.*, trigger.github.push\n') // ['execution.*', 'trigger.github.push']
 */
export function splitPatterns(text: string): string[] {
  return [...new Set(text.split(/[\s,]+/).filter(Boolean))]
}

export const webhooksKey = ['webhooks'] as const
const webhookKey = (id: string) => ['webhooks', id] as const
const deliveriesKey = (id: string) => ['webhooks', id, 'deliveries'] as const

const path = (id: string) => `/v1/webhooks/${encodeURIComponent(id)}`

/** The workspace's subscriptions, newest first, a page at a time. */
export function useWebhooks() {
  const api = useApi()
  return useInfiniteQuery<
    Page<Webhook>,
    ApiError,
    InfiniteData<Page<Webhook>>,
    readonly string[],
    string | null
  >({
    queryKey: webhooksKey,
    queryFn: ({ pageParam, signal }) =>
      api.get<Page<Webhook>>('/v1/webhooks', { query: { limit: 50, cursor: pageParam }, signal }),
    initialPageParam: null,
    getNextPageParam: (last) => last.nextCursor,
  })
}

/** One subscription. */
export function useWebhook(id: string) {
  const api = useApi()
  return useQuery<Webhook, ApiError>({
    queryKey: webhookKey(id),
    queryFn: ({ signal }) => api.get<Webhook>(path(id), { signal }),
  })
}

export interface WebhookInput {
  readonly url: string
  readonly events: readonly string[]
  readonly description?: string | null
  readonly enabled?: boolean
}

/** Creates a subscription; the answer carries its secret, the only time it is shown. */
export function useCreateWebhook() {
  const api = useApi()
  const queryClient = useQueryClient()
  return useMutation<WebhookWithSecret, ApiError, WebhookInput>({
    mutationFn: (input) => api.post<WebhookWithSecret>('/v1/webhooks', input),
    onSuccess: async (created) => {
      const { secret: _secret, ...webhook } = created
      queryClient.setQueryData(webhookKey(created.id), webhook)
      await queryClient.invalidateQueries({ queryKey: webhooksKey, exact: true })
    },
  })
}

/** Changes a subscription's URL, events, description or whether it is enabled. */
export function useUpdateWebhook(id: string) {
  const api = useApi()
  const queryClient = useQueryClient()
  return useMutation<Webhook, ApiError, Partial<WebhookInput>>({
    mutationFn: (changes) => api.patch<Webhook>(path(id), changes),
    onSuccess: async (webhook) => {
      queryClient.setQueryData(webhookKey(id), webhook)
      await queryClient.invalidateQueries({ queryKey: webhooksKey, exact: true })
    },
  })
}

/** Deletes a subscription with its delivery log. */
export function useDeleteWebhook(id: string) {
  const api = useApi()
  const queryClient = useQueryClient()
  return useMutation<undefined, ApiError>({
    mutationFn: () => api.delete<undefined>(path(id)),
    onSuccess: async () => {
      queryClient.removeQueries({ queryKey: webhookKey(id) })
      await queryClient.invalidateQueries({ queryKey: webhooksKey, exact: true })
    },
  })
}

/** Makes a new signing secret; the old one keeps signing for `overlapSeconds`. */
export function useRotateSecret(id: string) {
  const api = useApi()
  const queryClient = useQueryClient()
  return useMutation<WebhookWithSecret, ApiError, { overlapSeconds: number }>({
    mutationFn: (body) => api.post<WebhookWithSecret>(`${path(id)}/rotate-secret`, body),
    onSuccess: (rotated) => {
      const { secret: _secret, ...webhook } = rotated
      queryClient.setQueryData(webhookKey(id), webhook)
    },
  })
}

/** Sends a `webhook.test` event to this subscription; answers with the (pending) delivery. */
export function useSendTestEvent(id: string) {
  const api = useApi()
  const queryClient = useQueryClient()
  return useMutation<Delivery, ApiError>({
    mutationFn: () => api.post<Delivery>(`${path(id)}/test`),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: deliveriesKey(id) }),
  })
}

/** How often the delivery log is read again while a delivery in view is pending. */
export const pendingRefreshMs = 1500

/**
 * A subscription's delivery log, newest first, a page at a time, optionally of one status. While a
 * delivery in view is pending the log is read again every {@link pendingRefreshMs}.
 */
export function useDeliveries(id: string, status: DeliveryStatus | null) {
  const api = useApi()
  return useInfiniteQuery<
    Page<Delivery>,
    ApiError,
    InfiniteData<Page<Delivery>>,
    readonly string[],
    string | null
  >({
    queryKey: [...deliveriesKey(id), status ?? 'all'],
    queryFn: ({ pageParam, signal }) =>
      api.get<Page<Delivery>>(`${path(id)}/deliveries`, {
        query: { limit: 25, cursor: pageParam, status },
        signal,
      }),
    initialPageParam: null,
    getNextPageParam: (last) => last.nextCursor,
    refetchInterval: (query) =>
      query.state.data?.pages.some((page) => page.data.some((d) => d.status === 'pending')) === true
        ? pendingRefreshMs
        : false,
  })
}

/** One delivery with its payload and each attempt's response; read again while it is pending. */
export function useDelivery(webhookId: string, deliveryId: string, enabled = true) {
  const api = useApi()
  return useQuery<DeliveryDetail, ApiError>({
    queryKey: [...deliveriesKey(webhookId), 'detail', deliveryId],
    queryFn: ({ signal }) =>
      api.get<DeliveryDetail>(`${path(webhookId)}/deliveries/${encodeURIComponent(deliveryId)}`, { signal }),
    enabled,
    refetchInterval: (query) => (query.state.data?.status === 'pending' ? pendingRefreshMs : false),
  })
}

/** Delivers again now with the same `webhook-id` and body. */
export function useReplayDelivery(webhookId: string) {
  const api = useApi()
  const queryClient = useQueryClient()
  return useMutation<Delivery, ApiError, string>({
    mutationFn: (deliveryId) =>
      api.post<Delivery>(`${path(webhookId)}/deliveries/${encodeURIComponent(deliveryId)}/replay`),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: deliveriesKey(webhookId) }),
  })
}
