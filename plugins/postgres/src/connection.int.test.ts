import { readFileSync } from 'node:fs'
import net from 'node:net'
import type { AddressInfo } from 'node:net'
import tls from 'node:tls'
import { runAction, runHealthCheck, validate, validateTool } from '@toolplane/sdk'
import type { ActionError } from '@toolplane/sdk'
import { actionErrorOf } from '@toolplane/sdk/testing'
import type { CredentialView, RunContextOptions } from '@toolplane/sdk'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import postgres from './index.js'
import { connectionSettings } from './connection.js'
import { postgresError } from './errors.js'
import { createTestDatabase } from './test-env.js'
import type { TestDatabase } from './test-env.js'

let database: TestDatabase
let server: URL
let limitedRole: string

beforeAll(async () => {
  database = await createTestDatabase()
  server = new URL(database.url)
  limitedRole = `${database.name}_limited`
  await database.sql(`
    create table secrets (id int primary key, value text);
    create role ${limitedRole} login;
    grant connect on database ${database.name} to ${limitedRole};
  `)
})
afterAll(async () => {
  await database.sql(
    `revoke connect on database ${database.name} from ${limitedRole}; drop role ${limitedRole}`,
  )
  await database.drop()
})

const fieldsFor = (overrides: Record<string, unknown> = {}): CredentialView => ({
  authMethod: 'connection',
  secrets: {
    host: server.hostname,
    port: Number(server.port || 5432),
    database: database.name,
    user: decodeURIComponent(server.username),
    ...(server.password === '' ? {} : { password: decodeURIComponent(server.password) }),
    ...overrides,
  },
})

async function select1(credential: CredentialView, options: Partial<RunContextOptions> = {}) {
  return runAction(postgres, 'query', {
    input: { sql: 'select 1 as one' },
    credential,
    allowPrivateNetwork: true,
    ...options,
  })
}

// Counts sockets opened to the database port while `work` runs.
async function connectionsDuring(work: () => Promise<unknown>): Promise<number> {
  const port = Number(server.port || 5432)
  const spy = vi.spyOn(net.Socket.prototype, 'connect')
  try {
    await work()
    return spy.mock.calls.filter((args: unknown[]) => {
      // connect(port, host) as pg calls it, or connect(options) / Node's internal [options, callback].
      const [first] = args
      const options: unknown = Array.isArray(first) ? first[0] : first
      const target =
        typeof options === 'object' && options !== null ? (options as { port?: unknown }).port : options
      return Number(target) === port
    }).length
  } finally {
    spy.mockRestore()
  }
}

describe('the connection credential', () => {
  it('connects with host, port, database and user fields', async () => {
    const { output } = await select1(fieldsFor())
    expect(output.rows).toEqual([{ one: 1 }])
  })

  it('connects through a host name that resolves to loopback', async () => {
    const { output } = await select1(fieldsFor({ host: 'localhost' }))
    expect(output.rows).toEqual([{ one: 1 }])
  })

  it('fails with auth_error when the server refuses the user', async () => {
    const error = await actionErrorOf(select1(fieldsFor({ user: 'nobody_at_all' })))
    expect(error.class).toBe('auth_error')
    expect(error.message).toContain('28000')
    expect(error.requestSent).toBe(false)
  })

  it('fails with not_found when the database does not exist', async () => {
    const error = await actionErrorOf(select1(fieldsFor({ database: `${database.name}_missing` })))
    expect(error.class).toBe('not_found')
    expect(error.message).toContain('3D000')
  })

  it('fails with permission_error when the user may not read the table', async () => {
    const error = await actionErrorOf(
      runAction(postgres, 'query', {
        input: { sql: 'select * from secrets' },
        credential: fieldsFor({ user: limitedRole, password: 'unused' }),
        allowPrivateNetwork: true,
      }),
    )
    expect(error.class).toBe('permission_error')
    expect(error.message).toContain('42501')
  })

  it('fails with network_error when nothing listens on the port, before sending anything', async () => {
    const closed = net.createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const { port } = closed.address() as AddressInfo
    await new Promise<void>((resolve) => {
      closed.close(() => {
        resolve()
      })
    })
    const error = await actionErrorOf(select1(fieldsFor({ port })))
    expect(error.class).toBe('network_error')
    expect(error.message).toContain('ECONNREFUSED')
    expect(error.requestSent).toBe(false)
  })

  it('fails with network_error when the host name does not resolve', async () => {
    const error = await actionErrorOf(select1(fieldsFor({ host: 'db.invalid' })))
    expect(error.class).toBe('network_error')
  })

  it('fails with network_error, not retried, when TLS is required but the server has none', async () => {
    const error = await actionErrorOf(
      select1({ authMethod: 'connection', secrets: { connectionString: `${database.url}?sslmode=require` } }),
    )
    expect(error.class).toBe('network_error')
    expect(error.retryable).toBe(false)
  })

  it.each([
    [{ connectionString: 'postgres://[oops' }, 'not a valid postgres:// URL'],
    [{ connectionString: 'postgres://u@localhost/db?host=/var/run/postgresql' }, 'Unix sockets'],
    [{ connectionString: 'postgres://u@db.example.com/app?sslmode=sometimes' }, 'sslmode=sometimes'],
    [{ connectionString: 'postgres://db.example.com/app' }, 'needs a user'],
    [{ database: 'app' }, 'connection string or a host'],
  ])('refuses an unusable credential %j with auth_error', async (secrets, message) => {
    const error = await actionErrorOf(select1({ authMethod: 'connection', secrets }))
    expect(error.class).toBe('auth_error')
    expect(error.message).toContain(message)
    expect(error.requestSent).toBe(false)
  })

  it('never puts the password of a connection string in an error', async () => {
    const error = await actionErrorOf(
      select1({ authMethod: 'connection', secrets: { connectionString: 'postgres://u:hunter2@[bad' } }),
    )
    expect(error.message).not.toContain('hunter2')
  })

  it('reads every part of a connection string', () => {
    expect(
      connectionSettings({
        connectionString: 'postgresql://ada%40corp:p%40ss@[::1]:6543/sales%2Feu?sslmode=verify-ca',
      }),
    ).toEqual({
      host: '::1',
      port: 6543,
      database: 'sales/eu',
      user: 'ada@corp',
      password: 'p@ss',
      tls: 'verify-full',
    })
    expect(connectionSettings({ host: 'db.example.com', user: 'app', ssl: 'require' })).toEqual({
      host: 'db.example.com',
      port: 5432,
      database: 'app',
      user: 'app',
      password: undefined,
      tls: 'require',
    })
  })
})

