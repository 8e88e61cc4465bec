import type { ServerResponse } from 'node:http'
import { runAction, runHealthCheck, validate, validateTool } from '@toolplane/sdk'
import type { CredentialView } from '@toolplane/sdk'
import { actionErrorOf, startUpstream } from '@toolplane/sdk/testing'
import type { RecordedRequest, Upstream } from '@toolplane/sdk/testing'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import graphql from './index.js'
import { typeNotation } from './introspect.js'

// ---------------------------------------------------------------------------------------------
// A small GraphQL server stand-in: it answers the operations the tests send the way Apollo Server,
// GitHub, Linear and Shopify answer them (status codes, `errors[].extensions.code`, GitHub's `type`).

const issues = Array.from({ length: 5 }, (_, index) => ({
  id: `I_${index + 1}`,
  title: `Issue ${index + 1}`,
  state: index % 2 === 0 ? 'OPEN' : 'CLOSED',
}))
const cursorOf = (index: number) => Buffer.from(`cursor:${index}`).toString('base64')
const indexOf = (cursor: unknown) =>
  typeof cursor === 'string' ? Number(Buffer.from(cursor, 'base64').toString().slice('cursor:'.length)) : 0

interface Ref {
  kind: string
  name: string | null
  ofType: Ref | null
}
const named = (name: string): Ref => ({ kind: 'OBJECT', name, ofType: null })
const scalar = (name: string): Ref => ({ kind: 'SCALAR', name, ofType: null })
const nonNull = (ofType: Ref): Ref => ({ kind: 'NON_NULL', name: null, ofType })
const list = (ofType: Ref): Ref => ({ kind: 'LIST', name: null, ofType })
const field = (name: string, type: object, args: object[] = [], extra: object = {}) => ({
  name,
  description: null,
  args,
  type,
  isDeprecated: false,
  deprecationReason: null,
  ...extra,
})
const arg = (name: string, type: object, defaultValue: string | null = null) => ({
  name,
  description: null,
  type,
  defaultValue,
})
const objectType = (name: string, fields: object[], extra: object = {}) => ({
  kind: 'OBJECT',
  name,
  description: null,
  fields,
  inputFields: null,
  interfaces: [],
  enumValues: null,
  possibleTypes: null,
  ...extra,
})
const scalarType = (name: string) => ({
  kind: 'SCALAR',
  name,
  description: 'Built-in scalar',
  fields: null,
  inputFields: null,
  interfaces: null,
  enumValues: null,
  possibleTypes: null,
})

const schema = {
  __schema: {
    queryType: { name: 'Query' },
    mutationType: { name: 'Mutation' },
    subscriptionType: null,
    types: [
      objectType('Query', [
        field('viewer', nonNull(named('User'))),
        field('issue', named('Issue'), [arg('id', nonNull(scalar('ID')))]),
        field(
          'issues',
          nonNull(named('IssueConnection')),
          [arg('first', scalar('Int'), '10'), arg('after', scalar('String'))],
          { description: 'Issues, newest first' },
        ),
      ]),
      objectType('Mutation', [
        field('createIssue', nonNull(named('Issue')), [
          arg('input', nonNull({ kind: 'INPUT_OBJECT', name: 'CreateIssueInput', ofType: null })),
        ]),
      ]),
      objectType(
        'Issue',
        [
          field('id', nonNull(scalar('ID'))),
          field('title', nonNull(scalar('String'))),
          field('state', nonNull({ kind: 'ENUM', name: 'IssueState', ofType: null })),
          field('labels', nonNull(list(nonNull(scalar('String')))), [], {
            isDeprecated: true,
            deprecationReason: 'Use labelNodes',
          }),
        ],
        {
          description: 'A tracked piece of work',
          interfaces: [{ kind: 'INTERFACE', name: 'Node', ofType: null }],
        },
      ),
      {
        kind: 'INTERFACE',
        name: 'Node',
        description: null,
        fields: [field('id', nonNull(scalar('ID')))],
        inputFields: null,
        interfaces: [],
        enumValues: null,
        possibleTypes: [named('Issue')],
      },
      {
        kind: 'ENUM',
        name: 'IssueState',
        description: null,
        fields: null,
        inputFields: null,
        interfaces: null,
        enumValues: [
          { name: 'OPEN', description: null, isDeprecated: false, deprecationReason: null },
          { name: 'CLOSED', description: null, isDeprecated: false, deprecationReason: null },
        ],
        possibleTypes: null,
      },
      {
        kind: 'INPUT_OBJECT',
        name: 'CreateIssueInput',
        description: null,
        fields: null,
        inputFields: [
          arg('title', nonNull(scalar('String'))),
          arg('state', { kind: 'ENUM', name: 'IssueState', ofType: null }, 'OPEN'),
        ],
        interfaces: null,
        enumValues: null,
        possibleTypes: null,
      },
      objectType('User', [field('login', nonNull(scalar('String')))]),
      scalarType('String'),
      scalarType('ID'),
      scalarType('Int'),
      scalarType('Boolean'),
      objectType('__Type', [field('name', scalar('String'))]),
    ],
  },
}

