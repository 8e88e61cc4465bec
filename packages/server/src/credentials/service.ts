import { validate } from '@toolplane/sdk'
import type { AuthMethod, Tool } from '@toolplane/sdk'
import type { Clock } from '../auth/context.js'
import { newId } from '../auth/tokens.js'
import { toPage } from '../db/pagination.js'
import type { Page, PageRequest } from '../db/pagination.js'
import { AppError } from '../errors.js'
import { openSecrets, parseEnvelope, sealSecrets, serializeEnvelope } from './envelope.js'
import { fieldHints } from './hints.js'
import type { FieldHint } from './hints.js'
import type { Keyring } from './keyring.js'
import type { CredentialRow, CredentialStore } from './store.js'

export const credentialStatuses = ['healthy', 'degraded', 'expired', 'invalid', 'unchecked'] as const

/** Authentication failures of real executions in a row before a credential is marked invalid. */
export const authFailuresBeforeInvalid = 3
export type CredentialStatus = (typeof credentialStatuses)[number]

/** A credential as the API shows it: never a secret, only which fields are set and a masked hint. */
export interface Credential {
  readonly id: string
  readonly tool: string
  readonly name: string
  readonly authMethod: string
  readonly externalUserId: string | null
  readonly baseUrl: string | null
  readonly status: CredentialStatus
  readonly statusReason: string | null
  readonly lastCheckedAt: number | null
  readonly lastUsedAt: number | null
  readonly expiresAt: number | null
  readonly fields: Record<string, FieldHint>
  readonly createdAt: number
  readonly updatedAt: number
}

export interface NewCredential {
  readonly tool: string
  readonly name: string
  readonly authMethod: string
  readonly secrets: Readonly<Record<string, unknown>>
  readonly externalUserId?: string | null
  readonly baseUrl?: string | null
  /** When the access token expires (OAuth), epoch ms. */
  readonly expiresAt?: number | null
  /** The status to start in: `healthy` when the secrets were just proven (an OAuth exchange). */
  readonly status?: CredentialStatus
}

/** Events a status change emits (SPEC §7). */
export type CredentialEventType = 'credential.expired' | 'credential.recovered'
export type PublishCredentialEvent = (event: {
  type: CredentialEventType
  workspaceId: string
  data: Record<string, unknown>
}) => Promise<unknown>

export interface CredentialChanges {
  readonly name?: string
  /** Replaces the named secret fields; a field set to null is removed. Others are kept. */
  readonly secrets?: Readonly<Record<string, unknown>>
  readonly baseUrl?: string | null
}

/** Finds a tool the workspace can use (built-in, plugin or imported). */
export type ToolLookup = (workspaceId: string, slug: string) => Promise<Tool>

/** The expiry an OAuth credential's secrets state (`expiresAt`, ISO 8601), in epoch ms. */
function expiryOf(secrets: Readonly<Record<string, unknown>>): number | undefined {
  const parsed = typeof secrets.expiresAt === 'string' ? Date.parse(secrets.expiresAt) : Number.NaN
  return Number.isNaN(parsed) ? undefined : parsed
}

function isStatus(value: string): value is CredentialStatus {
  return (credentialStatuses as readonly string[]).includes(value)
}

function fieldNamesOf(method: AuthMethod): string[] {
  return Object.keys((method.fields as { properties?: Record<string, unknown> }).properties ?? {})
}

