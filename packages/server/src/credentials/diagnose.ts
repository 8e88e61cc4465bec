/**
 * Diagnose (specification §6): the ordered checks that say why a credential does not work and what
 * to do about it — secrets present, not expired, refresh works, scopes cover the tool's actions,
 * upstream reachable (DNS, TCP, TLS), clock skew, and the tool's own health check.
 *
 * A pure function of its inputs: the secrets are opened, the refresh is wired and the network
 * policy is chosen by the caller. Every connection goes through the policy, so a diagnosis never
 * reaches an address an action could not. `observed` and `fix` name fields, hosts, addresses,
 * codes, counts and dates — never a secret value.
 */
import net from 'node:net'
import { performance } from 'node:perf_hooks'
import tls from 'node:tls'
import {
  BlockedAddressError,
  REDACTED,
  checkAddress,
  createHttpClient,
  runHealthCheck,
  systemResolver,
  toActionError,
  validate,
} from '@toolplane/sdk'
import type {
  AuthMethod,
  ErrorClass,
  HttpResponse,
  NetworkPolicy,
  ResolvedAddress,
  TSchema,
  Tool,
} from '@toolplane/sdk'
import { REFRESH_SKEW_MS } from './oauth.js'
import type { Credential } from './service.js'

/** What a refresh attempt reports; `detail` is shown to the user, so it must carry no secret. */
export type RefreshOutcome =
  | {
      ok: true
      /** When the new access token expires, in epoch milliseconds. */
      expiresAt?: number
      /** The rotated secrets, if the caller wants the health check to run with them. */
      secrets?: Record<string, unknown>
    }
  | { ok: false; reason: string; detail: string }

/** Everything a diagnosis looks at. */
export interface DiagnoseInput {
  credential: Credential
  tool: Tool
  /** The credential's auth method. */
  method: AuthMethod
  /** The opened secrets; `null` when they could not be opened (a wrong master key). */
  secrets: Record<string, unknown> | null
  /** Epoch milliseconds. */
  now: number
  /** `credential.baseUrl ?? tool.baseUrl`. */
  baseUrl: string | undefined
  /** The outbound network rules; every lookup and connection goes through them. */
  network: NetworkPolicy
  /** Given only for OAuth2 credentials that can get a new token (a refresh token, client credentials). */
  refresh?: () => Promise<RefreshOutcome>
  /** The scopes the provider granted, when known. */
  grantedScopes?: readonly string[]
  /** Per network check; defaults to {@link DIAGNOSE_TIMEOUT_MS}. */
  timeoutMs?: number
  /**
   * Certificate authorities the upstream's certificate is checked against. Defaults to Node's (the
   * bundled roots plus `NODE_EXTRA_CA_CERTS`), which is what actions trust; tests give their own.
   */
  ca?: string | readonly string[]
}

/** A check's verdict; a skipped check says why in `observed`. */
export type CheckStatus = 'pass' | 'fail' | 'skip'

/** The checks, in the order they run. */
export const DIAGNOSTIC_CHECKS = [
  'secrets_present',
  'not_expired',
  'refresh_works',
  'scopes_cover_actions',
  'dns',
  'tcp',
  'tls',
  'clock_skew',
  'health_check',
] as const

/** One check's stable id. */
export type DiagnosticCheckId = (typeof DIAGNOSTIC_CHECKS)[number]

/** One check's outcome. */
export interface DiagnosticCheck {
  id: DiagnosticCheckId
  title: string
  status: CheckStatus
  /** What was seen, in words a user can read. */
  observed: string
  /** What to do about a failure; `null` when there is nothing to do. */
  fix: string | null
  durationMs: number
}

/** A diagnosis: `ok` when no check failed. */
export interface Diagnosis {
  ok: boolean
  checks: DiagnosticCheck[]
}

/** How long one network check may take by default. */
export const DIAGNOSE_TIMEOUT_MS = 5_000

/** A clock further off than this from the upstream's fails the clock check. */
export const CLOCK_SKEW_LIMIT_MS = 60_000

/** A certificate expiring within this many days passes with a warning. */
export const CERTIFICATE_WARNING_DAYS = 14

