/**
 * The built-in `smtp` tool: send email through any SMTP server (a provider's relay, a company mail
 * server), with templates. Connections follow the same network rules as HTTP calls.
 */
import { defineTool } from '@toolplane/sdk'
import { smtpAuth } from './connection.js'
import { sendEmail, sendTemplate } from './send.js'
import { verifyConnection, verifySmtp } from './verify.js'

export { sendEmail, sendTemplate, verifyConnection }
export { SmtpFields, smtpAuth, smtpError, smtpSettings } from './connection.js'
export type { SmtpSettings } from './connection.js'
export { MAX_ATTACHMENT_BYTES } from './send.js'
export { escapeHtml, render } from './template.js'

export default defineTool({
  slug: 'smtp',
  name: 'SMTP email',
  description:
    'Send email through an SMTP server: plain or HTML messages with attachments, and templates with {{placeholders}}.',
  version: '1.0.0',
  categories: ['communication', 'email'],
  authMethods: [smtpAuth],
  actions: [sendEmail, verifyConnection, sendTemplate],
  async healthCheck(ctx) {
    await verifySmtp(ctx)
  },
})
