import { createHmac, randomBytes } from 'node:crypto'
import { Writable } from 'node:stream'
import fastifyCookie from '@fastify/cookie'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type, auth, defineTool } from '@toolplane/sdk'
import type { Tool } from '@toolplane/sdk'
import github from '@toolplane/plugin-github'
import slack from '@toolplane/plugin-slack'
import stripe from '@toolplane/plugin-stripe'
import Fastify from 'fastify'
import type { FastifyBaseLogger } from 'fastify'
import pino from 'pino'
import { Registry } from 'prom-client'
import { Webhook } from 'standardwebhooks'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { apiKeyService } from '../api-keys/service.js'
import { apiKeyStore } from '../api-keys/store.js'
import { authService } from '../auth/service.js'
import { authStore } from '../auth/store.js'
import { parseRateLimit } from '../config.js'
import { loadKeyring } from '../credentials/keys.js'
import { credentialService } from '../credentials/service.js'
import type { CredentialService } from '../credentials/service.js'
import { credentialStore } from '../credentials/store.js'
import { openDatabase } from '../db/database.js'
import type { Database } from '../db/database.js'
import { migrateUp } from '../db/migrator.js'
import { AppError } from '../errors.js'
import type { App } from '../http/app-types.js'
import { registerAuthentication } from '../http/authentication.js'
import { registerProblemHandlers } from '../http/problems.js'
import { ProblemSchema } from '../http/schemas.js'
import { registerValidation } from '../http/validation.js'
import { createMemoryEventBus } from '../infra/events-memory.js'
import type { EventBus, ToolplaneEvent } from '../infra/events.js'
import { createTestDatabase, dialects } from '../testing/databases.js'
import type { TestDatabase } from '../testing/databases.js'
import { workspaceService } from '../workspaces/service.js'
import { workspaceStore } from '../workspaces/store.js'
import { hookMetrics } from './metrics.js'
import { registerHookRoutes } from './routes.js'
import { eventName, hookService } from './service.js'
import type { HookService } from './service.js'
import { inboundEventStore, maxPayloadBytes } from './store.js'
import type { InboundEventStore } from './store.js'

// A Standard Webhooks sender, as a third-party plugin would declare it.
const acme = defineTool({
  slug: 'acme',
  name: 'Acme',
  description: 'A Standard Webhooks sender.',
  version: '1.0.0',
  categories: ['testing'],
  authMethods: [
    auth.custom({
      id: 'webhook',
      fields: Type.Object({ webhookSecret: Type.String({ minLength: 1 }) }),
      apply() {
        // Acme is never called; it only sends.
      },
    }),
  ],
  actions: [],
  triggers: [
    {
      event: 'invoice.paid',
      title: 'Invoice paid',
      description: 'An invoice was paid.',
      payload: Type.Object({ type: Type.String() }),
      verifier: 'standard-webhooks',
    },
  ],
})

// A tool without triggers: its credentials have no hook URL.
const plain = defineTool({
  slug: 'plain',
  name: 'Plain',
  description: 'No triggers.',
  version: '1.0.0',
  categories: ['testing'],
  actions: [],
})

const tools = new Map<string, Tool>([github, slack, stripe, acme, plain].map((tool) => [tool.slug, tool]))

const hex = (secret: string, ...parts: string[]) => {
  const hmac = createHmac('sha256', secret)
  for (const part of parts) hmac.update(part)
  return hmac.digest('hex')
}

function gitHubHeaders(secret: string, text: string, event: string, delivery: string) {
  return {
    'content-type': 'application/json',
    'x-github-event': event,
    'x-github-delivery': delivery,
    'x-hub-signature-256': `sha256=${hex(secret, text)}`,
  }
}

function slackHeaders(secret: string, text: string, atMs: number) {
  const at = String(Math.floor(atMs / 1000))
  return {
    'content-type': 'application/json',
    'x-slack-request-timestamp': at,
    'x-slack-signature': `v0=${hex(secret, `v0:${at}:`, text)}`,
  }
}

function stripeHeaders(secret: string, text: string, atMs: number) {
  const t = String(Math.floor(atMs / 1000))
  return { 'content-type': 'application/json', 'stripe-signature': `t=${t},v1=${hex(secret, `${t}.`, text)}` }
}

