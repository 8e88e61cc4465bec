import { readFileSync } from 'node:fs'
import net from 'node:net'
import type { AddressInfo } from 'node:net'
import { ActionError, runAction, runHealthCheck, validate, validateTool } from '@toolplane/sdk'
import { actionErrorOf } from '@toolplane/sdk/testing'
import type { CredentialView } from '@toolplane/sdk'
import { SMTPServer } from 'smtp-server'
import type { SMTPServerOptions } from 'smtp-server'
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import smtp from './index.js'
import { smtpError } from './connection.js'

// ---------------------------------------------------------------------------------------------
// A real SMTP server in the test process: it checks AUTH PLAIN/LOGIN credentials, refuses some
// recipients the way a mail server does (550 unknown user, 451 greylisting), and keeps every message.

interface Received {
  from: string
  recipients: string[]
  user: unknown
  raw: string
}

const received: Received[] = []

function replyError(message: string, responseCode: number): Error {
  return Object.assign(new Error(message), { responseCode })
}

const serverOptions: SMTPServerOptions = {
  logger: false,
  disableReverseLookup: true,
  authOptional: true,
  allowInsecureAuth: true,
  disabledCommands: ['STARTTLS'],
  onAuth(auth, _session, callback) {
    if (['mailer', 'mailer@acme.example'].includes(auth.username ?? '') && auth.password === 's3cret') {
      callback(null, { user: auth.username })
    } else callback(replyError('Authentication credentials invalid', 535))
  },
  onRcptTo(address, _session, callback) {
    if (address.address.endsWith('@unknown.example')) callback(replyError('5.1.1 No such user here', 550))
    else if (address.address.startsWith('later@'))
      callback(replyError('4.7.1 Greylisted, try again later', 451))
    else if (address.address.endsWith('@elsewhere.example'))
      callback(replyError('5.7.1 Relaying denied', 554))
    else callback()
  },
  onData(stream, session, callback) {
    const chunks: Buffer[] = []
    stream.on('data', (chunk: Buffer) => chunks.push(chunk))
    stream.on('end', () => {
      received.push({
        from: session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address,
        recipients: session.envelope.rcptTo.map((rcpt) => rcpt.address),
        user: session.user,
        raw: Buffer.concat(chunks).toString('utf8'),
      })
      callback(null, 'Ok: queued as 4F2A1')
    })
  },
}

async function listen(server: SMTPServer): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return (server.server.address() as AddressInfo).port
}

async function close(server: SMTPServer): Promise<void> {
  await new Promise<void>((resolve) => {
    server.close(() => {
      resolve()
    })
  })
}

// A small MIME reader: enough to find headers, the text and HTML parts, and attachments.
interface Part {
  headers: Record<string, string>
  body: string
  parts: Part[]
}

function decodeBody(body: string, encoding: string | undefined): string {
  if (encoding === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('latin1')
  if (encoding === 'quoted-printable') {
    const bytes = body
      .replace(/=\r?\n/g, '')
      .replace(/=([0-9A-F]{2})/gi, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)))
    return Buffer.from(bytes, 'latin1').toString('utf8')
  }
  return body
}

function parseMime(raw: string): Part {
  const split = raw.indexOf('\r\n\r\n')
  const head = split === -1 ? raw : raw.slice(0, split)
  const body = split === -1 ? '' : raw.slice(split + 4)
  const headers: Record<string, string> = {}
  for (const line of head.replace(/\r\n[ \t]+/g, ' ').split('\r\n')) {
    const colon = line.indexOf(':')
    if (colon > 0) headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim()
  }
  const boundary = /boundary="?([^";]+)"?/.exec(headers['content-type'] ?? '')?.[1]
  if (boundary === undefined) {
    return { headers, body: decodeBody(body, headers['content-transfer-encoding']), parts: [] }
  }
  const parts = body
    .split(`--${boundary}`)
    .slice(1, -1)
    .map((chunk) => parseMime(chunk.replace(/^\r\n/, '').replace(/\r\n$/, '')))
  return { headers, body: '', parts }
}

function leaves(part: Part): Part[] {
  return part.parts.length === 0 ? [part] : part.parts.flatMap(leaves)
}

function message(index = -1) {
  const mail = received.at(index)
  expect(mail).toBeDefined()
  const root = parseMime(mail?.raw ?? '')
  const all = leaves(root)
  const byType = (type: string) =>
    all.find(
      (part) =>
        (part.headers['content-type'] ?? '').startsWith(type) &&
        part.headers['content-disposition'] === undefined,
    )
  return {
    envelope: mail,
    headers: root.headers,
    text: byType('text/plain')?.body.replace(/\r\n/g, '\n'),
    html: byType('text/html')?.body,
    attachments: all.filter((part) => part.headers['content-disposition'] !== undefined),
  }
}

