import type { FastifyBaseLogger } from 'fastify'
import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import type { LogLevel } from '../config.js'
import { deferredChildLogger, loggableUrl, loggerOptions } from './logging.js'
import { statusClass } from './metrics.js'
import { createReadiness } from './readiness.js'

/** A pino logger at `level` writing into an array of parsed lines, and a count of its `child` calls. */
function capturedLogger(level: string) {
  const lines: Record<string, unknown>[] = []
  const logger = pino(loggerOptions(level as LogLevel), {
    write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>),
  })
  const made = { children: 0 }
  // pino's children inherit from their parent, this override included: it must keep `this`.
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called below with the right `this`
  const child = logger.child
  logger.child = function (this: typeof logger, ...args: Parameters<typeof child>) {
    made.children++
    return child.apply(this, args)
  } as typeof logger.child
  return { logger, lines, made }
}

describe('deferredChildLogger', () => {
  it('makes the child only for a line the parent writes, with the bindings and redaction', () => {
    const { logger, lines, made } = capturedLogger('warn')
    const log = deferredChildLogger(logger, { requestId: 'r-1' }, {})
    log.info('not written')
    log.debug({ a: 1 }, 'nor this')
    log.silent('never')
    expect(made.children).toBe(0)
    expect(lines).toEqual([])
    expect(log.level).toBe('warn')
    log.warn({ user: { password: 'hunter2' }, n: 1 }, 'written')
    log.error('and %s', 'this')
    expect(made.children).toBe(1)
    expect(lines).toMatchObject([
      { level: 'warn', requestId: 'r-1', user: { password: '[REDACTED]' }, n: 1, msg: 'written' },
      { level: 'error', requestId: 'r-1', msg: 'and this' },
    ])
    expect(JSON.stringify(lines)).not.toContain('hunter2')
  })

  it('changes its own level only, and gives children that carry its bindings', () => {
    const { logger, lines } = capturedLogger('warn')
    const log = deferredChildLogger(logger, { requestId: 'r-2' }, {})
    log.level = 'debug'
    expect(log.level).toBe('debug')
    expect(logger.level).toBe('warn')
    log.debug('now written')
    log.child({ step: 'inner' }).info('from a child')
    logger.info('the parent still does not write info')
    expect(lines).toMatchObject([
      { level: 'debug', requestId: 'r-2', msg: 'now written' },
      { level: 'info', requestId: 'r-2', step: 'inner', msg: 'from a child' },
    ])
    expect(lines).toHaveLength(2)
  })

  it('follows the parent when its level changes later', () => {
    const { logger, lines } = capturedLogger('error')
    const log = deferredChildLogger(logger, { requestId: 'r-3' }, {})
    log.warn('dropped')
    logger.level = 'info'
    log.info('kept')
    expect(lines).toMatchObject([{ level: 'info', requestId: 'r-3', msg: 'kept' }])
  })

  it('asks a parent that cannot say which levels it writes to write every line', () => {
    const calls: unknown[][] = []
    const record =
      (level: string) =>
      (...args: unknown[]) =>
        calls.push([level, ...args])
    const plain: FastifyBaseLogger = {
      level: 'info',
      fatal: record('fatal'),
      error: record('error'),
      warn: record('warn'),
      info: record('info'),
      debug: record('debug'),
      trace: record('trace'),
      silent: () => undefined,
      child: () => plain,
    }
    deferredChildLogger(plain, { requestId: 'r-4' }, {}).trace('t')
    expect(calls).toEqual([['trace', 't']])
  })
})

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
