/**
 * The built-in `github` tool: repositories, issues, comments and pull requests through GitHub's REST
 * API (version 2022-11-28). Point `baseUrl` at `https://<host>/api/v3` for GitHub Enterprise Server.
 */
import { ActionError, Secret, Type, auth, defineTool } from '@toolplane/sdk'
import type { BearerAuth, OAuth2AuthorizationCodeAuth, TriggerDeclaration } from '@toolplane/sdk'
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

/**
 * The secret of a GitHub webhook delivering to `/v1/hooks/github/<credential id>`, which signs each
 * delivery (`X-Hub-Signature-256`). Optional: only inbound triggers read it.
 */
const webhookSecret = Type.Optional(
  Secret(
    Type.String({
      title: 'Webhook secret',
      description: 'The secret set on the GitHub webhook that sends this credential’s triggers',
      minLength: 1,
    }),
  ),
)

const token = auth.bearer({ title: 'Personal access token (classic or fine-grained)' })

/** A personal access token, with the optional webhook secret of inbound triggers. */
export const personalAccessToken: BearerAuth = Object.freeze({
  ...token,
  fields: Type.Object({ ...token.fields.properties, webhookSecret }),
})

const oauth = auth.oauth2({
  grant: 'authorization_code',
  title: 'GitHub OAuth app',
  authorizationUrl: 'https://github.com/login/oauth/authorize',
  tokenUrl: 'https://github.com/login/oauth/access_token',
  scopes: ['repo', 'read:user'],
  // GitHub ignored PKCE parameters for years and accepts S256 since 2025; sending them is harmless
  // either way, so the SDK default (on) stays. Security still rests on the client secret.
  pkce: true,
})

/** GitHub's OAuth app, with the optional webhook secret of inbound triggers. */
export const githubOAuth: OAuth2AuthorizationCodeAuth = Object.freeze({
  ...oauth,
  fields: Type.Object({ ...oauth.fields.properties, webhookSecret }),
})

const login = Type.Object({ login: Type.String() })
const repository = Type.Object({ full_name: Type.String(), html_url: Type.String() })

/** Webhook events this tool's triggers describe; GitHub's others are received and emitted too. */
export const triggers: readonly TriggerDeclaration[] = [
  {
    event: 'issues.opened',
    title: 'Issue opened',
    description:
      'Someone opened an issue in a repository the webhook watches (event `issues`, action `opened`).',
    verifier: 'github',
    payload: Type.Object({
      action: Type.Literal('opened'),
      issue: Type.Object({
        number: Type.Integer(),
        title: Type.String(),
        body: Type.Union([Type.String(), Type.Null()]),
        html_url: Type.String(),
        user: login,
      }),
      repository,
      sender: login,
    }),
  },
  {
    event: 'pull_request.opened',
    title: 'Pull request opened',
    description: 'Someone opened a pull request (event `pull_request`, action `opened`).',
    verifier: 'github',
    payload: Type.Object({
      action: Type.Literal('opened'),
      number: Type.Integer(),
      pull_request: Type.Object({
        number: Type.Integer(),
        title: Type.String(),
        html_url: Type.String(),
        user: login,
        head: Type.Object({ ref: Type.String(), sha: Type.String() }),
        base: Type.Object({ ref: Type.String() }),
      }),
      repository,
      sender: login,
    }),
  },
  {
    event: 'push',
    title: 'Push',
    description: 'Commits or tags were pushed to a repository (event `push`).',
    verifier: 'github',
    payload: Type.Object({
      ref: Type.String({ description: 'The full ref pushed, such as `refs/heads/main`.' }),
      before: Type.String(),
      after: Type.String(),
      commits: Type.Array(Type.Object({ id: Type.String(), message: Type.String(), url: Type.String() })),
      pusher: Type.Object({ name: Type.String() }),
      repository,
    }),
  },
]

export default defineTool({
  slug: 'github',
  name: 'GitHub',
  description:
    'Repositories, issues, issue comments and pull requests on GitHub.com or GitHub Enterprise Server.',
  version: '1.0.0',
  categories: ['developer-tools', 'version-control', 'issue-tracking'],
  baseUrl: 'https://api.github.com',
  authMethods: [personalAccessToken, githubOAuth],
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
  triggers,
  rateLimits: [
    { scope: 'credential', limit: REQUESTS_PER_HOUR, windowSeconds: 3600 },
    { scope: 'credential', limit: SEARCHES_PER_MINUTE, windowSeconds: 60, actions: ['search_repositories'] },
  ],
})
