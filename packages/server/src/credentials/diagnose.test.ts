// Diagnose without a socket: the credential checks, and the DNS check through injected resolvers.
import { EventEmitter } from 'node:events'
import net from 'node:net'
import { Type, auth, closeConnectionPools, defineAction, defineTool } from '@toolplane/sdk'
import type { AuthMethod, HealthCheckOutcome, Resolver, ToolContext } from '@toolplane/sdk'
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest'
import { DIAGNOSTIC_CHECKS, diagnose } from './diagnose.js'
import type { DiagnoseInput, DiagnosticCheck, DiagnosticCheckId, Diagnosis } from './diagnose.js'
import type { Credential } from './service.js'

const now = Date.UTC(2026, 0, 15, 12)
const hour = 3_600_000

const oauth = auth.oauth2({
  grant: 'authorization_code',
  authorizationUrl: 'https://tracker.test/oauth/authorize',
  tokenUrl: 'https://tracker.test/oauth/token',
  scopes: ['issues:read'],
})
const machine = auth.oauth2({
  grant: 'client_credentials',
  tokenUrl: 'https://tracker.test/oauth/token',
  scopes: ['issues:read'],
})
const bearer = auth.bearer()
const basic = auth.basic()
const hmac = auth.custom({
  id: 'hmac',
  fields: Type.Object({ keyId: Type.String(), secret: Type.String({ minLength: 1 }) }),
  apply(request, secrets) {
    request.headers['x-key-id'] = secrets.keyId
  },
})

const empty = Type.Object({})
const listIssues = defineAction({
  name: 'list_issues',
  title: 'List issues',
  description: 'Lists issues.',
  input: empty,
  output: empty,
  scopes: ['issues:read'],
  run: async () => Promise.resolve({}),
})
const createIssue = defineAction({
  name: 'create_issue',
  title: 'Create an issue',
  description: 'Opens an issue.',
  input: empty,
  output: empty,
  scopes: ['issues:read', 'issues:write'],
  run: async () => Promise.resolve({}),
})

type HealthCheck = (ctx: ToolContext) => Promise<HealthCheckOutcome | undefined>

function trackerTool(healthCheck?: HealthCheck) {
  return defineTool({
    slug: 'tracker',
    name: 'Tracker',
    description: 'An issue tracker.',
    version: '1.0.0',
    categories: ['developer-tools'],
    authMethods: [bearer, basic, hmac, oauth, machine],
    actions: [listIssues, createIssue],
    ...(healthCheck === undefined ? {} : { healthCheck }),
  })
}

function credential(overrides: Partial<Credential> = {}): Credential {
  return {
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
    createdAt: now - 24 * hour,
    updatedAt: now - 24 * hour,
    ...overrides,
  }
}

function inputFor(method: AuthMethod, overrides: Partial<DiagnoseInput> = {}): DiagnoseInput {
  return {
    credential: credential({ authMethod: method.id }),
    tool: trackerTool(),
    method,
    secrets: {},
    now,
    baseUrl: undefined,
    network: { allowPrivateNetwork: false },
    ...overrides,
  }
}

function check(diagnosis: Diagnosis, id: DiagnosticCheckId): DiagnosticCheck {
  const found = diagnosis.checks.find((candidate) => candidate.id === id)
  if (found === undefined) throw new Error(`no ${id} check`)
  return found
}

const token = 'tok_live_4f9a8b7c6d5e'
const refreshToken = 'rt_live_0a1b2c3d4e5f'

afterEach(() => {
  vi.restoreAllMocks()
})

afterAll(async () => {
  await closeConnectionPools()
})

describe('the shape of a diagnosis', () => {
  it('lists every check once, in the specified order, each with a title and a duration', async () => {
    const diagnosis = await diagnose(inputFor(bearer, { secrets: { token } }))

    expect(diagnosis.checks.map((c) => c.id)).toEqual([...DIAGNOSTIC_CHECKS])
    for (const item of diagnosis.checks) {
      expect(item.title).not.toBe('')
      expect(item.durationMs).toBeGreaterThanOrEqual(0)
      expect(item.observed).not.toBe('')
      if (item.status !== 'fail') expect(item.fix).toBeNull()
    }
  })

  it('is ok when nothing failed, skipped checks included', async () => {
    const diagnosis = await diagnose(inputFor(bearer, { secrets: { token } }))

    expect(diagnosis.ok).toBe(true)
    expect(check(diagnosis, 'dns')).toMatchObject({ status: 'skip' })
    expect(check(diagnosis, 'dns').observed).toMatch(/no upstream/)
    expect(check(diagnosis, 'health_check')).toMatchObject({
      status: 'skip',
      observed: 'the tool declares no health check',
    })
  })
})