const titles: Readonly<Record<DiagnosticCheckId, string>> = {
  secrets_present: 'Secrets are present',
  not_expired: 'Access token has not expired',
  refresh_works: 'Token refresh works',
  scopes_cover_actions: "Scopes cover the tool's actions",
  dns: 'Host name resolves',
  tcp: 'TCP connection',
  tls: 'TLS certificate',
  clock_skew: 'Clock skew',
  health_check: 'Health check',
}

interface Verdict {
  status: CheckStatus
  observed: string
  fix: string | null
}

const pass = (observed: string): Verdict => ({ status: 'pass', observed, fix: null })
const fail = (observed: string, fix: string): Verdict => ({ status: 'fail', observed, fix })
const skip = (observed: string): Verdict => ({ status: 'skip', observed, fix: null })

const dayMs = 86_400_000

interface Target {
  url: URL
  host: string
  port: number
}

// Where the upstream stands after the network checks so far: reachable as far as they went, or not
// (and why, for the checks skipped because of it).
type Upstream =
  | { reachable: true; target: Target; addresses: readonly ResolvedAddress[]; connected?: ResolvedAddress }
  | { reachable: false; why: string }

// What the checks learn and later checks depend on.
interface Findings {
  secrets: Record<string, unknown> | null
  secretsComplete: boolean
  tokenExpired: boolean
  upstream: Upstream
}

/**
 * Runs the diagnosis checks in order. A check that a failure before it makes meaningless is
 * skipped, and says so; a check that cannot apply (TLS on a plain-http URL) is skipped too.
 *
 * @example
 * const diagnosis = await diagnose({
 *   credential,
 *   tool,
 *   method,
 *   secrets,
 *   now: Date.now(),
 *   baseUrl: credential.baseUrl ?? tool.baseUrl,
 *   network: { allowPrivateNetwork: config.allowPrivateNetwork },
 * })
 * for (const check of diagnosis.checks) if (check.status === 'fail') console.log(check.id, check.fix)
 */
export async function diagnose(input: DiagnoseInput): Promise<Diagnosis> {
  const started = performance.now()
  // The injected `now`, moved on by the time the checks have taken so far.
  const clock = (): number => input.now + (performance.now() - started)
  const timeoutMs = input.timeoutMs ?? DIAGNOSE_TIMEOUT_MS
  const findings: Findings = {
    secrets: input.secrets,
    secretsComplete: false,
    tokenExpired: false,
    upstream: { reachable: false, why: 'there is no base URL' },
  }

  const steps: Record<DiagnosticCheckId, () => Promise<Verdict> | Verdict> = {
    secrets_present: () => secretsPresent(input, findings),
    not_expired: () => notExpired(input, findings),
    refresh_works: async () => refreshWorks(input, findings),
    scopes_cover_actions: () => scopesCoverActions(input),
    dns: async () => resolveHost(input, findings, timeoutMs),
    tcp: async () => connectTcp(input, findings, timeoutMs),
    tls: async () => verifyTls(input, findings, timeoutMs),
    clock_skew: async () => clockSkew(input, findings, timeoutMs, clock),
    health_check: async () => healthCheck(input, findings, timeoutMs),
  }

  const checks: DiagnosticCheck[] = []
  for (const id of DIAGNOSTIC_CHECKS) {
    const checkStarted = performance.now()
    let verdict: Verdict
    try {
      verdict = await steps[id]()
    } catch (error) {
      // A bug in a check must not hide the other checks' findings.
      verdict = fail(
        `the check itself failed (${error instanceof Error ? error.name : typeof error})`,
        'This is a fault in Toolplane, not in the credential: please report it.',
      )
    }
    checks.push({ id, title: titles[id], ...verdict, durationMs: performance.now() - checkStarted })
  }

  const secretValues = valuesToHide([input.secrets, findings.secrets])
  const shown = checks.map((check) => ({
    ...check,
    observed: hide(check.observed, secretValues),
    fix: check.fix === null ? null : hide(check.fix, secretValues),
  }))
  return { ok: shown.every((check) => check.status !== 'fail'), checks: shown }
}

// ── secrets and tokens ──────────────────────────────────────────────────────────────────────────

