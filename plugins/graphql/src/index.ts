/**
 * The built-in `graphql` tool: any GraphQL API over HTTP. The credential (or installation) sets the
 * base URL; each action posts to `endpoint`, `/graphql` by default.
 */
import { ActionError, auth, defineTool } from '@toolplane/sdk'
import { executeGraphQL } from './client.js'
import { introspect } from './introspect.js'
import { paginateConnection } from './paginate-connection.js'
import { query } from './query.js'

export { introspect, paginateConnection, query }
export { INTROSPECTION_QUERY, typeNotation } from './introspect.js'
export { errorClassOf, executeGraphQL } from './client.js'
export type { GraphQLError, GraphQLRequest, GraphQLResult } from './client.js'

export default defineTool({
  slug: 'graphql',
  name: 'GraphQL',
  description:
    'Query any GraphQL API: run queries and mutations, read the schema by introspection, and follow Relay connection cursors.',
  version: '1.0.0',
  categories: ['developer-tools'],
  authMethods: [auth.none(), auth.bearer(), auth.apiKey({ in: 'header', title: 'API key in a header' })],
  actions: [query, introspect, paginateConnection],
  // The cheapest operation every GraphQL server answers; tried at /graphql, then at the base URL itself.
  async healthCheck({ http, baseUrl }) {
    if (baseUrl === undefined) return { ok: true, detail: 'No base URL is set, so there is nothing to call' }
    const probe = { query: 'query HealthCheck { __typename }' }
    try {
      await executeGraphQL(http, baseUrl, { ...probe, endpoint: '/graphql' })
    } catch (error) {
      if (!(error instanceof ActionError) || error.httpStatus !== 404) throw error
      await executeGraphQL(http, baseUrl, { ...probe, endpoint: '' })
    }
    return { ok: true }
  },
})
