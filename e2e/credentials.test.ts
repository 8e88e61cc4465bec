// Browser journeys through the credentials pages: configuring a tool's credential (with the mouse and
// with the keyboard alone), checking it, troubleshooting one that fails until it passes, deleting one,
// and axe on the list, the detail, the edit form and the troubleshooter in every theme. The tool's
// API is a stand-in on 127.0.0.1 that accepts one bearer token and answers 401 to any other.
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { BrowserApp } from './browser.js'
import { expectNoSeriousViolations, haveChromium, startBrowserApp, themes } from './browser.js'

// The few browser globals used by the functions handed to the page: they run there, not here.
interface FocusedElement {
  readonly tagName: string
  readonly type?: string
  readonly textContent: string | null
  readonly labels?: ArrayLike<{ readonly textContent: string | null }> | null
  getAttribute(name: string): string | null
}
declare const document: {
  readonly activeElement: FocusedElement | null
  getElementById(id: string): { readonly textContent: string | null } | null
}

const goodToken = 'good-token-0123456789'
const wrongToken = 'wrong-token-9876543210'

/** The stand-in API: 200 for the good token, 401 for anything else; it counts what it was sent. */
async function startUpstream(): Promise<{ url: string; server: Server; seen: string[] }> {
  const seen: string[] = []
  const server = createServer((request, response) => {
    seen.push(request.headers.authorization ?? '')
    const ok = request.headers.authorization === `Bearer ${goodToken}`
    response.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' })
    response.end(JSON.stringify(ok ? { ok: true } : { error: 'bad token' }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}/`, server, seen }
}

/** The accessible name of the focused element, as near as the journeys need it. */
async function focusedName(page: Page): Promise<string> {
  return page.evaluate(() => {
    const element = document.activeElement
    if (element === null) return ''
    const labelledBy = element.getAttribute('aria-labelledby')
    const label =
      element.getAttribute('aria-label') ??
      (labelledBy === null
        ? null
        : labelledBy
            .split(' ')
            .map((id) => document.getElementById(id)?.textContent ?? '')
            .join(' ')) ??
      (element.labels !== undefined && element.labels !== null && element.labels.length > 0
        ? (element.labels[0]?.textContent ?? '')
        : null) ??
      element.textContent ??
      ''
    return label.trim()
  })
}

/** Presses Tab until the focused element's name matches; fails after `limit` presses. */
async function tabTo(page: Page, name: RegExp, limit = 40): Promise<void> {
  for (let i = 0; i < limit; i++) {
    await page.keyboard.press('Tab')
    if (name.test(await focusedName(page))) return
  }
  throw new Error(`Tab never reached ${String(name)}; it stopped at “${await focusedName(page)}”`)
}

describe.skipIf(!haveChromium)('credentials in a browser', () => {
  let app: BrowserApp
  let upstream: Awaited<ReturnType<typeof startUpstream>>

  beforeAll(async () => {
    upstream = await startUpstream()
    app = await startBrowserApp({ TOOLPLANE_ALLOW_PRIVATE_NETWORK: 'true' })
  })

  // Playwright's waits fail before the test's own time runs out, so a failure names the step.
  const newPage = async (options: Parameters<BrowserApp['newPage']>[0] = {}) => {
    const page = await app.newPage(options)
    page.setDefaultTimeout(10_000)
    return page
  }

  afterAll(async () => {
    await app.close()
    await new Promise((resolve) => upstream.server.close(resolve))
  })

  it('configures a credential for the http tool and checks it', async () => {
    const page = await newPage()
    await page.goto('/credentials')
    await page.getByRole('heading', { name: 'No credentials yet' }).waitFor()
    await expectNoSeriousViolations(page, 'credentials, empty')

    await page.getByRole('button', { name: 'Connect your first tool' }).click()
    const tool = page.getByRole('combobox', { name: /Tool/ })
    await tool.fill('HTTP')
    await page.getByRole('option', { name: /HTTP \(http\)/ }).click()
    await page.getByText('Bearer token', { exact: true }).click()
    const token = page.getByLabel(/^Token/)
    expect(await token.getAttribute('type')).toBe('password')
    await token.fill(goodToken)
    await page.getByRole('textbox', { name: /^Name/ }).fill('Staging API')
    await page.getByRole('textbox', { name: /Base URL/ }).fill(upstream.url)
    await page.getByRole('button', { name: 'Save credential' }).click()

    await page.getByRole('heading', { level: 1, name: 'Staging API' }).waitFor()
    expect(new URL(page.url()).pathname).toMatch(/^\/credentials\/cred_/)
    const fields = page.getByRole('region', { name: 'Secret fields' })
    await expect(fields.textContent()).resolves.toContain('Set, ends with ••••6789')
    // The token itself is never on the page.
    expect(await page.content()).not.toContain(goodToken)
    await expect(page.getByRole('region', { name: 'Health' }).textContent()).resolves.toContain('Not checked')

    await page.getByRole('button', { name: 'Check now' }).click()
    await page.getByText('The check passed').waitFor()
    await expect(page.getByRole('region', { name: 'Health' }).textContent()).resolves.toContain('Healthy')
    expect(upstream.seen).toContain(`Bearer ${goodToken}`)
    await expect(
      page.getByRole('link', { name: 'Executions that used Staging API' }).getAttribute('href'),
    ).resolves.toMatch(/^\/executions\?credentialId=cred_/)

    await page
      .getByRole('navigation', { name: 'Breadcrumb' })
      .getByRole('link', { name: 'Credentials' })
      .click()
    const list = page.getByRole('list', { name: 'Credentials' })
    await list.waitFor()
    await expect(list.textContent()).resolves.toContain('Staging API')
    await expect(list.textContent()).resolves.toContain('Healthy')
  })

  it('adds and renames a credential with the keyboard alone', async () => {
    const page = await newPage()
    await page.goto('/credentials')
    await page.getByRole('list', { name: 'Credentials' }).waitFor()

    await tabTo(page, /^Add a credential$/)
    await page.keyboard.press('Enter')
    // The tool box takes focus when the form opens.
    await page.getByRole('combobox', { name: /Tool/ }).waitFor()
    expect(await focusedName(page)).toMatch(/^Tool/)
    await page.keyboard.type('HTTP')
    await page.getByRole('option', { name: /HTTP \(http\)/ }).waitFor()
    await page.keyboard.press('ArrowDown')
    await page.keyboard.press('Enter')
    await page.getByRole('radio', { name: 'Bearer token' }).waitFor()

    await tabTo(page, /^No authentication$/)
    await page.keyboard.press('ArrowDown')
    expect(await focusedName(page)).toBe('Bearer token')
    await tabTo(page, /^Name/)
    await page.keyboard.press('ControlOrMeta+A')
    await page.keyboard.type('Keyboard API')
    await tabTo(page, /^Token/)
    await page.keyboard.type(goodToken)
    await tabTo(page, /^Base URL/)
    await page.keyboard.type(upstream.url)
    await page.keyboard.press('Enter')

    await page.getByRole('heading', { level: 1, name: 'Keyboard API' }).waitFor()
    await tabTo(page, /^Edit$/)
    await page.keyboard.press('Enter')
    await page.getByRole('heading', { name: 'Edit Keyboard API' }).waitFor()
    expect(await focusedName(page)).toMatch(/^Name/)
    await page.keyboard.press('ControlOrMeta+A')
    await page.keyboard.type('Keyboard API (renamed)')
    await page.keyboard.press('Enter')
    await page.getByRole('heading', { level: 1, name: 'Keyboard API (renamed)' }).waitFor()
    await page.getByText('Changes saved.').waitFor()
    // Focus returns to the button that opened the form.
    expect(await focusedName(page)).toBe('Edit')

    await tabTo(page, /^Check now$/)
    await page.keyboard.press('Enter')
    await page.getByText('The check passed').waitFor()
  })

  it('troubleshoots a failing credential until it passes, then deletes it', async () => {
    const credential = await app.server.app.credentials.create(app.workspaceId, {
      tool: 'http',
      name: 'Flaky API',
      authMethod: 'bearer',
      secrets: { token: wrongToken },
      baseUrl: upstream.url,
    })
    const page = await newPage()
    await page.goto(`/credentials/${credential.id}`)
    await page.getByRole('heading', { level: 1, name: 'Flaky API' }).waitFor()
    await page.getByRole('button', { name: 'Check now' }).click()
    await page.getByText(/The check failed/).waitFor()
    await expect(page.getByRole('region', { name: 'Health' }).textContent()).resolves.toContain('Invalid')

    await page.getByRole('button', { name: 'Troubleshoot' }).click()
    expect(new URL(page.url()).search).toBe('?troubleshoot=1')
    const troubleshooter = page.getByRole('region', { name: 'Troubleshoot' })
    await troubleshooter.getByText(/checks failed\./).waitFor()
    await troubleshooter.getByRole('heading', { name: 'Step 1 of 1: Health check' }).waitFor()
    const checks = troubleshooter.getByRole('list')
    await expect(checks.textContent()).resolves.toMatch(/PassedSecrets are present/)
    await expect(checks.textContent()).resolves.toMatch(/SkippedTLS certificate/)
    await expect(checks.textContent()).resolves.toMatch(/FailedHealth check/)

    await troubleshooter.getByRole('button', { name: 'Edit the secrets' }).click()
    const token = page.getByLabel('Token')
    await expect.poll(() => token.evaluate((element) => element === document.activeElement)).toBe(true)
    await token.fill(goodToken)
    await page.getByRole('button', { name: 'Save', exact: true }).click()
    await page.getByText('Changes saved.').waitFor()

    await troubleshooter.getByRole('button', { name: 'Run checks again' }).first().click()
    await troubleshooter.getByText(/^All checks passed/).waitFor()
    await troubleshooter.getByText(/Every check passed: Flaky API/).waitFor()

    // Opening the page with ?troubleshoot=1 runs the checks at once.
    await page.goto(`/credentials/${credential.id}?troubleshoot=1`)
    await page
      .getByRole('region', { name: 'Troubleshoot' })
      .getByText(/^All checks passed/)
      .waitFor()

    await page.getByRole('button', { name: 'Delete' }).click()
    const dialog = page.getByRole('alertdialog', { name: 'Delete “Flaky API”?' })
    await dialog.waitFor()
    await dialog.getByRole('button', { name: 'Delete Flaky API' }).click()
    await page.getByText('“Flaky API” was deleted.').waitFor()
    expect(new URL(page.url()).pathname).toBe('/credentials')
    await expect(page.getByRole('list', { name: 'Credentials' }).textContent()).resolves.not.toContain(
      'Flaky API',
    )
    await expect(app.server.app.credentials.get(app.workspaceId, credential.id)).rejects.toThrow()
  })

  it('opens "add a credential" for the tool named in the address', async () => {
    const page = await newPage()
    await page.goto('/credentials?tool=http')
    // The field is there before the catalog that names the tool has loaded: wait for its value.
    await expect.poll(() => page.getByRole('combobox', { name: /Tool/ }).inputValue()).toBe('HTTP')
    await page.getByRole('radio', { name: 'Bearer token' }).waitFor()
    await page.getByRole('button', { name: 'Cancel adding' }).click()
    expect(new URL(page.url()).search).toBe('')
  })

  it.each(themes)('has no serious or critical accessibility violation in the $name theme', async (theme) => {
    const credential = await app.server.app.credentials.create(app.workspaceId, {
      tool: 'http',
      name: `Axe ${theme.name}`,
      authMethod: 'bearer',
      secrets: { token: wrongToken },
      baseUrl: upstream.url,
    })
    const page = await newPage(theme.options)
    await page.goto('/credentials')
    await page.getByRole('list', { name: 'Credentials' }).waitFor()
    await expectNoSeriousViolations(page, `credentials list, ${theme.name}`)
    await page.getByRole('button', { name: 'Add a credential' }).click()
    await page.getByRole('combobox', { name: /Tool/ }).fill('HTTP')
    await page.getByRole('option', { name: /HTTP \(http\)/ }).click()
    await page.getByText('Bearer token', { exact: true }).click()
    await expectNoSeriousViolations(page, `add a credential, ${theme.name}`)

    await page.goto(`/credentials/${credential.id}`)
    await page.getByRole('heading', { level: 1, name: `Axe ${theme.name}` }).waitFor()
    await expectNoSeriousViolations(page, `credential, ${theme.name}`)
    await page.getByRole('button', { name: 'Edit' }).click()
    await page.getByLabel('Token').waitFor()
    await expectNoSeriousViolations(page, `edit form, ${theme.name}`)

    await page.goto(`/credentials/${credential.id}?troubleshoot=1`)
    await page.getByRole('heading', { name: /^Step 1 of/ }).waitFor()
    await expectNoSeriousViolations(page, `troubleshooter, ${theme.name}`)

    await page.getByRole('button', { name: 'Delete' }).click()
    await page.getByRole('alertdialog').waitFor()
    await expectNoSeriousViolations(page, `delete dialog, ${theme.name}`)
  })

  it('works on a phone without sideways scrolling', async () => {
    const page = await newPage({ viewport: { width: 360, height: 740 } })
    await page.goto('/credentials')
    await page.getByRole('list', { name: 'Credentials' }).waitFor()
    const wide = () =>
      page.evaluate(
        () =>
          (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } }).document
            .documentElement.scrollWidth,
      )
    expect(await wide()).toBeLessThanOrEqual(360)
    await page.getByRole('list', { name: 'Credentials' }).getByRole('link').first().click()
    await page.getByRole('heading', { level: 1 }).waitFor()
    await page.getByRole('button', { name: 'Troubleshoot' }).click()
    await page
      .getByRole('region', { name: 'Troubleshoot' })
      .getByText(/checks (failed|passed)/)
      .waitFor()
    expect(await wide()).toBeLessThanOrEqual(360)
  })

  it('saw no script errors or CSP refusals', () => {
    expect(app.problems).toEqual([])
  })
})
