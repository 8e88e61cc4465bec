import { ActionError, Type, defineAction, urlPath } from '@toolplane/sdk'
import { callGitHub, nextPage, readPages } from '../api.js'
import {
  Issue,
  IssueNumber,
  MaxPages,
  NextPage,
  Owner,
  PageNumber,
  PerPage,
  RepositoryName,
  toIssue,
} from '../shapes.js'
import type { RawIssue } from '../shapes.js'

const Login = Type.String({ minLength: 1, maxLength: 39, examples: ['octocat'] })
const LabelName = Type.String({ minLength: 1, maxLength: 50, examples: ['bug'] })

/** Lists a repository's issues with GitHub's filters, following `Link` pages up to `maxPages`. */
export const listIssues = defineAction({
  name: 'list_issues',
  title: 'List issues',
  description:
    'Lists issues of a GitHub repository, filtered by state, labels, assignee, author or last update, most recently created first by default. Pull requests are left out unless includePullRequests is true. Returns the issues and nextPage; pass nextPage back as page to continue.',
  input: Type.Object({
    owner: Owner,
    repo: RepositoryName,
    state: Type.Optional(Type.Enum(['open', 'closed', 'all'], { default: 'open' })),
    labels: Type.Optional(
      Type.Array(LabelName, { maxItems: 20, description: 'Only issues that carry all of these labels' }),
    ),
    assignee: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'A login, "none" for unassigned issues, or "*" for any assigned issue',
        examples: ['octocat'],
      }),
    ),
    creator: Type.Optional(Type.String({ minLength: 1, description: 'Only issues opened by this login' })),
    since: Type.Optional(
      Type.String({ format: 'date-time', description: 'Only issues updated at or after this time' }),
    ),
    sort: Type.Optional(Type.Enum(['created', 'updated', 'comments'], { default: 'created' })),
    direction: Type.Optional(Type.Enum(['desc', 'asc'], { default: 'desc' })),
    includePullRequests: Type.Optional(
      Type.Boolean({
        default: false,
        description: 'GitHub lists pull requests as issues too; true keeps them in the result',
      }),
    ),
    perPage: PerPage,
    page: PageNumber,
    maxPages: MaxPages,
  }),
  output: Type.Object({ issues: Type.Array(Issue), nextPage: NextPage }),
  examples: [
    {
      title: 'Open bugs',
      input: { owner: 'octocat', repo: 'hello-world', state: 'open', labels: ['bug'], perPage: 50 },
    },
  ],
  retry: { idempotent: true },
  scopes: ['repo'],
  async run({ http, input }) {
    const { items, nextPage: next } = await readPages(input, async (page) => {
      const res = await callGitHub<RawIssue[]>(
        http,
        'GET',
        urlPath`/repos/${input.owner}/${input.repo}/issues`,
        {
          query: {
            state: input.state,
            labels:
              input.labels === undefined || input.labels.length === 0 ? undefined : input.labels.join(','),
            assignee: input.assignee,
            creator: input.creator,
            since: input.since,
            sort: input.sort,
            direction: input.direction,
            per_page: input.perPage,
            page,
          },
        },
      )
      return { items: res.json.map(toIssue), nextPage: nextPage(res.headers.link) }
    })
    const issues = input.includePullRequests === true ? items : items.filter((issue) => !issue.isPullRequest)
    return { issues, nextPage: next }
  },
})

/** Opens an issue. Not retried once sent: a second attempt would open a second issue. */
export const createIssue = defineAction({
  name: 'create_issue',
  title: 'Create an issue',
  description:
    'Opens a new issue in a GitHub repository with a title and optional Markdown body, labels, assignees and milestone number. Each call opens a new issue, so do not call it again to retry. Labels that do not exist are created; assignees must have access to the repository.',
  input: Type.Object({
    owner: Owner,
    repo: RepositoryName,
    title: Type.String({
      minLength: 1,
      maxLength: 256,
      examples: ['Checkout button does nothing on Safari'],
    }),
    body: Type.Optional(
      Type.String({ maxLength: 65536, description: 'Markdown', examples: ['Steps to reproduce: ...'] }),
    ),
    labels: Type.Optional(Type.Array(LabelName, { maxItems: 100 })),
    assignees: Type.Optional(Type.Array(Login, { maxItems: 10 })),
    milestone: Type.Optional(Type.Integer({ minimum: 1, description: 'The milestone number' })),
  }),
  output: Issue,
  examples: [
    {
      title: 'A bug report',
      input: {
        owner: 'octocat',
        repo: 'hello-world',
        title: 'Checkout button does nothing on Safari',
        body: 'Steps to reproduce:\n1. Open the cart\n2. Click **Checkout**',
        labels: ['bug'],
        assignees: ['octocat'],
      },
    },
  ],
  retry: { idempotent: false },
  scopes: ['repo'],
  async run({ http, input }) {
    const res = await callGitHub<RawIssue>(
      http,
      'POST',
      urlPath`/repos/${input.owner}/${input.repo}/issues`,
      {
        json: {
          title: input.title,
          body: input.body,
          labels: input.labels,
          assignees: input.assignees,
          milestone: input.milestone,
        },
      },
    )
    return toIssue(res.json)
  },
})

