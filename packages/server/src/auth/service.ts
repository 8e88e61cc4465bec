import { isUniqueViolation } from '../db/database.js'
import { AppError } from '../errors.js'
import type { WorkspaceStore } from '../workspaces/store.js'
import type { AuthContext, Clock } from './context.js'
import { decoyHash, hashPassword, verifyPassword } from './passwords.js'
import { isRole, scopesForRole } from './scopes.js'
import type { Role } from './scopes.js'
import type { AuthStore, UserRow } from './store.js'
import { hashToken, newId, randomToken, safeEqual, sign } from './tokens.js'

export interface User {
  readonly id: string
  readonly email: string
  readonly name: string | null
  readonly hasPassword: boolean
  readonly createdAt: number
}

/** A new UI session: the cookie value is returned once and stored only as a hash. */
export interface NewSession {
  readonly token: string
  readonly sessionId: string
  readonly csrfToken: string
  readonly expiresAt: number
  readonly user: User
  readonly workspaceId: string
  readonly role: Role
}

export const signInLinkTtlMs = 24 * 3_600_000
export const minPasswordLength = 12

const toUser = (row: UserRow): User => ({
  id: row.id,
  email: row.email,
  name: row.name,
  hasPassword: row.password_hash !== null,
  createdAt: row.created_at,
})

const badSignIn = () => new AppError('unauthenticated', 'The email or password is not correct.')

