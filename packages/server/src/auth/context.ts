import type { Role, Scope } from './scopes.js'

/** Who is calling, for which workspace, with which scopes. Set on every authenticated request. */
export interface AuthContext {
  readonly workspaceId: string
  readonly scopes: readonly Scope[]
  readonly principal:
    | {
        readonly type: 'api_key'
        readonly apiKeyId: string
        readonly name: string
        readonly prefix: string
        /** The key's own API rate limit (`100/s,burst=200`); null when the workspace's or the server's applies. */
        readonly rateLimit?: string | null
      }
    | {
        readonly type: 'user'
        readonly userId: string
        readonly email: string
        readonly role: Role
        readonly sessionId: string
      }
}

/** A clock in epoch milliseconds; injected so tests can move time. */
export type Clock = () => number
