import type { ServerResponse } from 'node:http'
import { runAction, runHealthCheck, validate, validateTool } from '@toolplane/sdk'
import type { CredentialView } from '@toolplane/sdk'
import { actionErrorOf, startUpstream } from '@toolplane/sdk/testing'
import type { RecordedRequest, Upstream } from '@toolplane/sdk/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import github, { nextPage } from './index.js'

// A stand-in for api.github.com: real paths, Bearer tokens, GitHub's error bodies and rate-limit
// headers, 404 for private repositories the token cannot see, and Link header pagination that points
// at /repositories/<id>/… as GitHub's does.

const DOCS = 'https://docs.github.com/rest'
const RESET_IN_SECONDS = 120

interface Account {
  login: string
  /** `x-oauth-scopes`; undefined for fine-grained tokens, which GitHub sends none for. */
  scopes?: string
  mode?: 'exhausted' | 'secondary' | 'too-many' | 'not-github'
}

const accounts: Record<string, Account> = {
  ghp_good: { login: 'octocat', scopes: 'repo, read:user' },
  ghp_readonly: { login: 'octocat', scopes: 'read:user' },
  github_pat_fine: { login: 'octocat' },
  gho_oauth: { login: 'octocat', scopes: 'repo' },
  ghp_exhausted: { login: 'octocat', scopes: 'repo', mode: 'exhausted' },
  ghp_burst: { login: 'octocat', scopes: 'repo', mode: 'secondary' },
  ghp_429: { login: 'octocat', scopes: 'repo', mode: 'too-many' },
  ghp_other: { login: 'octocat', scopes: 'repo', mode: 'not-github' },
}

function repository(owner: string, name: string, extra: Record<string, unknown> = {}) {
  return {
    id: 1296269,
    name,
    full_name: `${owner}/${name}`,
    owner: { login: owner, id: 1, type: 'User' },
    private: false,
    description: 'My first repository on GitHub!',
    html_url: `https://github.com/${owner}/${name}`,
    url: `https://api.github.com/repos/${owner}/${name}`,
    clone_url: `https://github.com/${owner}/${name}.git`,
    default_branch: 'main',
    language: 'TypeScript',
    topics: ['octocat', 'api'],
    stargazers_count: 80,
    forks_count: 9,
    open_issues_count: 4,
    archived: false,
    fork: false,
    created_at: '2011-01-26T19:01:12Z',
    updated_at: '2024-05-01T10:00:00Z',
    pushed_at: '2024-05-01T09:00:00Z',
    ...extra,
  }
}

function issue(number: number, extra: Record<string, unknown> = {}) {
  return {
    id: 1000 + number,
    number,
    title: `Issue ${number}`,
    body: `Body of ${number}`,
    state: 'open',
    state_reason: null,
    html_url: `https://github.com/octocat/hello-world/issues/${number}`,
    user: { login: 'octocat' },
    labels: [{ id: 1, name: 'bug', color: 'f29513' }],
    assignees: [{ login: 'hubot' }],
    milestone: null,
    comments: 2,
    created_at: '2024-04-01T10:00:00Z',
    updated_at: '2024-04-02T10:00:00Z',
    closed_at: null,
    ...extra,
  }
}

const issues = [
  issue(5),
  issue(4, {
    pull_request: { url: 'https://api.github.com/repos/octocat/hello-world/pulls/4' },
    html_url: 'https://github.com/octocat/hello-world/pull/4',
  }),
  issue(3, { user: null, assignees: null, milestone: { title: 'v1.0' } }),
  issue(2),
  // An older GitHub Enterprise Server sends no state_reason.
  { ...issue(1), state_reason: undefined },
]

function pull(number: number, extra: Record<string, unknown> = {}) {
  return {
    id: 2000 + number,
    number,
    title: `Pull ${number}`,
    body: null,
    state: 'open',
    draft: false,
    html_url: `https://github.com/octocat/hello-world/pull/${number}`,
    user: { login: 'hubot' },
    labels: [{ name: 'enhancement' }],
    head: { ref: 'feature', sha: 'abc123', label: 'hubot:feature' },
    base: { ref: 'main', sha: 'def456', label: 'octocat:main' },
    created_at: '2024-04-01T10:00:00Z',
    updated_at: '2024-04-02T10:00:00Z',
    closed_at: null,
    merged_at: null,
    ...extra,
  }
}

function send(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers })
  response.end(JSON.stringify(body))
}

