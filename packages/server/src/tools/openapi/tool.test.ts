import { ActionError, UpstreamHTTPError, ValidationError, runAction, validateTool } from '@toolplane/sdk'
import type { CredentialView, Tool } from '@toolplane/sdk'
import { startUpstream } from '@toolplane/sdk/testing'
import type { Upstream } from '@toolplane/sdk/testing'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { openApiToToolSpec } from './convert.js'
import type { JsonObject } from './parse.js'
import type { ImportedAction, ImportedParameter, ImportedToolSpec } from './spec.js'
import { buildRequest, toolFromSpec } from './tool.js'

const ok = { '200': { description: 'ok' } }
const json = (schema: JsonObject = { type: 'object' }) => ({
  '200': { description: 'ok', content: { 'application/json': { schema } } },
})

const securitySchemes = {
  key: { type: 'apiKey', in: 'header', name: 'X-Api-Key' },
  queryKey: { type: 'apiKey', in: 'query', name: 'api_key' },
  cookieKey: { type: 'apiKey', in: 'cookie', name: 'sid' },
  bearer: { type: 'http', scheme: 'bearer' },
  basic: { type: 'http', scheme: 'basic' },
  oauth: {
    type: 'oauth2',
    flows: {
      authorizationCode: {
        authorizationUrl: 'https://auth.example.com/authorize',
        tokenUrl: 'https://auth.example.com/token',
        scopes: { 'issues:write': '' },
      },
    },
  },
}

// One document exercising every kind of placement; the tool is rebuilt from its spec after a trip
// through JSON, as the server does when it reads an imported tool from the database.
const document: JsonObject = {
  openapi: '3.0.3',
  info: { title: 'Tracker', version: '1.0.0' },
  servers: [{ url: 'https://tracker.example.com/v1' }],
  security: Object.keys(securitySchemes).map((name) => ({
    [name]: name === 'oauth' ? ['issues:write'] : [],
  })),
  components: { securitySchemes },
  paths: {
    '/repos/{owner}/{repo}/issues': {
      post: {
        operationId: 'createIssue',
        parameters: [
          { name: 'owner', in: 'path', required: true, schema: { type: 'string' } },
          { name: 'repo', in: 'path', required: true, schema: { type: 'string' } },
          { name: 'labels', in: 'query', schema: { type: 'array', items: { type: 'string' } } },
          {
            name: 'fields',
            in: 'query',
            explode: false,
            schema: { type: 'array', items: { type: 'string' } },
          },
          { name: 'X-Request-Id', in: 'header', schema: { type: 'string' } },
          { name: 'session', in: 'cookie', schema: { type: 'string' } },
        ],
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['title'],
                properties: {
                  title: { type: 'string' },
                  body: { type: 'string' },
                  priority: { type: 'integer', default: 3 },
                },
              },
            },
          },
        },
        responses: {
          '201': {
            description: 'created',
            content: {
              'application/json': { schema: { type: 'object', properties: { number: { type: 'integer' } } } },
            },
          },
        },
      },
    },
    '/issues/{id}': {
      get: {
        operationId: 'getIssue',
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
        responses: json(),
      },
      patch: {
        operationId: 'patchIssue',
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'integer' } }],
        requestBody: {
          content: {
            'application/merge-patch+json': {
              schema: { type: 'object', properties: { id: { type: 'integer' } } },
            },
          },
        },
        responses: json(),
      },
      delete: {
        operationId: 'deleteIssue',
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
        responses: { '204': { description: 'deleted' } },
      },
    },
    '/issues/bulk': {
      post: {
        operationId: 'bulkCreate',
        requestBody: {
          required: true,
          content: { 'application/json': { schema: { type: 'array', items: { type: 'object' } } } },
        },
        responses: json({ type: 'array' }),
      },
    },
    '/search': {
      get: {
        operationId: 'search',
        parameters: [
          { name: 'filter', in: 'query', style: 'deepObject', schema: { type: 'object' } },
          { name: 'q', in: 'query', content: { 'application/json': { schema: { type: 'object' } } } },
          { name: 'tags', in: 'query', style: 'pipeDelimited', explode: false, schema: { type: 'array' } },
        ],
        responses: json({ type: 'array' }),
      },
    },
    '/export': {
      get: {
        operationId: 'exportCsv',
        responses: { '200': { description: 'csv', content: { 'text/csv': {} } } },
      },
    },
    '/sloppy': { get: { operationId: 'sloppyJson', responses: json() } },
    '/login': {
      post: {
        operationId: 'login',
        security: [],
        requestBody: {
          content: {
            'application/x-www-form-urlencoded': {
              schema: {
                type: 'object',
                properties: {
                  user: { type: 'string' },
                  scopes: { type: 'array', items: { type: 'string' } },
                  meta: { type: 'object' },
                },
              },
              encoding: { meta: { style: 'deepObject' } },
            },
          },
        },
        responses: ok,
      },
    },
  },
}