describe('a check that breaks', () => {
  it('fails alone, as a fault of Toolplane, and the other checks still run', async () => {
    const broken = {
      ...trackerTool(),
      actions: [
        {
          ...listIssues,
          get scopes(): readonly string[] {
            throw new RangeError(`cannot read scopes near ${token}`)
          },
        },
      ],
    }
    const diagnosis = await diagnose(
      inputFor(oauth, {
        tool: broken,
        credential: credential({ authMethod: 'oauth2' }),
        secrets: { accessToken: token },
      }),
    )

    expect(check(diagnosis, 'scopes_cover_actions')).toMatchObject({
      status: 'fail',
      observed: 'the check itself failed (RangeError)',
    })
    expect(check(diagnosis, 'scopes_cover_actions').fix).toMatch(/fault in Toolplane/)
    expect(check(diagnosis, 'secrets_present').status).toBe('pass')
    expect(check(diagnosis, 'health_check').status).toBe('skip')
  })
})

describe('secrets_present', () => {
  it('fails with the master key variables named when the secrets cannot be decrypted', async () => {
    const diagnosis = await diagnose(inputFor(bearer, { secrets: null }))
    const secrets = check(diagnosis, 'secrets_present')

    expect(diagnosis.ok).toBe(false)
    expect(secrets.status).toBe('fail')
    expect(secrets.observed).toBe('the stored secrets cannot be decrypted with the configured master key')
    expect(secrets.fix).toContain('TOOLPLANE_MASTER_KEY')
    expect(secrets.fix).toContain('TOOLPLANE_MASTER_KEY_PREVIOUS')
    expect(secrets.fix).toMatch(/enter the secrets again/)
  })

  it('names the missing fields, not their values', async () => {
    const diagnosis = await diagnose(inputFor(basic, { secrets: { username: 'ada-lovelace' } }))
    const secrets = check(diagnosis, 'secrets_present')

    expect(secrets.status).toBe('fail')
    expect(secrets.observed).toBe('missing or empty: "password" (1 of 2 required fields set)')
    expect(secrets.fix).toBe('Edit the credential and fill in "password".')
  })

  it('counts an empty string as missing where the field needs characters', async () => {
    const diagnosis = await diagnose(inputFor(hmac, { secrets: { keyId: '', secret: '' } }))

    expect(check(diagnosis, 'secrets_present').observed).toBe(
      'missing or empty: "secret" (1 of 2 required fields set)',
    )
  })

  it('accepts an empty Basic password, as Stripe uses', async () => {
    const diagnosis = await diagnose(
      inputFor(basic, { secrets: { username: 'sk_test_abcdef', password: '' } }),
    )

    expect(check(diagnosis, 'secrets_present')).toMatchObject({
      status: 'pass',
      observed: 'all 2 required fields are set',
    })
  })

  it('fails on a malformed field with its path and the rule it breaks', async () => {
    const diagnosis = await diagnose(inputFor(bearer, { secrets: { token: 'line\r\nbreak-token' } }))
    const secrets = check(diagnosis, 'secrets_present')

    expect(secrets.status).toBe('fail')
    expect(secrets.observed).toMatch(/^the secrets do not fit the "bearer" auth method: \/token /)
    expect(secrets.observed).not.toContain('break-token')
  })

  it('asks an OAuth2 user to reconnect when the access token is missing', async () => {
    const diagnosis = await diagnose(
      inputFor(oauth, { credential: credential({ authMethod: 'oauth2' }), secrets: {} }),
    )

    expect(check(diagnosis, 'secrets_present').fix).toBe(
      'Edit the credential and fill in "accessToken", or reconnect the account.',
    )
  })

  it('passes for a method without secrets', async () => {
    const diagnosis = await diagnose(inputFor(auth.none(), { secrets: {} }))

    expect(check(diagnosis, 'secrets_present')).toMatchObject({
      status: 'pass',
      observed: 'the "none" auth method needs no secrets',
    })
  })

  it('passes with one required field, said in the singular', async () => {
    const diagnosis = await diagnose(inputFor(bearer, { secrets: { token } }))

    expect(check(diagnosis, 'secrets_present').observed).toBe('all 1 required field is set')
  })
})

