/**
 * The `connection` credential and opening a connection with it: parse the connection string or the
 * fields, apply the network rules to the host, connect pg to the checked address, and close the
 * connection when the action ends or is cancelled.
 */
import { isIP } from 'node:net'
import { checkServerIdentity } from 'node:tls'
import type { ConnectionOptions } from 'node:tls'
import { ActionError, CONNECT_TIMEOUT_MS, Type, auth, connectableAddresses } from '@toolplane/sdk'
import type { Static, ToolContext } from '@toolplane/sdk'
import pg from 'pg'
import type { CustomTypesConfig } from 'pg'
import { postgresError } from './errors.js'

const Tls = Type.Union([Type.Literal('disable'), Type.Literal('require'), Type.Literal('verify-full')], {
  title: 'TLS',
  description:
    '`disable`: no TLS; `require`: encrypt without checking the certificate; `verify-full`: encrypt and verify the certificate against the host. Defaults to disable.',
})

/** The credential: a connection string, or host, port, database, user, password and TLS mode. */
export const ConnectionFields = Type.Object({
  connectionString: Type.Optional(
    Type.String({
      title: 'Connection string',
      pattern: '^postgres(ql)?://',
      description:
        'postgres://user:password@host:5432/database?sslmode=require. When set, the other fields are ignored.',
    }),
  ),
  host: Type.Optional(Type.String({ title: 'Host', minLength: 1 })),
  port: Type.Optional(Type.Integer({ title: 'Port', minimum: 1, maximum: 65535, default: 5432 })),
  database: Type.Optional(Type.String({ title: 'Database', minLength: 1 })),
  user: Type.Optional(Type.String({ title: 'User', minLength: 1 })),
  password: Type.Optional(Type.String({ title: 'Password' })),
  ssl: Type.Optional(Tls),
  sslRootCert: Type.Optional(
    Type.String({
      title: 'CA certificate',
      pattern: '-----BEGIN CERTIFICATE-----',
      description:
        'PEM certificate(s) of the CA that signed the server certificate, like libpq sslrootcert (for example the RDS CA bundle). Used with verify-full; applies to a connection string too.',
    }),
  ),
})

/** The `connection` auth method; it is not applied to HTTP requests. */
export const connectionAuth = auth.custom({
  id: 'connection',
  title: 'PostgreSQL connection',
  fields: ConnectionFields,
  apply() {
    // A database connection, not an HTTP request: the actions read the credential themselves.
  },
})

/** Where and how to connect. */
export interface ConnectionSettings {
  host: string
  port: number
  database: string
  user: string
  password: string | undefined
  tls: 'disable' | 'require' | 'verify-full'
  /** Extra CA certificates to trust, PEM. */
  ca: string | undefined
}

function credentialProblem(message: string): ActionError {
  return new ActionError('auth_error', message, {
    requestSent: false,
    suggestions: [
      {
        title: 'Fix the credential',
        detail:
          'Give a connection string such as postgres://user:password@db.example.com:5432/app, or the host, user and database fields.',
      },
    ],
  })
}

// libpq's sslmode values; `allow` and `prefer` cannot fall back to plain text here, so they require TLS.
const sslModes: Readonly<Record<string, ConnectionSettings['tls']>> = {
  disable: 'disable',
  allow: 'require',
  prefer: 'require',
  require: 'require',
  'no-verify': 'require',
  'verify-ca': 'verify-full',
  'verify-full': 'verify-full',
}

function fromConnectionString(connectionString: string): Omit<
  ConnectionSettings,
  'database' | 'user' | 'ca'
> & {
  database: string | undefined
  user: string | undefined
} {
  let url: URL
  try {
    url = new URL(connectionString)
  } catch {
    // Never echo the string: it holds the password.
    throw credentialProblem('The connection string is not a valid postgres:// URL')
  }
  if (url.searchParams.has('host') || url.hostname === '') {
    throw credentialProblem('The connection string needs a TCP host name; Unix sockets are not supported')
  }
  const sslmode = url.searchParams.get('sslmode') ?? 'disable'
  const tls = sslModes[sslmode]
  if (tls === undefined) throw credentialProblem(`sslmode=${sslmode} is not a libpq sslmode`)
  const decode = (value: string) => (value === '' ? undefined : decodeURIComponent(value))
  return {
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port === '' ? 5432 : Number(url.port),
    database: decode(url.pathname.slice(1)),
    user: decode(url.username),
    password: decode(url.password),
    tls,
  }
}

