import { randomBytes } from 'node:crypto'
import fastifyCookie from '@fastify/cookie'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { apiKeyService } from '../api-keys/service.js'
import { apiKeyStore } from '../api-keys/store.js'
import { authService } from '../auth/service.js'
import { authStore } from '../auth/store.js'
import { parseRateLimit } from '../config.js'
import { openDatabase } from '../db/database.js'
import type { Database } from '../db/database.js'
import { migrateUp } from '../db/migrator.js'
import { AppError } from '../errors.js'
import type { App } from '../http/app-types.js'
import { registerAuthentication } from '../http/authentication.js'
import { registerProblemHandlers } from '../http/problems.js'
import { ProblemSchema } from '../http/schemas.js'
import { registerValidation } from '../http/validation.js'
import { createTestDatabase, dialects } from '../testing/databases.js'
import type { TestDatabase } from '../testing/databases.js'
import { bearer } from '../testing/harness.js'
import { workspaceService } from '../workspaces/service.js'
import { workspaceStore } from '../workspaces/store.js'
import { registerUsageRoutes } from './routes.js'
import { periodBounds, periodOf, quotaExceeded, usageService } from './service.js'
import type { Admission, UsageService } from './service.js'
import { usageStore } from './store.js'

const january = Date.UTC(2026, 0, 15, 12)
const february = Date.UTC(2026, 1, 1)

describe('periods', () => {
  it('are UTC calendar months, whatever the hour', () => {
    expect(periodOf(Date.UTC(2026, 0, 31, 23, 59, 59, 999))).toBe('2026-01')
    expect(periodOf(Date.UTC(2026, 1, 1))).toBe('2026-02')
    expect(periodOf(Date.UTC(2025, 11, 31, 23, 59, 59, 999))).toBe('2025-12')
  })

  it('run from the first millisecond of the month to the first of the next, across a year', () => {
    expect(periodBounds('2026-12')).toEqual({ start: Date.UTC(2026, 11, 1), end: Date.UTC(2027, 0, 1) })
    expect(periodBounds('2024-02')).toEqual({ start: Date.UTC(2024, 1, 1), end: Date.UTC(2024, 2, 1) })
    for (const bad of ['2026-13', '2026-00', '2026-1', '26-01', '2026-01-01', '', 'now']) {
      expect(periodBounds(bad), bad).toBeUndefined()
    }
  })
})