describe('not_expired', () => {
  const oauthInput = (secrets: Record<string, unknown> | null, overrides: Partial<DiagnoseInput> = {}) =>
    inputFor(oauth, { credential: credential({ authMethod: 'oauth2' }), secrets, ...overrides })

  it('passes for a token that expires later, saying when', async () => {
    const expiresAt = new Date(now + 2 * hour).toISOString()
    const diagnosis = await diagnose(oauthInput({ accessToken: token, expiresAt }))

    expect(check(diagnosis, 'not_expired')).toMatchObject({
      status: 'pass',
      observed: `the access token expires at ${expiresAt} (in 2 hours)`,
    })
  })

  it('says a token about to expire will be refreshed before its next use', async () => {
    const expiresAt = new Date(now + 2 * 60_000).toISOString()
    const diagnosis = await diagnose(oauthInput({ accessToken: token, refreshToken, expiresAt }))

    expect(check(diagnosis, 'not_expired').observed).toBe(
      `the access token expires at ${expiresAt} (in 2 minutes); it will be refreshed before its next use`,
    )
  })

  it('fails for an expired token without a refresh token, asking to reconnect', async () => {
    const expiresAt = new Date(now - 3 * hour).toISOString()
    const diagnosis = await diagnose(oauthInput({ accessToken: token, expiresAt }))
    const expiry = check(diagnosis, 'not_expired')

    expect(diagnosis.ok).toBe(false)
    expect(expiry).toMatchObject({
      status: 'fail',
      observed: `the access token expired at ${expiresAt} (3 hours ago)`,
    })
    expect(expiry.fix).toMatch(/^Reconnect the account/)
    expect(check(diagnosis, 'refresh_works')).toMatchObject({
      status: 'skip',
      observed: 'no refresh token is stored, so there is nothing to refresh with',
    })
  })

  it('fails for an expired token that can be refreshed, saying it will be', async () => {
    const diagnosis = await diagnose(
      oauthInput({ accessToken: token, refreshToken, expiresAt: new Date(now - 1000).toISOString() }),
    )

    expect(check(diagnosis, 'not_expired').fix).toMatch(/the token is refreshed before its next use/)
  })

  it("falls back to the credential's expiry when the secrets carry none", async () => {
    const diagnosis = await diagnose(
      oauthInput(null, { credential: credential({ authMethod: 'oauth2', expiresAt: now - 86_400_000 }) }),
    )

    expect(check(diagnosis, 'not_expired')).toMatchObject({
      status: 'fail',
      observed: `the access token expired at ${new Date(now - 86_400_000).toISOString()} (1 day ago)`,
    })
  })

  it('passes when the provider gave no expiry', async () => {
    const diagnosis = await diagnose(oauthInput({ accessToken: token }))

    expect(check(diagnosis, 'not_expired')).toMatchObject({
      status: 'pass',
      observed: 'the provider gave no expiry; the token is used until the provider refuses it',
    })
  })

  it('is skipped for a method that does not expire', async () => {
    const diagnosis = await diagnose(inputFor(bearer, { secrets: { token } }))

    expect(check(diagnosis, 'not_expired')).toMatchObject({
      status: 'skip',
      observed: 'a bearer credential does not expire on its own',
    })
  })
})

