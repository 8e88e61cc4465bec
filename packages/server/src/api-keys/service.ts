import type { AuthContext, Clock } from '../auth/context.js'
import { isScope } from '../auth/scopes.js'
import type { Scope } from '../auth/scopes.js'
import { hashToken, newId, randomToken } from '../auth/tokens.js'
import { parseRateLimit } from '../config.js'
import { toPage } from '../db/pagination.js'
import type { Page, PageRequest } from '../db/pagination.js'
import { AppError } from '../errors.js'
import type { ApiKeyRow, ApiKeyStore } from './store.js'

/** An API key as the API shows it: never the secret, except `key` once in the create response. */
export interface ApiKey {
  readonly id: string
  readonly name: string
  readonly scopes: Scope[]
  readonly prefix: string
  readonly rateLimit: string | null
  readonly lastUsedAt: number | null
  readonly createdAt: number
}

export interface NewApiKey {
  readonly name: string
  readonly scopes: readonly Scope[]
  readonly rateLimit?: string | null
}

/** `last_used_at` is written at most this often per key, so authentication is not a write per request. */
const touchIntervalMs = 60_000

/**
 * How long a node trusts a key it looked up without reading it again: authentication is on every
 * request's path, and the read cost a sixth of a sync execution's database time. A key revoked on
 * this node stops working at once; on another node of a cluster within this time.
 */
export const authenticationCacheMs = 2_000

/** Keys remembered at most (the oldest lookup is dropped first). */
const authenticationCacheSize = 10_000

function toApiKey(row: ApiKeyRow): ApiKey {
  const scopes = (JSON.parse(row.scopes) as string[]).filter(isScope)
  return {
    id: row.id,
    name: row.name,
    scopes,
    prefix: row.prefix,
    rateLimit: row.rate_limit,
    lastUsedAt: row.last_used_at,
    createdAt: row.created_at,
  }
}

/** The visible part of a key: `tp_` and the first eight characters of its secret. */
function prefixOf(key: string): string {
  return key.slice(0, 11)
}

export function apiKeyService(deps: { store: ApiKeyStore; clock: Clock }) {
  const { store, clock } = deps
  /** Recent lookups by key hash: the row as read, and until when it may be used without reading. */
  const recent = new Map<string, { row: ApiKeyRow; until: number }>()

  function remember(hash: string, row: ApiKeyRow, now: number): void {
    if (recent.size >= authenticationCacheSize) {
      const oldest = recent.keys().next().value
      if (oldest !== undefined) recent.delete(oldest)
    }
    recent.set(hash, { row, until: now + authenticationCacheMs })
  }

  function forget(id: string): void {
    for (const [hash, entry] of recent) if (entry.row.id === id) recent.delete(hash)
  }

  async function insert(workspaceId: string, input: NewApiKey, key: string): Promise<ApiKey> {
    let rateLimit: string | null = null
    if (input.rateLimit !== undefined && input.rateLimit !== null) {
      const parsed = parseRateLimit(input.rateLimit)
      if (parsed === null) {
        throw new AppError('validation_error', 'The rate limit must look like "100/s,burst=200".', {
          errors: [{ path: '/body/rateLimit', message: 'expected "<count>/<s|m|h>[,burst=<n>]"' }],
        })
      }
      rateLimit = parsed.expression
    }
    const row: ApiKeyRow = {
      id: newId('key'),
      workspace_id: workspaceId,
      name: input.name,
      prefix: prefixOf(key),
      key_hash: hashToken(key),
      scopes: JSON.stringify([...new Set(input.scopes)]),
      rate_limit: rateLimit,
      created_at: clock(),
      last_used_at: null,
      revoked_at: null,
    }
    await store.insert(row)
    return toApiKey(row)
  }

  return {
    /**
     * Creates a key with a fresh random secret. The secret is returned here and never again.
     *
     * @example
     * const { apiKey, key } = await apiKeys.create(workspaceId, { name: 'ci', scopes: ['executions:write'] })
     */
    async create(workspaceId: string, input: NewApiKey): Promise<{ apiKey: ApiKey; key: string }> {
      const key = `tp_${randomToken(32)}`
      return { apiKey: await insert(workspaceId, input, key), key }
    },

    /** Creates a key whose secret the operator chose (`TOOLPLANE_BOOTSTRAP_API_KEY`). */
    async createWithKey(workspaceId: string, input: NewApiKey, key: string): Promise<ApiKey> {
      return insert(workspaceId, input, key)
    },

    async list(workspaceId: string, page: PageRequest): Promise<Page<ApiKey>> {
      const rows = await store.list(workspaceId, page)
      const result = toPage(rows, page.limit, (row) => row.id)
      return { data: result.data.map(toApiKey), nextCursor: result.nextCursor }
    },

    async revoke(workspaceId: string, id: string): Promise<void> {
      forget(id)
      const revoked = await store.revoke(workspaceId, id, clock())
      if (!revoked) throw new AppError('not_found', `There is no active API key ${id} in this workspace.`)
    },

    /** Resolves a presented key to its workspace and scopes, or null when unknown or revoked. */
    async authenticate(key: string): Promise<AuthContext | null> {
      if (!key.startsWith('tp_')) return null
      const hash = hashToken(key)
      const now = clock()
      const cached = recent.get(hash)
      let row = cached !== undefined && cached.until > now ? cached.row : undefined
      if (row === undefined) {
        recent.delete(hash)
        row = await store.findActiveByHash(hash)
        if (row === undefined) return null
        remember(hash, row, now)
      }
      if (row.last_used_at === null || now - row.last_used_at >= touchIntervalMs) {
        await store.touch(row.workspace_id, row.id, now)
        row = { ...row, last_used_at: now }
        const entry = recent.get(hash)
        if (entry !== undefined) recent.set(hash, { ...entry, row })
      }
      const apiKey = toApiKey(row)
      return {
        workspaceId: row.workspace_id,
        scopes: apiKey.scopes,
        principal: {
          type: 'api_key',
          apiKeyId: row.id,
          name: row.name,
          prefix: row.prefix,
          rateLimit: row.rate_limit,
        },
      }
    },
  }
}

export type ApiKeyService = ReturnType<typeof apiKeyService>
