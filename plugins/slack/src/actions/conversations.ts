/**
 * Reading conversations: which channels there are, and what was said in one.
 */
import { Type, defineAction } from '@toolplane/sdk'
import { Channel, ChannelId, Message, toChannel, toMessage } from '../shapes.js'
import type { RawChannel, RawMessage } from '../shapes.js'
import { callSlack, readPages } from '../web-api.js'

const Cursor = Type.String({
  minLength: 1,
  description: 'The nextCursor of an earlier call, to continue where it stopped',
})

const NextCursor = Type.Union([Type.String(), Type.Null()], {
  description: 'Pass it as cursor to read on; null when there is nothing more',
})

const limit = (description: string) => Type.Integer({ minimum: 1, maximum: 1000, default: 100, description })

// A message ts, or any Unix time in seconds: Slack compares them as numbers.
const pointInTime = (description: string) =>
  Type.String({
    pattern: '^[0-9]+(\\.[0-9]+)?$',
    description: `${description}: a message ts or a Unix time in seconds, such as 1712300000`,
    examples: ['1712300000.000000'],
  })

// Slack recommends pages of no more than 200 items.
const PAGE_SIZE = 200

const ConversationType = Type.Union([
  Type.Literal('public_channel'),
  Type.Literal('private_channel'),
  Type.Literal('mpim'),
  Type.Literal('im'),
])

/** Lists the workspace's conversations of the given types (`conversations.list`). */
export const listChannels = defineAction({
  name: 'list_channels',
  title: 'List channels',
  description:
    'Lists the channels of the Slack workspace with their IDs, names, topics and whether the app is a member — use it to find a channel ID for the other actions. Public channels by default; private channels, group DMs and DMs need the types and the groups:read, mpim:read or im:read scopes (and show only those the app is in). Follows pages up to limit; pass nextCursor back as cursor to read more.',
  input: Type.Object({
    types: Type.Array(ConversationType, {
      minItems: 1,
      uniqueItems: true,
      default: ['public_channel'],
      description: 'Which kinds of conversation to list',
    }),
    excludeArchived: Type.Boolean({ default: true, description: 'Leave archived channels out' }),
    limit: limit('The most channels to return, over as many pages as needed'),
    cursor: Type.Optional(Cursor),
  }),
  output: Type.Object({ channels: Type.Array(Channel), nextCursor: NextCursor }),
  examples: [
    {
      title: 'The first 50 public channels',
      input: { types: ['public_channel'], excludeArchived: true, limit: 50 },
      output: {
        channels: [
          {
            id: 'C0123456789',
            name: 'general',
            type: 'public_channel',
            isArchived: false,
            isMember: true,
            memberCount: 42,
            topic: 'Company-wide announcements',
            purpose: null,
            userId: null,
            createdAt: '2021-03-01T09:00:00.000Z',
          },
        ],
        nextCursor: null,
      },
    },
  ],
  retry: { idempotent: true },
  scopes: ['channels:read'],
  async run({ http, input }) {
    const { items, nextCursor } = await readPages(
      input.cursor,
      input.limit,
      PAGE_SIZE,
      async (cursor, count) => {
        const body = await callSlack<{ channels?: RawChannel[] }>(http, 'conversations.list', {
          query: {
            types: input.types.join(','),
            exclude_archived: input.excludeArchived,
            limit: count,
            cursor,
          },
        })
        return { items: body.channels ?? [], nextCursor: body.response_metadata?.next_cursor ?? '' }
      },
    )
    return { channels: items.map(toChannel), nextCursor }
  },
})

/** Reads a conversation's messages, newest first (`conversations.history`). */
export const getChannelHistory = defineAction({
  name: 'get_channel_history',
  title: 'Read channel history',
  description:
    'Returns the messages of a channel or DM, newest first, optionally between two timestamps (oldest, latest). Thread replies are not included, only their parents with replyCount. The app must be a member of the channel (channels:history; groups:history for private channels). Follows pages up to limit; pass nextCursor back as cursor to read older messages.',
  input: Type.Object({
    channel: ChannelId,
    limit: limit('The most messages to return, over as many pages as needed'),
    oldest: Type.Optional(pointInTime('Only messages after this time')),
    latest: Type.Optional(pointInTime('Only messages before this time')),
    inclusive: Type.Optional(Type.Boolean({ description: 'Include messages exactly at oldest or latest' })),
    cursor: Type.Optional(Cursor),
  }),
  output: Type.Object({ messages: Type.Array(Message), nextCursor: NextCursor }),
  examples: [
    {
      title: 'The last 20 messages of a channel',
      input: { channel: 'C0123456789', limit: 20 },
      output: {
        messages: [
          {
            ts: '1712345678.123456',
            postedAt: '2024-04-05T19:34:38.123Z',
            subtype: null,
            userId: 'U0123456789',
            botId: null,
            text: 'Is the deploy done?',
            threadTs: '1712345678.123456',
            replyCount: 2,
            reactions: [{ name: 'eyes', count: 1 }],
          },
        ],
        nextCursor: 'bmV4dF90czoxNzEyMzQ1Njc4MTIzNDU2',
      },
    },
    {
      title: 'Messages since a point in time',
      input: { channel: 'C0123456789', limit: 100, oldest: '1712300000.000000' },
    },
  ],
  retry: { idempotent: true },
  scopes: ['channels:history'],
  async run({ http, input }) {
    const { items, nextCursor } = await readPages(
      input.cursor,
      input.limit,
      PAGE_SIZE,
      async (cursor, count) => {
        const body = await callSlack<{ messages?: RawMessage[]; has_more?: boolean }>(
          http,
          'conversations.history',
          {
            query: {
              channel: input.channel,
              limit: count,
              cursor,
              oldest: input.oldest,
              latest: input.latest,
              inclusive: input.inclusive,
            },
          },
        )
        const next = body.has_more === false ? '' : (body.response_metadata?.next_cursor ?? '')
        return { items: body.messages ?? [], nextCursor: next }
      },
    )
    return { messages: items.map(toMessage), nextCursor }
  },
})
