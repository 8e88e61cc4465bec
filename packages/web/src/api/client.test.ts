import { describe, expect, it, vi } from 'vitest'
import { ApiError, createApiClient, hasStatus, isApiError, parseRetryAfter } from './client.js'

type FetchArgs = [input: RequestInfo | URL, init?: RequestInit]

function respondWith(response: Response | (() => Promise<Response>)) {
  const calls: FetchArgs[] = []
  const fetch = vi.fn((...args: FetchArgs) => {
    calls.push(args)
    return typeof response === 'function' ? response() : Promise.resolve(response.clone())
  })
  return { fetch: fetch as unknown as typeof globalThis.fetch, calls }
}

const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } })

function headersOf(args: FetchArgs | undefined): Headers {
  return new Headers(args?.[1]?.headers)
}

async function caught(promise: Promise<unknown>): Promise<ApiError> {
  try {
    await promise
  } catch (error) {
    if (error instanceof ApiError) return error
    throw error
  }
  throw new Error('expected the request to fail')
}

describe('createApiClient', () => {
  it('sends same-origin requests with the session cookie and returns the JSON body', async () => {
    const { fetch, calls } = respondWith(json({ data: [1, 2], nextCursor: null }))
    const api = createApiClient({ fetch })
    await expect(
      api.get('/v1/tools', { query: { q: 'git hub', limit: 50, cursor: null, category: ['a', 'b'] } }),
    ).resolves.toEqual({
      data: [1, 2],
      nextCursor: null,
    })
    expect(calls[0]?.[0]).toBe('/v1/tools?q=git+hub&limit=50&category=a&category=b')
    expect(calls[0]?.[1]).toMatchObject({ method: 'GET', credentials: 'same-origin' })
    expect(headersOf(calls[0]).get('accept')).toBe('application/json')
    expect(headersOf(calls[0]).has('x-csrf-token')).toBe(false)
  })

  it('sends the CSRF token on state-changing requests only, once it has one', async () => {
    const { fetch, calls } = respondWith(json({ ok: true }))
    const api = createApiClient({ fetch, baseUrl: 'http://127.0.0.1:8080' })
    await api.post('/v1/auth/logout')
    expect(headersOf(calls[0]).has('x-csrf-token')).toBe(false)

    api.setCsrfToken('csrf-123')
    expect(api.csrfToken).toBe('csrf-123')
    await api.get('/v1/me')
    await api.post('/v1/credentials', { name: 'x' })
    await api.patch('/v1/credentials/1', { name: 'y' })
    await api.put('/v1/oauth/github/app', { clientId: 'c' })
    await api.delete('/v1/credentials/1')
    expect(calls.map((c) => [c[1]?.method, headersOf(c).get('x-csrf-token')])).toEqual([
      ['POST', null],
      ['GET', null],
      ['POST', 'csrf-123'],
      ['PATCH', 'csrf-123'],
      ['PUT', 'csrf-123'],
      ['DELETE', 'csrf-123'],
    ])
    expect(calls[2]?.[0]).toBe('http://127.0.0.1:8080/v1/credentials')
    expect(calls[2]?.[1]?.body).toBe('{"name":"x"}')
    expect(headersOf(calls[2]).get('content-type')).toBe('application/json')
    expect(headersOf(calls[0]).has('content-type')).toBe(false)

    api.setCsrfToken(null)
    await api.post('/v1/auth/logout')
    expect(headersOf(calls[6]).has('x-csrf-token')).toBe(false)
  })

  it('returns undefined for an empty answer', async () => {
    const { fetch } = respondWith(new Response(null, { status: 204 }))
    await expect(createApiClient({ fetch }).post('/v1/auth/logout')).resolves.toBeUndefined()
  })

  it('turns an RFC 9457 problem into an ApiError with its fields, request id and Retry-After', async () => {
    const body = {
      type: 'https://toolplane.dev/problems/validation_error',
      title: 'The request is not valid',
      status: 400,
      detail: '2 fields are not valid; see errors.',
      code: 'validation_error',
      requestId: 'req-1',
      errors: [{ path: '/body/email', message: 'is required' }, { nonsense: true }],
    }
    const { fetch } = respondWith(
      new Response(JSON.stringify(body), {
        status: 400,
        headers: { 'content-type': 'application/problem+json', 'retry-after': '7' },
      }),
    )
    const error = await caught(createApiClient({ fetch }).post('/v1/auth/login', {}))
    expect(error).toBeInstanceOf(Error)
    expect(error).toMatchObject({
      name: 'ApiError',
      status: 400,
      code: 'validation_error',
      title: 'The request is not valid',
      detail: '2 fields are not valid; see errors.',
      message: '2 fields are not valid; see errors.',
      type: 'https://toolplane.dev/problems/validation_error',
      requestId: 'req-1',
      retryAfter: 7,
      errors: [{ path: '/body/email', message: 'is required' }],
    })
    expect(error.retryable).toBe(false)
  })

  it('fills in what a problem leaves out, taking the request id from the header', async () => {
    const { fetch } = respondWith(
      json({ code: 'rate_limited' }, 429, { 'x-request-id': 'from-header', 'retry-after': 'soon' }),
    )
    const error = await caught(createApiClient({ fetch }).get('/v1/tools'))
    expect(error).toMatchObject({
      status: 429,
      code: 'rate_limited',
      title: 'Request failed (429)',
      detail: 'The server refused the request.',
      requestId: 'from-header',
      retryAfter: null,
      errors: [],
      type: null,
    })
    expect(error.retryable).toBe(true)
  })

  it('describes an error response that is not a problem (a proxy’s HTML page)', async () => {
    const { fetch } = respondWith(
      new Response('<h1>Bad gateway</h1>', { status: 502, headers: { 'content-type': 'text/html' } }),
    )
    const error = await caught(createApiClient({ fetch }).get('/v1/tools'))
    expect(error).toMatchObject({
      status: 502,
      code: 'unexpected_response',
      title: 'The server answered 502',
    })
    expect(error.detail).toContain('Try again')
    expect(error.retryable).toBe(true)

    const notFound = respondWith(new Response('nope', { status: 404 }))
    const missing = await caught(createApiClient({ fetch: notFound.fetch }).get('/v1/x'))
    expect(missing).toMatchObject({ status: 404, code: 'unexpected_response' })
    expect(missing.detail).toContain('address')

    const broken = respondWith(
      new Response('{not json', { status: 500, headers: { 'content-type': 'application/problem+json' } }),
    )
    expect(await caught(createApiClient({ fetch: broken.fetch }).get('/v1/x'))).toMatchObject({
      status: 500,
      code: 'unexpected_response',
    })
  })

  it('refuses a successful answer that is not JSON, or not valid JSON', async () => {
    const html = respondWith(
      new Response('<!doctype html>', { status: 200, headers: { 'content-type': 'text/html' } }),
    )
    expect(await caught(createApiClient({ fetch: html.fetch }).get('/v1/me'))).toMatchObject({
      status: 200,
      code: 'unexpected_response',
    })
    const cut = respondWith(
      new Response('{"data": [', { status: 200, headers: { 'content-type': 'application/json' } }),
    )
    const error = await caught(createApiClient({ fetch: cut.fetch }).get('/v1/me'))
    expect(error).toMatchObject({ code: 'unexpected_response' })
    expect(error.detail).toContain('not valid JSON')
  })

  it('reports an unreachable server as a network error that may be retried', async () => {
    const { fetch } = respondWith(() => Promise.reject(new TypeError('Failed to fetch')))
    const error = await caught(createApiClient({ fetch }).get('/v1/me'))
    expect(error).toMatchObject({ status: 0, code: 'network_error', title: 'Cannot reach Toolplane' })
    expect(error.retryable).toBe(true)
  })

  it('lets a cancelled request’s abort through unchanged', async () => {
    const controller = new AbortController()
    const abort = new DOMException('The operation was aborted.', 'AbortError')
    const { fetch } = respondWith(() => {
      controller.abort()
      return Promise.reject(abort)
    })
    await expect(createApiClient({ fetch }).get('/v1/me', { signal: controller.signal })).rejects.toBe(abort)
  })

  it('uses the browser’s fetch when none is given', async () => {
    const original = globalThis.fetch
    const stand = vi.fn((_input: RequestInfo | URL, _init?: RequestInit) => Promise.resolve(json({ ok: 1 })))
    globalThis.fetch = stand
    try {
      await expect(createApiClient().get('/v1/me')).resolves.toEqual({ ok: 1 })
      expect(stand).toHaveBeenCalledOnce()
    } finally {
      globalThis.fetch = original
    }
  })
})

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates, and nothing else', () => {
    const now = Date.parse('Wed, 21 Oct 2026 07:27:00 GMT')
    expect(parseRetryAfter('120', now)).toBe(120)
    expect(parseRetryAfter(' 0 ', now)).toBe(0)
    expect(parseRetryAfter('Wed, 21 Oct 2026 07:28:00 GMT', now)).toBe(60)
    expect(parseRetryAfter('Wed, 21 Oct 2026 07:00:00 GMT', now)).toBe(0)
    expect(parseRetryAfter('-5', now)).toBeNull()
    expect(parseRetryAfter('later', now)).toBeNull()
    expect(parseRetryAfter(null, now)).toBeNull()
  })
})

describe('isApiError and hasStatus', () => {
  it('match ApiErrors, and ApiErrors of given statuses', () => {
    const error = new ApiError({ status: 401, code: 'unauthenticated', title: 't', detail: 'd' })
    expect(isApiError(error)).toBe(true)
    expect(isApiError(new Error('x'))).toBe(false)
    expect(isApiError(null)).toBe(false)
    expect(hasStatus(error, 401, 403)).toBe(true)
    expect(hasStatus(error, 404)).toBe(false)
    expect(hasStatus(Object.assign(new Error('x'), { status: 401 }), 401)).toBe(false)
  })
})
