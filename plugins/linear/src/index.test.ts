import type { ServerResponse } from 'node:http'
import { runAction, runHealthCheck, validate, validateTool } from '@toolplane/sdk'
import type { CredentialView } from '@toolplane/sdk'
import { actionErrorOf, startUpstream } from '@toolplane/sdk/testing'
import type { RecordedRequest, Upstream } from '@toolplane/sdk/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import linear from './index.js'

// A stand-in for api.linear.app/graphql: personal API keys in Authorization without "Bearer", OAuth
// tokens with it, errors as GraphQL errors[] with extensions.code (HTTP 400, as Linear sends them),
// X-RateLimit-Requests-* headers with the reset in epoch milliseconds, and Relay pagination.

const RESET_IN_MS = 90_000

const teams = [
  {
    id: '9cfb482a-81e3-4154-b5b9-2c805e70a02d',
    key: 'ENG',
    name: 'Engineering',
    description: null,
    private: false,
  },
  {
    id: '1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d',
    key: 'DES',
    name: 'Design',
    description: 'Product design',
    private: false,
  },
  {
    id: '2c3d4e5f-6071-4b8c-9d0e-1f2a3b4c5d6e',
    key: 'OPS',
    name: 'Operations',
    description: null,
    private: true,
  },
].map((team) => ({
  ...team,
  states: {
    nodes: [
      { id: `${team.key}-todo`, name: 'Todo', type: 'unstarted' },
      { id: `${team.key}-done`, name: 'Done', type: 'completed' },
    ],
  },
}))

const engineering = teams[0]!
const ME = { id: '4b3ea5d6-0b1f-4a5e-9a3b-3f2f6f8d2c11', name: 'Ada Lovelace', email: 'ada@example.com' }

function issue(number: number, extra: Record<string, unknown> = {}) {
  return {
    id: `00000000-0000-4000-8000-${String(number).padStart(12, '0')}`,
    identifier: `ENG-${number}`,
    title: `Issue ${number}`,
    description: `Description of ${number}`,
    priority: 3,
    priorityLabel: 'Medium',
    url: `https://linear.app/acme/issue/ENG-${number}/issue-${number}`,
    dueDate: null,
    createdAt: '2024-04-01T10:00:00.000Z',
    updatedAt: '2024-04-02T10:00:00.000Z',
    completedAt: null,
    state: { id: 'ENG-todo', name: 'Todo', type: 'unstarted' },
    team: { id: engineering.id, key: 'ENG', name: 'Engineering' },
    assignee: ME,
    labels: { nodes: [{ id: 'e0b2a0f4-5d7e-4a36-9a35-4f3c1b0fcd21', name: 'Bug' }] },
    ...extra,
  }
}

const issues = [issue(5), issue(4, { assignee: null, labels: { nodes: [] } }), issue(3), issue(2), issue(1)]

interface Operation {
  query: string
  variables: Record<string, unknown>
}

function connection<T>(items: readonly T[], first: number, after: unknown) {
  const start = typeof after === 'string' ? Number(Buffer.from(after, 'base64url').toString()) : 0
  const nodes = items.slice(start, start + first)
  const end = start + nodes.length
  return {
    nodes,
    pageInfo: {
      hasNextPage: end < items.length,
      endCursor: nodes.length > 0 ? Buffer.from(String(end)).toString('base64url') : null,
    },
  }
}

function graphqlError(code: string, message: string, userPresentableMessage?: string) {
  return {
    errors: [
      { message, extensions: { code, type: code.toLowerCase(), userError: true, userPresentableMessage } },
    ],
    data: null,
  }
}

let upstream: Upstream

