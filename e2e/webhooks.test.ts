// Browser journeys through webhooks, API keys and settings: configure an endpoint in the UI, copy the
// signing secret it shows once, send a test event to a receiver on 127.0.0.1 that verifies the
// Standard Webhooks signature with that secret, watch the delivery in the log, make the receiver fail
// and replay; create an API key, use it, revoke it; rename the workspace. Axe checks each page in the
// three themes.
import { createServer } from 'node:http'
import type { IncomingHttpHeaders, Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Page } from 'playwright-core'
import { Webhook } from 'standardwebhooks'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { BrowserApp } from './browser.js'
import { expectNoSeriousViolations, haveChromium, startBrowserApp, themes } from './browser.js'

// The few browser globals used by the functions handed to the page: they run there, not here.
declare const document: {
  readonly documentElement: {
    readonly dataset: Record<string, string | undefined>
    readonly scrollWidth: number
  }
}
declare const window: { readonly innerWidth: number }
declare const navigator: { readonly clipboard: { readText(): Promise<string> } }

interface Received {
  readonly headers: IncomingHttpHeaders
  readonly body: string
  /** The status the receiver answered. */
  readonly status: number
}

/** A webhook receiver on 127.0.0.1 that records every request and answers `status`. */
async function startReceiver() {
  const requests: Received[] = []
  const state = { status: 204 }
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      const status = state.status
      requests.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8'), status })
      response.writeHead(status, { 'content-type': 'text/plain' })
      response.end(status >= 400 ? 'receiver is down for the test' : '')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/toolplane-events`,
    requests,
    state,
    close: () =>
      new Promise<void>((resolve) =>
        server.close(() => {
          resolve()
        }),
      ),
  }
}

/** Whether `received` carries a valid Standard Webhooks signature under `secret`. */
function verifies(secret: string, received: Received): boolean {
  const headers: Record<string, string> = {}
  for (const name of ['webhook-id', 'webhook-timestamp', 'webhook-signature']) {
    const value = received.headers[name]
    if (typeof value === 'string') headers[name] = value
  }
  try {
    new Webhook(secret).verify(received.body, headers)
    return true
  } catch {
    return false
  }
}

/** Checks the page as it is now with axe in the three themes, switching the system's preferences. */
async function checkThemes(page: Page, label: string): Promise<void> {
  for (const theme of themes) {
    await page.emulateMedia({
      colorScheme: theme.options.colorScheme ?? 'light',
      contrast: theme.options.contrast ?? 'no-preference',
    })
    await page.waitForFunction(
      (expected) => document.documentElement.dataset.theme === expected,
      theme.expected,
    )
    await expectNoSeriousViolations(page, `${label}, ${theme.name}`)
  }
}

describe.skipIf(!haveChromium)('webhooks, API keys and settings in a browser', () => {
  let app: BrowserApp
  let receiver: Awaited<ReturnType<typeof startReceiver>>
  let secret = ''
  let webhookPath = ''

  beforeAll(async () => {
    receiver = await startReceiver()
    app = await startBrowserApp({
      TOOLPLANE_ALLOW_PRIVATE_NETWORK: 'true',
      // One attempt: a failing delivery fails at once, so the journey can replay it.
      TOOLPLANE_WEBHOOK_RETRY_SCHEDULE: '0s',
    })
  })

  afterAll(async () => {
    await app.close()
    await receiver.close()
  })

  /** A signed-in page whose waits fail after 10 s, so a failure names the step rather than the test. */
  const open = async () => {
    const page = await app.newPage()
    page.setDefaultTimeout(10_000)
    return page
  }

  it('adds an endpoint and shows its signing secret once, to copy', { timeout: 90_000 }, async () => {
    const page = await open()
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: app.base })
    await page.goto('/webhooks')
    await page.getByRole('heading', { name: 'No webhook endpoints yet' }).waitFor()
    await page.getByRole('button', { name: 'Add endpoint' }).click()

    const form = page.getByRole('form', { name: 'Add endpoint' })
    await form.getByLabel('Endpoint URL').fill(receiver.url)
    await form.getByText('Only the events I choose').click()
    // The checkbox itself is visually hidden inside its label; click the label, as a user would.
    await form.getByText('execution.failed', { exact: true }).click()
    expect(await form.getByRole('checkbox', { name: /execution\.failed/ }).isChecked()).toBe(true)
    // A misspelt pattern is caught on its field before anything is sent.
    await form.getByLabel('More patterns (optional)').fill('credential.*\nexecution.succeded')
    await form.getByRole('button', { name: 'Add endpoint' }).click()
    await form.getByText('“execution.succeded” matches no event type').waitFor()
    await form.getByLabel('More patterns (optional)').fill('credential.*')
    await form.getByRole('button', { name: 'Add endpoint' }).click()

    await page.getByRole('heading', { name: 'Copy the signing secret now' }).waitFor()
    await expect(page.getByText('You will not see this again.').count()).resolves.toBe(1)
    await page.getByRole('button', { name: 'Copy' }).click()
    await page.getByText('Copied to the clipboard.').waitFor()
    secret = await page.evaluate(() => navigator.clipboard.readText())
    expect(secret).toMatch(/^whsec_/)
    expect(await page.getByRole('textbox', { name: 'Signing secret' }).inputValue()).toBe(secret)
    await checkThemes(page, 'webhooks, secret shown')

    await page.getByRole('link', { name: 'I have stored it: go to the endpoint' }).click()
    await page.getByRole('heading', { level: 1, name: receiver.url }).waitFor()
    webhookPath = new URL(page.url()).pathname
    expect(webhookPath).toMatch(/^\/webhooks\/wh_/)
    // The secret is never shown again.
    await expect(page.getByText(secret).count()).resolves.toBe(0)
    await expect(page.getByText('credential.*').count()).resolves.toBe(1)

    await page.goto('/webhooks')
    const list = page.getByRole('list', { name: 'Webhook endpoints' })
    await list.waitFor()
    await expect(list.getByRole('listitem').textContent()).resolves.toContain('Enabled')
    await checkThemes(page, 'webhooks list')
  })

  it(
    'sends a test event that the receiver verifies with the secret the UI showed',
    { timeout: 90_000 },
    async () => {
      const page = await open()
      await page.goto(webhookPath)
      await page.getByRole('heading', { name: 'No deliveries yet' }).waitFor()
      await page.getByRole('button', { name: 'Send test event' }).click()
      await page.getByText('Test event delivered: the endpoint answered HTTP 204.').waitFor()

      expect(receiver.requests).toHaveLength(1)
      const received = receiver.requests[0]!
      expect(verifies(secret, received)).toBe(true)
      expect(verifies('whsec_' + Buffer.alloc(24, 1).toString('base64'), received)).toBe(false)
      expect((JSON.parse(received.body) as { type: string }).type).toBe('webhook.test')

      const deliveries = page.getByRole('list', { name: 'Deliveries' })
      const item = deliveries
        .getByRole('listitem')
        .filter({ hasText: String(received.headers['webhook-id']) })
      await item.getByText('Delivered').waitFor()
      await expect(item.textContent()).resolves.toContain('webhook.test')
      await item.getByRole('button', { name: /Attempts and payload/ }).click()
      await item.getByText('Succeeded · HTTP 204').waitFor()
      await checkThemes(page, 'webhook page with deliveries')
    },
  )

  it('shows a failed delivery when the receiver fails, and replays it', { timeout: 90_000 }, async () => {
    const page = await open()
    await page.goto(webhookPath)
    await page.getByRole('list', { name: 'Deliveries' }).waitFor()
    receiver.state.status = 500
    await page.getByRole('button', { name: 'Send test event' }).click()
    await page.getByText(/Test event failed/).waitFor()
    const failedRequest = receiver.requests.at(-1)!
    expect(failedRequest.status).toBe(500)
    const messageId = String(failedRequest.headers['webhook-id'])

    // Only failed deliveries: the one that just failed.
    await page.getByRole('radiogroup', { name: 'Show' }).getByText('Failed', { exact: true }).click()
    await page.waitForURL(/status=failed/)
    const failedOnly = page.getByRole('list', { name: 'Deliveries' }).getByRole('listitem')
    await expect.poll(() => failedOnly.count()).toBe(1)
    await expect(failedOnly.textContent()).resolves.toContain(messageId)
    await page.getByRole('radiogroup', { name: 'Show' }).getByText('All', { exact: true }).click()

    receiver.state.status = 204
    const item = page
      .getByRole('list', { name: 'Deliveries' })
      .getByRole('listitem')
      .filter({ hasText: messageId })
    // The status reads "✕ Failed"; the attempts (with their own "Failed") are not open yet.
    await item.getByText('Failed').waitFor()
    await item.getByRole('button', { name: 'Replay' }).click()
    await item.getByText('Delivered').waitFor()

    const replayed = receiver.requests.at(-1)!
    expect(replayed.headers['webhook-id']).toBe(messageId)
    expect(replayed.body).toBe(failedRequest.body)
    expect(verifies(secret, replayed)).toBe(true)

    await item.getByRole('button', { name: /Attempts and payload/ }).click()
    const attempts = item.getByRole('list', { name: 'Attempts' }).getByRole('listitem')
    await attempts.nth(1).waitFor()
    await expect(attempts.nth(0).textContent()).resolves.toContain('Failed · HTTP 500')
    await expect(attempts.nth(1).textContent()).resolves.toContain('Succeeded · HTTP 204')
    await attempts.nth(0).getByText('Response from the endpoint').click()
    await attempts.nth(0).getByText('receiver is down for the test').waitFor()
  })

  it('creates an API key that works once shown, and revokes it', { timeout: 90_000 }, async () => {
    const page = await open()
    await page.goto('/api-keys')
    await page.getByRole('list', { name: 'API keys' }).waitFor()
    await page.getByRole('button', { name: 'Create API key' }).click()
    await page.getByLabel('Name').fill('journey bot')
    await page.getByText('tools:read', { exact: true }).click()
    expect(await page.getByRole('checkbox', { name: /tools:read/ }).isChecked()).toBe(true)
    await page.getByRole('button', { name: 'Create key' }).click()
    await page.getByRole('heading', { name: 'Copy the key “journey bot” now' }).waitFor()
    const key = await page.getByRole('textbox', { name: 'API key' }).inputValue()
    expect(key).toMatch(/^tp_/)

    const me = await fetch(`${app.base}/v1/me`, { headers: { authorization: `Bearer ${key}` } })
    expect(me.status).toBe(200)
    expect(((await me.json()) as { principal: { name: string } }).principal.name).toBe('journey bot')

    await page.getByRole('button', { name: 'Done' }).click()
    const item = page
      .getByRole('list', { name: 'API keys' })
      .getByRole('listitem')
      .filter({ hasText: 'journey bot' })
    await expect(item.textContent()).resolves.toContain('tools:read')
    await checkThemes(page, 'API keys')

    await item.getByRole('button', { name: 'Revoke journey bot' }).click()
    const dialog = page.getByRole('alertdialog', { name: 'Revoke the key “journey bot”?' })
    await dialog.waitFor()
    await dialog.getByRole('button', { name: 'Revoke key' }).click()
    await dialog.waitFor({ state: 'detached' })
    await item.waitFor({ state: 'detached' })

    const after = await fetch(`${app.base}/v1/me`, { headers: { authorization: `Bearer ${key}` } })
    expect(after.status).toBe(401)
  })

  it('renames the workspace in the settings', { timeout: 90_000 }, async () => {
    const page = await open()
    await page.goto('/settings')
    const name = page.getByRole('textbox', { name: 'Workspace name' })
    await name.waitFor()
    await checkThemes(page, 'settings')
    await name.fill('')
    await page.getByRole('button', { name: 'Save settings' }).click()
    await page.getByText('Enter a name for the workspace.').waitFor()
    await name.fill('Acme Robotics')
    await page.getByRole('button', { name: 'Save settings' }).click()
    await page.getByText('Settings saved.').waitFor()
    await page.locator('.account-workspace', { hasText: 'Acme Robotics' }).waitFor()
    const workspace = await app.server.app.services.workspaces.get(app.workspaceId)
    expect(workspace.name).toBe('Acme Robotics')
    await page.reload()
    expect(await page.getByRole('textbox', { name: 'Workspace name' }).inputValue()).toBe('Acme Robotics')
  })

  it('fits a 360 px wide screen without sideways scrolling', { timeout: 90_000 }, async () => {
    const page = await app.newPage({ viewport: { width: 360, height: 740 } })
    for (const path of ['/webhooks', webhookPath, '/api-keys', '/settings']) {
      await page.goto(path)
      await page.getByRole('heading', { level: 1 }).waitFor()
      await page.locator('.skeleton-page, .skeleton-list').first().waitFor({ state: 'detached' })
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
      expect(overflow, path).toBeLessThanOrEqual(0)
    }
  })

  it('raised no script errors or CSP refusals', () => {
    expect(app.problems).toEqual([])
  })
})
