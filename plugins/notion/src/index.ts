/**
 * The built-in `notion` tool: search, pages, databases and page content through the Notion API
 * (version 2022-06-28).
 */
import { ActionError, auth, defineTool } from '@toolplane/sdk'
import { callNotion } from './api.js'
import { appendBlockChildren, getBlockChildren } from './actions/blocks.js'
import { queryDatabase } from './actions/databases.js'
import { createPage, getPage, updatePage } from './actions/pages.js'
import { search } from './actions/search.js'

export { appendBlockChildren, getBlockChildren } from './actions/blocks.js'
export { queryDatabase } from './actions/databases.js'
export { createPage, getPage, updatePage } from './actions/pages.js'
export { search } from './actions/search.js'
export { NOTION_VERSION, notionError } from './api.js'
export { blocksFromText, richText } from './blocks.js'

export default defineTool({
  slug: 'notion',
  name: 'Notion',
  description: 'Pages, databases and page content in a Notion workspace.',
  version: '1.0.0',
  categories: ['productivity', 'knowledge-base'],
  baseUrl: 'https://api.notion.com',
  authMethods: [
    auth.bearer({ title: 'Internal integration secret' }),
    auth.oauth2({
      grant: 'authorization_code',
      title: 'Notion public integration (OAuth)',
      authorizationUrl: 'https://api.notion.com/v1/oauth/authorize',
      // Notion's token endpoint wants the client id and secret as HTTP Basic authentication.
      tokenUrl: 'https://api.notion.com/v1/oauth/token',
      // Access is chosen page by page in Notion's consent screen, not with scopes.
      scopes: [],
      // Notion does not document PKCE for its OAuth flow.
      pkce: false,
      extraAuthorizeParams: { owner: 'user' },
    }),
  ],
  actions: [search, getPage, createPage, updatePage, queryDatabase, appendBlockChildren, getBlockChildren],
  async healthCheck({ http }) {
    const res = await callNotion<{ object?: unknown }>(http, 'GET', '/v1/users/me')
    if (res.json.object !== 'user') {
      throw new ActionError(
        'upstream_error',
        'GET /v1/users/me did not return a user; is baseUrl the Notion API?',
      )
    }
  },
  // Notion allows an average of three requests a second per integration, with some bursts.
  rateLimits: [{ scope: 'credential', limit: 3, windowSeconds: 1 }],
})