function handle(request: RecordedRequest, response: ServerResponse): void {
  const reset = String(Date.now() + RESET_IN_MS)
  const authorization = request.headers.authorization ?? ''
  const limited = ['lin_api_limited', 'lin_api_complex', 'lin_api_proxied'].includes(authorization)
  const complexityReset = String(Date.now() + 2 * RESET_IN_MS)
  const headers: Record<string, string> =
    authorization === 'lin_api_proxied'
      ? // A proxy in front of Linear that keeps only Retry-After.
        { 'content-type': 'application/json; charset=utf-8', 'retry-after': '7' }
      : {
          'content-type': 'application/json; charset=utf-8',
          'x-ratelimit-requests-limit': '1500',
          'x-ratelimit-requests-remaining': authorization === 'lin_api_limited' ? '0' : '1499',
          'x-ratelimit-requests-reset': reset,
          'x-ratelimit-complexity-limit': '3000000',
          'x-ratelimit-complexity-remaining': authorization === 'lin_api_complex' ? '0' : '2999000',
          'x-ratelimit-complexity-reset': complexityReset,
        }
  const reply = (status: number, body: unknown) => {
    response.writeHead(status, headers)
    response.end(JSON.stringify(body))
  }
  if (request.method !== 'POST' || request.url !== '/graphql') {
    response.writeHead(404, { 'content-type': 'text/plain' })
    response.end('Not found')
    return
  }
  const known = [
    'lin_api_good',
    'Bearer lin_oauth_good',
    'lin_api_limited',
    'lin_api_guest',
    'lin_api_elsewhere',
  ]
  if (!known.includes(authorization) && !limited) {
    reply(
      400,
      graphqlError(
        'AUTHENTICATION_ERROR',
        'Authentication required, not authenticated',
        'You need to authenticate to access this operation.',
      ),
    )
    return
  }
  if (limited) {
    reply(
      400,
      graphqlError('RATELIMITED', 'Rate limit exceeded', 'Too many requests, please try again later.'),
    )
    return
  }
  const { query, variables } = request.json as Operation
  if (authorization === 'lin_api_elsewhere') {
    // Something that speaks GraphQL but is not Linear.
    reply(200, { data: query.includes('viewer') ? { viewer: null } : null })
    return
  }
  const operation = /^\s*(?:query|mutation)\s+(\w+)/.exec(query)?.[1] ?? query.replace(/\s+/g, ' ').trim()
  const first = Number(variables.first)
  const find = (ref: unknown) => issues.find((item) => item.id === ref || item.identifier === ref)
  const notFound = () => {
    reply(400, graphqlError('INVALID_INPUT', 'Entity not found: Issue', 'Could not find referenced Issue.'))
  }
  const guestWrite = authorization === 'lin_api_guest' && query.trim().startsWith('mutation')
  if (guestWrite) {
    reply(400, graphqlError('FORBIDDEN', 'Forbidden', 'You do not have permission to do this.'))
    return
  }
  switch (operation) {
    case 'query { viewer { id } }':
      reply(200, { data: { viewer: { id: ME.id } } })
      return
    case 'ListTeams':
      reply(200, { data: { teams: connection(teams, first, variables.after) } })
      return
    case 'ListIssues': {
      const filter = (variables.filter ?? {}) as { team?: { key?: { eq: string } } }
      const matching = issues.filter(
        (item) => filter.team?.key === undefined || item.team.key === filter.team.key.eq,
      )
      reply(200, { data: { issues: connection(matching, first, variables.after) } })
      return
    }
    case 'GetIssue':
    case 'IssueId': {
      const found = find(variables.id)
      if (found === undefined) notFound()
      else reply(200, { data: { issue: found } })
      return
    }
    case 'CreateIssue': {
      const input = variables.input as {
        teamId: string
        title: string
        description?: string
        priority?: number
      }
      if (!teams.some((team) => team.id === input.teamId)) {
        reply(
          400,
          graphqlError('ENTITY_NOT_FOUND', 'Entity not found: Team', 'Could not find referenced Team.'),
        )
        return
      }
      const created = issue(6, {
        title: input.title,
        description: input.description ?? null,
        priority: input.priority ?? 0,
        priorityLabel: 'High',
      })
      reply(200, { data: { issueCreate: { success: true, issue: created } } })
      return
    }
    case 'UpdateIssue': {
      const found = find(variables.id)
      if (found === undefined) {
        notFound()
        return
      }
      const input = variables.input as Record<string, unknown>
      reply(200, {
        data: {
          issueUpdate: {
            success: true,
            issue: { ...found, ...input, assignee: input.assigneeId === null ? null : found.assignee },
          },
        },
      })
      return
    }
    case 'CreateComment': {
      const input = variables.input as { issueId: string; body: string }
      if (input.body === 'spam') {
        reply(200, { data: { commentCreate: { success: false, comment: null } } })
        return
      }
      const target = find(input.issueId)
      if (target === undefined) {
        notFound()
        return
      }
      reply(200, {
        data: {
          commentCreate: {
            success: true,
            comment: {
              id: 'c0ffee00-0000-4000-8000-000000000001',
              body: input.body,
              url: `${target.url}#comment-c0ffee00`,
              createdAt: '2024-04-03T10:00:00.000Z',
              user: { id: ME.id, name: ME.name },
              issue: { id: target.id, identifier: target.identifier },
            },
          },
        },
      })
      return
    }
    case 'SearchIssues': {
      if (variables.term === 'explode') {
        reply(500, graphqlError('INTERNAL_SERVER_ERROR', 'Internal server error'))
        return
      }
      const matching = issues.filter((item) =>
        item.title.toLowerCase().includes(String(variables.term).toLowerCase()),
      )
      reply(200, {
        data: {
          searchIssues: { ...connection(matching, first, variables.after), totalCount: matching.length },
        },
      })
      return
    }
    default:
      reply(400, graphqlError('GRAPHQL_VALIDATION_FAILED', `Unknown operation ${operation}`))
  }
}

