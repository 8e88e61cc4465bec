import type { LightMyRequestResponse } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { grants, scopes } from '../auth/scopes.js'
import type { Scope } from '../auth/scopes.js'
import { dialects } from '../testing/databases.js'
import { bearer, startTestApp } from '../testing/harness.js'
import type { TestApp } from '../testing/harness.js'

/**
 * Access to every endpoint, proved for every endpoint. A route added to the server without a row
 * here fails the "covers every route" test, so each new endpoint joins the matrix.
 */

/** Routes anyone may call. Adding one is a decision: list it here. */
const publicRoutes = [
  'POST /v1/auth/login',
  'GET /v1/auth/link',
  'GET /v1/oauth/callback',
  // Authenticated by the provider's signature, not by Toolplane credentials (hooks/hooks.int.test.ts).
  'POST /v1/hooks/:tool/:credentialId',
]

interface Tenant {
  id: string
  adminKey: string
  session: { cookies: Record<string, string>; headers: Record<string, string> }
  userEmail: string
}

interface World {
  t: TestApp
  a: Tenant
  b: Tenant
  password: string
  bCredentialId: string
  bExecutionId: string
  bBatchId: string
}

// A typed reading of a response body, shorter than `res.json<T>()` inside nested awaits.
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters
function json<T>(res: LightMyRequestResponse): T {
  return res.json()
}

/** For each route: workspace A's caller acts, and B's data must be unread and unchanged. */
const isolation: Record<string, (w: World) => Promise<void>> = {
  'GET /v1/me': async ({ t, a }) => {
    const me = json<{ workspace: { id: string } }>(
      await t.app.inject({ url: '/v1/me', headers: bearer(a.adminKey) }),
    )
    expect(me.workspace.id).toBe(a.id)
  },
  'GET /v1/workspace': async ({ t, a }) => {
    const ws = json<{ id: string }>(await t.app.inject({ url: '/v1/workspace', headers: bearer(a.adminKey) }))
    expect(ws.id).toBe(a.id)
  },
  'PATCH /v1/workspace': async ({ t, a, b }) => {
    const before = json<object>(await t.app.inject({ url: '/v1/workspace', headers: bearer(b.adminKey) }))
    const res = await t.app.inject({
      method: 'PATCH',
      url: '/v1/workspace',
      headers: bearer(a.adminKey),
      payload: { name: 'A renamed', monthlyExecutionQuota: 5 },
    })
    expect(json<{ id: string }>(res).id).toBe(a.id)
    expect(json<object>(await t.app.inject({ url: '/v1/workspace', headers: bearer(b.adminKey) }))).toEqual(
      before,
    )
  },
  'GET /v1/usage': async ({ t, a, b }) => {
    const used = async (key: string) =>
      json<{ used: number }>(await t.app.inject({ url: '/v1/usage', headers: bearer(key) })).used
    const [aBefore, bBefore] = [await used(a.adminKey), await used(b.adminKey)]
    // B runs an execution (refused by the network rules, but admitted and counted).
    await t.app.inject({
      method: 'POST',
      url: '/v1/executions',
      headers: bearer(b.adminKey),
      payload: { action: 'http.request', input: { method: 'GET', url: 'http://127.0.0.1:9/' } },
    })
    expect(await used(b.adminKey)).toBe(bBefore + 1)
    expect(await used(a.adminKey)).toBe(aBefore)
  },
  'GET /v1/api-keys': async ({ t, a, b }) => {
    const ids = (key: string) =>
      t.app
        .inject({ url: '/v1/api-keys?limit=200', headers: bearer(key) })
        .then((r) => json<{ data: { id: string }[] }>(r).data.map((k) => k.id))
    const [aIds, bIds] = await Promise.all([ids(a.adminKey), ids(b.adminKey)])
    expect(aIds.length).toBeGreaterThan(0)
    expect(bIds.length).toBeGreaterThan(0)
    expect(aIds.filter((id) => bIds.includes(id))).toEqual([])
  },
  'POST /v1/api-keys': async ({ t, a, b }) => {
    const listB = () =>
      t.app.inject({ url: '/v1/api-keys?limit=200', headers: bearer(b.adminKey) }).then((r) => r.body)
    const before = await listB()
    const created = json<{ key: string }>(
      await t.app.inject({
        method: 'POST',
        url: '/v1/api-keys',
        headers: bearer(a.adminKey),
        payload: { name: 'n', scopes: ['admin'] },
      }),
    )
    const me = json<{ workspace: { id: string } }>(
      await t.app.inject({ url: '/v1/me', headers: bearer(created.key) }),
    )
    expect(me.workspace.id).toBe(a.id)
    expect(await listB()).toBe(before)
  },
  'DELETE /v1/api-keys/:id': async ({ t, a, b }) => {
    const bKeys = json<{ data: { id: string }[] }>(
      await t.app.inject({ url: '/v1/api-keys', headers: bearer(b.adminKey) }),
    )
    for (const { id } of bKeys.data) {
      const res = await t.app.inject({
        method: 'DELETE',
        url: `/v1/api-keys/${id}`,
        headers: bearer(a.adminKey),
      })
      expect(res.statusCode).toBe(404)
    }
    expect((await t.app.inject({ url: '/v1/me', headers: bearer(b.adminKey) })).statusCode).toBe(200)
  },
  'POST /v1/auth/logout': async ({ t, a, b }) => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/logout?everywhere=true',
      cookies: a.session.cookies,
      headers: a.session.headers,
    })
    expect(res.statusCode).toBe(204)
    expect((await t.app.inject({ url: '/v1/me', cookies: b.session.cookies })).statusCode).toBe(200)
  },
  'POST /v1/me/password': async ({ t, b, password }) => {
    // A's user changes a password; B's user still signs in with theirs.
    const login = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/login',
      payload: { email: 'a-user@example.com', password },
    })
    const cookie = login.cookies.find((c) => c.name === 'toolplane_session')?.value ?? ''
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/me/password',
      cookies: { toolplane_session: cookie },
      headers: { 'x-csrf-token': json<{ csrfToken: string }>(login).csrfToken },
      payload: { currentPassword: password, newPassword: 'a different password' },
    })
    expect(res.statusCode).toBe(204)
    const bLogin = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/login',
      payload: { email: b.userEmail, password },
    })
    expect(bLogin.statusCode).toBe(200)
  },
}

