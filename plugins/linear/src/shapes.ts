/**
 * The normalized objects the Linear actions return, the GraphQL selections that fetch them, and the
 * paging shared by the list actions (Relay connections: `first`/`after`, `pageInfo`).
 */
import { Type } from '@toolplane/sdk'
import type { Static } from '@toolplane/sdk'

const NullableString = Type.Union([Type.String(), Type.Null()])
const Timestamp = Type.String({ format: 'date-time' })

/** A Linear UUID, as every entity id is. */
export const EntityId = (description: string, example: string) =>
  Type.String({
    minLength: 36,
    maxLength: 36,
    pattern: '^[0-9a-fA-F-]{36}$',
    description,
    examples: [example],
  })

export const TEAM_ID_EXAMPLE = '9cfb482a-81e3-4154-b5b9-2c805e70a02d'
export const ISSUE_ID_EXAMPLE = 'ENG-123'

/** An issue is addressed by its UUID or by its identifier, such as ENG-123. */
export const IssueRef = Type.String({
  minLength: 1,
  maxLength: 64,
  pattern: '^[A-Za-z0-9-]+$',
  description: 'The issue identifier shown in Linear (ENG-123) or its UUID',
  examples: [ISSUE_ID_EXAMPLE],
})

export const First = Type.Optional(
  Type.Integer({
    minimum: 1,
    maximum: 250,
    default: 50,
    description: 'Items per page (Linear allows up to 250)',
  }),
)
export const After = Type.Optional(
  Type.String({ minLength: 1, description: 'The cursor to continue from, as returned in nextCursor' }),
)
export const MaxPages = Type.Optional(
  Type.Integer({
    minimum: 1,
    maximum: 10,
    default: 1,
    description: 'How many pages to read before returning',
  }),
)
export const NextCursor = Type.Union([Type.String(), Type.Null()], {
  description: 'Pass it as after to get the next page; null when there are no more items',
})

export const Issue = Type.Object({
  id: Type.String(),
  identifier: Type.String({ description: 'Such as ENG-123' }),
  title: Type.String(),
  description: Type.Union([Type.String(), Type.Null()], { description: 'Markdown' }),
  priority: Type.Integer({ description: '0 none, 1 urgent, 2 high, 3 medium, 4 low' }),
  priorityLabel: Type.String(),
  url: Type.String(),
  state: Type.Union([
    Type.Object({ id: Type.String(), name: Type.String(), type: Type.String() }),
    Type.Null(),
  ]),
  team: Type.Union([
    Type.Object({ id: Type.String(), key: Type.String(), name: Type.String() }),
    Type.Null(),
  ]),
  assignee: Type.Union([
    Type.Object({ id: Type.String(), name: Type.String(), email: NullableString }),
    Type.Null(),
  ]),
  labels: Type.Array(Type.Object({ id: Type.String(), name: Type.String() })),
  dueDate: NullableString,
  createdAt: Timestamp,
  updatedAt: Timestamp,
  completedAt: Type.Union([Timestamp, Type.Null()]),
})
export type Issue = Static<typeof Issue>

/** The selection every action that returns issues asks for. */
export const ISSUE_FIELDS = `
  id
  identifier
  title
  description
  priority
  priorityLabel
  url
  dueDate
  createdAt
  updatedAt
  completedAt
  state { id name type }
  team { id key name }
  assignee { id name email }
  labels { nodes { id name } }
`

/** Linear's issue as {@link ISSUE_FIELDS} selects it. */
export interface RawIssue {
  id: string
  identifier: string
  title: string
  description: string | null
  priority: number
  priorityLabel: string
  url: string
  dueDate: string | null
  createdAt: string
  updatedAt: string
  completedAt: string | null
  state: { id: string; name: string; type: string } | null
  team: { id: string; key: string; name: string } | null
  assignee: { id: string; name: string; email: string | null } | null
  labels: { nodes: { id: string; name: string }[] }
}

export function toIssue(raw: RawIssue): Issue {
  return {
    id: raw.id,
    identifier: raw.identifier,
    title: raw.title,
    description: raw.description,
    priority: raw.priority,
    priorityLabel: raw.priorityLabel,
    url: raw.url,
    state: raw.state,
    team: raw.team,
    assignee: raw.assignee,
    labels: raw.labels.nodes.map((label) => ({ id: label.id, name: label.name })),
    dueDate: raw.dueDate,
    createdAt: raw.createdAt,
    updatedAt: raw.updatedAt,
    completedAt: raw.completedAt,
  }
}

/** A Relay connection as Linear returns it. */
export interface Connection<T> {
  nodes: T[]
  pageInfo: { hasNextPage: boolean; endCursor: string | null }
}

/** The paging inputs of a listing action. */
export interface PagingInput {
  first?: number
  after?: string
  maxPages?: number
}

/**
 * Reads a connection page by page from `input.after`, up to `input.maxPages` pages, and returns the
 * nodes and the cursor to continue from (`null` on the last page).
 *
 * @example
 * const { nodes, nextCursor } = await readConnection(input, async (after) => (await query(after)).issues)
 */
export async function readConnection<T>(
  input: PagingInput,
  read: (first: number, after: string | undefined) => Promise<Connection<T>>,
): Promise<{ nodes: T[]; nextCursor: string | null }> {
  // `ctx.input` arrives with the schema's defaults filled in; the static type of an optional field
  // with a default still allows `undefined`.
  const { first, maxPages } = input as Required<PagingInput>
  const nodes: T[] = []
  let cursor = input.after
  let nextCursor: string | null = null
  for (let page = 0; page < maxPages; page += 1) {
    const { nodes: found, pageInfo } = await read(first, cursor)
    nodes.push(...found)
    nextCursor = pageInfo.hasNextPage ? pageInfo.endCursor : null
    if (nextCursor === null) break
    cursor = nextCursor
  }
  return { nodes, nextCursor }
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/**
 * Whether an issue reference is a UUID rather than an identifier such as ENG-123. Queries take
 * either; mutations are given the UUID, looked up first when needed.
 *
 * @example
 * isUuid('ENG-123') // false
 */
export function isUuid(value: string): boolean {
  return uuidPattern.test(value)
}
