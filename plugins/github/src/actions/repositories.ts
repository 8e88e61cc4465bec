import { Type, defineAction, urlPath } from '@toolplane/sdk'
import { callGitHub, nextPage, readPages } from '../api.js'
import {
  MaxPages,
  NextPage,
  Owner,
  PageNumber,
  PerPage,
  Repository,
  RepositoryName,
  toRepository,
} from '../shapes.js'
import type { RawRepository } from '../shapes.js'

/** Reads one repository: description, default branch, visibility, counts. */
export const getRepository = defineAction({
  name: 'get_repository',
  title: 'Get a repository',
  description:
    'Reads a GitHub repository by owner and name: description, visibility, default branch, language, topics, stars, forks and open issue count. Use it to check that a repository exists and the credential can see it.',
  input: Type.Object({ owner: Owner, repo: RepositoryName }),
  output: Repository,
  examples: [{ title: 'A public repository', input: { owner: 'octocat', repo: 'hello-world' } }],
  retry: { idempotent: true },
  scopes: ['repo'],
  async run({ http, input }) {
    const res = await callGitHub<RawRepository>(http, 'GET', urlPath`/repos/${input.owner}/${input.repo}`)
    return toRepository(res.json)
  },
})

interface RawSearch {
  total_count: number
  incomplete_results: boolean
  items: RawRepository[]
}

/** Searches repositories with GitHub's search syntax. */
export const searchRepositories = defineAction({
  name: 'search_repositories',
  title: 'Search repositories',
  description:
    'Finds GitHub repositories with GitHub search syntax, for example "toolplane language:typescript stars:>10" or "org:acme topic:api". Returns matching repositories, the total match count and the next page number. The search API returns at most 1,000 results per query.',
  input: Type.Object({
    query: Type.String({
      minLength: 1,
      maxLength: 256,
      description: 'Search terms and qualifiers such as language:, org:, user:, topic:, stars:>N, in:name',
      examples: ['http client language:typescript'],
    }),
    sort: Type.Optional(
      Type.Enum(['stars', 'forks', 'help-wanted-issues', 'updated'], {
        description: 'Sort field; best match when left out',
      }),
    ),
    order: Type.Optional(Type.Enum(['desc', 'asc'], { default: 'desc' })),
    perPage: PerPage,
    page: PageNumber,
    maxPages: MaxPages,
  }),
  output: Type.Object({
    totalCount: Type.Integer(),
    incompleteResults: Type.Boolean({
      description: 'GitHub stopped searching early; results may be missing',
    }),
    repositories: Type.Array(Repository),
    nextPage: NextPage,
  }),
  examples: [
    {
      title: 'Popular TypeScript HTTP clients',
      input: { query: 'http client language:typescript', sort: 'stars', perPage: 10 },
    },
  ],
  retry: { idempotent: true },
  async run({ http, input }) {
    let totalCount = 0
    let incompleteResults = false
    const { items, nextPage: next } = await readPages(input, async (page) => {
      const res = await callGitHub<RawSearch>(http, 'GET', '/search/repositories', {
        query: { q: input.query, sort: input.sort, order: input.order, per_page: input.perPage, page },
      })
      totalCount = res.json.total_count
      incompleteResults ||= res.json.incomplete_results
      return { items: res.json.items.map(toRepository), nextPage: nextPage(res.headers.link) }
    })
    return { totalCount, incompleteResults, repositories: items, nextPage: next }
  },
})