// ---------------------------------------------------------------------------------------------

let plain: SMTPServer
let plainPort: number
let implicitTls: SMTPServer
let implicitTlsPort: number
let startTls: SMTPServer
let startTlsPort: number
const key = readFileSync(new URL('./fixtures/localhost-key.pem', import.meta.url))
const cert = readFileSync(new URL('./fixtures/localhost-cert.pem', import.meta.url))

beforeAll(async () => {
  plain = new SMTPServer(serverOptions)
  plainPort = await listen(plain)
  implicitTls = new SMTPServer({ ...serverOptions, secure: true, key, cert })
  implicitTls.on('error', () => undefined)
  implicitTlsPort = await listen(implicitTls)
  startTls = new SMTPServer({ ...serverOptions, disabledCommands: [], key, cert })
  startTls.on('error', () => undefined)
  startTlsPort = await listen(startTls)
})
afterAll(async () => {
  await close(plain)
  await close(implicitTls)
  await close(startTls)
})
beforeEach(() => {
  received.length = 0
})

const credentialFor = (overrides: Record<string, unknown> = {}): CredentialView => ({
  authMethod: 'smtp',
  secrets: {
    host: '127.0.0.1',
    port: plainPort,
    starttls: false,
    username: 'mailer',
    password: 's3cret',
    from: 'Acme Billing <billing@acme.example>',
    ...overrides,
  },
})

function run<N extends 'send_email' | 'send_template' | 'verify_connection'>(
  action: N,
  input: Record<string, unknown>,
  credential = credentialFor(),
) {
  return runAction(smtp, action, { input, credential, allowPrivateNetwork: true })
}

