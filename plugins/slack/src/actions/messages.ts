/**
 * Writing to Slack: posting and editing messages, reacting to them.
 */
import { ActionError, Type, defineAction } from '@toolplane/sdk'
import { ChannelId, timestamp, tsToIso } from '../shapes.js'
import type { RawMessage } from '../shapes.js'
import { SlackError, callSlack } from '../web-api.js'

// Block Kit is large and versioned by Slack; blocks pass through as given and Slack validates them.
const Block = Type.Unsafe<{ type: string } & Record<string, unknown>>(
  Type.Object(
    {
      type: Type.String({ minLength: 1, description: 'The block type, such as section, header or divider' }),
    },
    { additionalProperties: true },
  ),
)

const Blocks = Type.Array(Block, {
  minItems: 1,
  maxItems: 50,
  description: 'Block Kit blocks, passed to Slack as they are (https://api.slack.com/block-kit)',
})

const MessageText = Type.String({
  minLength: 1,
  maxLength: 40000,
  description:
    'The message in Slack mrkdwn (*bold*, _italic_, <https://example.com|links>, <@U0123456789> mentions). With blocks it is the notification fallback.',
})

function requireContent(text: string | undefined, blocks: readonly unknown[] | undefined): void {
  if (text === undefined && blocks === undefined) {
    throw new ActionError('validation_error', 'Give the message a text, blocks, or both', {
      requestSent: false,
      suggestions: [
        {
          title: 'Add a text',
          detail: 'Slack needs text or blocks; with blocks, text is the notification fallback.',
        },
      ],
    })
  }
}

/** Posts a message to a channel, a direct message or a thread (`chat.postMessage`). */
export const postMessage = defineAction({
  name: 'post_message',
  title: 'Post a message',
  description:
    "Posts a message to a Slack channel, direct message or thread as the app's bot user. Give text (Slack mrkdwn), Block Kit blocks, or both. To reply in a thread, pass the parent message's ts as threadTs. The bot must be a member of private channels; for public channels it needs membership or the chat:write.public scope. Returns the new message's ts, which identifies it for update_message and add_reaction.",
  input: Type.Object({
    channel: Type.String({
      minLength: 1,
      description:
        'A channel ID (C0123456789), a channel name (#general) or a user ID (U…) for a direct message',
      examples: ['C0123456789'],
    }),
    text: Type.Optional(MessageText),
    blocks: Type.Optional(Blocks),
    threadTs: Type.Optional(timestamp('Reply in the thread of the parent message with this ts')),
    replyBroadcast: Type.Optional(
      Type.Boolean({ description: 'With threadTs: also show the reply in the channel', default: false }),
    ),
    unfurlLinks: Type.Optional(Type.Boolean({ description: 'Show previews of links in the text' })),
  }),
  output: Type.Object({
    channel: Type.String(),
    ts: Type.String(),
    postedAt: Type.String({ format: 'date-time' }),
    threadTs: Type.Union([Type.String(), Type.Null()]),
    text: Type.String(),
  }),
  examples: [
    {
      title: 'Announce a deploy',
      input: { channel: 'C0123456789', text: 'Deploy of *api* v2.14.0 finished :rocket:' },
      output: {
        channel: 'C0123456789',
        ts: '1712345678.123456',
        postedAt: '2024-04-05T19:34:38.123Z',
        threadTs: null,
        text: 'Deploy of *api* v2.14.0 finished :rocket:',
      },
    },
    {
      title: 'Reply in a thread with blocks',
      input: {
        channel: 'C0123456789',
        threadTs: '1712345678.123456',
        text: 'Rollback done',
        blocks: [{ type: 'section', text: { type: 'mrkdwn', text: '*Rollback done* — v2.13.2 is live' } }],
      },
    },
  ],
  // Posting twice posts two messages.
  retry: { idempotent: false },
  scopes: ['chat:write'],
  async run({ http, input }) {
    requireContent(input.text, input.blocks)
    const body = await callSlack<{ channel: string; ts: string; message?: RawMessage }>(
      http,
      'chat.postMessage',
      {
        json: {
          channel: input.channel,
          text: input.text,
          blocks: input.blocks,
          thread_ts: input.threadTs,
          reply_broadcast: input.threadTs === undefined ? undefined : input.replyBroadcast,
          unfurl_links: input.unfurlLinks,
        },
      },
    )
    return {
      channel: body.channel,
      ts: body.ts,
      postedAt: tsToIso(body.ts),
      threadTs: body.message?.thread_ts ?? input.threadTs ?? null,
      text: body.message?.text ?? input.text ?? '',
    }
  },
})

