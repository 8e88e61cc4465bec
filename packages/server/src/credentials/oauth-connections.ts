import type { AuthMethod, NetworkPolicy, OAuth2Auth, OAuth2AuthorizationCodeAuth, Tool } from '@toolplane/sdk'
import type { Kysely, Selectable } from 'kysely'
import type { AuthContext, Clock } from '../auth/context.js'
import { hashToken, newId, randomToken } from '../auth/tokens.js'
import type { OAuthAppTable, Schema } from '../db/schema.js'
import { AppError } from '../errors.js'
import { coalesceAcrossNodes, createSingleFlight } from '../infra/lock.js'
import type { Lock } from '../infra/lock.js'
import { openSecrets, parseEnvelope, sealSecrets, serializeEnvelope } from './envelope.js'
import type { Keyring } from './keyring.js'
import {
  OAuthError,
  REFRESH_SKEW_MS,
  clientCredentialsToken,
  finishAuthorization,
  needsRefresh,
  refreshTokens,
  revokeToken,
  startAuthorization,
} from './oauth.js'
import type { OAuthClient, OAuthTokens } from './oauth.js'
import type { Credential, CredentialService, ToolLookup } from './service.js'

/** How long a started authorization may take before its state is refused. */
export const authorizationTtlMs = 10 * 60_000

/** A workspace's OAuth client for a tool, as the API shows it: never the secret. */
export interface OAuthApp {
  readonly tool: string
  readonly clientId: string
  readonly clientAuthMethod: 'client_secret_basic' | 'client_secret_post'
  /** Scopes requested by default; null means the tool's own defaults. */
  readonly scopes: string[] | null
  readonly createdAt: number
  readonly updatedAt: number
}

type OAuthAppRow = Selectable<OAuthAppTable>

/** The parts of the tokens kept as the credential's secrets (the SDK's OAuth2 fields). */
/** The secret fields an OAuth token response fills; a refresh replaces these and keeps the rest. */
const tokenFields = new Set(['accessToken', 'tokenType', 'refreshToken', 'expiresAt'])

function secretsFrom(tokens: OAuthTokens): Record<string, unknown> {
  return {
    accessToken: tokens.accessToken,
    ...(tokens.tokenType === '' ? {} : { tokenType: tokens.tokenType }),
    ...(tokens.refreshToken === undefined ? {} : { refreshToken: tokens.refreshToken }),
    ...(tokens.expiresAt === undefined ? {} : { expiresAt: new Date(tokens.expiresAt).toISOString() }),
  }
}

function tokensFrom(secrets: Readonly<Record<string, unknown>>): OAuthTokens {
  const expiresAt = typeof secrets.expiresAt === 'string' ? Date.parse(secrets.expiresAt) : Number.NaN
  return {
    accessToken: typeof secrets.accessToken === 'string' ? secrets.accessToken : '',
    tokenType: typeof secrets.tokenType === 'string' ? secrets.tokenType : 'bearer',
    ...(typeof secrets.refreshToken === 'string' ? { refreshToken: secrets.refreshToken } : {}),
    ...(Number.isNaN(expiresAt) ? {} : { expiresAt }),
  }
}

/**
 * How long before expiry a token is refreshed: five minutes (SPEC §6), or half the token's lifetime
 * when tokens live shorter than ten minutes — else a fresh short-lived token would itself count as
 * expiring and every use would refresh it again.
 */
function refreshWindow(tokens: OAuthTokens, storedAt: number): number {
  if (tokens.expiresAt === undefined) return REFRESH_SKEW_MS
  return Math.max(0, Math.min(REFRESH_SKEW_MS, (tokens.expiresAt - storedAt) / 2))
}

/**
 * Whether a redirect target stays on this Toolplane. Resolved first and compared by origin, so
 * `//evil.example/x` and `/\evil.example/x` (which browsers read as other hosts) are refused.
 */
