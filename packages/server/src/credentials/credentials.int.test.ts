import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dialects } from '../testing/databases.js'
import { bearer, startTestApp } from '../testing/harness.js'
import type { TestApp } from '../testing/harness.js'
import { openSecrets, parseEnvelope } from './envelope.js'
import { MissingMasterKeyError } from './keyring.js'
import { loadKeyring, rotateKeys } from './keys.js'
import { credentialService } from './service.js'
import { credentialStore } from './store.js'

interface CredentialBody {
  id: string
  name: string
  status: string
  statusReason: string | null
  fields: Record<string, { set: boolean; hint: string | null }>
  externalUserId: string | null
}

/** Every way a secret could be written down: as is, hex, base64 and base64url at each alignment. */
function encodingsOf(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8')
  const forms = [secret, bytes.toString('hex'), bytes.toString('hex').toUpperCase()]
  for (let offset = 0; offset < 3; offset++) {
    const shifted = bytes.subarray(offset)
    // Inner characters only: the edges of a base64 run depend on the neighbouring bytes.
    forms.push(shifted.toString('base64').slice(2, -4), shifted.toString('base64url').slice(2, -4))
  }
  return forms
}

describe.each(dialects)('credentials on %s', (dialect) => {
  let t: TestApp
  let ws: { id: string; key: string }
  const responses: string[] = []

  beforeAll(async () => {
    t = await startTestApp(dialect)
    ws = await t.workspace('creds')
  })
  afterAll(() => t.close())

  const call = async (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) => {
    const res = await t.app.inject({
      method,
      url,
      headers: bearer(ws.key),
      ...(payload === undefined ? {} : { payload }),
    })
    responses.push(res.body)
    return res
  }

  it('stores a credential and shows which fields are set, with masked hints, never the secret', async () => {
    const res = await call('POST', '/v1/credentials', {
      tool: 'http',
      name: 'Partner API',
      authMethod: 'basic',
      secrets: { username: 'partner-user-001', password: 'hunter2' },
      externalUserId: 'user-42',
    })
    expect(res.statusCode, res.body).toBe(201)
    const body = res.json<CredentialBody>()
    expect(body).toMatchObject({
      name: 'Partner API',
      status: 'unchecked',
      externalUserId: 'user-42',
      fields: { username: { set: true, hint: '••••-001' }, password: { set: true, hint: '••••' } },
    })
    expect(res.body).not.toContain('hunter2')
    expect(res.body).not.toContain('partner-user-001')

    const list = await call('GET', '/v1/credentials?externalUserId=user-42')
    expect(list.json<{ data: { id: string }[] }>().data.map((c) => c.id)).toEqual([body.id])
    const none = await call('GET', '/v1/credentials?externalUserId=someone-else')
    expect(none.json<{ data: unknown[] }>().data).toEqual([])
    const byTool = await call('GET', '/v1/credentials?tool=github')
    expect(byTool.json<{ data: unknown[] }>().data).toEqual([])
  })

  it('updates secrets field by field under a fresh data key, and marks the credential unchecked', async () => {
    const created = (
      await call('POST', '/v1/credentials', {
        tool: 'http',
        name: 'Rotating',
        authMethod: 'basic',
        secrets: { username: 'service-account', password: 'first-password-1' },
      })
    ).json<CredentialBody>()
    const before = await t.database.db
      .selectFrom('credentials')
      .select('secret_envelope')
      .where('id', '=', created.id)
      .executeTakeFirstOrThrow()

    const res = await call('PATCH', `/v1/credentials/${created.id}`, {
      name: 'Rotated',
      secrets: { password: 'second-password-2' },
    })
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json()).toMatchObject({
      name: 'Rotated',
      status: 'unchecked',
      fields: { password: { hint: '••••rd-2' } },
    })

    const after = await t.database.db
      .selectFrom('credentials')
      .select('secret_envelope')
      .where('id', '=', created.id)
      .executeTakeFirstOrThrow()
    expect(parseEnvelope(after.secret_envelope).dek.ct).not.toBe(parseEnvelope(before.secret_envelope).dek.ct)
    const opened = await t.app.credentials.open(ws.id, created.id)
    expect(opened.secrets).toEqual({ username: 'service-account', password: 'second-password-2' })
  })

  it('refuses bad input with field-level problems that name fields, not values, and changes nothing', async () => {
    const count = async () => (await t.database.db.selectFrom('credentials').select('id').execute()).length
    const before = await count()
    const cases: [object, string][] = [
      [{ tool: 'nope', name: 'x', authMethod: 'bearer', secrets: { token: 'leak-me-1' } }, '/body/tool'],
      [
        { tool: 'http', name: 'x', authMethod: 'oauth9', secrets: { token: 'leak-me-2' } },
        '/body/authMethod',
      ],
      [{ tool: 'http', name: 'x', authMethod: 'bearer', secrets: { tokn: 'leak-me-3' } }, '/body/secrets'],
      [{ tool: 'http', name: 'x', authMethod: 'bearer', secrets: { token: 12345 } }, '/body/secrets/token'],
    ]
    for (const [payload, path] of cases) {
      const res = await call('POST', '/v1/credentials', payload)
      expect(res.statusCode, res.body).toBe(400)
      expect(JSON.stringify(res.json<{ errors: { path: string }[] }>().errors)).toContain(path)
      expect(res.body).not.toMatch(/leak-me|12345/)
    }
    expect(await count()).toBe(before)
    expect((await call('GET', '/v1/credentials/cred_missing')).statusCode).toBe(404)
    expect((await call('PATCH', '/v1/credentials/cred_missing', { name: 'x' })).statusCode).toBe(404)
    expect((await call('DELETE', '/v1/credentials/cred_missing')).statusCode).toBe(404)
  })

  it('deletes a credential and its encrypted secrets', async () => {
    const created = (
      await call('POST', '/v1/credentials', {
        tool: 'http',
        name: 'Temp',
        authMethod: 'bearer',
        secrets: { token: 'temporary-token' },
      })
    ).json<CredentialBody>()
    expect((await call('DELETE', `/v1/credentials/${created.id}`)).statusCode).toBe(204)
    expect((await call('GET', `/v1/credentials/${created.id}`)).statusCode).toBe(404)
    expect(
      await t.database.db.selectFrom('credentials').select('id').where('id', '=', created.id).execute(),
    ).toEqual([])
  })

  it('keeps a canary secret out of the database, the logs, every response and every error message', async () => {
    const canary = `canary-${randomBytes(12).toString('hex')}`
    const created = await call('POST', '/v1/credentials', {
      tool: 'http',
      name: 'Canary',
      authMethod: 'bearer',
      secrets: { token: canary },
    })
    expect(created.statusCode).toBe(201)
    const id = created.json<CredentialBody>().id
    await call('GET', `/v1/credentials/${id}`)
    await call('GET', '/v1/credentials')
    await call('PATCH', `/v1/credentials/${id}`, { name: 'Canary renamed' })
    // Errors around the secret: a wrong type next to it, an unknown field carrying it.
    await call('PATCH', `/v1/credentials/${id}`, { secrets: { token: canary, extra: canary } })
    await call('POST', '/v1/credentials', {
      tool: 'http',
      name: 'x',
      authMethod: 'basic',
      secrets: { username: canary },
    })
    expect((await t.app.credentials.open(ws.id, id)).secrets).toEqual({ token: canary })

    const forms = encodingsOf(canary)
    const mustNotContain = (where: string, text: string) => {
      for (const form of forms)
        expect(text.includes(form), `${where} contains the canary (${form})`).toBe(false)
    }
    for (const body of responses) mustNotContain('an API response', body)
    mustNotContain('the logs', t.logText())
    expect(t.logs.some((l) => l.level === 'debug' || l.level === 'info')).toBe(true)

    // Positive control: the search reads the stored data (the credential's name is there).
    let stored = ''
    if (t.database.dialect === 'sqlite') {
      const dir = path.dirname(t.testDatabase.url.replace('sqlite://', ''))
      for (const file of fs.readdirSync(dir)) {
        const content = fs.readFileSync(path.join(dir, file)).toString('latin1')
        stored += content
        mustNotContain(`the SQLite file ${file}`, content)
      }
    } else {
      const tables = await sql<{
        name: string
      }>`select table_name as name from information_schema.tables where table_schema = 'public'`.execute(
        t.database.db,
      )
      expect(tables.rows.length).toBeGreaterThan(5)
      for (const { name } of tables.rows) {
        const rows = await sql<{
          row: unknown
        }>`select row_to_json(t) as row from ${sql.table(name)} t`.execute(t.database.db)
        stored += JSON.stringify(rows.rows)
        mustNotContain(`PostgreSQL table ${name}`, JSON.stringify(rows.rows))
      }
    }
    expect(stored).toContain('Canary renamed')
  })
})

