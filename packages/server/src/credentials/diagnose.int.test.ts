// Diagnose against real sockets on loopback: plain HTTP upstreams, closed ports, and TLS servers
// with certificates made for the test (selfsigned), so every check meets what it would in the field.
import http from 'node:http'
import type { IncomingMessage, ServerResponse } from 'node:http'
import https from 'node:https'
import net from 'node:net'
import type { AddressInfo } from 'node:net'
import { Type, auth, closeConnectionPools, defineAction, defineTool } from '@toolplane/sdk'
import type { Resolver, Tool } from '@toolplane/sdk'
import { generate } from 'selfsigned'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { diagnose } from './diagnose.js'
import type { DiagnoseInput, DiagnosticCheck, DiagnosticCheckId, Diagnosis } from './diagnose.js'
import type { Credential } from './service.js'

const dayMs = 86_400_000
const token = 'tok_live_9z8y7x6w5v4u'
const bearer = auth.bearer()
const empty = Type.Object({})

const whoami = defineAction({
  name: 'whoami',
  title: 'Who am I',
  description: 'The account the credential belongs to.',
  input: empty,
  output: empty,
  run: async () => Promise.resolve({}),
})

function trackerTool(options: { healthCheck?: boolean } = {}): Tool {
  return defineTool({
    slug: 'tracker',
    name: 'Tracker',
    description: 'An issue tracker.',
    version: '1.0.0',
    categories: ['developer-tools'],
    authMethods: [bearer],
    actions: [whoami],
    ...(options.healthCheck === false
      ? {}
      : {
          async healthCheck({ http: client }) {
            ;(await client.get('/me')).raise()
          },
        }),
  })
}

const credential: Credential = {
  id: 'cred_1',
  tool: 'tracker',
  name: 'CI bot',
  authMethod: 'bearer',
  externalUserId: null,
  baseUrl: null,
  status: 'unchecked',
  statusReason: null,
  lastCheckedAt: null,
  lastUsedAt: null,
  expiresAt: null,
  fields: {},
  createdAt: 0,
  updatedAt: 0,
}

// `localhost` pinned to IPv4, so a test never depends on how the machine resolves it.
const localhost: Resolver = async () => Promise.resolve([{ address: '127.0.0.1', family: 4 }])

function inputFor(baseUrl: string, overrides: Partial<DiagnoseInput> = {}): DiagnoseInput {
  return {
    credential,
    tool: trackerTool(),
    method: bearer,
    secrets: { token },
    now: Date.now(),
    baseUrl,
    network: { allowPrivateNetwork: true, resolver: localhost },
    timeoutMs: 2_000,
    ...overrides,
  }
}

function check(diagnosis: Diagnosis, id: DiagnosticCheckId): DiagnosticCheck {
  const found = diagnosis.checks.find((candidate) => candidate.id === id)
  if (found === undefined) throw new Error(`no ${id} check`)
  return found
}

type Handler = (request: IncomingMessage, response: ServerResponse) => void

const servers: (http.Server | https.Server | net.Server)[] = []
const sockets = new Set<net.Socket>()

