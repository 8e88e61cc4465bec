import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AppError } from '../errors.js'
import { dialects } from '../testing/databases.js'
import { bearer, startTestApp } from '../testing/harness.js'
import type { TestApp } from '../testing/harness.js'

describe('HTTP behaviour', () => {
  let t: TestApp
  let key: string

  beforeAll(async () => {
    t = await startTestApp('sqlite')
    key = (await t.workspace('http')).key
    // Routes that fail on purpose, registered the way any module registers routes.
    t.app.get('/test/boom', () => {
      throw new Error('secret internals: password=hunter2 at db.ts:42')
    })
    t.app.get('/test/app-error', () => {
      throw new AppError('conflict', 'Already there.', { headers: { 'x-extra': 'yes' } })
    })
    t.app.get('/test/fail-500', () => {
      throw new AppError('not_ready', 'Database unavailable.')
    })
    t.app.get('/test/teapot', () => {
      throw Object.assign(new Error('I am a teapot'), { statusCode: 418 })
    })
    await t.app.ready()
  })
  afterAll(() => t.close())

  it('echoes a caller-supplied X-Request-Id and puts it on every log line of the request', async () => {
    const res = await t.app.inject({
      url: '/v1/me',
      headers: { ...bearer(key), 'x-request-id': 'trace-abc.123' },
    })
    expect(res.headers['x-request-id']).toBe('trace-abc.123')
    const lines = t.logs.filter((l) => l.requestId === 'trace-abc.123')
    expect(lines.length).toBeGreaterThan(0)
    expect(lines.at(-1)).toMatchObject({ msg: 'request completed', route: '/v1/me', statusCode: 200 })
  })

  it('generates a request id when none or a malformed one is given', async () => {
    const none = await t.app.inject({ url: '/livez' })
    expect(none.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/)
    const bad = await t.app.inject({ url: '/livez', headers: { 'x-request-id': 'no spaces\nor newlines' } })
    expect(bad.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/)
  })

  it('answers unknown routes with a problem+json 404', async () => {
    const res = await t.app.inject({ url: '/v1/nothing-here?x=1' })
    expect(res.statusCode).toBe(404)
    expect(res.headers['content-type']).toContain('application/problem+json')
    expect(res.json()).toEqual({
      type: 'https://toolplane.dev/problems/not_found',
      title: 'Not found',
      status: 404,
      detail: 'No route GET /v1/nothing-here.',
      code: 'not_found',
      requestId: res.headers['x-request-id'],
    })
  })

  it('turns an unknown error into a 500 with the request id and no internals, logged in full', async () => {
    const res = await t.app.inject({ url: '/test/boom' })
    expect(res.statusCode).toBe(500)
    const body = res.json<{ code: string; detail: string; requestId: string }>()
    expect(body.code).toBe('internal_error')
    expect(body.detail).toContain(body.requestId)
    expect(res.body).not.toContain('hunter2')
    expect(res.body).not.toContain('db.ts')
    const logged = t.logs.find((l) => l.requestId === body.requestId && l.level === 'error')
    expect(logged).toMatchObject({ msg: 'unexpected error' })
  })

  it('renders domain errors with their code, status and headers', async () => {
    const conflict = await t.app.inject({ url: '/test/app-error' })
    expect(conflict.statusCode).toBe(409)
    expect(conflict.headers['x-extra']).toBe('yes')
    expect(conflict.json()).toMatchObject({ code: 'conflict', detail: 'Already there.' })
    const unavailable = await t.app.inject({ url: '/test/fail-500' })
    expect(unavailable.statusCode).toBe(503)
    const teapot = await t.app.inject({ url: '/test/teapot' })
    expect(teapot.statusCode).toBe(400)
    expect(teapot.json()).toMatchObject({ code: 'validation_error' })
  })

  it('maps malformed bodies to clear problems', async () => {
    const invalidJson = await t.app.inject({
      method: 'POST',
      url: '/v1/api-keys',
      headers: { ...bearer(key), 'content-type': 'application/json' },
      payload: '{"name": ',
    })
    expect(invalidJson.statusCode).toBe(400)
    expect(invalidJson.json()).toMatchObject({ code: 'validation_error' })

    const wrongType = await t.app.inject({
      method: 'POST',
      url: '/v1/api-keys',
      headers: { ...bearer(key), 'content-type': 'text/csv' },
      payload: 'a,b',
    })
    expect(wrongType.statusCode).toBe(415)
    expect(wrongType.json()).toMatchObject({ code: 'unsupported_media_type' })

    const huge = await t.app.inject({
      method: 'POST',
      url: '/v1/api-keys',
      headers: bearer(key),
      payload: { name: 'x'.repeat(2 * 1024 * 1024), scopes: ['admin'] },
    })
    expect(huge.statusCode).toBe(413)
    expect(huge.json()).toMatchObject({ code: 'payload_too_large' })

    const many = await t.app.inject({
      method: 'POST',
      url: '/v1/api-keys',
      headers: bearer(key),
      payload: { scopes: 'admin' },
    })
    expect(many.json()).toMatchObject({ detail: '2 fields are not valid; see errors.' })
    expect(
      many
        .json<{ errors: { path: string }[] }>()
        .errors.map((e) => e.path)
        .sort(),
    ).toEqual(['/body/name', '/body/scopes'])
  })

  it('takes a POST without a body where the body is optional, and still checks one that is sent', async () => {
    for (const url of ['/v1/executions/exe_unknown/retry', '/v1/webhooks/wh_unknown/rotate-secret']) {
      // No payload and no content-type, as a browser's fetch without a body sends it.
      const bare = await t.app.inject({ method: 'POST', url, headers: bearer(key) })
      expect(bare.statusCode, url).toBe(404)
      const wrong = await t.app.inject({ method: 'POST', url, headers: bearer(key), payload: { nope: 1 } })
      expect(wrong.statusCode, url).toBe(400)
    }
  })

  it('exposes request durations by route template and status class, and process metrics', async () => {
    await t.app.inject({ url: '/v1/api-keys/not-a-key', method: 'DELETE', headers: bearer(key) })
    const res = await t.app.inject({ url: '/metrics' })
    expect(res.headers['content-type']).toContain('text/plain')
    expect(res.body).toContain(
      'toolplane_http_request_duration_seconds_count{method="DELETE",route="/v1/api-keys/:id",status_class="4xx"} 1',
    )
    expect(res.body).toMatch(/process_cpu_user_seconds_total \d/)
    expect(res.body).toContain('nodejs_heap_size_used_bytes')
    expect(res.body).not.toContain('not-a-key')
  })

  it('serves the OpenAPI 3.1 document and a rendered reference', async () => {
    const doc = await t.app.inject({ url: '/openapi.json' })
    const body = doc.json<{
      openapi: string
      paths: Record<string, unknown>
      components: { schemas: Record<string, unknown> }
    }>()
    expect(body.openapi).toBe('3.1.0')
    expect(Object.keys(body.paths)).toEqual(
      expect.arrayContaining(['/v1/me', '/v1/api-keys', '/v1/api-keys/{id}', '/readyz']),
    )
    expect(Object.keys(body.components.schemas)).toEqual(
      expect.arrayContaining(['Problem', 'ApiKey', 'Workspace']),
    )
    const docs = await t.app.inject({ url: '/docs/' })
    expect(docs.statusCode).toBe(200)
    expect(docs.body).toContain('swagger-ui')
  })

  it('refuses to register a /v1 route that does not declare who may call it', async () => {
    const other = await startTestApp('sqlite')
    try {
      expect(() => other.app.get('/v1/forgotten', () => 'open')).toThrow(/does not declare config.auth/)
    } finally {
      await other.close()
    }
  })
})

describe.each(dialects)('readiness on %s', (dialect) => {
  it('reports the database check, and 503 when the database is gone', async () => {
    const t = await startTestApp(dialect)
    const ready = await t.app.inject({ url: '/readyz' })
    expect(ready.statusCode).toBe(200)
    expect(ready.json()).toMatchObject({ status: 'ok', checks: { database: { status: 'ok' } } })
    expect((await t.app.inject({ url: '/livez' })).json()).toEqual({ status: 'ok' })

    await t.database.close()
    const down = await t.app.inject({ url: '/readyz' })
    expect(down.statusCode).toBe(503)
    expect(down.json()).toMatchObject({ status: 'fail', checks: { database: { status: 'fail' } } })
    expect((await t.app.inject({ url: '/livez' })).statusCode).toBe(200)
    await t.app.close()
    await t.testDatabase.drop()
  })
})