describe('smtp.send_email', () => {
  it('delivers a message with both bodies, an attachment and custom headers', async () => {
    const pdf = Buffer.from('%PDF-1.4\n% invoice 1042\n')
    const { output } = await run('send_email', {
      to: ['ada@example.com'],
      cc: ['books@example.com'],
      bcc: ['audit@example.com'],
      replyTo: 'help@acme.example',
      subject: 'Your invoice #1042',
      text: 'Hello Ada,\nyour invoice is attached.',
      html: '<p>Hello Ada,</p><p>your invoice is attached.</p>',
      attachments: [
        {
          filename: 'invoice-1042.pdf',
          contentType: 'application/pdf',
          contentBase64: pdf.toString('base64'),
        },
      ],
      headers: { 'X-Campaign': 'invoices-june', 'List-Unsubscribe': '<mailto:unsubscribe@acme.example>' },
    })
    const mail = message()
    expect(mail.envelope).toMatchObject({
      from: 'billing@acme.example',
      recipients: ['ada@example.com', 'books@example.com', 'audit@example.com'],
      user: 'mailer',
    })
    expect(mail.headers.from).toBe('Acme Billing <billing@acme.example>')
    expect(mail.headers.to).toBe('ada@example.com')
    expect(mail.headers.cc).toBe('books@example.com')
    expect(mail.headers.bcc).toBeUndefined()
    expect(mail.headers['reply-to']).toBe('help@acme.example')
    expect(mail.headers.subject).toBe('Your invoice #1042')
    expect(mail.headers['x-campaign']).toBe('invoices-june')
    expect(mail.headers['list-unsubscribe']).toBe('<mailto:unsubscribe@acme.example>')
    expect(mail.text).toBe('Hello Ada,\nyour invoice is attached.')
    expect(mail.html).toBe('<p>Hello Ada,</p><p>your invoice is attached.</p>')
    expect(mail.attachments).toHaveLength(1)
    expect(mail.attachments[0]?.headers['content-type']).toContain('application/pdf')
    expect(mail.attachments[0]?.headers['content-disposition']).toContain('invoice-1042.pdf')
    expect(mail.attachments[0]?.body).toBe(pdf.toString('latin1'))

    expect(output.messageId).toBe(mail.headers['message-id'])
    expect(output.accepted).toEqual(['ada@example.com', 'books@example.com', 'audit@example.com'])
    expect(output.rejected).toEqual([])
    expect(output.response).toContain('queued as 4F2A1')
  })

  it('sends an inline image referenced by its content id', async () => {
    await run('send_email', {
      to: ['ada@example.com'],
      subject: 'Logo',
      html: '<img src="cid:logo@acme">',
      attachments: [
        {
          filename: 'logo.png',
          contentType: 'image/png',
          contentBase64: 'iVBORw0KGgo=',
          contentId: 'logo@acme',
        },
      ],
    })
    const inline = leaves(parseMime(received[0]?.raw ?? '')).find(
      (part) => part.headers['content-id'] !== undefined,
    )
    expect(inline?.headers['content-id']).toBe('<logo@acme>')
  })

  it('uses the message sender over the credential default, or the username when it is an address', async () => {
    await run('send_email', { to: ['ada@example.com'], subject: 'Hi', text: 'x', from: 'ops@acme.example' })
    expect(message().headers.from).toBe('ops@acme.example')
    await run(
      'send_email',
      { to: ['ada@example.com'], subject: 'Hi', text: 'x' },
      credentialFor({ from: undefined, username: 'mailer@acme.example' }),
    )
    expect(message().headers.from).toBe('mailer@acme.example')
    const error = await actionErrorOf(
      run(
        'send_email',
        { to: ['ada@example.com'], subject: 'Hi', text: 'x' },
        credentialFor({ from: undefined, username: undefined, password: undefined }),
      ),
    )
    expect(error.class).toBe('validation_error')
    expect(error.message).toContain('no sender')
    expect(received).toHaveLength(2)
  })

  it('sends without logging in when the credential has no username', async () => {
    await run(
      'send_email',
      { to: ['ada@example.com'], subject: 'Hi', text: 'anonymous relay' },
      credentialFor({ username: undefined, password: undefined }),
    )
    expect(message().envelope?.user).toBeUndefined()
  })

  it('reports a refused recipient and still delivers to the others', async () => {
    const { output } = await run('send_email', {
      to: ['ada@example.com', 'ghost@unknown.example'],
      subject: 'Hi',
      text: 'x',
    })
    expect(output.accepted).toEqual(['ada@example.com'])
    expect(output.rejected).toEqual(['ghost@unknown.example'])
    expect(output.rejections).toEqual([
      { recipient: 'ghost@unknown.example', response: expect.stringContaining('550') as unknown },
    ])
    expect(message().envelope?.recipients).toEqual(['ada@example.com'])
  })

  it('fails with validation_error, not retried, when every recipient is refused for good', async () => {
    const error = await actionErrorOf(
      run('send_email', { to: ['ghost@unknown.example'], subject: 'Hi', text: 'x' }),
    )
    expect(error.class).toBe('validation_error')
    expect(error.retryable).toBe(false)
    expect(error.requestSent).toBe(false)
    expect(received).toHaveLength(0)
  })

  it('fails with upstream_unavailable, retried, when the refusal is temporary', async () => {
    const error = await actionErrorOf(
      run('send_email', { to: ['later@example.com'], subject: 'Hi', text: 'x' }),
    )
    expect(error.class).toBe('upstream_unavailable')
    expect(error.retryable).toBe(true)
  })

  it('fails with permission_error when the server will not relay', async () => {
    const error = await actionErrorOf(
      run('send_email', { to: ['bob@elsewhere.example'], subject: 'Hi', text: 'x' }),
    )
    expect(error.class).toBe('permission_error')
  })

  it('fails with auth_error for a wrong password, before sending anything', async () => {
    const error = await actionErrorOf(
      run(
        'send_email',
        { to: ['ada@example.com'], subject: 'Hi', text: 'x' },
        credentialFor({ password: 'wrong' }),
      ),
    )
    expect(error.class).toBe('auth_error')
    expect(error.requestSent).toBe(false)
    expect(error.message).toContain('535')
    expect(received).toHaveLength(0)
  })

  it.each([
    [{ to: ['ada@example.com'], subject: 'Hi' }, 'no body'],
    [
      { to: ['ada@example.com'], subject: 'Hi', text: 'x', headers: { Bcc: 'spy@example.com' } },
      'Bcc header',
    ],
    [
      { to: ['ada@example.com'], subject: 'Hi', text: 'x', headers: { 'Bad Name': 'x' } },
      'not a valid header name',
    ],
  ])('refuses %j with validation_error before connecting', async (input, text) => {
    const error = await actionErrorOf(run('send_email', input))
    expect(error.class).toBe('validation_error')
    expect(error.message).toContain(text)
  })

  it('refuses invalid addresses through the input schema', async () => {
    const error = await actionErrorOf(run('send_email', { to: ['not an address'], subject: 'Hi', text: 'x' }))
    expect(error.class).toBe('validation_error')
  })
})

