/**
 * Outbound network rules. Every connection an action opens goes through a connector that resolves
 * the host name itself, checks every address it got, and then connects to the checked address — so
 * what was checked is what is connected to (no window for DNS rebinding between check and connect).
 * Loopback, private, link-local and other non-public addresses are refused unless private networks
 * are allowed.
 */
import { lookup } from 'node:dns/promises'
import { isIP } from 'node:net'
import ipaddr from 'ipaddr.js'
import { Agent, buildConnector } from 'undici'
import { ActionError, BlockedAddressError, NetworkError } from './errors.js'

/** One address a host name resolves to. */
export interface ResolvedAddress {
  address: string
  family: number
}

/** Resolves a host name to its addresses; injectable so tests never need real DNS. */
export type Resolver = (hostname: string) => Promise<readonly ResolvedAddress[]>

/** How outbound connections are checked. */
export interface NetworkPolicy {
  /** Lets actions reach loopback and private addresses (`TOOLPLANE_ALLOW_PRIVATE_NETWORK`). */
  allowPrivateNetwork?: boolean
  /**
   * CIDR ranges reachable even though they are not public (`['10.20.0.0/16']`), for an operator who
   * wants one internal service reachable without opening every private network.
   */
  allowedPrivateRanges?: readonly string[]
  /** Defaults to the operating system's resolver, {@link systemResolver}. */
  resolver?: Resolver
  /**
   * Called with the host name before it is resolved or connected to; what it throws refuses the
   * connection. Honoured by {@link resolveAllowedAddresses} (so by {@link connectableAddresses} and
   * {@link guardedConnector}) and by the HTTP client before every hop; the shared pools of
   * {@link dispatcherFor} do not keep it. A dry run uses it to stop an action before it opens anything.
   */
  beforeConnect?: (hostname: string) => void
}

/**
 * The operating system's resolver (`dns.promises.lookup` with `all: true`), as Node itself would use.
 *
 * @example
 * await systemResolver('example.com') // [{ address: '93.184.215.14', family: 4 }, ...]
 */
export const systemResolver: Resolver = async (hostname) => lookup(hostname, { all: true, verbatim: true })

const readableRanges: Readonly<Record<string, string>> = {
  unspecified: 'unspecified',
  broadcast: 'broadcast',
  multicast: 'multicast',
  linkLocal: 'link-local',
  loopback: 'loopback',
  carrierGradeNat: 'carrier-grade NAT',
  private: 'private',
  uniqueLocal: 'unique local',
  deprecatedSiteLocal: 'site-local',
}

const globalUnicast = ipaddr.parseCIDR('2000::/3')

/**
 * Why an IP address may not be connected to (`'loopback'`, `'private'`, `'link-local'`…), or
 * `undefined` when it is a public unicast address. IPv4-mapped IPv6 addresses are judged by their
 * IPv4 address; anything that is not an IP address is refused as `'invalid'`.
 *
 * @example
 * blockedAddressReason('169.254.169.254') // 'link-local'
 * blockedAddressReason('::ffff:10.0.0.1') // 'private'
 * blockedAddressReason('8.8.8.8') // undefined
 */
export function blockedAddressReason(address: string): string | undefined {
  const bare = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address
  if (!ipaddr.isValid(bare)) return 'invalid'
  let parsed = ipaddr.parse(bare)
  if (parsed instanceof ipaddr.IPv6 && parsed.isIPv4MappedAddress()) parsed = parsed.toIPv4Address()
  const range = parsed.range()
  if (range !== 'unicast') return readableRanges[range] ?? `reserved (${range})`
  if (parsed instanceof ipaddr.IPv6 && !parsed.match(globalUnicast)) return 'reserved'
  return undefined
}

/**
 * Resolves a host name (or takes an IP literal as it is) and checks every address against the
 * network rules. Throws {@link BlockedAddressError} if any address is refused, so a name with one
 * public and one private address is refused too; throws a `NetworkError` (`ENOTFOUND`) for no address.
 *
 * @example
 * await resolveAllowedAddresses('metadata.example', { resolver }) // throws BlockedAddressError
 */
export async function resolveAllowedAddresses(
  hostname: string,
  policy: NetworkPolicy = {},
): Promise<ResolvedAddress[]> {
  const host = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname
  policy.beforeConnect?.(host)
  const family = isIP(host)
  const addresses =
    family === 0 ? [...(await (policy.resolver ?? systemResolver)(host))] : [{ address: host, family }]
  if (addresses.length === 0) throw new NetworkError('ENOTFOUND', `${host} has no address`)
  for (const { address } of addresses) checkAddress(host, address, policy)
  return addresses
}

/**
 * For connections the HTTP client does not make (a database, an SMTP server): resolves `hostname`
 * under the run's network rules (`ctx.network`) and returns the addresses to connect to — connect to
 * these, never to the name again, so no second lookup can answer differently. A lookup failure is a
 * `NetworkError` with the resolver's code; a refused address a `BlockedAddressError`.
 *
 * @example
 * const [first] = await connectableAddresses(settings.host, ctx.network)
 * socket.connect({ host: first.address, port: settings.port })
 */