function secretsPresent(input: DiagnoseInput, findings: Findings): Verdict {
  const { method, secrets } = input
  if (secrets === null) {
    return fail(
      'the stored secrets cannot be decrypted with the configured master key',
      'Start the server with the master key the secrets were stored under: TOOLPLANE_MASTER_KEY, or, ' +
        'after a key rotation, the old key in TOOLPLANE_MASTER_KEY_PREVIOUS. If that key is lost, enter ' +
        'the secrets again (or reconnect the account).',
    )
  }
  const schema = method.fields as { properties?: Record<string, TSchema>; required?: readonly string[] }
  const properties = schema.properties ?? {}
  if (Object.keys(properties).length === 0) {
    findings.secretsComplete = true
    return pass(`the "${method.id}" auth method needs no secrets`)
  }
  const required = schema.required ?? []
  const missing = required.filter((field) => isEmpty(secrets[field], properties[field]))
  if (missing.length > 0) {
    return fail(
      `missing or empty: ${quoted(missing)} (${required.length - missing.length} of ${required.length} required fields set)`,
      `Edit the credential and fill in ${quoted(missing)}${oauthHint(method)}.`,
    )
  }
  const result = validate(method.fields, secrets)
  if (!result.ok) {
    const problems = result.errors.map((error) => `${error.path || '/'} ${error.message}`).join('; ')
    return fail(
      `the secrets do not fit the "${method.id}" auth method: ${problems}`,
      `Edit the credential and correct the fields named above${oauthHint(method)}.`,
    )
  }
  findings.secretsComplete = true
  return pass(`all ${required.length} required field${required.length === 1 ? ' is' : 's are'} set`)
}

// A field is empty when it is absent, or an empty string where its schema wants characters (a Basic
// password may legitimately be empty: Stripe's is).
function isEmpty(value: unknown, schema: { minLength?: unknown } | undefined): boolean {
  if (value === undefined || value === null) return true
  const minLength = schema?.minLength
  return value === '' && typeof minLength === 'number' && minLength > 0
}

function oauthHint(method: AuthMethod): string {
  return method.kind === 'oauth2' ? ', or reconnect the account' : ''
}

function notExpired(input: DiagnoseInput, findings: Findings): Verdict {
  const { method } = input
  if (method.kind !== 'oauth2') return skip(`a ${method.kind} credential does not expire on its own`)
  const stored = input.secrets?.expiresAt
  const fromSecrets = typeof stored === 'string' ? Date.parse(stored) : Number.NaN
  const expiresAt = Number.isNaN(fromSecrets) ? input.credential.expiresAt : fromSecrets
  if (expiresAt === null) {
    return pass('the provider gave no expiry; the token is used until the provider refuses it')
  }
  const renewable = canRenew(input)
  const left = expiresAt - input.now
  if (left > 0) {
    const soon = left <= REFRESH_SKEW_MS && renewable ? '; it will be refreshed before its next use' : ''
    return pass(`the access token expires at ${iso(expiresAt)} (in ${span(left)})${soon}`)
  }
  findings.tokenExpired = true
  return fail(
    `the access token expired at ${iso(expiresAt)} (${span(-left)} ago)`,
    renewable
      ? 'Nothing to do if the refresh check passes: the token is refreshed before its next use.'
      : 'Reconnect the account: the provider issued no refresh token, so a new token needs the user again.',
  )
}

function canRenew(input: DiagnoseInput): boolean {
  const refreshToken = input.secrets?.refreshToken
  return (
    input.refresh !== undefined ||
    (typeof refreshToken === 'string' && refreshToken !== '') ||
    (input.method.kind === 'oauth2' && input.method.grant === 'client_credentials')
  )
}

// What to do when the provider refuses a refresh, by its OAuth error code or Toolplane's reason.
const refreshFixes: Readonly<Record<string, string>> = {
  invalid_grant:
    'The provider revoked the refresh token or it expired there (a password change, a revoked app, ' +
    'a long idle period): reconnect the account.',
  invalid_client:
    "The provider does not accept the OAuth app's client id or secret: update them in the tool's OAuth " +
    'settings.',
  unauthorized_client:
    "The provider does not let this OAuth app use refresh tokens: check the app's settings at the provider.",
  invalid_scope:
    'The provider refuses the scopes asked for: reconnect the account with the scopes it offers.',
  network_error:
    "The provider's token endpoint could not be reached: check the network checks below and the server's " +
    'outbound access.',
  insecure_endpoint:
    "The provider's token endpoint is plain http: use its https URL (plain http is allowed only with " +
    'TOOLPLANE_ALLOW_PRIVATE_NETWORK).',
  server_error: 'The provider failed to answer; try again later.',
  temporarily_unavailable: 'The provider is temporarily unavailable; try again later.',
}

