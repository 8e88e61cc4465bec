/**
 * The outbound network rules (SPEC §5) for a connection the HTTP client does not make. The SDK's
 * `ToolContext` exposes the run's network policy only inside `ctx.http`, so the policy is asked through
 * it: a request to an IP literal is judged by the client before anything reaches a connection pool,
 * and a method that is not an HTTP token makes undici refuse the request right after that check — so
 * the probe learns the verdict without opening a socket. Public addresses need no probe.
 */
import {
  ActionError,
  BlockedAddressError,
  NetworkError,
  blockedAddressReason,
  resolveAllowedAddresses,
} from '@toolplane/sdk'
import type { HttpClient, HttpMethod, ResolvedAddress } from '@toolplane/sdk'

// Not an RFC 9110 token (it has spaces), so undici rejects it before connecting.
const PROBE_METHOD = 'NETWORK POLICY PROBE' as HttpMethod

/**
 * Resolves `host` and returns its addresses in order, after checking each against the run's network
 * rules: a loopback, private or link-local address throws `BlockedAddressError` (`permission_error`)
 * unless private networks (or that range) are allowed. Connect to exactly these addresses, never to
 * the name again, so no second lookup can answer differently.
 */
export async function allowedAddresses(http: HttpClient, host: string): Promise<ResolvedAddress[]> {
  let addresses: ResolvedAddress[]
  try {
    // Resolution only; the rules are applied below with the run's own policy.
    addresses = await resolveAllowedAddresses(host, { allowPrivateNetwork: true })
  } catch (error) {
    if (error instanceof ActionError) throw error
    const code = (error as { code?: unknown }).code
    throw new NetworkError(typeof code === 'string' ? code : 'ENOTFOUND', `${host} could not be resolved`, {
      cause: error,
    })
  }
  for (const { address } of addresses) {
    const reason = blockedAddressReason(address)
    if (reason !== undefined && (await refusedByPolicy(http, address))) {
      throw new BlockedAddressError(host, address, reason)
    }
  }
  return addresses
}

async function refusedByPolicy(http: HttpClient, address: string): Promise<boolean> {
  const literal = address.includes(':') ? `[${address}]` : address
  const outcome = await http.request({ method: PROBE_METHOD, url: `http://${literal}/` }).then(
    () => undefined,
    (error: unknown) => error,
  )
  return outcome instanceof BlockedAddressError
}
