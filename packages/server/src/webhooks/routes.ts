import { Type } from 'typebox'
import { pageRequest } from '../db/pagination.js'
import type { App } from '../http/app-types.js'
import { callerOf } from '../http/authentication.js'
import { PageOf, PageQuery, Timestamp, isoTime, noBodyAsEmptyObject, problemRef } from '../http/schemas.js'
import type { DeliveryAttempt } from './delivery.js'
import {
  defaultOverlapSeconds,
  deliveryStatuses,
  eventPatternSource,
  maxEventPatterns,
  maxOverlapSeconds,
} from './service.js'
import type { Delivery, Webhook, WebhookService } from './service.js'

const WebhookSchema = Type.Object(
  {
    id: Type.String(),
    url: Type.String({ description: 'The endpoint deliveries are POSTed to.' }),
    events: Type.Array(Type.String(), {
      description: 'Event type patterns: exact types, `prefix.*`, or `*` for every event.',
    }),
    description: Type.Union([Type.String(), Type.Null()]),
    enabled: Type.Boolean(),
    disabledReason: Type.Union([Type.String(), Type.Null()], {
      description:
        'Why the subscription is disabled: a 410 from the endpoint, 5 days of failures, or a user.',
    }),
    failingSince: Type.Union([Timestamp, Type.Null()], {
      description: 'When deliveries began failing without a success since; null while healthy.',
    }),
    previousSecretExpiresAt: Type.Union([Timestamp, Type.Null()], {
      description: 'After a rotation: until when the previous secret also signs deliveries.',
    }),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { $id: 'Webhook', title: 'Webhook' },
)

const attemptFields = {
  number: Type.Integer({ minimum: 1 }),
  httpStatus: Type.Union([Type.Integer(), Type.Null()], { description: 'Null when no response came.' }),
  durationMs: Type.Integer(),
  error: Type.Union([Type.String(), Type.Null()], {
    description: 'Why the attempt failed; null on success.',
  }),
  at: Timestamp,
}

const DeliveryAttemptSchema = Type.Object(attemptFields)

const DeliveryAttemptDetailSchema = Type.Object({
  ...attemptFields,
  responseHeaders: Type.Union([Type.Record(Type.String(), Type.String()), Type.Null()]),
  responseBody: Type.Union([Type.String(), Type.Null()], {
    description: 'The first 4 KB of the endpoint’s response body.',
  }),
})

const deliveryFields = {
  id: Type.String(),
  webhookId: Type.String(),
  eventId: Type.String(),
  event: Type.String({ description: 'The event type, such as `execution.succeeded`.' }),
  messageId: Type.String({ description: 'The `webhook-id` header: the same on every attempt and replay.' }),
  status: Type.Enum(deliveryStatuses),
  correlationId: Type.Union([Type.String(), Type.Null()], {
    description: 'The correlation id of the execution or request that caused the event.',
  }),
  nextAttemptAt: Type.Union([Timestamp, Type.Null()], {
    description: 'When a pending delivery is tried next.',
  }),
  createdAt: Timestamp,
  updatedAt: Timestamp,
}

const DeliverySchema = Type.Object(
  { ...deliveryFields, attempts: Type.Array(DeliveryAttemptSchema) },
  { $id: 'WebhookDelivery', title: 'WebhookDelivery' },
)

const DeliveryDetailSchema = Type.Object(
  {
    ...deliveryFields,
    attempts: Type.Array(DeliveryAttemptDetailSchema),
    payload: Type.Unknown({ description: 'The JSON body as sent: `{ type, timestamp, data }`.' }),
  },
  { $id: 'WebhookDeliveryDetail', title: 'WebhookDeliveryDetail' },
)

const Url = Type.String({ minLength: 1, maxLength: 2048, examples: ['https://example.com/toolplane-events'] })
const Events = Type.Array(Type.String({ minLength: 1, maxLength: 200, pattern: eventPatternSource }), {
  minItems: 1,
  maxItems: maxEventPatterns,
  description: 'Event type patterns: exact types (`execution.failed`), `prefix.*` (`execution.*`), or `*`.',
})
const Description = Type.Union([Type.String({ maxLength: 500 }), Type.Null()])

const webhookView = (webhook: Webhook) => ({
  ...webhook,
  failingSince: isoTime(webhook.failingSince),
  previousSecretExpiresAt: isoTime(webhook.previousSecretExpiresAt),
  createdAt: isoTime(webhook.createdAt),
  updatedAt: isoTime(webhook.updatedAt),
})

const attemptView = (attempt: DeliveryAttempt) => ({
  number: attempt.number,
  httpStatus: attempt.httpStatus,
  durationMs: attempt.durationMs,
  error: attempt.error,
  at: isoTime(attempt.at),
})

const deliveryView = (delivery: Delivery) => ({
  id: delivery.id,
  webhookId: delivery.webhookId,
  eventId: delivery.eventId,
  event: delivery.event,
  messageId: delivery.messageId,
  status: delivery.status,
  correlationId: delivery.correlationId,
  nextAttemptAt: isoTime(delivery.nextAttemptAt),
  createdAt: isoTime(delivery.createdAt),
  updatedAt: isoTime(delivery.updatedAt),
  attempts: delivery.attempts.map(attemptView),
})

const deliveryDetailView = (delivery: Delivery) => ({
  ...deliveryView(delivery),
  attempts: delivery.attempts.map((attempt) => ({
    ...attemptView(attempt),
    responseHeaders: attempt.responseHeaders,
    responseBody: attempt.responseBody,
  })),
  payload: delivery.payload,
})

export function registerWebhookRoutes(app: App, deps: { webhooks: WebhookService }): void {
  const { webhooks } = deps
  app.addSchema(WebhookSchema)
  app.addSchema(DeliverySchema)
  app.addSchema(DeliveryDetailSchema)
  const webhookRef = Type.Ref('Webhook')
  const deliveryRef = Type.Ref('WebhookDelivery')
  const deliveryDetailRef = Type.Ref('WebhookDeliveryDetail')
  const withSecret = Type.Intersect([
    webhookRef,
    Type.Object({
      secret: Type.String({ description: 'The signing secret (`whsec_…`), shown only in this response.' }),
    }),
  ])
  const Id = Type.Object({ id: Type.String() })
  const DeliveryId = Type.Object({ id: Type.String(), deliveryId: Type.String() })

  app.get(
    '/v1/webhooks',
    {
      config: { auth: { scope: 'webhooks:read' } },
      schema: {
        tags: ['webhooks'],
        summary: 'List webhook subscriptions',
        description: 'The workspace’s subscriptions, newest first. Secrets are never returned.',
        querystring: Type.Object(PageQuery),
        response: { 200: PageOf(webhookRef), 400: problemRef },
      },
    },
    async (request) => {
      const page = await webhooks.list(callerOf(request).workspaceId, pageRequest(request.query))
      return { data: page.data.map(webhookView), nextCursor: page.nextCursor }
    },
  )

  app.post(
    '/v1/webhooks',
    {
      config: { auth: { scope: 'webhooks:write' } },
      schema: {
        tags: ['webhooks'],
        summary: 'Create a webhook subscription',
        description:
          'Subscribes an endpoint to events. Deliveries are signed per Standard Webhooks with the `secret` of this response, the only time it is shown: store it now.',
        body: Type.Object(
          {
            url: Url,
            events: Type.Optional(Events),
            description: Type.Optional(Description),
            enabled: Type.Optional(Type.Boolean({ default: true })),
          },
          { additionalProperties: false },
        ),
        response: { 201: withSecret, 400: problemRef },
      },
    },
    async (request, reply) => {
      const { webhook, secret } = await webhooks.create(callerOf(request).workspaceId, request.body)
      return reply.code(201).send({ ...webhookView(webhook), secret })
    },
  )

  app.get(
    '/v1/webhooks/:id',
    {
      config: { auth: { scope: 'webhooks:read' } },
      schema: {
        tags: ['webhooks'],
        summary: 'Read a webhook subscription',
        params: Id,
        response: { 200: webhookRef, 404: problemRef },
      },
    },
    async (request) => webhookView(await webhooks.get(callerOf(request).workspaceId, request.params.id)),
  )

  app.patch(
    '/v1/webhooks/:id',
    {
      config: { auth: { scope: 'webhooks:write' } },
      schema: {
        tags: ['webhooks'],
        summary: 'Update a webhook subscription',
        description:
          'Changes the URL, the event filters, the description or whether it is enabled. Enabling a disabled subscription clears its `disabledReason` and failure streak.',
        params: Id,
        body: Type.Object(
          {
            url: Type.Optional(Url),
            events: Type.Optional(Events),
            description: Type.Optional(Description),
            enabled: Type.Optional(Type.Boolean()),
          },
          { additionalProperties: false, minProperties: 1 },
        ),
        response: { 200: webhookRef, 400: problemRef, 404: problemRef },
      },
    },
    async (request) =>
      webhookView(await webhooks.update(callerOf(request).workspaceId, request.params.id, request.body)),
  )

  app.delete(
    '/v1/webhooks/:id',
    {
      config: { auth: { scope: 'webhooks:write' } },
      schema: {
        tags: ['webhooks'],
        summary: 'Delete a webhook subscription',
        description: 'Deletes the subscription and its delivery log; pending deliveries are not sent.',
        params: Id,
        response: { 204: Type.Null(), 404: problemRef },
      },
    },
    async (request, reply) => {
      await webhooks.remove(callerOf(request).workspaceId, request.params.id)
      return reply.code(204).send(null)
    },
  )

  app.post(
    '/v1/webhooks/:id/rotate-secret',
    {
      preValidation: noBodyAsEmptyObject,
      config: { auth: { scope: 'webhooks:write' } },
      schema: {
        tags: ['webhooks'],
        summary: 'Rotate the signing secret',
        description:
          'Makes a new secret, which signs from now on and is shown only in this response. For `overlapSeconds` (default one day) the old secret also signs: each delivery then carries two signatures, and a receiver holding either secret verifies it.',
        params: Id,
        body: Type.Optional(
          Type.Object(
            {
              overlapSeconds: Type.Optional(
                Type.Integer({ minimum: 0, maximum: maxOverlapSeconds, default: defaultOverlapSeconds }),
              ),
            },
            { additionalProperties: false },
          ),
        ),
        response: { 200: withSecret, 400: problemRef, 404: problemRef },
      },
    },
    async (request) => {
      const { webhook, secret } = await webhooks.rotateSecret(
        callerOf(request).workspaceId,
        request.params.id,
        {
          // Absent when the request has no body.
          overlapSeconds: (request.body as { overlapSeconds?: number } | undefined)?.overlapSeconds,
        },
      )
      return { ...webhookView(webhook), secret }
    },
  )

  app.post(
    '/v1/webhooks/:id/test',
    {
      config: { auth: { scope: 'webhooks:write' } },
      schema: {
        tags: ['webhooks'],
        summary: 'Send a test event',
        description:
          'Sends a `webhook.test` event to this subscription only, whatever its filters, through the same queue, signature and retries as any event. Answers with the delivery; follow it in the delivery log.',
        params: Id,
        response: { 202: deliveryRef, 404: problemRef, 409: problemRef },
      },
    },
    async (request, reply) => {
      const delivery = await webhooks.sendTest(callerOf(request).workspaceId, request.params.id, {
        correlationId: request.id,
      })
      return reply.code(202).send(deliveryView(delivery))
    },
  )

  app.get(
    '/v1/webhooks/:id/deliveries',
    {
      config: { auth: { scope: 'webhooks:read' } },
      schema: {
        tags: ['webhooks'],
        summary: 'List deliveries',
        description: 'The subscription’s delivery log, newest first, with every attempt.',
        params: Id,
        querystring: Type.Object({ ...PageQuery, status: Type.Optional(Type.Enum(deliveryStatuses)) }),
        response: { 200: PageOf(deliveryRef), 400: problemRef, 404: problemRef },
      },
    },
    async (request) => {
      const page = await webhooks.listDeliveries(
        callerOf(request).workspaceId,
        request.params.id,
        { status: request.query.status },
        pageRequest(request.query),
      )
      return { data: page.data.map(deliveryView), nextCursor: page.nextCursor }
    },
  )

  app.get(
    '/v1/webhooks/:id/deliveries/:deliveryId',
    {
      config: { auth: { scope: 'webhooks:read' } },
      schema: {
        tags: ['webhooks'],
        summary: 'Read a delivery',
        description:
          'One delivery with the body as sent and, per attempt, the endpoint’s response headers and the first 4 KB of its body.',
        params: DeliveryId,
        response: { 200: deliveryDetailRef, 404: problemRef },
      },
    },
    async (request) =>
      deliveryDetailView(
        await webhooks.getDelivery(
          callerOf(request).workspaceId,
          request.params.id,
          request.params.deliveryId,
        ),
      ),
  )

  app.post(
    '/v1/webhooks/:id/deliveries/:deliveryId/replay',
    {
      config: { auth: { scope: 'webhooks:write' } },
      schema: {
        tags: ['webhooks'],
        summary: 'Replay a delivery',
        description:
          'Delivers again now with the same `webhook-id` and body (a fresh timestamp and signature); the retry schedule starts over and attempts keep their numbers.',
        params: DeliveryId,
        response: { 202: deliveryRef, 404: problemRef, 409: problemRef },
      },
    },
    async (request, reply) => {
      const delivery = await webhooks.replay(
        callerOf(request).workspaceId,
        request.params.id,
        request.params.deliveryId,
      )
      return reply.code(202).send(deliveryView(delivery))
    },
  )
}
