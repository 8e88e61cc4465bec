import { Type, defineAction } from '@toolplane/sdk'
import type { ToolContext } from '@toolplane/sdk'
import { openTransport, smtpError } from './connection.js'
import type { SmtpSettings } from './connection.js'

/**
 * Connects, greets, secures the connection and logs in as the credential says, then quits — without
 * sending anything. Throws the error class of whatever step failed.
 */
export async function verifySmtp(ctx: ToolContext): Promise<SmtpSettings> {
  const { transport, settings } = await openTransport(ctx)
  try {
    await transport.verify()
    return settings
  } catch (error) {
    throw smtpError(error)
  } finally {
    transport.close()
  }
}

/** `smtp.verify_connection`: checks that the SMTP server can be reached and accepts the login. */
export const verifyConnection = defineAction({
  name: 'verify_connection',
  title: 'Check the SMTP connection',
  description:
    'Connects to the SMTP server of the credential, sets up TLS (implicit or STARTTLS) and logs in, then disconnects without sending anything. Use it to check a credential; failures say which step broke (auth_error for a refused login, network_error for TLS or connection problems).',
  input: Type.Object({}),
  output: Type.Object({
    ok: Type.Boolean(),
    host: Type.String(),
    port: Type.Integer(),
    tls: Type.Union([Type.Literal('implicit'), Type.Literal('starttls'), Type.Literal('if offered')], {
      description:
        'How the connection is secured: implicit TLS, required STARTTLS, or STARTTLS when the server offers it.',
    }),
    authenticated: Type.Boolean({ description: 'Whether a login was made (the credential has a username).' }),
  }),
  examples: [
    {
      title: 'Check the credential',
      input: {},
      output: { ok: true, host: 'smtp.example.com', port: 587, tls: 'starttls', authenticated: true },
    },
  ],
  timeoutMs: 30_000,
  retry: { idempotent: true },
  async run(ctx) {
    const settings = await verifySmtp(ctx)
    return {
      ok: true,
      host: settings.host,
      port: settings.port,
      tls: settings.secure
        ? ('implicit' as const)
        : settings.starttls
          ? ('starttls' as const)
          : ('if offered' as const),
      authenticated: settings.username !== undefined,
    }
  },
})
