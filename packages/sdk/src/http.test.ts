import net from 'node:net'
import tls from 'node:tls'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import {
  AbortedError,
  ActionError,
  BlockedAddressError,
  NetworkError,
  ResponseTooLargeError,
  TimeoutError,
  UpstreamHTTPError,
} from './errors.js'
import { DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_USER_AGENT, createHttpClient, urlPath } from './http.js'
import type { HttpExchange, PreviewRequest } from './http.js'
import { closeConnectionPools } from './network.js'
import type { Resolver } from './network.js'
import { forbidNonLoopbackConnections, startUpstream } from './testing/index.js'
import type { Upstream } from './testing/index.js'

// Names the tests resolve without DNS. Nothing here is ever connected to except 127.0.0.1.
const names: Record<string, string[]> = {
  'internal.example': ['10.0.0.5'],
  'metadata.example': ['169.254.169.254'],
  'loopback.example': ['127.0.0.1'],
  'upstream.test': ['127.0.0.1'],
  'v6-loopback.example': ['::1'],
  'mapped.example': ['::ffff:192.168.1.10'],
}
const resolved: string[] = []
const resolver: Resolver = (hostname) => {
  resolved.push(hostname)
  const addresses = names[hostname]
  if (addresses === undefined) {
    return Promise.reject(
      Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }),
    )
  }
  return Promise.resolve(addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })))
}

let upstream: Upstream
let other: Upstream
let liftGuard: () => void

beforeAll(async () => {
  liftGuard = forbidNonLoopbackConnections()
  upstream = await startUpstream(async (request, response) => {
    const url = new URL(request.url, 'http://x')
    const redirect = /^\/redirect\/(\d{3})$/.exec(url.pathname)
    if (redirect !== null) {
      response.writeHead(Number(redirect[1]), { location: url.searchParams.get('to') ?? '/echo' })
      response.end()
      return
    }
    switch (url.pathname) {
      case '/loop':
        response.writeHead(302, { location: `/loop?n=${Number(url.searchParams.get('n') ?? '0') + 1}` })
        response.end()
        return
      case '/slow':
        await new Promise((resolve) => setTimeout(resolve, 2_000))
        response.end('late')
        return
      case '/text':
        response.writeHead(200, { 'content-type': 'text/plain', 'set-cookie': ['a=1', 'b=2'] })
        response.end('plain words')
        return
      case '/latin1':
        response.writeHead(200, { 'content-type': 'text/plain; charset=iso-8859-1' })
        response.end(Buffer.from([0x63, 0x61, 0x66, 0xe9]))
        return
      case '/unknown-charset':
        response.writeHead(200, { 'content-type': 'text/plain; charset=klingon' })
        response.end('ok')
        return
      case '/broken-json':
        response.writeHead(200, { 'content-type': 'application/json' })
        response.end('{"unterminated":')
        return
      case '/problem':
        response.writeHead(429, { 'content-type': 'application/problem+json', 'retry-after': '3' })
        response.end(JSON.stringify({ title: 'Slow down' }))
        return
      case '/missing':
        response.writeHead(404, { 'content-type': 'text/plain' })
        response.end('no such thing '.repeat(200))
        return
      case '/big':
        response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': '5000' })
        response.end(Buffer.alloc(5000))
        return
      case '/stream': {
        response.writeHead(200, { 'content-type': 'application/octet-stream' })
        for (let i = 0; i < 10; i += 1) response.write(Buffer.alloc(1000))
        response.end()
        return
      }
      case '/reset':
        response.socket?.destroy()
        return
      case '/cut': {
        // Headers and half the declared body, then the connection drops.
        response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': '2000' })
        response.write(Buffer.alloc(1000), () => setTimeout(() => response.socket?.destroy(), 20))
        return
      }
      default:
        response.writeHead(200, { 'content-type': 'application/json' })
        response.end(JSON.stringify(request))
    }
  })
  other = await startUpstream()
})

afterAll(async () => {
  await closeConnectionPools()
  await upstream.close()
  await other.close()
  liftGuard()
})

afterEach(() => {
  vi.restoreAllMocks()
  upstream.requests.length = 0
  other.requests.length = 0
  resolved.length = 0
})

const open = (options: Parameters<typeof createHttpClient>[0] = {}) =>
  createHttpClient({ baseUrl: upstream.url, allowPrivateNetwork: true, resolver, ...options })

interface Echo {
  method: string
  url: string
  headers: Record<string, string>
  body: string
  json: unknown
}