function respond(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  response.writeHead(status, { 'content-type': 'application/json', ...headers })
  response.end(JSON.stringify(body))
}

const authenticated = (request: RecordedRequest) =>
  request.headers.authorization === 'Bearer good-token' || request.headers['x-api-key'] === 'key-1'

function standIn(request: RecordedRequest, response: ServerResponse): void {
  const path = new URL(request.url, 'http://stand-in').pathname
  if (path === '/html') {
    response.writeHead(200, { 'content-type': 'text/html' })
    response.end('<html>Welcome</html>')
    return
  }
  if (path === '/crash') {
    response.writeHead(502, { 'content-type': 'text/html' })
    response.end('<html>Bad gateway</html>')
    return
  }
  if (!['/graphql', '/gql-root', '/v2/graphql'].includes(path) || request.method !== 'POST') {
    response.writeHead(404, { 'content-type': 'text/html' })
    response.end('<html>Not Found</html>')
    return
  }
  const { query = '', variables = {} } = (request.json ?? {}) as {
    query?: string
    variables?: Record<string, unknown>
  }
  if (request.headers.authorization === 'Bearer github-revoked') {
    respond(response, 401, {
      message: 'Bad credentials',
      documentation_url: 'https://docs.github.com/graphql',
    })
    return
  }
  if (!authenticated(request) && !query.includes('publicInfo')) {
    respond(response, 200, {
      data: null,
      errors: [{ message: 'You must be logged in to do this', extensions: { code: 'UNAUTHENTICATED' } }],
    })
    return
  }
  if (query.includes('{{')) {
    respond(response, 400, {
      errors: [
        {
          message: 'Syntax Error: Expected Name, found "{".',
          locations: [{ line: 1, column: 2 }],
          extensions: { code: 'GRAPHQL_PARSE_FAILED' },
        },
      ],
    })
    return
  }
  if (query.includes('busy')) {
    respond(
      response,
      429,
      { errors: [{ message: 'Too many requests', extensions: { code: 'RATE_LIMITED' } }] },
      { 'retry-after': '3' },
    )
    return
  }
  if (query.includes('throttled')) {
    respond(response, 200, {
      data: null,
      errors: [
        { message: 'Throttled', extensions: { code: 'THROTTLED', documentation: 'https://shopify.dev' } },
      ],
    })
    return
  }
  if (query.includes('__schema')) {
    const mode = request.headers['x-stand-in']
    if (mode === 'no-introspection') {
      respond(response, 400, {
        errors: [
          {
            message: 'GraphQL introspection is not allowed, but the query contained __schema or __type',
            extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
          },
        ],
      })
      return
    }
    respond(response, 200, { data: mode === 'empty' ? {} : schema })
    return
  }
  if (query.includes('HealthCheck')) {
    respond(response, 200, { data: { __typename: 'Query' } })
    return
  }
  if (query.includes('secretField')) {
    respond(response, 200, {
      data: null,
      errors: [
        {
          message: 'Not allowed to read secretField',
          path: ['secretField'],
          extensions: { code: 'FORBIDDEN' },
        },
      ],
    })
    return
  }
  if (query.includes('createIssue')) {
    const input = variables.input as { title: string }
    respond(response, 200, { data: { createIssue: { id: 'I_6', title: input.title } } })
    return
  }
  if (query.includes('issue(')) {
    if (variables.id === 'missing') {
      respond(response, 200, {
        data: null,
        errors: [
          {
            type: 'NOT_FOUND',
            path: ['issue'],
            locations: [{ line: 1, column: 26 }],
            message: "Could not resolve to an Issue with the id of 'missing'.",
          },
          { message: 'Second problem' },
        ],
      })
      return
    }
    respond(response, 200, {
      data: { issue: null, viewer: { login: 'ada' } },
      errors: [
        { message: 'Issue is archived', path: ['issue', 0, 'title'], extensions: { code: 'ARCHIVED' } },
        'odd',
      ],
    })
    return
  }
  if (query.includes('nullConnection')) {
    respond(response, 200, { data: { viewer: { nullConnection: null } } })
    return
  }
  if (query.includes('noPageInfo')) {
    respond(response, 200, { data: { viewer: { noPageInfo: { nodes: [] } } } })
    return
  }
  if (query.includes('noNodes')) {
    respond(response, 200, {
      data: { viewer: { noNodes: { pageInfo: { hasNextPage: false, endCursor: null } } } },
    })
    return
  }
  if (query.includes('issues')) {
    const first = typeof variables.first === 'number' ? variables.first : 2
    const start = variables.after === null || variables.after === undefined ? 0 : indexOf(variables.after) + 1
    const page = issues.slice(start, start + first)
    const endIndex = start + page.length - 1
    const pageInfo = {
      hasNextPage: endIndex < issues.length - 1,
      endCursor: page.length > 0 ? cursorOf(endIndex) : null,
    }
    const connection = query.includes('edges')
      ? { edges: page.map((node, offset) => ({ cursor: cursorOf(start + offset), node })), pageInfo }
      : { nodes: page, pageInfo }
    respond(response, 200, { data: { repository: { issues: connection } } })
    return
  }
  if (query.includes('viewer') || query.includes('publicInfo')) {
    respond(response, 200, { data: { viewer: { login: 'ada' } } })
    return
  }
  respond(response, 400, { errors: [{ message: `Cannot query this: ${query}` }] })
}

