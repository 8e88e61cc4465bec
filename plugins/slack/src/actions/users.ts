/**
 * The people of the workspace: listing them and finding one by email address.
 */
import { Type, defineAction } from '@toolplane/sdk'
import { User, toUser } from '../shapes.js'
import type { RawUser } from '../shapes.js'
import { callSlack, readPages } from '../web-api.js'

// Slack recommends pages of no more than 200 items.
const PAGE_SIZE = 200

const exampleUser = {
  id: 'U0123456789',
  teamId: 'T0123456789',
  handle: 'ada',
  realName: 'Ada Lovelace',
  displayName: 'ada',
  email: 'ada@example.com',
  title: 'Engineer',
  isBot: false,
  isAdmin: false,
  deleted: false,
  timeZone: 'Europe/London',
  avatarUrl: 'https://avatars.slack-edge.com/2021-03-01/ada_192.png',
}

/** Lists the workspace's members, bots included (`users.list`). */
export const listUsers = defineAction({
  name: 'list_users',
  title: 'List users',
  description:
    'Lists the members of the Slack workspace (people and bots, including deactivated ones, marked deleted) with their IDs, names and time zones — use it to find a user ID to mention as <@U…> or to DM. Emails are included only with the users:read.email scope. Follows pages up to limit; pass nextCursor back as cursor to read more.',
  input: Type.Object({
    limit: Type.Integer({
      minimum: 1,
      maximum: 1000,
      default: 100,
      description: 'The most users to return, over as many pages as needed',
    }),
    cursor: Type.Optional(Type.String({ minLength: 1, description: 'The nextCursor of an earlier call' })),
  }),
  output: Type.Object({
    users: Type.Array(User),
    nextCursor: Type.Union([Type.String(), Type.Null()], {
      description: 'Pass it as cursor to read on; null when there is nothing more',
    }),
  }),
  examples: [
    {
      title: 'The first 100 members',
      input: { limit: 100 },
      output: { users: [exampleUser], nextCursor: null },
    },
  ],
  retry: { idempotent: true },
  scopes: ['users:read'],
  async run({ http, input }) {
    const { items, nextCursor } = await readPages(
      input.cursor,
      input.limit,
      PAGE_SIZE,
      async (cursor, count) => {
        const body = await callSlack<{ members?: RawUser[] }>(http, 'users.list', {
          query: { limit: count, cursor },
        })
        return { items: body.members ?? [], nextCursor: body.response_metadata?.next_cursor ?? '' }
      },
    )
    return { users: items.map(toUser), nextCursor }
  },
})

/** Finds a member by email address (`users.lookupByEmail`). */
export const lookupUserByEmail = defineAction({
  name: 'lookup_user_by_email',
  title: 'Find a user by email',
  description:
    'Finds the Slack member with this email address and returns their user ID and profile — use it to mention or DM someone known by email. Fails with not_found when no member of the workspace has that address. Needs the users:read.email scope.',
  input: Type.Object({
    email: Type.String({ format: 'email', description: 'The address the person signed up to Slack with' }),
  }),
  output: User,
  examples: [{ title: 'Find Ada', input: { email: 'ada@example.com' }, output: exampleUser }],
  retry: { idempotent: true },
  scopes: ['users:read', 'users:read.email'],
  async run({ http, input }) {
    const body = await callSlack<{ user: RawUser }>(http, 'users.lookupByEmail', {
      query: { email: input.email },
    })
    return toUser(body.user)
  },
})
