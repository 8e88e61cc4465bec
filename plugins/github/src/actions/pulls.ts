import { Type, defineAction, urlPath } from '@toolplane/sdk'
import { callGitHub, nextPage, readPages } from '../api.js'
import {
  MaxPages,
  NextPage,
  Owner,
  PageNumber,
  PerPage,
  PullRequest,
  RepositoryName,
  toPullRequest,
} from '../shapes.js'
import type { RawPullRequest } from '../shapes.js'

/** Lists a repository's pull requests, one or more pages at a time. */
export const listPullRequests = defineAction({
  name: 'list_pull_requests',
  title: 'List pull requests',
  description:
    'Lists pull requests of a GitHub repository, newest first by default, filtered by state and by head or base branch. Returns the pull requests and nextPage; pass nextPage back as page to continue.',
  input: Type.Object({
    owner: Owner,
    repo: RepositoryName,
    state: Type.Optional(Type.Enum(['open', 'closed', 'all'], { default: 'open' })),
    head: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'Only pull requests from this branch, written user:branch or org:branch',
        examples: ['octocat:new-feature'],
      }),
    ),
    base: Type.Optional(
      Type.String({ minLength: 1, description: 'Only pull requests into this branch', examples: ['main'] }),
    ),
    sort: Type.Optional(
      Type.Enum(['created', 'updated', 'popularity', 'long-running'], { default: 'created' }),
    ),
    direction: Type.Optional(Type.Enum(['desc', 'asc'], { default: 'desc' })),
    perPage: PerPage,
    page: PageNumber,
    maxPages: MaxPages,
  }),
  output: Type.Object({ pullRequests: Type.Array(PullRequest), nextPage: NextPage }),
  examples: [
    {
      title: 'Open pull requests into main',
      input: { owner: 'octocat', repo: 'hello-world', state: 'open', base: 'main', perPage: 20 },
    },
  ],
  retry: { idempotent: true },
  scopes: ['repo'],
  async run({ http, input }) {
    const { items, nextPage: next } = await readPages(input, async (page) => {
      const res = await callGitHub<RawPullRequest[]>(
        http,
        'GET',
        urlPath`/repos/${input.owner}/${input.repo}/pulls`,
        {
          query: {
            state: input.state,
            head: input.head,
            base: input.base,
            sort: input.sort,
            direction: input.direction,
            per_page: input.perPage,
            page,
          },
        },
      )
      return { items: res.json.map(toPullRequest), nextPage: nextPage(res.headers.link) }
    })
    return { pullRequests: items, nextPage: next }
  },
})