// ---------------------------------------------------------------------------------------------

let upstream: Upstream
beforeAll(async () => {
  upstream = await startUpstream(standIn)
})
afterAll(async () => {
  await upstream.close()
})
beforeEach(() => {
  upstream.requests.length = 0
})

const bearer: CredentialView = { authMethod: 'bearer', secrets: { token: 'good-token' } }

function run<N extends 'query' | 'introspect' | 'paginate_connection'>(
  action: N,
  input: Record<string, unknown>,
  credential = bearer,
) {
  return runAction(graphql, action, { input, credential, baseUrl: upstream.url, allowPrivateNetwork: true })
}

describe('graphql.query', () => {
  it('posts the operation to /graphql with the token and returns data', async () => {
    const { output } = await run('query', {
      query: 'query Viewer { viewer { login } }',
      variables: { verbose: true },
      operationName: 'Viewer',
    })
    expect(output).toEqual({ data: { viewer: { login: 'ada' } }, errors: [] })
    const received = upstream.requests[0]
    expect(received?.method).toBe('POST')
    expect(received?.url).toBe('/graphql')
    expect(received?.headers.authorization).toBe('Bearer good-token')
    expect(received?.headers['content-type']).toBe('application/json')
    expect(received?.headers.accept).toContain('application/graphql-response+json')
    expect(received?.json).toEqual({
      query: 'query Viewer { viewer { login } }',
      variables: { verbose: true },
      operationName: 'Viewer',
    })
  })

  it('runs a mutation with variables', async () => {
    const { output } = await run('query', {
      query: 'mutation Create($input: CreateIssueInput!) { createIssue(input: $input) { id title } }',
      variables: { input: { title: 'Broken link' } },
    })
    expect(output.data).toEqual({ createIssue: { id: 'I_6', title: 'Broken link' } })
    expect(upstream.requests[0]?.json).toEqual({
      query: 'mutation Create($input: CreateIssueInput!) { createIssue(input: $input) { id title } }',
      variables: { input: { title: 'Broken link' } },
    })
  })

  it('returns partial data together with its field errors', async () => {
    const { output } = await run('query', { query: 'query { issue(id: "I_1") { title } viewer { login } }' })
    expect(output.data).toEqual({ issue: null, viewer: { login: 'ada' } })
    expect(output.errors).toEqual([
      { message: 'Issue is archived', path: ['issue', 0, 'title'], extensions: { code: 'ARCHIVED' } },
      { message: 'odd' },
    ])
  })

  it('sends an API key in the header the credential names', async () => {
    const { output } = await run(
      'query',
      { query: '{ viewer { login } }', headers: { 'graphql-version': '2024-01' } },
      { authMethod: 'api_key', secrets: { headerName: 'X-Api-Key', value: 'key-1' } },
    )
    expect(output.data).toEqual({ viewer: { login: 'ada' } })
    expect(upstream.requests[0]?.headers['x-api-key']).toBe('key-1')
    expect(upstream.requests[0]?.headers['graphql-version']).toBe('2024-01')
  })

  it('works without a credential for public operations', async () => {
    const { output } = await runAction(graphql, 'query', {
      input: { query: '{ publicInfo }' },
      baseUrl: upstream.url,
      allowPrivateNetwork: true,
    })
    expect(output.data).toEqual({ viewer: { login: 'ada' } })
    expect(upstream.requests[0]?.headers.authorization).toBeUndefined()
  })

  it('posts to another path, an absolute URL, or the base URL itself', async () => {
    await run('query', { query: '{ viewer { login } }', endpoint: '/v2/graphql' })
    await run('query', { query: '{ viewer { login } }', endpoint: `${upstream.url}/gql-root` })
    await runAction(graphql, 'query', {
      input: { query: '{ viewer { login } }', endpoint: '' },
      credential: bearer,
      baseUrl: `${upstream.url}/gql-root`,
      allowPrivateNetwork: true,
    })
    expect(upstream.requests.map((r) => r.url)).toEqual(['/v2/graphql', '/gql-root', '/gql-root'])
  })

  it('refuses an empty endpoint when no base URL is set', async () => {
    const error = await actionErrorOf(
      runAction(graphql, 'query', {
        input: { query: '{ viewer { login } }', endpoint: '' },
        credential: bearer,
      }),
    )
    expect(error.class).toBe('validation_error')
  })

  describe('errors', () => {
    it('fails with auth_error on UNAUTHENTICATED with no data', async () => {
      const error = await actionErrorOf(
        run(
          'query',
          { query: '{ viewer { login } }' },
          { authMethod: 'bearer', secrets: { token: 'wrong' } },
        ),
      )
      expect(error.class).toBe('auth_error')
      expect(error.message).toContain('You must be logged in')
      expect(error.suggestions[0]?.title).toBe('Check the credential')
    })

    it('fails with auth_error on a 401 that is not a GraphQL response', async () => {
      const error = await actionErrorOf(
        run(
          'query',
          { query: '{ viewer { login } }' },
          { authMethod: 'bearer', secrets: { token: 'github-revoked' } },
        ),
      )
      expect(error.class).toBe('auth_error')
      expect(error.httpStatus).toBe(401)
    })

    it('fails with permission_error on FORBIDDEN', async () => {
      const error = await actionErrorOf(run('query', { query: '{ secretField }' }))
      expect(error.class).toBe('permission_error')
    })

    it("fails with not_found on GitHub's NOT_FOUND type and counts the other errors", async () => {
      const error = await actionErrorOf(
        run('query', { query: 'query($id: ID!) { issue(id: $id) { title } }', variables: { id: 'missing' } }),
      )
      expect(error.class).toBe('not_found')
      expect(error.message).toContain("Could not resolve to an Issue with the id of 'missing'. (and 1 more)")
    })

    it('fails with validation_error on a syntax error', async () => {
      const error = await actionErrorOf(run('query', { query: '{{ viewer }' }))
      expect(error.class).toBe('validation_error')
      expect(error.httpStatus).toBe(400)
    })

    it('fails with rate_limited and the Retry-After wait on a 429', async () => {
      const error = await actionErrorOf(run('query', { query: '{ busy }' }))
      expect(error.class).toBe('rate_limited')
      expect(error.retryAfterMs).toBe(3000)
      expect(error.retryable).toBe(true)
    })

    it('fails with rate_limited on a THROTTLED error with HTTP 200', async () => {
      const error = await actionErrorOf(run('query', { query: '{ throttled }' }))
      expect(error.class).toBe('rate_limited')
      expect(error.httpStatus).toBe(200)
    })

    it('classifies an error without a known code by its HTTP status', async () => {
      const error = await actionErrorOf(run('query', { query: '{ unknownThing }' }))
      expect(error.class).toBe('validation_error')
      expect(error.message).toContain('Cannot query this')
    })

    it('fails with upstream_error when the endpoint does not speak GraphQL', async () => {
      const error = await actionErrorOf(run('query', { query: '{ viewer { login } }', endpoint: '/html' }))
      expect(error.class).toBe('upstream_error')
      expect(error.suggestions[0]?.title).toBe('Check the endpoint')
    })

    it('fails with the status class when the endpoint answers a non-GraphQL error', async () => {
      expect(
        (await actionErrorOf(run('query', { query: '{ viewer { login } }', endpoint: '/nowhere' }))).class,
      ).toBe('not_found')
      expect(
        (await actionErrorOf(run('query', { query: '{ viewer { login } }', endpoint: '/crash' }))).class,
      ).toBe('upstream_unavailable')
    })
  })
})

