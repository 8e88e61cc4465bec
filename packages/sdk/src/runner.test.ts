import net from 'node:net'
import { Type } from 'typebox'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, expectTypeOf, it, vi } from 'vitest'
import type { MockInstance } from 'vitest'
import { auth } from './auth.js'
import { AbortedError, ActionError, TimeoutError, UpstreamHTTPError, ValidationError } from './errors.js'
import type { HttpExchange } from './http.js'
import { urlPath } from './http.js'
import { closeConnectionPools, connectableAddresses } from './network.js'
import type { Resolver } from './network.js'
import { PREVIEW_BODY_BYTES, previewAction, runAction, runHealthCheck } from './runner.js'
import { Secret, redactSecrets } from './secrets.js'
import { forbidNonLoopbackConnections, startUpstream } from './testing/index.js'
import type { RecordedRequest, Upstream } from './testing/index.js'
import { defineAction, defineTool } from './tool.js'
import type { ActionLog, LogFields } from './tool.js'

// A small issue tracker, written the way a plugin author would write one.
const Issue = Type.Object({
  number: Type.Integer(),
  title: Type.String(),
  url: Type.String({ format: 'uri' }),
})

const createIssue = defineAction({
  name: 'create_issue',
  title: 'Create an issue',
  description: 'Opens an issue in a project.',
  input: Type.Object({
    project: Type.String({ minLength: 1 }),
    title: Type.String({ minLength: 1 }),
    labels: Type.Array(Type.String(), { default: [] }),
  }),
  output: Issue,
  retry: { idempotent: false },
  scopes: ['issues:write'],
  async run({ http, input, log }) {
    log.info('creating issue', { project: input.project })
    const res = await http.post<{ number: number; title: string; html_url: string }>(
      urlPath`/projects/${input.project}/issues`,
      { json: { title: input.title, labels: input.labels } },
    )
    res.raise()
    return { number: res.json.number, title: res.json.title, url: res.json.html_url }
  },
})

const getIssue = defineAction({
  name: 'get_issue',
  title: 'Get an issue',
  description: 'Reads one issue.',
  input: Type.Object({ project: Type.String(), number: Type.Integer({ minimum: 1 }) }),
  output: Type.Object({ found: Type.Boolean(), issue: Type.Optional(Issue) }),
  retry: { idempotent: true },
  async run({ http, input }) {
    const res = await http.get<{ number: number; title: string; html_url: string }>(
      urlPath`/projects/${input.project}/issues/${input.number}`,
    )
    if (res.status === 404) return { found: false }
    res.raise()
    return { found: true, issue: { number: res.json.number, title: res.json.title, url: res.json.html_url } }
  },
})

const whoami = defineAction({
  name: 'whoami',
  title: 'Who am I',
  description: 'Shows what the upstream received.',
  input: Type.Object({}),
  output: Type.Object({ url: Type.String(), headers: Type.Record(Type.String(), Type.String()) }),
  async run({ http }) {
    const res = await http.get<RecordedRequest>('/whoami')
    return { url: res.json.url, headers: res.json.headers as Record<string, string> }
  },
})

const tracker = defineTool({
  slug: 'tracker',
  name: 'Tracker',
  description: 'A tiny issue tracker.',
  version: '1.0.0',
  categories: ['project-management'],
  baseUrl: 'https://tracker.invalid',
  authMethods: [
    auth.bearer(),
    auth.none(),
    auth.apiKey({ in: 'header', name: 'X-Api-Key' }),
    auth.apiKey({ id: 'query_key', in: 'query', name: 'api_key' }),
    auth.apiKey({ id: 'named_key', in: 'header' }),
    auth.basic(),
    auth.oauth2({
      grant: 'authorization_code',
      authorizationUrl: 'https://tracker.invalid/authorize',
      tokenUrl: 'https://tracker.invalid/token',
      scopes: ['issues:write'],
    }),
    auth.oauth2({ grant: 'client_credentials', tokenUrl: 'https://tracker.invalid/token', scopes: [] }),
    auth.custom({
      id: 'signed',
      fields: Type.Object({ keyId: Type.String(), secret: Type.String() }),
      apply(request, secrets) {
        request.headers['x-key-id'] = secrets.keyId
        request.headers['x-signature'] = `${request.method} ${request.url.pathname} ${secrets.secret.length}`
      },
    }),
  ],
  actions: [createIssue, getIssue, whoami],
  async healthCheck({ http }) {
    const res = await http.get('/health')
    if (res.status === 401) return { ok: false, detail: 'The token was rejected' }
    res.raise()
    return undefined
  },
})

