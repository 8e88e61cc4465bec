/**
 * The `smtp` credential and the transport built from it: the network rules are applied to the host,
 * nodemailer connects to the checked address, and TLS still verifies the certificate against the
 * host name. Also maps nodemailer's errors to execution error classes.
 */
import { isIP } from 'node:net'
import {
  ActionError,
  CONNECT_TIMEOUT_MS,
  NetworkError,
  Type,
  auth,
  connectableAddresses,
} from '@toolplane/sdk'
import type { Static, Suggestion, ToolContext } from '@toolplane/sdk'
import nodemailer from 'nodemailer'
import type { Mail, SMTPSentMessageInfo, SMTPTransportOptions } from 'nodemailer'

/** The credential: where the SMTP server is, how to secure and authenticate, and a default sender. */
export const SmtpFields = Type.Object({
  host: Type.String({ title: 'SMTP host', minLength: 1, description: 'Such as smtp.example.com.' }),
  port: Type.Optional(
    Type.Integer({
      title: 'Port',
      minimum: 1,
      maximum: 65535,
      description: '587 (submission with STARTTLS) by default, 465 with implicit TLS.',
    }),
  ),
  secure: Type.Optional(
    Type.Boolean({
      title: 'Implicit TLS',
      description: 'TLS from the first byte, as on port 465. Default false.',
    }),
  ),
  starttls: Type.Optional(
    Type.Boolean({
      title: 'Require STARTTLS',
      description:
        'Without implicit TLS: upgrade with STARTTLS and fail when the server does not offer it (default true). False uses STARTTLS only when offered.',
    }),
  ),
  caCertificate: Type.Optional(
    Type.String({
      title: 'CA certificate',
      pattern: '-----BEGIN CERTIFICATE-----',
      description:
        'PEM certificate(s) of a private CA that signed the server certificate, trusted in addition to the public ones.',
    }),
  ),
  username: Type.Optional(Type.String({ title: 'Username', minLength: 1 })),
  password: Type.Optional(Type.String({ title: 'Password' })),
  from: Type.Optional(
    Type.String({
      title: 'Default From',
      minLength: 3,
      description: 'The sender when a message names none: an address, or "Name <address>".',
    }),
  ),
})

/** The `smtp` auth method; it is not applied to HTTP requests. */
export const smtpAuth = auth.custom({
  id: 'smtp',
  title: 'SMTP server',
  fields: SmtpFields,
  apply() {
    // An SMTP connection, not an HTTP request: the actions read the credential themselves.
  },
})

/** The credential with its defaults filled in. */
export interface SmtpSettings {
  host: string
  port: number
  secure: boolean
  starttls: boolean
  ca: string | undefined
  username: string | undefined
  password: string | undefined
  from: string | undefined
}

/** Reads the credential's fields, filling in the defaults. */
export function smtpSettings(secrets: Readonly<Record<string, unknown>>): SmtpSettings {
  const fields = secrets as Static<typeof SmtpFields>
  const secure = fields.secure ?? false
  return {
    host: fields.host,
    port: fields.port ?? (secure ? 465 : 587),
    secure,
    starttls: fields.starttls ?? true,
    ca: fields.caCertificate,
    username: fields.username,
    password: fields.password,
    from: fields.from,
  }
}

/** A nodemailer transport to the checked address of the credential's host. */
export async function openTransport(ctx: ToolContext): Promise<{
  transport: Mail<SMTPSentMessageInfo, SMTPTransportOptions>
  settings: SmtpSettings
}> {
  const settings = smtpSettings(ctx.credential.secrets)
  const [first] = await connectableAddresses(settings.host, ctx.network)
  /* v8 ignore next -- connectableAddresses returns at least one address or throws */
  if (first === undefined) throw new NetworkError('ENOTFOUND', `${settings.host} has no address`)
  const options: SMTPTransportOptions = {
    host: first.address,
    port: settings.port,
    secure: settings.secure,
    requireTLS: !settings.secure && settings.starttls,
    // SNI and certificate checks use the host name, although the socket goes to the checked address.
    ...(isIP(settings.host) === 0 ? { servername: settings.host } : {}),
    ...(settings.ca === undefined ? {} : { tls: { ca: settings.ca } }),
    ...(settings.username === undefined
      ? {}
      : { auth: { user: settings.username, pass: settings.password ?? '' } }),
    connectionTimeout: CONNECT_TIMEOUT_MS,
    greetingTimeout: CONNECT_TIMEOUT_MS,
    socketTimeout: 30_000,
    logger: false,
    debug: false,
  }
  return { transport: nodemailer.createTransport(options), settings }
}

