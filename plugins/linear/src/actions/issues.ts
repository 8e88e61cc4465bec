import { ActionError, Type, defineAction } from '@toolplane/sdk'
import { linearRequest } from '../graphql.js'
import {
  After,
  EntityId,
  First,
  ISSUE_FIELDS,
  Issue,
  IssueRef,
  MaxPages,
  NextCursor,
  TEAM_ID_EXAMPLE,
  readConnection,
  toIssue,
} from '../shapes.js'
import type { Connection, RawIssue } from '../shapes.js'
import { issueUuid } from './issue-id.js'

const STATE_TYPES = ['triage', 'backlog', 'unstarted', 'started', 'completed', 'canceled'] as const

const Priority = Type.Integer({
  minimum: 0,
  maximum: 4,
  description: '0 no priority, 1 urgent, 2 high, 3 medium, 4 low',
  examples: [2],
})
const DueDate = Type.String({ format: 'date', description: 'YYYY-MM-DD', examples: ['2025-07-01'] })

const LIST_ISSUES = `
  query ListIssues($first: Int!, $after: String, $filter: IssueFilter, $includeArchived: Boolean, $orderBy: PaginationOrderBy) {
    issues(first: $first, after: $after, filter: $filter, includeArchived: $includeArchived, orderBy: $orderBy) {
      nodes { ${ISSUE_FIELDS} }
      pageInfo { hasNextPage endCursor }
    }
  }
`

/** Lists issues by team, workflow state, assignee or label, following Relay pages up to `maxPages`. */
export const listIssues = defineAction({
  name: 'list_issues',
  title: 'List issues',
  description:
    'Lists Linear issues, most recently updated first, filtered by team (id or key), workflow state (type such as started, or name such as "In Review"), assignee (id or the signed-in user) and label name. Returns the issues and nextCursor; pass nextCursor back as after to continue.',
  input: Type.Object({
    teamId: Type.Optional(EntityId('Only issues of this team (a UUID from list_teams)', TEAM_ID_EXAMPLE)),
    teamKey: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 10,
        description: 'Only issues of the team with this key',
        examples: ['ENG'],
      }),
    ),
    stateType: Type.Optional(
      Type.Enum([...STATE_TYPES], { description: 'Only issues whose workflow state is of this type' }),
    ),
    stateName: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'Only issues in the workflow state with this name (any case)',
        examples: ['In Review'],
      }),
    ),
    assigneeId: Type.Optional(
      EntityId('Only issues assigned to this user', '4b3ea5d6-0b1f-4a5e-9a3b-3f2f6f8d2c11'),
    ),
    assignedToMe: Type.Optional(Type.Boolean({ description: 'Only issues assigned to the signed-in user' })),
    labelName: Type.Optional(
      Type.String({ minLength: 1, description: 'Only issues with this label', examples: ['Bug'] }),
    ),
    orderBy: Type.Optional(Type.Enum(['updatedAt', 'createdAt'], { default: 'updatedAt' })),
    includeArchived: Type.Optional(Type.Boolean({ default: false })),
    first: First,
    after: After,
    maxPages: MaxPages,
  }),
  output: Type.Object({ issues: Type.Array(Issue), nextCursor: NextCursor }),
  examples: [
    { title: 'My issues in progress', input: { assignedToMe: true, stateType: 'started', first: 25 } },
    { title: "A team's backlog", input: { teamKey: 'ENG', stateType: 'backlog', maxPages: 2 } },
  ],
  retry: { idempotent: true },
  scopes: ['read'],
  async run({ http, input }) {
    const filter = issueFilter(input)
    const { nodes, nextCursor } = await readConnection(input, async (first, after) => {
      const data = await linearRequest<{ issues: Connection<RawIssue> }>(http, LIST_ISSUES, {
        first,
        after,
        filter,
        includeArchived: input.includeArchived,
        orderBy: input.orderBy,
      })
      return data.issues
    })
    return { issues: nodes.map(toIssue), nextCursor }
  },
})

interface IssueFilterInput {
  teamId?: string
  teamKey?: string
  stateType?: string
  stateName?: string
  assigneeId?: string
  assignedToMe?: boolean
  labelName?: string
}

/** Linear's `IssueFilter` for the filters given; `undefined` for none. */
function issueFilter(input: IssueFilterInput): Record<string, unknown> | undefined {
  const filter: Record<string, unknown> = {}
  const team: Record<string, unknown> = {}
  if (input.teamId !== undefined) team.id = { eq: input.teamId }
  if (input.teamKey !== undefined) team.key = { eq: input.teamKey }
  if (Object.keys(team).length > 0) filter.team = team
  const state: Record<string, unknown> = {}
  if (input.stateType !== undefined) state.type = { eq: input.stateType }
  if (input.stateName !== undefined) state.name = { eqIgnoreCase: input.stateName }
  if (Object.keys(state).length > 0) filter.state = state
  const assignee: Record<string, unknown> = {}
  if (input.assigneeId !== undefined) assignee.id = { eq: input.assigneeId }
  if (input.assignedToMe === true) assignee.isMe = { eq: true }
  if (Object.keys(assignee).length > 0) filter.assignee = assignee
  if (input.labelName !== undefined) filter.labels = { name: { eqIgnoreCase: input.labelName } }
  return Object.keys(filter).length > 0 ? filter : undefined
}