async function refreshWorks(input: DiagnoseInput, findings: Findings): Promise<Verdict> {
  if (input.method.kind !== 'oauth2') return skip(`a ${input.method.kind} credential has no token to refresh`)
  if (input.refresh === undefined) {
    return skip(
      input.method.grant === 'client_credentials'
        ? 'a client credentials token is requested anew when it expires; no refresh was attempted'
        : 'no refresh token is stored, so there is nothing to refresh with',
    )
  }
  let outcome: RefreshOutcome
  try {
    outcome = await input.refresh()
  } catch (error) {
    outcome = { ok: false, reason: 'error', detail: error instanceof Error ? error.name : 'unknown error' }
  }
  if (!outcome.ok) {
    return fail(
      `the provider refused the refresh: ${outcome.reason}${outcome.detail === '' ? '' : ` (${outcome.detail})`}`,
      refreshFixes[outcome.reason] ??
        'Reconnect the account; if that fails too, check the OAuth app at the provider.',
    )
  }
  if (outcome.secrets !== undefined) {
    findings.secrets = outcome.secrets
    findings.tokenExpired = false
  }
  return pass(
    outcome.expiresAt === undefined
      ? 'a new access token was issued'
      : `a new access token was issued, valid until ${iso(outcome.expiresAt)}`,
  )
}

function scopesCoverActions(input: DiagnoseInput): Verdict {
  const oauth = input.method
  if (oauth.kind !== 'oauth2') return skip(`a ${oauth.kind} credential has no OAuth scopes`)
  const neededBy = new Map<string, string[]>()
  for (const action of input.tool.actions) {
    for (const scope of action.scopes) neededBy.set(scope, [...(neededBy.get(scope) ?? []), action.name])
  }
  if (neededBy.size === 0) return pass("the tool's actions declare no scopes")
  const known = input.grantedScopes
  const granted = new Set(known ?? oauth.scopes)
  const source =
    known === undefined
      ? `the granted scopes are unknown; compared with the scopes the tool requests by default (${list(oauth.scopes)})`
      : `granted: ${list(known)}`
  const missingEntries = [...neededBy].filter(([scope]) => !granted.has(scope))
  const missing = missingEntries.map(([scope]) => scope)
  if (missing.length === 0) {
    return pass(
      `all ${neededBy.size} scope${neededBy.size === 1 ? '' : 's'} the actions need are covered; ${source}`,
    )
  }
  const needs = missingEntries.map(([scope, actions]) => `${scope} (${actions.join(', ')})`).join('; ')
  return fail(
    `missing scope${missing.length === 1 ? '' : 's'}: ${needs}; ${source}`,
    known === undefined
      ? `The tool does not request ${list(missing)} by default: reconnect the account with the missing scopes added to the requested ones, or avoid the actions named above.`
      : `Reconnect the account and grant ${list(missing)} on the provider's consent screen; until then the actions named above are refused.`,
  )
}

// ── the upstream ────────────────────────────────────────────────────────────────────────────────

function targetOf(url: URL): Target {
  const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port)
  return { url, host: bareHost(url.hostname), port }
}

function unreachable(findings: Findings, why: string): void {
  findings.upstream = { reachable: false, why }
}

function bareHost(hostname: string): string {
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname
}

const lookupFailures: ReadonlySet<string> = new Set(['ENOTFOUND', 'EAI_NONAME', 'ENODATA', 'NXDOMAIN'])