function page<T>(items: readonly T[], url: URL, base: string, linkPath: string) {
  const perPage = Number(url.searchParams.get('per_page') ?? '30')
  const number = Number(url.searchParams.get('page') ?? '1')
  const last = Math.max(1, Math.ceil(items.length / perPage))
  const link = (n: number, rel: string) => {
    const target = new URL(`${base}${linkPath}`)
    for (const [key, value] of url.searchParams) target.searchParams.set(key, value)
    target.searchParams.set('page', String(n))
    return `<${target.href}>; rel="${rel}"`
  }
  const links = [
    ...(number < last ? [link(number + 1, 'next'), link(last, 'last')] : []),
    ...(number > 1 ? [link(1, 'first'), link(number - 1, 'prev')] : []),
  ]
  return {
    items: items.slice((number - 1) * perPage, number * perPage),
    headers: links.length > 0 ? { link: links.join(', ') } : ({} as Record<string, string>),
  }
}

let upstream: Upstream

function handle(request: RecordedRequest, response: ServerResponse): void {
  const url = new URL(request.url, upstream.url)
  // GitHub Enterprise Server serves the same API under /api/v3.
  const path = url.pathname.replace(/^\/api\/v3(?=\/)/, '')
  const base = url.pathname.startsWith('/api/v3/') ? `${upstream.url}/api/v3` : upstream.url
  const token = /^(?:Bearer|token) (.+)$/.exec(request.headers.authorization ?? '')?.[1] ?? ''
  const account = accounts[token]
  if (account === undefined) {
    send(response, 401, { message: 'Bad credentials', documentation_url: DOCS, status: '401' })
    return
  }
  const reset = String(Math.floor(Date.now() / 1000) + RESET_IN_SECONDS)
  const exhausted = account.mode === 'exhausted'
  const headers: Record<string, string> = {
    'x-ratelimit-limit': '5000',
    'x-ratelimit-remaining': exhausted ? '0' : '4999',
    'x-ratelimit-reset': reset,
    'x-ratelimit-used': exhausted ? '5000' : '1',
    'x-ratelimit-resource': 'core',
    'x-github-api-version-selected': '2022-11-28',
    ...(account.scopes === undefined ? {} : { 'x-oauth-scopes': account.scopes }),
  }
  const reply = (status: number, body: unknown, extra: Record<string, string> = {}) => {
    send(response, status, body, { ...headers, ...extra })
  }
  if (exhausted) {
    reply(403, {
      message: 'API rate limit exceeded for user ID 1.',
      documentation_url: `${DOCS}/overview/rate-limits-for-the-rest-api`,
    })
    return
  }
  if (account.mode === 'secondary') {
    reply(
      403,
      {
        message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
      },
      { 'retry-after': '30' },
    )
    return
  }
  if (account.mode === 'too-many') {
    reply(429, { message: 'You have exceeded a secondary rate limit.' })
    return
  }
  if (account.mode === 'not-github') {
    reply(200, { hello: 'world' })
    return
  }
  const route = `${request.method} ${path}`
  const canWrite = account.scopes === undefined || account.scopes.split(', ').includes('repo')
  let match: RegExpExecArray | null
  if (route === 'GET /user') {
    reply(200, {
      login: account.login,
      id: 1,
      name: 'The Octocat',
      email: null,
      company: '@github',
      type: 'User',
      avatar_url: 'https://avatars.githubusercontent.com/u/1?v=4',
      html_url: 'https://github.com/octocat',
    })
  } else if (route === 'GET /search/repositories' && url.searchParams.get('q') === 'is:bogus') {
    reply(422, {
      message: 'Validation Failed',
      errors: [
        {
          message: 'The is qualifier takes public, private or template.',
          resource: 'Search',
          field: 'q',
          code: 'invalid',
        },
        'Try a simpler query',
      ],
      documentation_url: `${DOCS}/search/search#search-repositories`,
    })
  } else if (route === 'GET /search/repositories') {
    const all = ['alpha', 'beta', 'gamma'].map((name) => repository('acme', name, { topics: undefined }))
    const { items, headers: links } = page(all, url, base, '/search/repositories')
    reply(200, { total_count: all.length, incomplete_results: false, items }, links)
  } else if ((match = /^GET \/repos\/([^/]+)\/([^/]+)$/.exec(route))) {
    const [, owner = '', name = ''] = match
    if (owner === 'octocat' && name === 'hello-world') reply(200, repository(owner, name))
    else if (name === 'flaky') reply(502, { message: 'Server Error' })
    else if (name === 'sso')
      reply(
        403,
        { message: 'Resource protected by organization SAML enforcement.', documentation_url: DOCS },
        { 'x-github-sso': 'required; url=https://github.com/orgs/acme/sso?authorization_request=abc' },
      )
    else if (name === 'blocked') reply(403, { message: 'Repository access blocked' })
    else if (name === 'empty') send(response, 500, '')
    else
      reply(404, {
        message: 'Not Found',
        documentation_url: `${DOCS}/repos/repos#get-a-repository`,
        status: '404',
      })
  } else if (route === 'GET /repos/octocat/hello-world/issues') {
    const { items, headers: links } = page(issues, url, base, '/repositories/1296269/issues')
    reply(200, items, links)
  } else if (route === 'POST /repos/octocat/hello-world/issues') {
    const body = request.json as { title: string; body?: string; labels?: string[]; assignees?: string[] }
    if (!canWrite) {
      reply(
        403,
        { message: 'Resource not accessible by personal access token', documentation_url: DOCS },
        { 'x-accepted-oauth-scopes': 'repo', 'x-accepted-github-permissions': 'issues=write' },
      )
    } else if (body.assignees?.includes('ghost') === true) {
      reply(422, {
        message: 'Validation Failed',
        errors: [{ value: 'ghost', resource: 'Issue', field: 'assignees', code: 'invalid' }],
        documentation_url: `${DOCS}/issues/issues#create-an-issue`,
        status: '422',
      })
    } else {
      reply(
        201,
        issue(6, {
          title: body.title,
          body: body.body ?? null,
          labels: (body.labels ?? []).map((name, id) => ({ id, name })),
          assignees: (body.assignees ?? []).map((login) => ({ login })),
        }),
      )
    }
  } else if ((match = /^PATCH \/repos\/octocat\/hello-world\/issues\/(\d+)$/.exec(route))) {
    const body = request.json as { state?: string; state_reason?: string; title?: string }
    reply(
      200,
      issue(Number(match[1]), {
        ...(body.title === undefined ? {} : { title: body.title }),
        state: body.state ?? 'open',
        state_reason: body.state_reason ?? null,
        closed_at: body.state === 'closed' ? '2024-04-03T10:00:00Z' : null,
      }),
    )
  } else if ((match = /^POST \/repos\/octocat\/hello-world\/issues\/(\d+)\/comments$/.exec(route))) {
    reply(201, {
      id: 99,
      html_url: `https://github.com/octocat/hello-world/issues/${match[1] ?? ''}#issuecomment-99`,
      body: (request.json as { body: string }).body,
      user: { login: account.login },
      created_at: '2024-04-03T10:00:00Z',
      updated_at: '2024-04-03T10:00:00Z',
    })
  } else if (route === 'GET /repos/octocat/hello-world/pulls') {
    const pulls = [
      pull(8, { draft: true }),
      pull(7, { state: 'closed', closed_at: '2024-04-05T10:00:00Z', merged_at: '2024-04-05T10:00:00Z' }),
      { ...pull(6, { user: null }), draft: undefined },
    ]
    reply(200, pulls)
  } else {
    reply(404, { message: 'Not Found', documentation_url: DOCS, status: '404' })
  }
}