describe('requests', () => {
  it('joins paths to the base URL, keeping its path, and encodes the query', async () => {
    const http = open({ baseUrl: `${upstream.url}/api/v3/` })
    const res = await http.get<Echo>('/search', {
      query: { q: 'a b&c', page: 2, draft: false, label: ['x', 'y'], skipped: undefined, none: null },
    })
    expect(res.status).toBe(200)
    expect(res.ok).toBe(true)
    expect(res.json.url).toBe('/api/v3/search?q=a+b%26c&page=2&draft=false&label=x&label=y')
    expect(res.url).toBe(`${upstream.url}/api/v3/search?q=a+b%26c&page=2&draft=false&label=x&label=y`)
    expect(res.redirects).toBe(0)
  })

  it('accepts a path without a leading slash and keeps the base query', async () => {
    const res = await open({ baseUrl: `${upstream.url}/v1?api-version=2` }).get<Echo>('items')
    expect(res.json.url).toBe('/v1/items?api-version=2')
  })

  it('sends JSON with its content type', async () => {
    const res = await open().post<Echo>('/issues', { json: { title: 'Bug', labels: ['x'] } })
    expect(res.json.method).toBe('POST')
    expect(res.json.headers['content-type']).toBe('application/json')
    expect(res.json.json).toEqual({ title: 'Bug', labels: ['x'] })
  })

  it('sends strings, forms and bytes as they are', async () => {
    const http = open()
    const text = await http.put<Echo>('/t', { body: 'hello' })
    expect(text.json.body).toBe('hello')
    expect(text.json.headers['content-type']).toBe('text/plain;charset=utf-8')
    const form = await http.patch<Echo>('/f', { body: new URLSearchParams({ a: '1', b: 'x y' }) })
    expect(form.json.body).toBe('a=1&b=x+y')
    expect(form.json.headers['content-type']).toBe('application/x-www-form-urlencoded')
    const bytes = await http.request<Echo>({
      method: 'POST',
      path: '/b',
      body: new Uint8Array([104, 105]),
      headers: { 'Content-Type': 'application/x-custom' },
    })
    expect(bytes.json.body).toBe('hi')
    expect(bytes.json.headers['content-type']).toBe('application/x-custom')
  })

  it('sends every method the shorthands name', async () => {
    const http = open()
    const methods = await Promise.all([
      http.get<Echo>('/m'),
      http.post<Echo>('/m'),
      http.put<Echo>('/m'),
      http.patch<Echo>('/m'),
      http.delete<Echo>('/m'),
      http.request<Echo>({ path: '/m' }),
    ])
    expect(methods.map((res) => res.json.method)).toEqual(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'GET'])
  })

  it('reads a HEAD response without a body', async () => {
    const res = await open().request({ method: 'HEAD', path: '/echo' })
    expect(res.status).toBe(200)
    expect(res.text).toBe('')
    expect(res.json).toBeUndefined()
  })

  it('lowercases and joins response headers, and parses only JSON bodies', async () => {
    const http = open()
    const text = await http.get('/text')
    expect(text.headers['content-type']).toBe('text/plain')
    expect(text.headers['set-cookie']).toBe('a=1, b=2')
    expect(text.text).toBe('plain words')
    expect(text.json).toBeUndefined()
    expect(Buffer.from(text.bytes).toString()).toBe('plain words')
    const broken = await http.get('/broken-json')
    expect(broken.json).toBeUndefined()
    expect(broken.text).toBe('{"unterminated":')
  })

  it('decodes the charset the response declares', async () => {
    expect((await open().get('/latin1')).text).toBe('café')
    expect((await open().get('/unknown-charset')).text).toBe('ok')
  })

  it('returns a non-2xx response and raises it on request', async () => {
    const res = await open().get('/problem?token=s3cret')
    expect(res.status).toBe(429)
    expect(res.ok).toBe(false)
    expect(res.json).toEqual({ title: 'Slow down' })
    expect(() => res.raise()).toThrow(UpstreamHTTPError)
    const error = (() => {
      try {
        res.raise()
      } catch (caught) {
        return caught as UpstreamHTTPError
      }
      throw new Error('raise() did not throw')
    })()
    expect(error.class).toBe('rate_limited')
    expect(error.status).toBe(429)
    expect(error.retryAfterMs).toBe(3000)
    expect(error.headers['retry-after']).toBe('3')
    expect(error.bodyExcerpt).toContain('Slow down')
    expect(error.message).toBe(`GET ${upstream.url}/problem answered 429`)
    expect(error.message).not.toContain('s3cret')
  })

  it('keeps only an excerpt of a failed body', async () => {
    const res = await open().get('/missing')
    expect(() => res.raise()).toThrow(expect.objectContaining({ class: 'not_found' }))
    try {
      res.raise()
    } catch (error) {
      expect((error as UpstreamHTTPError).bodyExcerpt).toHaveLength(1000)
    }
  })

  it('lets raise() pass a successful response through', async () => {
    const res = await open().get<Echo>('/ok')
    expect(res.raise().json.method).toBe('GET')
  })

  it('sends a user agent and the caller trace context', async () => {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'
    const res = await open({ traceparent, tracestate: 'vendor=1' }).get<Echo>('/trace')
    expect(res.json.headers['user-agent']).toBe(DEFAULT_USER_AGENT)
    expect(res.json.headers.traceparent).toBe(traceparent)
    expect(res.json.headers.tracestate).toBe('vendor=1')
    const own = await open({ traceparent, userAgent: 'plugin/1' }).get<Echo>('/trace', {
      headers: {
        TraceParent: '00-11111111111111111111111111111111-2222222222222222-01',
        'X-Count': 3,
        Gone: undefined,
      },
    })
    expect(own.json.headers.traceparent).toBe('00-11111111111111111111111111111111-2222222222222222-01')
    expect(own.json.headers['user-agent']).toBe('plugin/1')
    expect(own.json.headers['x-count']).toBe('3')
    expect(own.json.headers.gone).toBeUndefined()
    const invalid = await open({ traceparent: 'not-a-trace' }).get<Echo>('/trace')
    expect(invalid.json.headers.traceparent).toBeUndefined()
  })

  it('calls absolute URLs whatever the base URL', async () => {
    const res = await open({ baseUrl: 'https://api.example.com' }).get<Echo>(`${other.url}/abs`)
    expect(res.json.url).toBe('/abs')
    expect(other.requests).toHaveLength(1)
    const viaRequest = await open().request<Echo>({ url: new URL(`${other.url}/abs2`) })
    expect(viaRequest.json.url).toBe('/abs2')
  })

  it('refuses requests it cannot build', async () => {
    const http = createHttpClient({ allowPrivateNetwork: true })
    await expect(http.get('/relative')).rejects.toMatchObject({ class: 'validation_error' })
    await expect(http.get('ftp://example.com/file')).rejects.toThrow('Only http and https')
    await expect(http.get(`http://user:pw@127.0.0.1:${upstream.port}/`)).rejects.toThrow('not in the URL')
    await expect(open().post('/x', { json: {}, body: 'x' })).rejects.toMatchObject({
      class: 'internal_error',
    })
    await expect(open().get('/x', { headers: { 'transfer-encoding': 'chunked' } })).rejects.toMatchObject({
      class: 'validation_error',
    })
    expect(upstream.requests).toHaveLength(0)
  })

  it('reports each exchange without its query', async () => {
    const exchanges: HttpExchange[] = []
    const http = open({ onExchange: (exchange) => exchanges.push(exchange) })
    await http.get('/seen?api_key=s3cret')
    await expect(http.get('/x', { json: 1, body: 'x' })).rejects.toThrow()
    expect(exchanges[0]).toMatchObject({
      method: 'GET',
      url: `${upstream.url}/seen`,
      status: 200,
      redirects: 0,
    })
    expect(exchanges[0]?.durationMs).toBeGreaterThanOrEqual(0)
    expect(exchanges[0]?.headers).toHaveProperty('content-type')
    expect(JSON.stringify(exchanges)).not.toContain('s3cret')
    const throwing = open({
      onExchange: () => {
        throw new Error('observer broke')
      },
    })
    await expect(throwing.get('/fine')).resolves.toMatchObject({ status: 200 })
  })

  it('reports failed exchanges with their error class', async () => {
    const exchanges: HttpExchange[] = []
    await expect(
      createHttpClient({ resolver, onExchange: (exchange) => exchanges.push(exchange) }).get(
        'http://internal.example/',
      ),
    ).rejects.toThrow(BlockedAddressError)
    expect(exchanges).toEqual([
      expect.objectContaining({ status: undefined, errorClass: 'permission_error' }),
    ])
  })
})