const GET_ISSUE = `
  query GetIssue($id: String!) {
    issue(id: $id) { ${ISSUE_FIELDS} }
  }
`

/** Reads one issue by identifier or UUID. */
export const getIssue = defineAction({
  name: 'get_issue',
  title: 'Get an issue',
  description:
    'Reads one Linear issue by its identifier (ENG-123) or UUID: title, Markdown description, state, priority, team, assignee, labels and dates.',
  input: Type.Object({ id: IssueRef }),
  output: Issue,
  examples: [{ title: 'By identifier', input: { id: 'ENG-123' } }],
  retry: { idempotent: true },
  scopes: ['read'],
  async run({ http, input }) {
    const data = await linearRequest<{ issue: RawIssue }>(http, GET_ISSUE, { id: input.id })
    return toIssue(data.issue)
  },
})

const CREATE_ISSUE = `
  mutation CreateIssue($input: IssueCreateInput!) {
    issueCreate(input: $input) {
      success
      issue { ${ISSUE_FIELDS} }
    }
  }
`

/** Creates an issue in a team. Not retried once sent: a second attempt would create a second issue. */
export const createIssue = defineAction({
  name: 'create_issue',
  title: 'Create an issue',
  description:
    'Creates a Linear issue in a team (teamId from list_teams) with a title and optional Markdown description, priority (1 urgent … 4 low), labels, assignee, workflow state and due date. Each call creates a new issue, so do not call it again to retry.',
  input: Type.Object({
    teamId: EntityId('The team to create the issue in (a UUID from list_teams)', TEAM_ID_EXAMPLE),
    title: Type.String({ minLength: 1, maxLength: 512, examples: ['Checkout fails for saved cards'] }),
    description: Type.Optional(Type.String({ maxLength: 100000, description: 'Markdown' })),
    priority: Type.Optional(Priority),
    labelIds: Type.Optional(
      Type.Array(EntityId('A label id', 'e0b2a0f4-5d7e-4a36-9a35-4f3c1b0fcd21'), { maxItems: 50 }),
    ),
    assigneeId: Type.Optional(EntityId('The user to assign', '4b3ea5d6-0b1f-4a5e-9a3b-3f2f6f8d2c11')),
    stateId: Type.Optional(
      EntityId(
        'A workflow state of the team; the team default when left out',
        'a8c1f2d0-3b4e-4f5a-8b6c-7d8e9f0a1b2c',
      ),
    ),
    projectId: Type.Optional(
      EntityId('The project to add the issue to', 'c3d4e5f6-a7b8-4c9d-8e0f-1a2b3c4d5e6f'),
    ),
    parentId: Type.Optional(
      EntityId('The parent issue, to make this a sub-issue', 'd4e5f6a7-b8c9-4d0e-8f1a-2b3c4d5e6f70'),
    ),
    dueDate: Type.Optional(DueDate),
  }),
  output: Issue,
  examples: [
    {
      title: 'A high-priority bug',
      input: {
        teamId: TEAM_ID_EXAMPLE,
        title: 'Checkout fails for saved cards',
        description: 'Steps to reproduce:\n1. Save a card\n2. Check out',
        priority: 2,
      },
    },
  ],
  retry: { idempotent: false },
  scopes: ['issues:create'],
  async run({ http, input }) {
    const data = await linearRequest<{ issueCreate: { success: boolean; issue: RawIssue | null } }>(
      http,
      CREATE_ISSUE,
      {
        input: {
          teamId: input.teamId,
          title: input.title,
          description: input.description,
          priority: input.priority,
          labelIds: input.labelIds,
          assigneeId: input.assigneeId,
          stateId: input.stateId,
          projectId: input.projectId,
          parentId: input.parentId,
          dueDate: input.dueDate,
        },
      },
    )
    return mutated(data.issueCreate, 'create')
  },
})

const UPDATE_ISSUE = `
  mutation UpdateIssue($id: String!, $input: IssueUpdateInput!) {
    issueUpdate(id: $id, input: $input) {
      success
      issue { ${ISSUE_FIELDS} }
    }
  }
`

