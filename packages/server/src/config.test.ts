import path from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  ConfigError,
  knownVariables,
  loadConfig,
  parseDuration,
  parseRateLimit,
  unknownVariables,
} from './config.js'

const cwd = '/srv/toolplane'

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env, cwd)
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems]
    throw error
  }
  return []
}

describe('loadConfig', () => {
  it('applies the documented defaults with an empty environment', () => {
    const config = loadConfig({}, cwd)
    expect(config).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      publicUrl: 'http://localhost:8080',
      dataDir: path.join(cwd, 'data'),
      database: { kind: 'sqlite', path: path.join(cwd, 'data', 'toolplane.db') },
      redisUrl: null,
      masterKey: { kind: 'generate', path: path.join(cwd, 'data', 'master.key') },
      bootstrap: { apiKey: null, adminEmail: null, adminPassword: null },
      plugins: [],
      webhookRetryScheduleMs: [0, 5000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000],
      apiRateLimit: { perSecond: 100, burst: 200, expression: '100/s,burst=200' },
      allowPrivateNetwork: false,
      logLevel: 'info',
      sessionTtlMs: 7 * 86_400_000,
      trustProxy: false,
      credentialCheckIntervalMs: 6 * 3_600_000,
    })
  })

  it('reads every variable', () => {
    const key = Buffer.alloc(32, 1).toString('base64')
    const config = loadConfig(
      {
        TOOLPLANE_PORT: '9000',
        TOOLPLANE_HOST: '0.0.0.0',
        TOOLPLANE_PUBLIC_URL: 'https://tp.example.com/',
        TOOLPLANE_DATA_DIR: '/var/lib/toolplane',
        TOOLPLANE_DATABASE_URL: 'postgres://tp@db:5432/tp',
        TOOLPLANE_DATABASE_POOL_SIZE: '20',
        TOOLPLANE_REDIS_URL: 'redis://cache:6379',
        TOOLPLANE_MASTER_KEY: key,
        TOOLPLANE_BOOTSTRAP_API_KEY: 'tp_0123456789abcdefXYZ',
        TOOLPLANE_BOOTSTRAP_ADMIN_EMAIL: 'Ops@Example.com',
        TOOLPLANE_BOOTSTRAP_ADMIN_PASSWORD: 'a long enough password',
        TOOLPLANE_PLUGINS: '@acme/tool, ./plugins/local ,',
        TOOLPLANE_WEBHOOK_RETRY_SCHEDULE: '0s,100ms,1s',
        TOOLPLANE_API_RATE_LIMIT: '600/m',
        TOOLPLANE_ALLOW_PRIVATE_NETWORK: 'true',
        TOOLPLANE_LOG_LEVEL: 'DEBUG',
        TOOLPLANE_SESSION_TTL: '12h',
        TOOLPLANE_TRUST_PROXY: 'yes',
      },
      cwd,
    )
    expect(config).toMatchObject({
      port: 9000,
      host: '0.0.0.0',
      publicUrl: 'https://tp.example.com',
      dataDir: '/var/lib/toolplane',
      database: { kind: 'postgres', url: 'postgres://tp@db:5432/tp', poolSize: 20 },
      redisUrl: 'redis://cache:6379',
      masterKey: { kind: 'env' },
      bootstrap: {
        apiKey: 'tp_0123456789abcdefXYZ',
        adminEmail: 'ops@example.com',
        adminPassword: 'a long enough password',
      },
      plugins: ['@acme/tool', './plugins/local'],
      webhookRetryScheduleMs: [0, 100, 1000],
      apiRateLimit: { perSecond: 10, burst: 600, expression: '600/m,burst=600' },
      allowPrivateNetwork: true,
      logLevel: 'debug',
      sessionTtlMs: 12 * 3_600_000,
      trustProxy: true,
    })
  })

  it('is frozen, so nothing can change it after start-up', () => {
    const config = loadConfig({}, cwd)
    expect(Object.isFrozen(config)).toBe(true)
    expect(Object.isFrozen(config.database)).toBe(true)
    expect(() => {
      ;(config as { port: number }).port = 1
    }).toThrow(TypeError)
  })

  it('accepts sqlite:// URLs relative to the working directory and in memory', () => {
    expect(loadConfig({ TOOLPLANE_DATABASE_URL: 'sqlite://db/tp.sqlite' }, cwd).database).toEqual({
      kind: 'sqlite',
      path: path.join(cwd, 'db', 'tp.sqlite'),
    })
    expect(loadConfig({ TOOLPLANE_DATABASE_URL: 'sqlite://:memory:' }, cwd).database).toEqual({
      kind: 'sqlite',
      path: ':memory:',
    })
  })

  it('reads the master key from a file when asked', () => {
    expect(loadConfig({ TOOLPLANE_MASTER_KEY_FILE: 'secrets/key' }, cwd).masterKey).toEqual({
      kind: 'file',
      path: path.join(cwd, 'secrets', 'key'),
    })
  })

  it('has no previous master keys by default', () => {
    expect(loadConfig({}, cwd).previousMasterKeys).toEqual([])
  })

  it('reads previous master keys, comma-separated, skipping empty entries', () => {
    const first = Buffer.alloc(32, 1)
    const second = Buffer.alloc(32, 2)
    const config = loadConfig(
      { TOOLPLANE_MASTER_KEY_PREVIOUS: ` ${first.toString('base64')} ,,${second.toString('base64')},` },
      cwd,
    )
    expect(config.previousMasterKeys).toEqual([first, second])
    expect(Object.isFrozen(config.previousMasterKeys)).toBe(true)
    expect(knownVariables).toContain('TOOLPLANE_MASTER_KEY_PREVIOUS')
  })

  it('refuses a previous master key that is not 32 bytes of base64, naming its position but not the key', () => {
    const good = Buffer.alloc(32, 1).toString('base64')
    const short = Buffer.alloc(16, 7).toString('base64')
    const notBase64 = `${good.slice(0, -2)}!=`
    const problems = problemsOf({ TOOLPLANE_MASTER_KEY_PREVIOUS: `${good},${short},${good},${notBase64}` })
    expect(problems).toEqual([
      'TOOLPLANE_MASTER_KEY_PREVIOUS: entry 2 is not 32 bytes encoded as base64 (entries are comma-separated, counted from 1)',
      'TOOLPLANE_MASTER_KEY_PREVIOUS: entry 4 is not 32 bytes encoded as base64 (entries are comma-separated, counted from 1)',
    ])
    for (const key of [good, short, notBase64]) expect(problems.join('\n')).not.toContain(key)
  })

  it.each([
    [{ TOOLPLANE_PORT: 'eighty' }, 'TOOLPLANE_PORT'],
    [{ TOOLPLANE_PORT: '70000' }, 'TOOLPLANE_PORT'],
    [{ TOOLPLANE_PUBLIC_URL: 'not a url' }, 'TOOLPLANE_PUBLIC_URL'],
    [{ TOOLPLANE_PUBLIC_URL: 'ftp://x' }, 'TOOLPLANE_PUBLIC_URL'],
    [{ TOOLPLANE_DATABASE_URL: 'mysql://x' }, 'TOOLPLANE_DATABASE_URL'],
    [{ TOOLPLANE_DATABASE_URL: 'sqlite://' }, 'TOOLPLANE_DATABASE_URL'],
    [{ TOOLPLANE_DATABASE_URL: 'postgres://[bad' }, 'TOOLPLANE_DATABASE_URL'],
    [{ TOOLPLANE_DATABASE_POOL_SIZE: '0' }, 'TOOLPLANE_DATABASE_POOL_SIZE'],
    [{ TOOLPLANE_REDIS_URL: 'http://cache' }, 'TOOLPLANE_REDIS_URL'],
    [{ TOOLPLANE_MASTER_KEY: 'c2hvcnQ=' }, 'TOOLPLANE_MASTER_KEY'],
    [
      { TOOLPLANE_MASTER_KEY: Buffer.alloc(32).toString('base64'), TOOLPLANE_MASTER_KEY_FILE: 'k' },
      'TOOLPLANE_MASTER_KEY_FILE',
    ],
    [{ TOOLPLANE_BOOTSTRAP_API_KEY: 'secret' }, 'TOOLPLANE_BOOTSTRAP_API_KEY'],
    [{ TOOLPLANE_BOOTSTRAP_ADMIN_EMAIL: 'a@b.c' }, 'TOOLPLANE_BOOTSTRAP_ADMIN_PASSWORD'],
    [
      { TOOLPLANE_BOOTSTRAP_ADMIN_EMAIL: 'nope', TOOLPLANE_BOOTSTRAP_ADMIN_PASSWORD: 'long enough pass' },
      'TOOLPLANE_BOOTSTRAP_ADMIN_EMAIL',
    ],
    [
      { TOOLPLANE_BOOTSTRAP_ADMIN_EMAIL: 'a@b.c', TOOLPLANE_BOOTSTRAP_ADMIN_PASSWORD: 'short' },
      'TOOLPLANE_BOOTSTRAP_ADMIN_PASSWORD',
    ],
    [{ TOOLPLANE_WEBHOOK_RETRY_SCHEDULE: '0s,soon' }, 'TOOLPLANE_WEBHOOK_RETRY_SCHEDULE'],
    [{ TOOLPLANE_API_RATE_LIMIT: 'fast' }, 'TOOLPLANE_API_RATE_LIMIT'],
    [{ TOOLPLANE_API_RATE_LIMIT: '0/s' }, 'TOOLPLANE_API_RATE_LIMIT'],
    [{ TOOLPLANE_ALLOW_PRIVATE_NETWORK: 'maybe' }, 'TOOLPLANE_ALLOW_PRIVATE_NETWORK'],
    [{ TOOLPLANE_LOG_LEVEL: 'verbose' }, 'TOOLPLANE_LOG_LEVEL'],
    [{ TOOLPLANE_SESSION_TTL: '10s' }, 'TOOLPLANE_SESSION_TTL'],
    [{ TOOLPLANE_CREDENTIAL_CHECK_INTERVAL: 'hourly' }, 'TOOLPLANE_CREDENTIAL_CHECK_INTERVAL'],
  ])('refuses %j with a message naming %s', (env, variable) => {
    const problems = problemsOf(env)
    expect(problems).toHaveLength(1)
    expect(problems[0]).toContain(variable)
  })

  it('reports every bad variable at once', () => {
    try {
      loadConfig({ TOOLPLANE_PORT: 'x', TOOLPLANE_LOG_LEVEL: 'loud' }, cwd)
      expect.unreachable()
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError)
      expect((error as ConfigError).message).toMatch(/TOOLPLANE_PORT[\s\S]*TOOLPLANE_LOG_LEVEL/)
    }
  })

  it('treats blank values as unset', () => {
    expect(loadConfig({ TOOLPLANE_PORT: '  ' }, cwd).port).toBe(8080)
  })
})

describe('unknownVariables', () => {
  it('names TOOLPLANE_ variables that are probably typos', () => {
    expect(unknownVariables({ TOOLPLANE_PROT: '1', TOOLPLANE_PORT: '1', HOME: '/root' })).toEqual([
      'TOOLPLANE_PROT',
    ])
    expect(knownVariables).toContain('TOOLPLANE_PORT')
  })
})

describe('parseDuration and parseRateLimit', () => {
  it('parses durations with units', () => {
    expect(parseDuration('250ms')).toBe(250)
    expect(parseDuration('1.5s')).toBe(1500)
    expect(parseDuration('2d')).toBe(172_800_000)
    expect(parseDuration('5')).toBeNull()
  })

  it('parses rate limits, defaulting burst to the rate', () => {
    expect(parseRateLimit('100/s,burst=200')).toEqual({
      perSecond: 100,
      burst: 200,
      expression: '100/s,burst=200',
    })
    expect(parseRateLimit(' 3600 / h ')).toEqual({
      perSecond: 1,
      burst: 3600,
      expression: '3600/h,burst=3600',
    })
    expect(parseRateLimit('10/s,burst=0')).toBeNull()
    expect(parseRateLimit('10 per second')).toBeNull()
  })
})