describe('smtp.send_template', () => {
  it('fills in the placeholders, escaping HTML only in the HTML body', async () => {
    const { output } = await run('send_template', {
      to: ['ada@example.com'],
      subject: 'Welcome, {{user.name}}!',
      text: 'Hi {{user.name}}, your {{plan}} plan has {{seats}} seats.',
      html: '<p>Hi {{user.name}}, your <b>{{plan}}</b> plan.</p>{{{footer}}}',
      variables: {
        user: { name: 'Ada <Admin>' },
        plan: 'Pro & Co',
        seats: 5,
        footer: '<hr><small>Acme</small>',
      },
    })
    const mail = message()
    expect(mail.headers.subject).toBe('Welcome, Ada <Admin>!')
    expect(mail.text).toBe('Hi Ada <Admin>, your Pro & Co plan has 5 seats.')
    expect(mail.html).toBe(
      '<p>Hi Ada &lt;Admin&gt;, your <b>Pro &amp; Co</b> plan.</p><hr><small>Acme</small>',
    )
    expect(output.accepted).toEqual(['ada@example.com'])
  })

  it('keeps a line break in a variable out of the Subject header', async () => {
    await run('send_template', {
      to: ['ada@example.com'],
      subject: 'Hello {{name}}',
      text: 'x',
      variables: { name: 'Ada\r\nBcc: spy@example.com' },
    })
    const mail = message()
    expect(mail.headers.subject).toBe('Hello Ada Bcc: spy@example.com')
    expect(mail.headers.bcc).toBeUndefined()
    expect(mail.envelope?.recipients).toEqual(['ada@example.com'])
  })

  it('fails with validation_error naming the missing variables, and sends nothing', async () => {
    const error = await actionErrorOf(
      run('send_template', {
        to: ['ada@example.com'],
        subject: 'Hi {{name}}',
        html: '<p>{{plan}}</p>',
        variables: {},
      }),
    )
    expect(error.class).toBe('validation_error')
    expect(error.message).toContain('no value for name, plan')
    expect(received).toHaveLength(0)
  })
})

describe('smtp.verify_connection', () => {
  it('logs in and reports how the connection is secured', async () => {
    const { output } = await run('verify_connection', {})
    expect(output).toEqual({
      ok: true,
      host: '127.0.0.1',
      port: plainPort,
      tls: 'if offered',
      authenticated: true,
    })
    expect(received).toHaveLength(0)
  })

  it('fails with auth_error for a wrong password', async () => {
    const error = await actionErrorOf(run('verify_connection', {}, credentialFor({ password: 'wrong' })))
    expect(error.class).toBe('auth_error')
  })

  it('fails with network_error, not retried, when STARTTLS is required but not offered', async () => {
    const error = await actionErrorOf(run('verify_connection', {}, credentialFor({ starttls: true })))
    expect(error.class).toBe('network_error')
    expect(error.retryable).toBe(false)
  })

  it('uses implicit TLS and refuses a certificate it cannot verify', async () => {
    const error = await actionErrorOf(
      run('verify_connection', {}, credentialFor({ host: 'localhost', port: implicitTlsPort, secure: true })),
    )
    expect(error.class).toBe('network_error')
    expect(error.retryable).toBe(false)
    expect(error.message).toMatch(/certificate/i)
  })

  it('uses implicit TLS and trusts the CA certificate of the credential', async () => {
    const { output } = await run(
      'verify_connection',
      {},
      credentialFor({
        host: 'localhost',
        port: implicitTlsPort,
        secure: true,
        caCertificate: cert.toString('utf8'),
      }),
    )
    expect(output).toMatchObject({ ok: true, port: implicitTlsPort, tls: 'implicit' })
  })

  it('upgrades with STARTTLS before logging in and sending', async () => {
    const credential = credentialFor({
      host: 'localhost',
      port: startTlsPort,
      starttls: true,
      caCertificate: cert.toString('utf8'),
    })
    const { output } = await run('verify_connection', {}, credential)
    expect(output.tls).toBe('starttls')
    const sent = await run(
      'send_email',
      { to: ['ada@example.com'], subject: 'Over TLS', text: 'x' },
      credential,
    )
    expect(sent.output.accepted).toEqual(['ada@example.com'])
    expect(message().headers.subject).toBe('Over TLS')
  })

  it('fails with network_error when the host name does not resolve', async () => {
    const error = await actionErrorOf(run('verify_connection', {}, credentialFor({ host: 'mail.invalid' })))
    expect(error.class).toBe('network_error')
  })

  it('fails with network_error when nothing listens, before sending anything', async () => {
    const closed = net.createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const { port } = closed.address() as AddressInfo
    await new Promise<void>((resolve) => {
      closed.close(() => {
        resolve()
      })
    })
    const error = await actionErrorOf(run('verify_connection', {}, credentialFor({ port })))
    expect(error.class).toBe('network_error')
    expect(error.requestSent).toBe(false)
  })
})