async function resolveHost(input: DiagnoseInput, findings: Findings, timeoutMs: number): Promise<Verdict> {
  if (input.baseUrl === undefined) {
    unreachable(findings, 'there is no base URL')
    return skip('neither the tool nor the credential has a base URL, so there is no upstream to reach')
  }
  let url: URL
  try {
    url = new URL(input.baseUrl)
  } catch {
    unreachable(findings, 'the base URL is invalid')
    return fail('the base URL is not a valid URL', 'Correct the base URL, such as https://api.example.com.')
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    unreachable(findings, 'the base URL is not http or https')
    return fail(
      `the base URL uses ${url.protocol}, not http or https`,
      'Correct the base URL to an http or https URL.',
    )
  }
  if (url.username !== '' || url.password !== '') {
    unreachable(findings, 'the base URL carries a user name or password')
    return fail(
      'the base URL carries a user name or password, which Toolplane refuses to send',
      'Remove them from the base URL and put them in the credential instead.',
    )
  }
  const target = targetOf(url)
  const { host } = target
  const family = net.isIP(host)
  let addresses: readonly ResolvedAddress[]
  if (family !== 0) {
    addresses = [{ address: host, family }]
  } else {
    try {
      addresses = await within(timeoutMs, (input.network.resolver ?? systemResolver)(host))
    } catch (error) {
      unreachable(findings, 'the DNS check failed')
      const code = errorCode(error) ?? 'lookup error'
      if (lookupFailures.has(code)) {
        return fail(
          `${host} does not resolve (${code})`,
          `Check the spelling of ${host} in the base URL; for an internal name, check that the Toolplane server's DNS knows it.`,
        )
      }
      return fail(
        `looking up ${host} failed: ${code}`,
        "The DNS server did not answer: check the Toolplane server's resolver configuration, then try again.",
      )
    }
    if (addresses.length === 0) {
      unreachable(findings, 'the DNS check failed')
      return fail(
        `${host} has no address`,
        `Check the spelling of ${host} in the base URL; for an internal name, check that the Toolplane server's DNS knows it.`,
      )
    }
  }
  const refused: string[] = []
  for (const { address } of addresses) {
    try {
      checkAddress(host, address, input.network)
    } catch (error) {
      if (!(error instanceof BlockedAddressError)) throw error
      refused.push(`${address} (${error.reason})`)
    }
  }
  const found = family === 0 ? `${host} resolves to ${addressList(addresses)}` : `${host} is an IP address`
  if (refused.length > 0) {
    unreachable(findings, 'the network rules refuse the address')
    const some = refused.length < addresses.length ? '; a name is refused when any of its addresses is' : ''
    return fail(
      `${found}; the network rules refuse ${refused.join(', ')}${some}`,
      `${host} is not a public address. If Toolplane is meant to reach internal services, the operator can set ` +
        'TOOLPLANE_ALLOW_PRIVATE_NETWORK=true and restart the server; otherwise correct the base URL.',
    )
  }
  findings.upstream = { reachable: true, target, addresses }
  return pass(found)
}

// Errors after which the next address of the host is worth trying, as the SDK's connector does.
const nextAddressCodes: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'ETIMEDOUT',
])

async function connectTcp(input: DiagnoseInput, findings: Findings, timeoutMs: number): Promise<Verdict> {
  const upstream = findings.upstream
  if (!upstream.reachable) return skip(`skipped: ${upstream.why}`)
  const { target, addresses } = upstream
  const { host, port } = target
  let lastCode = 'no address'
  let lastAddress = ''
  let attempts = 0
  for (const [index, candidate] of addresses.entries()) {
    // Checked again right before connecting: what is checked is what is connected to.
    checkAddress(host, candidate.address, input.network)
    const attempt = performance.now()
    attempts += 1
    try {
      await openSocket(candidate, port, timeoutMs)
      findings.upstream = { ...upstream, connected: candidate }
      return pass(
        `connected to ${candidate.address} port ${port} in ${Math.round(performance.now() - attempt)} ms`,
      )
    } catch (error) {
      lastCode = errorCode(error) ?? 'connection error'
      lastAddress = candidate.address
      if (!nextAddressCodes.has(lastCode) || index + 1 === addresses.length) break
    }
  }
  unreachable(findings, 'the TCP check failed')
  const tried = attempts > 1 ? ` (tried ${attempts} addresses)` : ''
  return fail(
    `${host} (${lastAddress}) port ${port}: ${lastCode}${tried}`,
    tcpFix(lastCode, host, port, timeoutMs),
  )
}