describe('urlPath', () => {
  it('encodes each value as one segment', () => {
    expect(urlPath`/repos/${'acme'}/${'a/b c'}/issues/${42}`).toBe('/repos/acme/a%2Fb%20c/issues/42')
    expect(urlPath`/plain`).toBe('/plain')
  })

  it('refuses dot segments and empty segments', () => {
    expect(() => urlPath`/repos/${'..'}/admin`).toThrow(ActionError)
    expect(() => urlPath`/repos/${'.'}`).toThrow('not a valid path segment')
    expect(() => urlPath`/repos/${''}/x`).toThrow('not a valid path segment')
  })
})

describe('time limits and cancellation', () => {
  it('gives up when a call exceeds its own time limit', async () => {
    const started = Date.now()
    const failure = await open()
      .get('/slow', { timeoutMs: 100 })
      .catch((error: unknown) => error)
    expect(failure).toBeInstanceOf(TimeoutError)
    expect(failure).toMatchObject({ class: 'timeout', timeoutMs: 100, retryable: true })
    expect(Date.now() - started).toBeLessThan(1_500)
  })

  it('aborts when the caller cancels', async () => {
    const controller = new AbortController()
    setTimeout(() => {
      controller.abort()
    }, 50)
    const failure = await open({ signal: controller.signal })
      .get('/slow')
      .catch((error: unknown) => error)
    expect(failure).toBeInstanceOf(AbortedError)
    expect(failure).toMatchObject({ class: 'cancelled', retryable: false })
  })

  it('does not even connect when the signal is already aborted', async () => {
    const connect = vi.spyOn(net, 'connect')
    const http = open({ signal: AbortSignal.abort() })
    await expect(http.get('/never')).rejects.toBeInstanceOf(AbortedError)
    expect(connect).not.toHaveBeenCalled()
  })

  it('keeps the reason the context aborted with', async () => {
    const controller = new AbortController()
    setTimeout(() => {
      controller.abort(new TimeoutError(50, 'The action'))
    }, 50)
    await expect(open({ signal: controller.signal }).get('/slow')).rejects.toThrow(
      'The action did not finish',
    )
    const platform = new AbortController()
    setTimeout(() => {
      platform.abort(new DOMException('late', 'TimeoutError'))
    }, 50)
    await expect(open({ signal: platform.signal }).get('/slow')).rejects.toMatchObject({ class: 'timeout' })
  })
})