function standardHeaders(secret: string, id: string, text: string, atMs: number) {
  const at = new Date(Math.floor(atMs / 1000) * 1000)
  return {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(at.getTime() / 1000),
    'webhook-signature': new Webhook(secret).sign(id, at, text),
  }
}

describe('eventName', () => {
  it('keeps provider event names and defuses anything that is not [a-z0-9_.]', () => {
    expect(eventName('issues.opened')).toBe('issues.opened')
    expect(eventName('Customer.Subscription.Updated')).toBe('customer.subscription.updated')
    expect(eventName('trigger.*')).toBe('trigger._')
    expect(eventName('a b/c')).toBe('a_b_c')
    expect(eventName('x'.repeat(300))).toHaveLength(200)
    for (const empty of [undefined, '', '...', '*']) expect(eventName(empty), String(empty)).toBeUndefined()
  })
})

describe.each(dialects)('inbound triggers on %s', (dialect) => {
  let testDatabase: TestDatabase
  let database: Database
  let app: App
  let events: EventBus
  let store: InboundEventStore
  let credentials: CredentialService
  let hooks: HookService
  let registry: Registry
  let workspaceId: string
  const received: ToolplaneEvent[] = []
  const logLines: string[] = []
  const now = { value: Date.UTC(2026, 0, 15, 12) }
  const clock = () => now.value

  const ghSecret = 'gh-webhook-secret-0001'
  const slackSecret = '8f742231b10e8888abcd99yyyzzz85a5'
  const stripeSecret = 'whsec_stripe0test0secret'
  const acmeSecret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
  const ids = { github: '', slack: '', stripe: '', acme: '', plain: '', githubNoSecret: '' }

  beforeAll(async () => {
    testDatabase = await createTestDatabase(dialect)
    database = openDatabase(testDatabase.config)
    await migrateUp(database.db)
    const rateLimit = parseRateLimit('100/s')
    if (rateLimit === null) throw new Error('unreachable')
    const workspaces = workspaceService({
      store: workspaceStore(database.db),
      clock,
      defaultApiRateLimit: rateLimit,
    })
    workspaceId = (await workspaces.create({ slug: `ws-${randomBytes(4).toString('hex')}`, name: 'Hooks' }))
      .id

    const keyring = await loadKeyring(database.db, { current: Buffer.alloc(32, 9), previous: [] }, now.value)
    const findTool = (_workspaceId: string, slug: string) => {
      const tool = tools.get(slug)
      return tool === undefined
        ? Promise.reject(new AppError('not_found', `There is no tool "${slug}".`))
        : Promise.resolve(tool)
    }
    credentials = credentialService({ store: credentialStore(database.db), keyring, clock, findTool })
    const create = async (tool: string, authMethod: string, secrets: Record<string, unknown>) =>
      (await credentials.create(workspaceId, { tool, name: tool, authMethod, secrets })).id
    ids.github = await create('github', 'bearer', { token: 'ghp_x', webhookSecret: ghSecret })
    ids.githubNoSecret = await create('github', 'bearer', { token: 'ghp_y' })
    ids.slack = await create('slack', 'bearer', { token: 'xoxb-1', signingSecret: slackSecret })
    ids.stripe = await create('stripe', 'bearer', { token: 'sk_test_1', webhookSigningSecret: stripeSecret })
    ids.acme = await create('acme', 'webhook', { webhookSecret: acmeSecret })
    ids.plain = await create('plain', 'none', {})

    const logger: FastifyBaseLogger = pino(
      { level: 'info' },
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          logLines.push(chunk.toString('utf8'))
          done()
        },
      }),
    )
    events = createMemoryEventBus({
      onError: (error) => {
        throw error
      },
    })
    events.subscribe({ types: ['trigger.*', 'test.settled'] }, (event) => {
      received.push(event)
    })
    registry = new Registry()
    store = inboundEventStore(database.db)
    hooks = hookService({
      store,
      findTool,
      credentials,
      events,
      metrics: hookMetrics(registry),
      clock,
      log: logger,
    })

    // The route on a minimal app with the real authentication, validation and problem handling
    // (app.ts wires it into the full app).
    const apiKeys = apiKeyService({ store: apiKeyStore(database.db), clock })
    const authentication = authService({
      store: authStore(database.db),
      workspaces: workspaceStore(database.db),
      clock,
      csrfKey: Buffer.alloc(32, 1),
      sessionTtlMs: 3_600_000,
    })
    app = Fastify({ loggerInstance: logger }).withTypeProvider<TypeBoxTypeProvider>()
    registerProblemHandlers(app)
    registerValidation(app)
    await app.register(fastifyCookie)
    app.addSchema(ProblemSchema)
    registerAuthentication(app, { auth: authentication, apiKeys })
    registerHookRoutes(app, { hooks })
    // A JSON route beside it: the raw-body parser must stay inside the hook route's scope.
    app.post('/v1/echo', { config: { auth: 'public' } }, (request) => ({ body: request.body }))
    await app.ready()
  })
  afterAll(async () => {
    await app.close()
    await events.close()
    await database.close()
    await testDatabase.drop()
  })

  const post = (
    tool: string,
    credentialId: string,
    payload: string | Buffer,
    headers: Record<string, string>,
  ) => app.inject({ method: 'POST', url: `/v1/hooks/${tool}/${credentialId}`, payload, headers })

  /** The trigger events of a credential delivered so far, once every event published before is delivered. */
  async function emitted(credentialId: string): Promise<ToolplaneEvent[]> {
    const marker = await events.publish({ type: 'test.settled', workspaceId, data: null })
    await vi.waitFor(() => {
      expect(received.some((event) => event.id === marker.id)).toBe(true)
    })
    return received.filter(
      (event) =>
        event.type.startsWith('trigger.') &&
        (event.data as { credentialId?: string }).credentialId === credentialId,
    )
  }

  async function counted(tool: string, outcome: string): Promise<number> {
    const metric = registry.getSingleMetric('toolplane_inbound_events_total')
    if (metric === undefined) throw new Error('the counter is not registered')
    const { values } = await metric.get()
    return values.find((v) => v.labels.tool === tool && v.labels.outcome === outcome)?.value ?? 0
  }

  describe('GitHub', () => {
    // Odd spacing, a raw and an escaped non-ASCII character: any re-serialisation changes the bytes.
    const text =
      '{ "action" :"opened",\n  "issue": { "number": 7, "title": "caf\\u00e9 — naïve" } ,"repository":{"full_name":"o/r"}}'
    const payload = JSON.parse(text) as unknown

    it('verifies the exact bytes received, stores the delivery and emits trigger.github.issues.opened', async () => {
      const res = await post(
        'github',
        ids.github,
        text,
        gitHubHeaders(ghSecret, text, 'issues', 'gh-delivery-1'),
      )
      expect(res.statusCode).toBe(200)
      const receipt = res.json<{ id: string }>()
      expect(receipt).toEqual({
        id: expect.stringMatching(/^trg_/) as string,
        event: 'issues.opened',
        deliveryId: 'gh-delivery-1',
        duplicate: false,
      })
      expect(await emitted(ids.github)).toEqual([
        {
          id: expect.any(String) as string,
          type: 'trigger.github.issues.opened',
          workspaceId,
          at: expect.any(Number) as number,
          data: {
            id: receipt.id,
            tool: 'github',
            credentialId: ids.github,
            event: 'issues.opened',
            deliveryId: 'gh-delivery-1',
            payload,
          },
        },
      ])
      const row = await store.get(workspaceId, receipt.id)
      expect(row).toMatchObject({
        tool: 'github',
        credential_id: ids.github,
        delivery_id: 'gh-delivery-1',
        event: 'issues.opened',
        received_at: now.value,
      })
      expect(JSON.parse(row?.payload ?? 'null')).toEqual(payload)

      // The same content re-serialised is not what GitHub signed.
      const reserialised = JSON.stringify(payload)
      const headers = gitHubHeaders(ghSecret, text, 'issues', 'gh-delivery-1b')
      expect((await post('github', ids.github, reserialised, headers)).statusCode).toBe(401)
    })

    it('answers a repeated delivery id 200 with duplicate: true, and does not emit it again', async () => {
      const headers = gitHubHeaders(ghSecret, text, 'issues', 'gh-delivery-2')
      const first = await post('github', ids.github, text, headers)
      const again = await post('github', ids.github, text, headers)
      expect(again.statusCode).toBe(200)
      expect(again.json()).toEqual({ ...first.json<object>(), duplicate: true })
      const mine = (await emitted(ids.github)).filter(
        (event) => (event.data as { deliveryId: string }).deliveryId === 'gh-delivery-2',
      )
      expect(mine).toHaveLength(1)
    })

    it('takes two racing copies of one delivery once', async () => {
      const headers = gitHubHeaders(ghSecret, text, 'issues', 'gh-delivery-race')
      const answers = await Promise.all([1, 2, 3].map(() => post('github', ids.github, text, headers)))
      expect(answers.map((a) => a.statusCode)).toEqual([200, 200, 200])
      const receipts = answers.map((a) => a.json<{ id: string; duplicate: boolean }>())
      expect(receipts.filter((r) => !r.duplicate)).toHaveLength(1)
      expect(new Set(receipts.map((r) => r.id)).size).toBe(1)
      const mine = (await emitted(ids.github)).filter(
        (event) => (event.data as { deliveryId: string }).deliveryId === 'gh-delivery-race',
      )
      expect(mine).toHaveLength(1)
    })

    it('refuses a tampered body, a wrong secret and an unsigned delivery alike, logging why without the secret', async () => {
      const headers = gitHubHeaders(ghSecret, text, 'issues', 'gh-delivery-3')
      const rejectedBefore = await counted('github', 'rejected')
      const answers = [
        await post('github', ids.github, text.replace('7', '8'), headers),
        await post(
          'github',
          ids.github,
          text,
          gitHubHeaders('not-the-secret', text, 'issues', 'gh-delivery-3'),
        ),
        await post('github', ids.github, text, {
          'content-type': 'application/json',
          'x-github-event': 'issues',
        }),
      ]
      for (const res of answers) {
        expect(res.statusCode).toBe(401)
        expect(res.headers['content-type']).toContain('application/problem+json')
        expect(res.json()).toMatchObject({
          code: 'unauthenticated',
          detail: 'The delivery’s signature could not be verified with this credential.',
        })
      }
      expect((await counted('github', 'rejected')) - rejectedBefore).toBe(3)
      expect(await store.get(workspaceId, 'gh-delivery-3')).toBeUndefined()
      const logs = logLines.join('')
      expect(logs).toContain('X-Hub-Signature-256 does not match the body')
      expect(logs).toContain('no X-Hub-Signature-256 header')
      expect(logs).not.toContain(ghSecret)
      // The delivery was never accepted, so the correctly signed one is not a duplicate.
      expect((await post('github', ids.github, text, headers)).json()).toMatchObject({ duplicate: false })
    })

    it('refuses a credential without a webhook secret with the same 401, and says why in the log', async () => {
      const res = await post(
        'github',
        ids.githubNoSecret,
        text,
        gitHubHeaders('', text, 'issues', 'gh-delivery-4'),
      )
      expect(res.statusCode).toBe(401)
      expect(res.json()).toMatchObject({ code: 'unauthenticated' })
      expect(logLines.join('')).toContain('the credential has no webhookSecret secret')
    })

    it('accepts and emits an event the tool does not declare: providers add events', async () => {
      const closed = '{"action":"closed","issue":{"number":7}}'
      const res = await post(
        'github',
        ids.github,
        closed,
        gitHubHeaders(ghSecret, closed, 'issues', 'gh-delivery-5'),
      )
      expect(res.json()).toMatchObject({ event: 'issues.closed', duplicate: false })
      expect((await emitted(ids.github)).map((e) => e.type)).toContain('trigger.github.issues.closed')
    })

    it('needs no API key and does not mind one that is wrong', async () => {
      const ping = '{"zen":"Keep it logically awesome.","hook_id":1}'
      const headers = {
        ...gitHubHeaders(ghSecret, ping, 'ping', 'gh-delivery-6'),
        authorization: 'Bearer nonsense',
      }
      const res = await post('github', ids.github, ping, headers)
      expect(res.statusCode).toBe(200)
      expect(res.json()).toMatchObject({ event: 'ping' })
    })
  })

  it('answers 404, the same way, for an unknown credential or tool, a tool that is not the credential’s, and a tool without triggers', async () => {
    const text = '{"action":"opened"}'
    const headers = gitHubHeaders(ghSecret, text, 'issues', 'gh-404')
    const answers = [
      await post('github', 'cred_00000000000000000000000000000000', text, headers),
      await post('github', ids.slack, text, headers),
      await post('slack', ids.github, text, headers),
      await post('nosuchtool', ids.github, text, headers),
      await post('plain', ids.plain, text, headers),
    ]
    for (const res of answers) {
      expect(res.statusCode).toBe(404)
      expect(res.json()).toMatchObject({
        code: 'not_found',
        detail: 'There is no inbound trigger endpoint at this URL.',
      })
    }
  })

  describe('Slack', () => {
    it('answers url_verification with the challenge, storing and emitting nothing', async () => {
      const text =
        '{"token":"Jhj5dZrVaK7ZwHHjRyZWjbDl","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}'
      const res = await post('slack', ids.slack, text, slackHeaders(slackSecret, text, now.value))
      expect(res.statusCode).toBe(200)
      expect(res.json()).toEqual({ challenge: '3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P' })
      expect(await emitted(ids.slack)).toEqual([])
      // Only with the app's signature.
      const forged = await post('slack', ids.slack, text, slackHeaders('guess', text, now.value))
      expect(forged.statusCode).toBe(401)
    })

    it('emits an Events API event once; Slack’s retry of it is a duplicate', async () => {
      const text = JSON.stringify({
        type: 'event_callback',
        team_id: 'T1',
        api_app_id: 'A1',
        event_id: 'Ev-slack-1',
        event_time: 1,
        event: { type: 'app_mention', channel: 'C1', user: 'U1', text: '<@U0> hello', ts: '1.2' },
      })
      const first = await post('slack', ids.slack, text, slackHeaders(slackSecret, text, now.value))
      expect(first.json()).toMatchObject({ event: 'app_mention', deliveryId: 'Ev-slack-1', duplicate: false })
      const retry = await post('slack', ids.slack, text, {
        ...slackHeaders(slackSecret, text, now.value + 60_000),
        'x-slack-retry-num': '1',
      })
      expect(retry.json()).toMatchObject({ deliveryId: 'Ev-slack-1', duplicate: true })
      expect((await emitted(ids.slack)).map((e) => e.type)).toEqual(['trigger.slack.app_mention'])
    })

    it('refuses a timestamp over five minutes old with 400, even for a delivery id already taken', async () => {
      const text = JSON.stringify({
        type: 'event_callback',
        event_id: 'Ev-slack-1',
        event: { type: 'app_mention' },
      })
      const replay = await post(
        'slack',
        ids.slack,
        text,
        slackHeaders(slackSecret, text, now.value - 6 * 60_000),
      )
      expect(replay.statusCode).toBe(400)
      expect(replay.json()).toMatchObject({ code: 'validation_error' })
      expect(replay.json<{ detail: string }>().detail).toContain('more than 5 minutes')
    })
  })

  describe('Stripe', () => {
    const text = JSON.stringify({
      id: 'evt_hooks_1',
      object: 'event',
      type: 'charge.refunded',
      created: 1,
      livemode: false,
      data: { object: { id: 'ch_1', object: 'charge', amount: 100, amount_refunded: 100 } },
    })

    it('emits an event once, however many times Stripe re-signs and resends it', async () => {
      const first = await post('stripe', ids.stripe, text, stripeHeaders(stripeSecret, text, now.value))
      expect(first.json()).toMatchObject({
        event: 'charge.refunded',
        deliveryId: 'evt_hooks_1',
        duplicate: false,
      })
      const resent = await post(
        'stripe',
        ids.stripe,
        text,
        stripeHeaders(stripeSecret, text, now.value + 120_000),
      )
      expect(resent.json()).toMatchObject({ duplicate: true })
      const mine = await emitted(ids.stripe)
      expect(mine.map((e) => e.type)).toEqual(['trigger.stripe.charge.refunded'])
      expect(mine[0]?.data).toMatchObject({ deliveryId: 'evt_hooks_1', payload: JSON.parse(text) as unknown })
    })

    it('refuses a stale signature with 400 and a wrong secret with 401', async () => {
      const stale = await post(
        'stripe',
        ids.stripe,
        text,
        stripeHeaders(stripeSecret, text, now.value - 10 * 60_000),
      )
      expect(stale.statusCode).toBe(400)
      const wrong = await post('stripe', ids.stripe, text, stripeHeaders('whsec_other', text, now.value))
      expect(wrong.statusCode).toBe(401)
    })
  })

  describe('Standard Webhooks', () => {
    it('emits a typed event once per webhook-id', async () => {
      const text = '{"type":"invoice.paid","timestamp":"2026-01-15T12:00:00Z","data":{"id":"in_1"}}'
      const headers = standardHeaders(acmeSecret, 'msg_hooks_1', text, now.value)
      const first = await post('acme', ids.acme, text, headers)
      expect(first.json()).toMatchObject({
        event: 'invoice.paid',
        deliveryId: 'msg_hooks_1',
        duplicate: false,
      })
      expect((await post('acme', ids.acme, text, headers)).json()).toMatchObject({ duplicate: true })
      expect((await emitted(ids.acme)).map((e) => e.type)).toEqual(['trigger.acme.invoice.paid'])
    })

    it('refuses an authentic body without a type, a stale one, and a tampered one', async () => {
      const untyped = '{"test": 2432232314}'
      const noType = await post(
        'acme',
        ids.acme,
        untyped,
        standardHeaders(acmeSecret, 'msg_hooks_2', untyped, now.value),
      )
      expect(noType.statusCode).toBe(400)
      expect(noType.json<{ detail: string }>().detail).toContain('names no event type')
      const text = '{"type":"invoice.paid"}'
      const old = standardHeaders(acmeSecret, 'msg_hooks_3', text, now.value - 6 * 60_000)
      expect((await post('acme', ids.acme, text, old)).statusCode).toBe(400)
      const fresh = standardHeaders(acmeSecret, 'msg_hooks_3', text, now.value)
      expect((await post('acme', ids.acme, '{"type":"invoice.void"}', fresh)).statusCode).toBe(401)
      expect(await emitted(ids.acme)).toHaveLength(1)
    })
  })

  it('reads any body type raw and refuses one over 1 MiB with 413, while JSON routes beside it still parse', async () => {
    const big = Buffer.alloc(maxPayloadBytes + 1, 'a')
    const res = await post('github', ids.github, big, { 'content-type': 'application/octet-stream' })
    expect(res.statusCode).toBe(413)
    expect(res.json()).toMatchObject({ code: 'payload_too_large' })
    const echo = await app.inject({ method: 'POST', url: '/v1/echo', payload: { a: 1 } })
    expect(echo.json()).toEqual({ body: { a: 1 } })
    // No content type at all still reaches the verifier.
    const text = '{"zen":"x"}'
    const { 'content-type': _type, ...headers } = gitHubHeaders(ghSecret, text, 'ping', 'gh-no-type')
    expect((await post('github', ids.github, text, headers)).statusCode).toBe(200)
  })

  it('counts outcomes per tool', async () => {
    const before = {
      accepted: await counted('stripe', 'accepted'),
      duplicate: await counted('stripe', 'duplicate'),
      rejected: await counted('stripe', 'rejected'),
    }
    const text = JSON.stringify({ id: 'evt_metrics', type: 'charge.refunded' })
    await post('stripe', ids.stripe, text, stripeHeaders(stripeSecret, text, now.value))
    await post('stripe', ids.stripe, text, stripeHeaders(stripeSecret, text, now.value))
    await post('stripe', ids.stripe, text, stripeHeaders('whsec_wrong', text, now.value))
    expect((await counted('stripe', 'accepted')) - before.accepted).toBe(1)
    expect((await counted('stripe', 'duplicate')) - before.duplicate).toBe(1)
    expect((await counted('stripe', 'rejected')) - before.rejected).toBe(1)
  })

  it('forgets a delivery whose event could not be emitted, so the provider’s retry is taken', async () => {
    let fail = true
    const flaky = hookService({
      store,
      findTool: (_workspaceId, slug) => Promise.resolve(tools.get(slug) ?? plain),
      credentials,
      events: {
        publish: (event) => (fail ? Promise.reject(new Error('Redis is down')) : events.publish(event)),
      },
      clock,
      log: pino({ level: 'silent' }),
    })
    const text = JSON.stringify({ id: 'evt_flaky', type: 'charge.refunded' })
    const request = {
      tool: 'stripe',
      credentialId: ids.stripe,
      rawBody: Buffer.from(text),
      headers: stripeHeaders(stripeSecret, text, now.value),
    }
    await expect(flaky.receive(request)).rejects.toThrow('Redis is down')
    fail = false
    expect(await flaky.receive(request)).toMatchObject({ outcome: 'accepted', deliveryId: 'evt_flaky' })
  })

  it('refuses an empty body as unsigned, and an authentic GitHub body without a delivery id with 400', async () => {
    const empty = await app.inject({ method: 'POST', url: `/v1/hooks/github/${ids.github}` })
    expect(empty.statusCode).toBe(401)
    const text = '{"action":"opened"}'
    const { 'x-github-delivery': _delivery, ...headers } = gitHubHeaders(ghSecret, text, 'issues', 'unused')
    const res = await post('github', ids.github, text, headers)
    expect(res.statusCode).toBe(400)
    expect(res.json<{ detail: string }>().detail).toContain('lacks the delivery id or event')
  })

  it('answers 404 for a credential deleted while its delivery arrives, and passes other failures on', async () => {
    const text = '{"action":"opened"}'
    const request = {
      tool: 'github',
      credentialId: ids.github,
      rawBody: Buffer.from(text),
      headers: gitHubHeaders(ghSecret, text, 'issues', 'gh-race-delete'),
    }
    const log = pino({ level: 'silent' })
    const gone = hookService({
      store,
      findTool: () => Promise.resolve(github),
      credentials: { open: () => Promise.reject(new AppError('not_found', 'There is no credential.')) },
      events,
      clock,
      log,
    })
    await expect(gone.receive(request)).rejects.toMatchObject({ code: 'not_found' })
    const broken = hookService({
      store,
      findTool: () => Promise.reject(new Error('the catalog is down')),
      credentials,
      events,
      clock,
      log,
    })
    await expect(broken.receive(request)).rejects.toThrow('the catalog is down')
  })

  it('refuses a payload that would be over 1 MiB as stored', async () => {
    // The route's body limit stops this first; the service holds the line for any other caller.
    const text = JSON.stringify({ action: 'opened', filler: 'x'.repeat(maxPayloadBytes) })
    const request = {
      tool: 'github',
      credentialId: ids.github,
      rawBody: Buffer.from(text),
      headers: gitHubHeaders(ghSecret, text, 'issues', 'gh-too-big'),
    }
    await expect(hooks.receive(request)).rejects.toMatchObject({ code: 'payload_too_large' })
  })

  it('sweeps deliveries older than 30 days, and only those', async () => {
    const day = 86_400_000
    const row = (deliveryId: string, receivedAt: number) => ({
      id: `trg_${deliveryId}`,
      workspace_id: workspaceId,
      tool: 'acme',
      credential_id: ids.acme,
      delivery_id: deliveryId,
      event: 'invoice.paid',
      payload: '{}',
      received_at: receivedAt,
    })
    await store.record(row('sweep-old', now.value - 31 * day))
    await store.record(row('sweep-edge', now.value - 29 * day))
    expect(await hooks.sweep(now.value)).toBe(1)
    expect(await store.get(workspaceId, 'trg_sweep-old')).toBeUndefined()
    expect(await store.get(workspaceId, 'trg_sweep-edge')).toBeDefined()
    // A swept delivery id is forgotten: it would be recorded again.
    expect((await store.record(row('sweep-old', now.value))).inserted).toBe(true)
    await expect(
      store.record({ ...row('too-big', now.value), payload: 'x'.repeat(maxPayloadBytes + 1) }),
    ).rejects.toThrow(RangeError)
  })

  it('drops a workspace’s deliveries with the workspace', async () => {
    const rateLimit = parseRateLimit('100/s')
    if (rateLimit === null) throw new Error('unreachable')
    const other = await workspaceService({
      store: workspaceStore(database.db),
      clock,
      defaultApiRateLimit: rateLimit,
    }).create({
      slug: `gone-${randomBytes(4).toString('hex')}`,
      name: 'Gone',
    })
    await store.record({
      id: 'trg_gone',
      workspace_id: other.id,
      tool: 'acme',
      credential_id: 'cred_x',
      delivery_id: 'gone-1',
      event: 'invoice.paid',
      payload: '{}',
      received_at: now.value,
    })
    await database.db.deleteFrom('workspaces').where('id', '=', other.id).execute()
    expect(await store.get(other.id, 'trg_gone')).toBeUndefined()
  })
})
