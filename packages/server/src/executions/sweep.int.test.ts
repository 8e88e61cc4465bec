// The background sweep on both databases: retention, expired idempotency keys, async executions
// whose job was lost, and sync executions a crash left running.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dialects } from '../testing/databases.js'
import { executionRow } from '../testing/executions.js'
import { bearer, startTestApp } from '../testing/harness.js'
import type { TestApp } from '../testing/harness.js'
import { abandonedSyncAfterMs, lostJobAfterMs } from './sweep.js'
import type { ExecutionRow } from './store.js'

const day = 86_400_000

describe.each(dialects)('the execution sweep on %s', (dialect) => {
  let t: TestApp
  let ws: { id: string; key: string }

  beforeAll(async () => {
    // No worker: the test decides when jobs run.
    t = await startTestApp(dialect, { TOOLPLANE_EXECUTION_RETENTION_DAYS: '7' }, { runWorker: false })
    ws = await t.workspace('sweep')
  })
  afterAll(() => t.close())

  const row = (id: string, changes: Partial<ExecutionRow>): ExecutionRow =>
    executionRow(ws.id, id, { created_at: t.now.value, ...changes })

  it('deletes executions past retention, keeps the rest, and forgets expired idempotency keys', async () => {
    const db = t.database.db
    await db
      .insertInto('executions')
      .values([
        row('00000000-0000-7000-8000-000000000001', { created_at: t.now.value - 8 * day }),
        row('00000000-0000-7000-8000-000000000002', { created_at: t.now.value - 6 * day }),
      ])
      .execute()
    await db
      .insertInto('idempotency_keys')
      .values({
        workspace_id: ws.id,
        key: 'old',
        request_hash: 'h',
        execution_id: 'x',
        created_at: t.now.value - 2 * day,
        expires_at: t.now.value - day,
      })
      .execute()
    const result = await t.app.sweepExecutions()
    expect(result.deleted).toBe(1)
    const left = await db.selectFrom('executions').select('id').where('workspace_id', '=', ws.id).execute()
    expect(left.map((r) => r.id)).toEqual(['00000000-0000-7000-8000-000000000002'])
    expect(await db.selectFrom('idempotency_keys').selectAll().execute()).toEqual([])
    // The search index forgets deleted rows too.
    const found = await t.app.inject({ url: '/v1/executions?q=http', headers: bearer(ws.key) })
    expect(found.json<{ data: { id: string }[] }>().data.map((e) => e.id)).toEqual([
      '00000000-0000-7000-8000-000000000002',
    ])
  })

  it('enqueues again an async execution whose job was lost, and fails a sync run a crash left behind', async () => {
    const db = t.database.db
    await db
      .insertInto('executions')
      .values([
        row('00000000-0000-7000-8000-000000000010', {
          status: 'queued',
          created_at: t.now.value - lostJobAfterMs - 1000,
        }),
        row('00000000-0000-7000-8000-000000000011', {
          mode: 'sync',
          status: 'running',
          started_at: t.now.value - abandonedSyncAfterMs - 1000,
        }),
        row('00000000-0000-7000-8000-000000000012', {
          mode: 'sync',
          status: 'running',
          started_at: t.now.value,
        }),
      ])
      .execute()
    const result = await t.app.sweepExecutions()
    expect(result).toMatchObject({ requeued: 1, abandoned: 1 })
    expect((await t.app.queue.counts('executions')).waiting).toBe(1)
    const statuses = await db
      .selectFrom('executions')
      .select(['id', 'status', 'error_class'])
      .where('id', 'in', ['00000000-0000-7000-8000-000000000011', '00000000-0000-7000-8000-000000000012'])
      .orderBy('id')
      .execute()
    expect(statuses).toEqual([
      { id: '00000000-0000-7000-8000-000000000011', status: 'failed', error_class: 'internal_error' },
      { id: '00000000-0000-7000-8000-000000000012', status: 'running', error_class: null },
    ])
    // A second pass finds the job already queued and adds nothing.
    await t.app.sweepExecutions()
    expect((await t.app.queue.counts('executions')).waiting).toBe(1)
  })
})