// The tool catalog: built-ins are shared by design; imported tools are per workspace. B imports
// `b_private_api` in the set-up; A must never see or change it.
const privateApi = JSON.stringify({
  openapi: '3.1.0',
  info: { title: 'B private API', version: '1.0.0' },
  servers: [{ url: 'https://b.example.com' }],
  paths: { '/things': { get: { operationId: 'listThings', responses: { '200': { description: 'ok' } } } } },
})

Object.assign(isolation, {
  'GET /v1/tools': async ({ t, a, b }: World) => {
    const slugs = async (key: string) =>
      (await t.app.inject({ url: '/v1/tools?limit=200', headers: bearer(key) })).json<{
        data: { slug: string; source: string }[]
      }>().data
    const [aTools, bTools] = await Promise.all([slugs(a.adminKey), slugs(b.adminKey)])
    const own = (list: { slug: string; source: string }[]) =>
      list.filter((x) => x.source === 'imported').map((x) => x.slug)
    expect(own(aTools).filter((slug) => own(bTools).includes(slug))).toEqual([])
  },
  'POST /v1/tools/import': async ({ t, a, b }: World) => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/tools/import',
      headers: bearer(a.adminKey),
      payload: { document: privateApi, slug: 'b_private_api' },
    })
    // A's import of the same slug is A's own tool; B's is untouched.
    expect(res.statusCode).toBe(201)
    const bTool = await t.app.inject({ url: '/v1/tools/b_private_api', headers: bearer(b.adminKey) })
    expect(bTool.json<{ name: string }>().name).toBe('B private API')
    await t.app.inject({ method: 'DELETE', url: '/v1/tools/b_private_api', headers: bearer(a.adminKey) })
  },
  'DELETE /v1/tools/:tool': async ({ t, a, b }: World) => {
    const res = await t.app.inject({
      method: 'DELETE',
      url: '/v1/tools/b_private_api',
      headers: bearer(a.adminKey),
    })
    expect(res.statusCode).toBe(404)
    expect(
      (await t.app.inject({ url: '/v1/tools/b_private_api', headers: bearer(b.adminKey) })).statusCode,
    ).toBe(200)
  },
  'GET /v1/tools/:tool': async ({ t, a }: World) => {
    expect(
      (await t.app.inject({ url: '/v1/tools/b_private_api', headers: bearer(a.adminKey) })).statusCode,
    ).toBe(404)
  },
  'GET /v1/tools/:tool/actions/:action': async ({ t, a }: World) => {
    const res = await t.app.inject({
      url: '/v1/tools/b_private_api/actions/list_things',
      headers: bearer(a.adminKey),
    })
    expect(res.statusCode).toBe(404)
  },
  'GET /v1/tools/:tool/actions/:action/sample-input': async ({ t, a }: World) => {
    const res = await t.app.inject({
      url: '/v1/tools/b_private_api/actions/list_things/sample-input',
      headers: bearer(a.adminKey),
    })
    expect(res.statusCode).toBe(404)
  },
})