function tcpFix(code: string, host: string, port: number, timeoutMs: number): string {
  switch (code) {
    case 'ECONNREFUSED':
      return `Nothing accepts connections on port ${port} at ${host}: check the port in the base URL and that the service is running.`
    case 'ETIMEDOUT':
      return (
        `No answer within ${timeoutMs} ms: a firewall or egress rule may drop traffic from the Toolplane server ` +
        `to ${host} port ${port}, or the network needs a proxy.`
      )
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `There is no route from the Toolplane server to ${host}: check its network, VPN or firewall.`
    default:
      return `Check that the Toolplane server can reach ${host} port ${port}.`
  }
}

async function openSocket(target: ResolvedAddress, port: number, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: target.address, port, family: target.family })
    const settle = (error?: Error): void => {
      clearTimeout(timer)
      socket.destroy()
      if (error === undefined) resolve()
      else reject(error)
    }
    const timer = setTimeout(() => {
      settle(timedOut(timeoutMs))
    }, timeoutMs)
    socket.once('connect', () => {
      settle()
    })
    socket.once('error', settle)
  })
}

function timedOut(timeoutMs: number): Error {
  return Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' })
}

interface Handshake {
  protocol: string
  authorized: boolean
  error: string | undefined
  certificate: tls.PeerCertificate
}

async function verifyTls(input: DiagnoseInput, findings: Findings, timeoutMs: number): Promise<Verdict> {
  const upstream = findings.upstream
  if (!upstream.reachable) return skip(`skipped: ${upstream.why}`)
  const { target, connected } = upstream
  if (target.url.protocol !== 'https:')
    return skip('the base URL uses plain http, so there is no TLS to check')
  if (connected === undefined) return skip('skipped: no connection was made')
  const { host, port } = target
  checkAddress(host, connected.address, input.network)
  let handshake: Handshake
  try {
    handshake = await tlsHandshake(host, connected, port, input.ca, timeoutMs)
  } catch (error) {
    unreachable(findings, 'the TLS check failed')
    const code = errorCode(error) ?? 'handshake error'
    return fail(
      `no TLS handshake with ${host} port ${port}: ${code}`,
      'The server did not complete a TLS handshake: check that this port serves https (not plain http) and ' +
        'supports TLS 1.2 or later.',
    )
  }
  const { certificate } = handshake
  const validTo = Date.parse(certificate.valid_to)
  const daysLeft = Math.floor((validTo - input.now) / dayMs)
  const issuer = firstOf(certificate.issuer.CN) ?? 'an unnamed issuer'
  const seen = `${handshake.protocol}, certificate issued by ${issuer}, valid until ${iso(validTo)}`
  if (!handshake.authorized) {
    unreachable(findings, 'the TLS check failed')
    const code = handshake.error ?? 'verification error'
    return fail(`${seen}: ${code}`, tlsFix(code, host, validTo, certificate))
  }
  if (daysLeft < CERTIFICATE_WARNING_DAYS) {
    return pass(
      `${seen} — it expires in ${daysLeft} day${daysLeft === 1 ? '' : 's'}, within ${CERTIFICATE_WARNING_DAYS}: ` +
        `whoever runs ${host} should renew it soon`,
    )
  }
  return pass(`${seen} (${daysLeft} days left)`)
}

function tlsFix(code: string, host: string, validTo: number, certificate: tls.PeerCertificate): string {
  const trustHint =
    "or have the operator add its authority to the Toolplane server's trust with NODE_EXTRA_CA_CERTS"
  switch (code) {
    case 'CERT_HAS_EXPIRED':
      return `The certificate of ${host} expired at ${iso(validTo)}: whoever runs ${host} must renew it.`
    case 'CERT_NOT_YET_VALID':
      return `The certificate of ${host} is not valid yet: check this server's clock (NTP), or ask whoever runs ${host}.`
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
      return `${host} presents a self-signed certificate, which is not trusted: give it a certificate from a public authority, ${trustHint}.`
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
      return `The certificate chain of ${host} does not lead to a trusted authority: the server may not send its intermediate certificates, ${trustHint}.`
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return `The certificate is not for ${host} (it names ${certificate.subjectaltname ?? firstOf(certificate.subject.CN) ?? 'another host'}): check the host name in the base URL.`
    default:
      return `The certificate of ${host} failed verification (${code}): whoever runs ${host} must fix it.`
  }
}

