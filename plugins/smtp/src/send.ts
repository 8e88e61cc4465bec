import { ActionError, Type, defineAction } from '@toolplane/sdk'
import type { ToolContext } from '@toolplane/sdk'
import { openTransport, smtpError, smtpSettings } from './connection.js'
import { assertRendered, render } from './template.js'
import type { RenderProblems } from './template.js'

/** The most attachment bytes (decoded) one message may carry: 25 MB, what most providers accept. */
export const MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024

const Email = Type.String({ format: 'email', examples: ['ada@example.com'] })
const Recipients = (description: string, minItems = 0) =>
  Type.Array(Email, { minItems, maxItems: 100, description })

const Attachment = Type.Object({
  filename: Type.String({ minLength: 1, examples: ['invoice-1042.pdf'] }),
  contentType: Type.String({
    minLength: 3,
    pattern: '^[\\w.+-]+/[\\w.+-]+$',
    default: 'application/octet-stream',
    examples: ['application/pdf'],
  }),
  contentBase64: Type.String({
    pattern: '^[A-Za-z0-9+/\\s]*={0,2}\\s*$',
    description: 'The file, base64-encoded.',
    examples: ['JVBERi0xLjQK'],
  }),
  contentId: Type.Optional(
    Type.String({
      minLength: 1,
      description: 'Makes it an inline image, referenced from the HTML as <img src="cid:this-id">.',
    }),
  ),
})

const Headers = Type.Record(Type.String(), Type.String({ pattern: '^[^\\r\\n]*$' }), {
  description:
    'Extra headers, such as List-Unsubscribe or X-Campaign. Addresses and Subject have their own fields.',
})

/** The envelope and extras shared by both send actions. */
const envelope = {
  to: Recipients('Recipients.', 1),
  cc: Type.Optional(Recipients('Copy recipients.')),
  bcc: Type.Optional(Recipients('Blind copy recipients: in the envelope, never in the headers.')),
  from: Type.Optional(
    Type.String({
      minLength: 3,
      pattern: '^[^\\r\\n]*$',
      description: 'The sender, "Name <address>" or an address; defaults to the credential’s From.',
    }),
  ),
  replyTo: Type.Optional(Email),
  attachments: Type.Optional(Type.Array(Attachment, { maxItems: 20 })),
  headers: Type.Optional(Headers),
}

const SendResult = Type.Object({
  messageId: Type.String({ description: 'The Message-ID header of the sent message.' }),
  accepted: Type.Array(Type.String(), { description: 'Recipients the server accepted.' }),
  rejected: Type.Array(Type.String(), {
    description: 'Recipients the server refused; the others still get it.',
  }),
  rejections: Type.Array(Type.Object({ recipient: Type.String(), response: Type.String() }), {
    description: 'Why each refused recipient was refused, in the server’s words.',
  }),
  response: Type.String({
    description: 'The server’s final reply, such as "250 2.0.0 Ok: queued as 4F2A1".',
  }),
})

interface Message {
  to: string[]
  cc?: string[] | undefined
  bcc?: string[] | undefined
  from?: string | undefined
  replyTo?: string | undefined
  subject: string
  text?: string | undefined
  html?: string | undefined
  attachments?: {
    filename: string
    contentType: string
    contentBase64: string
    contentId?: string | undefined
  }[]
  headers?: Record<string, string> | undefined
}

// Headers with a field of their own, or that define the MIME structure nodemailer builds.
const reservedHeaders: ReadonlySet<string> = new Set([
  'from',
  'sender',
  'to',
  'cc',
  'bcc',
  'reply-to',
  'subject',
  'date',
  'message-id',
  'mime-version',
  'content-type',
  'content-transfer-encoding',
])
const headerName = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/

function invalid(message: string, detail: string): ActionError {
  return new ActionError('validation_error', message, {
    requestSent: false,
    suggestions: [{ title: 'Fix the message', detail }],
  })
}

function checkHeaders(headers: Readonly<Record<string, string>>): void {
  for (const name of Object.keys(headers)) {
    if (!headerName.test(name))
      throw invalid(
        `"${name}" is not a valid header name`,
        'Header names are letters, digits and - such as X-Campaign.',
      )
    if (reservedHeaders.has(name.toLowerCase())) {
      throw invalid(
        `The ${name} header cannot be set in headers`,
        `Use the message's own fields for ${name}.`,
      )
    }
  }
}

function decodeAttachments(attachments: NonNullable<Message['attachments']>) {
  let total = 0
  return attachments.map((attachment) => {
    const content = Buffer.from(attachment.contentBase64.replace(/\s+/g, ''), 'base64')
    total += content.length
    if (total > MAX_ATTACHMENT_BYTES) {
      throw invalid(
        `The attachments are larger than ${MAX_ATTACHMENT_BYTES / 1024 / 1024} MB`,
        'Send large files as links instead.',
      )
    }
    return {
      filename: attachment.filename,
      content,
      contentType: attachment.contentType,
      ...(attachment.contentId === undefined ? {} : { cid: attachment.contentId }),
    }
  })
}