// Credentials: B owns one (created in the set-up); A can neither see, change nor delete it.
Object.assign(isolation, {
  'GET /v1/credentials': async ({ t, a, bCredentialId }: World) => {
    const list = await t.app.inject({ url: '/v1/credentials?limit=200', headers: bearer(a.adminKey) })
    expect(list.statusCode).toBe(200)
    expect(list.body).not.toContain(bCredentialId)
  },
  'POST /v1/credentials': async ({ t, a, b }: World) => {
    const before = (await t.app.inject({ url: '/v1/credentials', headers: bearer(b.adminKey) })).body
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/credentials',
      headers: bearer(a.adminKey),
      payload: { tool: 'http', name: 'A token', authMethod: 'bearer', secrets: { token: 'a-token-value' } },
    })
    expect(res.statusCode).toBe(201)
    expect((await t.app.inject({ url: '/v1/credentials', headers: bearer(b.adminKey) })).body).toBe(before)
  },
  'GET /v1/credentials/:id': async ({ t, a, bCredentialId }: World) => {
    const res = await t.app.inject({ url: `/v1/credentials/${bCredentialId}`, headers: bearer(a.adminKey) })
    expect(res.statusCode).toBe(404)
  },
  'PATCH /v1/credentials/:id': async ({ t, a, b, bCredentialId }: World) => {
    const res = await t.app.inject({
      method: 'PATCH',
      url: `/v1/credentials/${bCredentialId}`,
      headers: bearer(a.adminKey),
      payload: { name: 'taken over', secrets: { token: 'attacker' } },
    })
    expect(res.statusCode).toBe(404)
    const mine = await t.app.inject({ url: `/v1/credentials/${bCredentialId}`, headers: bearer(b.adminKey) })
    expect(mine.json<{ name: string }>().name).toBe('B token')
  },
  'DELETE /v1/credentials/:id': async ({ t, a, b, bCredentialId }: World) => {
    const res = await t.app.inject({
      method: 'DELETE',
      url: `/v1/credentials/${bCredentialId}`,
      headers: bearer(a.adminKey),
    })
    expect(res.statusCode).toBe(404)
    expect(
      (await t.app.inject({ url: `/v1/credentials/${bCredentialId}`, headers: bearer(b.adminKey) }))
        .statusCode,
    ).toBe(200)
  },
})

