import { Type, defineAction } from '@toolplane/sdk'
import {
  BodyEncoding,
  RequestHeaders,
  RequestQuery,
  ResponseHeaders,
  TargetUrl,
  normalizeBody,
  requestBody,
  target,
} from './body.js'

const Method = Type.Union(
  [
    Type.Literal('GET'),
    Type.Literal('HEAD'),
    Type.Literal('POST'),
    Type.Literal('PUT'),
    Type.Literal('PATCH'),
    Type.Literal('DELETE'),
    Type.Literal('OPTIONS'),
  ],
  { description: 'The HTTP method.', default: 'GET' },
)

const idempotentMethods: ReadonlySet<string> = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS'])

/**
 * `http.request`: one HTTP call to any URL with the credential applied. JSON bodies come back parsed;
 * a non-2xx status fails the execution with the class that status means (401 `auth_error`, 404
 * `not_found`, 429 `rate_limited`…). Retrying is safe for the idempotent methods (GET, HEAD, PUT,
 * DELETE, OPTIONS) and not for POST or PATCH; `isIdempotent(request, input)` tells the engine which.
 */
export const request = defineAction({
  name: 'request',
  title: 'Send an HTTP request',
  description:
    'Sends one HTTP request to any REST endpoint with the credential applied and returns the status, headers and body (parsed when JSON). Use it for APIs that have no dedicated tool. `url` is absolute, or a path relative to the base URL set on the credential. A JSON `body` (object or array) is sent as application/json; a string is sent as it is. A non-2xx response fails with an error class matching the status.',
  input: Type.Object({
    method: Method,
    url: TargetUrl,
    headers: Type.Optional(RequestHeaders),
    query: Type.Optional(RequestQuery),
    body: Type.Optional(
      Type.Unknown({
        description:
          'The request body: an object or array is sent as JSON, a string as it is (set content-type in headers if it is not text/plain).',
      }),
    ),
    form: Type.Optional(
      Type.Record(Type.String(), Type.String(), {
        description: 'Fields sent as application/x-www-form-urlencoded; give either body or form.',
      }),
    ),
    followRedirects: Type.Boolean({
      default: true,
      description: 'Follow 3xx redirects (up to 5); false returns the redirect itself, which then fails.',
    }),
    timeoutMs: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 60_000, description: 'A time limit for this call, in ms.' }),
    ),
  }),
  output: Type.Object({
    status: Type.Integer({ description: 'The HTTP status, always 2xx here: other statuses fail the run.' }),
    headers: ResponseHeaders,
    body: Type.Unknown({
      description: 'The parsed JSON value, the text, base64 of binary content, or null.',
    }),
    bodyEncoding: BodyEncoding,
    url: Type.String({ description: 'The URL that answered, after redirects.' }),
  }),
  examples: [
    {
      title: 'Create a record with a JSON body',
      input: {
        method: 'POST',
        url: 'https://api.example.com/v1/contacts',
        headers: { accept: 'application/json' },
        body: { name: 'Ada Lovelace', email: 'ada@example.com' },
        followRedirects: true,
      },
      output: {
        status: 201,
        headers: { 'content-type': 'application/json' },
        body: { id: 'c_123', name: 'Ada Lovelace', email: 'ada@example.com' },
        bodyEncoding: 'json',
        url: 'https://api.example.com/v1/contacts',
      },
    },
    {
      title: 'List with query parameters',
      input: { method: 'GET', url: '/v1/contacts', query: { limit: 20 }, followRedirects: true },
    },
  ],
  timeoutMs: 60_000,
  // RFC 9110 §9.2.2: a repeat of these methods has the effect of one request; POST and PATCH may not.
  retry: { idempotent: (input) => idempotentMethods.has(input.method) },
  async run({ http, input }) {
    const res = await http.request({
      method: input.method,
      ...target(input.url),
      headers: input.headers,
      query: input.query,
      ...requestBody(input.body, input.form),
      followRedirects: input.followRedirects,
      timeoutMs: input.timeoutMs,
    })
    res.raise()
    return { status: res.status, headers: res.headers, ...normalizeBody(res), url: res.url }
  },
})
