import type { Kysely } from 'kysely'
import { apiKeyService } from '../api-keys/service.js'
import { apiKeyStore } from '../api-keys/store.js'
import type { Clock } from '../auth/context.js'
import { authService } from '../auth/service.js'
import { authStore } from '../auth/store.js'
import type { Config } from '../config.js'
import { isUniqueViolation } from '../db/database.js'
import type { Schema } from '../db/schema.js'
import { workspaceService } from './service.js'
import { workspaceStore } from './store.js'

export interface BootstrapResult {
  /** False when the database already had a workspace; nothing was changed. */
  readonly created: boolean
  readonly workspaceId?: string
  readonly apiKeyCreated?: boolean
  readonly ownerEmail?: string
  /** Set when no bootstrap variables were given: the one-time link to sign in as the owner. */
  readonly signInUrl?: string
}

/** Email of the owner created when no bootstrap variables are set; it signs in through the one-time link. */
export const defaultOwnerEmail = 'owner@localhost'

/**
 * On an empty database, creates workspace `default` and what the bootstrap variables ask for
 * (SPEC §3): an admin API key with exactly the given value, an owner with the given email and
 * password, or, when neither is set, an owner and a one-time sign-in link. Runs in one transaction;
 * when several processes start at once, one creates and the others see a taken slug and skip.
 *
 * @example
 * const result = await bootstrap({ db: database.db, config, clock: Date.now, csrfKey })
 */
export async function bootstrap(deps: {
  db: Kysely<Schema>
  config: Config
  clock: Clock
  csrfKey: Buffer
}): Promise<BootstrapResult> {
  const { config, clock, csrfKey } = deps
  try {
    return await deps.db.transaction().execute(async (trx) => {
      const workspaceRows = workspaceStore(trx)
      if (!(await workspaceRows.isEmpty())) return { created: false }

      const workspaces = workspaceService({
        store: workspaceRows,
        clock,
        defaultApiRateLimit: config.apiRateLimit,
      })
      const auth = authService({
        store: authStore(trx),
        workspaces: workspaceRows,
        clock,
        csrfKey,
        sessionTtlMs: config.sessionTtlMs,
      })
      const workspace = await workspaces.create({ slug: 'default', name: 'Default' })
      const { apiKey, adminEmail, adminPassword } = config.bootstrap

      let apiKeyCreated = false
      if (apiKey !== null) {
        await apiKeyService({ store: apiKeyStore(trx), clock }).createWithKey(
          workspace.id,
          { name: 'bootstrap', scopes: ['admin'] },
          apiKey,
        )
        apiKeyCreated = true
      }
      if (adminEmail !== null && adminPassword !== null) {
        await auth.addUser({
          email: adminEmail,
          password: adminPassword,
          workspaceId: workspace.id,
          role: 'owner',
        })
        return { created: true, workspaceId: workspace.id, apiKeyCreated, ownerEmail: adminEmail }
      }
      if (apiKeyCreated) return { created: true, workspaceId: workspace.id, apiKeyCreated }

      const owner = await auth.addUser({
        email: defaultOwnerEmail,
        password: null,
        name: 'Owner',
        workspaceId: workspace.id,
        role: 'owner',
      })
      const link = await auth.createSignInLink(workspace.id, owner.id)
      return {
        created: true,
        workspaceId: workspace.id,
        apiKeyCreated,
        ownerEmail: owner.email,
        signInUrl: signInUrl(config.publicUrl, link.token),
      }
    })
  } catch (error) {
    if (isUniqueViolation(error)) return { created: false }
    throw error
  }
}

/** The URL that signs in with a one-time link token. */
export function signInUrl(publicUrl: string, token: string): string {
  return `${publicUrl}/v1/auth/link?token=${encodeURIComponent(token)}`
}
