import { ActionError, runAction } from '@toolplane/sdk'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import slack from '../index.js'
import { BOT_TOKEN, READ_ONLY_TOKEN, startFakeSlack } from '../testing/fake-slack.js'
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
const run = <N extends ActionName>(action: N, input: unknown, token = BOT_TOKEN) =>
  runAction(slack, action, {
    input,
    credential: { authMethod: 'bearer', secrets: { token } },
    baseUrl: fake.baseUrl,
    allowPrivateNetwork: true,
  })

describe('post_message', () => {
  it('posts JSON with the bot token and returns the new message ts', async () => {
    const { output } = await run('post_message', { channel: 'C000000001', text: 'Deploy of *api* finished' })
    const [call] = fake.calls()
    expect(call).toMatchObject({
      method: 'chat.postMessage',
      http: 'POST',
      params: { channel: 'C000000001', text: 'Deploy of *api* finished' },
    })
    expect(call?.headers.authorization).toBe(`Bearer ${BOT_TOKEN}`)
    expect(call?.headers['content-type']).toBe('application/json; charset=utf-8')
    expect(output).toEqual({
      channel: 'C000000001',
      ts: '1712400001.000200',
      postedAt: '2024-04-06T10:40:01.000Z',
      threadTs: null,
      text: 'Deploy of *api* finished',
    })
  })

  it('replies in a thread and passes Block Kit blocks through untouched', async () => {
    const blocks = [
      {
        type: 'section',
        text: { type: 'mrkdwn', text: '*Rollback done*' },
        accessory: { type: 'image', image_url: 'https://example.com/x.png', alt_text: 'x' },
      },
    ]
    const { output } = await run('post_message', {
      channel: 'C000000001',
      threadTs: '1712345690.000100',
      replyBroadcast: true,
      blocks,
    })
    expect(fake.calls()[0]?.params).toEqual({
      channel: 'C000000001',
      thread_ts: '1712345690.000100',
      reply_broadcast: true,
      blocks,
    })
    expect(output).toMatchObject({ threadTs: '1712345690.000100', text: '' })
  })

  it('accepts a channel name and leaves reply_broadcast out of top-level posts', async () => {
    await run('post_message', { channel: '#general', text: 'hi', replyBroadcast: true, unfurlLinks: false })
    expect(fake.calls()[0]?.params).toEqual({ channel: '#general', text: 'hi', unfurl_links: false })
  })

  it('falls back to what was sent when Slack does not echo the message', async () => {
    fake.failNext('chat.postMessage', { ok: true, channel: 'C000000001', ts: '1712400009.000100' })
    const { output } = await run('post_message', {
      channel: 'C000000001',
      text: 'hi',
      threadTs: '1712345690.000100',
    })
    expect(output).toMatchObject({ text: 'hi', threadTs: '1712345690.000100' })
  })

  it('refuses a message with neither text nor blocks without calling Slack', async () => {
    await expect(run('post_message', { channel: 'C000000001' })).rejects.toMatchObject({
      class: 'validation_error',
      requestSent: false,
    })
    expect(fake.requests).toHaveLength(0)
  })

  it('says a channel that does not exist is not found, with a way to find the ID', async () => {
    const error = await run('post_message', { channel: 'C999999999', text: 'hi' }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ActionError)
    expect(error).toMatchObject({
      class: 'not_found',
      httpStatus: 200,
      message: 'Slack refused chat.postMessage: channel_not_found',
    })
    expect((error as ActionError).suggestions[0]?.detail).toContain('list_channels')
  })

  it('names the missing scope when the token cannot write', async () => {
    const error = (await run('post_message', { channel: 'C000000001', text: 'hi' }, READ_ONLY_TOKEN).catch(
      (e: unknown) => e,
    )) as ActionError
    expect(error.class).toBe('permission_error')
    expect(error.message).toBe(
      'Slack refused chat.postMessage: the token lacks the chat:write scope (it has channels:read,users:read)',
    )
    expect(error.suggestions[0]?.title).toBe('Add the chat:write scope')
  })

  it('is rate limited with the wait Slack asks for in Retry-After', async () => {
    fake.rateLimitNext('chat.postMessage', 7)
    await expect(run('post_message', { channel: 'C000000001', text: 'hi' })).rejects.toMatchObject({
      class: 'rate_limited',
      httpStatus: 429,
      retryAfterMs: 7000,
      retryable: true,
    })
  })

  it('rejects an invalid credential as an auth error', async () => {
    await expect(
      run('post_message', { channel: 'C000000001', text: 'hi' }, 'xoxb-wrong'),
    ).rejects.toMatchObject({
      class: 'auth_error',
    })
  })
})

describe('update_message', () => {
  it('replaces the text of a message the app posted', async () => {
    const posted = await run('post_message', { channel: 'C000000002', text: 'Deploying…' })
    const { output } = await run('update_message', {
      channel: 'C000000002',
      ts: posted.output.ts,
      text: 'Deployed',
    })
    expect(fake.calls()[1]).toMatchObject({
      method: 'chat.update',
      http: 'POST',
      params: { channel: 'C000000002', ts: posted.output.ts, text: 'Deployed' },
    })
    expect(output).toEqual({ channel: 'C000000002', ts: posted.output.ts, text: 'Deployed' })
  })

  it('keeps the text as sent when only blocks change and Slack echoes no text', async () => {
    fake.failNext('chat.update', { ok: true, channel: 'C000000002', ts: '1712345690.000100' })
    const blocks = [{ type: 'divider' }]
    const { output } = await run('update_message', { channel: 'C000000002', ts: '1712345690.000100', blocks })
    expect(fake.calls()[0]?.params).toEqual({ channel: 'C000000002', ts: '1712345690.000100', blocks })
    expect(output.text).toBe('')
  })

  it("refuses to edit someone else's message with a permission error", async () => {
    await expect(
      run('update_message', { channel: 'C000000001', ts: '1712345690.000100', text: 'hijacked' }),
    ).rejects.toMatchObject({
      class: 'permission_error',
      message: 'Slack refused chat.update: cant_update_message',
    })
  })

  it('says a message that does not exist is not found', async () => {
    await expect(
      run('update_message', { channel: 'C000000001', ts: '1.2', text: 'x' }),
    ).rejects.toMatchObject({
      class: 'not_found',
    })
  })
})

describe('add_reaction', () => {
  it('reacts with the emoji name, colons removed', async () => {
    const { output } = await run('add_reaction', {
      channel: 'C000000001',
      ts: '1712345690.000100',
      name: ':eyes:',
    })
    expect(fake.calls()[0]).toMatchObject({
      method: 'reactions.add',
      http: 'POST',
      params: { channel: 'C000000001', timestamp: '1712345690.000100', name: 'eyes' },
    })
    expect(output).toEqual({
      channel: 'C000000001',
      ts: '1712345690.000100',
      name: 'eyes',
      alreadyReacted: false,
    })
  })

  it('treats reacting twice as success, so a retry never fails', async () => {
    const input = { channel: 'C000000001', ts: '1712345690.000100', name: 'white_check_mark' }
    await run('add_reaction', input)
    const { output } = await run('add_reaction', input)
    expect(output.alreadyReacted).toBe(true)
  })

  it('still fails for other errors, such as an unknown message', async () => {
    await expect(
      run('add_reaction', { channel: 'C000000001', ts: '1.5', name: 'eyes' }),
    ).rejects.toMatchObject({
      class: 'not_found',
      message: 'Slack refused reactions.add: message_not_found',
    })
  })
})