let upstream: Upstream
let liftGuard: () => void

beforeAll(async () => {
  liftGuard = forbidNonLoopbackConnections()
  upstream = await startUpstream((request, response) => {
    const json = (status: number, body: unknown): void => {
      response.writeHead(status, { 'content-type': 'application/json' })
      response.end(JSON.stringify(body))
    }
    const path = new URL(request.url, 'http://x').pathname
    if (request.method === 'POST' && path === '/projects/site/issues') {
      const body = request.json as { title: string }
      json(201, { number: 7, title: body.title, html_url: 'https://tracker.invalid/site/7' })
    } else if (path === '/projects/site/issues/7') {
      json(200, { number: 7, title: 'Broken link', html_url: 'https://tracker.invalid/site/7' })
    } else if (path === '/projects/site/issues/8') {
      json(200, { number: 'eight' })
    } else if (path === '/projects/site/issues/9') {
      json(500, { message: 'boom' })
    } else if (path === '/health') {
      const authorized = request.headers.authorization === 'Bearer good'
      json(authorized ? 200 : request.headers.authorization === 'Bearer broken' ? 500 : 401, {})
    } else if (path === '/slow') {
      setTimeout(() => {
        json(200, {})
      }, 2_000)
    } else if (path.startsWith('/projects/')) {
      json(404, { message: 'Not Found' })
    } else {
      json(200, request)
    }
  })
})

afterAll(async () => {
  await closeConnectionPools()
  await upstream.close()
  liftGuard()
})

afterEach(() => {
  upstream.requests.length = 0
  vi.restoreAllMocks()
})

const bearer = { authMethod: 'bearer', secrets: { token: 'good' } }
// The fake upstream is on 127.0.0.1, so these runs allow private networks.
const at = () => ({ baseUrl: upstream.url, allowPrivateNetwork: true })