beforeAll(async () => {
  upstream = await startUpstream(handle)
})
afterAll(async () => {
  await upstream.close()
})

function apiKey(value = 'lin_api_good'): CredentialView {
  return { authMethod: 'api_key', secrets: { value } }
}

function options(input: unknown, credential: CredentialView = apiKey()) {
  return { input, credential, baseUrl: upstream.url, allowPrivateNetwork: true }
}

function sent(): Operation & RecordedRequest {
  const request = upstream.requests.at(-1)
  if (request === undefined) throw new Error('the stand-in received no request')
  return { ...request, ...(request.json as Operation) }
}

describe('the linear tool', () => {
  it('passes the SDK plugin checks', () => {
    expect(validateTool(linear)).toEqual([])
  })

  it.each(linear.actions.map((action) => [action.name, action] as const))(
    'has a first example for %s that its input schema accepts',
    (_name, action) => {
      expect(validate(action.input, action.examples[0]?.input)).toMatchObject({ ok: true })
    },
  )

  it('asks Linear for comma-separated OAuth scopes with PKCE', () => {
    const oauth = linear.authMethods.find((method) => method.kind === 'oauth2')
    expect(oauth).toMatchObject({
      scopeSeparator: ',',
      pkce: true,
      scopes: ['read', 'write', 'issues:create'],
    })
  })
})

describe('list_teams', () => {
  it('posts the query with the raw API key and walks two pages', async () => {
    const before = upstream.requests.length
    const { output } = await runAction(linear, 'list_teams', options({ first: 2, maxPages: 3 }))
    const requests = upstream.requests.slice(before)
    expect(requests).toHaveLength(2)
    expect(requests[0]).toMatchObject({ method: 'POST', url: '/graphql' })
    expect(requests[0]?.headers.authorization).toBe('lin_api_good')
    expect(requests[0]?.headers['content-type']).toBe('application/json')
    expect(requests.map((request) => (request.json as Operation).variables)).toEqual([
      { first: 2 },
      { first: 2, after: Buffer.from('2').toString('base64url') },
    ])
    expect(output.teams.map((team) => team.key)).toEqual(['ENG', 'DES', 'OPS'])
    expect(output.teams[0]).toEqual({
      id: '9cfb482a-81e3-4154-b5b9-2c805e70a02d',
      key: 'ENG',
      name: 'Engineering',
      description: null,
      private: false,
      states: [
        { id: 'ENG-todo', name: 'Todo', type: 'unstarted' },
        { id: 'ENG-done', name: 'Done', type: 'completed' },
      ],
    })
    expect(output.nextCursor).toBeNull()
  })

  it('stops at maxPages and returns the cursor to continue from', async () => {
    const { output } = await runAction(linear, 'list_teams', options({ first: 1 }))
    expect(output.teams).toHaveLength(1)
    expect(output.nextCursor).toBe(Buffer.from('1').toString('base64url'))
    const next = await runAction(linear, 'list_teams', options({ first: 1, after: output.nextCursor }))
    expect(next.output.teams.map((team) => team.key)).toEqual(['DES'])
  })

  it('sends an OAuth access token as a bearer token', async () => {
    await runAction(
      linear,
      'list_teams',
      options({}, { authMethod: 'oauth2', secrets: { accessToken: 'lin_oauth_good' } }),
    )
    expect(sent().headers.authorization).toBe('Bearer lin_oauth_good')
  })
})

