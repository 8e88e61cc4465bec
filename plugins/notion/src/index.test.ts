import type { ServerResponse } from 'node:http'
import { runAction, runHealthCheck, validate, validateTool } from '@toolplane/sdk'
import type { CredentialView } from '@toolplane/sdk'
import { actionErrorOf, startUpstream } from '@toolplane/sdk/testing'
import type { RecordedRequest, Upstream } from '@toolplane/sdk/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import notion from './index.js'

// A stand-in for api.notion.com: Bearer integration secrets, a required Notion-Version header,
// Notion's { object: 'error', status, code, message } bodies, 429 with Retry-After, 404
// object_not_found for anything not shared, and start_cursor/page_size pagination.

const DATABASE_ID = 'd9824bdc-8445-4327-be8b-5b47500af6ce'
const PAGE_ID = '59833787-2cf9-4fdf-8782-e53db20768a5'
const WORKSPACE_PAGE_ID = 'a1b2c3d4-0000-4000-8000-000000000001'
const UNAVAILABLE_ID = 'ffffffff-0000-4000-8000-000000000503'

function text(content: string) {
  return [
    {
      type: 'text',
      text: { content, link: null },
      annotations: { bold: false },
      plain_text: content,
      href: null,
    },
  ]
}

function row(id: string, name: string, extra: Record<string, unknown> = {}) {
  return {
    object: 'page',
    id,
    created_time: '2024-04-01T10:00:00.000Z',
    last_edited_time: '2024-04-02T10:00:00.000Z',
    created_by: { object: 'user', id: 'u1' },
    last_edited_by: { object: 'user', id: 'u1' },
    cover: null,
    icon: { type: 'emoji', emoji: '📝' },
    parent: { type: 'database_id', database_id: DATABASE_ID },
    archived: false,
    in_trash: false,
    properties: {
      Name: { id: 'title', type: 'title', title: text(name) },
      Status: { id: 'a%3Ab', type: 'status', status: { id: 's1', name: 'In progress', color: 'blue' } },
      ...extra,
    },
    url: `https://www.notion.so/${name.replace(/\s/g, '-')}-${id.replace(/-/g, '')}`,
    public_url: null,
  }
}

const rows = [
  row('00000000-0000-4000-8000-00000000000a', 'Write the announcement', {
    Tags: {
      id: 't',
      type: 'multi_select',
      multi_select: [
        { id: 'm1', name: 'launch', color: 'red' },
        { id: 'm2', name: 'docs', color: 'gray' },
      ],
    },
    Priority: { id: 'p', type: 'select', select: { id: 'x', name: 'High', color: 'red' } },
    Owner: {
      id: 'o',
      type: 'people',
      people: [
        { object: 'user', id: 'u1', name: 'Ada' },
        { object: 'user', id: 'u2' },
      ],
    },
    Due: { id: 'd', type: 'date', date: { start: '2025-07-01', end: null, time_zone: null } },
    Estimate: { id: 'e', type: 'number', number: 3 },
    Done: { id: 'c', type: 'checkbox', checkbox: false },
    Link: { id: 'l', type: 'url', url: null },
    Notes: { id: 'n', type: 'rich_text', rich_text: [...text('First '), ...text('draft')] },
    Blocked: { id: 'r', type: 'relation', relation: [{ id: 'rel-1' }], has_more: false },
    Files: {
      id: 'f',
      type: 'files',
      files: [{ name: 'brief.pdf', type: 'external', external: { url: 'https://example.com/brief.pdf' } }],
    },
    Score: { id: 's', type: 'formula', formula: { type: 'number', number: 42 } },
    Total: { id: 'u', type: 'rollup', rollup: { type: 'array', array: [], function: 'show_original' } },
    Ticket: { id: 'i', type: 'unique_id', unique_id: { prefix: 'TASK', number: 7 } },
    Seq: { id: 'q', type: 'unique_id', unique_id: { prefix: null, number: 8 } },
    Creator: { id: 'cb', type: 'created_by', created_by: { object: 'user', id: 'u3', name: 'Grace' } },
    Editor: { id: 'eb', type: 'last_edited_by', last_edited_by: { object: 'user', id: 'u4' } },
    Phase: { id: 'ph', type: 'select', select: null },
    Window: { id: 'w', type: 'date', date: null },
    Verified: { id: 'v', type: 'verification', verification: null },
  }),
  row('00000000-0000-4000-8000-00000000000b', 'Update the docs', {}),
  { ...row('00000000-0000-4000-8000-00000000000c', 'Old idea'), archived: true, in_trash: true, icon: null },
]

