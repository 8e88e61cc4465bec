/**
 * The built-in `github` tool: repositories, issues, comments and pull requests through GitHub's REST
 * API (version 2022-11-28). Point `baseUrl` at `https://<host>/api/v3` for GitHub Enterprise Server.
 */
import { ActionError, auth, defineTool } from '@toolplane/sdk'
import { callGitHub } from './api.js'
import { createIssue, createIssueComment, listIssues, updateIssue } from './actions/issues.js'
import { listPullRequests } from './actions/pulls.js'
import { getRepository, searchRepositories } from './actions/repositories.js'
import { getAuthenticatedUser } from './actions/users.js'

export { createIssue, createIssueComment, listIssues, updateIssue } from './actions/issues.js'
export { listPullRequests } from './actions/pulls.js'
export { getRepository, searchRepositories } from './actions/repositories.js'
export { getAuthenticatedUser } from './actions/users.js'
export { API_VERSION, githubError, nextPage } from './api.js'

/** GitHub's documented primary limit for a user token (personal access token or OAuth token). */
const REQUESTS_PER_HOUR = 5000
/** The search API's own limit for an authenticated user. */
const SEARCHES_PER_MINUTE = 30

export default defineTool({
  slug: 'github',
  name: 'GitHub',
  description:
    'Repositories, issues, issue comments and pull requests on GitHub.com or GitHub Enterprise Server.',
  version: '1.0.0',
  categories: ['developer-tools', 'version-control', 'issue-tracking'],
  baseUrl: 'https://api.github.com',
  authMethods: [
    auth.bearer({ title: 'Personal access token (classic or fine-grained)' }),
    auth.oauth2({
      grant: 'authorization_code',
      title: 'GitHub OAuth app',
      authorizationUrl: 'https://github.com/login/oauth/authorize',
      tokenUrl: 'https://github.com/login/oauth/access_token',
      scopes: ['repo', 'read:user'],
      // GitHub ignored PKCE parameters for years and accepts S256 since 2025; sending them is harmless
      // either way, so the SDK default (on) stays. Security still rests on the client secret.
      pkce: true,
    }),
  ],
  actions: [
    getRepository,
    listIssues,
    createIssue,
    updateIssue,
    createIssueComment,
    listPullRequests,
    searchRepositories,
    getAuthenticatedUser,
  ],
  async healthCheck({ http }) {
    const res = await callGitHub<{ login?: unknown }>(http, 'GET', '/user')
    if (typeof res.json.login !== 'string') {
      throw new ActionError(
        'upstream_error',
        'GET /user did not return a GitHub user; is baseUrl a GitHub API?',
      )
    }
    return { ok: true, detail: `Signed in as ${res.json.login}` }
  },
  rateLimits: [
    { scope: 'credential', limit: REQUESTS_PER_HOUR, windowSeconds: 3600 },
    { scope: 'credential', limit: SEARCHES_PER_MINUTE, windowSeconds: 60, actions: ['search_repositories'] },
  ],
})
