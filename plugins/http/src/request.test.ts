import type { ServerResponse } from 'node:http'
import { isIdempotent, previewAction, runAction } from '@toolplane/sdk'
import type { CredentialView } from '@toolplane/sdk'
import { actionErrorOf, startUpstream } from '@toolplane/sdk/testing'
import type { RecordedRequest, Upstream } from '@toolplane/sdk/testing'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import http from './index.js'
import { request } from './request.js'

function json(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  response.writeHead(status, { 'content-type': 'application/json', ...headers })
  response.end(JSON.stringify(body))
}

// A small API that behaves like a typical REST service: bearer/basic/API-key checks, JSON and text
// bodies, redirects, and the usual error statuses with their problem bodies.
function api(request: RecordedRequest, response: ServerResponse): void {
  const url = new URL(request.url, 'http://stand-in')
  switch (url.pathname) {
    case '/v1/contacts':
      if (request.method === 'POST') {
        json(response, 201, { id: 'c_1', ...(request.json as object) })
        return
      }
      json(response, 200, [{ id: 'c_1' }], { 'x-total-count': '1' })
      return
    case '/v1/me':
      if (request.headers.authorization !== 'Bearer good-token') {
        json(response, 401, { error: 'invalid_token', message: 'The access token is invalid' })
        return
      }
      json(response, 200, { login: 'ada' })
      return
    case '/v1/basic':
      if (request.headers.authorization !== `Basic ${Buffer.from('ada:s3cret').toString('base64')}`) {
        response.writeHead(401, { 'www-authenticate': 'Basic realm="api"' })
        response.end()
        return
      }
      json(response, 200, { ok: true })
      return
    case '/v1/key':
      if (request.headers['x-api-key'] !== 'k-123' && url.searchParams.get('api_key') !== 'k-123') {
        json(response, 403, { message: 'Forbidden' })
        return
      }
      json(response, 200, { ok: true })
      return
    case '/v1/text':
      response.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' })
      response.end('plain words')
      return
    case '/v1/bytes':
      response.writeHead(200, { 'content-type': 'image/png' })
      response.end(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0xff]))
      return
    case '/v1/unlabelled':
      response.writeHead(200)
      response.end('no content type here')
      return
    case '/v1/empty':
      response.writeHead(204)
      response.end()
      return
    case '/v1/echo':
      json(response, 200, {
        method: request.method,
        contentType: request.headers['content-type'] ?? null,
        body: request.body,
      })
      return
    case '/v1/old':
      response.writeHead(301, { location: '/v1/new' })
      response.end()
      return
    case '/v1/new':
      json(response, 200, { moved: true, authorization: request.headers.authorization ?? null })
      return
    case '/v1/missing':
      json(response, 404, { type: 'about:blank', title: 'Not Found', status: 404 })
      return
    case '/v1/busy':
      json(response, 429, { message: 'Too many requests' }, { 'retry-after': '7' })
      return
    case '/v1/down':
      json(response, 503, { message: 'Maintenance' })
      return
    case '/v1/broken':
      json(response, 500, { message: 'Internal error' })
      return
    default:
      json(response, 404, { message: `No route for ${url.pathname}` })
  }
}

let upstream: Upstream
let elsewhere: Upstream

beforeAll(async () => {
  upstream = await startUpstream(api)
  // Another origin: the same API on another port, used as a redirect target.
  elsewhere = await startUpstream(api)
})
afterAll(async () => {
  await upstream.close()
  await elsewhere.close()
})
beforeEach(() => {
  upstream.requests.length = 0
  elsewhere.requests.length = 0
})

const bearer: CredentialView = { authMethod: 'bearer', secrets: { token: 'good-token' } }

async function send(input: Record<string, unknown>, credential?: CredentialView, baseUrl?: string) {
  return runAction(http, 'request', {
    input,
    ...(credential === undefined ? {} : { credential }),
    ...(baseUrl === undefined ? {} : { baseUrl }),
    allowPrivateNetwork: true,
  })
}

