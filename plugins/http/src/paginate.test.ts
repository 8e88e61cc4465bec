import type { ServerResponse } from 'node:http'
import { ActionError, runAction } from '@toolplane/sdk'
import { startUpstream } from '@toolplane/sdk/testing'
import type { RecordedRequest, Upstream } from '@toolplane/sdk/testing'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import http from './index.js'
import { nextPageUrl, parseLinkHeader } from './link-header.js'

const issues = Array.from({ length: 5 }, (_, index) => ({ number: index + 1, title: `Issue ${index + 1}` }))

function json(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  response.writeHead(status, { 'content-type': 'application/json', ...headers })
  response.end(JSON.stringify(body))
}

// GitHub-style pagination: `?page=&per_page=`, a Link header with next/last (absolute URLs), no
// next on the last page.
function pages(origin: () => string) {
  return (request: RecordedRequest, response: ServerResponse): void => {
    const url = new URL(request.url, origin())
    const perPage = Number(url.searchParams.get('per_page') ?? '2')
    const page = Number(url.searchParams.get('page') ?? '1')
    const last = Math.ceil(issues.length / perPage)
    const link = (n: number, rel: string) =>
      `<${origin()}${url.pathname}?state=open&per_page=${perPage}&page=${n}>; rel="${rel}"`
    const links = [page < last ? link(page + 1, 'next') : '', link(last, 'last')].filter((l) => l !== '')
    const slice = issues.slice((page - 1) * perPage, page * perPage)
    switch (url.pathname) {
      case '/repos/acme/site/issues':
        json(response, 200, slice, { link: links.join(', ') })
        return
      case '/wrapped':
        json(response, 200, { data: { items: slice }, meta: { page } }, { link: links.join(', ') })
        return
      case '/loop':
        json(response, 200, slice, { link: `</loop>; rel="next"` })
        return
      case '/away':
        json(response, 200, slice, { link: `<http://127.0.0.2:9/elsewhere>; rel="next"` })
        return
      case '/object':
        json(response, 200, { results: slice, included: [] })
        return
      case '/html':
        response.writeHead(200, { 'content-type': 'text/html' })
        response.end('<html></html>')
        return
      default:
        json(response, 404, { message: 'Not Found' })
    }
  }
}

let upstream: Upstream
beforeAll(async () => {
  upstream = await startUpstream(pages(() => upstream.url))
})
afterAll(async () => {
  await upstream.close()
})
beforeEach(() => {
  upstream.requests.length = 0
})

async function paginate(input: Record<string, unknown>) {
  return runAction(http, 'paginate', {
    input,
    credential: { authMethod: 'bearer', secrets: { token: 't0k' } },
    baseUrl: upstream.url,
    allowPrivateNetwork: true,
  })
}

describe('http.paginate', () => {
  it('walks every page through Link rel="next" and concatenates the items', async () => {
    const { output } = await paginate({
      url: '/repos/acme/site/issues',
      query: { state: 'open', per_page: 2 },
    })
    expect(output).toEqual({ items: issues, pages: 3, nextUrl: null })
    expect(upstream.requests.map((r) => r.url)).toEqual([
      '/repos/acme/site/issues?state=open&per_page=2',
      '/repos/acme/site/issues?state=open&per_page=2&page=2',
      '/repos/acme/site/issues?state=open&per_page=2&page=3',
    ])
    expect(upstream.requests.every((r) => r.headers.authorization === 'Bearer t0k')).toBe(true)
  })

  it('stops at maxPages and returns where to continue', async () => {
    const { output } = await paginate({ url: '/repos/acme/site/issues', query: { per_page: 2 }, maxPages: 2 })
    expect(output.items).toEqual(issues.slice(0, 4))
    expect(output.pages).toBe(2)
    expect(output.nextUrl).toBe(`${upstream.url}/repos/acme/site/issues?state=open&per_page=2&page=3`)
  })

  it('reads the items at itemsPath', async () => {
    const { output } = await paginate({ url: '/wrapped', query: { per_page: 3 }, itemsPath: 'data.items' })
    expect(output).toEqual({ items: issues, pages: 2, nextUrl: null })
  })

  it('does not fetch a page twice when the next link points back', async () => {
    const { output } = await paginate({ url: '/loop', query: { per_page: 2 } })
    expect(output).toEqual({ items: [...issues.slice(0, 2), ...issues.slice(0, 2)], pages: 2, nextUrl: null })
    expect(upstream.requests.map((r) => r.url)).toEqual(['/loop?per_page=2', '/loop'])
  })

  it('does not follow a next link to another origin with the credential', async () => {
    const { output } = await paginate({ url: '/away', query: { per_page: 2 } })
    expect(output).toEqual({ items: issues.slice(0, 2), pages: 1, nextUrl: 'http://127.0.0.2:9/elsewhere' })
    expect(upstream.requests).toHaveLength(1)
  })

  it('says where the arrays are when a page is not an array', async () => {
    const error = await paginate({ url: '/object' }).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(ActionError)
    expect((error as ActionError).class).toBe('validation_error')
    expect((error as ActionError).message).toContain('results, included')
  })

  it('fails when itemsPath finds no array', async () => {
    const error = await paginate({ url: '/wrapped', itemsPath: 'data.missing' }).catch(
      (caught: unknown) => caught,
    )
    expect((error as ActionError).class).toBe('validation_error')
    expect((error as ActionError).message).toContain('data.missing')
  })

  it('fails with upstream_error when a page is not JSON', async () => {
    const error = await paginate({ url: '/html' }).catch((caught: unknown) => caught)
    expect((error as ActionError).class).toBe('upstream_error')
  })

  it('fails with the status class when a page fails', async () => {
    const error = await paginate({ url: '/nowhere' }).catch((caught: unknown) => caught)
    expect((error as ActionError).class).toBe('not_found')
  })
})

