// Sample webhooks, deliveries, API keys, workspace and sessions as the server sends them, for the
// webhook, API key and settings tests.
import type { ApiKey } from '../api/api-keys.js'
import type { Session } from '../api/session.js'
import type { Delivery, DeliveryDetail, Webhook } from '../api/webhooks.js'
import type { Workspace } from '../api/workspace.js'

export const webhook: Webhook = {
  id: 'wh_1',
  url: 'https://example.com/hooks',
  events: ['execution.failed', 'trigger.github.*'],
  description: 'Alerts channel',
  enabled: true,
  disabledReason: null,
  failingSince: null,
  previousSecretExpiresAt: null,
  createdAt: '2026-01-15T12:00:00.000Z',
  updatedAt: '2026-01-15T12:00:00.000Z',
}

export const delivered: Delivery = {
  id: 'dlv_1',
  webhookId: 'wh_1',
  eventId: 'evt_1',
  event: 'execution.failed',
  messageId: 'msg_0001',
  status: 'delivered',
  correlationId: 'corr-1',
  nextAttemptAt: null,
  createdAt: '2026-01-15T12:01:00.000Z',
  updatedAt: '2026-01-15T12:01:01.000Z',
  attempts: [{ number: 1, httpStatus: 204, durationMs: 42, error: null, at: '2026-01-15T12:01:00.500Z' }],
}

export const failed: Delivery = {
  id: 'dlv_2',
  webhookId: 'wh_1',
  eventId: 'evt_2',
  event: 'webhook.test',
  messageId: 'msg_0002',
  status: 'failed',
  correlationId: null,
  nextAttemptAt: null,
  createdAt: '2026-01-15T12:02:00.000Z',
  updatedAt: '2026-01-15T12:02:05.000Z',
  attempts: [
    {
      number: 1,
      httpStatus: 500,
      durationMs: 12,
      error: 'The endpoint answered 500',
      at: '2026-01-15T12:02:00.000Z',
    },
    {
      number: 2,
      httpStatus: null,
      durationMs: 15000,
      error: 'Timed out after 15 s',
      at: '2026-01-15T12:02:05.000Z',
    },
  ],
}

export const failedDetail: DeliveryDetail = {
  ...failed,
  payload: { type: 'webhook.test', timestamp: '2026-01-15T12:02:00.000Z', data: { webhookId: 'wh_1' } },
  attempts: [
    {
      ...failed.attempts[0]!,
      responseHeaders: { 'content-type': 'text/plain' },
      responseBody: 'upstream exploded',
    },
    { ...failed.attempts[1]!, responseHeaders: null, responseBody: null },
  ],
}

export const apiKey: ApiKey = {
  id: 'key_1',
  name: 'deploy bot',
  scopes: ['executions:write', 'tools:read'],
  prefix: 'tp_abc123',
  rateLimit: null,
  lastUsedAt: null,
  createdAt: '2026-01-10T09:00:00.000Z',
}

export const workspace: Workspace = {
  id: 'ws_1',
  slug: 'acme',
  name: 'Acme',
  monthlyExecutionQuota: null,
  apiRateLimit: '100/s,burst=200',
  apiRateLimitIsDefault: true,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
}

const allScopes = [
  'tools:read',
  'credentials:read',
  'credentials:write',
  'executions:read',
  'executions:write',
  'webhooks:read',
  'webhooks:write',
  'admin',
]

/** A signed-in user's session with the role's scopes. */
export function sessionAs(role: 'owner' | 'developer' | 'viewer'): Session {
  const scopes =
    role === 'owner'
      ? allScopes
      : role === 'developer'
        ? allScopes.filter((s) => s !== 'admin')
        : allScopes.filter((s) => s.endsWith(':read'))
  return {
    workspace: { id: 'ws_1', slug: 'acme', name: 'Acme' },
    scopes,
    principal: { type: 'user', id: 'u_1', email: 'ada@example.com', name: 'Ada', role, hasPassword: true },
    csrfToken: 'csrf-1',
  }
}