function staysOn(target: string, publicUrl: string): boolean {
  const home = new URL(publicUrl)
  try {
    return new URL(target, home).origin === home.origin && !/^[/\\]{2}|^\/\\/.test(target)
  } catch {
    return false
  }
}

/** Refresh refusals that mean the grant itself is gone: the user must reconnect. */
const grantGoneReasons: ReadonlySet<string> = new Set(['invalid_grant', 'bad_refresh_token', 'access_denied'])

function principalOf(caller: AuthContext): string {
  return caller.principal.type === 'user'
    ? `user:${caller.principal.userId}`
    : `api_key:${caller.principal.apiKeyId}`
}

/** An error of the provider or of the flow as a problem the caller can act on; never a secret. */
function asProblem(error: unknown, step: string): unknown {
  if (!(error instanceof OAuthError)) return error
  const detail = error.description === undefined ? '' : ` (${error.description})`
  return new AppError('validation_error', `OAuth ${step} failed: ${error.reason}${detail}.`, { cause: error })
}

/**
 * OAuth2 connections: each workspace's client registration per tool, the authorization code flow
 * with PKCE and a state bound to the caller, client credentials, and token refresh — proactive
 * (5 minutes before expiry) and after a 401, coalesced into one refresh per credential across
 * callers and, with a Redis lock, across processes. A refresh the provider refuses marks the
 * credential `expired` (which emits `credential.expired`).
 */
/**
 * A connection that failed after its state was accepted (the provider refused, the code exchange
 * failed) and was started with a `redirectTo`: the callback sends the browser there with `error`
 * (the problem's code) and `error_description`.
 */
export class OAuthCallbackFailure extends Error {
  constructor(
    readonly problem: AppError,
    readonly redirectTo: string,
  ) {
    super(problem.detail, { cause: problem })
    this.name = 'OAuthCallbackFailure'
  }
}