describe('graphql.introspect', () => {
  it('returns the schema as compact types without the built-ins', async () => {
    const { output } = await run('introspect', {})
    expect(upstream.requests[0]?.json).toMatchObject({ operationName: 'IntrospectionQuery' })
    expect(output.queryType).toBe('Query')
    expect(output.mutationType).toBe('Mutation')
    expect(output.subscriptionType).toBeNull()
    expect(output.types.map((type) => type.name)).toEqual([
      'Query',
      'Mutation',
      'Issue',
      'Node',
      'IssueState',
      'CreateIssueInput',
      'User',
    ])
    const query = output.types.find((type) => type.name === 'Query')
    expect(query?.fields).toEqual([
      { name: 'viewer', type: 'User!' },
      { name: 'issue', type: 'Issue', args: [{ name: 'id', type: 'ID!' }] },
      {
        name: 'issues',
        type: 'IssueConnection!',
        args: [
          { name: 'first', type: 'Int', defaultValue: '10' },
          { name: 'after', type: 'String' },
        ],
        description: 'Issues, newest first',
      },
    ])
    expect(output.types.find((type) => type.name === 'Issue')).toMatchObject({
      description: 'A tracked piece of work',
      interfaces: ['Node'],
      fields: expect.arrayContaining([{ name: 'labels', type: '[String!]!', deprecated: true }]) as unknown,
    })
    expect(output.types.find((type) => type.name === 'Node')?.possibleTypes).toEqual(['Issue'])
    expect(output.types.find((type) => type.name === 'IssueState')?.enumValues).toEqual(['OPEN', 'CLOSED'])
    expect(output.types.find((type) => type.name === 'CreateIssueInput')?.inputFields).toEqual([
      { name: 'title', type: 'String!' },
      { name: 'state', type: 'IssueState', defaultValue: 'OPEN' },
    ])
  })

  it('describes only the named types, built-ins included when named, without descriptions', async () => {
    const { output } = await run('introspect', { types: ['Issue', 'String'], includeDescriptions: false })
    expect(output.types.map((type) => type.name)).toEqual(['Issue', 'String'])
    expect(output.types[0]?.description).toBeUndefined()
    expect(output.types[1]).toEqual({ name: 'String', kind: 'SCALAR' })
  })

  it('includes the built-in types when asked', async () => {
    const { output } = await run('introspect', { includeBuiltins: true })
    expect(output.types.map((type) => type.name)).toEqual(expect.arrayContaining(['String', 'ID', '__Type']))
  })

  it('fails with validation_error when introspection is disabled', async () => {
    const disabled = await actionErrorOf(run('introspect', { headers: { 'x-stand-in': 'no-introspection' } }))
    expect(disabled.class).toBe('validation_error')
    const empty = await actionErrorOf(run('introspect', { headers: { 'x-stand-in': 'empty' } }))
    expect(empty.class).toBe('validation_error')
    expect(empty.message).toContain('introspection may be disabled')
  })

  it('writes type references in SDL notation', () => {
    expect(typeNotation(nonNull(list(nonNull(scalar('String')))))).toBe('[String!]!')
    expect(typeNotation(undefined)).toBe('Unknown')
    expect(typeNotation({ kind: 'OBJECT', name: null })).toBe('Unknown')
  })
})