export async function connectableAddresses(
  hostname: string,
  policy: NetworkPolicy,
): Promise<ResolvedAddress[]> {
  try {
    return await resolveAllowedAddresses(hostname, policy)
  } catch (error) {
    if (error instanceof ActionError) throw error
    const code = (error as { code?: unknown }).code
    throw new NetworkError(
      typeof code === 'string' ? code : 'ENOTFOUND',
      `${hostname} could not be resolved`,
      {
        cause: error,
      },
    )
  }
}

/**
 * Throws {@link BlockedAddressError} when the policy refuses this IP address for this host name.
 *
 * @example
 * checkAddress('internal.example', '10.0.0.5', {}) // throws
 * checkAddress('internal.example', '10.0.0.5', { allowedPrivateRanges: ['10.0.0.0/24'] }) // passes
 */
export function checkAddress(hostname: string, address: string, policy: NetworkPolicy): void {
  if (policy.allowPrivateNetwork === true) return
  const reason = blockedAddressReason(address)
  if (reason === undefined || inRanges(address, policy.allowedPrivateRanges ?? [])) return
  throw new BlockedAddressError(hostname, address, reason)
}

function inRanges(address: string, ranges: readonly string[]): boolean {
  if (ranges.length === 0 || !ipaddr.isValid(address)) return false
  let parsed = ipaddr.parse(address)
  if (parsed instanceof ipaddr.IPv6 && parsed.isIPv4MappedAddress()) parsed = parsed.toIPv4Address()
  return ranges.some((range) => {
    const [network, bits] = ipaddr.parseCIDR(range)
    return network.kind() === parsed.kind() && parsed.match(network, bits)
  })
}

/** How long establishing one TCP (and TLS) connection may take. */
export const CONNECT_TIMEOUT_MS = 10_000

// Errors after which the next address of the host is worth trying.
const nextAddressCodes: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
])

/**
 * An undici connector that applies the network rules before any socket is opened and connects to
 * exactly the address it checked. TLS still verifies the certificate against the host name.
 *
 * @example
 * const agent = new Agent({ connect: guardedConnector({ allowPrivateNetwork: false }) })
 */
export function guardedConnector(policy: NetworkPolicy): buildConnector.connector {
  const connectSocket = buildConnector({ timeout: CONNECT_TIMEOUT_MS })
  return (options, callback) => {
    const tryAddress = (addresses: readonly ResolvedAddress[], index: number): void => {
      const target = addresses[index]
      if (target === undefined) return
      try {
        connectSocket({ ...options, hostname: target.address }, (...args) => {
          const [error] = args
          const code = (error as { code?: unknown } | null)?.code
          if (typeof code === 'string' && nextAddressCodes.has(code) && index + 1 < addresses.length) {
            tryAddress(addresses, index + 1)
            return
          }
          callback(...args)
        })
      } catch (error) {
        callback(error instanceof Error ? error : new Error(String(error)), null)
      }
    }
    resolveAllowedAddresses(options.hostname, policy).then(
      (addresses) => {
        tryAddress(addresses, 0)
      },
      (error: unknown) => {
        callback(error instanceof Error ? error : new Error(String(error)), null)
      },
    )
  }
}

// One keep-alive pool set per policy; a resolver is part of the policy, so reuse the same function.
const agents = new Map<Resolver, Map<string, Agent>>()

/**
 * The shared connection pools for a network policy, created on first use.
 *
 * @example
 * await dispatcherFor({ allowPrivateNetwork: false }).request({ origin, path: '/', method: 'GET' })
 */
export function dispatcherFor(policy: NetworkPolicy): Agent {
  const resolver = policy.resolver ?? systemResolver
  const allowPrivateNetwork = policy.allowPrivateNetwork === true
  const allowedPrivateRanges = allowPrivateNetwork ? [] : [...(policy.allowedPrivateRanges ?? [])].sort()
  for (const range of allowedPrivateRanges) {
    if (!ipaddr.isValidCIDR(range)) throw new TypeError(`${range} is not a CIDR range such as 10.0.0.0/8`)
  }
  const key = `${String(allowPrivateNetwork)} ${allowedPrivateRanges.join(',')}`
  let byAllowance = agents.get(resolver)
  if (byAllowance === undefined) {
    byAllowance = new Map()
    agents.set(resolver, byAllowance)
  }
  let agent = byAllowance.get(key)
  if (agent === undefined) {
    agent = new Agent({
      connect: guardedConnector({ resolver, allowPrivateNetwork, allowedPrivateRanges }),
      keepAliveTimeout: 4_000,
      connections: 64,
    })
    byAllowance.set(key, agent)
  }
  return agent
}

/**
 * Closes every shared connection pool, for a clean shutdown (or the end of a test file).
 *
 * @example
 * process.on('SIGTERM', () => void closeConnectionPools())
 */
export async function closeConnectionPools(): Promise<void> {
  const all = [...agents.values()].flatMap((byAllowance) => [...byAllowance.values()])
  agents.clear()
  await Promise.all(all.map(async (agent) => agent.close()))
}