export function oauthConnections(deps: {
  db: Kysely<Schema>
  keyring: Keyring
  clock: Clock
  findTool: ToolLookup
  credentials: CredentialService
  lock: Lock
  publicUrl: string
  network: NetworkPolicy
}) {
  const { db, keyring, clock, findTool, credentials, lock, network } = deps
  const redirectUri = `${deps.publicUrl}/v1/oauth/callback`
  const refreshes = createSingleFlight<Record<string, unknown>>()

  async function oauthMethod(
    workspaceId: string,
    slug: string,
    methodId?: string,
  ): Promise<{ tool: Tool; method: OAuth2Auth }> {
    const tool = await findTool(workspaceId, slug)
    const methods = tool.authMethods.filter((m: AuthMethod): m is OAuth2Auth => m.kind === 'oauth2')
    const method = methodId === undefined ? methods[0] : methods.find((m) => m.id === methodId)
    if (method === undefined) {
      throw new AppError(
        'validation_error',
        methodId === undefined
          ? `Tool "${slug}" has no OAuth2 auth method.`
          : `Tool "${slug}" has no OAuth2 auth method "${methodId}"; it has ${methods.map((m) => m.id).join(', ') || 'none'}.`,
      )
    }
    return { tool, method }
  }

  async function appRow(workspaceId: string, tool: string): Promise<OAuthAppRow> {
    const row = await db
      .selectFrom('oauth_apps')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .where('tool', '=', tool)
      .executeTakeFirst()
    if (row === undefined) {
      throw new AppError(
        'validation_error',
        `No OAuth app is configured for "${tool}" in this workspace; register one at the provider and save it with PUT /v1/oauth/${tool}/app.`,
      )
    }
    return row
  }

  function clientOf(row: OAuthAppRow): OAuthClient {
    const { clientSecret } = openSecrets(
      parseEnvelope(row.secret_envelope),
      { workspaceId: row.workspace_id, credentialId: row.id },
      keyring,
    )
    return {
      clientId: row.client_id,
      clientSecret: typeof clientSecret === 'string' ? clientSecret : '',
      authMethod:
        row.client_auth_method === 'client_secret_post' ? 'client_secret_post' : 'client_secret_basic',
    }
  }

  const appView = (row: OAuthAppRow): OAuthApp => ({
    tool: row.tool,
    clientId: row.client_id,
    clientAuthMethod:
      row.client_auth_method === 'client_secret_post' ? 'client_secret_post' : 'client_secret_basic',
    scopes: row.scopes === null ? null : (JSON.parse(row.scopes) as string[]),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  })

  /** Refreshes under the lock and stores the rotated tokens before anything else can fail. */
  async function refreshNow(
    workspaceId: string,
    credential: Credential,
    seen: Record<string, unknown>,
  ): Promise<Record<string, unknown>> {
    const tokens = tokensFrom(seen)
    const { method } = await oauthMethod(workspaceId, credential.tool, credential.authMethod)
    const app = await appRow(workspaceId, credential.tool)
    const client = clientOf(app)
    let fresh: OAuthTokens
    try {
      fresh =
        method.grant === 'client_credentials'
          ? await clientCredentialsToken({ provider: method, client, network })
          : tokens.refreshToken === undefined
            ? (() => {
                throw new OAuthError('invalid_grant', 'refresh', 'The credential has no refresh token.')
              })()
            : await refreshTokens({ provider: method, client, refreshToken: tokens.refreshToken, network })
    } catch (error) {
      if (!(error instanceof OAuthError)) throw error
      if (grantGoneReasons.has(error.reason)) {
        await credentials.setStatus(
          workspaceId,
          credential.id,
          'expired',
          `The provider refused to refresh the token (${error.reason}); reconnect the account.`,
        )
        throw new AppError(
          'validation_error',
          `The credential has expired: the provider refused to refresh it (${error.reason}). Reconnect the account.`,
          { cause: error },
        )
      }
      if (error.retryable || error.reason === 'network_error' || error.reason === 'server_error') {
        // The provider is down or unreachable: nothing is wrong with the credential.
        throw new AppError(
          'not_ready',
          `The provider could not refresh the token right now (${error.reason}); try again later.`,
          {
            cause: error,
          },
        )
      }
      // The OAuth app or the provider's configuration is at fault (invalid_client, a refused
      // endpoint, a malformed answer): reconnecting would not help, fixing the app would.
      await credentials.setStatus(
        workspaceId,
        credential.id,
        'degraded',
        `Refreshing the token failed (${error.reason}); check the OAuth app with PUT /v1/oauth/${credential.tool}/app.`,
      )
      throw new AppError(
        'validation_error',
        `Refreshing the token failed (${error.reason}): check the OAuth app's client id and secret, and the provider's endpoints.`,
        { cause: error },
      )
    }
    // Fields that are not tokens (a Slack signing secret, a test spreadsheet id) outlive the refresh.
    const kept = Object.fromEntries(Object.entries(seen).filter(([name]) => !tokenFields.has(name)))
    const secrets = {
      ...kept,
      ...secretsFrom({ ...fresh, refreshToken: fresh.refreshToken ?? tokens.refreshToken }),
    }
    await credentials.replaceSecrets(workspaceId, credential.id, secrets, fresh.expiresAt ?? null)
    if (credential.status !== 'healthy')
      await credentials.setStatus(workspaceId, credential.id, 'healthy', 'Token refreshed.')
    return secrets
  }

  return {
    redirectUri,

    async saveApp(
      workspaceId: string,
      tool: string,
      input: {
        clientId: string
        clientSecret?: string
        scopes?: string[] | null
        clientAuthMethod?: 'client_secret_basic' | 'client_secret_post'
      },
    ): Promise<{ app: OAuthApp; created: boolean }> {
      await oauthMethod(workspaceId, tool)
      const now = clock()
      const existing = await db
        .selectFrom('oauth_apps')
        .selectAll()
        .where('workspace_id', '=', workspaceId)
        .where('tool', '=', tool)
        .executeTakeFirst()
      const id = existing?.id ?? newId('oapp')
      let envelope = existing?.secret_envelope
      let keyVersion = existing?.key_version
      if (input.clientSecret !== undefined) {
        const sealed = sealSecrets(
          { clientSecret: input.clientSecret },
          { workspaceId, credentialId: id },
          keyring,
        )
        envelope = serializeEnvelope(sealed)
        keyVersion = sealed.kv
      }
      if (envelope === undefined || keyVersion === undefined) {
        throw new AppError('validation_error', 'A new OAuth app needs its `clientSecret`.', {
          errors: [{ path: '/body/clientSecret', message: 'is required' }],
        })
      }
      const row: OAuthAppRow = {
        id,
        workspace_id: workspaceId,
        tool,
        client_id: input.clientId,
        client_auth_method:
          input.clientAuthMethod ??
          (existing?.client_auth_method === 'client_secret_post'
            ? 'client_secret_post'
            : 'client_secret_basic'),
        scopes:
          input.scopes === undefined
            ? (existing?.scopes ?? null)
            : input.scopes === null
              ? null
              : JSON.stringify(input.scopes),
        secret_envelope: envelope,
        key_version: keyVersion,
        created_at: existing?.created_at ?? now,
        updated_at: now,
      }
      if (existing === undefined) await db.insertInto('oauth_apps').values(row).execute()
      else
        await db
          .updateTable('oauth_apps')
          .set(row)
          .where('workspace_id', '=', workspaceId)
          .where('id', '=', id)
          .execute()
      return { app: appView(row), created: existing === undefined }
    },

    async getApp(workspaceId: string, tool: string): Promise<OAuthApp> {
      return appView(await appRow(workspaceId, tool))
    },

    /**
     * Starts a connection: for the authorization code grant, the URL to open (PKCE and a state
     * bound to this caller, valid 10 minutes); for client credentials, the credential itself.
     */
    async authorize(
      caller: AuthContext,
      slug: string,
      input: {
        name?: string
        externalUserId?: string | null
        scopes?: string[]
        authMethod?: string
        redirectTo?: string | null
      },
    ): Promise<{ url: string; expiresAt: number } | { credential: Credential }> {
      const workspaceId = caller.workspaceId
      const { tool, method } = await oauthMethod(workspaceId, slug, input.authMethod)
      const app = await appRow(workspaceId, slug)
      const scopes =
        input.scopes ?? (app.scopes === null ? [...method.scopes] : (JSON.parse(app.scopes) as string[]))
      const name =
        input.name ?? `${tool.name}${input.externalUserId == null ? '' : ` (${input.externalUserId})`}`
      if (input.redirectTo != null && !staysOn(input.redirectTo, deps.publicUrl)) {
        throw new AppError(
          'validation_error',
          'redirectTo must be a path or a URL on this Toolplane (TOOLPLANE_PUBLIC_URL).',
          {
            errors: [{ path: '/body/redirectTo', message: 'must stay on this Toolplane' }],
          },
        )
      }

      if (method.grant === 'client_credentials') {
        let tokens: OAuthTokens
        try {
          tokens = await clientCredentialsToken({ provider: method, client: clientOf(app), scopes, network })
        } catch (error) {
          throw asProblem(error, 'client credentials')
        }
        const credential = await credentials.create(workspaceId, {
          tool: slug,
          name,
          authMethod: method.id,
          secrets: secretsFrom(tokens),
          externalUserId: input.externalUserId ?? null,
          expiresAt: tokens.expiresAt ?? null,
          status: 'healthy',
        })
        return { credential }
      }

      const state = randomToken(32)
      const id = newId('ost')
      const started = await startAuthorization({
        provider: method,
        client: { clientId: app.client_id },
        redirectUri,
        scopes,
        state,
      })
      const now = clock()
      const expiresAt = now + authorizationTtlMs
      await db
        .insertInto('oauth_states')
        .values({
          id,
          state_hash: hashToken(state),
          workspace_id: workspaceId,
          tool: slug,
          auth_method: method.id,
          principal: principalOf(caller),
          name,
          external_user_id: input.externalUserId ?? null,
          scopes: JSON.stringify(scopes),
          redirect_to: input.redirectTo ?? null,
          verifier_envelope:
            started.codeVerifier === undefined
              ? null
              : serializeEnvelope(
                  sealSecrets(
                    { codeVerifier: started.codeVerifier },
                    { workspaceId, credentialId: id },
                    keyring,
                  ),
                ),
          created_at: now,
          expires_at: expiresAt,
          used_at: null,
        })
        .execute()
      return { url: started.url, expiresAt }
    },

    /**
     * Finishes a connection from the provider's redirect: the state must be one this server issued,
     * unused and unexpired, and — when a signed-in user started the flow — presented by that user's
     * session. Stores the credential as healthy.
     */
    async callback(
      callbackUrl: URL,
      sessionCaller: AuthContext | null,
    ): Promise<{ credential: Credential; redirectTo: string | null }> {
      const state = callbackUrl.searchParams.get('state') ?? ''
      const invalid = () =>
        new AppError(
          'validation_error',
          'This authorization is not valid: unknown, already used or expired state. Start the connection again.',
        )
      const now = clock()
      const row = await db
        .selectFrom('oauth_states')
        .selectAll()
        .where('state_hash', '=', hashToken(state))
        .executeTakeFirst()
      if (row === undefined || row.used_at !== null || row.expires_at <= now) throw invalid()
      if (
        row.principal.startsWith('user:') &&
        (sessionCaller === null || principalOf(sessionCaller) !== row.principal)
      ) {
        throw new AppError(
          'forbidden',
          'This connection was started by another signed-in user; start it again from your own session.',
        )
      }
      const used = await db
        .updateTable('oauth_states')
        .set({ used_at: now })
        .where('id', '=', row.id)
        .where('used_at', 'is', null)
        .executeTakeFirst()
      if (used.numUpdatedRows === 0n) throw invalid()

      try {
        const { method } = await oauthMethod(row.workspace_id, row.tool, row.auth_method)
        const app = await appRow(row.workspace_id, row.tool)
        const verifier =
          row.verifier_envelope === null
            ? undefined
            : openSecrets(
                parseEnvelope(row.verifier_envelope),
                { workspaceId: row.workspace_id, credentialId: row.id },
                keyring,
              ).codeVerifier
        let tokens: OAuthTokens
        try {
          tokens = await finishAuthorization({
            provider: method as OAuth2AuthorizationCodeAuth,
            client: clientOf(app),
            redirectUri,
            callbackUrl,
            expectedState: state,
            codeVerifier: typeof verifier === 'string' ? verifier : undefined,
            network,
          })
        } catch (error) {
          throw asProblem(error, 'authorization')
        }
        const credential = await credentials.create(row.workspace_id, {
          tool: row.tool,
          name: row.name,
          authMethod: method.id,
          secrets: secretsFrom(tokens),
          externalUserId: row.external_user_id,
          expiresAt: tokens.expiresAt ?? null,
          status: 'healthy',
        })
        return { credential, redirectTo: row.redirect_to }
      } catch (error) {
        // The flow was started from somewhere (the UI): tell it there, rather than strand the browser
        // on a problem document.
        if (row.redirect_to === null || !(error instanceof AppError)) throw error
        throw new OAuthCallbackFailure(error, row.redirect_to)
      }
    },

    /**
     * The secrets to call the provider with, refreshed first when the token expires within five
     * minutes (or at once with `force`, after a 401). Concurrent callers share one refresh.
     */
    async secretsFor(
      workspaceId: string,
      credentialId: string,
      options: { force?: boolean } = {},
    ): Promise<Record<string, unknown>> {
      const opened = await credentials.open(workspaceId, credentialId)
      const isOAuth = (await findTool(workspaceId, opened.credential.tool)).authMethods.some(
        (m) => m.id === opened.credential.authMethod && m.kind === 'oauth2',
      )
      if (!isOAuth) return opened.secrets
      const seenToken = opened.secrets.accessToken
      // A token that changed since we looked was just refreshed by someone else (another caller or
      // node): use it, even if the provider's tokens are shorter-lived than the refresh window.
      const good = (secrets: Record<string, unknown>, storedAt: number) =>
        secrets.accessToken !== seenToken ||
        (options.force !== true &&
          !needsRefresh(tokensFrom(secrets), clock(), refreshWindow(tokensFrom(secrets), storedAt)))
      if (good(opened.secrets, opened.credential.updatedAt)) return opened.secrets
      return coalesceAcrossNodes(
        { flights: refreshes, lock },
        `credential-refresh:${credentialId}`,
        { ttlMs: 30_000, waitMs: 35_000 },
        {
          current: async () => {
            const now = await credentials.open(workspaceId, credentialId)
            return good(now.secrets, now.credential.updatedAt) ? now.secrets : undefined
          },
          produce: async () => {
            const now = await credentials.open(workspaceId, credentialId)
            return refreshNow(workspaceId, now.credential, now.secrets)
          },
        },
      )
    },

    /**
     * Runs `call` with the credential's current secrets; when an OAuth credential's call is refused
     * for authentication (a 401: the token was revoked or expired early), refreshes once and calls
     * again. The outcome updates the credential's status passively. The execution engine uses this.
     *
     * @example
     * const output = await connections.useCredential(workspaceId, credentialId, (secrets) => runAction(tool, name, { ... }))
     */
    async useCredential<T>(
      workspaceId: string,
      credentialId: string,
      call: (secrets: Record<string, unknown>) => Promise<T>,
      classify: (error: unknown) => string,
    ): Promise<T> {
      const attempt = async (secrets: Record<string, unknown>) => {
        try {
          const result = await call(secrets)
          await credentials.recordOutcome(workspaceId, credentialId, { ok: true })
          return { ok: true as const, result }
        } catch (error) {
          return { ok: false as const, error, errorClass: classify(error) }
        }
      }
      const first = await attempt(await this.secretsFor(workspaceId, credentialId))
      if (first.ok) return first.result
      const { credential } = await credentials.open(workspaceId, credentialId)
      const isOAuth = (await findTool(workspaceId, credential.tool)).authMethods.some(
        (m) => m.id === credential.authMethod && m.kind === 'oauth2',
      )
      if (isOAuth && first.errorClass === 'auth_error') {
        const second = await attempt(await this.secretsFor(workspaceId, credentialId, { force: true }))
        if (second.ok) return second.result
        await credentials.recordOutcome(workspaceId, credentialId, {
          ok: false,
          errorClass: second.errorClass,
        })
        throw second.error
      }
      await credentials.recordOutcome(workspaceId, credentialId, { ok: false, errorClass: first.errorClass })
      throw first.error
    },

    /** Revokes the credential's tokens at the provider, when it can; failures are reported, not thrown. */
    async revoke(workspaceId: string, credentialId: string): Promise<{ revoked: boolean; error?: string }> {
      const opened = await credentials.open(workspaceId, credentialId)
      const tool = await findTool(workspaceId, opened.credential.tool)
      const method = tool.authMethods.find((m) => m.id === opened.credential.authMethod)
      if (
        method?.kind !== 'oauth2' ||
        method.grant !== 'authorization_code' ||
        method.revocationUrl === undefined
      ) {
        return { revoked: false }
      }
      try {
        const client = clientOf(await appRow(workspaceId, opened.credential.tool))
        const tokens = tokensFrom(opened.secrets)
        const token = tokens.refreshToken ?? tokens.accessToken
        const hint = tokens.refreshToken === undefined ? 'access_token' : 'refresh_token'
        return await revokeToken({ provider: method, client, token, tokenTypeHint: hint, network })
      } catch (error) {
        return { revoked: false, error: error instanceof Error ? error.message : String(error) }
      }
    },
  }
}

export type OAuthConnections = ReturnType<typeof oauthConnections>