// Health checks and history of B's credential, and OAuth apps: per workspace.
Object.assign(isolation, {
  'POST /v1/credentials/:id/check': async ({ t, a, b, bCredentialId }: World) => {
    const res = await t.app.inject({
      method: 'POST',
      url: `/v1/credentials/${bCredentialId}/check`,
      headers: bearer(a.adminKey),
    })
    expect(res.statusCode).toBe(404)
    const mine = await t.app.inject({ url: `/v1/credentials/${bCredentialId}`, headers: bearer(b.adminKey) })
    expect(mine.json<{ lastCheckedAt: string | null }>().lastCheckedAt).toBeNull()
  },
  'GET /v1/credentials/:id/diagnose': async ({ t, a, bCredentialId }: World) => {
    const res = await t.app.inject({
      url: `/v1/credentials/${bCredentialId}/diagnose`,
      headers: bearer(a.adminKey),
    })
    expect(res.statusCode).toBe(404)
  },
  'GET /v1/credentials/:id/status-history': async ({ t, a, bCredentialId }: World) => {
    const res = await t.app.inject({
      url: `/v1/credentials/${bCredentialId}/status-history`,
      headers: bearer(a.adminKey),
    })
    expect(res.statusCode).toBe(404)
  },
  'PUT /v1/oauth/:tool/app': async ({ t, a, b }: World) => {
    const res = await t.app.inject({
      method: 'PUT',
      url: '/v1/oauth/github/app',
      headers: bearer(a.adminKey),
      payload: { clientId: 'a-client', clientSecret: 'a-secret' },
    })
    expect(res.statusCode).toBe(201)
    const bApp = await t.app.inject({ url: '/v1/oauth/github/app', headers: bearer(b.adminKey) })
    expect(bApp.json<{ clientId: string }>().clientId).toBe('b-client')
  },
  'GET /v1/oauth/:tool/app': async ({ t, a }: World) => {
    const res = await t.app.inject({ url: '/v1/oauth/linear/app', headers: bearer(a.adminKey) })
    // B configured linear; A did not.
    expect(res.statusCode).toBe(400)
    expect(res.body).not.toContain('b-linear-client')
  },
  'POST /v1/oauth/:tool/authorize': async ({ t, a }: World) => {
    // A cannot start a flow with B's linear app: it has none of its own.
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/oauth/linear/authorize',
      headers: bearer(a.adminKey),
      payload: {},
    })
    expect(res.statusCode).toBe(400)
    expect(res.json<{ detail: string }>().detail).toMatch(/No OAuth app/)
  },
})

