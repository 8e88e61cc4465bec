/**
 * What the http tool does with bodies: turns the caller's `body` into something the SDK client sends,
 * and an upstream response into a JSON-safe value (parsed JSON, text, or base64 for binary content).
 */
import { ActionError, Type } from '@toolplane/sdk'
import type { HttpCallOptions, HttpResponse } from '@toolplane/sdk'

/** How `body` in an output is to be read. */
export const BodyEncoding = Type.Union(
  [Type.Literal('json'), Type.Literal('text'), Type.Literal('base64'), Type.Literal('empty')],
  {
    description:
      '`json`: body is the parsed JSON value; `text`: a string; `base64`: binary content, base64-encoded; `empty`: no body (null).',
  },
)

/** Request headers as the caller gives them. */
export const RequestHeaders = Type.Record(Type.String(), Type.String({ pattern: '^[^\\r\\n]*$' }), {
  description:
    'Extra request headers. Put secrets in the credential, not here: inputs are recorded in the execution log.',
  examples: [{ accept: 'application/json' }],
})

const QueryScalar = Type.Union([Type.String(), Type.Number(), Type.Boolean()])

/** Query parameters as the caller gives them; an array repeats the parameter. */
export const RequestQuery = Type.Record(Type.String(), Type.Union([QueryScalar, Type.Array(QueryScalar)]), {
  description: 'Query parameters added to the URL; an array repeats the parameter (`?tag=a&tag=b`).',
  examples: [{ per_page: 50, state: 'open' }],
})

/** Response headers, lower-case names. */
export const ResponseHeaders = Type.Record(Type.String(), Type.String(), {
  description: 'Response headers, names in lower case; repeated headers joined with ", ".',
})

/** A target URL: absolute, or a path relative to the credential's base URL. */
export const TargetUrl = Type.String({
  minLength: 1,
  description:
    'An absolute http(s) URL, or a path such as `/v1/items` joined to the base URL set on the credential.',
  examples: ['https://api.example.com/v1/items', '/v1/items'],
})

// Content types whose bytes are text even though they are not `text/*`.
const textualType =
  /^(?:text\/|application\/(?:[\w.+-]+\+)?(?:json|xml|javascript|ecmascript|x-www-form-urlencoded|graphql|yaml|x-yaml|csv|sql)\b)|\+(?:xml|json|yaml)\b/i

/** A response body as a JSON value, and how to read it. */
export interface NormalizedBody {
  body: unknown
  bodyEncoding: 'json' | 'text' | 'base64' | 'empty'
}

/**
 * Reads a response body: the parsed value when it is JSON, a string when it is text, base64 when it
 * is binary, `null` when there is none.
 */
export function normalizeBody(res: HttpResponse): NormalizedBody {
  if (res.json !== undefined) return { body: res.json, bodyEncoding: 'json' }
  if (res.bytes.length === 0) return { body: null, bodyEncoding: 'empty' }
  const contentType = res.headers['content-type'] ?? ''
  if (textualType.test(contentType) || (contentType === '' && isUtf8(res.bytes))) {
    return { body: res.text, bodyEncoding: 'text' }
  }
  return { body: Buffer.from(res.bytes).toString('base64'), bodyEncoding: 'base64' }
}

function isUtf8(bytes: Uint8Array): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes)
    return true
  } catch {
    return false
  }
}

/** The body the caller gave, as the SDK client's `json`, `body` or form option. */
export function requestBody(
  body: unknown,
  form: Readonly<Record<string, string>> | undefined,
): Pick<HttpCallOptions, 'json' | 'body'> {
  if (form !== undefined) {
    if (body !== undefined && body !== null) {
      throw new ActionError('validation_error', 'Give either body or form, not both', { requestSent: false })
    }
    return { body: new URLSearchParams(form) }
  }
  if (body === undefined || body === null) return {}
  if (typeof body === 'string') return { body }
  return { json: body }
}

/** An absolute URL goes to the client as `url`, anything else as a `path` joined to the base URL. */
export function target(url: string): { url: string } | { path: string } {
  return /^[a-z][a-z0-9+.-]*:/i.test(url) ? { url } : { path: url }
}

/**
 * Follows a dotted path (`data.items`, `results.0.values`) into a JSON value; `undefined` when a
 * step is missing.
 */
export function valueAtPath(value: unknown, path: string): unknown {
  let current = value
  for (const step of path.split('.')) {
    if (step === '') continue
    if (Array.isArray(current) && /^\d+$/.test(step)) current = current[Number(step)]
    else if (typeof current === 'object' && current !== null && Object.hasOwn(current, step)) {
      current = (current as Record<string, unknown>)[step]
    } else return undefined
  }
  return current
}
