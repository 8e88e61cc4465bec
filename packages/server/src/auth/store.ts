import type { Kysely, Selectable } from 'kysely'
import type { MembershipTable, Schema, SessionTable, SignInLinkTable, UserTable } from '../db/schema.js'

export type UserRow = Selectable<UserTable>
export type MembershipRow = Selectable<MembershipTable>
export type SessionRow = Selectable<SessionTable>
export type SignInLinkRow = Selectable<SignInLinkTable>

/**
 * Users, memberships, UI sessions and one-time sign-in links. Users are people and may belong to
 * several workspaces; what they see is always scoped by a membership's workspace id. Lookups by
 * token hash are how requests are authenticated, before any workspace is known.
 */
export function authStore(db: Kysely<Schema>) {
  return {
    async insertUser(row: UserRow): Promise<void> {
      await db.insertInto('users').values(row).execute()
    },

    async findUserByEmail(email: string): Promise<UserRow | undefined> {
      return db.selectFrom('users').selectAll().where('email', '=', email.toLowerCase()).executeTakeFirst()
    },

    async getUser(userId: string): Promise<UserRow | undefined> {
      return db.selectFrom('users').selectAll().where('id', '=', userId).executeTakeFirst()
    },

    async setPassword(userId: string, passwordHash: string, now: number): Promise<void> {
      await db
        .updateTable('users')
        .set({ password_hash: passwordHash, updated_at: now })
        .where('id', '=', userId)
        .execute()
    },

    async insertMembership(row: MembershipRow): Promise<void> {
      await db.insertInto('memberships').values(row).execute()
    },

    async getMembership(workspaceId: string, userId: string): Promise<MembershipRow | undefined> {
      return db
        .selectFrom('memberships')
        .selectAll()
        .where('workspace_id', '=', workspaceId)
        .where('user_id', '=', userId)
        .executeTakeFirst()
    },

    /** The user's memberships, oldest first: sign-in without a workspace picks the first. */
    async membershipsOf(userId: string): Promise<MembershipRow[]> {
      return db
        .selectFrom('memberships')
        .selectAll()
        .where('user_id', '=', userId)
        .orderBy('created_at', 'asc')
        .orderBy('workspace_id', 'asc')
        .execute()
    },

    async insertSession(row: SessionRow): Promise<void> {
      await db.insertInto('sessions').values(row).execute()
    },

    async findSessionByHash(tokenHash: string, now: number): Promise<SessionRow | undefined> {
      return db
        .selectFrom('sessions')
        .selectAll()
        .where('token_hash', '=', tokenHash)
        .where('expires_at', '>', now)
        .executeTakeFirst()
    },

    async deleteSession(workspaceId: string, sessionId: string): Promise<void> {
      await db
        .deleteFrom('sessions')
        .where('workspace_id', '=', workspaceId)
        .where('id', '=', sessionId)
        .execute()
    },

    /** "Log out everywhere": every session of this user, in every workspace. */
    async deleteSessionsOfUser(userId: string): Promise<number> {
      const result = await db.deleteFrom('sessions').where('user_id', '=', userId).executeTakeFirst()
      return Number(result.numDeletedRows)
    },

    async deleteExpiredSessions(now: number): Promise<number> {
      const result = await db.deleteFrom('sessions').where('expires_at', '<=', now).executeTakeFirst()
      return Number(result.numDeletedRows)
    },

    async insertSignInLink(row: SignInLinkRow): Promise<void> {
      await db.insertInto('sign_in_links').values(row).execute()
    },

    /**
     * Marks an unused, unexpired link used and returns it; the conditional update makes a link
     * single-use even when two requests race.
     */
    async consumeSignInLink(tokenHash: string, now: number): Promise<SignInLinkRow | undefined> {
      const result = await db
        .updateTable('sign_in_links')
        .set({ used_at: now })
        .where('token_hash', '=', tokenHash)
        .where('used_at', 'is', null)
        .where('expires_at', '>', now)
        .executeTakeFirst()
      if (result.numUpdatedRows === 0n) return undefined
      return db.selectFrom('sign_in_links').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst()
    },
  }
}

export type AuthStore = ReturnType<typeof authStore>