async function tlsHandshake(
  host: string,
  target: ResolvedAddress,
  port: number,
  ca: string | readonly string[] | undefined,
  timeoutMs: number,
): Promise<Handshake> {
  return new Promise((resolve, reject) => {
    // Verification is judged here rather than by aborting the handshake, so a failure can still say
    // what the certificate is. Nothing is sent over the connection.
    const socket = tls.connect({
      host: target.address,
      port,
      ...(net.isIP(host) === 0 ? { servername: host } : {}),
      rejectUnauthorized: false,
      ...(ca === undefined ? {} : { ca: typeof ca === 'string' ? ca : [...ca] }),
      // Hostname verification against the name in the base URL, not the address connected to.
      checkServerIdentity: (_address, certificate) => tls.checkServerIdentity(host, certificate),
    })
    const timer = setTimeout(() => {
      socket.destroy()
      reject(timedOut(timeoutMs))
    }, timeoutMs)
    socket.once('secureConnect', () => {
      clearTimeout(timer)
      // Node sets a code string here, though its typings say Error.
      const reason = socket.authorizationError as unknown
      resolve({
        protocol: socket.getProtocol() ?? 'TLS',
        authorized: socket.authorized,
        error: typeof reason === 'string' ? reason : undefined,
        certificate: socket.getPeerCertificate(),
      })
      socket.destroy()
    })
    socket.once('error', (error: Error) => {
      clearTimeout(timer)
      socket.destroy()
      reject(error)
    })
  })
}

// Certificate name fields are arrays when a name appears more than once.
function firstOf(value: string | readonly string[] | undefined): string | undefined {
  return typeof value === 'string' ? value : value?.[0]
}

async function clockSkew(
  input: DiagnoseInput,
  findings: Findings,
  timeoutMs: number,
  clock: () => number,
): Promise<Verdict> {
  const upstream = findings.upstream
  if (!upstream.reachable) return skip(`skipped: ${upstream.why}`)
  const { target } = upstream
  // No credential is applied: the clock needs none, and a diagnosis should not spend one.
  const http = createHttpClient({ ...input.network, maxResponseBytes: 1024 * 1024 })
  const ask = async (method: 'HEAD' | 'GET'): Promise<{ response: HttpResponse; at: number }> => {
    const sent = clock()
    const response = await http.request({ method, url: target.url.href, timeoutMs, followRedirects: false })
    return { response, at: (sent + clock()) / 2 }
  }
  let answer: { response: HttpResponse; at: number } | undefined
  let failure: unknown
  try {
    answer = await ask('HEAD')
  } catch (error) {
    failure = error
  }
  if (answer?.response.headers.date === undefined) {
    try {
      answer = await ask('GET')
    } catch (error) {
      failure = error
    }
  }
  if (answer === undefined) {
    const error = toActionError(failure)
    return skip(`the upstream did not answer an HTTP request (${error.class}: ${error.message})`)
  }
  const date = answer.response.headers.date
  if (date === undefined) return skip('the upstream sends no Date header, so its clock cannot be compared')
  const theirs = Date.parse(date)
  if (Number.isNaN(theirs)) return skip('the upstream sent a Date header that is not a date')
  // A Date header has whole seconds: take the middle of its second.
  const skew = theirs + 500 - answer.at
  const direction = skew > 0 ? 'ahead of' : 'behind'
  const seen = `the upstream's clock (Date: ${date}) is ${(Math.abs(skew) / 1000).toFixed(0)} s ${direction} this server's`
  if (Math.abs(skew) > CLOCK_SKEW_LIMIT_MS) {
    return fail(
      seen,
      "Synchronise the Toolplane server's clock with NTP (for example `timedatectl set-ntp true`, or chrony): " +
        'token expiry, signed requests and webhook signatures depend on it. If this clock is right, the ' +
        `upstream's is wrong: tell whoever runs ${target.host}.`,
    )
  }
  return pass(seen)
}