describe('redirects', () => {
  it('turns a 301, 302 or 303 into a GET without the body', async () => {
    for (const status of [301, 302, 303]) {
      const res = await open().post<Echo>(`/redirect/${status}`, { json: { a: 1 } })
      expect(res.json.method).toBe('GET')
      expect(res.json.body).toBe('')
      expect(res.json.headers['content-type']).toBeUndefined()
      expect(res.redirects).toBe(1)
      expect(res.url).toBe(`${upstream.url}/echo`)
    }
  })

  it('keeps the method and body on 307 and 308', async () => {
    for (const status of [307, 308]) {
      const res = await open().put<Echo>(`/redirect/${status}`, { json: { a: 1 } })
      expect(res.json.method).toBe('PUT')
      expect(res.json.json).toEqual({ a: 1 })
    }
  })

  it('keeps a HEAD a HEAD', async () => {
    const res = await open().request({ method: 'HEAD', path: '/redirect/302' })
    expect(res.status).toBe(200)
    expect(upstream.requests.map((request) => request.method)).toEqual(['HEAD', 'HEAD'])
  })

  it('keeps the credential on the same origin', async () => {
    const http = open({
      authorize: (request) => {
        request.headers.authorization = 'Bearer t0k'
      },
    })
    const res = await http.get<Echo>('/redirect/302?to=/landing')
    expect(res.json.url).toBe('/landing')
    expect(res.json.headers.authorization).toBe('Bearer t0k')
  })

  it('drops credentials and cookies when redirected to another origin', async () => {
    let authorized = 0
    const http = open({
      authorize: (request) => {
        authorized += 1
        request.headers['x-api-key'] = 'k3y'
        request.url.searchParams.set('key', 'k3y')
      },
    })
    const res = await http.get<Echo>(`/redirect/302?to=${encodeURIComponent(`${other.url}/elsewhere`)}`, {
      headers: { Authorization: 'Bearer own', Cookie: 'session=1', 'X-Kept': 'yes' },
    })
    expect(upstream.requests[0]?.headers['x-api-key']).toBe('k3y')
    expect(upstream.requests[0]?.headers.authorization).toBe('Bearer own')
    expect(res.json.url).toBe('/elsewhere')
    expect(res.json.headers.authorization).toBeUndefined()
    expect(res.json.headers.cookie).toBeUndefined()
    expect(res.json.headers['x-api-key']).toBeUndefined()
    expect(res.json.headers['x-kept']).toBe('yes')
    expect(authorized).toBe(1)
  })

  it('gives up after five redirects', async () => {
    await expect(open().get('/loop')).rejects.toMatchObject({
      class: 'upstream_error',
      message: expect.stringContaining('More than 5 redirects') as string,
    })
    expect(upstream.requests).toHaveLength(6)
  })

  it('returns the redirect when asked not to follow it', async () => {
    const res = await open().get('/redirect/302', { followRedirects: false })
    expect(res.status).toBe(302)
    expect(res.headers.location).toBe('/echo')
  })

  it('refuses a redirect to an invalid URL', async () => {
    await expect(open().get(`/redirect/302?to=${encodeURIComponent('http://[oops')}`)).rejects.toMatchObject({
      class: 'upstream_error',
      message: `${upstream.url}/redirect/302 redirected to an invalid URL`,
    })
  })

  it('refuses a redirect to another scheme', async () => {
    await expect(open().get(`/redirect/302?to=${encodeURIComponent('file:///etc/passwd')}`)).rejects.toThrow(
      'file: URL was refused',
    )
  })

  it('refuses a redirect to a name that resolves to a private address, before connecting', async () => {
    const connect = vi.spyOn(net, 'connect')
    const http = open({ allowPrivateNetwork: false, allowedPrivateRanges: ['127.0.0.1/32'] })
    const failure = await http
      .get(`/redirect/302?to=${encodeURIComponent('http://internal.example/admin')}`)
      .catch((error: unknown) => error)
    expect(failure).toBeInstanceOf(BlockedAddressError)
    expect(failure).toMatchObject({ hostname: 'internal.example', address: '10.0.0.5', reason: 'private' })
    expect(upstream.requests).toHaveLength(1)
    expect(resolved).toContain('internal.example')
    const hosts = connect.mock.calls.map((call) => JSON.stringify(call[0]))
    expect(hosts.some((host) => host.includes('10.0.0.5'))).toBe(false)
  })

  it('refuses a redirect to a literal metadata address', async () => {
    const http = open({ allowPrivateNetwork: false, allowedPrivateRanges: ['127.0.0.1/32'] })
    await expect(
      http.get(`/redirect/307?to=${encodeURIComponent('http://169.254.169.254/latest/meta-data/')}`),
    ).rejects.toMatchObject({ name: 'BlockedAddressError', reason: 'link-local' })
  })
})