// A PostgreSQL server stand-in that accepts TLS (with a self-signed certificate for localhost) and then
// refuses the password, the way a real server with scram or md5 authentication answers a wrong one.
async function startTlsServer(): Promise<{
  port: number
  sawTls: () => boolean
  close: () => Promise<void>
}> {
  const key = readFileSync(new URL('./fixtures/localhost-key.pem', import.meta.url))
  const cert = readFileSync(new URL('./fixtures/localhost-cert.pem', import.meta.url))
  let tlsSeen = false
  const server = net.createServer((socket) => {
    socket.on('error', () => undefined)
    socket.once('data', (request) => {
      // SSLRequest: length 8, code 80877103.
      if (request.readInt32BE(4) !== 80877103) {
        socket.destroy()
        return
      }
      socket.write('S')
      const secure = new tls.TLSSocket(socket, { isServer: true, key, cert })
      secure.on('error', () => undefined)
      secure.once('data', () => {
        tlsSeen = true
        const fields = ['SFATAL', 'VFATAL', 'C28P01', 'Mpassword authentication failed for user "app"']
        const body = Buffer.concat([...fields.map((field) => Buffer.from(`${field}\0`)), Buffer.from([0])])
        const header = Buffer.alloc(5)
        header.write('E', 0)
        header.writeInt32BE(body.length + 4, 1)
        secure.end(Buffer.concat([header, body]))
      })
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as AddressInfo).port,
    sawTls: () => tlsSeen,
    close: async () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve()
        })
      }),
  }
}

describe('TLS', () => {
  it('encrypts with ssl require and reports a refused password as auth_error', async () => {
    const stand = await startTlsServer()
    try {
      const error = await actionErrorOf(
        select1(
          fieldsFor({ host: 'localhost', port: stand.port, user: 'app', password: 'wrong', ssl: 'require' }),
        ),
      )
      expect(stand.sawTls()).toBe(true)
      expect(error.class).toBe('auth_error')
      expect(error.message).toContain('28P01')
      expect(error.requestSent).toBe(false)
    } finally {
      await stand.close()
    }
  })

  it('verifies the certificate with verify-full against the CA certificate of the credential', async () => {
    const stand = await startTlsServer()
    try {
      const error = await actionErrorOf(
        select1(
          fieldsFor({
            host: 'localhost',
            port: stand.port,
            user: 'app',
            password: 'wrong',
            ssl: 'verify-full',
            sslRootCert: readFileSync(new URL('./fixtures/localhost-cert.pem', import.meta.url), 'utf8'),
          }),
        ),
      )
      expect(stand.sawTls()).toBe(true)
      expect(error.class).toBe('auth_error')
    } finally {
      await stand.close()
    }
  })

  it('refuses a certificate it cannot verify with ssl verify-full, without retrying', async () => {
    const stand = await startTlsServer()
    try {
      const error = await actionErrorOf(
        select1({
          authMethod: 'connection',
          secrets: { connectionString: `postgres://app:pw@localhost:${stand.port}/app?sslmode=verify-full` },
        }),
      )
      expect(error.class).toBe('network_error')
      expect(error.retryable).toBe(false)
      expect(error.message).toContain('certificate')
      expect(stand.sawTls()).toBe(false)
    } finally {
      await stand.close()
    }
  })
})