// What to do about a failed health check, by the error class it ended with.
function healthFix(errorClass: ErrorClass, method: AuthMethod): string {
  switch (errorClass) {
    case 'auth_error':
      return method.kind === 'oauth2'
        ? 'The provider rejected the credential: reconnect the account.'
        : 'The provider rejected the credential: update it with a valid secret.'
    case 'credential_expired':
      return 'The credential has expired at the provider: reconnect the account or enter a new secret.'
    case 'permission_error':
      return method.kind === 'oauth2'
        ? 'The credential is valid but lacks a permission: reconnect with the scopes the tool needs.'
        : 'The credential is valid but lacks a permission: give it the access the tool needs at the provider.'
    case 'network_error':
    case 'timeout':
    case 'upstream_unavailable':
      return 'The upstream could not be reached or did not answer in time: check the network checks above and try again later.'
    case 'rate_limited':
    case 'quota_exceeded':
      return 'The provider is limiting this credential: wait, then try again.'
    case 'not_found':
      return 'The health check found nothing at the base URL: check that the base URL points to the right API.'
    default:
      return "The tool's health check failed: see what it observed above."
  }
}

async function healthCheck(input: DiagnoseInput, findings: Findings, timeoutMs: number): Promise<Verdict> {
  const { tool, method } = input
  if (tool.healthCheck === undefined) return skip('the tool declares no health check')
  const secrets = findings.secrets
  if (secrets === null || !findings.secretsComplete) {
    return skip('skipped: the secrets are missing or cannot be read')
  }
  if (findings.tokenExpired) return skip('skipped: the access token has expired')
  if (input.baseUrl !== undefined && !findings.upstream.reachable) {
    return skip(`skipped: ${findings.upstream.why}`)
  }
  const result = await runHealthCheck(tool, {
    credential: { authMethod: method.id, secrets },
    baseUrl: input.baseUrl,
    allowPrivateNetwork: input.network.allowPrivateNetwork,
    allowedPrivateRanges: input.network.allowedPrivateRanges,
    resolver: input.network.resolver,
    timeoutMs,
  })
  if (result.ok) return pass(`the tool's health check passed in ${Math.round(result.durationMs)} ms`)
  return fail(`${result.errorClass}: ${result.detail}`, healthFix(result.errorClass, method))
}

// ── small things ────────────────────────────────────────────────────────────────────────────────

async function within<T>(timeoutMs: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(timedOut(timeoutMs))
    }, timeoutMs)
  })
  try {
    return await Promise.race([work, late])
  } finally {
    clearTimeout(timer)
  }
}

function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined
  const code = (error as { code?: unknown }).code
  return typeof code === 'string' ? code : undefined
}

// Fields stored among the secrets that are shown on purpose: an OAuth2 token's expiry is a date.
const shownFields: ReadonlySet<string> = new Set(['expiresAt'])

// Secret values long enough to be recognised; shorter ones would blank out ordinary words.
function valuesToHide(sources: readonly (Record<string, unknown> | null)[]): string[] {
  const values = new Set<string>()
  for (const source of sources) {
    for (const [field, value] of Object.entries(source ?? {})) {
      if (typeof value === 'string' && value.length >= 6 && !shownFields.has(field)) values.add(value)
    }
  }
  return [...values].sort((a, b) => b.length - a.length)
}

function hide(text: string, values: readonly string[]): string {
  return values.reduce((shown, value) => shown.split(value).join(REDACTED), text)
}

function iso(epochMs: number): string {
  return Number.isNaN(epochMs) ? 'an unreadable date' : new Date(epochMs).toISOString()
}

function span(ms: number): string {
  const units: readonly [number, string][] = [
    [dayMs, 'day'],
    [3_600_000, 'hour'],
    [60_000, 'minute'],
    [1_000, 'second'],
  ]
  for (const [size, name] of units) {
    if (ms >= size) {
      const count = Math.floor(ms / size)
      return `${count} ${name}${count === 1 ? '' : 's'}`
    }
  }
  return 'less than a second'
}

function quoted(names: readonly string[]): string {
  return names.map((name) => `"${name}"`).join(', ')
}

function list(names: readonly string[]): string {
  return names.length === 0 ? 'none' : names.join(', ')
}

function addressList(addresses: readonly ResolvedAddress[]): string {
  return addresses.map(({ address }) => address).join(', ')
}