describe('refresh_works', () => {
  const expired = { accessToken: token, refreshToken, expiresAt: new Date(now - hour).toISOString() }
  const oauthInput = (overrides: Partial<DiagnoseInput>) =>
    inputFor(oauth, { credential: credential({ authMethod: 'oauth2' }), secrets: expired, ...overrides })

  it('passes when the provider issues a new token, saying until when', async () => {
    const diagnosis = await diagnose(
      oauthInput({ refresh: async () => Promise.resolve({ ok: true, expiresAt: now + hour }) }),
    )

    expect(check(diagnosis, 'refresh_works')).toMatchObject({
      status: 'pass',
      observed: `a new access token was issued, valid until ${new Date(now + hour).toISOString()}`,
    })
  })

  it('fails on invalid_grant with the advice to reconnect the account', async () => {
    const diagnosis = await diagnose(
      oauthInput({
        refresh: async () =>
          Promise.resolve({
            ok: false,
            reason: 'invalid_grant',
            detail: 'Token has been expired or revoked.',
          }),
      }),
    )
    const refresh = check(diagnosis, 'refresh_works')

    expect(diagnosis.ok).toBe(false)
    expect(refresh.status).toBe('fail')
    expect(refresh.observed).toBe(
      'the provider refused the refresh: invalid_grant (Token has been expired or revoked.)',
    )
    expect(refresh.fix).toMatch(/revoked the refresh token .*: reconnect the account\.$/)
  })

  it('gives a general fix for a reason it has no advice for, and leaves out an empty detail', async () => {
    const diagnosis = await diagnose(
      oauthInput({ refresh: async () => Promise.resolve({ ok: false, reason: 'weird_error', detail: '' }) }),
    )

    expect(check(diagnosis, 'refresh_works')).toMatchObject({
      observed: 'the provider refused the refresh: weird_error',
      fix: 'Reconnect the account; if that fails too, check the OAuth app at the provider.',
    })
  })

  it('reports a refresh that throws by the error name only', async () => {
    const diagnosis = await diagnose(
      oauthInput({
        refresh: async () => Promise.reject(new TypeError(`bad things with ${refreshToken}`)),
      }),
    )

    expect(check(diagnosis, 'refresh_works').observed).toBe(
      'the provider refused the refresh: error (TypeError)',
    )
  })

  it('says a client credentials token is requested anew when no refresh is given', async () => {
    const diagnosis = await diagnose(
      inputFor(machine, {
        credential: credential({ authMethod: machine.id }),
        secrets: { accessToken: token },
      }),
    )

    expect(check(diagnosis, 'refresh_works').observed).toMatch(/requested anew when it expires/)
  })

  it('is skipped for a method without tokens', async () => {
    const diagnosis = await diagnose(inputFor(bearer, { secrets: { token } }))

    expect(check(diagnosis, 'refresh_works')).toMatchObject({
      status: 'skip',
      observed: 'a bearer credential has no token to refresh',
    })
  })
})

describe('scopes_cover_actions', () => {
  const oauthInput = (overrides: Partial<DiagnoseInput>) =>
    inputFor(oauth, {
      credential: credential({ authMethod: 'oauth2' }),
      secrets: { accessToken: token },
      ...overrides,
    })

  it('passes when the granted scopes cover every action', async () => {
    const diagnosis = await diagnose(oauthInput({ grantedScopes: ['issues:read', 'issues:write', 'extra'] }))

    expect(check(diagnosis, 'scopes_cover_actions')).toMatchObject({
      status: 'pass',
      observed: 'all 2 scopes the actions need are covered; granted: issues:read, issues:write, extra',
    })
  })

  it('fails naming the missing scopes and the actions that need them', async () => {
    const diagnosis = await diagnose(oauthInput({ grantedScopes: ['issues:read'] }))
    const scopes = check(diagnosis, 'scopes_cover_actions')

    expect(diagnosis.ok).toBe(false)
    expect(scopes.status).toBe('fail')
    expect(scopes.observed).toBe('missing scope: issues:write (create_issue); granted: issues:read')
    expect(scopes.fix).toMatch(/^Reconnect the account and grant issues:write/)
  })

  it('compares with the default scopes when the granted ones are unknown, and says so', async () => {
    const diagnosis = await diagnose(oauthInput({}))
    const scopes = check(diagnosis, 'scopes_cover_actions')

    expect(scopes.status).toBe('fail')
    expect(scopes.observed).toBe(
      'missing scope: issues:write (create_issue); the granted scopes are unknown; compared with the scopes the tool requests by default (issues:read)',
    )
    expect(scopes.fix).toMatch(/^The tool does not request issues:write by default/)
  })

  it('names several missing scopes with every action that needs each', async () => {
    const diagnosis = await diagnose(oauthInput({ grantedScopes: [] }))

    expect(check(diagnosis, 'scopes_cover_actions').observed).toBe(
      'missing scopes: issues:read (list_issues, create_issue); issues:write (create_issue); granted: none',
    )
  })

  it('passes with one scope, said in the singular', async () => {
    const tool = defineTool({
      slug: 'reader',
      name: 'Reader',
      description: 'One scope.',
      version: '1.0.0',
      categories: [],
      authMethods: [oauth],
      actions: [listIssues],
    })
    const diagnosis = await diagnose(oauthInput({ tool }))

    expect(check(diagnosis, 'scopes_cover_actions').observed).toMatch(
      /^all 1 scope the actions need are covered; /,
    )
  })

  it('passes when no action declares a scope', async () => {
    const tool = defineTool({
      slug: 'plain',
      name: 'Plain',
      description: 'No scopes.',
      version: '1.0.0',
      categories: [],
      authMethods: [oauth],
      actions: [],
    })
    const diagnosis = await diagnose(oauthInput({ tool }))

    expect(check(diagnosis, 'scopes_cover_actions')).toMatchObject({
      status: 'pass',
      observed: "the tool's actions declare no scopes",
    })
  })

  it('is skipped for a method without scopes', async () => {
    const diagnosis = await diagnose(inputFor(bearer, { secrets: { token } }))

    expect(check(diagnosis, 'scopes_cover_actions').status).toBe('skip')
  })
})