async function listen(server: http.Server | https.Server | net.Server): Promise<number> {
  servers.push(server)
  server.on('connection', (socket: net.Socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => {
    server.listen(0, '127.0.0.1', resolve)
  })
  return (server.address() as AddressInfo).port
}

async function httpUpstream(handler: Handler): Promise<string> {
  return `http://127.0.0.1:${await listen(http.createServer(handler))}`
}

// A port nothing listens on: taken from the system, then given back.
async function closedPort(): Promise<number> {
  const server = net.createServer()
  const port = await listen(server)
  servers.pop()
  await new Promise<void>((resolve) => {
    server.close(() => {
      resolve()
    })
  })
  return port
}

const answerMe: Handler = (request, response) => {
  if (request.headers.authorization === `Bearer ${token}`) {
    response.writeHead(200, { 'content-type': 'application/json' }).end('{"login":"ci-bot"}')
  } else {
    response.writeHead(401).end()
  }
}

afterEach(async () => {
  for (const socket of sockets) socket.destroy()
  await Promise.all(
    servers.splice(0).map(
      async (server) =>
        new Promise<void>((resolve) => {
          server.close(() => {
            resolve()
          })
        }),
    ),
  )
})

afterAll(async () => {
  await closeConnectionPools()
})

describe('a plain http upstream', () => {
  it('passes every check that applies, with TLS skipped', async () => {
    const baseUrl = await httpUpstream(answerMe)
    const diagnosis = await diagnose(inputFor(baseUrl))
    const port = new URL(baseUrl).port

    expect(diagnosis.ok).toBe(true)
    expect(check(diagnosis, 'dns')).toMatchObject({ status: 'pass', observed: '127.0.0.1 is an IP address' })
    expect(check(diagnosis, 'tcp').status).toBe('pass')
    expect(check(diagnosis, 'tcp').observed).toMatch(
      new RegExp(`^connected to 127\\.0\\.0\\.1 port ${port} in \\d+ ms$`),
    )
    expect(check(diagnosis, 'tls')).toMatchObject({
      status: 'skip',
      observed: 'the base URL uses plain http, so there is no TLS to check',
    })
    expect(check(diagnosis, 'clock_skew').status).toBe('pass')
    expect(check(diagnosis, 'clock_skew').observed).toMatch(
      /^the upstream's clock \(Date: .+\) is [01] s (ahead of|behind) this server's$/,
    )
    expect(check(diagnosis, 'health_check').status).toBe('pass')
  })

  it('resolves a name through the policy and connects to the address it got', async () => {
    const baseUrl = (await httpUpstream(answerMe)).replace('127.0.0.1', 'localhost')
    const diagnosis = await diagnose(inputFor(baseUrl))

    expect(check(diagnosis, 'dns').observed).toBe('localhost resolves to 127.0.0.1')
    expect(check(diagnosis, 'health_check').status).toBe('pass')
  })

  it('fails the clock check for an upstream whose Date is 5 minutes ahead', async () => {
    const baseUrl = await httpUpstream((request, response) => {
      response.setHeader('date', new Date(Date.now() + 5 * 60_000).toUTCString())
      answerMe(request, response)
    })
    const diagnosis = await diagnose(inputFor(baseUrl))
    const clock = check(diagnosis, 'clock_skew')

    expect(diagnosis.ok).toBe(false)
    expect(clock.status).toBe('fail')
    expect(clock.observed).toMatch(/is (299|300|301) s ahead of this server's$/)
    expect(clock.fix).toMatch(/NTP/)
  })

  it("compares with the injected now: a server clock 2 minutes slow shows as the upstream's being behind", async () => {
    const baseUrl = await httpUpstream(answerMe)
    const diagnosis = await diagnose(inputFor(baseUrl, { now: Date.now() + 2 * 60_000 }))

    expect(check(diagnosis, 'clock_skew').observed).toMatch(/is (119|120|121) s behind this server's$/)
  })

  it('asks with GET when HEAD fails', async () => {
    const methods: string[] = []
    const baseUrl = await httpUpstream((request, response) => {
      methods.push(request.method ?? '')
      if (request.method === 'HEAD') {
        request.socket.destroy()
        return
      }
      answerMe(request, response)
    })
    const diagnosis = await diagnose(inputFor(baseUrl, { tool: trackerTool({ healthCheck: false }) }))

    expect(methods.slice(0, 2)).toEqual(['HEAD', 'GET'])
    expect(check(diagnosis, 'clock_skew').status).toBe('pass')
  })

  it('skips the clock check for an upstream that sends no Date', async () => {
    const baseUrl = await httpUpstream((request, response) => {
      response.sendDate = false
      answerMe(request, response)
    })
    const diagnosis = await diagnose(inputFor(baseUrl))

    expect(check(diagnosis, 'clock_skew')).toMatchObject({
      status: 'skip',
      observed: 'the upstream sends no Date header, so its clock cannot be compared',
    })
    expect(diagnosis.ok).toBe(true)
  })

  it('skips the clock check for an upstream that sends a Date that is not one', async () => {
    const baseUrl = await httpUpstream((request, response) => {
      response.setHeader('date', 'yesterday-ish')
      answerMe(request, response)
    })
    const diagnosis = await diagnose(inputFor(baseUrl))

    expect(check(diagnosis, 'clock_skew').observed).toBe('the upstream sent a Date header that is not a date')
  })

  it('skips the clock check, saying why, for an upstream that accepts connections but answers no request', async () => {
    const server = net.createServer((socket) => socket.destroy())
    const port = await listen(server)
    const diagnosis = await diagnose(
      inputFor(`http://127.0.0.1:${port}`, { tool: trackerTool({ healthCheck: false }) }),
    )

    expect(check(diagnosis, 'tcp').status).toBe('pass')
    expect(check(diagnosis, 'clock_skew').status).toBe('skip')
    expect(check(diagnosis, 'clock_skew').observed).toMatch(
      /^the upstream did not answer an HTTP request \(network_error: /,
    )
  })

  it('fails the health check with the fix for a rejected credential', async () => {
    const baseUrl = await httpUpstream((_request, response) => response.writeHead(401).end())
    const diagnosis = await diagnose(inputFor(baseUrl))
    const health = check(diagnosis, 'health_check')

    expect(health.status).toBe('fail')
    expect(health.observed).toMatch(/^auth_error: GET http:\/\/127\.0\.0\.1:\d+\/me answered 401$/)
    expect(health.fix).toBe('The provider rejected the credential: update it with a valid secret.')
    expect(JSON.stringify(diagnosis)).not.toContain(token)
  })

  it('fails the TCP check on a closed port with ECONNREFUSED, and skips what needs a connection', async () => {
    const port = await closedPort()
    const diagnosis = await diagnose(inputFor(`http://127.0.0.1:${port}`))
    const tcp = check(diagnosis, 'tcp')

    expect(diagnosis.ok).toBe(false)
    expect(tcp).toMatchObject({
      status: 'fail',
      observed: `127.0.0.1 (127.0.0.1) port ${port}: ECONNREFUSED`,
    })
    expect(tcp.fix).toMatch(new RegExp(`^Nothing accepts connections on port ${port} at 127\\.0\\.0\\.1`))
    for (const id of ['clock_skew', 'health_check'] as const) {
      expect(check(diagnosis, id)).toMatchObject({
        status: 'skip',
        observed: 'skipped: the TCP check failed',
      })
    }
    expect(check(diagnosis, 'tls').status).toBe('skip')
  })

  it('tries the next address of a name when the first refuses, as the SDK does', async () => {
    const port = await listen(http.createServer(answerMe))
    const twoAddresses: Resolver = async () =>
      Promise.resolve([
        { address: '127.0.0.2', family: 4 },
        { address: '127.0.0.1', family: 4 },
      ])
    const diagnosis = await diagnose(
      inputFor(`http://localhost:${port}`, {
        network: { allowPrivateNetwork: true, resolver: twoAddresses },
      }),
    )

    expect(check(diagnosis, 'tcp').observed).toMatch(new RegExp(`^connected to 127\\.0\\.0\\.1 port ${port}`))
  })

  it('names every address tried when none accepts', async () => {
    const port = await closedPort()
    const twoAddresses: Resolver = async () =>
      Promise.resolve([
        { address: '127.0.0.2', family: 4 },
        { address: '127.0.0.3', family: 4 },
      ])
    const diagnosis = await diagnose(
      inputFor(`http://localhost:${port}`, {
        network: { allowPrivateNetwork: true, resolver: twoAddresses },
      }),
    )

    expect(check(diagnosis, 'tcp').observed).toBe(
      `localhost (127.0.0.3) port ${port}: ECONNREFUSED (tried 2 addresses)`,
    )
  })
})

describe('a TLS upstream', () => {
  let authority: { key: string; cert: string }

  beforeAll(async () => {
    const ca = await generate([{ name: 'commonName', value: 'Toolplane Test CA' }], {
      keyType: 'ec',
      algorithm: 'sha256',
      notAfterDate: new Date(Date.now() + 3650 * dayMs),
      extensions: [
        { name: 'basicConstraints', cA: true, critical: true },
        { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
      ],
    })
    authority = { key: ca.private, cert: ca.cert }
  })

  async function certificate(options: {
    host?: string
    signed?: boolean
    notBefore?: number
    notAfter: number
  }): Promise<{ key: string; cert: string }> {
    const host = options.host ?? 'localhost'
    const made = await generate([{ name: 'commonName', value: host }], {
      keyType: 'ec',
      algorithm: 'sha256',
      notBeforeDate: new Date(options.notBefore ?? Date.now() - dayMs),
      notAfterDate: new Date(options.notAfter),
      extensions: [
        { name: 'basicConstraints', cA: false },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
        { name: 'extKeyUsage', serverAuth: true },
        { name: 'subjectAltName', altNames: [{ type: 2, value: host }] },
      ],
      ...(options.signed === false ? {} : { ca: authority }),
    })
    return { key: made.private, cert: made.cert }
  }

  async function tlsUpstream(pair: { key: string; cert: string }): Promise<string> {
    return `https://localhost:${await listen(https.createServer(pair, answerMe))}`
  }

  it('fails for a self-signed certificate with its error code, and skips what needs TLS', async () => {
    const baseUrl = await tlsUpstream(await certificate({ signed: false, notAfter: Date.now() + 90 * dayMs }))
    const diagnosis = await diagnose(inputFor(baseUrl))
    const tlsCheck = check(diagnosis, 'tls')

    expect(diagnosis.ok).toBe(false)
    expect(tlsCheck.status).toBe('fail')
    expect(tlsCheck.observed).toMatch(
      /^TLSv1\.[23], certificate issued by localhost, valid until .+: DEPTH_ZERO_SELF_SIGNED_CERT$/,
    )
    expect(tlsCheck.fix).toMatch(/self-signed certificate.*NODE_EXTRA_CA_CERTS/)
    for (const id of ['clock_skew', 'health_check'] as const) {
      expect(check(diagnosis, id)).toMatchObject({
        status: 'skip',
        observed: 'skipped: the TLS check failed',
      })
    }
  })

  it('passes a trusted certificate, with its protocol, issuer and days left', async () => {
    const baseUrl = await tlsUpstream(await certificate({ notAfter: Date.now() + 90.5 * dayMs }))
    const diagnosis = await diagnose(
      inputFor(baseUrl, { ca: authority.cert, tool: trackerTool({ healthCheck: false }) }),
    )

    expect(check(diagnosis, 'tls')).toMatchObject({ status: 'pass' })
    expect(check(diagnosis, 'tls').observed).toMatch(
      /^TLSv1\.[23], certificate issued by Toolplane Test CA, valid until \d{4}-\d\d-\d\dT.+ \(90 days left\)$/,
    )
  })

  it('passes a certificate that expires within 14 days, with a warning', async () => {
    const baseUrl = await tlsUpstream(await certificate({ notAfter: Date.now() + 9.5 * dayMs }))
    const diagnosis = await diagnose(
      inputFor(baseUrl, { ca: [authority.cert], tool: trackerTool({ healthCheck: false }) }),
    )

    expect(check(diagnosis, 'tls').status).toBe('pass')
    expect(check(diagnosis, 'tls').observed).toMatch(
      /— it expires in 9 days, within 14: whoever runs localhost should renew it soon$/,
    )
  })

  it('fails for an expired certificate with CERT_HAS_EXPIRED', async () => {
    const baseUrl = await tlsUpstream(
      await certificate({ notBefore: Date.now() - 30 * dayMs, notAfter: Date.now() - 2 * dayMs }),
    )
    const diagnosis = await diagnose(inputFor(baseUrl, { ca: authority.cert }))
    const tlsCheck = check(diagnosis, 'tls')

    expect(tlsCheck.status).toBe('fail')
    expect(tlsCheck.observed).toMatch(/: CERT_HAS_EXPIRED$/)
    expect(tlsCheck.fix).toMatch(
      /^The certificate of localhost expired at .+: whoever runs localhost must renew it\.$/,
    )
  })

  it('fails for a certificate that is not valid yet, pointing at the clock', async () => {
    const baseUrl = await tlsUpstream(
      await certificate({ notBefore: Date.now() + 2 * dayMs, notAfter: Date.now() + 90 * dayMs }),
    )
    const diagnosis = await diagnose(inputFor(baseUrl, { ca: authority.cert }))

    expect(check(diagnosis, 'tls').observed).toMatch(/: CERT_NOT_YET_VALID$/)
    expect(check(diagnosis, 'tls').fix).toMatch(/check this server's clock \(NTP\)/)
  })

  it('checks the certificate against an IP address in the base URL', async () => {
    const baseUrl = (await tlsUpstream(await certificate({ notAfter: Date.now() + 90 * dayMs }))).replace(
      'localhost',
      '127.0.0.1',
    )
    const diagnosis = await diagnose(inputFor(baseUrl, { ca: authority.cert }))

    expect(check(diagnosis, 'tls').observed).toMatch(/: ERR_TLS_CERT_ALTNAME_INVALID$/)
    expect(check(diagnosis, 'tls').fix).toMatch(
      /^The certificate is not for 127\.0\.0\.1 \(it names DNS:localhost\)/,
    )
  })

  it('fails for a certificate issued for another host', async () => {
    const baseUrl = await tlsUpstream(
      await certificate({ host: 'other.test', notAfter: Date.now() + 90 * dayMs }),
    )
    const diagnosis = await diagnose(inputFor(baseUrl, { ca: authority.cert }))
    const tlsCheck = check(diagnosis, 'tls')

    expect(tlsCheck.observed).toMatch(/: ERR_TLS_CERT_ALTNAME_INVALID$/)
    expect(tlsCheck.fix).toBe(
      'The certificate is not for localhost (it names DNS:other.test): check the host name in the base URL.',
    )
  })

  it('fails for an unknown authority, naming NODE_EXTRA_CA_CERTS', async () => {
    const baseUrl = await tlsUpstream(await certificate({ notAfter: Date.now() + 90 * dayMs }))
    const diagnosis = await diagnose(inputFor(baseUrl))
    const tlsCheck = check(diagnosis, 'tls')

    expect(tlsCheck.observed).toMatch(/: UNABLE_TO_VERIFY_LEAF_SIGNATURE$/)
    expect(tlsCheck.fix).toMatch(/does not lead to a trusted authority.*NODE_EXTRA_CA_CERTS/)
  })

  it('fails when the port speaks plain http', async () => {
    const baseUrl = (await httpUpstream(answerMe)).replace('http://127.0.0.1', 'https://localhost')
    const diagnosis = await diagnose(inputFor(baseUrl))
    const tlsCheck = check(diagnosis, 'tls')

    expect(tlsCheck.status).toBe('fail')
    expect(tlsCheck.observed).toMatch(/^no TLS handshake with localhost port \d+: /)
    expect(tlsCheck.fix).toMatch(/serves https \(not plain http\)/)
  })

  it('gives up on a server that never completes the handshake', async () => {
    const port = await listen(net.createServer(() => undefined))
    const diagnosis = await diagnose(inputFor(`https://localhost:${port}`, { timeoutMs: 200 }))

    expect(check(diagnosis, 'tls').observed).toBe(`no TLS handshake with localhost port ${port}: ETIMEDOUT`)
  })
})