/** Changes an issue's fields. */
export const updateIssue = defineAction({
  name: 'update_issue',
  title: 'Update an issue',
  description:
    'Changes a Linear issue addressed by identifier (ENG-123) or UUID: title, Markdown description, priority, workflow state (stateId, for example to mark it done), assignee (null to unassign), labels (replacing the current ones) or due date (null to clear). Fields left out stay as they are.',
  input: Type.Object({
    id: IssueRef,
    title: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })),
    description: Type.Optional(Type.String({ maxLength: 100000, description: 'Markdown' })),
    priority: Type.Optional(Priority),
    stateId: Type.Optional(
      EntityId('The workflow state to move the issue to', 'a8c1f2d0-3b4e-4f5a-8b6c-7d8e9f0a1b2c'),
    ),
    assigneeId: Type.Optional(
      Type.Union([EntityId('The user to assign', '4b3ea5d6-0b1f-4a5e-9a3b-3f2f6f8d2c11'), Type.Null()], {
        description: 'The user to assign, or null to unassign',
      }),
    ),
    labelIds: Type.Optional(
      Type.Array(EntityId('A label id', 'e0b2a0f4-5d7e-4a36-9a35-4f3c1b0fcd21'), {
        maxItems: 50,
        description: 'Replaces all labels',
      }),
    ),
    dueDate: Type.Optional(
      Type.Union([DueDate, Type.Null()], { description: 'YYYY-MM-DD, or null to clear' }),
    ),
  }),
  output: Issue,
  examples: [
    {
      title: 'Raise the priority and reassign',
      input: { id: 'ENG-123', priority: 1, assigneeId: '4b3ea5d6-0b1f-4a5e-9a3b-3f2f6f8d2c11' },
    },
  ],
  // Setting the same fields twice leaves the issue as setting them once.
  retry: { idempotent: true },
  scopes: ['write'],
  async run({ http, input }) {
    const changes = definedFields({
      title: input.title,
      description: input.description,
      priority: input.priority,
      stateId: input.stateId,
      assigneeId: input.assigneeId,
      labelIds: input.labelIds,
      dueDate: input.dueDate,
    })
    if (Object.keys(changes).length === 0) {
      throw new ActionError('validation_error', 'Give at least one field to change', { requestSent: false })
    }
    const data = await linearRequest<{ issueUpdate: { success: boolean; issue: RawIssue | null } }>(
      http,
      UPDATE_ISSUE,
      { id: await issueUuid(http, input.id), input: changes },
    )
    return mutated(data.issueUpdate, 'update')
  },
})

// A field left out stays as it is; null (unassign, clear the due date) is a change.
function definedFields(fields: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined))
}

function mutated(payload: { success: boolean; issue: RawIssue | null }, what: string): Issue {
  if (!payload.success || payload.issue === null) {
    throw new ActionError('upstream_error', `Linear reported that it could not ${what} the issue`, {
      requestSent: true,
    })
  }
  return toIssue(payload.issue)
}

const SEARCH_ISSUES = `
  query SearchIssues($term: String!, $first: Int!, $after: String, $teamId: String, $includeComments: Boolean, $includeArchived: Boolean) {
    searchIssues(term: $term, first: $first, after: $after, teamId: $teamId, includeComments: $includeComments, includeArchived: $includeArchived) {
      nodes { ${ISSUE_FIELDS} }
      pageInfo { hasNextPage endCursor }
      totalCount
    }
  }
`

/** Full-text search over issues. */
export const searchIssues = defineAction({
  name: 'search_issues',
  title: 'Search issues',
  description:
    'Searches Linear issues by text in their title, description and optionally comments, ranked by relevance, optionally within one team. Returns matching issues, the total count and nextCursor; pass nextCursor back as after to continue.',
  input: Type.Object({
    term: Type.String({
      minLength: 1,
      maxLength: 256,
      description: 'The words to search for',
      examples: ['checkout saved card'],
    }),
    teamId: Type.Optional(EntityId("Search only this team's issues", TEAM_ID_EXAMPLE)),
    includeComments: Type.Optional(Type.Boolean({ default: false, description: 'Also match comment text' })),
    includeArchived: Type.Optional(Type.Boolean({ default: false })),
    first: First,
    after: After,
    maxPages: MaxPages,
  }),
  output: Type.Object({
    issues: Type.Array(Issue),
    totalCount: Type.Integer({ description: 'All matches, not only those returned' }),
    nextCursor: NextCursor,
  }),
  examples: [{ title: 'Find checkout bugs', input: { term: 'checkout saved card', first: 10 } }],
  retry: { idempotent: true },
  scopes: ['read'],
  async run({ http, input }) {
    let totalCount = 0
    const { nodes, nextCursor } = await readConnection(input, async (first, after) => {
      const data = await linearRequest<{ searchIssues: Connection<RawIssue> & { totalCount: number } }>(
        http,
        SEARCH_ISSUES,
        {
          term: input.term,
          first,
          after,
          teamId: input.teamId,
          includeComments: input.includeComments,
          includeArchived: input.includeArchived,
        },
      )
      totalCount = data.searchIssues.totalCount
      return data.searchIssues
    })
    return { issues: nodes.map(toIssue), totalCount, nextCursor }
  },
})
