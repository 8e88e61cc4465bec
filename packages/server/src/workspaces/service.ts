import type { Clock } from '../auth/context.js'
import { newId } from '../auth/tokens.js'
import { parseRateLimit } from '../config.js'
import type { RateLimit } from '../config.js'
import { isUniqueViolation } from '../db/database.js'
import { AppError } from '../errors.js'
import type { WorkspacePatch, WorkspaceRow, WorkspaceStore } from './store.js'

/** A workspace as the API shows it. */
export interface Workspace {
  readonly id: string
  readonly slug: string
  readonly name: string
  /** Executions allowed per calendar month; null is unlimited. */
  readonly monthlyExecutionQuota: number | null
  /** The per-API-key limit in force: the workspace's own, or the server default. */
  readonly apiRateLimit: string
  readonly apiRateLimitIsDefault: boolean
  readonly createdAt: number
  readonly updatedAt: number
}

export function workspaceService(deps: {
  store: WorkspaceStore
  clock: Clock
  defaultApiRateLimit: RateLimit
}) {
  const { store, clock, defaultApiRateLimit } = deps

  const toWorkspace = (row: WorkspaceRow): Workspace => ({
    id: row.id,
    slug: row.slug,
    name: row.name,
    monthlyExecutionQuota: row.monthly_execution_quota,
    apiRateLimit: row.api_rate_limit ?? defaultApiRateLimit.expression,
    apiRateLimitIsDefault: row.api_rate_limit === null,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  })

  return {
    /**
     * Creates a workspace; a taken slug is a conflict.
     *
     * @example
     * const workspace = await workspaces.create({ slug: 'acme', name: 'Acme' })
     */
    async create(input: { slug: string; name: string }): Promise<Workspace> {
      const now = clock()
      const row: WorkspaceRow = {
        id: newId('ws'),
        slug: input.slug,
        name: input.name,
        monthly_execution_quota: null,
        api_rate_limit: null,
        created_at: now,
        updated_at: now,
      }
      try {
        await store.insert(row)
      } catch (error) {
        if (isUniqueViolation(error)) {
          throw new AppError('conflict', `A workspace with slug "${input.slug}" already exists.`, {
            cause: error,
          })
        }
        throw error
      }
      return toWorkspace(row)
    },

    async get(workspaceId: string): Promise<Workspace> {
      const row = await store.get(workspaceId)
      if (row === undefined) throw new AppError('not_found', 'The workspace no longer exists.')
      return toWorkspace(row)
    },

    /** The workspace's own per-key API limit expression; null when the server default applies (or it is gone). */
    async getOwnApiRateLimit(workspaceId: string): Promise<string | null> {
      return (await store.get(workspaceId))?.api_rate_limit ?? null
    },

    async findBySlug(slug: string): Promise<Workspace | undefined> {
      const row = await store.findBySlug(slug)
      return row === undefined ? undefined : toWorkspace(row)
    },

    async update(workspaceId: string, patch: WorkspacePatch): Promise<Workspace> {
      let normalized = patch
      if (typeof patch.apiRateLimit === 'string') {
        const parsed = parseRateLimit(patch.apiRateLimit)
        if (parsed === null) {
          throw new AppError('validation_error', 'The rate limit must look like "100/s,burst=200".', {
            errors: [{ path: '/body/apiRateLimit', message: 'expected "<count>/<s|m|h>[,burst=<n>]"' }],
          })
        }
        normalized = { ...patch, apiRateLimit: parsed.expression }
      }
      const row = await store.update(workspaceId, normalized, clock())
      if (row === undefined) throw new AppError('not_found', 'The workspace no longer exists.')
      return toWorkspace(row)
    },
  }
}

export type WorkspaceService = ReturnType<typeof workspaceService>