function importTool(): { spec: ImportedToolSpec; tool: Tool } {
  const { spec } = openApiToToolSpec(document)
  const stored = JSON.parse(JSON.stringify(spec)) as ImportedToolSpec
  return { spec, tool: toolFromSpec(stored) }
}

const apiKey: CredentialView = { authMethod: 'key', secrets: { value: 'k3y' } }

describe('an imported tool', () => {
  let upstream: Upstream
  let respond: (url: string) => { status: number; headers?: Record<string, string>; body?: string }
  const { tool } = importTool()

  beforeAll(async () => {
    upstream = await startUpstream((request, response) => {
      const answer = respond(request.url)
      response.writeHead(answer.status, answer.headers ?? { 'content-type': 'application/json' })
      response.end(answer.body ?? '')
    })
  })
  afterAll(async () => {
    await upstream.close()
  })
  beforeEach(() => {
    upstream.requests.length = 0
    respond = () => ({ status: 200, body: '{"ok":true}' })
  })

  // `null` runs without a credential.
  const run = (action: string, input: unknown, credential: CredentialView | null = apiKey) =>
    runAction(tool, action, {
      input,
      ...(credential === null ? {} : { credential }),
      baseUrl: `${upstream.url}/v1`,
      allowPrivateNetwork: true,
    })

  it('passes validateTool, like a built-in tool', () => {
    expect(validateTool(tool)).toEqual([])
    expect(tool.baseUrl).toBe('https://tracker.example.com/v1')
  })

  it('refuses a stored spec of another shape version', () => {
    const { spec } = importTool()
    expect(() => toolFromSpec({ ...spec, specVersion: 2 as unknown as 1 })).toThrow(
      'Imported tool "tracker" has spec version 2; this server reads version 1',
    )
  })

  it('places path, query, header, cookie and body values and injects the API key', async () => {
    respond = () => ({ status: 201, body: '{"number":7}' })
    const { output } = await run('create_issue', {
      owner: 'acme',
      repo: 'my site/../x',
      labels: ['bug', 'ui'],
      fields: ['a', 'b'],
      'X-Request-Id': 'r-1',
      session: 'a b',
      title: 'Broken',
    })
    expect(output).toEqual({ number: 7 })
    const [request] = upstream.requests
    expect(request?.method).toBe('POST')
    expect(request?.url).toBe('/v1/repos/acme/my%20site%2F..%2Fx/issues?labels=bug&labels=ui&fields=a%2Cb')
    expect(request?.headers).toMatchObject({
      'x-api-key': 'k3y',
      'x-request-id': 'r-1',
      cookie: 'session=a%20b',
      'content-type': 'application/json',
      accept: 'application/json',
    })
    // The schema's default is filled in, as for any action.
    expect(request?.json).toEqual({ title: 'Broken', priority: 3 })
  })

  it.each([
    ['bearer', { token: 't0k' }, { authorization: 'Bearer t0k' }],
    [
      'basic',
      { username: 'ada', password: 'pw' },
      { authorization: `Basic ${Buffer.from('ada:pw').toString('base64')}` },
    ],
    ['oauth', { accessToken: 'acc', tokenType: 'bearer' }, { authorization: 'Bearer acc' }],
  ])('injects a %s credential', async (authMethod, secrets, headers) => {
    await run('get_issue', { id: '1' }, { authMethod, secrets })
    expect(upstream.requests[0]?.headers).toMatchObject(headers)
  })

  it('injects API keys in the query and in a cookie', async () => {
    await run('get_issue', { id: '1' }, { authMethod: 'query_key', secrets: { value: 'q-key' } })
    expect(upstream.requests[0]?.url).toBe('/v1/issues/1?api_key=q-key')
    await run(
      'create_issue',
      { owner: 'o', repo: 'r', title: 't', session: 's1' },
      {
        authMethod: 'cookie_key',
        secrets: { value: 'c-key' },
      },
    )
    expect(upstream.requests[1]?.headers.cookie).toBe('session=s1; sid=c-key')
  })

  it('raises non-2xx answers so the engine classifies them', async () => {
    respond = () => ({ status: 404, body: '{"message":"Not Found"}' })
    const missing = await run('get_issue', { id: '404' }).catch((error: unknown) => error)
    expect(missing).toBeInstanceOf(UpstreamHTTPError)
    expect((missing as UpstreamHTTPError).class).toBe('not_found')
    respond = () => ({ status: 429, headers: { 'retry-after': '2' }, body: '' })
    const limited = await run('get_issue', { id: '1' }).catch((error: unknown) => error)
    expect(limited).toMatchObject({ class: 'rate_limited', retryAfterMs: 2000 })
  })

  it('returns null for an empty answer, { text } for text, and JSON sent as text when JSON is documented', async () => {
    respond = () => ({ status: 204 })
    expect((await run('delete_issue', { id: '1' })).output).toBeNull()
    respond = () => ({ status: 200, headers: { 'content-type': 'text/csv' }, body: 'a,b\n1,2\n' })
    expect((await run('export_csv', {})).output).toEqual({ text: 'a,b\n1,2\n' })
    expect(upstream.requests[1]?.headers.accept).toBe('text/csv')
    respond = () => ({ status: 200, headers: { 'content-type': 'text/plain' }, body: '{"id":1}' })
    expect((await run('sloppy_json', {})).output).toEqual({ id: 1 })
    respond = () => ({ status: 200, headers: { 'content-type': 'text/html' }, body: '<p>maintenance</p>' })
    expect((await run('sloppy_json', {})).output).toEqual({ text: '<p>maintenance</p>' })
  })

  it('sends a body held under `body`, and JSON variants with their own content type', async () => {
    respond = (url) => ({ status: 200, body: url.endsWith('/bulk') ? '[]' : '{}' })
    await run('bulk_create', { body: [{ title: 'a' }, { title: 'b' }] })
    expect(upstream.requests[0]?.json).toEqual([{ title: 'a' }, { title: 'b' }])
    await run('patch_issue', { id: 5, body: { id: 6 } })
    expect(upstream.requests[1]?.headers['content-type']).toBe('application/merge-patch+json')
    expect(upstream.requests[1]?.json).toEqual({ id: 6 })
    await run('patch_issue', { id: 5 })
    expect(upstream.requests[2]?.body).toBe('')
  })

  it('writes deepObject, JSON and pipe-delimited query values', async () => {
    respond = () => ({ status: 200, body: '[]' })
    await run('search', {
      filter: { status: 'open', owner: { login: 'ada' } },
      q: { a: 1 },
      tags: ['x', 'y'],
    })
    const url = new URL(upstream.requests[0]?.url ?? '', upstream.url)
    expect([...url.searchParams]).toEqual([
      ['filter[status]', 'open'],
      ['filter[owner][login]', 'ada'],
      ['q', '{"a":1}'],
      ['tags', 'x|y'],
    ])
  })

  it('sends form bodies, without a credential where the operation needs none', async () => {
    await run('login', { user: 'ada', scopes: ['a', 'b'], meta: { team: 'x' } }, null)
    const [request] = upstream.requests
    expect(request?.headers['content-type']).toBe('application/x-www-form-urlencoded')
    expect(request?.body).toBe('user=ada&scopes=a&scopes=b&meta%5Bteam%5D=x')
    expect(request?.headers['x-api-key']).toBeUndefined()
    expect(request?.headers.authorization).toBeUndefined()
  })

  it('refuses path values that would walk to another endpoint, before sending anything', async () => {
    for (const id of ['..', '.']) {
      const error = await run('get_issue', { id }).catch((failure: unknown) => failure)
      expect(error).toBeInstanceOf(ActionError)
      expect((error as ActionError).class).toBe('validation_error')
    }
    expect(upstream.requests).toEqual([])
  })

  it('validates the input against the action’s schema', async () => {
    const error = await run('create_issue', { owner: 'o', repo: 'r' }).catch((failure: unknown) => failure)
    expect(error).toBeInstanceOf(ValidationError)
    expect((error as ValidationError).errors).toEqual([{ path: '/title', message: 'is required' }])
  })

  it('says what to do when the document names no absolute server', async () => {
    const { spec } = openApiToToolSpec({ ...document, servers: [{ url: '/relative' }] })
    const error = await runAction(toolFromSpec(spec), 'get_issue', {
      input: { id: '1' },
      credential: apiKey,
    }).catch((failure: unknown) => failure)
    expect(error).toBeInstanceOf(ActionError)
    expect((error as ActionError).message).toMatch(/has no base URL.*Set the base URL on the credential/)
  })
})

