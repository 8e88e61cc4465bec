import { runAction } from '@toolplane/sdk'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import slack from '../index.js'
import { BOT_TOKEN, startFakeSlack } from '../testing/fake-slack.js'
import type { FakeSlack } from '../testing/fake-slack.js'

let fake: FakeSlack
beforeAll(async () => {
  fake = await startFakeSlack()
})
afterAll(() => fake.close())
beforeEach(() => {
  fake.reset()
})

type ActionName = (typeof slack.actions)[number]['name']
const run = <N extends ActionName>(action: N, input: unknown) =>
  runAction(slack, action, {
    input,
    credential: { authMethod: 'bearer', secrets: { token: BOT_TOKEN } },
    baseUrl: fake.baseUrl,
    allowPrivateNetwork: true,
  })

describe('list_channels', () => {
  it('stops at the limit and returns a cursor that continues exactly where it stopped', async () => {
    const { output } = await run('list_channels', { limit: 4 })
    expect(output.channels.map((channel) => channel.name)).toEqual([
      'general',
      'random',
      'deploys',
      'incidents',
    ])
    expect(output.nextCursor).not.toBeNull()
    const calls = fake.calls()
    expect(calls).toHaveLength(1)
    expect(calls[0]).toMatchObject({
      method: 'conversations.list',
      http: 'GET',
      params: { types: 'public_channel', exclude_archived: 'true', limit: '4' },
    })

    const rest = await run('list_channels', { limit: 10, cursor: output.nextCursor })
    expect(rest.output.channels.map((channel) => channel.name)).toEqual(['design'])
    expect(rest.output.nextCursor).toBeNull()
    expect(fake.calls()[1]?.params.cursor).toBe(output.nextCursor)
  })

  it('follows next_cursor across several requests when Slack returns short pages', async () => {
    // Slack may return fewer items than asked for; here every page holds two channels.
    fake.failNext('conversations.list', {
      ok: true,
      channels: [
        {
          id: 'C000000001',
          name: 'general',
          is_member: true,
          created: 1614589200,
          topic: { value: 'Hello' },
        },
        { id: 'C000000002', name: 'random', is_private: true, is_archived: true, num_members: 3 },
      ],
      response_metadata: { next_cursor: Buffer.from('offset:2').toString('base64') },
    })
    const { output } = await run('list_channels', { limit: 3, types: ['public_channel', 'private_channel'] })
    expect(fake.calls().map((call) => [call.params.limit, call.params.cursor])).toEqual([
      ['3', undefined],
      ['1', Buffer.from('offset:2').toString('base64')],
    ])
    expect(fake.calls()[0]?.params.types).toBe('public_channel,private_channel')
    expect(output.channels).toEqual([
      {
        id: 'C000000001',
        name: 'general',
        type: 'public_channel',
        isArchived: false,
        isMember: true,
        memberCount: null,
        topic: 'Hello',
        purpose: null,
        userId: null,
        createdAt: '2021-03-01T09:00:00.000Z',
      },
      {
        id: 'C000000002',
        name: 'random',
        type: 'private_channel',
        isArchived: true,
        isMember: false,
        memberCount: 3,
        topic: null,
        purpose: null,
        userId: null,
        createdAt: null,
      },
      expect.objectContaining({ name: 'deploys' }),
    ])
  })

  it('describes direct messages by the person on the other side', async () => {
    fake.failNext('conversations.list', {
      ok: true,
      channels: [
        { id: 'D000000001', is_im: true, user: 'U0000000001', created: 1614589200 },
        { id: 'G000000001', name: 'mpdm-ada--grace-1', is_mpim: true, is_private: true, is_member: true },
      ],
      response_metadata: { next_cursor: '' },
    })
    const { output } = await run('list_channels', { types: ['im', 'mpim'] })
    expect(
      output.channels.map(({ type, name, userId, isMember }) => ({ type, name, userId, isMember })),
    ).toEqual([
      { type: 'im', name: null, userId: 'U0000000001', isMember: true },
      { type: 'mpim', name: 'mpdm-ada--grace-1', userId: null, isMember: true },
    ])
  })

  it('copes with a page that has no channels and no cursor', async () => {
    fake.failNext('conversations.list', { ok: true })
    const { output } = await run('list_channels', {})
    expect(output).toEqual({ channels: [], nextCursor: null })
  })

  it('rejects a limit above what the action allows before calling Slack', async () => {
    await expect(run('list_channels', { limit: 5000 })).rejects.toMatchObject({ class: 'validation_error' })
    expect(fake.requests).toHaveLength(0)
  })
})

