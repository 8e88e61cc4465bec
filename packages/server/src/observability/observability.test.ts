import { describe, expect, it } from 'vitest'
import { loggableUrl } from './logging.js'
import { statusClass } from './metrics.js'
import { createReadiness } from './readiness.js'

describe('loggableUrl', () => {
  it('masks secret query parameters and keeps the rest', () => {
    expect(loggableUrl('/v1/auth/link?token=abc&next=/x')).toBe('/v1/auth/link?token=[REDACTED]&next=/x')
    expect(loggableUrl('/cb?state=s1&code=c2')).toBe('/cb?state=[REDACTED]&code=[REDACTED]')
    expect(loggableUrl('/v1/tools?q=github')).toBe('/v1/tools?q=github')
  })
})

describe('statusClass', () => {
  it('groups statuses', () => {
    expect(statusClass(204)).toBe('2xx')
    expect(statusClass(503)).toBe('5xx')
  })
})

describe('readiness', () => {
  it('runs every check, reporting failures and slow checks as failed', async () => {
    const readiness = createReadiness()
    readiness.register('fine', () => Promise.resolve())
    readiness.register('broken', () => Promise.reject(new Error('connection refused')))
    readiness.register('odd', () => Promise.reject(new Error('odd')))
    const report = await readiness.run()
    expect(report.status).toBe('fail')
    expect(report.checks.fine?.status).toBe('ok')
    expect(report.checks.broken).toMatchObject({ status: 'fail', error: 'connection refused' })
    expect(() => {
      readiness.register('fine', () => Promise.resolve())
    }).toThrow(/already registered/)
  })

  it('is ok with all checks passing', async () => {
    const readiness = createReadiness()
    readiness.register('db', () => Promise.resolve())
    expect((await readiness.run()).status).toBe('ok')
  })
})