describe('buildRequest', () => {
  const action = (
    parameters: Omit<ImportedParameter, 'inputKey'>[],
    pathTemplate = '/x',
  ): ImportedAction => ({
    name: 'x',
    title: 'X',
    description: '',
    input: { type: 'object' },
    output: {},
    examples: [],
    retry: { idempotent: true },
    scopes: [],
    deprecated: false,
    tags: [],
    operation: { method: 'GET', path: pathTemplate },
    http: {
      method: 'GET',
      pathTemplate,
      parameters: parameters.map((parameter) => ({ ...parameter, inputKey: parameter.name })),
      jsonResponse: true,
    },
  })
  const primitive = 5
  const array = [3, 4, 5]
  const object = { role: 'admin', firstName: 'Alex' }

  // The examples of OpenAPI's style table.
  it.each([
    ['simple', false, ['5', '3,4,5', 'role,admin,firstName,Alex']],
    ['simple', true, ['5', '3,4,5', 'role=admin,firstName=Alex']],
    ['label', false, ['.5', '.3,4,5', '.role,admin,firstName,Alex']],
    ['label', true, ['.5', '.3.4.5', '.role=admin.firstName=Alex']],
    ['matrix', false, [';id=5', ';id=3,4,5', ';id=role,admin,firstName,Alex']],
    ['matrix', true, [';id=5', ';id=3;id=4;id=5', ';role=admin;firstName=Alex']],
  ] as const)('writes path values in %s style (explode %s)', (style, explode, expected) => {
    const request = (value: unknown) =>
      buildRequest(action([{ name: 'id', in: 'path', style, explode }], '/users/{id}'), { id: value }).path
    expect([request(primitive), request(array), request(object)]).toEqual(
      expected.map((value) => `/users/${value}`),
    )
  })

  it.each([
    ['form', true, [{ id: ['5'] }, { id: ['3', '4', '5'] }, { role: ['admin'], firstName: ['Alex'] }]],
    ['form', false, [{ id: ['5'] }, { id: ['3,4,5'] }, { id: ['role,admin,firstName,Alex'] }]],
    ['spaceDelimited', false, [{ id: ['5'] }, { id: ['3 4 5'] }, { id: ['role,admin,firstName,Alex'] }]],
    ['pipeDelimited', false, [{ id: ['5'] }, { id: ['3|4|5'] }, { id: ['role,admin,firstName,Alex'] }]],
    [
      'deepObject',
      true,
      [{ id: ['5'] }, { id: ['3', '4', '5'] }, { 'id[role]': ['admin'], 'id[firstName]': ['Alex'] }],
    ],
  ] as const)('writes query values in %s style (explode %s)', (style, explode, expected) => {
    const request = (value: unknown) =>
      buildRequest(action([{ name: 'id', in: 'query', style, explode }]), { id: value }).query
    expect([request(primitive), request(array), request(object)]).toEqual(expected)
  })

  it('writes headers in simple style and leaves out absent values', () => {
    const built = buildRequest(
      action([
        { name: 'X-Ids', in: 'header', style: 'simple', explode: false },
        { name: 'X-Filter', in: 'header', style: 'simple', explode: true, json: true },
        { name: 'X-None', in: 'header', style: 'simple', explode: false },
        { name: 'q', in: 'query', style: 'form', explode: true },
      ]),
      { 'X-Ids': [1, 2], 'X-Filter': { a: 1 }, 'X-None': null, q: undefined },
    )
    expect(built.headers).toEqual({ 'x-ids': '1,2', 'x-filter': '{"a":1}' })
    expect(built.query).toEqual({})
  })

  it('encodes JSON path values and nested values', () => {
    const built = buildRequest(
      action(
        [
          { name: 'doc', in: 'path', style: 'simple', explode: false, json: true },
          { name: 'list', in: 'query', style: 'form', explode: true },
          { name: 'c', in: 'cookie', style: 'form', explode: true, json: true },
        ],
        '/d/{doc}',
      ),
      { doc: { a: 'b' }, list: [{ x: 1 }, null], c: [1] },
    )
    expect(built.path).toBe(`/d/${encodeURIComponent('{"a":"b"}')}`)
    expect(built.query).toEqual({ list: ['{"x":1}', 'null'] })
    expect(built.headers.cookie).toBe(`c=${encodeURIComponent('[1]')}`)
  })

  it('sends a parameter called __proto__ under its own name, from a safe input key', () => {
    const { spec } = openApiToToolSpec({
      openapi: '3.0.3',
      info: { title: 'Odd', version: '1' },
      paths: {
        '/a': {
          get: {
            parameters: [{ name: '__proto__', in: 'query', schema: { type: 'string' } }],
            responses: ok,
          },
        },
      },
    })
    const [odd] = spec.actions
    if (odd === undefined) throw new Error('no action')
    expect(odd.http.parameters[0]).toMatchObject({ name: '__proto__', inputKey: 'proto' })
    const built = buildRequest(odd, { proto: 'x' })
    expect(Object.entries(built.query)).toEqual([['__proto__', ['x']]])
  })

  it('refuses a path parameter without a value and a form body that is not an object', () => {
    expect(() => buildRequest(action([], '/users/{id}'), {})).toThrow(/The path parameter "id" has no value/)
    const form = action([])
    form.http.body = {
      contentType: 'application/x-www-form-urlencoded',
      format: 'form',
      required: true,
      merged: false,
      inputKey: 'body',
    }
    expect(() => buildRequest(form, { body: 'text' })).toThrow(/A form body must be an object/)
    form.http.body.contentType = 'application/x-www-form-urlencoded; charset=utf-8'
    const built = buildRequest(form, { body: { a: 1, b: null, c: { d: 'e' } } })
    expect(built.body?.toString()).toBe('a=1&d=e')
    expect(built.headers['content-type']).toBe('application/x-www-form-urlencoded; charset=utf-8')
  })
})
