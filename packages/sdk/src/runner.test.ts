import { Type } from 'typebox'
import { afterAll, afterEach, beforeAll, describe, expect, expectTypeOf, it } from 'vitest'
import { auth } from './auth.js'
import { AbortedError, ActionError, TimeoutError, UpstreamHTTPError, ValidationError } from './errors.js'
import type { HttpExchange } from './http.js'
import { urlPath } from './http.js'
import { closeConnectionPools } from './network.js'
import { runAction, runHealthCheck } from './runner.js'
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
