/**
 * The built-in `http` tool: any REST call, with a credential applied (SPEC §4). It has no default base
 * URL; a credential can set one, and then `url` may be a path relative to it.
 */
import { auth, defineTool } from '@toolplane/sdk'
import { getJson } from './get-json.js'
import { paginate } from './paginate.js'
import { request } from './request.js'

export { getJson, paginate, request }
export { parseLinkHeader, nextPageUrl } from './link-header.js'
export type { WebLink } from './link-header.js'

// Statuses that say the credential or the upstream is broken; anything else proves the base URL answers.
const unhealthy = (status: number): boolean =>
  status === 401 || status === 403 || status === 407 || status >= 500

export default defineTool({
  slug: 'http',
  name: 'HTTP',
  description:
    'Call any HTTP API: send a request with a bearer token, basic auth or an API key header applied, read JSON, and follow Link-header pagination.',
  version: '1.0.0',
  categories: ['developer-tools'],
  authMethods: [
    auth.none(),
    auth.bearer(),
    auth.basic(),
    auth.apiKey({ in: 'header', title: 'API key in a header' }),
    auth.apiKey({ in: 'query', id: 'api_key_query', title: 'API key in the query string' }),
  ],
  actions: [request, getJson, paginate],
  async healthCheck({ http, baseUrl }) {
    if (baseUrl === undefined) return { ok: true, detail: 'No base URL is set, so there is nothing to call' }
    const res = await http.get(baseUrl)
    if (unhealthy(res.status) || res.status === 429) res.raise()
    return { ok: true, detail: `${baseUrl} answered ${res.status}` }
  },
})