interface NodemailerFailure {
  code?: unknown
  responseCode?: unknown
  response?: unknown
  command?: unknown
  message?: unknown
}

const checkCredential: Suggestion = {
  title: 'Check the username and password',
  detail:
    'The SMTP server refused the login. Many providers need an app password or an SMTP-specific key rather than the account password.',
}

const tlsSuggestion: Suggestion = {
  title: 'Check the TLS settings',
  detail:
    'Use implicit TLS (secure) on port 465 and STARTTLS on 587. The server certificate must be valid for the host name.',
}

// Connection failures that happen before anything of the message is sent.
const refusedConnections = /\b(ECONNREFUSED|EHOSTUNREACH|ENETUNREACH|EADDRNOTAVAIL|ENOTFOUND)\b/

/** The class an SMTP reply code (and its enhanced status code) means. */
function replyClass(responseCode: number, response: string): ActionError['class'] {
  if (responseCode >= 400 && responseCode < 500) return 'upstream_unavailable'
  if ([530, 534, 535].includes(responseCode)) return 'auth_error'
  if (/\b5\.7\.\d{1,3}\b/.test(response)) return 'permission_error'
  if ([501, 550, 551, 552, 553].includes(responseCode)) return 'validation_error'
  return 'upstream_error'
}

/**
 * Turns a nodemailer error into an `ActionError`. `requestSent` is false whenever the message cannot
 * have been delivered (login, connection, TLS and envelope failures), so the engine may retry safely.
 */
export function smtpError(error: unknown): ActionError {
  if (error instanceof ActionError) return error
  const failure = (typeof error === 'object' && error !== null ? error : {}) as NodemailerFailure
  const code = typeof failure.code === 'string' ? failure.code : undefined
  const message = typeof failure.message === 'string' ? failure.message : String(error)
  const responseCode = typeof failure.responseCode === 'number' ? failure.responseCode : undefined
  const response = typeof failure.response === 'string' ? failure.response : ''
  const cause = { cause: error }

  switch (code) {
    case 'EAUTH':
    case 'ENOAUTH':
      return new ActionError('auth_error', `The SMTP server refused the login: ${message}`, {
        ...cause,
        requestSent: false,
        suggestions: [checkCredential],
      })
    case 'ETLS':
    case 'EREQUIRETLS':
      return new ActionError('network_error', `TLS with the SMTP server failed: ${message}`, {
        ...cause,
        requestSent: false,
        retryable: false,
        suggestions: [tlsSuggestion],
      })
    case 'ETIMEDOUT':
      return new ActionError('timeout', `The SMTP server did not answer in time: ${message}`, cause)
    case 'EABORT':
      return new ActionError('cancelled', 'Sending was cancelled', { ...cause, retryable: false })
    case 'EDNS':
      return new NetworkError('ENOTFOUND', `The SMTP host could not be resolved: ${message}`, cause)
    case 'ECONNECTION':
    case 'ESOCKET': {
      const refused = refusedConnections.exec(message)?.[1]
      if (refused !== undefined) {
        return new NetworkError(refused, `The connection to the SMTP server failed: ${refused}`, cause)
      }
      if (/certificate|self[- ]signed|SSL|TLS|handshake|wrong version/i.test(message)) {
        return new ActionError('network_error', `TLS with the SMTP server failed: ${message}`, {
          ...cause,
          requestSent: false,
          retryable: false,
          suggestions: [tlsSuggestion],
        })
      }
      return new NetworkError('ECONNRESET', `The connection to the SMTP server broke: ${message}`, cause)
    }
    default:
      break
  }
  if (responseCode !== undefined) {
    const errorClass = replyClass(responseCode, response)
    const before = code === 'EENVELOPE'
    return new ActionError(errorClass, `The SMTP server answered ${response || responseCode}`, {
      ...cause,
      // An envelope refusal comes before DATA: the message was not handed over.
      requestSent: !before,
      ...(errorClass === 'auth_error' ? { suggestions: [checkCredential] } : {}),
    })
  }
  if (code === 'EENVELOPE') {
    return new ActionError('validation_error', `The message cannot be sent: ${message}`, {
      ...cause,
      requestSent: false,
    })
  }
  return new ActionError('upstream_error', `Sending through SMTP failed: ${message}`, cause)
}
