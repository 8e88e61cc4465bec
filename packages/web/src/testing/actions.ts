import type { Execution } from '../api/executions.js'
import type { JsonSchema, Tool } from '../api/tools.js'
import { fullTool } from './tools.js'

/** `http.request`'s input schema as the server sends it (trimmed descriptions). */
export const httpRequestSchema: JsonSchema = {
  type: 'object',
  required: ['method', 'url', 'followRedirects'],
  properties: {
    method: {
      anyOf: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'].map((m) => ({
        type: 'string',
        const: m,
      })),
      description: 'The HTTP method.',
      default: 'GET',
    },
    url: { type: 'string', minLength: 1, description: 'An absolute http(s) URL.' },
    headers: {
      type: 'object',
      patternProperties: { '^.*$': { type: 'string', pattern: '^[^\\r\\n]*$' } },
      description: 'Extra request headers.',
    },
    body: { description: 'The request body.' },
    followRedirects: { type: 'boolean', default: true, description: 'Follow 3xx redirects.' },
    timeoutMs: { type: 'integer', minimum: 1, maximum: 60000, description: 'A time limit for this call.' },
  },
}

/** An execution as `GET /v1/executions/{id}` returns it. */
export function execution(overrides: Partial<Execution> = {}): Execution {
  return {
    id: 'ex_1',
    action: 'http.request',
    tool: 'http',
    credentialId: 'cred_1',
    status: 'succeeded',
    mode: 'sync',
    input: { method: 'GET', url: 'https://api.example.com/items', followRedirects: true },
    output: {
      status: 200,
      headers: {},
      body: { ok: true },
      bodyEncoding: 'json',
      url: 'https://api.example.com/items',
    },
    error: null,
    attempts: [
      {
        number: 1,
        status: 'succeeded',
        httpStatus: 200,
        errorClass: null,
        startedAt: '2026-01-01T00:00:00.000Z',
        durationMs: 42,
      },
    ],
    batchId: null,
    batchIndex: null,
    retryOf: null,
    correlationId: 'req-1',
    cancelRequested: false,
    createdAt: '2026-01-01T00:00:00.000Z',
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:00:00.042Z',
    durationMs: 42,
    ...overrides,
  }
}

/** A failed execution: the upstream refused the token. */
export function failedExecution(overrides: Partial<Execution> = {}): Execution {
  return execution({
    id: 'ex_failed',
    status: 'failed',
    output: null,
    error: {
      class: 'auth_error',
      message: 'The upstream answered 401 Unauthorized',
      retryable: false,
      httpStatus: 401,
      suggestions: [
        { title: 'Update the secrets', detail: 'Enter a new token or key.' },
        { title: 'Run diagnose', detail: 'GET /v1/credentials/{id}/diagnose lists which check fails.' },
      ],
    },
    attempts: [
      {
        number: 1,
        status: 'failed',
        httpStatus: 401,
        errorClass: 'auth_error',
        startedAt: '2026-01-01T00:00:00.000Z',
        durationMs: 12,
      },
    ],
    ...overrides,
  })
}

/**
 * The built-in HTTP tool (no authentication or a bearer token) with the given actions.
 *
 * @example
 * const tool = httpToolWith([{ ...fullTool().actions[0]!, name: 'request', input: httpRequestSchema }])
 */
export function httpToolWith(actions: Tool['actions']): Tool {
  return fullTool({
    slug: 'http',
    name: 'HTTP',
    authMethods: [
      { id: 'none', kind: 'none', title: 'No authentication', fields: { type: 'object', properties: {} } },
      { id: 'bearer', kind: 'bearer', title: 'Bearer token', fields: { type: 'object', properties: {} } },
    ],
    actions,
  })
}