beforeAll(async () => {
  upstream = await startUpstream(handle)
})
afterAll(async () => {
  await upstream.close()
})

function credential(token = 'ghp_good'): CredentialView {
  return { authMethod: 'bearer', secrets: { token } }
}

function options(input: unknown, token?: string) {
  return { input, credential: credential(token), baseUrl: upstream.url, allowPrivateNetwork: true }
}

function last(): RecordedRequest {
  const request = upstream.requests.at(-1)
  if (request === undefined) throw new Error('the stand-in received no request')
  return request
}

describe('the github tool', () => {
  it('passes the SDK plugin checks', () => {
    expect(validateTool(github)).toEqual([])
  })

  it.each(github.actions.map((action) => [action.name, action] as const))(
    'has a first example for %s that its input schema accepts',
    (_name, action) => {
      const example = action.examples[0]
      expect(example).toBeDefined()
      expect(validate(action.input, example?.input)).toMatchObject({ ok: true })
    },
  )

  it('marks creations as not safe to retry and reads as safe', () => {
    const idempotent = Object.fromEntries(
      github.actions.map((action) => [action.name, action.retry.idempotent]),
    )
    expect(idempotent).toMatchObject({
      create_issue: false,
      create_issue_comment: false,
      update_issue: true,
      list_issues: true,
      get_repository: true,
    })
  })
})