describe('runAction', () => {
  it('runs an action against the upstream and returns its typed output', async () => {
    const result = await runAction(tracker, 'create_issue', {
      input: { project: 'site', title: 'Broken link' },
      credential: bearer,
      ...at(),
    })
    expectTypeOf(result.output).toEqualTypeOf<{ number: number; title: string; url: string }>()
    expect(result.output).toEqual({ number: 7, title: 'Broken link', url: 'https://tracker.invalid/site/7' })
    expect(result.durationMs).toBeGreaterThan(0)
    expect(upstream.requests[0]).toMatchObject({
      method: 'POST',
      url: '/projects/site/issues',
      json: { title: 'Broken link', labels: [] },
    })
    expect(upstream.requests[0]?.headers.authorization).toBe('Bearer good')
  })

  it('uses an input the caller validated already as given, defaults and all', async () => {
    const result = await runAction(tracker, 'create_issue', {
      input: { project: 'site', title: 'Checked', labels: ['x'] },
      inputValidated: true,
      credential: bearer,
      ...at(),
    })
    expect(result.output).toMatchObject({ title: 'Checked' })
    // Not validated again: without its default the field is not filled in here.
    await runAction(tracker, 'create_issue', {
      input: { project: 'site', title: 'Bare' },
      inputValidated: true,
      credential: bearer,
      ...at(),
    })
    expect(upstream.requests.at(-2)?.json).toEqual({ title: 'Checked', labels: ['x'] })
    expect(upstream.requests.at(-1)?.json).toMatchObject({ title: 'Bare' })
    expect(upstream.requests.at(-1)?.json).not.toHaveProperty('labels')
  })

  it('lets the plugin turn a 404 into an answer and raise anything else', async () => {
    const missing = await runAction(tracker, 'get_issue', {
      input: { project: 'site', number: 1 },
      credential: bearer,
      ...at(),
    })
    expect(missing.output).toEqual({ found: false })
    const failure = await runAction(tracker, 'get_issue', {
      input: { project: 'site', number: 9 },
      credential: bearer,
      ...at(),
    }).catch((error: unknown) => error)
    expect(failure).toBeInstanceOf(UpstreamHTTPError)
    expect(failure).toMatchObject({ class: 'upstream_error', status: 500, bodyExcerpt: '{"message":"boom"}' })
  })

  it('refuses invalid input field by field, without calling the upstream', async () => {
    const failure = await runAction(tracker, 'create_issue', {
      input: { project: '', labels: 'bug' },
      credential: bearer,
      ...at(),
    }).catch((error: unknown) => error)
    expect(failure).toBeInstanceOf(ValidationError)
    const error = failure as ValidationError
    expect(error.class).toBe('validation_error')
    expect(error.target).toBe('input')
    expect(error.errors).toEqual(
      expect.arrayContaining([
        { path: '/title', message: 'is required' },
        { path: '/project', message: 'must NOT have fewer than 1 characters' },
        { path: '/labels', message: 'must be array' },
      ]),
    )
    expect(error.message).toMatch(/^Invalid input for tracker\.create_issue: /)
    expect(upstream.requests).toHaveLength(0)
  })

  it('refuses output that breaks the action’s own schema', async () => {
    const failure = await runAction(tracker, 'get_issue', {
      input: { project: 'site', number: 8 },
      credential: bearer,
      ...at(),
    }).catch((error: unknown) => error)
    expect(failure).toBeInstanceOf(ValidationError)
    expect(failure).toMatchObject({ target: 'output', class: 'internal_error' })
  })

  it('refuses an action the tool does not have', async () => {
    await expect(
      runAction(tracker, 'delete_everything' as 'whoami', { input: {}, credential: bearer, ...at() }),
    ).rejects.toThrow('Tool "tracker" has no action "delete_everything"')
  })

  it('uses the tool base URL unless told otherwise', async () => {
    const exchanges: HttpExchange[] = []
    // tracker.invalid never resolves; the refusal happens before any connection.
    const failure = await runAction(tracker, 'whoami', {
      input: {},
      credential: bearer,
      resolver: () => Promise.reject(Object.assign(new Error('ENOTFOUND'), { code: 'ENOTFOUND' })),
      onExchange: (exchange) => exchanges.push(exchange),
    }).catch((error: unknown) => error)
    expect(failure).toMatchObject({ name: 'NetworkError', code: 'ENOTFOUND' })
    expect(exchanges[0]?.url).toBe('https://tracker.invalid/whoami')
  })

  it('propagates the trace context and hands the action a log', async () => {
    const lines: [string, string, LogFields | undefined][] = []
    const log: ActionLog = {
      debug: (message, fields) => lines.push(['debug', message, fields]),
      info: (message, fields) => lines.push(['info', message, fields]),
      warn: (message, fields) => lines.push(['warn', message, fields]),
      error: (message, fields) => lines.push(['error', message, fields]),
    }
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'
    await runAction(tracker, 'create_issue', {
      input: { project: 'site', title: 'Traced' },
      credential: bearer,
      traceparent,
      tracestate: 'tp=1',
      log,
      ...at(),
    })
    expect(upstream.requests[0]?.headers.traceparent).toBe(traceparent)
    expect(upstream.requests[0]?.headers.tracestate).toBe('tp=1')
    expect(lines).toEqual([['info', 'creating issue', { project: 'site' }]])
  })

  it('lets errors a plugin throws through unchanged', async () => {
    const failing = defineTool({
      slug: 'failing',
      name: 'Failing',
      description: '',
      version: '1.0.0',
      categories: [],
      actions: [
        defineAction({
          name: 'conflict',
          title: 'Conflict',
          description: '',
          input: Type.Object({}),
          output: Type.Object({}),
          run: () => Promise.reject<Record<string, never>>(new ActionError('conflict', 'Already exists')),
        }),
        defineAction({
          name: 'bug',
          title: 'Bug',
          description: '',
          input: Type.Object({}),
          output: Type.Object({}),
          run: () => Promise.reject<Record<string, never>>(new TypeError('undefined is not a function')),
        }),
      ],
    })
    await expect(runAction(failing, 'conflict', { input: {} })).rejects.toMatchObject({ class: 'conflict' })
    await expect(runAction(failing, 'bug', { input: {} })).rejects.toBeInstanceOf(TypeError)
  })
})