const pages: Record<string, unknown> = {
  [PAGE_ID]: {
    ...row(PAGE_ID, 'Launch plan'),
    parent: { type: 'page_id', page_id: WORKSPACE_PAGE_ID },
    icon: { type: 'external', external: { url: 'https://example.com/icon.png' } },
    properties: { title: { id: 'title', type: 'title', title: text('Launch plan') } },
  },
  [WORKSPACE_PAGE_ID]: {
    ...row(WORKSPACE_PAGE_ID, 'Team home'),
    parent: { type: 'workspace', workspace: true },
    icon: {
      type: 'file',
      file: { url: 'https://files.notion.so/icon.png', expiry_time: '2024-04-02T11:00:00.000Z' },
    },
    properties: { title: { id: 'title', type: 'title', title: text('Team home') } },
  },
  ...Object.fromEntries(rows.map((item) => [item.id, item])),
}

const database = {
  object: 'database',
  id: DATABASE_ID,
  title: text('Launch tasks'),
  parent: { type: 'block_id', block_id: 'b0000000-0000-4000-8000-000000000001' },
  archived: false,
  icon: null,
  last_edited_time: '2024-04-03T10:00:00.000Z',
  url: `https://www.notion.so/${DATABASE_ID.replace(/-/g, '')}`,
}

function block(
  id: string,
  type: string,
  content: Record<string, unknown>,
  extra: Record<string, unknown> = {},
) {
  return {
    object: 'block',
    id,
    parent: { type: 'page_id', page_id: PAGE_ID },
    created_time: '2024-04-01T10:00:00.000Z',
    last_edited_time: '2024-04-01T10:00:00.000Z',
    has_children: false,
    archived: false,
    type,
    [type]: content,
    ...extra,
  }
}

const children = [
  block('b1', 'heading_2', { rich_text: text('Steps'), is_toggleable: false, color: 'default' }),
  block('b2', 'to_do', { rich_text: text('Write the announcement'), checked: true, color: 'default' }),
  block('b3', 'child_page', { title: 'Appendix' }, { has_children: true }),
  block('b4', 'divider', {}),
]

// Notion answers rich text with plain_text filled in.
function withPlainText(content: { rich_text?: { text: { content: string } }[] }) {
  return content.rich_text === undefined
    ? content
    : { ...content, rich_text: content.rich_text.map((run) => ({ ...run, plain_text: run.text.content })) }
}

interface ErrorSpec {
  status: number
  code: string
  message: string
}

function list<T extends { id: string }>(items: readonly T[], startCursor: unknown, pageSize: unknown) {
  const size = Number(pageSize ?? 100)
  const start = typeof startCursor === 'string' ? items.findIndex((item) => item.id === startCursor) : 0
  const results = items.slice(start, start + size)
  const next = items[start + size]
  return {
    object: 'list',
    results,
    next_cursor: next?.id ?? null,
    has_more: next !== undefined,
    type: 'page_or_database',
    page_or_database: {},
  }
}

let upstream: Upstream
let created = 0