describe('the network rules', () => {
  it('refuses a loopback database unless private networks are allowed, without connecting', async () => {
    let error: ActionError | undefined
    const opened = await connectionsDuring(async () => {
      error = await actionErrorOf(
        runAction(postgres, 'query', { input: { sql: 'select 1' }, credential: fieldsFor() }),
      )
    })
    expect(error?.class).toBe('permission_error')
    expect(error?.requestSent).toBe(false)
    expect(error?.message).toContain('loopback')
    expect(opened).toBe(0)
  })

  it('refuses an IPv6 loopback literal', async () => {
    const error = await actionErrorOf(
      runAction(postgres, 'query', { input: { sql: 'select 1' }, credential: fieldsFor({ host: '::1' }) }),
    )
    expect(error.class).toBe('permission_error')
    expect(error.message).toContain('::1')
  })

  it('refuses a name that resolves to loopback too', async () => {
    const error = await actionErrorOf(
      runAction(postgres, 'query', {
        input: { sql: 'select 1' },
        credential: fieldsFor({ host: 'localhost' }),
      }),
    )
    expect(error.class).toBe('permission_error')
  })

  it('connects when the address is in an allowed private range', async () => {
    let rows: unknown
    const opened = await connectionsDuring(async () => {
      const { output } = await runAction(postgres, 'query', {
        input: { sql: 'select 1 as one' },
        credential: fieldsFor(),
        allowedPrivateRanges: ['127.0.0.0/8'],
      })
      rows = output.rows
    })
    expect(rows).toEqual([{ one: 1 }])
    expect(opened).toBe(1)
  })

  it('applies to the health check as well', async () => {
    const result = await runHealthCheck(postgres, { credential: fieldsFor() })
    expect(result).toMatchObject({ ok: false, errorClass: 'permission_error' })
  })
})

describe('the postgres tool', () => {
  it('is a valid plugin with the connection auth method', () => {
    expect(validateTool(postgres)).toEqual([])
    expect(postgres.authMethods.map((method) => method.id)).toEqual(['connection'])
    expect(Object.keys(postgres.authMethods[0]?.fields.properties ?? {})).toEqual([
      'connectionString',
      'host',
      'port',
      'database',
      'user',
      'password',
      'ssl',
      'sslRootCert',
    ])
  })

  it.each(postgres.actions.map((action) => [action.name, action] as const))(
    'has a first example of %s that validates against its input schema',
    (_name, action) => {
      expect(validate(action.input, action.examples[0]?.input)).toMatchObject({ ok: true })
    },
  )

  it('passes the health check with a working credential', async () => {
    const result = await runHealthCheck(postgres, {
      credential: { authMethod: 'connection', secrets: { connectionString: database.url } },
      allowPrivateNetwork: true,
    })
    expect(result).toMatchObject({ ok: true, checked: true })
  })

  it('fails the health check with auth_error for a refused user', async () => {
    const result = await runHealthCheck(postgres, {
      credential: fieldsFor({ user: 'nobody_at_all' }),
      allowPrivateNetwork: true,
    })
    expect(result).toMatchObject({ ok: false, errorClass: 'auth_error' })
  })
})

describe('postgresError', () => {
  it.each([
    [{ code: '40P01', severity: 'ERROR', message: 'deadlock detected' }, 'conflict', true],
    [{ code: '53300', severity: 'FATAL', message: 'too many connections' }, 'upstream_unavailable', true],
    [{ code: '08006', severity: 'FATAL', message: 'connection failure' }, 'network_error', true],
    [{ code: 'XX000', severity: 'ERROR', message: 'internal' }, 'upstream_error', false],
    [{ code: 'DEPTH_ZERO_SELF_SIGNED_CERT', message: 'self-signed certificate' }, 'network_error', false],
    [new Error('Connection terminated due to connection timeout'), 'timeout', true],
    [new Error('Connection terminated unexpectedly'), 'network_error', true],
    [new Error('something else'), 'upstream_error', false],
  ])('maps %j to %s', (error, errorClass, retryable) => {
    const mapped = postgresError(error, 'query')
    expect(mapped.class).toBe(errorClass)
    expect(mapped.retryable).toBe(retryable)
  })
})
