import { ActionError, Type, defineAction } from '@toolplane/sdk'
import { RequestHeaders, RequestQuery, ResponseHeaders, TargetUrl, target } from './body.js'

/**
 * `http.get_json`: a GET that must answer JSON, returned parsed. Anything else (an HTML error page, a
 * login redirect that lands on a form) fails instead of handing back text the caller did not expect.
 */
export const getJson = defineAction({
  name: 'get_json',
  title: 'Get JSON',
  description:
    'Fetches a URL with GET (accept: application/json) and returns the parsed JSON as `data`. Fails with upstream_error when the response is not JSON, and with the matching error class on a non-2xx status. Use it to read a resource from any JSON API.',
  input: Type.Object({
    url: TargetUrl,
    query: Type.Optional(RequestQuery),
    headers: Type.Optional(RequestHeaders),
  }),
  output: Type.Object({
    status: Type.Integer(),
    data: Type.Unknown({ description: 'The parsed JSON body.' }),
    headers: ResponseHeaders,
  }),
  examples: [
    {
      title: 'Read a repository from a JSON API',
      input: { url: 'https://api.example.com/v1/repos/acme/site', query: { expand: 'owner' } },
      output: {
        status: 200,
        data: { id: 42, name: 'site', owner: { login: 'acme' } },
        headers: { 'content-type': 'application/json' },
      },
    },
  ],
  retry: { idempotent: true },
  async run({ http, input }) {
    const res = await http.request({
      method: 'GET',
      ...target(input.url),
      query: input.query,
      headers: { accept: 'application/json', ...input.headers },
    })
    res.raise()
    if (res.json === undefined) {
      const contentType = res.headers['content-type'] ?? 'no content type'
      throw new ActionError('upstream_error', `${input.url} answered ${contentType}, not JSON`, {
        httpStatus: res.status,
        requestSent: true,
        retryable: false,
        suggestions: [
          {
            title: 'Check the URL',
            detail:
              'The endpoint returned something other than JSON, often an HTML page. Check the path, or use http.request to read any body.',
          },
        ],
      })
    }
    return { status: res.status, data: res.json, headers: res.headers }
  },
})
