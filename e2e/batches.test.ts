// Browser journeys through batches and usage: submit a CSV batch for `http.request` against a
// stand-in upstream that fails some items, follow it to completion, read the failed items, then see
// the executions counted on the usage page; axe on every page in every theme.
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { BrowserApp } from './browser.js'
import { expectNoSeriousViolations, haveChromium, startBrowserApp, themes } from './browser.js'

// The browser globals used by the functions handed to the page: they run there, not here.
declare const document: { readonly documentElement: { readonly scrollWidth: number } }
declare const window: { readonly innerWidth: number }

/** Items whose path holds `fail` are answered 400 by the stand-in. */
const failing = new Set([5, 12, 18])
const itemCount = 20

describe.skipIf(!haveChromium)('batches and usage in a browser', () => {
  let app: BrowserApp
  let upstream: Server
  let upstreamUrl: string
  const seen: string[] = []

  beforeAll(async () => {
    upstream = createServer((request, response) => {
      seen.push(request.url ?? '')
      // A short wait, so the batch is seen running before it completes.
      setTimeout(() => {
        const fails = (request.url ?? '').includes('fail')
        response.writeHead(fails ? 400 : 200, { 'content-type': 'application/json' })
        response.end(JSON.stringify(fails ? { error: 'this item is refused' } : { ok: true }))
      }, 100)
    })
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve))
    upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`
    app = await startBrowserApp({ TOOLPLANE_ALLOW_PRIVATE_NETWORK: 'true' })
    const key = await app.server.key(app.workspaceId, ['credentials:write'])
    const created = await app.server.app.inject({
      method: 'POST',
      url: '/v1/credentials',
      headers: { authorization: `Bearer ${key}` },
      payload: {
        tool: 'http',
        name: 'Stand-in API',
        authMethod: 'bearer',
        secrets: { token: 'stand-in-token' },
      },
    })
    expect(created.statusCode).toBe(201)
  })

  afterAll(async () => {
    await app.close()
    await new Promise((resolve) => upstream.close(resolve))
  })

  const csv = () =>
    [
      'method,url',
      ...Array.from({ length: itemCount }, (_, i) => {
        const n = i + 1
        return `GET,${upstreamUrl}/${failing.has(n) ? 'fail' : 'items'}/${n}`
      }),
    ].join('\n')

  /** Opens the new-batch form and fills it in up to the preview. */
  async function fillForm(page: Page) {
    await page.goto('/batches?new')
    const action = page.getByRole('combobox', { name: 'Action' })
    await action.fill('http.request')
    await page.getByRole('option', { name: /\(http\.request\)/ }).click()
    await page.getByRole('button', { name: /Credential/ }).click()
    await page.getByRole('option', { name: /Stand-in API/ }).click()
    await page.getByRole('textbox', { name: 'Items', exact: true }).fill(csv())
    await page
      .getByRole('status')
      .filter({ hasText: `${itemCount} items ready to submit.` })
      .waitFor()
  }

  let batchPath = ''

  it('submits a CSV batch, follows it to completion and lists the failed items', async () => {
    const page = await app.newPage()
    await page.goto('/batches')
    await page.getByRole('heading', { name: 'No batches yet' }).waitFor()

    await fillForm(page)
    const preview = page.getByRole('table')
    await expect(preview.getByRole('row').count()).resolves.toBe(11) // the header and the first 10 rows
    await expect(page.getByRole('caption').textContent()).resolves.toBe('The first 10 of 20 items')
    await page.getByLabel('Items at once').fill('3')

    await page.getByRole('button', { name: `Submit ${itemCount} items` }).click()
    await page.waitForURL(/\/batches\/[^/?]+$/)
    batchPath = new URL(page.url()).pathname

    const progress = page.getByRole('progressbar', { name: 'Progress' })
    await progress.waitFor()
    expect(await progress.getAttribute('aria-valuetext')).toMatch(/^\d+ of 20 items finished$/)
    // Polling brings the batch to its end without a reload.
    await page.getByText('Completed, 3 items failed').waitFor({ timeout: 20_000 })
    expect(await progress.getAttribute('aria-valuetext')).toBe('20 of 20 items finished')
    await page.getByText('17 succeeded · 3 failed', { exact: true }).waitFor()
    await expect(
      page.getByRole('status').filter({ hasText: 'The batch completed' }).textContent(),
    ).resolves.toBe('The batch completed: 17 succeeded · 3 failed.')
    const all = page.getByRole('list', { name: 'Items' })
    await expect(all.getByRole('listitem').count()).resolves.toBe(itemCount)

    await page.getByText('Failed items (3)').click()
    const failed = page.getByRole('list', { name: 'Failed items' })
    await failed.waitFor()
    const rows = failed.getByRole('listitem')
    await expect(rows.count()).resolves.toBe(3)
    const texts = await rows.allTextContents()
    expect(texts.map((t) => /Item (\d+)/.exec(t)?.[1])).toEqual(['5', '12', '18'])
    for (const text of texts) expect(text).toContain('validation_error')
    expect(new URL(page.url()).search).toBe('?show=failed')
    // Each item links to its execution's details in the log.
    const href = await rows.first().getByRole('link', { name: 'Execution of item 5' }).getAttribute('href')
    expect(href).toMatch(/^\/executions\?execution=/)
    expect(seen.filter((u) => u.includes('fail'))).toHaveLength(3)
  })

  it('shows the executions counted for http on the usage page', async () => {
    const page = await app.newPage()
    await page.goto('/usage')
    const meter = page.getByRole('meter').or(page.getByText(/executions this month/))
    await meter.first().waitFor()
    const chart = page.getByRole('list', { name: /Executions per tool this month/ })
    await chart.waitFor()
    const row = chart.getByRole('listitem').filter({ hasText: 'HTTP' })
    await expect(row.textContent()).resolves.toContain(`${itemCount} executions`)
    await page.getByRole('button', { name: 'Show the numbers as a table' }).click()
    await expect(page.getByRole('row', { name: /HTTP/ }).textContent()).resolves.toContain(String(itemCount))

    // An earlier month had none: the empty state says what to do.
    await page.getByRole('button', { name: /Month/ }).click()
    await page.getByRole('option').nth(1).click()
    await page.getByRole('heading', { name: /^No executions in / }).waitFor()
    expect(new URL(page.url()).search).toMatch(/^\?period=\d{4}-\d{2}$/)
    await expect(page.getByRole('link', { name: 'Run an action' }).getAttribute('href')).resolves.toBe(
      '/tools',
    )
  })

  it('fits a 360 px wide screen', async () => {
    const page = await app.newPage({ viewport: { width: 360, height: 740 } })
    await fillForm(page)
    for (const path of [null, batchPath, '/usage']) {
      if (path !== null) {
        await page.goto(path)
        await page.getByRole('heading', { level: 1 }).waitFor()
        await page.getByRole('heading', { level: 2 }).first().waitFor()
      }
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
      expect(overflow, path ?? 'new batch').toBeLessThanOrEqual(0)
    }
  })

  it.each(themes)('has no serious or critical accessibility violation in the $name theme', async (theme) => {
    const page = await app.newPage(theme.options)
    await page.goto('/batches')
    await page.getByRole('list', { name: 'Batches' }).waitFor()
    await expectNoSeriousViolations(page, `batches, ${theme.name}`)

    await fillForm(page)
    await expectNoSeriousViolations(page, `new batch with preview, ${theme.name}`)

    await page.goto(batchPath)
    await page.getByRole('list', { name: 'Items' }).waitFor()
    await expectNoSeriousViolations(page, `batch, ${theme.name}`)

    await page.goto('/usage')
    await page.getByRole('list', { name: /Executions per tool/ }).waitFor()
    await expectNoSeriousViolations(page, `usage, ${theme.name}`)
  })

  it('saw no script error or refused content', () => {
    expect(app.problems).toEqual([])
  })
})