describe('network rules', () => {
  const refused: [string, string, string][] = [
    ['loopback', 'http://127.0.0.1:PORT/', 'loopback'],
    ['a private address', 'http://10.0.0.1/', 'private'],
    ['the cloud metadata address', 'http://169.254.169.254/latest/meta-data/', 'link-local'],
    ['IPv6 loopback', 'http://[::1]:PORT/', 'loopback'],
    ['IPv4-mapped IPv6 loopback', 'http://[::ffff:127.0.0.1]:PORT/', 'loopback'],
    ['IPv4-mapped IPv6 private', 'http://[::ffff:10.0.0.1]/', 'private'],
    ['the unspecified address', 'http://0.0.0.0:PORT/', 'unspecified'],
    ['loopback in decimal', 'http://2130706433:PORT/', 'loopback'],
    ['carrier-grade NAT', 'http://100.64.0.1/', 'carrier-grade NAT'],
    ['a name resolving to a private address', 'http://internal.example/', 'private'],
    ['a name resolving to the metadata address', 'http://metadata.example/computeMetadata/v1/', 'link-local'],
    ['a name resolving to loopback', 'http://loopback.example:PORT/', 'loopback'],
    ['a name resolving to IPv6 loopback', 'http://v6-loopback.example:PORT/', 'loopback'],
    ['a name resolving to an IPv4-mapped private address', 'http://mapped.example/', 'private'],
  ]

  it.each(refused)('refuses %s without opening a socket', async (_, target, reason) => {
    const connect = vi.spyOn(net, 'connect')
    const connectionsBefore = upstream.connections
    const http = createHttpClient({ resolver })
    const failure = await http
      .get(target.replace('PORT', String(upstream.port)))
      .catch((error: unknown) => error)
    expect(failure).toBeInstanceOf(BlockedAddressError)
    expect(failure).toMatchObject({ class: 'permission_error', reason, requestSent: false, retryable: false })
    expect(connect).not.toHaveBeenCalled()
    expect(upstream.connections).toBe(connectionsBefore)
    expect(upstream.requests).toHaveLength(0)
    // Literal addresses are judged as they are; only names go to the resolver.
    const host = new URL(target.replace('PORT', '1')).hostname
    expect(resolved).toEqual(/^[\d.]+$|^\[/.test(host) ? [] : [host])
  })

  it('reaches a private address when private networks are allowed', async () => {
    const res = await createHttpClient({ allowPrivateNetwork: true }).get<Echo>(`${upstream.url}/inside`)
    expect(res.json.url).toBe('/inside')
  })

  it('connects to the checked address while keeping the name for Host', async () => {
    const res = await createHttpClient({ allowPrivateNetwork: true, resolver }).get<Echo>(
      `http://upstream.test:${upstream.port}/named`,
    )
    expect(res.json.headers.host).toBe(`upstream.test:${upstream.port}`)
    expect(resolved).toEqual(['upstream.test'])
  })

  it('reaches only the private ranges an operator allowed', async () => {
    const http = createHttpClient({ resolver, allowedPrivateRanges: ['127.0.0.0/8', '10.1.0.0/16'] })
    await expect(http.get(`${upstream.url}/allowed`)).resolves.toMatchObject({ status: 200 })
    await expect(http.get('http://internal.example/')).rejects.toBeInstanceOf(BlockedAddressError)
  })

  it('refuses a malformed allowed range', async () => {
    await expect(
      createHttpClient({ resolver, allowedPrivateRanges: ['10.0.0.0/99'] }).get('http://internal.example/'),
    ).rejects.toThrow('not a CIDR range')
  })
})

describe('transport failures', () => {
  it('names a refused connection and knows nothing was sent', async () => {
    const closed = await startUpstream()
    await closed.close()
    const failure = await createHttpClient({ allowPrivateNetwork: true })
      .get(`${closed.url}/`)
      .catch((error: unknown) => error)
    expect(failure).toBeInstanceOf(NetworkError)
    expect(failure).toMatchObject({
      code: 'ECONNREFUSED',
      class: 'network_error',
      requestSent: false,
      retryable: true,
    })
  })

  it('names an unknown host', async () => {
    const failure = await createHttpClient({ resolver })
      .get('http://nowhere.example/')
      .catch((error: unknown) => error)
    expect(failure).toMatchObject({ name: 'NetworkError', code: 'ENOTFOUND', requestSent: false })
    const empty: Resolver = () => Promise.resolve([])
    await expect(createHttpClient({ resolver: empty }).get('http://empty.example/')).rejects.toMatchObject({
      code: 'ENOTFOUND',
    })
  })

  it('names a reset connection and assumes the request may have been sent', async () => {
    const failure = await open()
      .post('/reset', { json: {} })
      .catch((error: unknown) => error)
    expect(failure).toBeInstanceOf(NetworkError)
    expect(failure).toMatchObject({ code: 'ECONNRESET', requestSent: true })
  })

  it('turns anything else into an internal error', async () => {
    const broken: Resolver = () => Promise.reject(new Error('resolver exploded'))
    await expect(createHttpClient({ resolver: broken }).get('http://odd.example/')).rejects.toMatchObject({
      class: 'internal_error',
    })
  })
})

describe('response size limit', () => {
  it('defaults to 10 MB', () => {
    expect(DEFAULT_MAX_RESPONSE_BYTES).toBe(10 * 1024 * 1024)
  })

  it('refuses a body whose declared length is over the limit', async () => {
    await expect(open({ maxResponseBytes: 4096 }).get('/big')).rejects.toBeInstanceOf(ResponseTooLargeError)
    await expect(open().get('/big', { maxResponseBytes: 4096 })).rejects.toMatchObject({
      class: 'upstream_error',
      limitBytes: 4096,
    })
  })

  it('stops reading a streamed body once it passes the limit', async () => {
    await expect(open({ maxResponseBytes: 2500 }).get('/stream')).rejects.toBeInstanceOf(
      ResponseTooLargeError,
    )
    const within = await open({ maxResponseBytes: 10_000 }).get('/stream')
    expect(within.bytes).toHaveLength(10_000)
  })

  it('fails a body cut off before its end, never answering with part of it', async () => {
    await expect(open().get('/cut')).rejects.toMatchObject({ class: 'network_error', requestSent: true })
  })
})

describe('credential scope', () => {
  it('never sends the credential to an absolute URL outside the base URL origin (a URL taken from a response)', async () => {
    const home = await startUpstream()
    const elsewhere = await startUpstream()
    try {
      const client = createHttpClient({
        baseUrl: home.url,
        allowPrivateNetwork: true,
        authorize: (request) => {
          request.headers.authorization = 'Bearer home-token'
        },
      })
      await client.get('/own')
      // Another port is another origin, like a link to another host in an API's answer.
      await client.get(`${elsewhere.url}/followed-link`)
      expect(home.requests[0]?.headers.authorization).toBe('Bearer home-token')
      expect(elsewhere.requests[0]?.headers.authorization).toBeUndefined()
    } finally {
      await home.close()
      await elsewhere.close()
    }
  })
})

describe('the network rules refuse non-public addresses before any socket opens', () => {
  // Names resolve through this injected table only; the system resolver is never asked.
  const table: Record<string, string[]> = {
    localhost: ['127.0.0.1', '::1'],
    'intranet.example': ['10.20.30.40'],
    'internal.example': ['10.1.2.3'],
  }
  const asked: string[] = []
  const injected: Resolver = (hostname) => {
    asked.push(hostname)
    return Promise.resolve(
      (table[hostname] ?? []).map((address) => ({ address, family: address.includes(':') ? 6 : 4 })),
    )
  }

  // Every way a TCP or TLS socket can be opened ends in Socket.prototype.connect; watch it (and the
  // two usual doors to it) and tell where the sockets opened since went.
  const watchSockets = () => {
    const spies = [
      vi.spyOn(net.Socket.prototype, 'connect'),
      vi.spyOn(net, 'connect'),
      vi.spyOn(tls, 'connect'),
    ]
    const [socket] = spies
    return {
      expectNone(): void {
        for (const spy of spies) expect(spy).not.toHaveBeenCalled()
      },
      hosts: (): string[] =>
        (socket?.mock.calls ?? []).map((call) => {
          const [first] = call as unknown[]
          // Node passes its normalized [options, callback] pair, or the options themselves.
          const options = (Array.isArray(first) ? first[0] : first) as { host?: unknown } | undefined
          return String(options?.host)
        }),
      tlsConnects: (): number => spies[2]?.mock.calls.length ?? 0,
    }
  }

  afterEach(() => {
    asked.length = 0
  })

  // The loopback targets use the upstream's port: were a socket opened, it would connect and count.
  const refused: [title: string, url: string, reason: string, lookups: string[]][] = [
    ['127.0.0.1', 'http://127.0.0.1:PORT/', 'loopback', []],
    ['the name localhost', 'http://localhost:PORT/', 'loopback', ['localhost']],
    ['an address in 10.0.0.0/8', 'http://10.0.0.1/', 'private', []],
    ['the top of 10.0.0.0/8', 'https://10.255.255.254/', 'private', []],
    [
      'the cloud metadata address 169.254.169.254',
      'http://169.254.169.254/latest/meta-data/',
      'link-local',
      [],
    ],
    ['::1', 'http://[::1]:PORT/', 'loopback', []],
    [
      'a name resolving to a private address',
      'https://intranet.example/api',
      'private',
      ['intranet.example'],
    ],
  ]

  it.each(refused)('refuses %s', async (_, target, reason, lookups) => {
    const sockets = watchSockets()
    const connectionsBefore = upstream.connections
    const failure = await createHttpClient({ resolver: injected })
      .get(target.replace('PORT', String(upstream.port)))
      .catch((error: unknown) => error)
    expect(failure).toBeInstanceOf(BlockedAddressError)
    expect(failure).toMatchObject({ class: 'permission_error', reason, requestSent: false })
    expect(asked).toEqual(lookups)
    sockets.expectNone()
    expect(upstream.connections).toBe(connectionsBefore)
    expect(upstream.requests).toHaveLength(0)
  })

  it('refuses a redirect to a name resolving to a private address, having connected to loopback only', async () => {
    const sockets = watchSockets()
    // The redirecting upstream is on loopback, which this client is allowed to reach; 10.x is not.
    const http = createHttpClient({ resolver: injected, allowedPrivateRanges: ['127.0.0.0/8'] })
    const failure = await http
      .get(`${upstream.url}/redirect/302?to=${encodeURIComponent('http://internal.example/admin')}`)
      .catch((error: unknown) => error)
    expect(failure).toBeInstanceOf(BlockedAddressError)
    expect(failure).toMatchObject({
      class: 'permission_error',
      requestSent: false,
      hostname: 'internal.example',
      address: '10.1.2.3',
      reason: 'private',
    })
    expect(asked).toEqual(['internal.example'])
    expect(upstream.requests.map((request) => request.url)).toEqual([
      `/redirect/302?to=${encodeURIComponent('http://internal.example/admin')}`,
    ])
    // At most the one connection to the redirecting upstream (a pooled one may be reused).
    expect(sockets.hosts().length).toBeLessThanOrEqual(1)
    expect(sockets.hosts().every((host) => host === '127.0.0.1')).toBe(true)
    expect(sockets.tlsConnects()).toBe(0)
  })

  it('lets a loopback call through with the private-network override', async () => {
    const sockets = watchSockets()
    const http = createHttpClient({ resolver: injected, allowPrivateNetwork: true })
    const named = await http.get<Echo>(`http://localhost:${upstream.port}/through`)
    expect(named.json.url).toBe('/through')
    expect(asked).toEqual(['localhost'])
    const literal = await http.get<Echo>(`${upstream.url}/literal`)
    expect(literal.json.url).toBe('/literal')
    expect(sockets.hosts().length).toBeGreaterThan(0)
    expect(sockets.hosts().every((host) => host === '127.0.0.1')).toBe(true)
  })
})

describe('capturing instead of sending (dry runs)', () => {
  class Captured extends Error {
    constructor(readonly request: PreviewRequest) {
      super('captured')
    }
  }
  const capture = (request: PreviewRequest): never => {
    throw new Captured(request)
  }

  it('hands over the first request as it would be sent, and sends nothing', async () => {
    const connect = vi.spyOn(net, 'connect')
    const lookups = vi.fn<Resolver>()
    const http = createHttpClient({
      baseUrl: 'https://api.example.com/v2',
      resolver: lookups,
      capture,
      authorize: (request) => {
        request.headers.authorization = 'Bearer t0k'
        request.url.searchParams.set('key', 'k3y')
      },
    })
    const failure = await http
      .post('/items', { query: { page: 2 }, body: new Uint8Array([104, 105]), headers: { 'X-Trace': 'a' } })
      .catch((error: unknown) => error)
    expect(failure).toBeInstanceOf(Captured)
    expect((failure as Captured).request).toEqual({
      method: 'POST',
      url: 'https://api.example.com/v2/items?page=2&key=k3y',
      headers: { authorization: 'Bearer t0k', 'user-agent': DEFAULT_USER_AGENT, 'x-trace': 'a' },
      body: 'hi',
    })
    const other = await http.get('https://elsewhere.example/x').catch((error: unknown) => error)
    expect((other as Captured).request.headers.authorization).toBeUndefined()
    expect(connect).not.toHaveBeenCalled()
    expect(lookups).not.toHaveBeenCalled()
  })

  it('stops the call even when the capture returns, and reports a failing credential as usual', async () => {
    const connect = vi.spyOn(net, 'connect')
    const careless = createHttpClient({
      baseUrl: upstream.url,
      allowPrivateNetwork: true,
      capture: (() => undefined) as unknown as (request: PreviewRequest) => never,
    })
    await expect(careless.get('/x')).rejects.toMatchObject({ class: 'internal_error', requestSent: false })
    const broken = createHttpClient({
      baseUrl: upstream.url,
      allowPrivateNetwork: true,
      capture,
      authorize: () => {
        throw new TypeError('secrets missing')
      },
    })
    await expect(broken.get('/x')).rejects.toMatchObject({
      class: 'internal_error',
      message: expect.stringContaining('secrets missing') as string,
    })
    expect(connect).not.toHaveBeenCalled()
    expect(upstream.requests).toHaveLength(0)
  })
})

describe('beforeConnect', () => {
  it('is asked before every hop and can refuse one', async () => {
    const hosts: string[] = []
    const http = open({
      beforeConnect: (host) => {
        hosts.push(host)
        if (host === 'internal.example') throw new ActionError('permission_error', `not ${host}`)
      },
    })
    await expect(
      http.get(`/redirect/302?to=${encodeURIComponent('http://internal.example/')}`),
    ).rejects.toThrow('not internal.example')
    expect(hosts).toEqual(['127.0.0.1', 'internal.example'])
    expect(resolved).not.toContain('internal.example')
    await expect(open({ beforeConnect: (host) => hosts.push(host) }).get('http://[::1]:1/')).rejects.toThrow()
    expect(hosts.at(-1)).toBe('::1')
  })
})