describe('the network rules', () => {
  it('refuses a loopback SMTP server unless private networks are allowed, without connecting', async () => {
    const spy = vi.spyOn(net.Socket.prototype, 'connect')
    try {
      const error = await actionErrorOf(
        runAction(smtp, 'send_email', {
          input: { to: ['ada@example.com'], subject: 'Hi', text: 'x' },
          credential: credentialFor({ host: 'localhost' }),
        }),
      )
      expect(error.class).toBe('permission_error')
      expect(error.requestSent).toBe(false)
      expect(spy).not.toHaveBeenCalled()
    } finally {
      spy.mockRestore()
    }
    expect(received).toHaveLength(0)
  })

  it('refuses an IPv6 loopback literal', async () => {
    const error = await actionErrorOf(
      runAction(smtp, 'verify_connection', { input: {}, credential: credentialFor({ host: '::1' }) }),
    )
    expect(error.class).toBe('permission_error')
  })

  it('connects when the address is in an allowed private range', async () => {
    const { output } = await runAction(smtp, 'verify_connection', {
      input: {},
      credential: credentialFor(),
      allowedPrivateRanges: ['127.0.0.0/8'],
    })
    expect(output.ok).toBe(true)
  })
})

describe('the smtp tool', () => {
  it('is a valid plugin with the smtp auth method', () => {
    expect(validateTool(smtp)).toEqual([])
    expect(smtp.authMethods.map((method) => method.id)).toEqual(['smtp'])
    expect(smtp.actions.map((action) => action.name)).toEqual([
      'send_email',
      'verify_connection',
      'send_template',
    ])
  })

  it.each(smtp.actions.map((action) => [action.name, action] as const))(
    'has a first example of %s that validates against its input schema',
    (_name, action) => {
      expect(validate(action.input, action.examples[0]?.input)).toMatchObject({ ok: true })
    },
  )

  it('passes the health check with a working login and fails it with auth_error for a wrong one', async () => {
    expect(
      await runHealthCheck(smtp, { credential: credentialFor(), allowPrivateNetwork: true }),
    ).toMatchObject({
      ok: true,
      checked: true,
    })
    expect(
      await runHealthCheck(smtp, {
        credential: credentialFor({ password: 'wrong' }),
        allowPrivateNetwork: true,
      }),
    ).toMatchObject({ ok: false, errorClass: 'auth_error' })
  })
})

describe('smtpError', () => {
  it.each([
    [{ code: 'ETIMEDOUT', message: 'Greeting never received' }, 'timeout'],
    [{ code: 'EABORT', message: 'aborted' }, 'cancelled'],
    [{ code: 'EDNS', message: 'getaddrinfo ENOTFOUND' }, 'network_error'],
    [{ code: 'ESOCKET', message: 'read ECONNRESET' }, 'network_error'],
    [{ code: 'EMESSAGE', responseCode: 552, response: '552 5.3.4 Message too big' }, 'validation_error'],
    [
      { code: 'EMESSAGE', responseCode: 554, response: '554 5.7.1 Message rejected as spam' },
      'permission_error',
    ],
    [{ code: 'EMESSAGE', responseCode: 554, response: '554 Transaction failed' }, 'upstream_error'],
    [{ code: 'EPROTOCOL', responseCode: 421, response: '421 Service not available' }, 'upstream_unavailable'],
    [{ code: 'EENVELOPE', message: 'No recipients defined' }, 'validation_error'],
    [{ code: 'EPROTOCOL', message: 'Invalid greeting' }, 'upstream_error'],
    [{ responseCode: 535, response: '' }, 'auth_error'],
    ['a plain string', 'upstream_error'],
  ])('maps %j to %s', (error, errorClass) => {
    expect(smtpError(error).class).toBe(errorClass)
  })

  it('passes an ActionError through unchanged', () => {
    const original = new ActionError('timeout', 'slow')
    expect(smtpError(original)).toBe(original)
  })
})
