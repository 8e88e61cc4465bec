import path from 'node:path'

/**
 * Configuration is read from the environment once, at start-up, validated against one schema and
 * frozen. Nothing else in the server reads `process.env`: the parsed `Config` is passed in.
 */

export type DatabaseConfig =
  | { readonly kind: 'sqlite'; readonly path: string }
  | { readonly kind: 'postgres'; readonly url: string; readonly poolSize: number }

export type MasterKeySource =
  | { readonly kind: 'env'; readonly key: Buffer }
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'generate'; readonly path: string }

export interface RateLimit {
  /** Tokens added per second. */
  readonly perSecond: number
  readonly burst: number
  /** The expression as written, e.g. `100/s,burst=200`. */
  readonly expression: string
}

export interface Config {
  readonly port: number
  readonly host: string
  readonly publicUrl: string
  readonly dataDir: string
  readonly database: DatabaseConfig
  readonly redisUrl: string | null
  readonly masterKey: MasterKeySource
  /** Older master keys (`TOOLPLANE_MASTER_KEY_PREVIOUS`), still able to open what they sealed. */
  readonly previousMasterKeys: readonly Buffer[]
  readonly bootstrap: {
    readonly apiKey: string | null
    readonly adminEmail: string | null
    readonly adminPassword: string | null
  }
  readonly plugins: readonly string[]
  readonly webhookRetryScheduleMs: readonly number[]
  readonly apiRateLimit: RateLimit
  readonly allowPrivateNetwork: boolean
  readonly logLevel: LogLevel
  readonly sessionTtlMs: number
  readonly trustProxy: boolean
  /** How often credentials not used or checked recently are checked (and idle OAuth tokens refreshed). */
  readonly credentialCheckIntervalMs: number
  /** Executions and batches older than this many days are deleted by a background sweep. */
  readonly executionRetentionDays: number
  /** Jobs this node runs at once (executions; batches get a quarter of it, at least one). */
  readonly workerConcurrency: number
  /** Whether `serve` also runs queued jobs; `toolplane worker` always does. */
  readonly serveRunsWorker: boolean
  /** How long a worker's claim on a job lasts without renewal: how soon a dead worker's job runs again. */
  readonly jobLeaseMs: number
  /** Prefix of every Redis key and channel, so several installations can share one Redis. */
  readonly redisPrefix: string
}

export const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
export type LogLevel = (typeof logLevels)[number]

/** Raised when the environment does not describe a valid configuration; the message names each variable. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`)
    this.name = 'ConfigError'
  }
}

type Env = Readonly<Record<string, string | undefined>>

/** Every variable the server understands, with its default; documented in docs/configuration.md. */
export const knownVariables = [
  'TOOLPLANE_PORT',
  'TOOLPLANE_HOST',
  'TOOLPLANE_PUBLIC_URL',
  'TOOLPLANE_DATA_DIR',
  'TOOLPLANE_DATABASE_URL',
  'TOOLPLANE_DATABASE_POOL_SIZE',
  'TOOLPLANE_REDIS_URL',
  'TOOLPLANE_MASTER_KEY',
  'TOOLPLANE_MASTER_KEY_FILE',
  'TOOLPLANE_MASTER_KEY_PREVIOUS',
  'TOOLPLANE_BOOTSTRAP_API_KEY',
  'TOOLPLANE_BOOTSTRAP_ADMIN_EMAIL',
  'TOOLPLANE_BOOTSTRAP_ADMIN_PASSWORD',
  'TOOLPLANE_PLUGINS',
  'TOOLPLANE_WEBHOOK_RETRY_SCHEDULE',
  'TOOLPLANE_API_RATE_LIMIT',
  'TOOLPLANE_ALLOW_PRIVATE_NETWORK',
  'TOOLPLANE_LOG_LEVEL',
  'TOOLPLANE_SESSION_TTL',
  'TOOLPLANE_TRUST_PROXY',
  'TOOLPLANE_CREDENTIAL_CHECK_INTERVAL',
  'TOOLPLANE_EXECUTION_RETENTION_DAYS',
  'TOOLPLANE_WORKER_CONCURRENCY',
  'TOOLPLANE_SERVE_WORKER',
  'TOOLPLANE_JOB_LEASE',
  'TOOLPLANE_REDIS_PREFIX',
] as const

