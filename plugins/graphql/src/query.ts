import { Type, defineAction } from '@toolplane/sdk'
import { Endpoint, ExtraHeaders, GraphQLErrorSchema, Variables, executeGraphQL } from './client.js'

/**
 * `graphql.query`: runs one query or mutation and returns `{ data, errors }`. A response with errors
 * and no data fails with the class its `extensions.code` means (UNAUTHENTICATED → `auth_error`,
 * FORBIDDEN → `permission_error`…); partial data comes back with its errors.
 */
export const query = defineAction({
  name: 'query',
  title: 'Run a GraphQL operation',
  description:
    'Sends a GraphQL query or mutation with its variables to the endpoint and returns `data` and `errors`. Partial results (data plus field errors) are returned; a response with errors and no data fails with an error class matching the server error code (UNAUTHENTICATED → auth_error, FORBIDDEN → permission_error, rate limits → rate_limited). Use graphql.introspect first to learn the schema.',
  input: Type.Object({
    query: Type.String({
      minLength: 1,
      description: 'The GraphQL document: one or more operations; name the one to run in operationName.',
      examples: ['query Viewer { viewer { login } }'],
    }),
    variables: Type.Optional(Variables),
    operationName: Type.Optional(
      Type.String({ minLength: 1, description: 'Which operation of the document to run.' }),
    ),
    endpoint: Endpoint,
    headers: Type.Optional(ExtraHeaders),
  }),
  output: Type.Object({
    data: Type.Unknown({ description: 'The `data` member of the response, or null.' }),
    errors: Type.Array(GraphQLErrorSchema, {
      description: 'Field errors of a partial result; empty when none.',
    }),
  }),
  examples: [
    {
      title: 'Look up a repository',
      input: {
        query:
          'query Repo($owner: String!, $name: String!) { repository(owner: $owner, name: $name) { id stargazerCount } }',
        variables: { owner: 'octocat', name: 'hello-world' },
        operationName: 'Repo',
        endpoint: '/graphql',
      },
      output: { data: { repository: { id: 'R_kgDOA', stargazerCount: 2100 } }, errors: [] },
    },
  ],
  // A document may hold a mutation; the engine must not repeat one that may have been applied.
  retry: { idempotent: false },
  async run({ http, baseUrl, input }) {
    return executeGraphQL(http, baseUrl, input)
  },
})