describe('get_repository', () => {
  it('reads the repository with the token, GitHub media type and API version', async () => {
    const { output } = await runAction(
      github,
      'get_repository',
      options({ owner: 'octocat', repo: 'hello-world' }),
    )
    const request = last()
    expect(request.method).toBe('GET')
    expect(request.url).toBe('/repos/octocat/hello-world')
    expect(request.headers.authorization).toBe('Bearer ghp_good')
    expect(request.headers.accept).toBe('application/vnd.github+json')
    expect(request.headers['x-github-api-version']).toBe('2022-11-28')
    expect(output).toEqual({
      id: 1296269,
      name: 'hello-world',
      fullName: 'octocat/hello-world',
      owner: 'octocat',
      private: false,
      description: 'My first repository on GitHub!',
      url: 'https://github.com/octocat/hello-world',
      cloneUrl: 'https://github.com/octocat/hello-world.git',
      defaultBranch: 'main',
      language: 'TypeScript',
      topics: ['octocat', 'api'],
      stars: 80,
      forks: 9,
      openIssues: 4,
      archived: false,
      fork: false,
      createdAt: '2011-01-26T19:01:12Z',
      updatedAt: '2024-05-01T10:00:00Z',
      pushedAt: '2024-05-01T09:00:00Z',
    })
  })

  it('says a missing or hidden private repository is not_found and why GitHub hides it', async () => {
    const error = await actionErrorOf(
      runAction(github, 'get_repository', options({ owner: 'octocat', repo: 'secret' })),
    )
    expect(error.class).toBe('not_found')
    expect(error.httpStatus).toBe(404)
    expect(error.retryable).toBe(false)
    expect(error.message).toContain('Not Found')
    expect(error.suggestions[0]?.detail).toContain('private repositories')
  })

  it('reports GitHub being down as upstream_unavailable, which is retried', async () => {
    const error = await actionErrorOf(
      runAction(github, 'get_repository', options({ owner: 'octocat', repo: 'flaky' })),
    )
    expect(error.class).toBe('upstream_unavailable')
    expect(error.retryable).toBe(true)
  })

  it('names single sign-on when an organization requires it', async () => {
    const error = await actionErrorOf(
      runAction(github, 'get_repository', options({ owner: 'acme', repo: 'sso' })),
    )
    expect(error.class).toBe('permission_error')
    expect(error.suggestions.map((suggestion) => suggestion.title)).toEqual([
      'Authorize the token for single sign-on',
    ])
  })

  it('gives a general permissions hint for a 403 that names nothing', async () => {
    const error = await actionErrorOf(
      runAction(github, 'get_repository', options({ owner: 'acme', repo: 'blocked' })),
    )
    expect(error.class).toBe('permission_error')
    expect(error.message).toContain('Repository access blocked')
    expect(error.suggestions.map((suggestion) => suggestion.title)).toEqual(['Check the permissions'])
  })

  it('reports a server error without a body by its status', async () => {
    const error = await actionErrorOf(
      runAction(github, 'get_repository', options({ owner: 'acme', repo: 'empty' })),
    )
    expect(error.class).toBe('upstream_error')
    expect(error.message).toBe('GitHub answered 500: HTTP 500')
  })

  it('refuses a repository name that would walk to another endpoint', async () => {
    const error = await actionErrorOf(
      runAction(github, 'get_repository', options({ owner: 'octocat', repo: '..' })),
    )
    expect(error.class).toBe('validation_error')
  })
})