function handle(request: RecordedRequest, response: ServerResponse): void {
  const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
    response.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'x-request-id': 'req-1',
      ...headers,
    })
    response.end(JSON.stringify(body))
  }
  const fail = ({ status, code, message }: ErrorSpec, headers: Record<string, string> = {}) => {
    send(status, { object: 'error', status, code, message, request_id: 'req-1' }, headers)
  }
  if (request.url.startsWith('/proxy/')) {
    // A proxy in front of Notion that failed before Notion answered.
    response.writeHead(502, { 'content-type': 'text/html' })
    response.end('<html><body>502 Bad Gateway</body></html>')
    return
  }
  const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1]
  if (
    token === undefined ||
    ![
      'secret_good',
      'ntn_oauth',
      'secret_limited',
      'secret_throttled',
      'secret_readonly',
      'secret_elsewhere',
    ].includes(token)
  ) {
    fail({ status: 401, code: 'unauthorized', message: 'API token is invalid.' })
    return
  }
  if (request.headers['notion-version'] === undefined) {
    fail({
      status: 400,
      code: 'missing_version',
      message:
        'Notion-Version header failed validation: Notion-Version header should be defined, instead was `undefined`.',
    })
    return
  }
  if (token === 'secret_throttled') {
    fail({ status: 429, code: 'rate_limited', message: 'You have been rated limited.' })
    return
  }
  if (token === 'secret_limited') {
    fail(
      {
        status: 429,
        code: 'rate_limited',
        message: 'You have been rated limited. Please try again in a few minutes.',
      },
      { 'retry-after': '2' },
    )
    return
  }
  if (token === 'secret_elsewhere') {
    send(200, {})
    return
  }
  if (
    token === 'secret_readonly' &&
    request.method !== 'GET' &&
    !request.url.startsWith('/v1/search') &&
    !request.url.includes('/query')
  ) {
    fail({ status: 403, code: 'restricted_resource', message: 'Insufficient permissions for this endpoint.' })
    return
  }
  const url = new URL(request.url, upstream.url)
  const body = (request.json ?? {}) as Record<string, unknown>
  const route = `${request.method} ${url.pathname}`
  const notShared = (id: string) => {
    fail({
      status: 404,
      code: 'object_not_found',
      message: `Could not find page with ID: ${id}. Make sure the relevant pages and databases are shared with your integration.`,
    })
  }
  let match: RegExpExecArray | null
  if (route === 'GET /v1/users/me') {
    send(200, {
      object: 'user',
      id: 'bot-1',
      name: 'Toolplane',
      avatar_url: null,
      type: 'bot',
      bot: { owner: { type: 'workspace', workspace: true }, workspace_name: 'Acme' },
    })
  } else if (route === 'POST /v1/search') {
    const filter = body.filter as { value?: string } | undefined
    const everything = [database, ...Object.values(pages)] as { id: string; object: string }[]
    const query = typeof body.query === 'string' ? body.query.toLowerCase() : ''
    const matching = everything.filter(
      (item) =>
        (filter === undefined || item.object === filter.value) &&
        JSON.stringify(item).toLowerCase().includes(query),
    )
    send(200, list(matching, body.start_cursor, body.page_size))
  } else if ((match = /^(GET|PATCH) \/v1\/pages\/([^/]+)$/.exec(route))) {
    const id = match[2] ?? ''
    const page = pages[id] as ReturnType<typeof row> | undefined
    if (id === UNAVAILABLE_ID) {
      fail({ status: 503, code: 'service_unavailable', message: 'Notion is unavailable.' })
    } else if (page === undefined) {
      notShared(id)
    } else if (request.method === 'GET') {
      send(200, page)
    } else {
      const properties = (body.properties ?? {}) as Record<
        string,
        { title?: { text: { content: string } }[] }
      >
      if (properties.title?.title?.[0]?.text.content === 'conflict') {
        fail({
          status: 409,
          code: 'conflict_error',
          message: 'Conflict occurred while saving. Please try again.',
        })
        return
      }
      const archived = typeof body.archived === 'boolean' ? body.archived : page.archived
      send(200, {
        ...page,
        archived,
        in_trash: archived,
        ...(body.icon === undefined ? {} : { icon: body.icon }),
      })
    }
  } else if (route === 'POST /v1/pages') {
    const parent = body.parent as { database_id?: string; page_id?: string }
    const properties = body.properties as Record<string, { title?: { text: { content: string } }[] }>
    if (Object.keys(properties).some((name) => name === 'Nope')) {
      fail({ status: 400, code: 'validation_error', message: 'Nope is not a property that exists.' })
      return
    }
    const title = properties.title?.title?.map((run) => run.text.content).join('') ?? ''
    created += 1
    const id = `11111111-0000-4000-8000-${String(created).padStart(12, '0')}`
    send(200, {
      ...row(id, title),
      icon: body.icon ?? null,
      parent:
        parent.database_id === undefined
          ? { type: 'page_id', page_id: parent.page_id }
          : { type: 'database_id', database_id: parent.database_id },
      properties: { Name: { id: 'title', type: 'title', title: text(title) } },
    })
  } else if ((match = /^POST \/v1\/databases\/([^/]+)\/query$/.exec(route))) {
    if (match[1] !== DATABASE_ID) notShared(match[1] ?? '')
    else send(200, { ...list(rows, body.start_cursor, body.page_size), type: 'page_or_database' })
  } else if ((match = /^GET \/v1\/blocks\/([^/]+)\/children$/.exec(route))) {
    if (match[1] !== PAGE_ID) notShared(match[1] ?? '')
    else
      send(200, {
        ...list(
          children,
          url.searchParams.get('start_cursor') ?? undefined,
          url.searchParams.get('page_size'),
        ),
        type: 'block',
        block: {},
      })
  } else if (/^PATCH \/v1\/blocks\/([^/]+)\/children$/.test(route)) {
    const appended = (body.children as { type: string; [key: string]: unknown }[]).map((child, index) =>
      block(
        `new-${String(upstream.requests.length)}-${String(index)}`,
        child.type,
        withPlainText(child[child.type] as { rich_text?: { text: { content: string } }[] }),
      ),
    )
    send(200, {
      object: 'list',
      results: appended,
      next_cursor: null,
      has_more: false,
      type: 'block',
      block: {},
    })
  } else {
    fail({ status: 400, code: 'invalid_request_url', message: 'Invalid request URL.' })
  }
}