describe('list_issues', () => {
  it('turns the filters into an IssueFilter and walks pages', async () => {
    const before = upstream.requests.length
    const { output } = await runAction(
      linear,
      'list_issues',
      options({
        teamKey: 'ENG',
        teamId: engineering.id,
        stateType: 'unstarted',
        stateName: 'todo',
        assignedToMe: true,
        assigneeId: ME.id,
        labelName: 'bug',
        first: 2,
        maxPages: 2,
      }),
    )
    const requests = upstream.requests.slice(before).map((request) => request.json as Operation)
    expect(requests).toHaveLength(2)
    expect(requests[0]?.variables).toEqual({
      first: 2,
      filter: {
        team: { id: { eq: engineering.id }, key: { eq: 'ENG' } },
        state: { type: { eq: 'unstarted' }, name: { eqIgnoreCase: 'todo' } },
        assignee: { id: { eq: ME.id }, isMe: { eq: true } },
        labels: { name: { eqIgnoreCase: 'bug' } },
      },
      includeArchived: false,
      orderBy: 'updatedAt',
    })
    expect(requests[0]?.query).toContain('issues(first: $first, after: $after, filter: $filter')
    expect(output.issues.map((item) => item.identifier)).toEqual(['ENG-5', 'ENG-4', 'ENG-3', 'ENG-2'])
    expect(output.nextCursor).toBe(Buffer.from('4').toString('base64url'))
    expect(output.issues[1]).toMatchObject({ assignee: null, labels: [] })
  })

  it('sends no filter when none is given', async () => {
    const { output } = await runAction(linear, 'list_issues', options({ first: 10 }))
    expect(sent().variables).toEqual({ first: 10, includeArchived: false, orderBy: 'updatedAt' })
    expect(output.issues).toHaveLength(5)
    expect(output.nextCursor).toBeNull()
  })
})

describe('get_issue', () => {
  it('reads an issue by identifier and normalizes it', async () => {
    const { output } = await runAction(linear, 'get_issue', options({ id: 'ENG-5' }))
    expect(sent().variables).toEqual({ id: 'ENG-5' })
    expect(output).toEqual({
      id: '00000000-0000-4000-8000-000000000005',
      identifier: 'ENG-5',
      title: 'Issue 5',
      description: 'Description of 5',
      priority: 3,
      priorityLabel: 'Medium',
      url: 'https://linear.app/acme/issue/ENG-5/issue-5',
      state: { id: 'ENG-todo', name: 'Todo', type: 'unstarted' },
      team: { id: engineering.id, key: 'ENG', name: 'Engineering' },
      assignee: ME,
      labels: [{ id: 'e0b2a0f4-5d7e-4a36-9a35-4f3c1b0fcd21', name: 'Bug' }],
      dueDate: null,
      createdAt: '2024-04-01T10:00:00.000Z',
      updatedAt: '2024-04-02T10:00:00.000Z',
      completedAt: null,
    })
  })

  it('reports an issue that does not exist as not_found', async () => {
    const error = await actionErrorOf(runAction(linear, 'get_issue', options({ id: 'ENG-999' })))
    expect(error.class).toBe('not_found')
    expect(error.httpStatus).toBe(400)
    expect(error.message).toBe(
      'Linear said INVALID_INPUT: Entity not found: Issue (Could not find referenced Issue.)',
    )
    expect(error.suggestions[0]?.title).toBe('Check the id')
  })
})

