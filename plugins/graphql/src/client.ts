/**
 * One GraphQL-over-HTTP exchange: POST `{ query, variables, operationName }`, read `{ data, errors }`,
 * and turn a failed request into an `ActionError` with the class the server's error codes mean.
 */
import { ActionError, Type, classifyHttpStatus, retryAfterMs } from '@toolplane/sdk'
import type { ErrorClass, HttpClient, HttpResponse, Static, Suggestion } from '@toolplane/sdk'

/** Where the GraphQL endpoint is: a path joined to the base URL, an absolute URL, or `''` for the base URL itself. */
export const Endpoint = Type.String({
  default: '/graphql',
  description:
    'The GraphQL endpoint: a path joined to the base URL set on the credential (default `/graphql`), an absolute URL, or an empty string to post to the base URL itself.',
  examples: ['/graphql'],
})

/** Variables of an operation. */
export const Variables = Type.Record(Type.String(), Type.Unknown(), {
  description: 'Values for the variables the query declares, by name.',
})

/** Extra request headers. */
export const ExtraHeaders = Type.Record(Type.String(), Type.String({ pattern: '^[^\\r\\n]*$' }), {
  description: 'Extra request headers, such as an API version header. Put secrets in the credential.',
})

/** One entry of a GraphQL response's `errors`, as the GraphQL spec shapes it. */
export const GraphQLErrorSchema = Type.Object({
  message: Type.String(),
  path: Type.Optional(Type.Array(Type.Union([Type.String(), Type.Integer()]))),
  locations: Type.Optional(Type.Array(Type.Object({ line: Type.Integer(), column: Type.Integer() }))),
  extensions: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
})

/** One GraphQL error. */
export type GraphQLError = Static<typeof GraphQLErrorSchema>

/** What a GraphQL server answered. */
export interface GraphQLResult {
  data: unknown
  errors: GraphQLError[]
}

/** One operation to send. */
export interface GraphQLRequest {
  endpoint: string
  query: string
  variables?: Readonly<Record<string, unknown>>
  operationName?: string
  headers?: Readonly<Record<string, string>>
}

// `extensions.code` values (Apollo, graphql-java, Hasura, Linear, Shopify) and GitHub's `type`.
const codeClasses: Readonly<Record<string, ErrorClass>> = {
  UNAUTHENTICATED: 'auth_error',
  AUTHENTICATION_ERROR: 'auth_error',
  INVALID_TOKEN: 'auth_error',
  FORBIDDEN: 'permission_error',
  INSUFFICIENT_SCOPES: 'permission_error',
  ACCESS_DENIED: 'permission_error',
  RATELIMITED: 'rate_limited',
  RATE_LIMITED: 'rate_limited',
  THROTTLED: 'rate_limited',
  NOT_FOUND: 'not_found',
  BAD_USER_INPUT: 'validation_error',
  BAD_REQUEST: 'validation_error',
  GRAPHQL_PARSE_FAILED: 'validation_error',
  GRAPHQL_VALIDATION_FAILED: 'validation_error',
  MAX_NODE_LIMIT_EXCEEDED: 'validation_error',
  INTERNAL_SERVER_ERROR: 'upstream_error',
}