beforeAll(async () => {
  upstream = await startUpstream(handle)
})
afterAll(async () => {
  await upstream.close()
})

function bearer(token = 'secret_good'): CredentialView {
  return { authMethod: 'bearer', secrets: { token } }
}

function options(input: unknown, credential: CredentialView = bearer()) {
  return { input, credential, baseUrl: upstream.url, allowPrivateNetwork: true }
}

function last(): RecordedRequest {
  const request = upstream.requests.at(-1)
  if (request === undefined) throw new Error('the stand-in received no request')
  return request
}

function since(count: number): RecordedRequest[] {
  return upstream.requests.slice(count)
}

describe('the notion tool', () => {
  it('passes the SDK plugin checks', () => {
    expect(validateTool(notion)).toEqual([])
  })

  it.each(notion.actions.map((action) => [action.name, action] as const))(
    'has a first example for %s that its input schema accepts',
    (_name, action) => {
      expect(validate(action.input, action.examples[0]?.input)).toMatchObject({ ok: true })
    },
  )

  it('asks Notion for a user-owned OAuth grant', () => {
    expect(notion.authMethods.find((method) => method.kind === 'oauth2')).toMatchObject({
      extraAuthorizeParams: { owner: 'user' },
      pkce: false,
    })
  })
})

describe('search', () => {
  it('posts the query with the token and Notion-Version, walking two pages', async () => {
    const before = upstream.requests.length
    const { output } = await runAction(
      notion,
      'search',
      options({ query: 'launch', sortDirection: 'descending', pageSize: 2, maxPages: 2 }),
    )
    const requests = since(before)
    expect(requests).toHaveLength(2)
    expect(requests[0]).toMatchObject({ method: 'POST', url: '/v1/search' })
    expect(requests[0]?.headers.authorization).toBe('Bearer secret_good')
    expect(requests[0]?.headers['notion-version']).toBe('2022-06-28')
    expect(requests.map((request) => request.json)).toEqual([
      { query: 'launch', sort: { direction: 'descending', timestamp: 'last_edited_time' }, page_size: 2 },
      {
        query: 'launch',
        sort: { direction: 'descending', timestamp: 'last_edited_time' },
        page_size: 2,
        start_cursor: rows[0]?.id,
      },
    ])
    expect(output.results.map((result) => [result.object, result.title])).toEqual([
      ['database', 'Launch tasks'],
      ['page', 'Launch plan'],
      ['page', 'Write the announcement'],
    ])
    expect(output.results[0]).toEqual({
      object: 'database',
      id: DATABASE_ID,
      title: 'Launch tasks',
      url: `https://www.notion.so/${DATABASE_ID.replace(/-/g, '')}`,
      parent: { type: 'block_id', id: 'b0000000-0000-4000-8000-000000000001' },
      archived: false,
      lastEditedTime: '2024-04-03T10:00:00.000Z',
    })
    expect(output.nextCursor).toBeNull()
  })

  it('returns the cursor to continue from when results are left', async () => {
    const { output } = await runAction(notion, 'search', options({ query: 'launch', pageSize: 1 }))
    expect(output.results).toHaveLength(1)
    expect(output.nextCursor).toBe(PAGE_ID)
  })

  it('filters by object type and ends with no cursor', async () => {
    const { output } = await runAction(notion, 'search', options({ filter: 'page', query: 'old idea' }))
    expect(last().json).toEqual({
      query: 'old idea',
      filter: { property: 'object', value: 'page' },
      page_size: 100,
    })
    expect(output).toEqual({
      results: [expect.objectContaining({ title: 'Old idea', archived: true })],
      nextCursor: null,
    })
  })
})