function toCredential(row: CredentialRow): Credential {
  return {
    id: row.id,
    tool: row.tool,
    name: row.name,
    authMethod: row.auth_method,
    externalUserId: row.external_user_id,
    baseUrl: row.base_url,
    status: isStatus(row.status) ? row.status : 'unchecked',
    statusReason: row.status_reason,
    lastCheckedAt: row.last_checked_at,
    lastUsedAt: row.last_used_at,
    expiresAt: row.expires_at,
    fields: JSON.parse(row.fields) as Record<string, FieldHint>,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}

/**
 * Credentials: a workspace's stored connections to tools. Secrets are sealed on the way in
 * (a fresh data key per write) and opened only by `open`, for the execution engine; everything
 * else sees field hints.
 */
export function credentialService(deps: {
  store: CredentialStore
  keyring: Keyring
  clock: Clock
  findTool: ToolLookup
  /** Where `credential.expired` and `credential.recovered` go; none in tests that do not care. */
  publish?: PublishCredentialEvent
}) {
  const { store, keyring, clock, findTool } = deps
  const publish = deps.publish ?? (() => Promise.resolve())

  async function methodOf(workspaceId: string, toolSlug: string, authMethod: string): Promise<AuthMethod> {
    let tool: Tool
    try {
      tool = await findTool(workspaceId, toolSlug)
    } catch (error) {
      if (error instanceof AppError && error.code === 'not_found') {
        throw new AppError('validation_error', `There is no tool "${toolSlug}".`, {
          errors: [{ path: '/body/tool', message: 'is not a tool in the catalog' }],
          cause: error,
        })
      }
      throw error
    }
    const method = tool.authMethods.find((m) => m.id === authMethod)
    if (method === undefined) {
      throw new AppError(
        'validation_error',
        `Tool "${toolSlug}" has no auth method "${authMethod}"; it has ${tool.authMethods.map((m) => m.id).join(', ')}.`,
        { errors: [{ path: '/body/authMethod', message: 'is not an auth method of the tool' }] },
      )
    }
    return method
  }

  /** Checks secrets against the method's fields; messages name fields, never values. */
  function checkSecrets(method: AuthMethod, secrets: Readonly<Record<string, unknown>>): void {
    const known = new Set(fieldNamesOf(method))
    const unknown = Object.keys(secrets).filter((field) => !known.has(field))
    if (unknown.length > 0) {
      throw new AppError(
        'validation_error',
        `The "${method.id}" auth method has no field ${unknown.map((f) => `"${f}"`).join(', ')}.`,
        {
          errors: unknown.map((field) => ({
            path: `/body/secrets/${field}`,
            message: 'is not a field of the auth method',
          })),
        },
      )
    }
    const result = validate(method.fields, secrets)
    if (!result.ok) {
      throw new AppError('validation_error', `The secrets do not fit the "${method.id}" auth method.`, {
        errors: result.errors.map((e) => ({ path: `/body/secrets${e.path}`, message: e.message })),
      })
    }
  }

  function seal(
    workspaceId: string,
    credentialId: string,
    method: AuthMethod,
    secrets: Readonly<Record<string, unknown>>,
  ) {
    const envelope = sealSecrets(secrets, { workspaceId, credentialId }, keyring)
    return {
      secret_envelope: serializeEnvelope(envelope),
      key_version: envelope.kv,
      fields: JSON.stringify(fieldHints(secrets, fieldNamesOf(method))),
    }
  }

  async function getRow(workspaceId: string, id: string): Promise<CredentialRow> {
    const row = await store.get(workspaceId, id)
    if (row === undefined) throw new AppError('not_found', `There is no credential ${id} in this workspace.`)
    return row
  }

  return {
    /**
     * Stores a credential for a tool's auth method, its secrets validated and sealed.
     *
     * @example
     * await credentials.create(workspaceId, { tool: 'github', name: 'CI bot', authMethod: 'bearer', secrets: { token } })
     */
    async create(workspaceId: string, input: NewCredential): Promise<Credential> {
      const method = await methodOf(workspaceId, input.tool, input.authMethod)
      checkSecrets(method, input.secrets)
      const now = clock()
      const id = newId('cred')
      const row: CredentialRow = {
        id,
        workspace_id: workspaceId,
        tool: input.tool,
        name: input.name,
        auth_method: method.id,
        external_user_id: input.externalUserId ?? null,
        base_url: input.baseUrl ?? null,
        status: input.status ?? 'unchecked',
        status_reason: null,
        last_checked_at: input.status === undefined ? null : now,
        last_used_at: null,
        expires_at: input.expiresAt ?? expiryOf(input.secrets) ?? null,
        ...seal(workspaceId, id, method, input.secrets),
        created_at: now,
        updated_at: now,
        consecutive_auth_failures: 0,
      }
      await store.insert(row)
      await store.insertStatusChange({
        id: newId('csc'),
        workspace_id: workspaceId,
        credential_id: id,
        status: row.status,
        reason:
          input.status === undefined ? 'Created; not checked yet.' : 'Created from a completed connection.',
        at: now,
      })
      return toCredential(row)
    },

    async get(workspaceId: string, id: string): Promise<Credential> {
      return toCredential(await getRow(workspaceId, id))
    },

    async list(
      workspaceId: string,
      filter: { externalUserId?: string; tool?: string },
      page: PageRequest,
    ): Promise<Page<Credential>> {
      const rows = await store.list(workspaceId, filter, page)
      const result = toPage(rows, page.limit, (row) => row.id)
      return { data: result.data.map(toCredential), nextCursor: result.nextCursor }
    },

    /** Renames, re-points or changes secrets; new secrets are sealed under a fresh data key. */
    async update(workspaceId: string, id: string, changes: CredentialChanges): Promise<Credential> {
      const row = await getRow(workspaceId, id)
      const update: Partial<CredentialRow> = { updated_at: Math.max(clock(), row.updated_at + 1) }
      if (changes.name !== undefined) update.name = changes.name
      if (changes.baseUrl !== undefined) update.base_url = changes.baseUrl
      if (changes.secrets !== undefined) {
        const method = await methodOf(workspaceId, row.tool, row.auth_method)
        const merged: Record<string, unknown> = openSecrets(
          parseEnvelope(row.secret_envelope),
          { workspaceId, credentialId: id },
          keyring,
        )
        for (const [field, value] of Object.entries(changes.secrets)) {
          if (value === null) Reflect.deleteProperty(merged, field)
          else merged[field] = value
        }
        checkSecrets(method, merged)
        Object.assign(update, seal(workspaceId, id, method, merged))
        update.expires_at = expiryOf(merged) ?? null
      }
      await store.update(workspaceId, id, update)
      // New secrets have not been checked yet: recorded in the history like any status change.
      if (changes.secrets !== undefined)
        return this.setStatus(workspaceId, id, 'unchecked', 'The secrets changed; not checked since.')
      return toCredential({ ...row, ...update })
    },

    async remove(workspaceId: string, id: string): Promise<void> {
      if (!(await store.delete(workspaceId, id))) {
        throw new AppError('not_found', `There is no credential ${id} in this workspace.`)
      }
    },

    /**
     * Replaces all secrets at once (a token refresh): sealed under a fresh data key, with the new
     * expiry. The caller has the credential's refresh lock.
     */
    async replaceSecrets(
      workspaceId: string,
      id: string,
      secrets: Readonly<Record<string, unknown>>,
      expiresAt: number | null,
    ): Promise<void> {
      const row = await getRow(workspaceId, id)
      const method = await methodOf(workspaceId, row.tool, row.auth_method)
      await store.update(workspaceId, id, {
        ...seal(workspaceId, id, method, secrets),
        expires_at: expiresAt,
        updated_at: Math.max(clock(), row.updated_at + 1),
      })
    },

    /**
     * Records a status and why, keeps the history, and emits `credential.expired` on expiry and
     * `credential.recovered` when a credential that was expired, invalid or degraded works again.
     */
    async setStatus(
      workspaceId: string,
      id: string,
      status: CredentialStatus,
      reason: string | null,
    ): Promise<Credential> {
      const row = await getRow(workspaceId, id)
      const now = clock()
      const previous = isStatus(row.status) ? row.status : 'unchecked'
      await store.update(workspaceId, id, { status, status_reason: reason, last_checked_at: now })
      const updated = toCredential({ ...row, status, status_reason: reason, last_checked_at: now })
      if (previous === status && row.status_reason === reason) return updated
      await store.insertStatusChange({
        id: newId('csc'),
        workspace_id: workspaceId,
        credential_id: id,
        status,
        reason,
        at: now,
      })
      const data = {
        credentialId: id,
        tool: row.tool,
        name: row.name,
        externalUserId: row.external_user_id,
        previous,
        status,
        reason,
      }
      if (status === 'expired' && previous !== 'expired')
        await publish({ type: 'credential.expired', workspaceId, data })
      // Recovered: healthy again after a bad status, also when new secrets (unchecked) came between.
      let wasBad = ['expired', 'invalid', 'degraded'].includes(previous)
      if (status === 'healthy' && previous === 'unchecked') {
        // Newest first: the change just recorded, the `unchecked` one, then the status before it.
        const [, , before] = await store.statusChanges(workspaceId, id, 3)
        wasBad = before !== undefined && ['expired', 'invalid', 'degraded'].includes(before.status)
      }
      if (status === 'healthy' && wasBad) await publish({ type: 'credential.recovered', workspaceId, data })
      return updated
    },

    /**
     * Passive health from real use (SPEC §6): a success resets the failure count, records the use and
     * recovers a credential that was expired, invalid or degraded; authentication failures count up,
     * and the third in a row marks it `invalid` (or `expired` when the provider said so).
     */
    async recordOutcome(
      workspaceId: string,
      id: string,
      outcome: { ok: true } | { ok: false; errorClass: string },
    ): Promise<Credential> {
      const row = await getRow(workspaceId, id)
      const now = clock()
      if (outcome.ok) {
        await store.update(workspaceId, id, { consecutive_auth_failures: 0, last_used_at: now })
        const previous = isStatus(row.status) ? row.status : 'unchecked'
        if (previous !== 'healthy')
          return this.setStatus(workspaceId, id, 'healthy', 'An execution succeeded with it.')
        return toCredential({ ...row, consecutive_auth_failures: 0, last_used_at: now })
      }
      if (outcome.errorClass !== 'auth_error' && outcome.errorClass !== 'credential_expired') {
        await store.update(workspaceId, id, { last_used_at: now })
        return toCredential({ ...row, last_used_at: now })
      }
      const failures = row.consecutive_auth_failures + 1
      await store.update(workspaceId, id, { consecutive_auth_failures: failures, last_used_at: now })
      if (failures >= authFailuresBeforeInvalid) {
        const status: CredentialStatus = outcome.errorClass === 'credential_expired' ? 'expired' : 'invalid'
        return this.setStatus(
          workspaceId,
          id,
          status,
          `The provider refused the last ${failures} executions (${outcome.errorClass}).`,
        )
      }
      return toCredential({ ...row, consecutive_auth_failures: failures, last_used_at: now })
    },

    /** The status history, newest first. */
    async statusHistory(workspaceId: string, id: string, limit = 50) {
      await getRow(workspaceId, id)
      const rows = await store.statusChanges(workspaceId, id, limit)
      return rows.map((r) => ({ status: r.status, reason: r.reason, at: r.at }))
    },

    /** The decrypted secrets, for running an action. Never returned by the API. */
    async open(
      workspaceId: string,
      id: string,
    ): Promise<{ credential: Credential; secrets: Record<string, unknown> }> {
      const row = await getRow(workspaceId, id)
      const secrets = openSecrets(
        parseEnvelope(row.secret_envelope),
        { workspaceId, credentialId: id },
        keyring,
      )
      return { credential: toCredential(row), secrets }
    },
  }
}

export type CredentialService = ReturnType<typeof credentialService>