async function deliver(ctx: ToolContext, message: Message) {
  if (message.text === undefined && message.html === undefined) {
    throw invalid(
      'The message has no body',
      'Give text, html, or both (text is what clients without HTML show).',
    )
  }
  checkHeaders(message.headers ?? {})
  const attachments = decodeAttachments(message.attachments ?? [])
  const defaults = smtpSettings(ctx.credential.secrets)
  const from =
    message.from ??
    defaults.from ??
    (defaults.username?.includes('@') === true ? defaults.username : undefined)
  if (from === undefined) {
    throw invalid('The message has no sender', 'Give from, or set a default From on the credential.')
  }
  const { transport } = await openTransport(ctx)
  try {
    const info = await transport.sendMail({
      from,
      to: message.to,
      ...(message.cc === undefined ? {} : { cc: message.cc }),
      ...(message.bcc === undefined ? {} : { bcc: message.bcc }),
      ...(message.replyTo === undefined ? {} : { replyTo: message.replyTo }),
      // A line break in a subject would end the header; templates can produce one.
      subject: message.subject.replace(/[\r\n]+/g, ' '),
      ...(message.text === undefined ? {} : { text: message.text }),
      ...(message.html === undefined ? {} : { html: message.html }),
      attachments,
      ...(message.headers === undefined ? {} : { headers: message.headers }),
      // Content comes from the input only: never let nodemailer read a file or fetch a URL.
      disableFileAccess: true,
      disableUrlAccess: true,
      signal: ctx.signal,
    })
    return {
      messageId: info.messageId,
      accepted: info.accepted.map(String),
      rejected: info.rejected.map(String),
      rejections: (info.rejectedErrors ?? []).map((error) => ({
        recipient: typeof error.recipient === 'string' ? error.recipient : '',
        response: typeof error.response === 'string' ? error.response : error.message,
      })),
      response: info.response,
    }
  } catch (error) {
    throw smtpError(error)
  } finally {
    transport.close()
  }
}

/**
 * `smtp.send_email`: sends one message through the credential's SMTP server, with attachments and
 * custom headers. Recipients the server refuses are reported in `rejected`; when it refuses every
 * recipient, the action fails.
 */
export const sendEmail = defineAction({
  name: 'send_email',
  title: 'Send an email',
  description:
    'Sends one email through the SMTP server of the credential: recipients (to, cc, bcc), subject, a text and/or HTML body, optional reply-to, attachments (base64 with file name and content type) and extra headers. The sender defaults to the credential’s From. Returns the Message-ID and which recipients the server accepted or refused; if it refuses all of them, the action fails (validation_error for a permanent refusal, upstream_unavailable for a temporary one).',
  input: Type.Object({
    ...envelope,
    subject: Type.String({ minLength: 1, pattern: '^[^\\r\\n]*$', examples: ['Your invoice #1042'] }),
    text: Type.Optional(Type.String({ description: 'The plain-text body.' })),
    html: Type.Optional(Type.String({ description: 'The HTML body.' })),
  }),
  output: SendResult,
  examples: [
    {
      title: 'An invoice with a PDF attached',
      input: {
        to: ['ada@example.com'],
        cc: ['billing@example.com'],
        subject: 'Your invoice #1042',
        text: 'Hello Ada,\n\nyour invoice is attached.\n\nAcme Billing',
        html: '<p>Hello Ada,</p><p>your invoice is attached.</p><p>Acme Billing</p>',
        replyTo: 'billing@example.com',
        attachments: [
          { filename: 'invoice-1042.pdf', contentType: 'application/pdf', contentBase64: 'JVBERi0xLjQK' },
        ],
      },
      output: {
        messageId: '<5f1c9a2e-7d1b-4c55-9d58-2a1f8e0c1b11@example.com>',
        accepted: ['ada@example.com', 'billing@example.com'],
        rejected: [],
        rejections: [],
        response: '250 2.0.0 Ok: queued as 4F2A1',
      },
    },
  ],
  timeoutMs: 60_000,
  retry: { idempotent: false },
  async run(ctx) {
    return deliver(ctx, ctx.input)
  },
})

/**
 * `smtp.send_template`: `send_email` with `{{name}}` placeholders in the subject and bodies filled
 * from `variables` (HTML-escaped in the HTML body; `{{{name}}}` inserts raw HTML).
 */
export const sendTemplate = defineAction({
  name: 'send_template',
  title: 'Send a templated email',
  description:
    'Sends one email whose subject, text and HTML contain {{name}} placeholders filled in from `variables` (nested values as {{user.first_name}}). Values are HTML-escaped in the HTML body; {{{name}}} inserts a value unescaped. A placeholder without a value fails with validation_error before anything is sent. Otherwise it behaves like smtp.send_email.',
  input: Type.Object({
    ...envelope,
    subject: Type.String({ minLength: 1, examples: ['Welcome, {{name}}!'] }),
    text: Type.Optional(Type.String({ description: 'The plain-text body template.' })),
    html: Type.Optional(Type.String({ description: 'The HTML body template.' })),
    variables: Type.Record(Type.String(), Type.Unknown(), {
      default: {},
      description:
        'Values for the placeholders: strings, numbers, booleans, null (empty), or nested objects.',
      examples: [{ name: 'Ada', plan: 'Pro' }],
    }),
  }),
  output: SendResult,
  examples: [
    {
      title: 'A welcome email',
      input: {
        to: ['ada@example.com'],
        subject: 'Welcome, {{name}}!',
        text: 'Hi {{name}}, your {{plan}} plan is ready.',
        html: '<p>Hi {{name}}, your <b>{{plan}}</b> plan is ready.</p>',
        variables: { name: 'Ada', plan: 'Pro' },
      },
    },
  ],
  timeoutMs: 60_000,
  retry: { idempotent: false },
  async run(ctx) {
    const { input } = ctx
    const problems: RenderProblems = { missing: new Set(), notText: new Set() }
    const fill = (template: string | undefined, html: boolean) =>
      template === undefined ? undefined : render(template, input.variables, { html }, problems)
    const message: Message = {
      ...input,
      subject: fill(input.subject, false) ?? '',
      text: fill(input.text, false),
      html: fill(input.html, true),
    }
    assertRendered(problems)
    return deliver(ctx, message)
  },
})
