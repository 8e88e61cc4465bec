import { Type, defineAction } from '@toolplane/sdk'
import { linearRequest } from '../graphql.js'
import { After, First, MaxPages, NextCursor, readConnection } from '../shapes.js'
import type { Connection } from '../shapes.js'

const State = Type.Object({ id: Type.String(), name: Type.String(), type: Type.String() })

const Team = Type.Object({
  id: Type.String(),
  key: Type.String({ description: "The prefix of the team's issue identifiers, such as ENG" }),
  name: Type.String(),
  description: Type.Union([Type.String(), Type.Null()]),
  private: Type.Boolean(),
  states: Type.Array(State, { description: "The team's workflow states, for stateId in create_issue" }),
})

interface RawTeam {
  id: string
  key: string
  name: string
  description: string | null
  private: boolean
  states: { nodes: { id: string; name: string; type: string }[] }
}

const LIST_TEAMS = `
  query ListTeams($first: Int!, $after: String) {
    teams(first: $first, after: $after) {
      nodes {
        id
        key
        name
        description
        private
        states(first: 50) { nodes { id name type } }
      }
      pageInfo { hasNextPage endCursor }
    }
  }
`

/** The teams the credential can see, with their workflow states. */
export const listTeams = defineAction({
  name: 'list_teams',
  title: 'List teams',
  description:
    "Lists the Linear teams the credential can see, with each team's id, key (the ENG in ENG-123) and workflow states. Call it first to find the teamId and stateId that create_issue and list_issues take.",
  input: Type.Object({ first: First, after: After, maxPages: MaxPages }),
  output: Type.Object({ teams: Type.Array(Team), nextCursor: NextCursor }),
  examples: [{ title: 'All teams', input: { first: 50 } }],
  retry: { idempotent: true },
  scopes: ['read'],
  async run({ http, input }) {
    const { nodes, nextCursor } = await readConnection(input, async (first, after) => {
      const data = await linearRequest<{ teams: Connection<RawTeam> }>(http, LIST_TEAMS, { first, after })
      return data.teams
    })
    return {
      teams: nodes.map((team) => ({
        id: team.id,
        key: team.key,
        name: team.name,
        description: team.description,
        private: team.private,
        states: team.states.nodes,
      })),
      nextCursor,
    }
  },
})
