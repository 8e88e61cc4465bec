// Secrets in an action's input and output never reach the execution record, its search text or the
// logs: input fields marked Secret are redacted (and sealed for the worker), output fields marked
// Secret reach the caller of a sync run only.
import { Secret, Type, auth, defineAction, defineTool } from '@toolplane/sdk'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { dialects } from '../testing/databases.js'
import { bearer, startTestApp } from '../testing/harness.js'
import type { TestApp } from '../testing/harness.js'

const inputSecret = 'in-secret-7f3a9c'
const outputSecret = 'out-secret-5d2e81'

const vault = defineTool({
  slug: 'vault',
  name: 'Vault',
  description: 'A tool whose action takes and returns secrets.',
  version: '1.0.0',
  categories: ['test'],
  authMethods: [auth.none()],
  actions: [
    defineAction({
      name: 'open',
      title: 'Open',
      description: 'Checks the key it was given and hands out a token.',
      input: Type.Object({ label: Type.String(), key: Secret(Type.String()) }),
      output: Type.Object({ label: Type.String(), keyLength: Type.Integer(), token: Secret(Type.String()) }),
      run({ input }) {
        return Promise.resolve({ label: input.label, keyLength: input.key.length, token: outputSecret })
      },
    }),
  ],
})

describe.each(dialects)('secrets in executions on %s', (dialect) => {
  let t: TestApp
  let ws: { id: string; key: string }

  beforeAll(async () => {
    t = await startTestApp(
      dialect,
      {},
      { plugins: { tools: [{ tool: vault, plugin: 'test', builtin: false }], refused: [] } },
    )
    ws = await t.workspace('secrets')
  })
  afterAll(() => t.close())

  const post = (payload: object) =>
    t.app.inject({ method: 'POST', url: '/v1/executions', headers: bearer(ws.key), payload })
  const get = (url: string) => t.app.inject({ url, headers: bearer(ws.key) })

  it('gives a sync caller the secret output once and records neither secret', async () => {
    const res = await post({ action: 'vault.open', input: { label: 'front door', key: inputSecret } })
    const execution = res.json<{
      id: string
      output: { token: string; keyLength: number }
      input: { key: string }
    }>()
    expect(execution.output).toEqual({
      label: 'front door',
      keyLength: inputSecret.length,
      token: outputSecret,
    })
    expect(execution.input.key).toBe('[REDACTED]')
    expect(res.body).not.toContain(inputSecret)
    const stored = await get(`/v1/executions/${execution.id}`)
    expect(stored.json<{ output: { token: string } }>().output.token).toBe('[REDACTED]')
    expect(stored.body).not.toContain(outputSecret)
  })

  it('runs an async execution with the real secret input, sealed while it waits', async () => {
    const res = await post({
      action: 'vault.open',
      input: { label: 'back door', key: inputSecret },
      mode: 'async',
    })
    const id = res.json<{ id: string }>().id
    await vi.waitFor(async () => {
      expect((await get(`/v1/executions/${id}`)).json<{ status: string }>().status).toBe('succeeded')
    })
    const done = (await get(`/v1/executions/${id}`)).json<{ output: { keyLength: number; token: string } }>()
    expect(done.output).toMatchObject({ keyLength: inputSecret.length, token: '[REDACTED]' })
  })

  it('keeps a secret picked by an output transformation out of the record', async () => {
    const res = await post({
      action: 'vault.open',
      input: { label: 'side door', key: inputSecret },
      transform: { output: '{ "t": token }' },
    })
    const execution = res.json<{ id: string; output: { t: string } }>()
    expect(execution.output.t).toBe(outputSecret)
    expect((await get(`/v1/executions/${execution.id}`)).body).not.toContain(outputSecret)
  })

  it('leaves no secret in any row, search index or log line', async () => {
    const tables = ['executions', 'jobs', 'idempotency_keys'] as const
    for (const table of tables) {
      const rows = await t.database.db.selectFrom(table).selectAll().execute()
      const text = JSON.stringify(rows)
      expect(text, table).not.toContain(inputSecret)
      expect(text, table).not.toContain(outputSecret)
    }
    const lines = t.logText().split('\n')
    for (const secret of [inputSecret, outputSecret]) {
      expect(lines.filter((line) => line.includes(secret))).toEqual([])
    }
    // Searching for them finds nothing (the search request's own log line shows the query: that is
    // the caller's choice, so it comes after the log check).
    for (const q of [inputSecret, outputSecret]) {
      const found = await get(`/v1/executions?q=${q}`)
      expect(found.json<{ data: unknown[] }>().data).toEqual([])
    }
  })
})