/** Replaces the text or blocks of a message the app posted (`chat.update`). */
export const updateMessage = defineAction({
  name: 'update_message',
  title: 'Edit a message',
  description:
    'Replaces the text and/or blocks of a message the app posted earlier, identified by its channel ID and ts (from post_message). Apps can only edit their own messages. Blocks given replace the old blocks; text alone keeps none.',
  input: Type.Object({
    channel: ChannelId,
    ts: timestamp('The ts of the message to edit, as post_message returned it'),
    text: Type.Optional(MessageText),
    blocks: Type.Optional(Blocks),
  }),
  output: Type.Object({ channel: Type.String(), ts: Type.String(), text: Type.String() }),
  examples: [
    {
      title: 'Mark a deploy message as done',
      input: {
        channel: 'C0123456789',
        ts: '1712345678.123456',
        text: 'Deploy of *api* v2.14.0 — :white_check_mark: verified',
      },
      output: {
        channel: 'C0123456789',
        ts: '1712345678.123456',
        text: 'Deploy of *api* v2.14.0 — :white_check_mark: verified',
      },
    },
  ],
  // Setting a message to the same content twice leaves it as setting it once.
  retry: { idempotent: true },
  scopes: ['chat:write'],
  async run({ http, input }) {
    requireContent(input.text, input.blocks)
    const body = await callSlack<{ channel: string; ts: string; text?: string }>(http, 'chat.update', {
      json: { channel: input.channel, ts: input.ts, text: input.text, blocks: input.blocks },
    })
    return { channel: body.channel, ts: body.ts, text: body.text ?? input.text ?? '' }
  },
})

/** Adds an emoji reaction to a message (`reactions.add`); reacting twice is not an error. */
export const addReaction = defineAction({
  name: 'add_reaction',
  title: 'React to a message',
  description:
    'Adds an emoji reaction from the app to a message, identified by its channel ID and ts. The emoji is its name without colons (thumbsup, white_check_mark, or a custom emoji). If the app already reacted with that emoji, this succeeds and says so.',
  input: Type.Object({
    channel: ChannelId,
    ts: timestamp('The ts of the message to react to'),
    name: Type.String({
      pattern: "^:?[a-z0-9_+'-]+(::skin-tone-[2-6])?:?$",
      description: 'The emoji name, such as thumbsup or white_check_mark; surrounding colons are removed',
      examples: ['white_check_mark'],
    }),
  }),
  output: Type.Object({
    channel: Type.String(),
    ts: Type.String(),
    name: Type.String(),
    alreadyReacted: Type.Boolean({ description: 'The app had already reacted with this emoji' }),
  }),
  examples: [
    {
      title: 'Acknowledge a request',
      input: { channel: 'C0123456789', ts: '1712345678.123456', name: 'eyes' },
      output: { channel: 'C0123456789', ts: '1712345678.123456', name: 'eyes', alreadyReacted: false },
    },
  ],
  // Slack answers `already_reacted` to a repeat, which this action counts as success.
  retry: { idempotent: true },
  scopes: ['reactions:write'],
  async run({ http, input }) {
    const name = input.name.replace(/^:/, '').replace(/:$/, '')
    const result = { channel: input.channel, ts: input.ts, name }
    try {
      await callSlack(http, 'reactions.add', { json: { channel: input.channel, timestamp: input.ts, name } })
    } catch (error) {
      if (error instanceof SlackError && error.code === 'already_reacted') {
        return { ...result, alreadyReacted: true }
      }
      throw error
    }
    return { ...result, alreadyReacted: false }
  },
})