describe('get_channel_history', () => {
  it('reads messages newest first over two pages, with threads and reactions', async () => {
    const first = await run('get_channel_history', { channel: 'C000000001', limit: 2 })
    expect(first.output.messages).toEqual([
      {
        ts: '1712345690.000100',
        postedAt: '2024-04-05T19:34:50.000Z',
        subtype: null,
        userId: 'U0000000001',
        botId: null,
        text: 'message 5',
        threadTs: '1712345690.000100',
        replyCount: 2,
        reactions: [],
      },
      expect.objectContaining({ text: 'message 4', reactions: [{ name: 'eyes', count: 1 }] }),
    ])
    expect(first.output.nextCursor).not.toBeNull()
    const second = await run('get_channel_history', {
      channel: 'C000000001',
      limit: 10,
      cursor: first.output.nextCursor,
    })
    expect(second.output.messages.map((message) => message.text)).toEqual([
      'message 3',
      'message 2',
      'message 1',
    ])
    expect(second.output.nextCursor).toBeNull()
    expect(fake.calls()[0]).toMatchObject({
      method: 'conversations.history',
      http: 'GET',
      params: { channel: 'C000000001', limit: '2' },
    })
  })

  it('trusts has_more: false over a leftover cursor, and fills in what bot messages lack', async () => {
    fake.failNext('conversations.history', {
      ok: true,
      messages: [{ type: 'message', subtype: 'bot_message', ts: '1712345690.5', bot_id: 'B0FAKEBOT01' }],
      has_more: false,
      response_metadata: { next_cursor: 'bGVmdG92ZXI=' },
    })
    const { output } = await run('get_channel_history', { channel: 'C000000001' })
    expect(output).toEqual({
      messages: [
        {
          ts: '1712345690.5',
          postedAt: '2024-04-05T19:34:50.500Z',
          subtype: 'bot_message',
          userId: null,
          botId: 'B0FAKEBOT01',
          text: '',
          threadTs: null,
          replyCount: 0,
          reactions: [],
        },
      ],
      nextCursor: null,
    })
    fake.failNext('conversations.history', { ok: true })
    expect((await run('get_channel_history', { channel: 'C000000001' })).output).toEqual({
      messages: [],
      nextCursor: null,
    })
  })

  it('passes the time window to Slack', async () => {
    const { output } = await run('get_channel_history', {
      channel: 'C000000001',
      oldest: '1712345660',
      latest: '1712345690.000100',
      inclusive: false,
    })
    expect(fake.calls()[0]?.params).toMatchObject({
      oldest: '1712345660',
      latest: '1712345690.000100',
      inclusive: 'false',
    })
    expect(output.messages.map((message) => message.text)).toEqual(['message 4', 'message 3', 'message 2'])
  })

  it('asks to invite the bot when it is not in the channel', async () => {
    const error = await run('get_channel_history', { channel: 'C000000004' }).catch((e: unknown) => e)
    expect(error).toMatchObject({
      class: 'permission_error',
      message: 'Slack refused conversations.history: not_in_channel',
    })
    expect(JSON.stringify(error)).toContain('/invite')
  })

  it('says an unknown channel is not found', async () => {
    await expect(run('get_channel_history', { channel: 'C999' })).rejects.toMatchObject({
      class: 'not_found',
    })
  })

  it('is rate limited with the wait from Retry-After', async () => {
    fake.rateLimitNext('conversations.history', 30)
    await expect(run('get_channel_history', { channel: 'C000000001' })).rejects.toMatchObject({
      class: 'rate_limited',
      retryAfterMs: 30_000,
    })
  })
})