export function authService(deps: {
  store: AuthStore
  workspaces: WorkspaceStore
  clock: Clock
  /** Key for CSRF tokens, derived from the master key. */
  csrfKey: Buffer
  sessionTtlMs: number
}) {
  const { store, workspaces, clock, csrfKey, sessionTtlMs } = deps

  /** The CSRF token of a session: an HMAC of its id, so it can be recomputed without storing it. */
  const csrfTokenFor = (sessionId: string) => sign(csrfKey, `csrf:${sessionId}`)

  async function startSession(user: UserRow, workspaceId: string, role: Role, userAgent: string | null) {
    const token = randomToken(32)
    const now = clock()
    const sessionId = newId('ses')
    const expiresAt = now + sessionTtlMs
    await store.insertSession({
      id: sessionId,
      token_hash: hashToken(token),
      user_id: user.id,
      workspace_id: workspaceId,
      created_at: now,
      expires_at: expiresAt,
      user_agent: userAgent?.slice(0, 256) ?? null,
    })
    return {
      token,
      sessionId,
      csrfToken: csrfTokenFor(sessionId),
      expiresAt,
      user: toUser(user),
      workspaceId,
      role,
    }
  }

  return {
    csrfTokenFor,

    /** Whether `presented` is the CSRF token of the session. */
    checkCsrf(sessionId: string, presented: string | undefined): boolean {
      return presented !== undefined && safeEqual(presented, csrfTokenFor(sessionId))
    },

    /**
     * Creates a user, or adds an existing user to the workspace. A user already in it is a conflict.
     *
     * @example
     * await auth.addUser({ email: 'ana@example.com', password: 'a long passphrase', workspaceId, role: 'owner' })
     */
    async addUser(input: {
      email: string
      password: string | null
      name?: string | null
      workspaceId: string
      role: Role
    }): Promise<User> {
      const email = input.email.trim().toLowerCase()
      if (input.password !== null && input.password.length < minPasswordLength) {
        throw new AppError(
          'validation_error',
          `Passwords must be at least ${minPasswordLength} characters.`,
          {
            errors: [{ path: '/password', message: `at least ${minPasswordLength} characters` }],
          },
        )
      }
      const now = clock()
      let user = await store.findUserByEmail(email)
      if (user === undefined) {
        user = {
          id: newId('usr'),
          email,
          name: input.name ?? null,
          password_hash: input.password === null ? null : await hashPassword(input.password),
          created_at: now,
          updated_at: now,
        }
        await store.insertUser(user)
      } else if (input.password !== null) {
        await store.setPassword(user.id, await hashPassword(input.password), now)
      }
      try {
        await store.insertMembership({
          workspace_id: input.workspaceId,
          user_id: user.id,
          role: input.role,
          created_at: now,
        })
      } catch (error) {
        if (isUniqueViolation(error)) {
          throw new AppError('conflict', `${email} is already a member of this workspace.`, { cause: error })
        }
        throw error
      }
      return toUser(user)
    },

    /** Signs in with email and password; unknown email and wrong password fail alike, in alike time. */
    async login(input: {
      email: string
      password: string
      workspace?: string
      userAgent: string | null
    }): Promise<NewSession> {
      const user = await store.findUserByEmail(input.email.trim())
      if (user?.password_hash == null) {
        await verifyPassword(input.password, await decoyHash)
        throw badSignIn()
      }
      if (!(await verifyPassword(input.password, user.password_hash))) throw badSignIn()

      const memberships = await store.membershipsOf(user.id)
      let membership = memberships[0]
      if (input.workspace !== undefined) {
        const workspace = await workspaces.findBySlug(input.workspace)
        membership = memberships.find((m) => m.workspace_id === workspace?.id)
      }
      if (membership === undefined || !isRole(membership.role)) {
        throw new AppError('forbidden', 'This account is not a member of that workspace.')
      }
      return startSession(user, membership.workspace_id, membership.role, input.userAgent)
    },

    /** Resolves a session cookie to its caller, or null when unknown or expired. */
    async authenticate(token: string): Promise<AuthContext | null> {
      const session = await store.findSessionByHash(hashToken(token), clock())
      if (session === undefined) return null
      const [user, membership] = await Promise.all([
        store.getUser(session.user_id),
        store.getMembership(session.workspace_id, session.user_id),
      ])
      if (user === undefined || membership === undefined || !isRole(membership.role)) return null
      return {
        workspaceId: session.workspace_id,
        scopes: scopesForRole(membership.role),
        principal: {
          type: 'user',
          userId: user.id,
          email: user.email,
          role: membership.role,
          sessionId: session.id,
        },
      }
    },

    /** Ends this session, or every session of the user when `everywhere` is set. */
    async logout(auth: AuthContext, everywhere: boolean): Promise<void> {
      if (auth.principal.type !== 'user') {
        throw new AppError(
          'validation_error',
          'Sign-out ends a UI session; to stop an API key from working, revoke it with DELETE /v1/api-keys/{id}.',
        )
      }
      if (everywhere) await store.deleteSessionsOfUser(auth.principal.userId)
      else await store.deleteSession(auth.workspaceId, auth.principal.sessionId)
    },

    /** Creates a one-time sign-in link token for a member of the workspace. */
    async createSignInLink(
      workspaceId: string,
      userId: string,
    ): Promise<{ token: string; expiresAt: number }> {
      const token = randomToken(32)
      const now = clock()
      const expiresAt = now + signInLinkTtlMs
      await store.insertSignInLink({
        id: newId('lnk'),
        token_hash: hashToken(token),
        user_id: userId,
        workspace_id: workspaceId,
        created_at: now,
        expires_at: expiresAt,
        used_at: null,
      })
      return { token, expiresAt }
    },

    /** Uses a sign-in link (once) and opens a session for its user. */
    async signInWithLink(token: string, userAgent: string | null): Promise<NewSession> {
      const link = await store.consumeSignInLink(hashToken(token), clock())
      const invalid = () =>
        new AppError(
          'unauthenticated',
          'This sign-in link is not valid: it was already used, has expired, or was mistyped. Create a new one with `toolplane admin sign-in-link`.',
        )
      if (link === undefined) throw invalid()
      const [user, membership] = await Promise.all([
        store.getUser(link.user_id),
        store.getMembership(link.workspace_id, link.user_id),
      ])
      if (user === undefined || membership === undefined || !isRole(membership.role)) throw invalid()
      return startSession(user, link.workspace_id, membership.role, userAgent)
    },

    async findUserByEmail(email: string): Promise<User | undefined> {
      const row = await store.findUserByEmail(email)
      return row === undefined ? undefined : toUser(row)
    },

    async getUser(userId: string): Promise<User> {
      const row = await store.getUser(userId)
      if (row === undefined) throw new AppError('not_found', 'The user no longer exists.')
      return toUser(row)
    },

    /** Changes the signed-in user's password; the current one is required when one is set. */
    async changePassword(userId: string, current: string | undefined, next: string): Promise<void> {
      const row = await store.getUser(userId)
      if (row === undefined) throw new AppError('not_found', 'The user no longer exists.')
      if (next.length < minPasswordLength) {
        throw new AppError(
          'validation_error',
          `Passwords must be at least ${minPasswordLength} characters.`,
          {
            errors: [{ path: '/body/newPassword', message: `at least ${minPasswordLength} characters` }],
          },
        )
      }
      if (
        row.password_hash !== null &&
        (current === undefined || !(await verifyPassword(current, row.password_hash)))
      ) {
        throw new AppError('forbidden', 'The current password is not correct.')
      }
      await store.setPassword(userId, await hashPassword(next), clock())
    },

    async sweepExpiredSessions(): Promise<number> {
      return store.deleteExpiredSessions(clock())
    },
  }
}

export type AuthService = ReturnType<typeof authService>
