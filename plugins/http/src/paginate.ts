import { ActionError, Type, defineAction } from '@toolplane/sdk'
import type { HttpResponse } from '@toolplane/sdk'
import { RequestHeaders, RequestQuery, TargetUrl, target, valueAtPath } from './body.js'
import { nextPageUrl } from './link-header.js'

/**
 * `http.paginate`: GETs a list endpoint and follows RFC 8288 `Link: <…>; rel="next"` headers (GitHub's
 * style, and many others'), concatenating the items of each page, up to a page limit.
 */
export const paginate = defineAction({
  name: 'paginate',
  title: 'Fetch every page of a list',
  description:
    'GETs a JSON list endpoint and follows `Link: <url>; rel="next"` response headers page after page, up to `maxPages`, returning all items together. Items are the top-level array of each page, or the array at `itemsPath` (a dotted path such as `data` or `result.items`). When the limit is reached, `nextUrl` is the page to continue from (pass it as `url`). A next link to another origin is not followed, so the credential never leaves the first origin: it is returned as `nextUrl`.',
  input: Type.Object({
    url: TargetUrl,
    query: Type.Optional(RequestQuery),
    headers: Type.Optional(RequestHeaders),
    itemsPath: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'Dotted path to the array of items in each page, such as `data` or `result.items`.',
        examples: ['data'],
      }),
    ),
    maxPages: Type.Integer({
      minimum: 1,
      maximum: 100,
      default: 10,
      description: 'The most pages to fetch.',
    }),
  }),
  output: Type.Object({
    items: Type.Array(Type.Unknown()),
    pages: Type.Integer({ description: 'How many pages were fetched.' }),
    nextUrl: Type.Union([Type.String(), Type.Null()], {
      description: 'The next page not fetched (limit reached or another origin), or null at the end.',
    }),
  }),
  examples: [
    {
      title: 'All open issues of a repository, 100 per page',
      input: {
        url: 'https://api.github.com/repos/octocat/hello-world/issues',
        query: { state: 'open', per_page: 100 },
        maxPages: 5,
      },
      output: { items: [{ number: 1347, title: 'Found a bug' }], pages: 1, nextUrl: null },
    },
  ],
  timeoutMs: 120_000,
  retry: { idempotent: true },
  async run({ http, input }) {
    const headers = { accept: 'application/json', ...input.headers }
    let res = await http.request({ method: 'GET', ...target(input.url), query: input.query, headers })
    const origin = new URL(res.url).origin
    const visited = new Set<string>([res.url])
    const items: unknown[] = []
    let pages = 0
    for (;;) {
      res.raise()
      items.push(...pageItems(res, input.itemsPath))
      pages += 1
      const next = nextPageUrl(res.headers.link, res.url)
      if (next === undefined || visited.has(next)) return { items, pages, nextUrl: null }
      if (pages >= input.maxPages || new URL(next).origin !== origin) return { items, pages, nextUrl: next }
      visited.add(next)
      res = await http.get(next, { headers })
    }
  },
})

function pageItems(res: HttpResponse, itemsPath: string | undefined): unknown[] {
  const where = new URL(res.url).pathname
  if (res.json === undefined) {
    throw new ActionError('upstream_error', `The page at ${where} is not JSON`, {
      httpStatus: res.status,
      requestSent: true,
      retryable: false,
    })
  }
  const items = itemsPath === undefined ? res.json : valueAtPath(res.json, itemsPath)
  if (Array.isArray(items)) return items as unknown[]
  const arrays =
    typeof res.json === 'object' && res.json !== null
      ? Object.entries(res.json).filter(([, value]) => Array.isArray(value))
      : []
  const found = arrays.length === 0 ? '' : ` It has arrays at: ${arrays.map(([key]) => key).join(', ')}.`
  throw new ActionError(
    'validation_error',
    itemsPath === undefined
      ? `The page at ${where} is not a JSON array; set itemsPath to the array of items.${found}`
      : `The page at ${where} has no array at "${itemsPath}".${found}`,
    {
      httpStatus: res.status,
      requestSent: true,
      suggestions: [
        {
          title: 'Set itemsPath',
          detail: 'Give the dotted path to the list in each page, such as `data` or `result.items`.',
        },
      ],
    },
  )
}