describe.each(dialects)('usage on %s', (dialect) => {
  let testDatabase: TestDatabase
  let database: Database
  let usage: UsageService
  let workspaces: ReturnType<typeof workspaceService>
  let app: App
  let apiKeys: ReturnType<typeof apiKeyService>
  const now = { value: january }

  beforeAll(async () => {
    testDatabase = await createTestDatabase(dialect)
    database = openDatabase(testDatabase.config)
    await migrateUp(database.db)
    const clock = () => now.value
    const rateLimit = parseRateLimit('100/s')
    if (rateLimit === null) throw new Error('unreachable')
    workspaces = workspaceService({
      store: workspaceStore(database.db),
      clock,
      defaultApiRateLimit: rateLimit,
    })
    usage = usageService({ store: usageStore(database.db, database.dialect), clock })

    // The route on a minimal app with the real authentication, validation and problem handling
    // (app.ts wires it into the full app).
    apiKeys = apiKeyService({ store: apiKeyStore(database.db), clock })
    const auth = authService({
      store: authStore(database.db),
      workspaces: workspaceStore(database.db),
      clock,
      csrfKey: Buffer.alloc(32, 1),
      sessionTtlMs: 3_600_000,
    })
    app = Fastify().withTypeProvider<TypeBoxTypeProvider>()
    registerProblemHandlers(app)
    registerValidation(app)
    await app.register(fastifyCookie)
    app.addSchema(ProblemSchema)
    registerAuthentication(app, { auth, apiKeys })
    registerUsageRoutes(app, { usage })
    await app.ready()
  })
  afterAll(async () => {
    await app.close()
    await database.close()
    await testDatabase.drop()
  })

  async function workspace(quota: number | null = null): Promise<string> {
    const slug = `ws-${randomBytes(4).toString('hex')}`
    const created = await workspaces.create({ slug, name: slug })
    if (quota !== null) await workspaces.update(created.id, { monthlyExecutionQuota: quota })
    return created.id
  }

  const admitted = (results: readonly Admission[]) => results.filter((r) => r.admitted).length

  it('admits exactly the quota when 50 callers race for it', async () => {
    const id = await workspace(20)
    const results = await Promise.all(Array.from({ length: 50 }, () => usage.admit(id, 'github', 1, january)))
    expect(admitted(results)).toBe(20)
    for (const result of results.filter((r) => !r.admitted)) {
      expect(result).toEqual({ admitted: false, used: 20, quota: 20, resetAt: february })
    }
    // Every admitted caller saw a different total: each one counted once.
    const totals = results.flatMap((r) => (r.admitted ? [r.used] : []))
    expect(totals.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1))
    expect(await usage.usage(id, january)).toMatchObject({
      used: 20,
      remaining: 0,
      byTool: [{ tool: 'github', executions: 20 }],
    })
  })

  it('admits racing batches whole or not at all, never past the quota', async () => {
    const id = await workspace(20)
    const tools = ['github', 'slack']
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => usage.admit(id, tools[i % 2] ?? 'github', 3, january)),
    )
    expect(admitted(results)).toBe(6)
    const seen = await usage.usage(id, january)
    expect(seen.used).toBe(18)
    expect(seen.byTool.reduce((sum, t) => sum + t.executions, 0)).toBe(18)
    // What is left still fits a smaller batch.
    expect(await usage.admit(id, 'github', 2, january)).toEqual({ admitted: true, used: 20, quota: 20 })
  })

  it('refuses a batch larger than what remains and counts none of it', async () => {
    const id = await workspace(10)
    expect(await usage.admit(id, 'github', 7, january)).toEqual({ admitted: true, used: 7, quota: 10 })
    expect(await usage.admit(id, 'github', 4, january)).toEqual({
      admitted: false,
      used: 7,
      quota: 10,
      resetAt: february,
    })
    expect((await usage.usage(id, january)).byTool).toEqual([{ tool: 'github', executions: 7 }])
    expect(await usage.admit(id, 'slack', 3, january)).toEqual({ admitted: true, used: 10, quota: 10 })
    expect((await usage.admit(id, 'slack', 1, january)).admitted).toBe(false)
  })

  it('refuses everything under a quota of zero, even a first execution', async () => {
    const id = await workspace(0)
    expect(await usage.admit(id, 'github', 1, january)).toEqual({
      admitted: false,
      used: 0,
      quota: 0,
      resetAt: february,
    })
    expect(await usage.usage(id, january)).toMatchObject({ used: 0, remaining: 0, byTool: [] })
  })

  it('counts the executions of a workspace without a quota', async () => {
    const id = await workspace()
    expect(await usage.admit(id, 'http', 1000, january)).toEqual({ admitted: true, used: 1000, quota: null })
    const results = await Promise.all(Array.from({ length: 50 }, () => usage.admit(id, 'http', 1, january)))
    expect(admitted(results)).toBe(50)
    expect(await usage.usage(id, january)).toMatchObject({ quota: null, used: 1050, remaining: null })
  })

  it('counts per tool, most used first and ties by name', async () => {
    const id = await workspace()
    for (const [tool, count] of [
      ['github', 3],
      ['slack', 5],
      ['http', 2],
      ['http', 3],
    ] as const) {
      await usage.admit(id, tool, count, january)
    }
    expect((await usage.usage(id, january)).byTool).toEqual([
      { tool: 'http', executions: 5 },
      { tool: 'slack', executions: 5 },
      { tool: 'github', executions: 3 },
    ])
  })

  it('starts a new count at midnight UTC on the first of the month, and keeps the old one', async () => {
    const id = await workspace(2)
    const lastMillisecond = february - 1
    expect((await usage.admit(id, 'github', 2, lastMillisecond)).admitted).toBe(true)
    expect(await usage.admit(id, 'github', 1, lastMillisecond)).toEqual({
      admitted: false,
      used: 2,
      quota: 2,
      resetAt: february,
    })
    expect(await usage.admit(id, 'slack', 1, february)).toEqual({ admitted: true, used: 1, quota: 2 })
    expect(await usage.usage(id, february)).toMatchObject({
      period: '2026-02',
      used: 1,
      byTool: [{ tool: 'slack', executions: 1 }],
    })
    expect(await usage.usageInPeriod(id, '2026-01')).toMatchObject({
      period: '2026-01',
      used: 2,
      byTool: [{ tool: 'github', executions: 2 }],
    })
    // December rolls over to January of the next year.
    const december = Date.UTC(2026, 11, 31, 23)
    expect((await usage.admit(id, 'github', 2, december)).admitted).toBe(true)
    expect(await usage.admit(id, 'github', 1, december)).toMatchObject({ resetAt: Date.UTC(2027, 0, 1) })
  })

  it('gives released executions back, never below zero, to the month that counted them', async () => {
    const id = await workspace(3)
    expect((await usage.admit(id, 'github', 3, january)).admitted).toBe(true)
    expect((await usage.admit(id, 'github', 1, january)).admitted).toBe(false)
    await usage.release(id, 'github', 1, january)
    expect(await usage.usage(id, january)).toMatchObject({
      used: 2,
      remaining: 1,
      byTool: [{ tool: 'github', executions: 2 }],
    })
    expect(await usage.admit(id, 'github', 1, january)).toEqual({ admitted: true, used: 3, quota: 3 })

    // A release at the admission's time, after the month turned, leaves the new month alone.
    expect((await usage.admit(id, 'slack', 1, february)).admitted).toBe(true)
    await usage.release(id, 'github', 1, january)
    expect((await usage.usage(id, february)).used).toBe(1)
    expect((await usage.usage(id, january)).used).toBe(2)

    // More than was counted: zero, and the tool drops out of byTool.
    await usage.release(id, 'github', 10, january)
    expect(await usage.usage(id, january)).toMatchObject({ used: 0, remaining: 3, byTool: [] })
    // Nothing to release in a month with no counts.
    await usage.release(id, 'github', 1, Date.UTC(2026, 5, 1))
    expect((await usage.usage(id, Date.UTC(2026, 5, 1))).used).toBe(0)
  })

  it('refuses once the quota is lowered below the month’s use, and admits again when raised', async () => {
    const id = await workspace()
    expect((await usage.admit(id, 'github', 10, january)).admitted).toBe(true)
    await workspaces.update(id, { monthlyExecutionQuota: 5 })
    expect(await usage.admit(id, 'github', 1, january)).toEqual({
      admitted: false,
      used: 10,
      quota: 5,
      resetAt: february,
    })
    expect(await usage.usage(id, january)).toMatchObject({ quota: 5, used: 10, remaining: 0 })
    await workspaces.update(id, { monthlyExecutionQuota: 12 })
    expect((await usage.admit(id, 'github', 2, january)).admitted).toBe(true)
    expect((await usage.admit(id, 'github', 1, january)).admitted).toBe(false)
  })

  it('shows usage in the shape of SPEC §4', async () => {
    const id = await workspace(100)
    await usage.admit(id, 'github', 4, january)
    await usage.admit(id, 'slack', 6, january)
    expect(await usage.usage(id, january)).toEqual({
      period: '2026-01',
      periodStart: '2026-01-01T00:00:00.000Z',
      periodEnd: '2026-02-01T00:00:00.000Z',
      quota: 100,
      used: 10,
      remaining: 90,
      byTool: [
        { tool: 'slack', executions: 6 },
        { tool: 'github', executions: 4 },
      ],
    })
    // A month without executions, and the injected clock by default.
    now.value = Date.UTC(2026, 2, 10)
    expect(await usage.usage(id)).toEqual({
      period: '2026-03',
      periodStart: '2026-03-01T00:00:00.000Z',
      periodEnd: '2026-04-01T00:00:00.000Z',
      quota: 100,
      used: 0,
      remaining: 100,
      byTool: [],
    })
    now.value = january
  })

  it('never lets a workspace see or spend another’s counters', async () => {
    const busy = await workspace(1000)
    const quiet = await workspace(1)
    await usage.admit(busy, 'github', 999, january)
    expect(await usage.usage(quiet, january)).toMatchObject({ used: 0, remaining: 1, byTool: [] })
    expect(await usage.admit(quiet, 'github', 1, january)).toEqual({ admitted: true, used: 1, quota: 1 })
    await usage.release(quiet, 'github', 1, january)
    expect(await usage.usage(busy, january)).toMatchObject({
      used: 999,
      byTool: [{ tool: 'github', executions: 999 }],
    })
    expect((await usage.usage(quiet, january)).used).toBe(0)
  })

  it('drops a workspace’s counters with the workspace', async () => {
    const id = await workspace()
    await usage.admit(id, 'github', 1, january)
    await database.db.deleteFrom('workspaces').where('id', '=', id).execute()
    const left = await database.db
      .selectFrom('usage_counters')
      .select('tool')
      .where('workspace_id', '=', id)
      .execute()
    expect(left).toEqual([])
  })

  it('refuses to count for a workspace that does not exist, or nonsense counts', async () => {
    await expect(usage.admit('ws_missing', 'github', 1, january)).rejects.toMatchObject({ code: 'not_found' })
    await expect(usage.usage('ws_missing', january)).rejects.toMatchObject({ code: 'not_found' })
    const id = await workspace()
    await expect(usage.admit(id, 'github', 0, january)).rejects.toThrow(RangeError)
    await expect(usage.admit(id, 'github', 1.5, january)).rejects.toThrow(RangeError)
    await expect(usage.admit(id, '', 1, january)).rejects.toThrow(RangeError)
    await expect(usage.release(id, 'github', -1, january)).rejects.toThrow(RangeError)
    await expect(usage.usageInPeriod(id, '2026-13')).rejects.toMatchObject({ code: 'validation_error' })
    expect((await usage.usage(id, january)).used).toBe(0)
  })

  it('turns a refusal into a 429 quota_exceeded with Retry-After until the reset', async () => {
    const id = await workspace(1)
    await usage.admit(id, 'github', 1, january)
    const refusal = await usage.admit(id, 'github', 5, january)
    if (refusal.admitted) throw new Error('expected a refusal')
    const error = quotaExceeded(refusal, 5, january)
    expect(error).toBeInstanceOf(AppError)
    expect(error).toMatchObject({ code: 'quota_exceeded', status: 429 })
    expect(error.detail).toContain('used 1 of its 1 executions')
    expect(error.detail).toContain('2026-02-01T00:00:00.000Z')
    // From noon on the 15th to midnight on the 1st: 16.5 days.
    expect(error.headers).toEqual({ 'Retry-After': String(16.5 * 86_400) })
  })

  describe('GET /v1/usage', () => {
    it('shows any authenticated caller its workspace’s usage, this month or a past one', async () => {
      const id = await workspace(50)
      const { key } = await apiKeys.create(id, { name: 'reader', scopes: ['tools:read'] })
      await usage.admit(id, 'github', 3, Date.UTC(2025, 11, 20))
      await usage.admit(id, 'slack', 2, january)
      await usage.admit(await workspace(), 'github', 7, january)

      const current = await app.inject({ url: '/v1/usage', headers: bearer(key) })
      expect(current.statusCode).toBe(200)
      expect(current.json()).toEqual({
        period: '2026-01',
        periodStart: '2026-01-01T00:00:00.000Z',
        periodEnd: '2026-02-01T00:00:00.000Z',
        quota: 50,
        used: 2,
        remaining: 48,
        byTool: [{ tool: 'slack', executions: 2 }],
      })
      const past = await app.inject({ url: '/v1/usage?period=2025-12', headers: bearer(key) })
      expect(past.json()).toMatchObject({
        period: '2025-12',
        used: 3,
        byTool: [{ tool: 'github', executions: 3 }],
      })
    })

    it('refuses a malformed period and an unauthenticated caller', async () => {
      const id = await workspace()
      const { key } = await apiKeys.create(id, { name: 'reader', scopes: [] })
      for (const period of ['2025-13', '2025-1', 'last-month', '']) {
        const res = await app.inject({ url: `/v1/usage?period=${period}`, headers: bearer(key) })
        expect(res.statusCode, period).toBe(400)
        expect(res.json()).toMatchObject({ code: 'validation_error' })
      }
      const anonymous = await app.inject({ url: '/v1/usage' })
      expect(anonymous.statusCode).toBe(401)
    })
  })
})