describe('list_issues', () => {
  it('walks two pages through the Link header and leaves pull requests out', async () => {
    const before = upstream.requests.length
    const { output } = await runAction(
      github,
      'list_issues',
      options({ owner: 'octocat', repo: 'hello-world', labels: ['bug', 'ui'], perPage: 2, maxPages: 2 }),
    )
    const sent = upstream.requests.slice(before)
    expect(sent.map((request) => request.url)).toEqual([
      '/repos/octocat/hello-world/issues?state=open&labels=bug%2Cui&sort=created&direction=desc&per_page=2&page=1',
      '/repos/octocat/hello-world/issues?state=open&labels=bug%2Cui&sort=created&direction=desc&per_page=2&page=2',
    ])
    expect(output.issues.map((item) => item.number)).toEqual([5, 3, 2])
    expect(output.nextPage).toBe(3)
    expect(output.issues[1]).toMatchObject({ author: null, assignees: [], milestone: 'v1.0' })
    expect(output.issues[0]).toEqual({
      number: 5,
      id: 1005,
      title: 'Issue 5',
      body: 'Body of 5',
      state: 'open',
      stateReason: null,
      url: 'https://github.com/octocat/hello-world/issues/5',
      author: 'octocat',
      labels: ['bug'],
      assignees: ['hubot'],
      milestone: null,
      comments: 2,
      isPullRequest: false,
      createdAt: '2024-04-01T10:00:00Z',
      updatedAt: '2024-04-02T10:00:00Z',
      closedAt: null,
    })
  })

  it('continues from nextPage and keeps pull requests when asked, ending with no next page', async () => {
    const { output } = await runAction(
      github,
      'list_issues',
      options({
        owner: 'octocat',
        repo: 'hello-world',
        perPage: 2,
        page: 2,
        maxPages: 5,
        includePullRequests: true,
      }),
    )
    expect(output.issues.map((item) => item.number)).toEqual([3, 2, 1])
    expect(output.issues.at(-1)?.stateReason).toBeNull()
    expect(output.nextPage).toBeNull()
  })

  it('keeps pull requests marked as such', async () => {
    const { output } = await runAction(
      github,
      'list_issues',
      options({
        owner: 'octocat',
        repo: 'hello-world',
        state: 'all',
        includePullRequests: true,
        since: '2024-01-01T00:00:00Z',
      }),
    )
    expect(last().url).toContain('state=all')
    expect(last().url).toContain('since=2024-01-01T00%3A00%3A00Z')
    expect(output.issues.find((item) => item.number === 4)?.isPullRequest).toBe(true)
  })
})

describe('create_issue', () => {
  it('posts the issue and returns it', async () => {
    const input = {
      owner: 'octocat',
      repo: 'hello-world',
      title: 'Checkout button does nothing',
      body: 'Steps to reproduce',
      labels: ['bug'],
      assignees: ['octocat'],
    }
    const { output } = await runAction(github, 'create_issue', options(input))
    const request = last()
    expect(request.method).toBe('POST')
    expect(request.url).toBe('/repos/octocat/hello-world/issues')
    expect(request.headers['content-type']).toBe('application/json')
    expect(request.json).toEqual({
      title: 'Checkout button does nothing',
      body: 'Steps to reproduce',
      labels: ['bug'],
      assignees: ['octocat'],
    })
    expect(output).toMatchObject({
      number: 6,
      title: 'Checkout button does nothing',
      labels: ['bug'],
      assignees: ['octocat'],
      url: 'https://github.com/octocat/hello-world/issues/6',
    })
  })

  it('passes on the fields GitHub rejected as a validation_error', async () => {
    const error = await actionErrorOf(
      runAction(
        github,
        'create_issue',
        options({ owner: 'octocat', repo: 'hello-world', title: 'x', assignees: ['ghost'] }),
      ),
    )
    expect(error.class).toBe('validation_error')
    expect(error.httpStatus).toBe(422)
    expect(error.message).toContain('Issue.assignees invalid')
    expect(error.suggestions[0]?.detail).toContain(
      'https://docs.github.com/rest/issues/issues#create-an-issue',
    )
  })

  it('names the scope and permission a token lacks', async () => {
    const error = await actionErrorOf(
      runAction(
        github,
        'create_issue',
        options({ owner: 'octocat', repo: 'hello-world', title: 'x' }, 'ghp_readonly'),
      ),
    )
    expect(error.class).toBe('permission_error')
    expect(error.suggestions.map((suggestion) => suggestion.detail)).toEqual([
      expect.stringContaining('needs one of the scopes repo; the token has read:user'),
      expect.stringContaining('issues=write'),
    ])
  })
})