describe.each(dialects)('master key rotation on %s', (dialect) => {
  it('re-wraps every credential online, resumes after an interruption, and refuses a key that opens nothing', async () => {
    const t = await startTestApp(dialect)
    try {
      const ws = await t.workspace('rotation')
      const service = t.app.credentials
      const ids: string[] = []
      for (let i = 0; i < 25; i++) {
        const created = await service.create(ws.id, {
          tool: 'http',
          name: `cred ${i}`,
          authMethod: 'bearer',
          secrets: { token: `token-number-${i}` },
        })
        ids.push(created.id)
      }
      await t.app.connections.saveApp(ws.id, 'github', {
        clientId: 'gh-client',
        clientSecret: 'gh-client-secret',
      })
      const subscribed = await t.app.inject({
        method: 'POST',
        url: '/v1/webhooks',
        headers: { authorization: `Bearer ${ws.key}` },
        payload: { url: 'https://receiver.example/hooks', events: ['execution.*'] },
      })
      expect(subscribed.statusCode, subscribed.body).toBe(201)
      const webhookSecret = subscribed.json<{ secret: string }>().secret
      const oldKey = Buffer.alloc(32, 7) // the harness's TOOLPLANE_MASTER_KEY
      const newKey = randomBytes(32)

      // A server started with only a new, unknown key refuses, naming the version it cannot open.
      await expect(
        loadKeyring(t.database.db, { current: newKey, previous: [] }, t.now.value),
      ).rejects.toBeInstanceOf(MissingMasterKeyError)
      // ...and registers nothing: the refused key does not become a version.
      expect(await t.database.db.selectFrom('master_keys').select('version').execute()).toEqual([
        { version: 1 },
      ])

      const rotating = await loadKeyring(t.database.db, { current: newKey, previous: [oldKey] }, t.now.value)
      expect(rotating.current).toBe(2)

      // Interrupted after the first batch...
      const controller = new AbortController()
      const partial = await rotateKeys(t.database.db, rotating, {
        batchSize: 10,
        now: () => t.now.value,
        onBatch: () => {
          controller.abort()
        },
        signal: controller.signal,
      })
      expect(partial.rewrapped).toBe(10)
      expect(partial.remaining).toBe(17) // 15 credentials, the OAuth app and the webhook

      // ...while credentials keep being read and changed by a server holding both keys...
      const serving = credentialService({
        store: credentialStore(t.database.db),
        keyring: rotating,
        clock: () => t.now.value,
        findTool: async (workspaceId, slug) => (await t.app.catalog.get(workspaceId, slug)).tool,
      })
      const load = Promise.all(
        ids.map(async (id, i) => {
          if (i % 5 === 0) await serving.update(ws.id, id, { secrets: { token: `changed-${i}` } })
          return (await serving.open(ws.id, id)).secrets.token
        }),
      )
      // ...the next run finishes the job.
      const [tokens, rest] = await Promise.all([
        load,
        rotateKeys(t.database.db, rotating, { batchSize: 10, now: () => t.now.value }),
      ])
      expect(tokens).toHaveLength(25)
      expect(rest.remaining).toBe(0)
      expect(partial.rewrapped + rest.rewrapped + rest.skipped).toBeGreaterThanOrEqual(15)

      // Every credential now opens with the new key alone, and the old version is retired.
      const newOnly = await loadKeyring(t.database.db, { current: newKey, previous: [] }, t.now.value)
      const after = credentialService({
        store: credentialStore(t.database.db),
        keyring: newOnly,
        clock: () => t.now.value,
        findTool: async (workspaceId, slug) => (await t.app.catalog.get(workspaceId, slug)).tool,
      })
      for (const [i, id] of ids.entries()) {
        expect((await after.open(ws.id, id)).secrets.token).toBe(
          i % 5 === 0 ? `changed-${i}` : `token-number-${i}`,
        )
      }
      // The OAuth app's client secret was re-wrapped too.
      const app = await t.database.db.selectFrom('oauth_apps').selectAll().executeTakeFirstOrThrow()
      expect(app.key_version).toBe(2)
      expect(
        openSecrets(
          parseEnvelope(app.secret_envelope),
          { workspaceId: ws.id, credentialId: app.id },
          newOnly,
        ),
      ).toEqual({
        clientSecret: 'gh-client-secret',
      })
      // ...and so was the webhook's signing secret.
      const webhook = await t.database.db.selectFrom('webhooks').selectAll().executeTakeFirstOrThrow()
      expect(webhook.key_version).toBe(2)
      expect(
        openSecrets(
          parseEnvelope(webhook.secret_envelope),
          { workspaceId: ws.id, credentialId: webhook.id },
          newOnly,
        ),
      ).toMatchObject({ secret: webhookSecret })
      const versions = await t.database.db.selectFrom('master_keys').selectAll().orderBy('version').execute()
      expect(versions.map((v) => [v.version, v.retired_at !== null])).toEqual([
        [1, true],
        [2, false],
      ])
    } finally {
      await t.close()
    }
  })
})
