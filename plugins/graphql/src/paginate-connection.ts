import { ActionError, Type, defineAction } from '@toolplane/sdk'
import { Endpoint, ExtraHeaders, GraphQLErrorSchema, Variables, executeGraphQL } from './client.js'
import type { GraphQLError } from './client.js'

interface PageInfo {
  hasNextPage: boolean
  endCursor: string | null
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function valueAtPath(value: unknown, path: string): unknown {
  let current = value
  for (const step of path.split('.')) {
    if (!isRecord(current)) return undefined
    current = current[step]
  }
  return current
}

function missing(path: string, what: string): ActionError {
  return new ActionError('validation_error', `The response has no ${what} at "${path}"`, {
    requestSent: true,
    suggestions: [
      {
        title: 'Select a Relay connection',
        detail:
          'connectionPath must name a connection in `data` (such as `repository.issues`) whose selection includes `nodes` (or `edges { node }`) and `pageInfo { hasNextPage endCursor }`.',
      },
    ],
  })
}

function readConnection(data: unknown, path: string): { items: unknown[]; pageInfo: PageInfo } {
  const connection = valueAtPath(data, path)
  // A nullable connection field that is null is an empty page, not a mistake.
  if (connection === null) return { items: [], pageInfo: { hasNextPage: false, endCursor: null } }
  if (!isRecord(connection)) throw missing(path, 'connection')
  const pageInfo = connection.pageInfo
  if (!isRecord(pageInfo) || typeof pageInfo.hasNextPage !== 'boolean') {
    throw missing(path, 'pageInfo { hasNextPage endCursor }')
  }
  const { nodes, edges } = connection
  const items = Array.isArray(nodes)
    ? (nodes as unknown[])
    : Array.isArray(edges)
      ? (edges as unknown[]).map((edge) => (isRecord(edge) ? (edge.node ?? null) : null))
      : undefined
  if (items === undefined) throw missing(path, 'nodes or edges')
  return {
    items,
    pageInfo: {
      hasNextPage: pageInfo.hasNextPage,
      endCursor: typeof pageInfo.endCursor === 'string' ? pageInfo.endCursor : null,
    },
  }
}

/**
 * `graphql.paginate_connection`: runs a query that selects a Relay connection and follows
 * `pageInfo { hasNextPage endCursor }`, passing the cursor in the `after` variable, up to a page limit.
 */
export const paginateConnection = defineAction({
  name: 'paginate_connection',
  title: 'Fetch every page of a connection',
  description:
    'Runs a query that selects a Relay-style connection (`nodes` or `edges { node }` plus `pageInfo { hasNextPage endCursor }`) and repeats it with the end cursor in the cursor variable (default `after`) until there are no more pages or `maxPages` is reached. Returns all nodes together, and `endCursor` to continue from when `hasNextPage` is still true. The query must declare the cursor variable, e.g. `query($after: String) { viewer { repositories(first: 100, after: $after) { nodes { name } pageInfo { hasNextPage endCursor } } } }`.',
  input: Type.Object({
    query: Type.String({
      minLength: 1,
      description: 'The GraphQL query; it must declare the cursor variable and select pageInfo.',
    }),
    connectionPath: Type.String({
      minLength: 1,
      pattern: '^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*$',
      description: 'Dotted path from `data` to the connection, such as `viewer.repositories`.',
      examples: ['viewer.repositories'],
    }),
    variables: Type.Optional(Variables),
    operationName: Type.Optional(Type.String({ minLength: 1 })),
    cursorVariable: Type.String({
      minLength: 1,
      pattern: '^[A-Za-z_][A-Za-z0-9_]*$',
      default: 'after',
      description: 'The variable that takes the end cursor of the previous page.',
    }),
    maxPages: Type.Integer({
      minimum: 1,
      maximum: 100,
      default: 10,
      description: 'The most pages to fetch.',
    }),
    endpoint: Endpoint,
    headers: Type.Optional(ExtraHeaders),
  }),
  output: Type.Object({
    items: Type.Array(Type.Unknown(), { description: 'The nodes of every page fetched, in order.' }),
    pages: Type.Integer(),
    hasNextPage: Type.Boolean({ description: 'Whether more pages remain after the last one fetched.' }),
    endCursor: Type.Union([Type.String(), Type.Null()], {
      description: 'The cursor to continue from (pass it as the cursor variable).',
    }),
    errors: Type.Array(GraphQLErrorSchema, {
      description: 'Field errors of partial pages; empty when none.',
    }),
  }),
  examples: [
    {
      title: 'All repositories of the viewer',
      input: {
        query:
          'query Repos($after: String) { viewer { repositories(first: 100, after: $after) { nodes { name } pageInfo { hasNextPage endCursor } } } }',
        connectionPath: 'viewer.repositories',
        cursorVariable: 'after',
        maxPages: 5,
        endpoint: '/graphql',
      },
      output: {
        items: [{ name: 'hello-world' }],
        pages: 1,
        hasNextPage: false,
        endCursor: 'Y3Vyc29yOjE=',
        errors: [],
      },
    },
  ],
  timeoutMs: 120_000,
  retry: { idempotent: true },
  async run({ http, baseUrl, input }) {
    const items: unknown[] = []
    const errors: GraphQLError[] = []
    let cursor: unknown = input.variables?.[input.cursorVariable] ?? null
    let pages = 0
    for (;;) {
      const result = await executeGraphQL(http, baseUrl, {
        endpoint: input.endpoint,
        query: input.query,
        variables: { ...input.variables, [input.cursorVariable]: cursor },
        ...(input.operationName === undefined ? {} : { operationName: input.operationName }),
        ...(input.headers === undefined ? {} : { headers: input.headers }),
      })
      errors.push(...result.errors)
      const page = readConnection(result.data, input.connectionPath)
      items.push(...page.items)
      pages += 1
      const { hasNextPage, endCursor } = page.pageInfo
      // A server that says "more" without a cursor cannot be followed; stop rather than loop.
      if (!hasNextPage || endCursor === null || endCursor === cursor || pages >= input.maxPages) {
        return { items, pages, hasNextPage: hasNextPage && endCursor !== null, endCursor, errors }
      }
      cursor = endCursor
    }
  },
})