describe('get_page', () => {
  it('returns the title, parent, icon and plain property values', async () => {
    const { output } = await runAction(notion, 'get_page', options({ pageId: rows[0]?.id }))
    expect(last()).toMatchObject({ method: 'GET', url: `/v1/pages/${rows[0]?.id ?? ''}` })
    expect(output).toMatchObject({
      id: rows[0]?.id,
      title: 'Write the announcement',
      parent: { type: 'database_id', id: DATABASE_ID },
      archived: false,
      icon: '📝',
      createdTime: '2024-04-01T10:00:00.000Z',
      lastEditedTime: '2024-04-02T10:00:00.000Z',
    })
    expect(output.values).toEqual({
      Name: 'Write the announcement',
      Status: 'In progress',
      Tags: ['launch', 'docs'],
      Priority: 'High',
      Owner: ['Ada', 'u2'],
      Due: { start: '2025-07-01', end: null },
      Estimate: 3,
      Done: false,
      Link: null,
      Notes: 'First draft',
      Blocked: ['rel-1'],
      Files: ['brief.pdf'],
      Score: 42,
      Total: [],
      Ticket: 'TASK-7',
      Seq: 8,
      Creator: 'Grace',
      Editor: 'u4',
      Phase: null,
      Window: null,
      Verified: null,
    })
    expect(output.properties.Status).toEqual({
      id: 'a%3Ab',
      type: 'status',
      status: { id: 's1', name: 'In progress', color: 'blue' },
    })
  })

  it('reads icons that are images and parents that are pages or the workspace', async () => {
    const page = await runAction(notion, 'get_page', options({ pageId: PAGE_ID }))
    expect(page.output).toMatchObject({
      icon: 'https://example.com/icon.png',
      parent: { type: 'page_id', id: WORKSPACE_PAGE_ID },
    })
    const home = await runAction(notion, 'get_page', options({ pageId: WORKSPACE_PAGE_ID }))
    expect(home.output).toMatchObject({
      icon: 'https://files.notion.so/icon.png',
      parent: { type: 'workspace', id: null },
    })
  })

  it('explains that a page not shared with the integration is not_found', async () => {
    const error = await actionErrorOf(
      runAction(notion, 'get_page', options({ pageId: '00000000-0000-4000-8000-0000000000ff' })),
    )
    expect(error.class).toBe('not_found')
    expect(error.httpStatus).toBe(404)
    expect(error.message).toContain('Notion said object_not_found: Could not find page')
    expect(error.suggestions[0]?.detail).toContain('Connections')
  })

  it('reports Notion being unavailable as upstream_unavailable', async () => {
    const error = await actionErrorOf(runAction(notion, 'get_page', options({ pageId: UNAVAILABLE_ID })))
    expect(error.class).toBe('upstream_unavailable')
    expect(error.retryable).toBe(true)
  })
})