const classSuggestions: Partial<Record<ErrorClass, Suggestion>> = {
  auth_error: {
    title: 'Check the credential',
    detail: 'The server did not accept the token or API key. Update the credential with a valid one.',
  },
  permission_error: {
    title: 'Check the permissions',
    detail: 'The credential is valid but may not read or change this. Grant the missing scope or role.',
  },
  validation_error: {
    title: 'Check the query',
    detail:
      'The server rejected the query or its variables. Compare them with the schema (graphql.introspect lists types and fields).',
  },
  rate_limited: {
    title: 'Wait and retry',
    detail: 'The server is limiting requests; the run is retried after the wait it asked for.',
  },
  not_found: {
    title: 'Check the identifiers',
    detail: 'An object the query names does not exist or is not visible to this credential.',
  },
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function normalizeError(raw: unknown): GraphQLError {
  if (!isRecord(raw)) return { message: String(raw) }
  const error: GraphQLError = { message: typeof raw.message === 'string' ? raw.message : JSON.stringify(raw) }
  if (Array.isArray(raw.path)) {
    error.path = raw.path.filter(
      (step): step is string | number =>
        typeof step === 'string' || (typeof step === 'number' && Number.isInteger(step)),
    )
  }
  if (Array.isArray(raw.locations)) {
    error.locations = raw.locations
      .filter(isRecord)
      .filter((at) => Number.isInteger(at.line) && Number.isInteger(at.column))
      .map((at) => ({ line: at.line as number, column: at.column as number }))
  }
  const extensions = isRecord(raw.extensions) ? { ...raw.extensions } : {}
  // GitHub puts the code in a top-level `type`; keep it where clients look for it.
  if (typeof raw.type === 'string' && extensions.code === undefined) extensions.code = raw.type
  if (Object.keys(extensions).length > 0) error.extensions = extensions
  return error
}

/** The class a list of GraphQL errors means: the first error with a known code decides. */
export function errorClassOf(
  errors: readonly GraphQLError[],
  status: number,
  headers: Record<string, string>,
) {
  for (const error of errors) {
    const code = error.extensions?.code
    if (typeof code === 'string') {
      const known = codeClasses[code.toUpperCase()]
      if (known !== undefined) return known
    }
  }
  return status >= 200 && status < 300 ? 'upstream_error' : classifyHttpStatus(status, headers)
}

/** An `ActionError` for a response whose `errors` mean the operation failed. */
export function graphQLFailure(errors: readonly GraphQLError[], res: HttpResponse): ActionError {
  const errorClass = errorClassOf(errors, res.status, res.headers)
  const first = errors[0]?.message ?? 'no message'
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : ''
  const wait = retryAfterMs(res.headers)
  const suggestion = classSuggestions[errorClass]
  return new ActionError(errorClass, `The GraphQL server answered with an error: ${first}${more}`, {
    httpStatus: res.status,
    requestSent: true,
    ...(wait === undefined ? {} : { retryAfterMs: wait }),
    ...(suggestion === undefined ? {} : { suggestions: [suggestion] }),
  })
}

/**
 * Sends one operation. Returns `{ data, errors }` when there is data (partial results keep their
 * errors); throws when the server answered with errors and no data, or not with GraphQL at all.
 */
export async function executeGraphQL(
  http: HttpClient,
  baseUrl: string | undefined,
  request: GraphQLRequest,
): Promise<GraphQLResult> {
  const endpoint = request.endpoint
  const where = endpoint === '' ? baseUrl : endpoint
  if (where === undefined) {
    throw new ActionError('validation_error', 'An empty endpoint posts to the base URL, but none is set', {
      requestSent: false,
    })
  }
  const res = await http.post(where, {
    json: {
      query: request.query,
      ...(request.variables === undefined ? {} : { variables: request.variables }),
      ...(request.operationName === undefined ? {} : { operationName: request.operationName }),
    },
    headers: { accept: 'application/graphql-response+json, application/json', ...request.headers },
  })
  const body = res.json
  const isGraphQL = isRecord(body) && (Array.isArray(body.errors) || 'data' in body)
  if (!isGraphQL) {
    res.raise()
    throw new ActionError('upstream_error', `${res.url} did not answer with a GraphQL response`, {
      httpStatus: res.status,
      requestSent: true,
      retryable: false,
      suggestions: [
        {
          title: 'Check the endpoint',
          detail:
            'The URL answered, but not with `{ data, errors }`. Point `endpoint` at the GraphQL endpoint.',
        },
      ],
    })
  }
  const errors = Array.isArray(body.errors) ? body.errors.map(normalizeError) : []
  const data = body.data ?? null
  if (!res.ok || (data === null && errors.length > 0)) {
    if (errors.length === 0) res.raise()
    throw graphQLFailure(errors, res)
  }
  return { data, errors }
}