/** Changes an issue's title, body, state, labels, assignees or milestone. */
export const updateIssue = defineAction({
  name: 'update_issue',
  title: 'Update an issue',
  description:
    'Changes an existing GitHub issue or pull request: title, Markdown body, state (close or reopen, with a reason), labels, assignees or milestone. Labels and assignees, when given, replace the current ones. Fields left out stay as they are.',
  input: Type.Object({
    owner: Owner,
    repo: RepositoryName,
    issueNumber: IssueNumber,
    title: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    body: Type.Optional(Type.String({ maxLength: 65536, description: 'Markdown' })),
    state: Type.Optional(Type.Enum(['open', 'closed'])),
    stateReason: Type.Optional(
      Type.Enum(['completed', 'not_planned', 'reopened'], { description: 'Why the state changed' }),
    ),
    labels: Type.Optional(Type.Array(LabelName, { maxItems: 100, description: 'Replaces all labels' })),
    assignees: Type.Optional(Type.Array(Login, { maxItems: 10, description: 'Replaces all assignees' })),
    milestone: Type.Optional(
      Type.Union([Type.Integer({ minimum: 1 }), Type.Null()], {
        description: 'A milestone number, or null to remove the milestone',
      }),
    ),
  }),
  output: Issue,
  examples: [
    {
      title: 'Close as not planned',
      input: {
        owner: 'octocat',
        repo: 'hello-world',
        issueNumber: 42,
        state: 'closed',
        stateReason: 'not_planned',
      },
    },
  ],
  // Setting the same fields twice leaves the issue as setting them once.
  retry: { idempotent: true },
  scopes: ['repo'],
  async run({ http, input }) {
    const changes = Object.fromEntries(
      Object.entries({
        title: input.title,
        body: input.body,
        state: input.state,
        state_reason: input.stateReason,
        labels: input.labels,
        assignees: input.assignees,
        milestone: input.milestone,
      }).filter(([, value]) => value !== undefined),
    )
    if (Object.keys(changes).length === 0) {
      throw new ActionError('validation_error', 'Give at least one field to change', { requestSent: false })
    }
    const res = await callGitHub<RawIssue>(
      http,
      'PATCH',
      urlPath`/repos/${input.owner}/${input.repo}/issues/${input.issueNumber}`,
      { json: changes },
    )
    return toIssue(res.json)
  },
})

interface RawComment {
  id: number
  html_url: string
  body: string
  user: { login: string } | null
  created_at: string
  updated_at: string
}

/** Comments on an issue or pull request. Not retried once sent. */
export const createIssueComment = defineAction({
  name: 'create_issue_comment',
  title: 'Comment on an issue',
  description:
    'Adds a Markdown comment to a GitHub issue or pull request (pull requests share issue numbers). Each call adds a new comment, so do not call it again to retry.',
  input: Type.Object({
    owner: Owner,
    repo: RepositoryName,
    issueNumber: IssueNumber,
    body: Type.String({
      minLength: 1,
      maxLength: 65536,
      description: 'Markdown',
      examples: ['Fixed in #43.'],
    }),
  }),
  output: Type.Object({
    id: Type.Integer(),
    url: Type.String({ description: 'The comment on GitHub' }),
    body: Type.String(),
    author: Type.Union([Type.String(), Type.Null()]),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  }),
  examples: [
    {
      title: 'Point to the fix',
      input: { owner: 'octocat', repo: 'hello-world', issueNumber: 42, body: 'Fixed in #43.' },
    },
  ],
  retry: { idempotent: false },
  scopes: ['repo'],
  async run({ http, input }) {
    const res = await callGitHub<RawComment>(
      http,
      'POST',
      urlPath`/repos/${input.owner}/${input.repo}/issues/${input.issueNumber}/comments`,
      { json: { body: input.body } },
    )
    return {
      id: res.json.id,
      url: res.json.html_url,
      body: res.json.body,
      author: res.json.user?.login ?? null,
      createdAt: res.json.created_at,
      updatedAt: res.json.updated_at,
    }
  },
})
