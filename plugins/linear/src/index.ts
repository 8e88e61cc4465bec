/**
 * The built-in `linear` tool: teams, issues and comments through Linear's GraphQL API at
 * `https://api.linear.app/graphql`.
 */
import { ActionError, auth, defineTool } from '@toolplane/sdk'
import { createComment } from './actions/comments.js'
import { createIssue, getIssue, listIssues, searchIssues, updateIssue } from './actions/issues.js'
import { listTeams } from './actions/teams.js'
import { linearRequest } from './graphql.js'

export { createComment } from './actions/comments.js'
export { createIssue, getIssue, listIssues, searchIssues, updateIssue } from './actions/issues.js'
export { listTeams } from './actions/teams.js'
export { linearError, linearRequest } from './graphql.js'

/** Linear's documented request limit for an API key. */
const REQUESTS_PER_HOUR = 1500

export default defineTool({
  slug: 'linear',
  name: 'Linear',
  description: 'Issues, teams and comments in Linear, the issue tracker for software teams.',
  version: '1.0.0',
  categories: ['project-management', 'issue-tracking'],
  baseUrl: 'https://api.linear.app',
  authMethods: [
    // Personal API keys go in Authorization as they are, without "Bearer".
    auth.apiKey({ in: 'header', name: 'Authorization', title: 'Personal API key' }),
    auth.oauth2({
      grant: 'authorization_code',
      title: 'Linear OAuth app',
      authorizationUrl: 'https://linear.app/oauth/authorize',
      tokenUrl: 'https://api.linear.app/oauth/token',
      revocationUrl: 'https://api.linear.app/oauth/revoke',
      scopes: ['read', 'write', 'issues:create'],
      // Linear reads the scope parameter as a comma-separated list.
      scopeSeparator: ',',
      pkce: true,
    }),
  ],
  actions: [listTeams, listIssues, getIssue, createIssue, updateIssue, createComment, searchIssues],
  async healthCheck({ http }) {
    const data = await linearRequest<{ viewer?: { id?: unknown } }>(http, 'query { viewer { id } }')
    if (typeof data.viewer?.id !== 'string') {
      throw new ActionError('upstream_error', 'The viewer query returned no user; is baseUrl the Linear API?')
    }
  },
  rateLimits: [{ scope: 'credential', limit: REQUESTS_PER_HOUR, windowSeconds: 3600 }],
})
