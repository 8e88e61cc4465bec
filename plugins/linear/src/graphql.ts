/**
 * How Linear's GraphQL API is called: one POST to `/graphql`, and its `errors[].extensions.code`
 * turned into Toolplane error classes. Linear answers most GraphQL errors, rate limiting included,
 * with HTTP 400, so the code — not the status — says what went wrong.
 */
import { ActionError, classifyHttpStatus, retryAfterMs } from '@toolplane/sdk'
import type { ErrorClass, HttpClient, HttpResponse, Suggestion } from '@toolplane/sdk'

/** One entry of a GraphQL `errors` array as Linear sends it. */
export interface LinearGraphQLError {
  message?: string
  extensions?: {
    code?: string
    type?: string
    userPresentableMessage?: string
  }
}

interface GraphQLBody<T> {
  data?: T | null
  errors?: LinearGraphQLError[]
}

/**
 * Runs a query or mutation and returns its `data`, throwing a classified {@link ActionError} when
 * Linear answers with errors or a non-2xx status.
 *
 * @example
 * const data = await linearRequest<{ viewer: { id: string } }>(http, 'query { viewer { id } }')
 */
export async function linearRequest<T>(
  http: HttpClient,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<T> {
  const res = await http.post<GraphQLBody<T> | undefined>('/graphql', { json: { query, variables } })
  const errors = res.json?.errors ?? []
  if (errors.length > 0 || !res.ok) throw linearError(res, errors)
  const data = res.json?.data
  if (data === undefined || data === null) {
    throw new ActionError('upstream_error', 'Linear answered without data; is baseUrl the Linear API?', {
      httpStatus: res.status,
      requestSent: true,
    })
  }
  return data
}

const suggestionsByClass: Partial<Record<ErrorClass, Suggestion>> = {
  auth_error: {
    title: 'Replace the API key',
    detail:
      'Linear did not accept the credential. Create a personal API key under Linear Settings → Account → Security & access (or reconnect OAuth) and update the credential. Personal keys are sent without "Bearer".',
  },
  permission_error: {
    title: 'Check access',
    detail:
      'The credential works but may not do this: check that the user belongs to the team, and for OAuth that the app was granted the write or issues:create scope.',
  },
  not_found: {
    title: 'Check the id',
    detail:
      'Linear found nothing with that id. Issue ids are UUIDs or identifiers such as ENG-123; team, state, label and user ids are UUIDs (list_teams returns team ids).',
  },
  validation_error: {
    title: 'Fix the input',
    detail: 'Correct the field Linear named and try again.',
  },
}

/**
 * Turns Linear's GraphQL errors (or, without any, the HTTP status) into an error of the right class:
 * `AUTHENTICATION_ERROR` is `auth_error`, `FORBIDDEN` `permission_error`, `RATELIMITED`
 * `rate_limited` with the wait from `X-RateLimit-Requests-Reset`, `INVALID_INPUT` `validation_error`
 * (or `not_found` for an entity that does not exist), `ENTITY_NOT_FOUND` `not_found`.
 *
 * @example
 * throw linearError(res, res.json.errors)
 */
export function linearError(res: HttpResponse, errors: readonly LinearGraphQLError[]): ActionError {
  const first = errors[0]
  const code = first?.extensions?.code
  const said = first?.message ?? `HTTP ${res.status}`
  const errorClass = classify(code, said, res)
  const shown = first?.extensions?.userPresentableMessage
  const message = `Linear ${code === undefined ? `answered ${res.status}` : `said ${code}`}: ${said}${
    shown !== undefined && shown !== said ? ` (${shown})` : ''
  }`
  const base = { httpStatus: res.status, requestSent: true }
  if (errorClass === 'rate_limited') {
    const wait = rateLimitWaitMs(res.headers)
    return new ActionError('rate_limited', message, {
      ...base,
      ...(wait === undefined ? {} : { retryAfterMs: wait }),
      suggestions: [
        {
          title: 'Wait for the rate limit window',
          detail:
            'Linear allows 1,500 requests an hour per API key (and a complexity budget per hour). Spread requests out or ask for fewer items per page.',
        },
      ],
    })
  }
  const suggestion = suggestionsByClass[errorClass]
  return new ActionError(errorClass, message, {
    ...base,
    ...(suggestion === undefined ? {} : { suggestions: [suggestion] }),
  })
}

function classify(code: string | undefined, said: string, res: HttpResponse): ErrorClass {
  switch (code) {
    case 'AUTHENTICATION_ERROR':
      return 'auth_error'
    case 'FORBIDDEN':
      return 'permission_error'
    case 'RATELIMITED':
      return 'rate_limited'
    case 'ENTITY_NOT_FOUND':
      return 'not_found'
    case 'INVALID_INPUT':
    case 'GRAPHQL_VALIDATION_FAILED':
    case 'BAD_USER_INPUT':
      // Linear reports a lookup of an id that does not exist as invalid input "Entity not found".
      return /entity not found/i.test(said) ? 'not_found' : 'validation_error'
    case undefined:
      return classifyHttpStatus(res.status, res.headers)
    default:
      return res.status >= 500 ? classifyHttpStatus(res.status, res.headers) : 'upstream_error'
  }
}

/**
 * How long to wait after `RATELIMITED`: Linear sends the end of the window as epoch milliseconds in
 * `X-RateLimit-Requests-Reset` (or `X-RateLimit-Complexity-Reset` when the complexity budget ran out).
 */
function rateLimitWaitMs(headers: Readonly<Record<string, string>>, now = Date.now()): number | undefined {
  const spent = ['requests', 'complexity'].find((kind) => headers[`x-ratelimit-${kind}-remaining`] === '0')
  for (const kind of spent === undefined ? ['requests', 'complexity'] : [spent]) {
    const reset = headers[`x-ratelimit-${kind}-reset`]
    if (reset !== undefined && /^\d+$/.test(reset)) return Math.max(0, Number(reset) - now)
  }
  return retryAfterMs(headers, now)
}
