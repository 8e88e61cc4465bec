// Browser journeys through the execution log: thousands of seeded executions and real ones run against
// a stand-in upstream on 127.0.0.1; filters and search in the address, the detail drawer with its
// attempts, a retry, the live tail with pause, the virtual list's window, and axe in every theme.
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { sql } from 'kysely'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bearer } from '../packages/server/src/testing/harness.js'
import type { BrowserApp } from './browser.js'
import { expectNoSeriousViolations, haveChromium, startBrowserApp, themes } from './browser.js'

// The few browser globals used by the functions handed to the page: they run there, not here.
declare const document: {
  querySelectorAll(selector: string): { readonly length: number }
  readonly documentElement: { readonly scrollHeight: number; readonly scrollWidth: number }
}
declare const window: { scrollTo(x: number, y: number): void; readonly innerWidth: number }

/** Executions inserted straight into the database, older than every real one. */
const seeded = 3000

describe.skipIf(!haveChromium)('the execution log in a browser', () => {
  let app: BrowserApp
  let upstream: Server
  let upstreamUrl: string
  let key: string
  /** Whether `/unstable/…` answers 503 (else 200). */
  let unstable = true

  const run = async (path: string) => {
    const response = await app.server.app.inject({
      method: 'POST',
      url: '/v1/executions',
      headers: bearer(key),
      payload: { action: 'http.request', input: { method: 'GET', url: `${upstreamUrl}${path}` } },
    })
    expect(response.statusCode, response.body).toBe(200)
    return response.json<{ id: string; status: string }>()
  }

  const rowsInDom = (page: Page) => page.evaluate(() => document.querySelectorAll('.execution-row').length)
  const countText = (page: Page) =>
    page
      .locator('.result-count')
      .textContent()
      .then((text) => text ?? '')
  const rowLink = (page: Page, id: string) =>
    page.getByRole('list', { name: 'Executions' }).locator(`a[href*="execution=${id}"]`)

  beforeAll(async () => {
    upstream = createServer((request, response) => {
      const url = request.url ?? '/'
      const status = url.startsWith('/unstable') && unstable ? 503 : 200
      response.writeHead(status, { 'content-type': 'application/json' })
      response.end(JSON.stringify({ path: url, status }))
    })
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve))
    upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`
    app = await startBrowserApp({ TOOLPLANE_ALLOW_PRIVATE_NETWORK: 'true' })
    key = await app.server.key(app.workspaceId, ['admin'])

    // Thousands of rows generated inside SQLite (as the server's search test does), every third one
    // failed with a timeout; their ids sort below the real executions' UUIDv7 ids.
    const now = app.server.now.value
    await sql`with recursive seq(n) as (select 1 union all select n + 1 from seq where n < ${seeded})
      insert into executions (id, workspace_id, tool, action, mode, status, input, error, error_class, attempts,
        correlation_id, cancel_requested, search_text, created_at, started_at, finished_at, duration_ms)
      select printf('00000000-0000-7000-8000-%012d', n), ${app.workspaceId}, 'http', 'request', 'async',
        case n % 3 when 0 then 'failed' else 'succeeded' end, '{}',
        case n % 3 when 0 then '{"class":"timeout","message":"Timed out","retryable":true,"suggestions":[]}' end,
        case n % 3 when 0 then 'timeout' end,
        '[]', 'seed', 0, 'http.request http request seeded row ' || n,
        ${now} - (${seeded} - n + 60) * 1000, ${now} - (${seeded} - n + 60) * 1000,
        ${now} - (${seeded} - n + 60) * 1000 + 250, 250
      from seq`.execute(app.server.database.db)

    await run('/ok/first')
    await run('/unstable/order')
  }, 180_000)

  afterAll(async () => {
    await app.close()
    await new Promise((resolve) => upstream.close(resolve))
  })

  it('filters by status and searches, with the view in the address and Back undoing a change', async () => {
    const page = await app.newPage()
    await page.goto('/executions')
    const list = page.getByRole('list', { name: 'Executions' })
    await list.waitFor()
    expect(await countText(page)).toContain('executions loaded; more load as you scroll')

    await page.getByRole('button', { name: /Status$/ }).click()
    await page.getByRole('option', { name: 'Failed' }).click()
    await page.waitForURL((url) => url.searchParams.get('status') === 'failed')
    await page.waitForFunction(
      () => document.querySelectorAll('.execution-row[data-status="succeeded"]').length === 0,
    )
    expect(await list.getByRole('listitem').first().textContent()).toContain('Failed')

    await page.getByRole('searchbox', { name: 'Search executions' }).fill('unstable order')
    await page.waitForURL((url) => url.searchParams.get('q') === 'unstable order')
    await page.waitForFunction(() => document.querySelectorAll('.execution-row').length === 1)
    expect(await countText(page)).toBe('1 execution')
    const row = await list.getByRole('listitem').textContent()
    expect(row).toContain('Failed')
    expect(row).toContain('upstream_unavailable')
    expect(row).toContain('3 attempts')
    expect(new URL(page.url()).search).toBe('?status=failed&q=unstable+order')

    // A link reproduces the view.
    const copy = await app.newPage()
    await copy.goto(`/executions${new URL(page.url()).search}`)
    await copy.getByRole('list', { name: 'Executions' }).waitFor()
    expect(await rowsInDom(copy)).toBe(1)
    expect(await copy.getByRole('searchbox', { name: 'Search executions' }).inputValue()).toBe(
      'unstable order',
    )

    await page.goBack()
    await page.waitForURL((url) => !url.searchParams.has('q'))
    expect(await page.getByRole('searchbox', { name: 'Search executions' }).inputValue()).toBe('')

    await page.getByRole('searchbox', { name: 'Search executions' }).fill('nothingmatchesthis')
    await page.getByRole('heading', { name: 'No executions match these filters' }).waitFor()
    await page.getByRole('button', { name: 'Clear filters' }).click()
    await page.waitForURL((url) => url.search === '')
    await list.waitFor()
  })

  it('opens a failed execution with its attempts and retries it', async () => {
    const page = await app.newPage()
    await page.goto('/executions?q=unstable')
    const list = page.getByRole('list', { name: 'Executions' })
    await list.waitFor()
    await list.getByRole('link').first().click()
    const dialog = page.getByRole('dialog')
    await dialog.getByRole('heading', { name: 'http.request' }).waitFor()
    expect(new URL(page.url()).searchParams.get('execution')).not.toBeNull()
    const failedId = new URL(page.url()).searchParams.get('execution')!
    const attempts = dialog.getByRole('list', { name: 'Attempts' }).getByRole('listitem')
    await expect(attempts.count()).resolves.toBe(3)
    expect(await attempts.first().textContent()).toContain('HTTP 503')
    expect(await attempts.first().textContent()).toMatch(/Waited \d+ ms before attempt 2/)
    expect(await dialog.getByRole('heading', { name: 'Upstream unavailable' }).isVisible()).toBe(true)

    // The upstream recovers: the retry succeeds, and the drawer follows the new execution.
    unstable = false
    await dialog.getByRole('button', { name: 'Retry' }).click()
    await page.waitForURL((url) => {
      const id = url.searchParams.get('execution')
      return id !== null && id !== failedId
    })
    await dialog.locator('.execution-facts .execution-status-succeeded').waitFor()
    expect(await dialog.getByRole('link', { name: failedId }).isVisible()).toBe(true)
    unstable = true

    // Esc closes the drawer and leaves the search as it was.
    await page.keyboard.press('Escape')
    await dialog.waitFor({ state: 'detached' })
    expect(new URL(page.url()).searchParams.get('q')).toBe('unstable')
    expect(new URL(page.url()).searchParams.has('execution')).toBe(false)
  })

  it('tails new executions live, and counts them while paused', async () => {
    const page = await app.newPage()
    await page.goto('/executions')
    await page.getByRole('list', { name: 'Executions' }).waitFor()
    await page.getByRole('button', { name: 'Live tail' }).click()
    await page.getByText('Live tail on: new executions appear at the top.').waitFor()

    const live = await run('/ok/live')
    await rowLink(page, live.id).waitFor()
    expect(
      await page.getByRole('list', { name: 'Executions' }).getByRole('listitem').first().textContent(),
    ).toContain('Succeeded')

    await page.getByRole('button', { name: 'Pause' }).click()
    const held = [await run('/ok/held-1'), await run('/ok/held-2')]
    await page.getByRole('button', { name: '2 new' }).waitFor()
    expect(await rowLink(page, held[0]!.id).count()).toBe(0)
    await page.getByRole('button', { name: '2 new' }).click()
    for (const execution of held) await rowLink(page, execution.id).waitFor()
  })

  it(`scrolls ${seeded.toLocaleString('en')} executions page by page with only a window of rows in the DOM`, async () => {
    const page = await app.newPage({ viewport: { width: 1280, height: 800 } })
    await page.goto('/executions')
    await page.getByRole('list', { name: 'Executions' }).waitFor()
    const loaded = async () => Number((await countText(page)).replace(/[^\d].*$/, '').replace(/,/g, ''))
    expect(await loaded()).toBe(100)
    let previous = 100
    for (let i = 0; i < 6; i++) {
      await page.evaluate(() => {
        window.scrollTo(0, document.documentElement.scrollHeight)
      })
      await page.waitForFunction(
        (before) => {
          const text = (
            globalThis as unknown as { document: { querySelector(s: string): { textContent: string } } }
          ).document.querySelector('.result-count').textContent
          return Number(text.replace(/[^\d].*$/, '').replace(/,/g, '')) > before
        },
        previous,
        // Poll on a timer: animation frames are not run for a page the browser thinks is hidden.
        { polling: 100 },
      )
      const now = await loaded()
      expect(now).toBeGreaterThan(previous)
      previous = now
      expect(await rowsInDom(page)).toBeLessThan(60)
    }
    // Never everything: one page beyond what was scrolled to.
    expect(previous).toBeLessThan(seeded)
  })

  it('fits a 360 px wide screen without sideways scrolling', async () => {
    const page = await app.newPage({ viewport: { width: 360, height: 740 } })
    await page.goto('/executions?q=unstable')
    await page.getByRole('list', { name: 'Executions' }).waitFor()
    expect(
      await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth),
    ).toBeLessThanOrEqual(0)
    await page.getByRole('list', { name: 'Executions' }).getByRole('link').first().click()
    await page.getByRole('dialog').getByRole('heading', { name: 'http.request' }).waitFor()
    expect(
      await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth),
    ).toBeLessThanOrEqual(0)
  })

  it.each(themes)('has no serious or critical accessibility violation in the $name theme', async (theme) => {
    const page = await app.newPage(theme.options)
    await page.goto('/executions?q=unstable')
    await page.getByRole('list', { name: 'Executions' }).waitFor()
    await page.getByRole('button', { name: 'Live tail' }).click()
    await page.getByText('Live tail on: new executions appear at the top.').waitFor()
    await expectNoSeriousViolations(page, `executions, ${theme.name}`)
    await page.getByRole('list', { name: 'Executions' }).getByRole('link').last().click()
    await page.getByRole('dialog').getByRole('heading', { name: 'Attempts' }).waitFor()
    await expectNoSeriousViolations(page, `execution drawer, ${theme.name}`)
  })

  it('met no script error or Content-Security-Policy refusal on the way', () => {
    expect(app.problems).toEqual([])
  })
})