describe('create_page', () => {
  it('creates a database row with title, properties, icon and content blocks', async () => {
    const { output } = await runAction(
      notion,
      'create_page',
      options({
        parentType: 'database',
        parentId: DATABASE_ID,
        title: 'Launch checklist',
        properties: { Status: { status: { name: 'Not started' } } },
        iconEmoji: '🚀',
        content: '## Steps\n\nFirst line\nsecond line\n\n- [ ] Write\n- [x] Plan',
      }),
    )
    const request = last()
    expect(request).toMatchObject({ method: 'POST', url: '/v1/pages' })
    expect(request.json).toEqual({
      parent: { database_id: DATABASE_ID },
      properties: {
        Status: { status: { name: 'Not started' } },
        title: { title: [{ type: 'text', text: { content: 'Launch checklist' } }] },
      },
      icon: { type: 'emoji', emoji: '🚀' },
      children: [
        {
          object: 'block',
          type: 'heading_2',
          heading_2: { rich_text: [{ type: 'text', text: { content: 'Steps' } }] },
        },
        {
          object: 'block',
          type: 'paragraph',
          paragraph: { rich_text: [{ type: 'text', text: { content: 'First line\nsecond line' } }] },
        },
        {
          object: 'block',
          type: 'to_do',
          to_do: { rich_text: [{ type: 'text', text: { content: 'Write' } }], checked: false },
        },
        {
          object: 'block',
          type: 'to_do',
          to_do: { rich_text: [{ type: 'text', text: { content: 'Plan' } }], checked: true },
        },
      ],
    })
    expect(output).toMatchObject({
      title: 'Launch checklist',
      icon: '🚀',
      parent: { type: 'database_id', id: DATABASE_ID },
    })
  })

  it('creates a page under a page with nothing but a title', async () => {
    const { output } = await runAction(
      notion,
      'create_page',
      options({ parentType: 'page', parentId: PAGE_ID, title: 'Notes' }),
    )
    expect(last().json).toEqual({
      parent: { page_id: PAGE_ID },
      properties: { title: { title: [{ type: 'text', text: { content: 'Notes' } }] } },
    })
    expect(output.parent).toEqual({ type: 'page_id', id: PAGE_ID })
  })

  it('appends what does not fit in the first request after the page exists', async () => {
    const before = upstream.requests.length
    const content = Array.from({ length: 105 }, (_, index) => `Paragraph ${String(index + 1)}`).join('\n\n')
    const { output } = await runAction(
      notion,
      'create_page',
      options({ parentType: 'page', parentId: PAGE_ID, title: 'Long', content }),
    )
    const requests = since(before)
    expect(requests.map((request) => `${request.method} ${request.url}`)).toEqual([
      'POST /v1/pages',
      `PATCH /v1/blocks/${output.id}/children`,
    ])
    expect((requests[0]?.json as { children: unknown[] }).children).toHaveLength(100)
    const appended = requests[1]?.json as {
      children: { paragraph: { rich_text: { text: { content: string } }[] } }[]
      after?: string
    }
    expect(appended.children.map((child) => child.paragraph.rich_text[0]?.text.content)).toEqual([
      'Paragraph 101',
      'Paragraph 102',
      'Paragraph 103',
      'Paragraph 104',
      'Paragraph 105',
    ])
    expect(appended.after).toBeUndefined()
  })

  it('passes on the property Notion rejected as a validation_error', async () => {
    const error = await actionErrorOf(
      runAction(
        notion,
        'create_page',
        options({ parentType: 'database', parentId: DATABASE_ID, properties: { Nope: { number: 1 } } }),
      ),
    )
    expect(error.class).toBe('validation_error')
    expect(error.message).toBe('Notion said validation_error: Nope is not a property that exists.')
  })

  it('reports a missing capability as permission_error', async () => {
    const error = await actionErrorOf(
      runAction(
        notion,
        'create_page',
        options({ parentType: 'page', parentId: PAGE_ID, title: 'x' }, bearer('secret_readonly')),
      ),
    )
    expect(error.class).toBe('permission_error')
    expect(error.httpStatus).toBe(403)
    expect(error.suggestions[0]?.detail).toContain('capabilities')
  })
})