describe('credentials', () => {
  const injected: [string, Record<string, unknown>, Record<string, string>, string?][] = [
    ['bearer', { token: 't0k' }, { authorization: 'Bearer t0k' }],
    ['api_key', { value: 'k3y' }, { 'x-api-key': 'k3y' }],
    ['query_key', { value: 'k3y' }, {}, '/whoami?api_key=k3y'],
    ['named_key', { headerName: 'X-Custom-Auth', value: 'k3y' }, { 'x-custom-auth': 'k3y' }],
    ['basic', { username: 'ada', password: 'lovelace' }, { authorization: 'Basic YWRhOmxvdmVsYWNl' }],
    [
      'oauth2',
      { accessToken: 'at', tokenType: 'bearer', refreshToken: 'rt' },
      { authorization: 'Bearer at' },
    ],
    ['oauth2_client_credentials', { accessToken: 'cc' }, { authorization: 'Bearer cc' }],
    ['signed', { keyId: 'k1', secret: 'shh' }, { 'x-key-id': 'k1', 'x-signature': 'GET /whoami 3' }],
  ]

  it.each(injected)('injects a %s credential', async (authMethod, secrets, headers, url = '/whoami') => {
    const { output } = await runAction(tracker, 'whoami', {
      input: {},
      credential: { authMethod, secrets },
      ...at(),
    })
    expect(output.url).toBe(url)
    expect(output.headers).toMatchObject(headers)
  })

  it('sends nothing when the tool takes no credential and none is given', async () => {
    const { output } = await runAction(tracker, 'whoami', { input: {}, ...at() })
    expect(output.headers.authorization).toBeUndefined()
  })

  it('keeps a query credential out of what it reports', async () => {
    const exchanges: HttpExchange[] = []
    await runAction(tracker, 'whoami', {
      input: {},
      credential: { authMethod: 'query_key', secrets: { value: 'k3y' } },
      onExchange: (exchange) => exchanges.push(exchange),
      ...at(),
    })
    expect(exchanges).toHaveLength(1)
    expect(JSON.stringify(exchanges)).not.toContain('k3y')
  })

  it('refuses a missing, unknown or incomplete credential before calling', async () => {
    const needsOne = defineTool({ ...tracker, slug: 'needs_one', authMethods: [auth.bearer()] })
    await expect(runAction(needsOne, 'whoami', { input: {}, ...at() })).rejects.toMatchObject({
      class: 'auth_error',
      message: 'Tool "needs_one" needs a credential (bearer)',
    })
    await expect(
      runAction(tracker, 'whoami', {
        input: {},
        credential: { authMethod: 'kerberos', secrets: {} },
        ...at(),
      }),
    ).rejects.toThrow('has no auth method "kerberos"')
    const failure = await runAction(tracker, 'whoami', {
      input: {},
      credential: { authMethod: 'basic', secrets: { username: 'ada', password: 7 } },
      ...at(),
    }).catch((error: unknown) => error)
    expect(failure).toMatchObject({ class: 'auth_error', requestSent: false })
    expect((failure as Error).message).toContain('/password must be string')
    expect(upstream.requests).toHaveLength(0)
  })
})

describe('time limits and cancellation', () => {
  const stuck = defineAction({
    name: 'stuck',
    title: 'Stuck',
    description: 'Ignores its signal.',
    input: Type.Object({}),
    output: Type.Object({}),
    timeoutMs: 100,
    run: () => new Promise<Record<string, never>>(() => undefined),
  })
  const slow = defineAction({
    name: 'slow',
    title: 'Slow',
    description: 'Waits on a slow upstream.',
    input: Type.Object({}),
    output: Type.Object({}),
    async run({ http }) {
      await http.get('/slow')
      return {}
    },
  })
  const waiting = defineTool({
    slug: 'waiting',
    name: 'Waiting',
    description: '',
    version: '1.0.0',
    categories: [],
    actions: [stuck, slow],
  })

  it('stops waiting for an action that ignores its time limit', async () => {
    const started = Date.now()
    const failure = await runAction(waiting, 'stuck', { input: {} }).catch((error: unknown) => error)
    expect(failure).toBeInstanceOf(TimeoutError)
    expect(failure).toMatchObject({
      class: 'timeout',
      timeoutMs: 100,
      message: 'waiting.stuck did not finish within 100 ms',
    })
    expect(Date.now() - started).toBeLessThan(1_000)
  })

  it('aborts the upstream call when the action runs out of time', async () => {
    const failure = await runAction(waiting, 'slow', { input: {}, timeoutMs: 100, ...at() }).catch(
      (error: unknown) => error,
    )
    expect(failure).toBeInstanceOf(TimeoutError)
    expect(failure).toMatchObject({ timeoutMs: 100 })
  })

  it('aborts the upstream call when the caller cancels', async () => {
    const controller = new AbortController()
    setTimeout(() => {
      controller.abort()
    }, 50)
    const failure = await runAction(waiting, 'slow', { input: {}, signal: controller.signal, ...at() }).catch(
      (error: unknown) => error,
    )
    expect(failure).toBeInstanceOf(AbortedError)
    expect(failure).toMatchObject({ class: 'cancelled', message: 'waiting.slow was cancelled' })
  })

  it('does not start when already cancelled', async () => {
    await expect(
      runAction(waiting, 'slow', { input: {}, signal: AbortSignal.abort(), ...at() }),
    ).rejects.toBeInstanceOf(AbortedError)
    expect(upstream.requests).toHaveLength(0)
  })
})