describe('update_issue', () => {
  it('patches only the fields given, with GitHub names', async () => {
    const { output } = await runAction(
      github,
      'update_issue',
      options({
        owner: 'octocat',
        repo: 'hello-world',
        issueNumber: 2,
        state: 'closed',
        stateReason: 'not_planned',
        milestone: null,
      }),
    )
    const request = last()
    expect(request.method).toBe('PATCH')
    expect(request.url).toBe('/repos/octocat/hello-world/issues/2')
    expect(request.json).toEqual({ state: 'closed', state_reason: 'not_planned', milestone: null })
    expect(output).toMatchObject({
      number: 2,
      state: 'closed',
      stateReason: 'not_planned',
      closedAt: '2024-04-03T10:00:00Z',
    })
  })

  it('refuses an update with nothing to change without calling GitHub', async () => {
    const before = upstream.requests.length
    const error = await actionErrorOf(
      runAction(github, 'update_issue', options({ owner: 'octocat', repo: 'hello-world', issueNumber: 2 })),
    )
    expect(error.class).toBe('validation_error')
    expect(error.requestSent).toBe(false)
    expect(upstream.requests.length).toBe(before)
  })
})

describe('create_issue_comment', () => {
  it('posts the comment to the issue', async () => {
    const { output } = await runAction(
      github,
      'create_issue_comment',
      options({ owner: 'octocat', repo: 'hello-world', issueNumber: 5, body: 'Fixed in #43.' }),
    )
    expect(last()).toMatchObject({
      method: 'POST',
      url: '/repos/octocat/hello-world/issues/5/comments',
      json: { body: 'Fixed in #43.' },
    })
    expect(output).toEqual({
      id: 99,
      url: 'https://github.com/octocat/hello-world/issues/5#issuecomment-99',
      body: 'Fixed in #43.',
      author: 'octocat',
      createdAt: '2024-04-03T10:00:00Z',
      updatedAt: '2024-04-03T10:00:00Z',
    })
  })
})

describe('list_pull_requests', () => {
  it('lists pull requests with their branches and merge state', async () => {
    const { output } = await runAction(
      github,
      'list_pull_requests',
      options({ owner: 'octocat', repo: 'hello-world', state: 'all', base: 'main', head: 'hubot:feature' }),
    )
    expect(last().url).toBe(
      '/repos/octocat/hello-world/pulls?state=all&head=hubot%3Afeature&base=main&sort=created&direction=desc&per_page=30&page=1',
    )
    expect(output.nextPage).toBeNull()
    expect(output.pullRequests.map((item) => [item.number, item.draft, item.merged])).toEqual([
      [8, true, false],
      [7, false, true],
      [6, false, false],
    ])
    expect(output.pullRequests[0]).toMatchObject({
      head: { ref: 'feature', sha: 'abc123', label: 'hubot:feature' },
      base: { ref: 'main', sha: 'def456', label: 'octocat:main' },
      author: 'hubot',
      labels: ['enhancement'],
      body: null,
    })
  })
})

describe('search_repositories', () => {
  it('searches with the query and walks pages', async () => {
    const before = upstream.requests.length
    const { output } = await runAction(
      github,
      'search_repositories',
      options({ query: 'org:acme language:typescript', sort: 'stars', perPage: 2, maxPages: 3 }),
    )
    const sent = upstream.requests.slice(before)
    expect(sent.map((request) => request.url)).toEqual([
      '/search/repositories?q=org%3Aacme+language%3Atypescript&sort=stars&order=desc&per_page=2&page=1',
      '/search/repositories?q=org%3Aacme+language%3Atypescript&sort=stars&order=desc&per_page=2&page=2',
    ])
    expect(output.totalCount).toBe(3)
    expect(output.incompleteResults).toBe(false)
    expect(output.repositories.map((repo) => repo.fullName)).toEqual([
      'acme/alpha',
      'acme/beta',
      'acme/gamma',
    ])
    expect(output.repositories[0]?.topics).toEqual([])
    expect(output.nextPage).toBeNull()
  })
})

describe('search_repositories errors', () => {
  it('passes on what GitHub found wrong with the query', async () => {
    const error = await actionErrorOf(
      runAction(github, 'search_repositories', options({ query: 'is:bogus' })),
    )
    expect(error.class).toBe('validation_error')
    expect(error.message).toContain(
      'Search.q The is qualifier takes public, private or template.; Try a simpler query',
    )
  })
})