describe('update_page', () => {
  it('patches properties, title, icon and archived together', async () => {
    const { output } = await runAction(
      notion,
      'update_page',
      options({
        pageId: rows[1]?.id,
        properties: { Status: { status: { name: 'Done' } } },
        title: 'Docs updated',
        iconEmoji: '✅',
        archived: true,
      }),
    )
    expect(last()).toMatchObject({ method: 'PATCH', url: `/v1/pages/${rows[1]?.id ?? ''}` })
    expect(last().json).toEqual({
      properties: {
        Status: { status: { name: 'Done' } },
        title: { title: [{ type: 'text', text: { content: 'Docs updated' } }] },
      },
      icon: { type: 'emoji', emoji: '✅' },
      archived: true,
    })
    expect(output).toMatchObject({ archived: true, icon: '✅' })
  })

  it('restores an archived page with archived alone', async () => {
    const { output } = await runAction(
      notion,
      'update_page',
      options({ pageId: rows[2]?.id, archived: false }),
    )
    expect(last().json).toEqual({ archived: false })
    expect(output.archived).toBe(false)
  })

  it('refuses an update with nothing to change without calling Notion', async () => {
    const before = upstream.requests.length
    const error = await actionErrorOf(
      runAction(notion, 'update_page', options({ pageId: PAGE_ID, properties: {} })),
    )
    expect(error.class).toBe('validation_error')
    expect(error.requestSent).toBe(false)
    expect(upstream.requests.length).toBe(before)
  })

  it('reports a conflict_error as a conflict worth retrying', async () => {
    const error = await actionErrorOf(
      runAction(notion, 'update_page', options({ pageId: PAGE_ID, title: 'conflict' })),
    )
    expect(error.class).toBe('conflict')
    expect(error.httpStatus).toBe(409)
    expect(error.retryable).toBe(true)
  })
})

describe('query_database', () => {
  it('passes filter and sorts through and walks two pages', async () => {
    const before = upstream.requests.length
    const filter = { property: 'Status', status: { equals: 'In progress' } }
    const sorts = [{ property: 'Due', direction: 'ascending' }]
    const { output } = await runAction(
      notion,
      'query_database',
      options({ databaseId: DATABASE_ID, filter, sorts, pageSize: 2, maxPages: 2 }),
    )
    const requests = since(before)
    expect(requests.map((request) => request.url)).toEqual([
      `/v1/databases/${DATABASE_ID}/query`,
      `/v1/databases/${DATABASE_ID}/query`,
    ])
    expect(requests.map((request) => request.json)).toEqual([
      { filter, sorts, page_size: 2 },
      { filter, sorts, page_size: 2, start_cursor: rows[2]?.id },
    ])
    expect(output.pages.map((page) => [page.title, page.archived])).toEqual([
      ['Write the announcement', false],
      ['Update the docs', false],
      ['Old idea', true],
    ])
    expect(output.pages[2]?.icon).toBeNull()
    expect(output.nextCursor).toBeNull()
  })

  it('returns the cursor to continue from when pages are left', async () => {
    const { output } = await runAction(
      notion,
      'query_database',
      options({ databaseId: DATABASE_ID, pageSize: 1 }),
    )
    expect(output.pages).toHaveLength(1)
    expect(output.nextCursor).toBe(rows[1]?.id)
  })
})

describe('append_block_children', () => {
  it('converts the text to blocks and returns the blocks created', async () => {
    const { output } = await runAction(
      notion,
      'append_block_children',
      options({ blockId: PAGE_ID, content: '# Title\n\n> quoted\n\n---\n\n1. one\n* two' }),
    )
    expect(last()).toMatchObject({ method: 'PATCH', url: `/v1/blocks/${PAGE_ID}/children` })
    const sent = last().json as { children: { type: string }[] }
    expect(sent.children.map((child) => child.type)).toEqual([
      'heading_1',
      'quote',
      'divider',
      'numbered_list_item',
      'bulleted_list_item',
    ])
    expect(output.blocks.map((item) => [item.type, item.text])).toEqual([
      ['heading_1', 'Title'],
      ['quote', 'quoted'],
      ['divider', null],
      ['numbered_list_item', 'one'],
      ['bulleted_list_item', 'two'],
    ])
  })

  it('inserts after a given block, keeping later batches in order', async () => {
    const before = upstream.requests.length
    const content = Array.from({ length: 150 }, (_, index) => `- item ${String(index)}`).join('\n')
    const { output } = await runAction(
      notion,
      'append_block_children',
      options({ blockId: PAGE_ID, content, after: 'c02fc1d3-db8b-45c5-a222-27595b15aea7' }),
    )
    const requests = since(before).map((request) => request.json as { children: unknown[]; after: string })
    expect(requests.map((request) => [request.children.length, request.after])).toEqual([
      [100, 'c02fc1d3-db8b-45c5-a222-27595b15aea7'],
      [50, output.blocks[99]?.id],
    ])
    expect(output.blocks).toHaveLength(150)
  })
})