describe('runHealthCheck', () => {
  it('passes with a working credential', async () => {
    const health = await runHealthCheck(tracker, {
      credential: { authMethod: 'bearer', secrets: { token: 'good' } },
      ...at(),
    })
    expect(health).toMatchObject({ ok: true, checked: true })
  })

  it('reports a rejected credential the check noticed', async () => {
    const health = await runHealthCheck(tracker, {
      credential: { authMethod: 'bearer', secrets: { token: 'bad' } },
      ...at(),
    })
    expect(health).toMatchObject({
      ok: false,
      checked: true,
      detail: 'The token was rejected',
      errorClass: 'auth_error',
    })
  })

  it('reports what a failing check threw', async () => {
    const health = await runHealthCheck(tracker, {
      credential: { authMethod: 'bearer', secrets: { token: 'broken' } },
      ...at(),
    })
    expect(health).toMatchObject({ ok: false, errorClass: 'upstream_error' })
    const blocked = await runHealthCheck(tracker, { credential: bearer, baseUrl: upstream.url })
    expect(blocked).toMatchObject({ ok: false, errorClass: 'permission_error' })
  })

  it('gives a default detail and honours its time limit', async () => {
    const quiet = defineTool({ ...tracker, slug: 'quiet', healthCheck: () => Promise.resolve({ ok: false }) })
    expect(await runHealthCheck(quiet, { credential: bearer })).toMatchObject({
      detail: 'The health check failed',
    })
    const hanging = defineTool({
      ...tracker,
      slug: 'hanging',
      healthCheck: () => new Promise<undefined>(() => undefined),
    })
    expect(await runHealthCheck(hanging, { credential: bearer, timeoutMs: 50 })).toMatchObject({
      ok: false,
      errorClass: 'timeout',
    })
  })

  it('says when a tool has no check', async () => {
    const talkative = defineTool({
      ...tracker,
      slug: 'talkative',
      healthCheck: () => Promise.resolve({ ok: true, detail: 'Connected as deploybot' }),
    })
    expect(await runHealthCheck(talkative, { credential: bearer })).toMatchObject({
      ok: true,
      detail: 'Connected as deploybot',
    })
    const unchecked = defineTool({ ...tracker, slug: 'unchecked', healthCheck: undefined })
    expect(await runHealthCheck(unchecked)).toMatchObject({ ok: true, checked: false })
  })
})

describe('secret inputs', () => {
  it('reach the upstream but are redacted for records', async () => {
    const send = defineAction({
      name: 'send',
      title: 'Send',
      description: '',
      input: Type.Object({ to: Type.String(), password: Secret(Type.String()) }),
      output: Type.Object({ sent: Type.Boolean() }),
      async run({ http, input }) {
        const res = await http.post('/send', { json: input })
        return { sent: res.ok }
      },
    })
    const mailer = defineTool({
      slug: 'mailer',
      name: 'Mailer',
      description: '',
      version: '1.0.0',
      categories: [],
      actions: [send],
    })
    const input = { to: 'ada@example.com', password: 'hunter2' }
    const { output } = await runAction(mailer, 'send', { input, ...at() })
    expect(output.sent).toBe(true)
    expect(upstream.requests[0]?.json).toEqual(input)
    expect(redactSecrets(send.input, input)).toEqual({ to: 'ada@example.com', password: '[REDACTED]' })
  })
})