describe('create_issue', () => {
  it('sends the issueCreate mutation with only the fields given', async () => {
    const { output } = await runAction(
      linear,
      'create_issue',
      options({
        teamId: engineering.id,
        title: 'Checkout fails',
        description: 'Steps',
        priority: 2,
        labelIds: ['e0b2a0f4-5d7e-4a36-9a35-4f3c1b0fcd21'],
      }),
    )
    const request = sent()
    expect(request.query).toContain('issueCreate(input: $input)')
    expect(request.variables).toEqual({
      input: {
        teamId: engineering.id,
        title: 'Checkout fails',
        description: 'Steps',
        priority: 2,
        labelIds: ['e0b2a0f4-5d7e-4a36-9a35-4f3c1b0fcd21'],
      },
    })
    expect(output).toMatchObject({
      identifier: 'ENG-6',
      title: 'Checkout fails',
      priority: 2,
      priorityLabel: 'High',
    })
  })

  it('reports ENTITY_NOT_FOUND for an unknown team as not_found', async () => {
    const error = await actionErrorOf(
      runAction(
        linear,
        'create_issue',
        options({ teamId: '00000000-0000-4000-8000-00000000dead', title: 'x' }),
      ),
    )
    expect(error.class).toBe('not_found')
    expect(error.retryable).toBe(false)
  })

  it('reports FORBIDDEN as permission_error', async () => {
    const error = await actionErrorOf(
      runAction(
        linear,
        'create_issue',
        options({ teamId: engineering.id, title: 'x' }, apiKey('lin_api_guest')),
      ),
    )
    expect(error.class).toBe('permission_error')
    expect(error.suggestions[0]?.title).toBe('Check access')
  })
})

describe('update_issue', () => {
  it('looks up the UUID of an identifier and sends only the changes, null included', async () => {
    const before = upstream.requests.length
    const { output } = await runAction(
      linear,
      'update_issue',
      options({ id: 'ENG-3', title: 'Renamed', assigneeId: null, dueDate: '2025-07-01' }),
    )
    const requests = upstream.requests.slice(before).map((request) => request.json as Operation)
    expect(requests.map((request) => request.variables)).toEqual([
      { id: 'ENG-3' },
      {
        id: '00000000-0000-4000-8000-000000000003',
        input: { title: 'Renamed', assigneeId: null, dueDate: '2025-07-01' },
      },
    ])
    expect(requests[1]?.query).toContain('issueUpdate(id: $id, input: $input)')
    expect(output).toMatchObject({
      identifier: 'ENG-3',
      title: 'Renamed',
      assignee: null,
      dueDate: '2025-07-01',
    })
  })

  it('uses a UUID as it is', async () => {
    const before = upstream.requests.length
    await runAction(
      linear,
      'update_issue',
      options({ id: '00000000-0000-4000-8000-000000000002', priority: 1 }),
    )
    expect(upstream.requests.length - before).toBe(1)
  })

  it('refuses an update with nothing to change without calling Linear', async () => {
    const before = upstream.requests.length
    const error = await actionErrorOf(runAction(linear, 'update_issue', options({ id: 'ENG-3' })))
    expect(error.class).toBe('validation_error')
    expect(error.requestSent).toBe(false)
    expect(upstream.requests.length).toBe(before)
  })
})

describe('create_comment', () => {
  it('comments on the issue by its UUID', async () => {
    const { output } = await runAction(
      linear,
      'create_comment',
      options({ issueId: 'ENG-2', body: 'Deployed to staging.' }),
    )
    const request = sent()
    expect(request.query).toContain('commentCreate(input: $input)')
    expect(request.variables).toEqual({
      input: { issueId: '00000000-0000-4000-8000-000000000002', body: 'Deployed to staging.' },
    })
    expect(output).toEqual({
      id: 'c0ffee00-0000-4000-8000-000000000001',
      body: 'Deployed to staging.',
      url: 'https://linear.app/acme/issue/ENG-2/issue-2#comment-c0ffee00',
      createdAt: '2024-04-03T10:00:00.000Z',
      author: { id: ME.id, name: 'Ada Lovelace' },
      issue: { id: '00000000-0000-4000-8000-000000000002', identifier: 'ENG-2' },
    })
  })

  it('reports a comment Linear did not create', async () => {
    const error = await actionErrorOf(
      runAction(
        linear,
        'create_comment',
        options({ issueId: '00000000-0000-4000-8000-000000000002', body: 'spam' }),
      ),
    )
    expect(error.class).toBe('upstream_error')
    expect(error.message).toBe('Linear did not create the comment')
  })

  it('does not post when the issue does not exist', async () => {
    const error = await actionErrorOf(
      runAction(linear, 'create_comment', options({ issueId: 'ENG-404', body: 'x' })),
    )
    expect(error.class).toBe('not_found')
    expect(sent().query).toMatch(/query IssueId/)
  })
})