// Executions and batches: B ran an http.request (refused by the network rules, so it fails without
// any connection) and a batch of one.
const blockedCall = { action: 'http.request', input: { method: 'GET', url: 'http://127.0.0.1:9/never' } }
Object.assign(isolation, {
  'POST /v1/executions': async ({ t, a, b, bCredentialId }: World) => {
    const before = (await t.app.inject({ url: '/v1/executions', headers: bearer(b.adminKey) })).body
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/executions',
      headers: bearer(a.adminKey),
      payload: { ...blockedCall, credentialId: bCredentialId },
    })
    expect(res.statusCode).toBe(404)
    expect((await t.app.inject({ url: '/v1/executions', headers: bearer(b.adminKey) })).body).toBe(before)
  },
  'GET /v1/executions': async ({ t, a, bExecutionId }: World) => {
    const res = await t.app.inject({ url: '/v1/executions?limit=200', headers: bearer(a.adminKey) })
    expect(res.statusCode).toBe(200)
    expect(res.body).not.toContain(bExecutionId)
  },
  'GET /v1/executions/stream': async ({ t, a, b }: World) => {
    const address = await t.app.listen({ port: 0, host: '127.0.0.1' })
    const controller = new AbortController()
    const res = await fetch(`${address}/v1/executions/stream`, {
      headers: bearer(a.adminKey),
      signal: controller.signal,
    })
    expect(res.status).toBe(200)
    const reader = (res.body as ReadableStream<Uint8Array>).getReader()
    let text = ''
    const reading = (async () => {
      for (;;) {
        const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }))
        if (done) return
        text += Buffer.from(value as Uint8Array).toString('utf8')
      }
    })()
    const ran = await t.app.inject({
      method: 'POST',
      url: '/v1/executions',
      headers: bearer(b.adminKey),
      payload: blockedCall,
    })
    expect(ran.statusCode).toBe(200)
    await new Promise((resolve) => setTimeout(resolve, 200))
    controller.abort()
    await reading
    expect(text).toContain('live tail')
    expect(text).not.toContain(ran.json<{ id: string }>().id)
  },
  'GET /v1/executions/:id': async ({ t, a, bExecutionId }: World) => {
    const res = await t.app.inject({ url: `/v1/executions/${bExecutionId}`, headers: bearer(a.adminKey) })
    expect(res.statusCode).toBe(404)
  },
  'POST /v1/executions/:id/retry': async ({ t, a, b, bExecutionId }: World) => {
    const before = (await t.app.inject({ url: '/v1/executions', headers: bearer(b.adminKey) })).body
    const res = await t.app.inject({
      method: 'POST',
      url: `/v1/executions/${bExecutionId}/retry`,
      headers: bearer(a.adminKey),
      payload: {},
    })
    expect(res.statusCode).toBe(404)
    expect((await t.app.inject({ url: '/v1/executions', headers: bearer(b.adminKey) })).body).toBe(before)
  },
  'POST /v1/executions/:id/cancel': async ({ t, a, bExecutionId }: World) => {
    const res = await t.app.inject({
      method: 'POST',
      url: `/v1/executions/${bExecutionId}/cancel`,
      headers: bearer(a.adminKey),
      payload: {},
    })
    expect(res.statusCode).toBe(404)
  },
  'POST /v1/batches': async ({ t, a, b, bCredentialId }: World) => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/batches',
      headers: bearer(a.adminKey),
      payload: { items: [{ ...blockedCall, credentialId: bCredentialId }] },
    })
    // The batch is A's; its item names B's credential, which A cannot see, so the item fails.
    expect(res.statusCode).toBe(202)
    const items = await t.app.inject({
      url: `/v1/batches/${res.json<{ id: string }>().id}/items`,
      headers: bearer(a.adminKey),
    })
    expect(items.json<{ data: { error: { class: string } }[] }>().data[0]?.error.class).toBe(
      'validation_error',
    )
    const bList = await t.app.inject({ url: '/v1/batches', headers: bearer(b.adminKey) })
    expect(bList.body).not.toContain(res.json<{ id: string }>().id)
  },
  'GET /v1/batches': async ({ t, a, bBatchId }: World) => {
    const res = await t.app.inject({ url: '/v1/batches', headers: bearer(a.adminKey) })
    expect(res.statusCode).toBe(200)
    expect(res.body).not.toContain(bBatchId)
  },
  'GET /v1/batches/:id': async ({ t, a, bBatchId }: World) => {
    const res = await t.app.inject({ url: `/v1/batches/${bBatchId}`, headers: bearer(a.adminKey) })
    expect(res.statusCode).toBe(404)
  },
  'GET /v1/batches/:id/items': async ({ t, a, bBatchId }: World) => {
    const res = await t.app.inject({ url: `/v1/batches/${bBatchId}/items`, headers: bearer(a.adminKey) })
    expect(res.statusCode).toBe(404)
  },
  'POST /v1/batches/:id/cancel': async ({ t, a, bBatchId }: World) => {
    const res = await t.app.inject({
      method: 'POST',
      url: `/v1/batches/${bBatchId}/cancel`,
      headers: bearer(a.adminKey),
      payload: {},
    })
    expect(res.statusCode).toBe(404)
  },
})