describe('http.get_json', () => {
  it('returns the parsed JSON and asks for JSON', async () => {
    const { output } = await runAction(http, 'get_json', {
      input: { url: `${upstream.url}/wrapped`, query: { per_page: 5 } },
      allowPrivateNetwork: true,
    })
    expect(output.status).toBe(200)
    expect(output.data).toEqual({ data: { items: issues }, meta: { page: 1 } })
    expect(upstream.requests[0]?.headers.accept).toBe('application/json')
    expect(upstream.requests[0]?.url).toBe('/wrapped?per_page=5')
  })

  it('fails with upstream_error when the answer is not JSON', async () => {
    const error = await runAction(http, 'get_json', {
      input: { url: `${upstream.url}/html` },
      allowPrivateNetwork: true,
    }).catch((caught: unknown) => caught)
    expect((error as ActionError).class).toBe('upstream_error')
    expect((error as ActionError).message).toContain('text/html')
  })

  it('fails with not_found on a 404', async () => {
    const error = await runAction(http, 'get_json', {
      input: { url: `${upstream.url}/nowhere` },
      allowPrivateNetwork: true,
    }).catch((caught: unknown) => caught)
    expect((error as ActionError).class).toBe('not_found')
  })
})

describe('Link header parsing', () => {
  it('reads GitHub-style links', () => {
    const header =
      '<https://api.github.com/repositories/1/issues?page=2>; rel="next", <https://api.github.com/repositories/1/issues?page=5>; rel="last"'
    expect(parseLinkHeader(header)).toEqual([
      { uri: 'https://api.github.com/repositories/1/issues?page=2', rel: ['next'], params: { rel: 'next' } },
      { uri: 'https://api.github.com/repositories/1/issues?page=5', rel: ['last'], params: { rel: 'last' } },
    ])
  })

  it('reads several relation types, unquoted values, escapes and other parameters', () => {
    const header =
      '</p/3>; title="a \\"quoted\\" ; title"; rel="last NEXT", <   /p/1 >;rel=prev;type=text/html, </p/0>; rel'
    const links = parseLinkHeader(header)
    expect(links[0]).toEqual({
      uri: '/p/3',
      rel: ['last', 'next'],
      params: { title: 'a "quoted" ; title', rel: 'last NEXT' },
    })
    expect(links[1]).toEqual({ uri: '/p/1', rel: ['prev'], params: { rel: 'prev', type: 'text/html' } })
    expect(links[2]).toEqual({ uri: '/p/0', rel: [], params: { rel: '' } })
  })

  it('skips malformed link-values and keeps the first rel', () => {
    const links = parseLinkHeader('garbage, <a>; rel=next; rel=prev junk, <b>; ; =x; rel=last, <unclosed')
    expect(links.map((link) => [link.uri, link.rel])).toEqual([
      ['a', ['next']],
      ['b', ['last']],
    ])
  })

  it('resolves a relative next link against the URL that answered', () => {
    expect(nextPageUrl('<?page=2>; rel="next"', 'https://api.example.com/items?page=1')).toBe(
      'https://api.example.com/items?page=2',
    )
    expect(nextPageUrl('<https://x.example/2>; rel="prev"', 'https://api.example.com/')).toBeUndefined()
    expect(nextPageUrl(undefined, 'https://api.example.com/')).toBeUndefined()
    expect(nextPageUrl('<http://[bad>; rel="next"', 'https://api.example.com/')).toBeUndefined()
  })
})