describe('get_authenticated_user', () => {
  it('returns the account and the scopes of a classic token', async () => {
    const { output } = await runAction(github, 'get_authenticated_user', options({}))
    expect(last()).toMatchObject({ method: 'GET', url: '/user' })
    expect(output).toEqual({
      id: 1,
      login: 'octocat',
      name: 'The Octocat',
      email: null,
      company: '@github',
      type: 'User',
      avatarUrl: 'https://avatars.githubusercontent.com/u/1?v=4',
      url: 'https://github.com/octocat',
      scopes: ['repo', 'read:user'],
    })
  })

  it('has no scopes to report for a fine-grained token', async () => {
    const { output } = await runAction(github, 'get_authenticated_user', options({}, 'github_pat_fine'))
    expect(output.scopes).toBeNull()
  })

  it('sends an OAuth access token as a bearer token', async () => {
    const { output } = await runAction(github, 'get_authenticated_user', {
      input: {},
      credential: { authMethod: 'oauth2', secrets: { accessToken: 'gho_oauth', tokenType: 'bearer' } },
      baseUrl: upstream.url,
      allowPrivateNetwork: true,
    })
    expect(last().headers.authorization).toBe('Bearer gho_oauth')
    expect(output.scopes).toEqual(['repo'])
  })

  it('works against GitHub Enterprise Server under /api/v3', async () => {
    await runAction(github, 'get_authenticated_user', { ...options({}), baseUrl: `${upstream.url}/api/v3` })
    expect(last().url).toBe('/api/v3/user')
  })
})

describe('errors', () => {
  it('reports a rejected token as auth_error', async () => {
    const error = await actionErrorOf(runAction(github, 'get_authenticated_user', options({}, 'ghp_revoked')))
    expect(error.class).toBe('auth_error')
    expect(error.httpStatus).toBe(401)
    expect(error.message).toContain('Bad credentials')
    expect(error.suggestions[0]?.title).toBe('Replace the token')
  })

  it('reports a spent hourly quota (403, x-ratelimit-remaining: 0) as rate_limited until the reset', async () => {
    const error = await actionErrorOf(
      runAction(github, 'list_issues', options({ owner: 'octocat', repo: 'hello-world' }, 'ghp_exhausted')),
    )
    expect(error.class).toBe('rate_limited')
    expect(error.httpStatus).toBe(403)
    expect(error.retryable).toBe(true)
    expect(error.retryAfterMs).toBeGreaterThan((RESET_IN_SECONDS - 5) * 1000)
    expect(error.retryAfterMs).toBeLessThanOrEqual(RESET_IN_SECONDS * 1000)
    expect(error.suggestions[0]?.title).toBe('Wait for the hourly quota to reset')
  })

  it('reports a secondary rate limit with Retry-After as rate_limited for that long', async () => {
    const error = await actionErrorOf(runAction(github, 'get_authenticated_user', options({}, 'ghp_burst')))
    expect(error.class).toBe('rate_limited')
    expect(error.retryAfterMs).toBe(30_000)
    expect(error.suggestions[0]?.title).toBe('Slow down')
  })

  it('waits a minute after a 429 that gives no time', async () => {
    const error = await actionErrorOf(runAction(github, 'get_authenticated_user', options({}, 'ghp_429')))
    expect(error.class).toBe('rate_limited')
    expect(error.httpStatus).toBe(429)
    expect(error.retryAfterMs).toBe(60_000)
  })
})

describe('health check', () => {
  const check = (token: string) =>
    runHealthCheck(github, {
      credential: credential(token),
      baseUrl: upstream.url,
      allowPrivateNetwork: true,
    })

  it('passes with a working token, calling GET /user', async () => {
    expect(await check('ghp_good')).toMatchObject({ ok: true, checked: true })
    expect(last().url).toBe('/user')
  })

  it('fails with auth_error for a revoked token', async () => {
    expect(await check('ghp_revoked')).toMatchObject({ ok: false, errorClass: 'auth_error' })
  })

  it('fails when the base URL is not a GitHub API', async () => {
    expect(await check('ghp_other')).toMatchObject({ ok: false, errorClass: 'upstream_error' })
  })
})

describe('nextPage', () => {
  it('reads the page number of the next link only', () => {
    expect(
      nextPage(
        '<https://api.github.com/x?page=1>; rel="prev", <https://api.github.com/x?page=3>; rel="next"',
      ),
    ).toBe(3)
    expect(nextPage('<https://api.github.com/x?page=1>; rel="first"')).toBeNull()
    expect(nextPage(undefined)).toBeNull()
    // Cursor-style links (no page number) cannot be continued by page.
    expect(nextPage('<https://api.github.com/x?after=abc>; rel="next"')).toBeNull()
  })
})