describe('graphql.paginate_connection', () => {
  const nodesQuery =
    'query Issues($first: Int, $after: String) { repository { issues(first: $first, after: $after) { nodes { id title state } pageInfo { hasNextPage endCursor } } } }'

  it('follows endCursor through every page with the after variable', async () => {
    const { output } = await run('paginate_connection', {
      query: nodesQuery,
      connectionPath: 'repository.issues',
      variables: { first: 2 },
    })
    expect(output).toEqual({
      items: issues,
      pages: 3,
      hasNextPage: false,
      endCursor: cursorOf(4),
      errors: [],
    })
    expect(upstream.requests.map((r) => (r.json as { variables: unknown }).variables)).toEqual([
      { first: 2, after: null },
      { first: 2, after: cursorOf(1) },
      { first: 2, after: cursorOf(3) },
    ])
  })

  it('reads edges and stops at maxPages with the cursor to continue from', async () => {
    const { output } = await run('paginate_connection', {
      query: nodesQuery.replace('nodes { id title state }', 'edges { cursor node { id title state } }'),
      connectionPath: 'repository.issues',
      variables: { first: 2 },
      maxPages: 1,
    })
    expect(output).toEqual({
      items: issues.slice(0, 2),
      pages: 1,
      hasNextPage: true,
      endCursor: cursorOf(1),
      errors: [],
    })
  })

  it('continues from a cursor given in the variables, under another variable name', async () => {
    const { output } = await run('paginate_connection', {
      query: nodesQuery.replaceAll('$after', '$cursor'),
      connectionPath: 'repository.issues',
      variables: { first: 10, cursor: cursorOf(2), after: cursorOf(2) },
      cursorVariable: 'cursor',
    })
    expect(output.items).toEqual(issues.slice(3))
    expect(upstream.requests[0]?.json).toMatchObject({ variables: { cursor: cursorOf(2) } })
  })

  it('treats a null connection as an empty page', async () => {
    const { output } = await run('paginate_connection', {
      query: '{ viewer { nullConnection { nodes { id } pageInfo { hasNextPage endCursor } } } }',
      connectionPath: 'viewer.nullConnection',
    })
    expect(output).toEqual({ items: [], pages: 1, hasNextPage: false, endCursor: null, errors: [] })
  })

  it.each([
    ['viewer.missing', '{ viewer { login } }', 'connection'],
    ['viewer.noPageInfo', '{ viewer { noPageInfo { nodes { id } } } }', 'pageInfo'],
    ['viewer.noNodes', '{ viewer { noNodes { pageInfo { hasNextPage } } } }', 'nodes or edges'],
  ])('fails with validation_error when %s is not a connection', async (connectionPath, query, what) => {
    const error = await actionErrorOf(run('paginate_connection', { query, connectionPath }))
    expect(error.class).toBe('validation_error')
    expect(error.message).toContain(what)
  })

  it('fails with the class of the errors on any page', async () => {
    const error = await actionErrorOf(
      run(
        'paginate_connection',
        { query: nodesQuery, connectionPath: 'repository.issues' },
        {
          authMethod: 'bearer',
          secrets: { token: 'wrong' },
        },
      ),
    )
    expect(error.class).toBe('auth_error')
  })
})