describe('search_issues', () => {
  it('searches by term and returns the total count', async () => {
    const { output } = await runAction(
      linear,
      'search_issues',
      options({ term: 'issue', teamId: engineering.id, first: 2, maxPages: 2 }),
    )
    expect(sent().variables).toMatchObject({
      term: 'issue',
      teamId: engineering.id,
      includeComments: false,
      includeArchived: false,
      first: 2,
    })
    expect(output.issues).toHaveLength(4)
    expect(output.totalCount).toBe(5)
    expect(output.nextCursor).not.toBeNull()
  })

  it('reports a Linear server error as upstream_error', async () => {
    const error = await actionErrorOf(runAction(linear, 'search_issues', options({ term: 'explode' })))
    expect(error.class).toBe('upstream_error')
    expect(error.httpStatus).toBe(500)
  })
})

describe('errors', () => {
  it('reports a bad API key (HTTP 400, AUTHENTICATION_ERROR) as auth_error', async () => {
    const error = await actionErrorOf(runAction(linear, 'list_teams', options({}, apiKey('lin_api_revoked'))))
    expect(error.class).toBe('auth_error')
    expect(error.httpStatus).toBe(400)
    expect(error.suggestions[0]?.detail).toContain('without "Bearer"')
  })

  it('reports RATELIMITED as rate_limited, waiting until X-RateLimit-Requests-Reset', async () => {
    const error = await actionErrorOf(
      runAction(linear, 'list_issues', options({}, apiKey('lin_api_limited'))),
    )
    expect(error.class).toBe('rate_limited')
    expect(error.retryable).toBe(true)
    expect(error.retryAfterMs).toBeGreaterThan(RESET_IN_MS - 5000)
    expect(error.retryAfterMs).toBeLessThanOrEqual(RESET_IN_MS)
  })

  it('waits for the complexity budget when that is what ran out', async () => {
    const error = await actionErrorOf(
      runAction(linear, 'list_issues', options({}, apiKey('lin_api_complex'))),
    )
    expect(error.class).toBe('rate_limited')
    expect(error.retryAfterMs).toBeGreaterThan(2 * RESET_IN_MS - 5000)
  })

  it('falls back to Retry-After when the rate-limit headers are missing', async () => {
    const error = await actionErrorOf(
      runAction(linear, 'list_issues', options({}, apiKey('lin_api_proxied'))),
    )
    expect(error.class).toBe('rate_limited')
    expect(error.retryAfterMs).toBe(7000)
  })

  it('reports an answer without data as upstream_error', async () => {
    const error = await actionErrorOf(
      runAction(linear, 'list_teams', options({}, apiKey('lin_api_elsewhere'))),
    )
    expect(error.class).toBe('upstream_error')
    expect(error.message).toContain('without data')
  })

  it('classifies a response without GraphQL errors by its HTTP status', async () => {
    const error = await actionErrorOf(
      runAction(linear, 'list_teams', { ...options({}), baseUrl: `${upstream.url}/elsewhere` }),
    )
    expect(error.class).toBe('not_found')
    expect(error.message).toBe('Linear answered 404: HTTP 404')
  })
})

describe('health check', () => {
  const check = (credential: CredentialView) =>
    runHealthCheck(linear, { credential, baseUrl: upstream.url, allowPrivateNetwork: true })

  it('passes with a working key, asking for the viewer', async () => {
    expect(await check(apiKey())).toMatchObject({ ok: true, checked: true })
    expect(sent().query).toBe('query { viewer { id } }')
  })

  it('fails with auth_error for a revoked key', async () => {
    expect(await check(apiKey('lin_api_revoked'))).toMatchObject({ ok: false, errorClass: 'auth_error' })
  })

  it('fails when the answer has no viewer', async () => {
    expect(await check(apiKey('lin_api_elsewhere'))).toMatchObject({
      ok: false,
      errorClass: 'upstream_error',
    })
  })
})