const durationUnits: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/** Parses `500ms`, `5s`, `30m`, `2h`, `7d` into milliseconds. */
export function parseDuration(text: string): number | null {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text.trim())
  if (!match) return null
  const unit = durationUnits[match[2] ?? '']
  return unit === undefined ? null : Math.round(Number(match[1]) * unit)
}

const rateUnits: Record<string, number> = { s: 1, m: 60, h: 3600 }

/** Parses a rate-limit expression such as `100/s,burst=200` (burst defaults to the rate). */
export function parseRateLimit(text: string): RateLimit | null {
  const match = /^\s*(\d+)\s*\/\s*(s|m|h)\s*(?:,\s*burst\s*=\s*(\d+)\s*)?$/.exec(text)
  if (!match) return null
  const count = Number(match[1])
  const per = rateUnits[match[2] ?? ''] ?? 1
  const burst = match[3] === undefined ? count : Number(match[3])
  if (count <= 0 || burst <= 0) return null
  return { perSecond: count / per, burst, expression: `${count}/${match[2] ?? 's'},burst=${burst}` }
}

/**
 * Parses the environment into a frozen `Config`, or throws a `ConfigError` naming every bad variable.
 *
 * @example
 * const config = loadConfig(process.env)
 */
export function loadConfig(env: Env, cwd: string = process.cwd()): Config {
  const problems: string[] = []
  const read = (name: (typeof knownVariables)[number]): string | undefined => {
    const value = env[name]
    return value === undefined || value.trim() === '' ? undefined : value.trim()
  }

  const integer = (name: (typeof knownVariables)[number], fallback: number, min: number, max: number) => {
    const raw = read(name)
    if (raw === undefined) return fallback
    const value = Number(raw)
    if (!/^\d+$/.test(raw) || value < min || value > max) {
      problems.push(`${name}: expected an integer from ${min} to ${max}, got "${raw}"`)
      return fallback
    }
    return value
  }

  const boolean = (name: (typeof knownVariables)[number]) => {
    const raw = read(name)?.toLowerCase()
    if (raw === undefined) return false
    if (['1', 'true', 'yes', 'on'].includes(raw)) return true
    if (['0', 'false', 'no', 'off'].includes(raw)) return false
    problems.push(`${name}: expected true or false, got "${raw}"`)
    return false
  }

  const url = (name: (typeof knownVariables)[number], protocols: readonly string[]) => {
    const raw = read(name)
    if (raw === undefined) return undefined
    try {
      const parsed = new URL(raw)
      if (!protocols.includes(parsed.protocol)) {
        problems.push(`${name}: expected a ${protocols.join(' or ')} URL, got protocol "${parsed.protocol}"`)
        return undefined
      }
      return parsed
    } catch {
      problems.push(`${name}: not a valid URL`)
      return undefined
    }
  }

  const port = integer('TOOLPLANE_PORT', 8080, 0, 65535)
  const host = read('TOOLPLANE_HOST') ?? '127.0.0.1'
  const publicUrl = (
    url('TOOLPLANE_PUBLIC_URL', ['http:', 'https:'])?.toString() ?? `http://localhost:${port}/`
  ).replace(/\/+$/, '')
  const dataDir = path.resolve(cwd, read('TOOLPLANE_DATA_DIR') ?? './data')

  const poolSize = integer('TOOLPLANE_DATABASE_POOL_SIZE', 10, 1, 1000)
  let database: DatabaseConfig = { kind: 'sqlite', path: path.join(dataDir, 'toolplane.db') }
  const databaseUrl = read('TOOLPLANE_DATABASE_URL')
  if (databaseUrl !== undefined) {
    if (databaseUrl.startsWith('sqlite://')) {
      const file = databaseUrl.slice('sqlite://'.length)
      if (file === '')
        problems.push(
          'TOOLPLANE_DATABASE_URL: sqlite:// needs a file path, e.g. sqlite://./data/toolplane.db',
        )
      else database = { kind: 'sqlite', path: file === ':memory:' ? file : path.resolve(cwd, file) }
    } else if (/^postgres(ql)?:\/\//.test(databaseUrl)) {
      if (url('TOOLPLANE_DATABASE_URL', ['postgres:', 'postgresql:']) !== undefined) {
        database = { kind: 'postgres', url: databaseUrl, poolSize }
      }
    } else {
      problems.push('TOOLPLANE_DATABASE_URL: expected sqlite://<file> or postgres://user@host:port/database')
    }
  }

  const redisUrl = url('TOOLPLANE_REDIS_URL', ['redis:', 'rediss:'])?.toString() ?? null

  let masterKey: MasterKeySource = { kind: 'generate', path: path.join(dataDir, 'master.key') }
  const keyText = read('TOOLPLANE_MASTER_KEY')
  const keyFile = read('TOOLPLANE_MASTER_KEY_FILE')
  if (keyText !== undefined && keyFile !== undefined) {
    problems.push('TOOLPLANE_MASTER_KEY and TOOLPLANE_MASTER_KEY_FILE: set one, not both')
  } else if (keyText !== undefined) {
    const key = Buffer.from(keyText, 'base64')
    if (key.length !== 32 || !/^[A-Za-z0-9+/]+={0,2}$/.test(keyText)) {
      problems.push(
        'TOOLPLANE_MASTER_KEY: expected 32 bytes encoded as base64 (try `openssl rand -base64 32`)',
      )
    } else masterKey = { kind: 'env', key }
  } else if (keyFile !== undefined) {
    masterKey = { kind: 'file', path: path.resolve(cwd, keyFile) }
  }

  // Positions count every comma-separated entry as written; empty entries are skipped. No key is quoted.
  const previousEntries = (read('TOOLPLANE_MASTER_KEY_PREVIOUS') ?? '').split(',').map((k) => k.trim())
  const previousMasterKeys: Buffer[] = []
  previousEntries.forEach((text, index) => {
    if (text === '') return
    const key = Buffer.from(text, 'base64')
    if (key.length !== 32 || !/^[A-Za-z0-9+/]+={0,2}$/.test(text)) {
      problems.push(
        `TOOLPLANE_MASTER_KEY_PREVIOUS: entry ${index + 1} is not 32 bytes encoded as base64 (entries are comma-separated, counted from 1)`,
      )
    } else previousMasterKeys.push(key)
  })

  const bootstrapKey = read('TOOLPLANE_BOOTSTRAP_API_KEY') ?? null
  if (bootstrapKey !== null && !/^tp_[A-Za-z0-9_-]{16,200}$/.test(bootstrapKey)) {
    problems.push(
      'TOOLPLANE_BOOTSTRAP_API_KEY: expected "tp_" followed by at least 16 letters, digits, "_" or "-" (the key is a secret; make it long and random)',
    )
  }
  const adminEmail = read('TOOLPLANE_BOOTSTRAP_ADMIN_EMAIL') ?? null
  const adminPassword = env.TOOLPLANE_BOOTSTRAP_ADMIN_PASSWORD ?? null
  if ((adminEmail === null) !== (adminPassword === null)) {
    problems.push(
      'TOOLPLANE_BOOTSTRAP_ADMIN_EMAIL and TOOLPLANE_BOOTSTRAP_ADMIN_PASSWORD: set both or neither',
    )
  }
  if (adminEmail !== null && !/^[^@\s]+@[^@\s]+$/.test(adminEmail)) {
    problems.push('TOOLPLANE_BOOTSTRAP_ADMIN_EMAIL: not an email address')
  }
  if (adminPassword !== null && adminPassword.length < 12) {
    problems.push('TOOLPLANE_BOOTSTRAP_ADMIN_PASSWORD: must be at least 12 characters')
  }

  const plugins = (read('TOOLPLANE_PLUGINS') ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '')

  const scheduleText = read('TOOLPLANE_WEBHOOK_RETRY_SCHEDULE') ?? '0s,5s,5m,30m,2h,5h,10h,10h'
  const schedule = scheduleText.split(',').map(parseDuration)
  const webhookRetryScheduleMs = schedule.filter((d): d is number => d !== null)
  if (webhookRetryScheduleMs.length !== schedule.length || schedule.length === 0) {
    problems.push(
      `TOOLPLANE_WEBHOOK_RETRY_SCHEDULE: expected comma-separated durations such as "0s,5s,5m,30m", got "${scheduleText}"`,
    )
  }

  const rateText = read('TOOLPLANE_API_RATE_LIMIT') ?? '100/s,burst=200'
  const apiRateLimit = parseRateLimit(rateText)
  if (apiRateLimit === null) {
    problems.push(
      `TOOLPLANE_API_RATE_LIMIT: expected "<count>/<s|m|h>[,burst=<n>]" such as "100/s,burst=200", got "${rateText}"`,
    )
  }

  const levelText = (read('TOOLPLANE_LOG_LEVEL') ?? 'info').toLowerCase()
  const logLevel = logLevels.find((l) => l === levelText)
  if (logLevel === undefined)
    problems.push(`TOOLPLANE_LOG_LEVEL: expected one of ${logLevels.join(', ')}, got "${levelText}"`)

  const ttlText = read('TOOLPLANE_SESSION_TTL') ?? '7d'
  const sessionTtlMs = parseDuration(ttlText)
  if (sessionTtlMs === null || sessionTtlMs < 60_000) {
    problems.push(
      `TOOLPLANE_SESSION_TTL: expected a duration of at least 1m such as "12h" or "7d", got "${ttlText}"`,
    )
  }

  const checkText = read('TOOLPLANE_CREDENTIAL_CHECK_INTERVAL') ?? '6h'
  const credentialCheckIntervalMs = parseDuration(checkText)
  if (credentialCheckIntervalMs === null || credentialCheckIntervalMs < 60_000) {
    problems.push(
      `TOOLPLANE_CREDENTIAL_CHECK_INTERVAL: expected a duration of at least 1m such as "30m" or "6h", got "${checkText}"`,
    )
  }

  const allowPrivateNetwork = boolean('TOOLPLANE_ALLOW_PRIVATE_NETWORK')
  const trustProxy = boolean('TOOLPLANE_TRUST_PROXY')
  const executionRetentionDays = integer('TOOLPLANE_EXECUTION_RETENTION_DAYS', 30, 1, 3650)
  const workerConcurrency = integer('TOOLPLANE_WORKER_CONCURRENCY', 32, 1, 1000)
  const serveRunsWorker = read('TOOLPLANE_SERVE_WORKER') === undefined || boolean('TOOLPLANE_SERVE_WORKER')

  const redisPrefix = read('TOOLPLANE_REDIS_PREFIX') ?? 'toolplane:'
  if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(redisPrefix)) {
    problems.push(
      `TOOLPLANE_REDIS_PREFIX: expected up to 64 letters, digits and _ . : -, got "${redisPrefix}"`,
    )
  }
  const leaseText = read('TOOLPLANE_JOB_LEASE') ?? '30s'
  const jobLeaseMs = parseDuration(leaseText)
  if (jobLeaseMs === null || jobLeaseMs < 500 || jobLeaseMs > 3_600_000) {
    problems.push(
      `TOOLPLANE_JOB_LEASE: expected a duration from 500ms to 1h such as "30s", got "${leaseText}"`,
    )
  }

  if (problems.length > 0) throw new ConfigError(problems)

  return deepFreeze({
    port,
    host,
    publicUrl,
    dataDir,
    database,
    redisUrl,
    masterKey,
    previousMasterKeys,
    bootstrap: { apiKey: bootstrapKey, adminEmail: adminEmail?.toLowerCase() ?? null, adminPassword },
    plugins,
    webhookRetryScheduleMs,
    apiRateLimit: apiRateLimit ?? { perSecond: 100, burst: 200, expression: '100/s,burst=200' },
    allowPrivateNetwork,
    logLevel: logLevel ?? 'info',
    sessionTtlMs: sessionTtlMs ?? 7 * 86_400_000,
    trustProxy,
    credentialCheckIntervalMs: credentialCheckIntervalMs ?? 6 * 3_600_000,
    executionRetentionDays,
    workerConcurrency,
    serveRunsWorker,
    jobLeaseMs: jobLeaseMs ?? 30_000,
    redisPrefix,
  })
}

/** Names of `TOOLPLANE_*` variables that are set but not understood — most likely typos. */
export function unknownVariables(env: Env): string[] {
  const known = new Set<string>(knownVariables)
  return Object.keys(env).filter((name) => name.startsWith('TOOLPLANE_') && !known.has(name))
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Buffer.isBuffer(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner)
    Object.freeze(value)
  }
  return value
}