describe('dns', () => {
  const mapTo =
    (...addresses: string[]): Resolver =>
    async () =>
      Promise.resolve(addresses.map((address) => ({ address, family: net.isIP(address) })))

  it('fails for a name on a private network, naming TOOLPLANE_ALLOW_PRIVATE_NETWORK, and opens no socket', async () => {
    const connect = vi.spyOn(net.Socket.prototype, 'connect')
    const tool = trackerTool(async () => Promise.resolve({ ok: true }))
    const diagnosis = await diagnose(
      inputFor(bearer, {
        tool,
        secrets: { token },
        baseUrl: 'https://tracker.internal.test/api',
        network: { allowPrivateNetwork: false, resolver: mapTo('10.0.0.5') },
      }),
    )
    const dns = check(diagnosis, 'dns')

    expect(dns.status).toBe('fail')
    expect(dns.observed).toBe(
      'tracker.internal.test resolves to 10.0.0.5; the network rules refuse 10.0.0.5 (private)',
    )
    expect(dns.fix).toContain('TOOLPLANE_ALLOW_PRIVATE_NETWORK')
    for (const id of ['tcp', 'tls', 'clock_skew', 'health_check'] as const) {
      expect(check(diagnosis, id)).toMatchObject({
        status: 'skip',
        observed: 'skipped: the network rules refuse the address',
      })
    }
    expect(connect).not.toHaveBeenCalled()
  })

  it('refuses a name when any of its addresses is refused, as the SDK does, and says so', async () => {
    const diagnosis = await diagnose(
      inputFor(bearer, {
        secrets: { token },
        baseUrl: 'https://tracker.test',
        network: { resolver: mapTo('93.184.215.14', '169.254.169.254') },
      }),
    )

    expect(check(diagnosis, 'dns').observed).toBe(
      'tracker.test resolves to 93.184.215.14, 169.254.169.254; the network rules refuse 169.254.169.254 (link-local); a name is refused when any of its addresses is',
    )
  })

  it('fails on an IP literal the rules refuse, without a lookup', async () => {
    const resolver = vi.fn(mapTo('93.184.215.14'))
    const diagnosis = await diagnose(
      inputFor(bearer, { secrets: { token }, baseUrl: 'http://[::1]:8080', network: { resolver } }),
    )

    expect(check(diagnosis, 'dns').observed).toBe(
      '::1 is an IP address; the network rules refuse ::1 (loopback)',
    )
    expect(resolver).not.toHaveBeenCalled()
  })

  it('fails on NXDOMAIN, naming the host', async () => {
    const nxdomain: Resolver = async (hostname) =>
      Promise.reject(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }))
    const diagnosis = await diagnose(
      inputFor(bearer, {
        secrets: { token },
        baseUrl: 'https://api.trackre.test',
        network: { resolver: nxdomain },
      }),
    )
    const dns = check(diagnosis, 'dns')

    expect(dns).toMatchObject({ status: 'fail', observed: 'api.trackre.test does not resolve (ENOTFOUND)' })
    expect(dns.fix).toMatch(/^Check the spelling of api\.trackre\.test in the base URL/)
    expect(check(diagnosis, 'tcp').observed).toBe('skipped: the DNS check failed')
  })

  it('fails on a name with no address', async () => {
    const diagnosis = await diagnose(
      inputFor(bearer, {
        secrets: { token },
        baseUrl: 'https://tracker.test',
        network: { resolver: mapTo() },
      }),
    )

    expect(check(diagnosis, 'dns').observed).toBe('tracker.test has no address')
  })

  it('tells a temporary DNS failure apart from a name that does not exist', async () => {
    const flaky: Resolver = async () =>
      Promise.reject(Object.assign(new Error('try again'), { code: 'EAI_AGAIN' }))
    const diagnosis = await diagnose(
      inputFor(bearer, { secrets: { token }, baseUrl: 'https://tracker.test', network: { resolver: flaky } }),
    )

    expect(check(diagnosis, 'dns')).toMatchObject({ observed: 'looking up tracker.test failed: EAI_AGAIN' })
    expect(check(diagnosis, 'dns').fix).toMatch(/DNS server did not answer/)
  })

  it('gives up on a resolver that does not answer within the time limit', async () => {
    const silent: Resolver = async () => new Promise(() => undefined)
    const diagnosis = await diagnose(
      inputFor(bearer, {
        secrets: { token },
        baseUrl: 'https://tracker.test',
        network: { resolver: silent },
        timeoutMs: 20,
      }),
    )

    expect(check(diagnosis, 'dns').observed).toBe('looking up tracker.test failed: ETIMEDOUT')
  })

  it.each([
    ['not a url', 'the base URL is not a valid URL'],
    ['ftp://files.tracker.test', 'the base URL uses ftp:, not http or https'],
    [
      'https://user:pa55word@tracker.test',
      'the base URL carries a user name or password, which Toolplane refuses to send',
    ],
  ])('fails on the base URL %s', async (baseUrl, observed) => {
    const diagnosis = await diagnose(inputFor(bearer, { secrets: { token }, baseUrl }))

    expect(check(diagnosis, 'dns')).toMatchObject({ status: 'fail', observed })
    expect(check(diagnosis, 'tcp').status).toBe('skip')
    expect(JSON.stringify(diagnosis)).not.toContain('pa55word')
  })
})