describe('http.request', () => {
  it('sends a JSON body and returns the parsed JSON response', async () => {
    const { output } = await send({
      method: 'POST',
      url: `${upstream.url}/v1/contacts`,
      body: { name: 'Ada' },
      headers: { 'x-request-id': 'r-1' },
    })
    expect(output).toMatchObject({ status: 201, body: { id: 'c_1', name: 'Ada' }, bodyEncoding: 'json' })
    expect(output.headers['content-type']).toBe('application/json')
    const received = upstream.requests[0]
    expect(received?.method).toBe('POST')
    expect(received?.url).toBe('/v1/contacts')
    expect(received?.headers['content-type']).toBe('application/json')
    expect(received?.headers['x-request-id']).toBe('r-1')
    expect(received?.json).toEqual({ name: 'Ada' })
  })

  it('joins a relative url to the base URL and adds the query', async () => {
    const { output } = await send(
      { method: 'GET', url: '/v1/contacts', query: { limit: 20, tag: ['a', 'b'], active: true } },
      undefined,
      upstream.url,
    )
    expect(output.body).toEqual([{ id: 'c_1' }])
    expect(output.url).toBe(`${upstream.url}/v1/contacts?limit=20&tag=a&tag=b&active=true`)
    expect(upstream.requests[0]?.url).toBe('/v1/contacts?limit=20&tag=a&tag=b&active=true')
  })

  it('refuses a relative url when no base URL is set', async () => {
    const error = await actionErrorOf(send({ url: '/v1/contacts' }))
    expect(error.class).toBe('validation_error')
    expect(upstream.requests).toHaveLength(0)
  })

  it('sends a string body as it is, with the caller content type', async () => {
    const { output } = await send({
      method: 'PUT',
      url: `${upstream.url}/v1/echo`,
      body: '<note>hi</note>',
      headers: { 'content-type': 'application/xml' },
    })
    expect(output.body).toEqual({ method: 'PUT', contentType: 'application/xml', body: '<note>hi</note>' })
  })

  it('sends form fields url-encoded', async () => {
    const { output } = await send({
      method: 'POST',
      url: `${upstream.url}/v1/echo`,
      form: { grant_type: 'client_credentials', scope: 'read write' },
    })
    expect(output.body).toEqual({
      method: 'POST',
      contentType: 'application/x-www-form-urlencoded',
      body: 'grant_type=client_credentials&scope=read+write',
    })
  })

  it('refuses a body and form together before sending anything', async () => {
    const error = await actionErrorOf(
      send({ method: 'POST', url: `${upstream.url}/v1/echo`, body: { a: 1 }, form: { b: '2' } }),
    )
    expect(error.class).toBe('validation_error')
    expect(upstream.requests).toHaveLength(0)
  })

  it('returns text, binary and empty bodies in a JSON-safe form', async () => {
    const text = await send({ url: `${upstream.url}/v1/text` })
    expect(text.output).toMatchObject({ body: 'plain words', bodyEncoding: 'text' })
    const bytes = await send({ url: `${upstream.url}/v1/bytes` })
    expect(bytes.output).toMatchObject({ body: 'iVBOR/8=', bodyEncoding: 'base64' })
    const unlabelled = await send({ url: `${upstream.url}/v1/unlabelled` })
    expect(unlabelled.output).toMatchObject({ body: 'no content type here', bodyEncoding: 'text' })
    const empty = await send({ method: 'DELETE', url: `${upstream.url}/v1/empty` })
    expect(empty.output).toMatchObject({ status: 204, body: null, bodyEncoding: 'empty' })
    const head = await send({ method: 'HEAD', url: `${upstream.url}/v1/contacts` })
    expect(head.output).toMatchObject({ status: 200, body: null, bodyEncoding: 'empty' })
    expect(head.output.headers['x-total-count']).toBe('1')
  })

  it('follows a redirect on the same origin and keeps the credential', async () => {
    const { output } = await send({ url: `${upstream.url}/v1/old` }, bearer)
    expect(output.body).toEqual({ moved: true, authorization: 'Bearer good-token' })
    expect(output.url).toBe(`${upstream.url}/v1/new`)
    expect(upstream.requests.map((r) => r.url)).toEqual(['/v1/old', '/v1/new'])
  })

  it('does not send the credential along a redirect to another origin', async () => {
    const redirecting = await startUpstream((_request, response) => {
      response.writeHead(302, { location: `${elsewhere.url}/v1/new` })
      response.end()
    })
    try {
      const { output } = await send({ url: `${redirecting.url}/start` }, bearer)
      expect(output.body).toEqual({ moved: true, authorization: null })
      expect(redirecting.requests[0]?.headers.authorization).toBe('Bearer good-token')
    } finally {
      await redirecting.close()
    }
  })

  it('fails on a redirect it was told not to follow', async () => {
    const error = await actionErrorOf(send({ url: `${upstream.url}/v1/old`, followRedirects: false }))
    expect(error.class).toBe('upstream_error')
    expect(error.httpStatus).toBe(301)
  })

  describe('auth methods', () => {
    it('sends no Authorization header without a credential', async () => {
      const { output } = await send({ url: `${upstream.url}/v1/echo` })
      expect(output.status).toBe(200)
      expect(upstream.requests[0]?.headers.authorization).toBeUndefined()
    })

    it('sends a bearer token', async () => {
      const { output } = await send({ url: `${upstream.url}/v1/me` }, bearer)
      expect(output.body).toEqual({ login: 'ada' })
      expect(upstream.requests[0]?.headers.authorization).toBe('Bearer good-token')
    })

    it('sends basic credentials', async () => {
      const { output } = await send(
        { url: `${upstream.url}/v1/basic` },
        { authMethod: 'basic', secrets: { username: 'ada', password: 's3cret' } },
      )
      expect(output.body).toEqual({ ok: true })
    })

    it('sends an API key in the header the credential names', async () => {
      const { output } = await send(
        { url: `${upstream.url}/v1/key` },
        { authMethod: 'api_key', secrets: { headerName: 'X-Api-Key', value: 'k-123' } },
      )
      expect(output.body).toEqual({ ok: true })
      expect(upstream.requests[0]?.headers['x-api-key']).toBe('k-123')
    })

    it('sends an API key in the query string without showing it in the output URL', async () => {
      const { output } = await send(
        { url: `${upstream.url}/v1/key` },
        { authMethod: 'api_key_query', secrets: { paramName: 'api_key', value: 'k-123' } },
      )
      expect(output.body).toEqual({ ok: true })
      expect(upstream.requests[0]?.url).toBe('/v1/key?api_key=k-123')
      expect(output.url).not.toContain('k-123')
    })

    it('fails with auth_error when the token is rejected', async () => {
      const error = await actionErrorOf(
        send({ url: `${upstream.url}/v1/me` }, { authMethod: 'bearer', secrets: { token: 'wrong' } }),
      )
      expect(error.class).toBe('auth_error')
      expect(error.httpStatus).toBe(401)
    })

    it('fails with auth_error when basic credentials are wrong', async () => {
      const error = await actionErrorOf(
        send(
          { url: `${upstream.url}/v1/basic` },
          { authMethod: 'basic', secrets: { username: 'ada', password: 'nope' } },
        ),
      )
      expect(error.class).toBe('auth_error')
    })

    it('fails with permission_error when the API key is refused with 403', async () => {
      const error = await actionErrorOf(
        send(
          { url: `${upstream.url}/v1/key` },
          { authMethod: 'api_key', secrets: { headerName: 'X-Api-Key', value: 'wrong' } },
        ),
      )
      expect(error.class).toBe('permission_error')
    })

    it('refuses an incomplete credential before sending anything', async () => {
      const error = await actionErrorOf(
        send({ url: `${upstream.url}/v1/key` }, { authMethod: 'api_key', secrets: { value: 'k-123' } }),
      )
      expect(error.class).toBe('auth_error')
      expect(error.message).toContain('headerName')
      expect(upstream.requests).toHaveLength(0)
    })
  })

  describe('error statuses', () => {
    it.each([
      ['/v1/missing', 'not_found', 404],
      ['/v1/down', 'upstream_unavailable', 503],
      ['/v1/broken', 'upstream_error', 500],
    ])('classifies %s as %s', async (path, errorClass, status) => {
      const error = await actionErrorOf(send({ url: `${upstream.url}${path}` }))
      expect(error.class).toBe(errorClass)
      expect(error.httpStatus).toBe(status)
    })

    it('reports a 429 as rate_limited with the Retry-After wait', async () => {
      const error = await actionErrorOf(send({ url: `${upstream.url}/v1/busy` }))
      expect(error.class).toBe('rate_limited')
      expect(error.retryAfterMs).toBe(7000)
      expect(error.retryable).toBe(true)
    })

    it('refuses a loopback address unless private networks are allowed', async () => {
      const error = await actionErrorOf(
        runAction(http, 'request', { input: { url: `${upstream.url}/v1/me` } }),
      )
      expect(error.class).toBe('permission_error')
      expect(upstream.requests).toHaveLength(0)
    })
  })
})