// Outbound webhooks: B subscribes (to a loopback URL the network rules refuse, so nothing is sent;
// the next attempt is 5 s later) and sends itself a test event; A can neither see, change, test, rotate nor replay any of it.
const bWebhooks = new WeakMap<World, Promise<{ webhookId: string; deliveryId: string }>>()
function bWebhook(w: World): Promise<{ webhookId: string; deliveryId: string }> {
  let made = bWebhooks.get(w)
  if (made === undefined) {
    made = (async () => {
      const created = await w.t.app.inject({
        method: 'POST',
        url: '/v1/webhooks',
        headers: bearer(w.b.adminKey),
        payload: { url: 'http://127.0.0.1:9/b-hook', events: ['batch.completed'] },
      })
      expect(created.statusCode, created.body).toBe(201)
      const webhookId = json<{ id: string }>(created).id
      const test = await w.t.app.inject({
        method: 'POST',
        url: `/v1/webhooks/${webhookId}/test`,
        headers: bearer(w.b.adminKey),
      })
      expect(test.statusCode, test.body).toBe(202)
      const deliveryId = json<{ id: string }>(test).id
      // Its first (refused) attempt marks the subscription failing: wait for it, so B's records
      // change no more while A acts.
      for (let tries = 0; tries < 500; tries++) {
        const delivery = await w.t.app.inject({
          url: `/v1/webhooks/${webhookId}/deliveries/${deliveryId}`,
          headers: bearer(w.b.adminKey),
        })
        if (json<{ attempts: unknown[] }>(delivery).attempts.length > 0) break
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
      return { webhookId, deliveryId }
    })()
    bWebhooks.set(w, made)
  }
  return made
}
const readBWebhook = async (w: World, id: string) =>
  (await w.t.app.inject({ url: `/v1/webhooks/${id}`, headers: bearer(w.b.adminKey) })).body
Object.assign(isolation, {
  'GET /v1/webhooks': async (w: World) => {
    const { webhookId } = await bWebhook(w)
    const res = await w.t.app.inject({ url: '/v1/webhooks?limit=200', headers: bearer(w.a.adminKey) })
    expect(res.statusCode).toBe(200)
    expect(res.body).not.toContain(webhookId)
  },
  'POST /v1/webhooks': async (w: World) => {
    await bWebhook(w)
    const listB = async () =>
      (await w.t.app.inject({ url: '/v1/webhooks?limit=200', headers: bearer(w.b.adminKey) })).body
    const before = await listB()
    const res = await w.t.app.inject({
      method: 'POST',
      url: '/v1/webhooks',
      headers: bearer(w.a.adminKey),
      payload: { url: 'https://a.example.com/hook' },
    })
    expect(res.statusCode).toBe(201)
    expect(await listB()).toBe(before)
  },
  'GET /v1/webhooks/:id': async (w: World) => {
    const { webhookId } = await bWebhook(w)
    const res = await w.t.app.inject({ url: `/v1/webhooks/${webhookId}`, headers: bearer(w.a.adminKey) })
    expect(res.statusCode).toBe(404)
  },
  'PATCH /v1/webhooks/:id': async (w: World) => {
    const { webhookId } = await bWebhook(w)
    const before = await readBWebhook(w, webhookId)
    const res = await w.t.app.inject({
      method: 'PATCH',
      url: `/v1/webhooks/${webhookId}`,
      headers: bearer(w.a.adminKey),
      payload: { url: 'https://attacker.example.com/', events: ['*'] },
    })
    expect(res.statusCode).toBe(404)
    expect(await readBWebhook(w, webhookId)).toBe(before)
  },
  'DELETE /v1/webhooks/:id': async (w: World) => {
    const { webhookId } = await bWebhook(w)
    const res = await w.t.app.inject({
      method: 'DELETE',
      url: `/v1/webhooks/${webhookId}`,
      headers: bearer(w.a.adminKey),
    })
    expect(res.statusCode).toBe(404)
    expect(
      (await w.t.app.inject({ url: `/v1/webhooks/${webhookId}`, headers: bearer(w.b.adminKey) })).statusCode,
    ).toBe(200)
  },
  'POST /v1/webhooks/:id/rotate-secret': async (w: World) => {
    const { webhookId } = await bWebhook(w)
    const before = await readBWebhook(w, webhookId)
    const res = await w.t.app.inject({
      method: 'POST',
      url: `/v1/webhooks/${webhookId}/rotate-secret`,
      headers: bearer(w.a.adminKey),
      payload: { overlapSeconds: 0 },
    })
    expect(res.statusCode).toBe(404)
    expect(res.body).not.toContain('whsec_')
    expect(await readBWebhook(w, webhookId)).toBe(before)
  },
  'POST /v1/webhooks/:id/test': async (w: World) => {
    const { webhookId } = await bWebhook(w)
    const count = async () =>
      json<{ data: unknown[] }>(
        await w.t.app.inject({ url: `/v1/webhooks/${webhookId}/deliveries`, headers: bearer(w.b.adminKey) }),
      ).data.length
    const before = await count()
    const res = await w.t.app.inject({
      method: 'POST',
      url: `/v1/webhooks/${webhookId}/test`,
      headers: bearer(w.a.adminKey),
    })
    expect(res.statusCode).toBe(404)
    expect(await count()).toBe(before)
  },
  'GET /v1/webhooks/:id/deliveries': async (w: World) => {
    const { webhookId } = await bWebhook(w)
    const res = await w.t.app.inject({
      url: `/v1/webhooks/${webhookId}/deliveries`,
      headers: bearer(w.a.adminKey),
    })
    expect(res.statusCode).toBe(404)
  },
  'GET /v1/webhooks/:id/deliveries/:deliveryId': async (w: World) => {
    const { webhookId, deliveryId } = await bWebhook(w)
    const own = await w.t.app.inject({
      method: 'POST',
      url: '/v1/webhooks',
      headers: bearer(w.a.adminKey),
      payload: { url: 'https://a.example.com/own', enabled: false },
    })
    // Neither through B's subscription nor through one of A's own.
    for (const via of [webhookId, json<{ id: string }>(own).id]) {
      const res = await w.t.app.inject({
        url: `/v1/webhooks/${via}/deliveries/${deliveryId}`,
        headers: bearer(w.a.adminKey),
      })
      expect(res.statusCode).toBe(404)
      expect(res.body).not.toContain('b-hook')
    }
  },
  'POST /v1/webhooks/:id/deliveries/:deliveryId/replay': async (w: World) => {
    const { webhookId, deliveryId } = await bWebhook(w)
    const res = await w.t.app.inject({
      method: 'POST',
      url: `/v1/webhooks/${webhookId}/deliveries/${deliveryId}/replay`,
      headers: bearer(w.a.adminKey),
    })
    expect(res.statusCode).toBe(404)
    const mine = await w.t.app.inject({
      url: `/v1/webhooks/${webhookId}/deliveries/${deliveryId}`,
      headers: bearer(w.b.adminKey),
    })
    expect(mine.statusCode).toBe(200)
  },
})

/** A concrete URL for a route template: path parameters get a plausible id. */
function concrete(url: string): string {
  return url.replace(/:([A-Za-z]+)/g, 'x_0000')
}

/** A key whose scopes do not grant `required` (the broadest such set, to prove the check is exact). */
function scopesWithout(required: Scope): Scope[] {
  return scopes.filter((s) => !grants([s], required))
}

describe.each(dialects)('access control on %s', (dialect) => {
  let world: World

  beforeAll(async () => {
    const t = await startTestApp(dialect)
    const password = 'the shared test password'
    const tenant = async (slug: string, email: string): Promise<Tenant> => {
      const ws = await t.workspace(slug)
      await t.app.services.auth.addUser({ email, password, workspaceId: ws.id, role: 'owner' })
      const login = await t.app.inject({
        method: 'POST',
        url: '/v1/auth/login',
        payload: { email, password },
      })
      return {
        id: ws.id,
        adminKey: ws.key,
        userEmail: email,
        session: {
          cookies: {
            toolplane_session: login.cookies.find((c) => c.name === 'toolplane_session')?.value ?? '',
          },
          headers: { 'x-csrf-token': json<{ csrfToken: string }>(login).csrfToken },
        },
      }
    }
    const a = await tenant('a', 'a-user@example.com')
    const b = await tenant('b', 'b-user@example.com')
    const imported = await t.app.inject({
      method: 'POST',
      url: '/v1/tools/import',
      headers: bearer(b.adminKey),
      payload: { document: privateApi, slug: 'b_private_api', name: 'B private API' },
    })
    expect(imported.statusCode, imported.body).toBe(201)
    const credential = await t.app.inject({
      method: 'POST',
      url: '/v1/credentials',
      headers: bearer(b.adminKey),
      payload: { tool: 'http', name: 'B token', authMethod: 'bearer', secrets: { token: 'b-token-value' } },
    })
    expect(credential.statusCode, credential.body).toBe(201)
    for (const [tool, clientId] of [
      ['github', 'b-client'],
      ['linear', 'b-linear-client'],
    ] as const) {
      const saved = await t.app.inject({
        method: 'PUT',
        url: `/v1/oauth/${tool}/app`,
        headers: bearer(b.adminKey),
        payload: { clientId, clientSecret: 'b-secret' },
      })
      expect(saved.statusCode, saved.body).toBe(201)
    }
    const execution = await t.app.inject({
      method: 'POST',
      url: '/v1/executions',
      headers: bearer(b.adminKey),
      payload: blockedCall,
    })
    expect(execution.statusCode, execution.body).toBe(200)
    const batch = await t.app.inject({
      method: 'POST',
      url: '/v1/batches',
      headers: bearer(b.adminKey),
      payload: { items: [blockedCall] },
    })
    expect(batch.statusCode, batch.body).toBe(202)
    world = {
      t,
      a,
      b,
      password,
      bCredentialId: credential.json<{ id: string }>().id,
      bExecutionId: execution.json<{ id: string }>().id,
      bBatchId: batch.json<{ id: string }>().id,
    }
  })
  afterAll(() => world.t.close())

  const v1Routes = () => world.t.app.declaredRoutes.filter((r) => r.url.startsWith('/v1'))

  it('covers every route: each is either public by decision or in the isolation matrix', () => {
    const registered = v1Routes().map((r) => `${r.method} ${r.url}`)
    const declaredPublic = v1Routes()
      .filter((r) => r.auth === 'public')
      .map((r) => `${r.method} ${r.url}`)
    expect(declaredPublic.sort()).toEqual([...publicRoutes].sort())
    expect(registered.filter((r) => !publicRoutes.includes(r)).sort()).toEqual(Object.keys(isolation).sort())
  })

  it('answers 401 problem+json to every protected route called without credentials', async () => {
    for (const route of v1Routes().filter((r) => r.auth !== 'public')) {
      const res = await world.t.app.inject({ method: route.method as 'GET', url: concrete(route.url) })
      expect(res.statusCode, `${route.method} ${route.url}`).toBe(401)
      expect(res.headers['content-type']).toContain('application/problem+json')
      expect(res.headers['www-authenticate']).toBe('Bearer realm="toolplane"')
      expect(res.json()).toMatchObject({ code: 'unauthenticated', status: 401 })
    }
  })

  it('answers 401 to a malformed Authorization header and to an unknown key', async () => {
    for (const authorization of [
      'Basic dXNlcjpwYXNz',
      'Bearer',
      'Bearer tp_unknown',
      'Bearer not-a-toolplane-key',
    ]) {
      const res = await world.t.app.inject({ url: '/v1/me', headers: { authorization } })
      expect(res.statusCode, authorization).toBe(401)
    }
  })

  it('answers 403 to every scoped route called with a key lacking its scope', async () => {
    const { t, a } = world
    for (const route of v1Routes()) {
      if (route.auth === 'public' || route.auth.scope === null) continue
      const key = await t.key(a.id, scopesWithout(route.auth.scope))
      const res = await t.app.inject({
        method: route.method as 'GET',
        url: concrete(route.url),
        headers: bearer(key),
        payload: {},
      })
      expect(res.statusCode, `${route.method} ${route.url}`).toBe(403)
      expect(res.json()).toMatchObject({
        code: 'forbidden',
        detail: expect.stringContaining(route.auth.scope) as string,
      })
    }
  })

  it.each(Object.keys(isolation))('keeps workspace B out of reach of workspace A: %s', async (route) => {
    await isolation[route]?.(world)
  })
})