describe('get_block_children', () => {
  it('reads the page content page by page with start_cursor and page_size', async () => {
    const before = upstream.requests.length
    const { output } = await runAction(
      notion,
      'get_block_children',
      options({ blockId: PAGE_ID, pageSize: 3, maxPages: 2 }),
    )
    expect(since(before).map((request) => request.url)).toEqual([
      `/v1/blocks/${PAGE_ID}/children?page_size=3`,
      `/v1/blocks/${PAGE_ID}/children?start_cursor=b4&page_size=3`,
    ])
    expect(output.blocks).toEqual([
      {
        id: 'b1',
        type: 'heading_2',
        text: 'Steps',
        checked: null,
        hasChildren: false,
        archived: false,
        createdTime: '2024-04-01T10:00:00.000Z',
        lastEditedTime: '2024-04-01T10:00:00.000Z',
      },
      expect.objectContaining({ id: 'b2', type: 'to_do', text: 'Write the announcement', checked: true }),
      expect.objectContaining({ id: 'b3', type: 'child_page', text: 'Appendix', hasChildren: true }),
      expect.objectContaining({ id: 'b4', type: 'divider', text: null }),
    ])
    expect(output.nextCursor).toBeNull()
  })
})

describe('errors', () => {
  it('reports a rejected token as auth_error', async () => {
    const error = await actionErrorOf(
      runAction(notion, 'get_page', options({ pageId: PAGE_ID }, bearer('secret_revoked'))),
    )
    expect(error.class).toBe('auth_error')
    expect(error.message).toBe('Notion said unauthorized: API token is invalid.')
    expect(error.suggestions[0]?.title).toBe('Replace the integration secret')
  })

  it('reports a 429 as rate_limited for the Retry-After seconds', async () => {
    const error = await actionErrorOf(runAction(notion, 'search', options({}, bearer('secret_limited'))))
    expect(error.class).toBe('rate_limited')
    expect(error.httpStatus).toBe(429)
    expect(error.retryAfterMs).toBe(2000)
  })

  it('sends an OAuth access token as a bearer token', async () => {
    await runAction(
      notion,
      'get_page',
      options({ pageId: PAGE_ID }, { authMethod: 'oauth2', secrets: { accessToken: 'ntn_oauth' } }),
    )
    expect(last().headers.authorization).toBe('Bearer ntn_oauth')
  })

  it('waits a second after a 429 that gives no time', async () => {
    const error = await actionErrorOf(runAction(notion, 'search', options({}, bearer('secret_throttled'))))
    expect(error.class).toBe('rate_limited')
    expect(error.retryAfterMs).toBe(1000)
  })

  it('classifies a failure without a Notion error body by its status', async () => {
    const error = await actionErrorOf(
      runAction(notion, 'get_page', { ...options({ pageId: PAGE_ID }), baseUrl: `${upstream.url}/proxy` }),
    )
    expect(error.class).toBe('upstream_unavailable')
    expect(error.message).toBe('Notion answered 502: HTTP 502')
  })

  it('reports a path Notion does not know as a validation_error', async () => {
    const error = await actionErrorOf(
      runAction(notion, 'get_page', { ...options({ pageId: PAGE_ID }), baseUrl: `${upstream.url}/v2` }),
    )
    expect(error.class).toBe('validation_error')
    expect(error.message).toBe('Notion said invalid_request_url: Invalid request URL.')
  })
})

describe('health check', () => {
  const check = (token: string) =>
    runHealthCheck(notion, { credential: bearer(token), baseUrl: upstream.url, allowPrivateNetwork: true })

  it('passes with a working secret, calling GET /v1/users/me', async () => {
    expect(await check('secret_good')).toMatchObject({ ok: true, checked: true })
    expect(last().url).toBe('/v1/users/me')
  })

  it('fails with auth_error for a revoked secret', async () => {
    expect(await check('secret_revoked')).toMatchObject({ ok: false, errorClass: 'auth_error' })
  })

  it('fails when the base URL does not answer like Notion', async () => {
    expect(await check('secret_elsewhere')).toMatchObject({ ok: false, errorClass: 'upstream_error' })
  })
})