describe('retry hints', () => {
  // RFC 9110 §9.2.2: PUT, DELETE and the safe methods are idempotent; POST and PATCH are not.
  it.each([
    ['GET', true],
    ['HEAD', true],
    ['PUT', true],
    ['DELETE', true],
    ['OPTIONS', true],
    ['POST', false],
    ['PATCH', false],
  ])('says a %s is idempotent: %s', (method, idempotent) => {
    expect(isIdempotent(request, { method, url: 'https://api.example.com/v1/items/7' })).toBe(idempotent)
  })

  it('judges the default method, and refuses to promise anything for invalid input', () => {
    expect(isIdempotent(request, { url: '/v1/items' })).toBe(true)
    expect(isIdempotent(request, { method: 'TRACE', url: '/v1/items' })).toBe(false)
  })
})

describe('dry run', () => {
  it('previews the request with the credential masked and sends nothing', async () => {
    const preview = await previewAction(http, 'request', {
      input: {
        method: 'POST',
        url: '/v1/contacts',
        query: { notify: true },
        headers: { accept: 'application/json' },
        body: { name: 'Ada' },
      },
      credential: { authMethod: 'bearer', secrets: { token: 'good-token' } },
      baseUrl: upstream.url,
      allowPrivateNetwork: true,
    })
    expect(preview).toEqual({
      requests: [
        {
          method: 'POST',
          url: `${upstream.url}/v1/contacts?notify=true`,
          headers: {
            accept: 'application/json',
            authorization: 'Bearer ****',
            'content-type': 'application/json',
            'user-agent': 'Toolplane',
          },
          body: '{"name":"Ada"}',
        },
      ],
    })
    expect(upstream.requests).toHaveLength(0)
  })

  it('masks an API key sent in the query string', async () => {
    const preview = await previewAction(http, 'request', {
      input: { url: `${upstream.url}/v1/key?page=1` },
      credential: { authMethod: 'api_key_query', secrets: { paramName: 'key', value: 'k-123456' } },
      allowPrivateNetwork: true,
    })
    expect(preview.requests[0]?.url).toBe(`${upstream.url}/v1/key?page=1&key=****`)
    expect(upstream.requests).toHaveLength(0)
  })
})
