import { runAction, runHealthCheck, validate, validateTool } from '@toolplane/sdk'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import slack, { slackOAuth } from './index.js'
import { BOT_TOKEN, REVOKED_TOKEN, startFakeSlack } from './testing/fake-slack.js'
import type { FakeSlack } from './testing/fake-slack.js'

let fake: FakeSlack
beforeAll(async () => {
  fake = await startFakeSlack()
})
afterAll(() => fake.close())
beforeEach(() => {
  fake.reset()
})

const check = (token: string) =>
  runHealthCheck(slack, {
    credential: { authMethod: 'bearer', secrets: { token } },
    baseUrl: fake.baseUrl,
    allowPrivateNetwork: true,
  })

// The health check's own answer, which runHealthCheck keeps only when the check fails.
// What the health check said: runHealthCheck keeps a passing check's detail too.
const detailOf = async (token: string) => (await check(token)).detail

describe('the slack tool', () => {
  it('passes the checks the server runs before serving a plugin', () => {
    expect(validateTool(slack)).toEqual([])
  })

  it('offers seven actions, a bot token and Slack OAuth with comma-separated bot scopes', () => {
    expect(slack.actions.map((action) => action.name)).toEqual([
      'post_message',
      'update_message',
      'add_reaction',
      'list_channels',
      'get_channel_history',
      'list_users',
      'lookup_user_by_email',
    ])
    expect(slack.authMethods.map((method) => method.id)).toEqual(['bearer', 'oauth2'])
    expect(slackOAuth).toMatchObject({
      authorizationUrl: 'https://slack.com/oauth/v2/authorize',
      tokenUrl: 'https://slack.com/api/oauth.v2.access',
      scopeSeparator: ',',
    })
    expect(slackOAuth.scopes).toContain('chat:write')
  })

  it.each(slack.actions.map((action) => [action.name, action] as const))(
    'has a first example for %s that its input schema accepts',
    (_name, action) => {
      const example = action.examples[0]
      expect(example).toBeDefined()
      expect(validate(action.input, example?.input)).toMatchObject({ ok: true })
    },
  )

  it('declares a rate limit for every action on its own, since Slack limits each method on its own', () => {
    const perAction = Object.fromEntries(
      slack.rateLimits.map((limit) => [limit.actions?.join() ?? 'all', limit.limit]),
    )
    expect(perAction).toEqual({
      post_message: 60,
      update_message: 50,
      add_reaction: 50,
      list_channels: 20,
      get_channel_history: 50,
      list_users: 20,
      lookup_user_by_email: 50,
    })
    expect(
      slack.rateLimits.every((limit) => limit.scope === 'credential' && limit.windowSeconds === 60),
    ).toBe(true)
  })

  it('only promises safe retries for actions that can run twice', () => {
    const idempotent = Object.fromEntries(
      slack.actions.map((action) => [action.name, action.retry.idempotent]),
    )
    expect(idempotent.post_message).toBe(false)
    expect(idempotent.add_reaction).toBe(true)
    expect(idempotent.list_channels).toBe(true)
  })
})

describe('the health check', () => {
  it('passes with a working bot token', async () => {
    const result = await check(BOT_TOKEN)
    expect(result).toMatchObject({ ok: true, checked: true })
    expect(fake.calls()).toMatchObject([{ method: 'auth.test', http: 'GET' }])
    expect(fake.requests[0]?.headers.authorization).toBe(`Bearer ${BOT_TOKEN}`)
  })

  it('says which workspace and bot user the token belongs to', async () => {
    expect(await detailOf(BOT_TOKEN)).toBe('Connected to Acme as deploybot')
    fake.failNext('auth.test', { ok: true })
    expect(await detailOf(BOT_TOKEN)).toBe('Connected to the workspace as the app')
  })

  it('fails as an auth error with a token Slack does not know', async () => {
    const result = await check('xoxb-not-a-real-token')
    expect(result).toMatchObject({ ok: false, errorClass: 'auth_error' })
    expect(result.ok ? '' : result.detail).toContain('invalid_auth')
  })

  it('reports a revoked token as an expired credential', async () => {
    expect(await check(REVOKED_TOKEN)).toMatchObject({ ok: false, errorClass: 'credential_expired' })
  })
})

describe('an OAuth credential', () => {
  it('sends the access token as Bearer even though Slack calls it a "bot" token', async () => {
    const { output } = await runAction(slack, 'lookup_user_by_email', {
      input: { email: 'ada@example.com' },
      credential: { authMethod: 'oauth2', secrets: { accessToken: BOT_TOKEN, tokenType: 'bot' } },
      baseUrl: fake.baseUrl,
      allowPrivateNetwork: true,
    })
    expect(output.id).toBe('U0000000001')
    expect(fake.requests[0]?.headers.authorization).toBe(`Bearer ${BOT_TOKEN}`)
  })
})
