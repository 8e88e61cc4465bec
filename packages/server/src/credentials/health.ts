import { runHealthCheck } from '@toolplane/sdk'
import type { ErrorClass, HealthCheckResult } from '@toolplane/sdk'
import { AppError } from '../errors.js'
import { diagnose } from './diagnose.js'
import type { Diagnosis, RefreshOutcome } from './diagnose.js'
import { EnvelopeError } from './envelope.js'
import type { OAuthConnections } from './oauth-connections.js'
import type { Credential, CredentialService, CredentialStatus, ToolLookup } from './service.js'

/** What a health check outcome means for the credential's status. */
export function statusFor(result: HealthCheckResult): { status: CredentialStatus; reason: string } {
  if (result.ok) {
    return result.checked
      ? { status: 'healthy', reason: 'The health check passed.' }
      : { status: 'unchecked', reason: 'The tool has no health check.' }
  }
  const byClass: Partial<Record<ErrorClass, CredentialStatus>> = {
    auth_error: 'invalid',
    credential_expired: 'expired',
    permission_error: 'degraded',
    not_found: 'degraded',
  }
  return {
    status: byClass[result.errorClass] ?? 'degraded',
    reason: `${result.detail} (${result.errorClass})`,
  }
}

/**
 * `POST /v1/credentials/{id}/check`: runs the tool's health check with the credential (refreshing an
 * expiring OAuth token first) and records the outcome as the credential's status.
 *
 * @example
 * const { credential, result } = await checkCredential(deps, workspaceId, credentialId)
 */
export async function checkCredential(
  deps: {
    credentials: CredentialService
    connections: OAuthConnections
    findTool: ToolLookup
    allowPrivateNetwork: boolean
  },
  workspaceId: string,
  credentialId: string,
): Promise<{ credential: Credential; result: HealthCheckResult }> {
  const current = await deps.credentials.get(workspaceId, credentialId)
  const tool = await deps.findTool(workspaceId, current.tool)
  let secrets: Record<string, unknown>
  try {
    secrets = await deps.connections.secretsFor(workspaceId, credentialId)
  } catch (error) {
    if (!(error instanceof AppError)) throw error
    // The refresh failed; refreshNow already recorded what it means for the credential.
    const after = await deps.credentials.get(workspaceId, credentialId)
    const errorClass =
      after.status === 'expired'
        ? 'credential_expired'
        : error.code === 'not_ready'
          ? 'upstream_unavailable'
          : 'auth_error'
    const result: HealthCheckResult = {
      ok: false,
      checked: true,
      detail: error.detail,
      errorClass,
      durationMs: 0,
    }
    return { credential: after, result }
  }
  const baseUrl = current.baseUrl ?? tool.baseUrl
  const result = await runHealthCheck(tool, {
    credential: { authMethod: current.authMethod, secrets },
    ...(baseUrl === undefined ? {} : { baseUrl }),
    allowPrivateNetwork: deps.allowPrivateNetwork,
    timeoutMs: 15_000,
  })
  const { status, reason } = statusFor(result)
  const credential = await deps.credentials.setStatus(workspaceId, credentialId, status, reason)
  return { credential, result }
}

/**
 * `GET /v1/credentials/{id}/diagnose`: the ordered checks of SPEC §6 for one credential. An OAuth
 * credential with a refresh token (or client credentials) is really refreshed, since "refresh works"
 * can only be known by trying; the new token is stored as any refresh would store it.
 *
 * @example
 * const { ok, checks } = await diagnoseCredential(deps, workspaceId, credentialId)
 */
export async function diagnoseCredential(
  deps: {
    credentials: CredentialService
    connections: OAuthConnections
    findTool: ToolLookup
    allowPrivateNetwork: boolean
    clock: () => number
  },
  workspaceId: string,
  credentialId: string,
): Promise<Diagnosis> {
  const credential = await deps.credentials.get(workspaceId, credentialId)
  const tool = await deps.findTool(workspaceId, credential.tool)
  const method = tool.authMethods.find((m) => m.id === credential.authMethod)
  if (method === undefined) {
    throw new AppError(
      'validation_error',
      `The tool "${tool.slug}" no longer has the auth method "${credential.authMethod}".`,
    )
  }
  let secrets: Record<string, unknown> | null
  try {
    secrets = (await deps.credentials.open(workspaceId, credentialId)).secrets
  } catch (error) {
    if (!(error instanceof EnvelopeError)) throw error
    secrets = null
  }
  const canRefresh =
    method.kind === 'oauth2' &&
    secrets !== null &&
    (method.grant === 'client_credentials' || typeof secrets.refreshToken === 'string')
  return diagnose({
    credential,
    tool,
    method,
    secrets,
    now: deps.clock(),
    baseUrl: credential.baseUrl ?? tool.baseUrl,
    network: { allowPrivateNetwork: deps.allowPrivateNetwork },
    ...(canRefresh
      ? {
          refresh: async (): Promise<RefreshOutcome> => {
            try {
              const fresh = await deps.connections.secretsFor(workspaceId, credentialId, { force: true })
              const expiresAt = typeof fresh.expiresAt === 'string' ? Date.parse(fresh.expiresAt) : Number.NaN
              return { ok: true, secrets: fresh, ...(Number.isNaN(expiresAt) ? {} : { expiresAt }) }
            } catch (error) {
              const detail = error instanceof AppError ? error.detail : 'The refresh failed.'
              const reason = /\(([a-z_]+)\)/.exec(detail)?.[1] ?? 'refresh_failed'
              return { ok: false, reason, detail }
            }
          },
        }
      : {}),
  })
}
