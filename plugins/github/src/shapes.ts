/**
 * The normalized objects the GitHub actions return, their schemas, and the mapping from GitHub's
 * REST bodies. Field names are camelCase; GitHub's web URL is `url` (the API URL is left out).
 */
import { Type } from '@toolplane/sdk'
import type { Static } from '@toolplane/sdk'

const NullableString = Type.Union([Type.String(), Type.Null()])
const Timestamp = Type.String({ format: 'date-time' })
const NullableTimestamp = Type.Union([Timestamp, Type.Null()])

/** Inputs shared by the actions that address a repository. */
export const Owner = Type.String({
  minLength: 1,
  maxLength: 39,
  pattern: '^[A-Za-z0-9][A-Za-z0-9-]*$',
  description: 'The user or organization that owns the repository',
  examples: ['octocat'],
})

export const RepositoryName = Type.String({
  minLength: 1,
  maxLength: 100,
  pattern: '^[A-Za-z0-9._-]+$',
  description: 'The repository name, without the owner',
  examples: ['hello-world'],
})

export const IssueNumber = Type.Integer({
  minimum: 1,
  description: 'The issue or pull request number shown after # on GitHub',
  examples: [42],
})

export const PerPage = Type.Optional(
  Type.Integer({
    minimum: 1,
    maximum: 100,
    default: 30,
    description: 'Results per page (GitHub allows up to 100)',
  }),
)
export const PageNumber = Type.Optional(
  Type.Integer({ minimum: 1, default: 1, description: 'The page to start from, as returned in nextPage' }),
)
export const MaxPages = Type.Optional(
  Type.Integer({
    minimum: 1,
    maximum: 10,
    default: 1,
    description: "How many pages to read, following GitHub's Link header, before returning",
  }),
)
export const NextPage = Type.Union([Type.Integer({ minimum: 1 }), Type.Null()], {
  description: 'The page to ask for next, or null when there are no more results',
})

export const Repository = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  fullName: Type.String({ description: 'owner/name' }),
  owner: Type.String(),
  private: Type.Boolean(),
  description: NullableString,
  url: Type.String({ description: 'The repository page on GitHub' }),
  cloneUrl: Type.String(),
  defaultBranch: Type.String(),
  language: NullableString,
  topics: Type.Array(Type.String()),
  stars: Type.Integer(),
  forks: Type.Integer(),
  openIssues: Type.Integer({ description: 'Open issues and pull requests' }),
  archived: Type.Boolean(),
  fork: Type.Boolean(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  pushedAt: NullableTimestamp,
})
export type Repository = Static<typeof Repository>

/** The fields of GitHub's repository body that are read. */
export interface RawRepository {
  id: number
  name: string
  full_name: string
  owner: { login: string }
  private: boolean
  description: string | null
  html_url: string
  clone_url: string
  default_branch: string
  language: string | null
  topics?: string[]
  stargazers_count: number
  forks_count: number
  open_issues_count: number
  archived: boolean
  fork: boolean
  created_at: string
  updated_at: string
  pushed_at: string | null
}

export function toRepository(raw: RawRepository): Repository {
  return {
    id: raw.id,
    name: raw.name,
    fullName: raw.full_name,
    owner: raw.owner.login,
    private: raw.private,
    description: raw.description,
    url: raw.html_url,
    cloneUrl: raw.clone_url,
    defaultBranch: raw.default_branch,
    language: raw.language,
    topics: raw.topics ?? [],
    stars: raw.stargazers_count,
    forks: raw.forks_count,
    openIssues: raw.open_issues_count,
    archived: raw.archived,
    fork: raw.fork,
    createdAt: raw.created_at,
    updatedAt: raw.updated_at,
    pushedAt: raw.pushed_at,
  }
}

export const Issue = Type.Object({
  number: Type.Integer(),
  id: Type.Integer(),
  title: Type.String(),
  body: NullableString,
  state: Type.String({ description: 'open or closed' }),
  stateReason: Type.Union([Type.String(), Type.Null()], {
    description: 'completed, not_planned or reopened, when GitHub records one',
  }),
  url: Type.String({ description: 'The issue page on GitHub' }),
  author: NullableString,
  labels: Type.Array(Type.String()),
  assignees: Type.Array(Type.String()),
  milestone: NullableString,
  comments: Type.Integer(),
  isPullRequest: Type.Boolean({ description: 'GitHub lists pull requests among issues' }),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  closedAt: NullableTimestamp,
})
export type Issue = Static<typeof Issue>

interface RawLabel {
  name: string
}

export interface RawIssue {
  id: number
  number: number
  title: string
  body: string | null
  state: string
  state_reason?: string | null
  html_url: string
  user: { login: string } | null
  labels: RawLabel[]
  assignees?: { login: string }[] | null
  milestone: { title: string } | null
  comments: number
  pull_request?: unknown
  created_at: string
  updated_at: string
  closed_at: string | null
}

export function toIssue(raw: RawIssue): Issue {
  return {
    number: raw.number,
    id: raw.id,
    title: raw.title,
    body: raw.body,
    state: raw.state,
    stateReason: raw.state_reason ?? null,
    url: raw.html_url,
    author: raw.user?.login ?? null,
    labels: raw.labels.map((label) => label.name),
    assignees: (raw.assignees ?? []).map((assignee) => assignee.login),
    milestone: raw.milestone?.title ?? null,
    comments: raw.comments,
    isPullRequest: raw.pull_request !== undefined,
    createdAt: raw.created_at,
    updatedAt: raw.updated_at,
    closedAt: raw.closed_at,
  }
}

const BranchRef = Type.Object({
  ref: Type.String({ description: 'The branch name' }),
  sha: Type.String(),
  label: Type.String({ description: 'owner:branch' }),
})

export const PullRequest = Type.Object({
  number: Type.Integer(),
  id: Type.Integer(),
  title: Type.String(),
  body: NullableString,
  state: Type.String({ description: 'open or closed' }),
  draft: Type.Boolean(),
  merged: Type.Boolean(),
  url: Type.String({ description: 'The pull request page on GitHub' }),
  author: NullableString,
  labels: Type.Array(Type.String()),
  head: BranchRef,
  base: BranchRef,
  createdAt: Timestamp,
  updatedAt: Timestamp,
  closedAt: NullableTimestamp,
  mergedAt: NullableTimestamp,
})
export type PullRequest = Static<typeof PullRequest>

interface RawBranchRef {
  ref: string
  sha: string
  label: string
}

export interface RawPullRequest {
  id: number
  number: number
  title: string
  body: string | null
  state: string
  draft?: boolean
  html_url: string
  user: { login: string } | null
  labels: RawLabel[]
  head: RawBranchRef
  base: RawBranchRef
  created_at: string
  updated_at: string
  closed_at: string | null
  merged_at: string | null
}

export function toPullRequest(raw: RawPullRequest): PullRequest {
  const ref = (branch: RawBranchRef) => ({ ref: branch.ref, sha: branch.sha, label: branch.label })
  return {
    number: raw.number,
    id: raw.id,
    title: raw.title,
    body: raw.body,
    state: raw.state,
    draft: raw.draft ?? false,
    merged: raw.merged_at !== null,
    url: raw.html_url,
    author: raw.user?.login ?? null,
    labels: raw.labels.map((label) => label.name),
    head: ref(raw.head),
    base: ref(raw.base),
    createdAt: raw.created_at,
    updatedAt: raw.updated_at,
    closedAt: raw.closed_at,
    mergedAt: raw.merged_at,
  }
}
