/**
 * PostgreSQL errors as execution error classes: SQLSTATE codes from the server, system codes from the
 * socket, and the few messages pg itself raises.
 */
import { ActionError, NetworkError } from '@toolplane/sdk'
import type { ErrorClass, Suggestion } from '@toolplane/sdk'

/** Whether the failure happened while connecting (nothing ran) or while running a statement. */
export type Phase = 'connect' | 'query'

interface Mapping {
  class: ErrorClass
  retryable?: boolean
  suggestion?: Suggestion
}

const checkCredential: Suggestion = {
  title: 'Check the credential',
  detail:
    'The server refused the user or password. Update the connection string or the user and password fields.',
}

// Exact SQLSTATE codes first, then their two-character class (PostgreSQL Appendix A).
const byCode: Readonly<Record<string, Mapping>> = {
  '28P01': { class: 'auth_error', suggestion: checkCredential },
  '28000': { class: 'auth_error', suggestion: checkCredential },
  '3D000': {
    class: 'not_found',
    suggestion: {
      title: 'Check the database name',
      detail: 'The database in the credential does not exist.',
    },
  },
  '42P01': {
    class: 'not_found',
    suggestion: {
      title: 'Check the table name',
      detail: 'Use postgres.list_tables to see the tables; names are case-sensitive when quoted.',
    },
  },
  '3F000': { class: 'not_found' },
  '42883': { class: 'not_found' },
  '42704': { class: 'not_found' },
  '42501': {
    class: 'permission_error',
    suggestion: {
      title: 'Grant the privilege',
      detail:
        'The database user may not do this. GRANT the privilege to the user, or use another credential.',
    },
  },
  '25006': {
    class: 'permission_error',
    suggestion: {
      title: 'Run it without readOnly',
      detail: 'The statement writes, but the query ran read-only.',
    },
  },
  '23505': { class: 'conflict' },
  '23503': { class: 'conflict' },
  '23P01': { class: 'conflict' },
  '40001': { class: 'conflict', retryable: true },
  '40P01': { class: 'conflict', retryable: true },
  '55P03': { class: 'conflict', retryable: true },
  '57014': {
    class: 'timeout',
    suggestion: {
      title: 'Make the statement faster',
      detail:
        'The statement ran longer than its time limit. Add an index or a WHERE clause, or raise timeoutMs.',
    },
  },
  '53300': { class: 'upstream_unavailable' },
  '57P01': { class: 'upstream_unavailable' },
  '57P02': { class: 'upstream_unavailable' },
  '57P03': { class: 'upstream_unavailable' },
}

const byClass: Readonly<Record<string, Mapping>> = {
  '08': { class: 'network_error' },
  '0A': { class: 'validation_error' },
  '21': { class: 'validation_error' },
  '22': { class: 'validation_error' },
  '23': { class: 'validation_error' },
  '28': { class: 'auth_error', suggestion: checkCredential },
  '42': {
    class: 'validation_error',
    suggestion: {
      title: 'Check the SQL',
      detail: 'The statement is not valid here. Use postgres.describe_table to check column names and types.',
    },
  },
  '53': { class: 'upstream_unavailable' },
  '54': { class: 'validation_error' },
  '57': { class: 'upstream_unavailable' },
  '58': { class: 'upstream_unavailable' },
}

const tlsCodes: ReadonlySet<string> = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_HAS_EXPIRED',
])

interface PgErrorFields {
  code?: unknown
  severity?: unknown
  detail?: unknown
  hint?: unknown
  message?: unknown
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined
}

/**
 * Turns whatever pg threw into an `ActionError` with the class its SQLSTATE (or socket error) means.
 * Messages carry PostgreSQL's message, detail and hint, never the credential.
 */
export function postgresError(error: unknown, phase: Phase): ActionError {
  if (error instanceof ActionError) return error
  const fields = (typeof error === 'object' && error !== null ? error : {}) as PgErrorFields
  const code = text(fields.code)
  const message = text(fields.message) ?? String(error)
  const requestSent = phase === 'query'

  if (code !== undefined && /^[0-9A-Z]{5}$/.test(code) && text(fields.severity) !== undefined) {
    const mapping = byCode[code] ?? byClass[code.slice(0, 2)] ?? { class: 'upstream_error' }
    const detail = [text(fields.detail), text(fields.hint)].filter((part) => part !== undefined).join(' ')
    return new ActionError(
      mapping.class,
      `PostgreSQL ${code}: ${message}${detail === '' ? '' : ` (${detail})`}`,
      {
        // Authentication fails before any statement runs.
        requestSent: requestSent && mapping.class !== 'auth_error',
        ...(mapping.retryable === undefined ? {} : { retryable: mapping.retryable }),
        ...(mapping.suggestion === undefined ? {} : { suggestions: [mapping.suggestion] }),
        cause: error,
      },
    )
  }
  if (code !== undefined && tlsCodes.has(code)) {
    return new ActionError('network_error', `The server's TLS certificate was not accepted: ${message}`, {
      retryable: false,
      requestSent: false,
      cause: error,
      suggestions: [
        {
          title: 'Check the certificate',
          detail:
            'With ssl verify-full the certificate must be valid for the host. Use ssl require (sslmode=require) to encrypt without verifying.',
        },
      ],
    })
  }
  if (code !== undefined && /^E[A-Z]+$/.test(code)) {
    return new NetworkError(code, `The connection to PostgreSQL failed: ${code}`, { cause: error })
  }
  if (/timeout/i.test(message)) {
    return new ActionError('timeout', `PostgreSQL did not answer in time: ${message}`, {
      requestSent,
      cause: error,
    })
  }
  if (/does not support SSL/i.test(message)) {
    return new ActionError('network_error', 'The PostgreSQL server does not accept TLS connections', {
      retryable: false,
      requestSent: false,
      cause: error,
      suggestions: [
        { title: 'Turn TLS off', detail: 'Set ssl to disable (sslmode=disable) for a server without TLS.' },
      ],
    })
  }
  if (/Connection terminated|not queryable|ECONNRESET/i.test(message)) {
    return new NetworkError('ECONNRESET', `The connection to PostgreSQL was closed: ${message}`, {
      cause: error,
    })
  }
  return new ActionError('upstream_error', `PostgreSQL failed: ${message}`, { requestSent, cause: error })
}