describe('the graphql tool', () => {
  it('is a valid plugin with none, bearer and api_key auth', () => {
    expect(validateTool(graphql)).toEqual([])
    expect(graphql.authMethods.map((method) => method.id)).toEqual(['none', 'bearer', 'api_key'])
  })

  it.each(graphql.actions.map((action) => [action.name, action] as const))(
    'has a first example of %s that validates against its input schema',
    (_name, action) => {
      expect(validate(action.input, action.examples[0]?.input)).toMatchObject({ ok: true })
    },
  )

  it('passes the health check against /graphql', async () => {
    const result = await runHealthCheck(graphql, {
      credential: bearer,
      baseUrl: upstream.url,
      allowPrivateNetwork: true,
    })
    expect(result).toMatchObject({ ok: true, checked: true })
    expect(upstream.requests[0]?.url).toBe('/graphql')
  })

  it('falls back to the base URL itself when /graphql is not there', async () => {
    const result = await runHealthCheck(graphql, {
      credential: bearer,
      baseUrl: `${upstream.url}/gql-root`,
      allowPrivateNetwork: true,
    })
    expect(result).toMatchObject({ ok: true })
    expect(upstream.requests.map((r) => r.url)).toEqual(['/gql-root/graphql', '/gql-root'])
  })

  it('fails the health check with auth_error for a rejected token', async () => {
    const result = await runHealthCheck(graphql, {
      credential: { authMethod: 'bearer', secrets: { token: 'wrong' } },
      baseUrl: upstream.url,
      allowPrivateNetwork: true,
    })
    expect(result).toMatchObject({ ok: false, errorClass: 'auth_error' })
  })

  it('passes the health check without calling anything when no base URL is set', async () => {
    expect(await runHealthCheck(graphql, { credential: bearer })).toMatchObject({ ok: true })
    expect(upstream.requests).toHaveLength(0)
  })
})
