import { runAction } from '@toolplane/sdk'
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

describe('list_users', () => {
  it('lists people and bots with the fields needed to mention them', async () => {
    const { output } = await run('list_users', {})
    expect(output.nextCursor).toBeNull()
    expect(output.users).toEqual([
      {
        id: 'U0000000001',
        teamId: 'T0000000001',
        handle: 'ada',
        realName: 'Ada Lovelace',
        displayName: 'ada',
        email: 'ada@example.com',
        title: 'Engineer',
        isBot: false,
        isAdmin: true,
        deleted: false,
        timeZone: 'Europe/London',
        avatarUrl: 'https://avatars.example.com/ada_192.png',
      },
      expect.objectContaining({
        id: 'U0000000002',
        realName: 'Grace Hopper',
        displayName: null,
        timeZone: null,
      }),
      expect.objectContaining({ id: 'U0000000003', isBot: true }),
    ])
    expect(fake.calls()[0]).toMatchObject({ method: 'users.list', http: 'GET', params: { limit: '100' } })
  })

  it('pages with a cursor', async () => {
    const first = await run('list_users', { limit: 2 })
    expect(first.output.users).toHaveLength(2)
    const second = await run('list_users', { limit: 2, cursor: first.output.nextCursor })
    expect(second.output.users.map((user) => user.handle)).toEqual(['deploybot'])
    expect(second.output.nextCursor).toBeNull()
  })

  it('fills in what a sparse member record lacks', async () => {
    fake.failNext('users.list', { ok: true, members: [{ id: 'U0000000009', real_name: 'Old Name' }] })
    const { output } = await run('list_users', {})
    expect(output).toEqual({
      users: [
        {
          id: 'U0000000009',
          teamId: null,
          handle: 'U0000000009',
          realName: 'Old Name',
          displayName: null,
          email: null,
          title: null,
          isBot: false,
          isAdmin: false,
          deleted: false,
          timeZone: null,
          avatarUrl: null,
        },
      ],
      nextCursor: null,
    })
    fake.failNext('users.list', { ok: true })
    expect((await run('list_users', {})).output).toEqual({ users: [], nextCursor: null })
  })
})

describe('lookup_user_by_email', () => {
  it('finds a member by email address', async () => {
    const { output } = await run('lookup_user_by_email', { email: 'grace@example.com' })
    expect(fake.calls()[0]).toMatchObject({
      method: 'users.lookupByEmail',
      http: 'GET',
      params: { email: 'grace@example.com' },
    })
    expect(output).toMatchObject({ id: 'U0000000002', handle: 'grace', email: 'grace@example.com' })
  })

  it('says an address nobody uses is not found', async () => {
    await expect(run('lookup_user_by_email', { email: 'nobody@example.com' })).rejects.toMatchObject({
      class: 'not_found',
      message: 'Slack refused users.lookupByEmail: users_not_found',
    })
  })

  it('names users:read.email when the token lacks it', async () => {
    await expect(
      run('lookup_user_by_email', { email: 'ada@example.com' }, READ_ONLY_TOKEN),
    ).rejects.toMatchObject({
      class: 'permission_error',
      message: expect.stringContaining('users:read.email') as unknown,
    })
  })

  it('refuses something that is not an email address', async () => {
    await expect(run('lookup_user_by_email', { email: 'ada' })).rejects.toMatchObject({
      class: 'validation_error',
    })
  })
})
