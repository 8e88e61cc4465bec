// The UI tour of the getting-started guide, as a browser run: a workspace with credentials,
// executions (a success, an authentication failure, a batch) and a webhook with a delivery, then a
// screenshot of each page the tour shows. The screenshots are always taken; with
// TOOLPLANE_UPDATE_SCREENSHOTS=1 they replace the ones in docs/images/ui, which the guide shows.
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { BrowserApp } from './browser.js'
import { haveChromium, startBrowserApp } from './browser.js'

const docsImages = join(import.meta.dirname, '..', 'docs', 'images', 'ui')
const guide = join(import.meta.dirname, '..', 'docs', 'getting-started.md')
const update = process.env.TOOLPLANE_UPDATE_SCREENSHOTS === '1'
const goodToken = 'tour-token'

/** The screenshots of the tour, in the guide's order. */
const shots = [
  'tools',
  'action',
  'recovery',
  'credentials',
  'troubleshooter',
  'executions',
  'batch',
  'webhook',
  'usage',
  'dark',
  'phone',
] as const
type Shot = (typeof shots)[number]

describe.skipIf(!haveChromium)('the UI tour', () => {
  let app: BrowserApp
  let upstream: Server
  let receiver: Server
  let outDir: string
  let key: string
  const ids: Record<string, string> = {}

  const api = async <T>(method: string, url: string, payload?: unknown): Promise<T> => {
    const response = await app.server.app.inject({
      method: method as 'GET',
      url,
      headers: { authorization: `Bearer ${key}` },
      ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
    })
    expect(response.statusCode, `${method} ${url}: ${response.body}`).toBeLessThan(300)
    return response.json<T>()
  }

  const listen = async (server: Server) => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    return `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`
  }

  async function shoot(page: Page, name: Shot, options: { fullPage?: boolean } = {}) {
    // Let fonts, transitions and late data settle; then a still picture.
    await page.waitForLoadState('networkidle')
    await page.screenshot({ path: join(outDir, `${name}.png`), fullPage: options.fullPage ?? false })
  }

  beforeAll(async () => {
    upstream = createServer((request, response) => {
      const authorized = request.headers.authorization === `Bearer ${goodToken}`
      const failing = (request.url ?? '').includes('/missing/')
      const status = !authorized ? 401 : failing ? 404 : 200
      response.writeHead(status, { 'content-type': 'application/json' })
      response.end(
        JSON.stringify(
          status === 200
            ? { id: 42, name: 'Launch checklist', done: false }
            : { error: status === 401 ? 'Bad credentials' : 'Not found' },
        ),
      )
    })
    receiver = createServer((request, response) => {
      request.resume()
      request.on('end', () => {
        response.writeHead(204).end()
      })
    })
    const upstreamUrl = await listen(upstream)
    const receiverUrl = await listen(receiver)
    app = await startBrowserApp({
      TOOLPLANE_ALLOW_PRIVATE_NETWORK: 'true',
      TOOLPLANE_WEBHOOK_RETRY_SCHEDULE: '0s',
    })
    outDir = update ? docsImages : await mkdtemp(join(tmpdir(), 'toolplane-tour-'))
    await mkdir(outDir, { recursive: true })
    key = await app.server.key(app.workspaceId, ['admin'])

    await api('PATCH', '/v1/workspace', { monthlyExecutionQuota: 1000 })
    // With a base URL, the health check and the troubleshooter call the stand-in API.
    const credential = (name: string, token: string) =>
      api<{ id: string }>('POST', '/v1/credentials', {
        tool: 'http',
        name,
        authMethod: 'bearer',
        baseUrl: upstreamUrl,
        secrets: { token },
      })
    ids.good = (await credential('Tasks API (production)', goodToken)).id
    ids.bad = (await credential('Tasks API (old token)', 'expired-token')).id
    const run = (credentialId: string, path: string) =>
      api<{ id: string }>('POST', '/v1/executions', {
        action: 'http.request',
        credentialId,
        input: { method: 'GET', url: `${upstreamUrl}${path}` },
        mode: 'sync',
      })
    for (let i = 1; i <= 6; i++) ids.success = (await run(ids.good, `/tasks/${String(i)}`)).id
    ids.failure = (await run(ids.bad, '/tasks/7')).id
    await api('POST', `/v1/credentials/${ids.bad}/check`)

    const batch = await api<{ id: string }>('POST', '/v1/batches', {
      mode: 'parallel',
      concurrency: 4,
      items: Array.from({ length: 12 }, (_, i) => ({
        action: 'http.request',
        credentialId: ids.good,
        input: { method: 'GET', url: `${upstreamUrl}/${i % 5 === 4 ? 'missing' : 'tasks'}/${String(i)}` },
      })),
    })
    ids.batch = batch.id
    for (let i = 0; i < 100; i++) {
      const status = await api<{ status: string }>('GET', `/v1/batches/${batch.id}`)
      if (status.status !== 'running') break
      await new Promise((resolve) => setTimeout(resolve, 100))
    }

    const webhook = await api<{ id: string }>('POST', '/v1/webhooks', {
      url: `${receiverUrl}/toolplane`,
      events: ['execution.*', 'batch.completed'],
    })
    ids.webhook = webhook.id
    await api('POST', `/v1/webhooks/${webhook.id}/test`)
  })

  afterAll(async () => {
    await app.close()
    await new Promise((resolve) => upstream.close(resolve))
    await new Promise((resolve) => receiver.close(resolve))
    if (!update && outDir !== '') await rm(outDir, { recursive: true, force: true })
  })

  it('photographs each page of the tour', async () => {
    const page = await app.newPage({ viewport: { width: 1280, height: 860 }, colorScheme: 'light' })
    page.setDefaultTimeout(15_000)

    await page.goto('/tools')
    await page.getByRole('list', { name: 'Tools' }).waitFor()
    await shoot(page, 'tools')

    await page.goto(`/tools/http/actions/request?credential=${ids.good}&execution=${ids.success}`)
    await page.locator('pre.af-output').waitFor()
    await shoot(page, 'action', { fullPage: true })

    await page.goto(`/tools/http/actions/request?credential=${ids.bad}&execution=${ids.failure}`)
    const recovery = page.locator('section.recovery')
    await recovery.waitFor()
    await recovery.scrollIntoViewIfNeeded()
    await recovery.screenshot({ path: join(outDir, 'recovery.png') })

    await page.goto('/credentials')
    await page.getByRole('link', { name: 'Tasks API (old token)' }).waitFor()
    await shoot(page, 'credentials')

    await page.goto(`/credentials/${ids.bad}?troubleshoot=1`)
    await page
      .getByRole('heading', { name: /Troubleshoot/ })
      .first()
      .waitFor()
    await page
      .getByText(/Step 1 of|All checks pass/)
      .first()
      .waitFor()
    await shoot(page, 'troubleshooter', { fullPage: true })

    await page.goto(`/executions?execution=${ids.failure}`)
    await page.getByRole('dialog').getByRole('heading', { name: 'http.request' }).waitFor()
    await shoot(page, 'executions')

    await page.goto(`/batches/${ids.batch}`)
    await page
      .getByText(/Completed/)
      .first()
      .waitFor()
    await shoot(page, 'batch', { fullPage: true })

    await page.goto(`/webhooks/${ids.webhook}`)
    await page.getByText('Delivered').first().waitFor()
    await shoot(page, 'webhook', { fullPage: true })

    await page.goto('/usage')
    await page.getByRole('meter').first().waitFor()
    await shoot(page, 'usage')

    const dark = await app.newPage({ viewport: { width: 1280, height: 860 }, colorScheme: 'dark' })
    await dark.goto('/executions')
    await dark.getByRole('list', { name: 'Executions' }).waitFor()
    await shoot(dark, 'dark')

    const phone = await app.newPage({ viewport: { width: 360, height: 740 }, deviceScaleFactor: 2 })
    await phone.goto(`/tools/http/actions/request?credential=${ids.good}`)
    await phone.getByRole('heading', { level: 1 }).waitFor()
    await shoot(phone, 'phone')

    for (const name of shots) {
      expect((await stat(join(outDir, `${name}.png`))).size, name).toBeGreaterThan(5_000)
    }
  })

  it('has every screenshot the guide shows in the docs', async () => {
    const text = await readFile(guide, 'utf8')
    for (const name of shots) {
      expect(text, `getting-started.md shows ${name}.png`).toContain(`images/ui/${name}.png`)
      expect(existsSync(join(docsImages, `${name}.png`)), `docs/images/ui/${name}.png exists`).toBe(true)
    }
  })

  it('met no script error or Content-Security-Policy refusal on the way', () => {
    expect(app.problems).toEqual([])
  })
})
