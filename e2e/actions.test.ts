// Browser journeys through the action page: running http.request from the generated form (sync and
// async), an upstream failure shown with its recovery suggestions, fixed by editing the credential and
// retried to success, and axe on the form, a success and an error in every theme. The upstream is a
// stand-in on 127.0.0.1 that answers JSON to `Authorization: Bearer good-token` and 401 to anything else.
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { BrowserApp } from './browser.js'
import { expectNoSeriousViolations, haveChromium, startBrowserApp, themes } from './browser.js'

const goodToken = 'good-token'

/** The stand-in API: JSON for the good token, a 401 for any other; it records the paths it was sent. */
async function startUpstream(): Promise<{ url: string; server: Server; seen: string[] }> {
  const seen: string[] = []
  const server = createServer((request, response) => {
    seen.push(`${request.method ?? ''} ${request.url ?? ''}`)
    const ok = request.headers.authorization === `Bearer ${goodToken}`
    response.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' })
    response.end(JSON.stringify(ok ? { ok: true, path: request.url } : { error: 'bad token' }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}`, server, seen }
}

const actionPath = '/tools/http/actions/request'

describe.skipIf(!haveChromium)('running actions in a browser', () => {
  let app: BrowserApp
  let upstream: Awaited<ReturnType<typeof startUpstream>>
  /** Executions the journeys left behind, for the accessibility checks. */
  const seen: { succeeded?: string; failed?: string; credential?: string } = {}

  /** Creates a bearer credential for the http tool through the API. */
  async function createCredential(name: string, token: string): Promise<{ id: string }> {
    const key = await app.server.key(app.workspaceId, ['credentials:write'])
    const response = await app.server.app.inject({
      method: 'POST',
      url: '/v1/credentials',
      headers: { authorization: `Bearer ${key}` },
      payload: { tool: 'http', name, authMethod: 'bearer', secrets: { token } },
    })
    expect(response.statusCode).toBe(201)
    return response.json<{ id: string }>()
  }

  /** Fills method and URL through the form. */
  async function fillRequest(page: Page, path: string) {
    await page.getByRole('button', { name: /Method/ }).click()
    await page.getByRole('option', { name: 'GET', exact: true }).click()
    const url = page.getByRole('textbox', { name: /^URL/ })
    await url.fill(`${upstream.url}${path}`)
  }

  /** A page whose waits fail within the test's time, naming what they waited for. */
  async function open(options: Parameters<BrowserApp['newPage']>[0] = {}): Promise<Page> {
    const page = await app.newPage(options)
    page.setDefaultTimeout(10_000)
    return page
  }

  async function resultStatus(page: Page, text: string) {
    await page.locator('.result-announcement', { hasText: text }).waitFor()
  }

  beforeAll(async () => {
    upstream = await startUpstream()
    app = await startBrowserApp({ TOOLPLANE_ALLOW_PRIVATE_NETWORK: 'true' })
  })

  afterAll(async () => {
    await app.close()
    await new Promise((resolve) => upstream.server.close(resolve))
  })

  it('runs an action from the form, sync and async', async () => {
    const credential = await createCredential('Good token', goodToken)
    seen.credential = credential.id
    const page = await open()
    await page.goto('/tools/http')
    await page.getByRole('link', { name: /^Run Send an HTTP request/ }).click()
    await page.getByRole('heading', { level: 1, name: 'Send an HTTP request' }).waitFor()
    expect(new URL(page.url()).pathname).toBe(actionPath)

    await page.getByRole('button', { name: /Credential/ }).click()
    await page.getByRole('option', { name: /^Good token/ }).click()
    await fillRequest(page, '/items?sync=1')
    await page.getByRole('button', { name: 'Run', exact: true }).click()
    await resultStatus(page, 'Succeeded')
    const text = (await page.getByLabel('Output (JSON)').textContent()) ?? ''
    expect(JSON.parse(text)).toMatchObject({ status: 200, body: { ok: true, path: '/items?sync=1' } })
    const openLink = page.getByRole('link', { name: 'Open in executions' })
    const href = (await openLink.getAttribute('href')) ?? ''
    expect(href).toMatch(/^\/executions\?execution=/)
    seen.succeeded = decodeURIComponent(href.split('=')[1] ?? '')

    await page.getByText(/^Async: queue it/).click()
    expect(await page.getByRole('radio', { name: /^Async/ }).isChecked()).toBe(true)
    await page.getByRole('textbox', { name: /^URL/ }).fill(`${upstream.url}/items?async=1`)
    await page.getByRole('button', { name: 'Run', exact: true }).click()
    await resultStatus(page, 'Succeeded')
    await page.locator('.result-panel dd', { hasText: 'async' }).waitFor()
    expect(JSON.parse((await page.locator('pre.af-output').textContent()) ?? '')).toMatchObject({
      status: 200,
      body: { path: '/items?async=1' },
    })
    expect(upstream.seen).toContain('GET /items?async=1')
  })

  it('shows an upstream failure with suggestions, fixed by editing the credential and retried', async () => {
    const credential = await createCredential('Wrong token', 'not-the-token')
    const page = await open()
    await page.goto(`${actionPath}?credential=${credential.id}`)
    await page.getByRole('heading', { level: 1, name: 'Send an HTTP request' }).waitFor()
    await fillRequest(page, '/private')
    await page.getByRole('button', { name: 'Run', exact: true }).click()
    await resultStatus(page, 'Failed: Authentication failed')
    const recovery = page.locator('section.recovery')
    await recovery.getByRole('heading', { name: /Authentication failed/ }).waitFor()
    expect(await recovery.textContent()).toContain('401')
    expect(await recovery.getByRole('listitem').count()).toBeGreaterThanOrEqual(2)
    expect(await recovery.getByRole('link', { name: 'Troubleshoot' }).getAttribute('href')).toBe(
      `/credentials/${credential.id}?troubleshoot=1`,
    )
    const failedHref =
      (await page.getByRole('link', { name: 'Open in executions' }).getAttribute('href')) ?? ''
    seen.failed = decodeURIComponent(failedHref.split('=')[1] ?? '')

    // Fix the token on the credential's page.
    await recovery.getByRole('link', { name: 'Edit the credential' }).click()
    await page.waitForURL((url) => url.pathname === `/credentials/${credential.id}`)
    await page.getByRole('button', { name: 'Edit', exact: true }).click()
    const token = page.getByLabel('Token', { exact: true })
    await token.fill(goodToken)
    await page.getByRole('button', { name: 'Save', exact: true }).click()
    await token.waitFor({ state: 'hidden' })

    // Back on the action page the failed result is still there; Retry runs it again, now with success.
    for (let i = 0; i < 3 && new URL(page.url()).pathname !== actionPath; i++) await page.goBack()
    expect(new URL(page.url()).pathname).toBe(actionPath)
    await page
      .locator('section.recovery')
      .getByRole('heading', { name: /Authentication failed/ })
      .waitFor()
    await page.getByRole('button', { name: 'Retry', exact: true }).click()
    await resultStatus(page, 'Succeeded')
    expect(JSON.parse((await page.locator('pre.af-output').textContent()) ?? '')).toMatchObject({
      status: 200,
      body: { ok: true, path: '/private' },
    })
    expect(await page.locator('.result-panel').textContent()).toContain('Retry of')
  })

  for (const theme of themes) {
    it(`passes axe on the form, a success and an error (${theme.name})`, async () => {
      expect(seen.succeeded).toBeTruthy()
      expect(seen.failed).toBeTruthy()
      const page = await open(theme.options)
      await page.goto(actionPath)
      await page.getByRole('heading', { level: 1, name: 'Send an HTTP request' }).waitFor()
      await page.getByRole('button', { name: 'Run', exact: true }).click()
      await page.getByRole('alert').waitFor()
      await expectNoSeriousViolations(page, `action form with errors, ${theme.name}`)
      await page.getByRole('tab', { name: 'JSON' }).click()
      await expectNoSeriousViolations(page, `action JSON view, ${theme.name}`)

      await page.goto(`${actionPath}?credential=${seen.credential}&execution=${seen.succeeded}`)
      await page.locator('pre.af-output').waitFor()
      await expectNoSeriousViolations(page, `action success, ${theme.name}`)

      await page.goto(`${actionPath}?execution=${seen.failed}`)
      await page.locator('section.recovery').waitFor()
      await expectNoSeriousViolations(page, `action error, ${theme.name}`)
      expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe(theme.expected)
    })
  }

  it('works at 360 px without sideways scrolling', async () => {
    const page = await open({ viewport: { width: 360, height: 740 } })
    await page.goto(`${actionPath}?execution=${seen.failed}`)
    await page.locator('section.recovery').waitFor()
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
    expect(overflow).toBeLessThanOrEqual(0)
  })

  it('saw no script errors or CSP refusals', () => {
    expect(app.problems).toEqual([])
  })
})

// The few browser globals used by the functions handed to the page: they run there, not here.
declare const document: {
  readonly documentElement: {
    readonly dataset: Record<string, string | undefined>
    readonly scrollWidth: number
  }
}
declare const window: { readonly innerWidth: number }