describe('previewAction', () => {
  // Every preview below also proves that nothing left the process: no socket, no lookup, no request.
  let connect: MockInstance<typeof net.connect>
  let connectionsBefore: number
  const resolver = vi.fn<Resolver>(() => Promise.resolve([{ address: '127.0.0.1', family: 4 }]))
  beforeEach(() => {
    connect = vi.spyOn(net, 'connect')
    connectionsBefore = upstream.connections
    resolver.mockClear()
  })
  afterEach(() => {
    expect(connect).not.toHaveBeenCalled()
    expect(resolver).not.toHaveBeenCalled()
    expect(upstream.connections).toBe(connectionsBefore)
    expect(upstream.requests).toHaveLength(0)
  })
  // The upstream is on loopback and private networks are allowed, so a real send would reach it.
  const reachable = () => ({ baseUrl: upstream.url, allowPrivateNetwork: true, resolver })

  it('returns the request the action would send, credential applied and masked, without sending it', async () => {
    const preview = await previewAction(tracker, 'create_issue', {
      input: { project: 'site', title: 'Broken link' },
      credential: { authMethod: 'bearer', secrets: { token: 'ghp_live_secret' } },
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      ...reachable(),
    })
    expect(preview).toEqual({
      requests: [
        {
          method: 'POST',
          url: `${upstream.url}/projects/site/issues`,
          headers: {
            authorization: 'Bearer ****',
            'content-type': 'application/json',
            'user-agent': 'Toolplane',
            traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
          },
          body: '{"title":"Broken link","labels":[]}',
        },
      ],
    })
    expect(JSON.stringify(preview)).not.toContain('ghp_live_secret')
  })

  it('resolves no name: the tool base URL is shown as it is', async () => {
    const preview = await previewAction(tracker, 'get_issue', {
      input: { project: 'site', number: 7 },
      credential: bearer,
      resolver,
    })
    expect(preview.requests[0]).toMatchObject({
      method: 'GET',
      url: 'https://tracker.invalid/projects/site/issues/7',
    })
    expect(preview.requests[0]?.body).toBeUndefined()
  })

  const masked: [string, Record<string, unknown>, Record<string, string>, string?][] = [
    ['api_key', { value: 'k3y-value' }, { 'x-api-key': '****' }],
    ['query_key', { value: 'k3y-value' }, {}, '/whoami?api_key=****'],
    ['named_key', { headerName: 'X-Custom-Auth', value: 'k3y-value' }, { 'x-custom-auth': '****' }],
    ['basic', { username: 'ada', password: 'lovelace' }, { authorization: 'Basic ****' }],
    ['oauth2', { accessToken: 'at-12345', tokenType: 'bearer' }, { authorization: 'Bearer ****' }],
    // Headers the credential set are masked whole, even when derived from a secret (a signature).
    ['signed', { keyId: 'k1', secret: 'shh' }, { 'x-key-id': '****', 'x-signature': '****' }],
  ]

  it.each(masked)('masks a %s credential', async (authMethod, secrets, headers, path = '/whoami') => {
    const preview = await previewAction(tracker, 'whoami', {
      input: {},
      credential: { authMethod, secrets },
      ...reachable(),
    })
    const [request] = preview.requests
    expect(request?.url).toBe(`${upstream.url}${path}`)
    expect(request?.headers).toMatchObject(headers)
    const shown = JSON.stringify(preview)
    for (const value of Object.values(secrets)) {
      if (typeof value === 'string' && value.length >= 4) expect(shown).not.toContain(value)
    }
    expect(shown).not.toContain(Buffer.from('ada:lovelace').toString('base64'))
  })

  // An action that handles the credential itself, the way a token exchange or a login does.
  const login = defineAction({
    name: 'login',
    title: 'Log in',
    description: '',
    input: Type.Object({
      user: Type.String(),
      otp: Secret(Type.String()),
      cookie: Type.Optional(Type.String()),
      proxy: Type.Optional(Type.String()),
    }),
    output: Type.Object({}),
    async run({ http, input, credential }) {
      const password = String(credential.secrets.password)
      await http.post(urlPath`/login/${password}`, {
        query: { p: password, keep: 'yes' },
        headers: {
          cookie: input.cookie,
          'proxy-authorization': input.proxy ?? password,
          'x-echo': `pw=${password}`,
        },
        json: { user: input.user, password, otp: input.otp },
      })
      return {}
    },
  })
  const portal = defineTool({
    slug: 'portal',
    name: 'Portal',
    description: '',
    version: '1.0.0',
    categories: [],
    authMethods: [auth.basic()],
    actions: [login],
  })

  it('masks secrets wherever the action put them: path, query, headers, body, and secret inputs', async () => {
    const password = 'p@ss word/+1'
    const preview = await previewAction(portal, 'login', {
      input: { user: 'ada', otp: '918273', cookie: 'session=abc123; theme=dark' },
      credential: { authMethod: 'basic', secrets: { username: 'ada', password } },
      ...reachable(),
    })
    const [request] = preview.requests
    expect(request?.url).toBe(`${upstream.url}/login/****?p=****&keep=yes`)
    expect(request?.headers).toMatchObject({
      authorization: 'Basic ****',
      'proxy-authorization': '****',
      cookie: 'session=****; theme=****',
      'x-echo': 'pw=****',
    })
    expect(request?.body).toBe('{"user":"ada","password":"****","otp":"****"}')
    expect(JSON.stringify(preview)).not.toMatch(/p@ss|918273|abc123/)
    const proxied = await previewAction(portal, 'login', {
      input: { user: 'ada', otp: '918273', proxy: 'Digest username="ada", response="6629fae4"' },
      credential: { authMethod: 'basic', secrets: { username: 'ada', password } },
      ...reachable(),
    })
    expect(proxied.requests[0]?.headers['proxy-authorization']).toBe('Digest ****')
    expect(proxied.requests[0]?.headers.cookie).toBeUndefined()
  })

  it('shows the first 64 KB of a large body, masked before it is cut', async () => {
    const upload = defineAction({
      name: 'upload',
      title: 'Upload',
      description: '',
      input: Type.Object({ size: Type.Integer(), lead: Type.String({ default: '' }) }),
      output: Type.Object({}),
      async run({ http, input, credential }) {
        // A secret straddling the cut must not show its first characters.
        const filler = 'é'.repeat((PREVIEW_BODY_BYTES - 4) / 2)
        await http.put('/files', {
          body: `${input.lead}${filler}${String(credential.secrets.token)}${'x'.repeat(input.size)}`,
        })
        return {}
      },
    })
    const store = defineTool({ ...portal, slug: 'store', authMethods: [auth.bearer()], actions: [upload] })
    const preview = await previewAction(store, 'upload', {
      input: { size: 10 },
      credential: { authMethod: 'bearer', secrets: { token: 'tok-abcdefgh' } },
      ...reachable(),
    })
    const body = preview.requests[0]?.body ?? ''
    expect(Buffer.byteLength(body)).toBe(PREVIEW_BODY_BYTES)
    expect(body.endsWith('é****')).toBe(true)
    expect(body).not.toContain('tok-')
    expect(preview.note).toBe(
      `The body is ${PREVIEW_BODY_BYTES + 10} bytes; the preview shows the first ${PREVIEW_BODY_BYTES}`,
    )
    // One ASCII byte shifts the two-byte characters so that the limit cuts the last one in half.
    const odd = await previewAction(store, 'upload', {
      input: { size: 0, lead: 'a' },
      credential: { authMethod: 'bearer', secrets: { token: 'éé' } },
      ...reachable(),
    })
    const oddBody = odd.requests[0]?.body ?? ''
    expect(Buffer.byteLength(oddBody)).toBe(PREVIEW_BODY_BYTES - 1)
    expect(oddBody.endsWith('éé')).toBe(true)
    expect(oddBody).not.toContain('\uFFFD')
  })

  it('shows only the first request, and stops an action that swallows the stop', async () => {
    let signalAborted: boolean | undefined
    const chatty = defineAction({
      name: 'chatty',
      title: 'Chatty',
      description: '',
      input: Type.Object({}),
      output: Type.Object({}),
      async run({ http, signal }) {
        for (const path of ['/first', '/second']) {
          await http.get(path).catch(() => undefined)
        }
        signalAborted = signal.aborted
        return {}
      },
    })
    const tool = defineTool({ ...portal, slug: 'chatter', authMethods: [auth.none()], actions: [chatty] })
    const preview = await previewAction(tool, 'chatty', { input: {}, ...reachable() })
    expect(preview.requests.map((request) => request.url)).toEqual([`${upstream.url}/first`])
    await vi.waitFor(() => {
      expect(signalAborted).toBe(true)
    })
  })

  it('gives no credential to a first request for another origin', async () => {
    const away = defineAction({
      name: 'away',
      title: 'Away',
      description: '',
      input: Type.Object({}),
      output: Type.Object({}),
      async run({ http }) {
        await http.get('https://elsewhere.invalid/x')
        return {}
      },
    })
    const tool = defineTool({ ...tracker, slug: 'away', actions: [away] })
    const preview = await previewAction(tool, 'away', { input: {}, credential: bearer, ...reachable() })
    expect(preview.requests[0]?.headers.authorization).toBeUndefined()
  })

  it('says there is nothing to preview for an action that makes no HTTP request', async () => {
    let connected = 0
    const query = defineAction({
      name: 'query',
      title: 'Query',
      description: '',
      input: Type.Object({ host: Type.String() }),
      output: Type.Object({}),
      async run({ network, input }) {
        // As the postgres and smtp plugins connect: through connectableAddresses, never directly.
        await connectableAddresses(input.host, network)
        connected += 1
        return {}
      },
    })
    const pure = defineAction({
      name: 'pure',
      title: 'Pure',
      description: '',
      input: Type.Object({}),
      output: Type.Object({}),
      run: () => Promise.resolve({}),
    })
    const database = defineTool({
      ...portal,
      slug: 'database',
      authMethods: [auth.none()],
      actions: [query, pure],
    })
    for (const host of ['db.example', '93.184.216.34']) {
      await expect(previewAction(database, 'query', { input: { host }, resolver })).resolves.toEqual({
        requests: [],
        note: 'database.query does not make HTTP requests, so there is nothing to preview',
      })
    }
    expect(connected).toBe(0)
    await expect(previewAction(database, 'pure', { input: {} })).resolves.toEqual({
      requests: [],
      note: 'database.pure does not make HTTP requests, so there is nothing to preview',
    })
  })

  it('still returns the preview when the action wraps the stop in an error of its own', async () => {
    const wrapping = defineAction({
      name: 'wrapping',
      title: 'Wrapping',
      description: '',
      input: Type.Object({}),
      output: Type.Object({}),
      async run({ http }) {
        try {
          await http.get('/x')
        } catch (error) {
          throw new ActionError('upstream_error', 'wrapped', { cause: error })
        }
        return {}
      },
    })
    const tool = defineTool({ ...portal, slug: 'wrapper', authMethods: [auth.none()], actions: [wrapping] })
    const preview = await previewAction(tool, 'wrapping', { input: {}, ...reachable() })
    expect(preview.requests).toHaveLength(1)
  })

  it('throws what runAction would throw before any request', async () => {
    const invalid = await previewAction(tracker, 'create_issue', {
      input: { project: '' },
      credential: bearer,
      ...reachable(),
    }).catch((error: unknown) => error)
    expect(invalid).toBeInstanceOf(ValidationError)
    expect(invalid).toMatchObject({ target: 'input', class: 'validation_error' })
    await expect(
      previewAction(tracker, 'nothing' as 'whoami', { input: {}, credential: bearer, ...reachable() }),
    ).rejects.toThrow('has no action "nothing"')
    const needsOne = defineTool({ ...tracker, slug: 'needs_one', authMethods: [auth.bearer()] })
    await expect(previewAction(needsOne, 'whoami', { input: {}, ...reachable() })).rejects.toMatchObject({
      class: 'auth_error',
    })
    const checking = defineAction({
      name: 'checking',
      title: 'Checking',
      description: '',
      input: Type.Object({}),
      output: Type.Object({}),
      run: () => Promise.reject<Record<string, never>>(new ActionError('conflict', 'Already exists')),
    })
    const tool = defineTool({ ...portal, slug: 'checker', authMethods: [auth.none()], actions: [checking] })
    await expect(previewAction(tool, 'checking', { input: {} })).rejects.toMatchObject({ class: 'conflict' })
  })

  it('honours the time limit and the caller cancellation', async () => {
    const stuck = defineAction({
      name: 'stuck',
      title: 'Stuck',
      description: '',
      input: Type.Object({}),
      output: Type.Object({}),
      timeoutMs: 50,
      run: () => new Promise<Record<string, never>>(() => undefined),
    })
    const tool = defineTool({ ...portal, slug: 'stuck', authMethods: [auth.none()], actions: [stuck] })
    await expect(previewAction(tool, 'stuck', { input: {} })).rejects.toBeInstanceOf(TimeoutError)
    await expect(
      previewAction(tool, 'stuck', { input: {}, signal: AbortSignal.abort() }),
    ).rejects.toBeInstanceOf(AbortedError)
  })
})