describe('tcp, when the connection fails in ways loopback cannot show', () => {
  // A socket that fails the way the kernel would, or never answers; nothing leaves the process.
  function failingConnect(code: string | undefined) {
    const attempts: string[] = []
    vi.spyOn(net, 'connect').mockImplementation(((options: net.TcpNetConnectOpts) => {
      attempts.push(options.host ?? '')
      const socket = Object.assign(new EventEmitter(), { destroy: vi.fn() })
      if (code !== undefined) {
        setImmediate(() => socket.emit('error', Object.assign(new Error(code), { code })))
      }
      return socket as unknown as net.Socket
    }) as typeof net.connect)
    return attempts
  }
  const publicAddresses: Resolver = async () =>
    Promise.resolve([
      { address: '93.184.215.14', family: 4 },
      { address: '93.184.215.15', family: 4 },
    ])
  const input = (timeoutMs = 2_000) =>
    inputFor(bearer, {
      secrets: { token },
      baseUrl: 'https://tracker.test',
      network: { resolver: publicAddresses },
      timeoutMs,
    })

  it('tries every address on EHOSTUNREACH, then points at routing', async () => {
    const attempts = failingConnect('EHOSTUNREACH')
    const diagnosis = await diagnose(input())
    const tcp = check(diagnosis, 'tcp')

    expect(attempts).toEqual(['93.184.215.14', '93.184.215.15'])
    expect(tcp.observed).toBe('tracker.test (93.184.215.15) port 443: EHOSTUNREACH (tried 2 addresses)')
    expect(tcp.fix).toMatch(/no route from the Toolplane server to tracker\.test/)
  })

  it('gives up after the time limit, pointing at firewalls', async () => {
    failingConnect(undefined)
    const diagnosis = await diagnose(input(20))

    expect(check(diagnosis, 'tcp').observed).toBe(
      'tracker.test (93.184.215.15) port 443: ETIMEDOUT (tried 2 addresses)',
    )
    expect(check(diagnosis, 'tcp').fix).toMatch(/^No answer within 20 ms: a firewall/)
  })

  it('stops at an error the next address would not help with', async () => {
    const attempts = failingConnect('EACCES')
    const diagnosis = await diagnose(input())

    expect(attempts).toHaveLength(1)
    expect(check(diagnosis, 'tcp')).toMatchObject({
      observed: 'tracker.test (93.184.215.14) port 443: EACCES',
      fix: 'Check that the Toolplane server can reach tracker.test port 443.',
    })
  })
})