/** Reads the credential's fields into settings, throwing an `auth_error` for what is missing. */
export function connectionSettings(secrets: Readonly<Record<string, unknown>>): ConnectionSettings {
  const fields = secrets as Static<typeof ConnectionFields>
  const given =
    fields.connectionString !== undefined
      ? fromConnectionString(fields.connectionString)
      : fields.host !== undefined
        ? {
            host: fields.host,
            port: fields.port ?? 5432,
            database: fields.database,
            user: fields.user,
            password: fields.password,
            tls: fields.ssl ?? 'disable',
          }
        : undefined
  if (given === undefined) throw credentialProblem('The credential needs a connection string or a host')
  if (given.user === undefined) throw credentialProblem('The credential needs a user')
  return { ...given, user: given.user, database: given.database ?? given.user, ca: fields.sslRootCert }
}

// Dates and times stay PostgreSQL's text: parsing them into JS dates would shift `timestamp`
// (without time zone) and `date` values by the server process's own time zone.
const textTypes: ReadonlySet<number> = new Set([1082, 1083, 1114, 1184, 1186, 1266])
const defaultParser = pg.types.getTypeParser as (oid: number, format?: string) => (value: string) => unknown
const types: CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: string) =>
    textTypes.has(oid)
      ? (value: string) => value
      : defaultParser(oid, format)) as CustomTypesConfig['getTypeParser'],
}

function tlsOptions(settings: ConnectionSettings): false | ConnectionOptions {
  if (settings.tls === 'disable') return false
  // The socket goes to the checked address; the certificate is still checked against the host name.
  const servername = isIP(settings.host) === 0 ? { servername: settings.host } : {}
  if (settings.tls === 'require') return { ...servername, rejectUnauthorized: false }
  return {
    ...servername,
    ...(settings.ca === undefined ? {} : { ca: settings.ca }),
    rejectUnauthorized: true,
    checkServerIdentity: (_host, certificate) => checkServerIdentity(settings.host, certificate),
  }
}

// Errors after which the next address of the host is worth trying.
const nextAddressCodes: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
])

async function connect(ctx: ToolContext, statementTimeoutMs: number): Promise<pg.Client> {
  const settings = connectionSettings(ctx.credential.secrets)
  const addresses = await connectableAddresses(settings.host, ctx.network)
  for (const [index, { address }] of addresses.entries()) {
    const client = new pg.Client({
      host: address,
      port: settings.port,
      database: settings.database,
      user: settings.user,
      // A function, so pg never falls back to PGPASSWORD or ~/.pgpass of the Toolplane server.
      password: async () => Promise.resolve(settings.password ?? ''),
      ssl: tlsOptions(settings),
      sslnegotiation: 'postgres',
      // Set, so pg does not fill it from the Toolplane server's own PGOPTIONS.
      options: '-c client_min_messages=warning',
      application_name: 'toolplane',
      statement_timeout: statementTimeoutMs,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      types,
    })
    // An error on an idle connection is reported by the next query; without a listener it would crash.
    client.on('error', () => undefined)
    const abort = (): void => {
      client.connection.stream.destroy()
    }
    ctx.signal.addEventListener('abort', abort, { once: true })
    try {
      await client.connect()
      return client
    } catch (error) {
      const code = (error as { code?: unknown }).code
      if (typeof code === 'string' && nextAddressCodes.has(code) && index + 1 < addresses.length) continue
      throw postgresError(error, 'connect')
    } finally {
      ctx.signal.removeEventListener('abort', abort)
    }
  }
  /* v8 ignore next -- connectableAddresses returns at least one address */
  throw new ActionError('network_error', `${settings.host} has no address`)
}

/**
 * Opens a connection with the credential, runs `work`, and closes the connection. Statements time out
 * on the server after `statementTimeoutMs`; cancelling the run drops the connection.
 */
export async function withConnection<T>(
  ctx: ToolContext,
  statementTimeoutMs: number,
  work: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = await connect(ctx, statementTimeoutMs)
  const abort = (): void => {
    client.connection.stream.destroy()
  }
  ctx.signal.addEventListener('abort', abort, { once: true })
  try {
    return await work(client)
  } catch (error) {
    throw postgresError(error, 'query')
  } finally {
    ctx.signal.removeEventListener('abort', abort)
    await client.end().catch(() => undefined)
  }
}