describe('health_check', () => {
  it('runs the tool check with the secrets when there is no upstream to reach first', async () => {
    const seen: string[] = []
    const tool = trackerTool(async ({ credential: given }) => {
      seen.push(String(given.secrets.token))
      return Promise.resolve({ ok: true })
    })
    const diagnosis = await diagnose(inputFor(bearer, { tool, secrets: { token } }))

    expect(seen).toEqual([token])
    expect(check(diagnosis, 'health_check').status).toBe('pass')
    expect(check(diagnosis, 'health_check').observed).toMatch(/^the tool's health check passed in \d+ ms$/)
  })

  it('fails with the fix for a rejected credential, and never shows the secret it saw', async () => {
    const tool = trackerTool(async () => Promise.resolve({ ok: false, detail: `token ${token} was refused` }))
    const diagnosis = await diagnose(inputFor(bearer, { tool, secrets: { token } }))
    const health = check(diagnosis, 'health_check')

    expect(health).toMatchObject({
      status: 'fail',
      observed: 'auth_error: token [REDACTED] was refused',
      fix: 'The provider rejected the credential: update it with a valid secret.',
    })
    expect(JSON.stringify(diagnosis)).not.toContain(token)
  })

  it('skips when the secrets are incomplete', async () => {
    const tool = trackerTool(async () => Promise.resolve({ ok: true }))
    const diagnosis = await diagnose(inputFor(bearer, { tool, secrets: {} }))

    expect(check(diagnosis, 'health_check')).toMatchObject({
      status: 'skip',
      observed: 'skipped: the secrets are missing or cannot be read',
    })
  })

  it('skips when the access token has expired', async () => {
    const tool = trackerTool(async () => Promise.resolve({ ok: true }))
    const diagnosis = await diagnose(
      inputFor(oauth, {
        tool,
        credential: credential({ authMethod: 'oauth2' }),
        secrets: { accessToken: token, expiresAt: new Date(now - hour).toISOString() },
        grantedScopes: ['issues:read', 'issues:write'],
      }),
    )

    expect(check(diagnosis, 'health_check').observed).toBe('skipped: the access token has expired')
  })

  it('runs with the refreshed secrets after a refresh that returns them', async () => {
    const fresh = 'tok_fresh_112233445566'
    const used: string[] = []
    const tool = trackerTool(async ({ credential: given }) => {
      used.push(String(given.secrets.accessToken))
      return Promise.resolve({ ok: true })
    })
    const diagnosis = await diagnose(
      inputFor(oauth, {
        tool,
        credential: credential({ authMethod: 'oauth2' }),
        secrets: { accessToken: token, refreshToken, expiresAt: new Date(now - hour).toISOString() },
        grantedScopes: ['issues:read', 'issues:write'],
        refresh: async () => Promise.resolve({ ok: true, secrets: { accessToken: fresh, refreshToken } }),
      }),
    )

    expect(used).toEqual([fresh])
    expect(check(diagnosis, 'refresh_works').observed).toBe('a new access token was issued')
    expect(check(diagnosis, 'health_check').status).toBe('pass')
    expect(JSON.stringify(diagnosis)).not.toContain(fresh)
  })

  it.each([
    ['permission_error', bearer, /lacks a permission: give it the access/],
    ['permission_error', oauth, /reconnect with the scopes/],
    ['credential_expired', bearer, /expired at the provider/],
    ['rate_limited', bearer, /limiting this credential/],
    ['not_found', bearer, /base URL points to the right API/],
    ['upstream_unavailable', bearer, /could not be reached/],
    ['conflict', bearer, /health check failed/],
    ['network_error', bearer, /could not be reached/],
    ['timeout', bearer, /did not answer in time/],
    ['auth_error', oauth, /reconnect the account/],
  ] as const)('fixes a %s failure (%s)', async (errorClass, method, fix) => {
    const { ActionError } = await import('@toolplane/sdk')
    const tool = trackerTool(async () => Promise.reject(new ActionError(errorClass, 'the check failed')))
    const secrets = method.kind === 'oauth2' ? { accessToken: token } : { token }
    const diagnosis = await diagnose(
      inputFor(method, { tool, credential: credential({ authMethod: method.id }), secrets }),
    )
    const health = check(diagnosis, 'health_check')

    expect(health.observed).toBe(`${errorClass}: the check failed`)
    expect(health.fix).toMatch(fix)
  })
})
