// What every browser journey needs: the built app (built once for all test files), a real server
// (SQLite, the built-in tools) serving it with a signed-in owner, Debian's Chromium through
// playwright-core, pages that record script errors and CSP refusals, and axe.
import { existsSync } from 'node:fs'
import { mkdir, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import AxeBuilder from '@axe-core/playwright'
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core'
import { expect } from 'vitest'
import { buildWebApp, defaultOutDir, isBuildCurrent, newestSourceChange } from '../packages/web/build-app.js'
import { startTestApp } from '../packages/server/src/testing/harness.js'
import { chromiumPath, launchChromium } from './chromium.js'
import type { TestApp } from '../packages/server/src/testing/harness.js'

export { chromiumPath }

/**
 * Whether the journeys can run here. CI sets TOOLPLANE_REQUIRE_BROWSER (and installs Chromium): there a
 * missing browser is a failure, not a skip.
 */
export const haveChromium = existsSync(chromiumPath)
if (!haveChromium) {
  if (process.env.TOOLPLANE_REQUIRE_BROWSER === '1') {
    throw new Error(
      `${chromiumPath} is missing and TOOLPLANE_REQUIRE_BROWSER is set: apt-get install chromium`,
    )
  }
  console.warn(`Skipping the browser journeys: ${chromiumPath} is missing (apt-get install chromium).`)
}

export const ownerEmail = 'ada@example.com'
export const ownerPassword = 'correct horse battery staple'

/** The three themes every page is checked in. */
export const themes: { name: string; options: BrowserContextOptions; expected: string }[] = [
  { name: 'light', options: { colorScheme: 'light' }, expected: 'light' },
  { name: 'dark', options: { colorScheme: 'dark' }, expected: 'dark' },
  { name: 'high contrast', options: { colorScheme: 'light', contrast: 'more' }, expected: 'contrast' },
]

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * A production build of the current sources: packages/web/dist when it is current, else one build in
 * the temporary folder shared by every journey file (the first to take the lock builds; the others
 * wait for it).
 */
export async function webBuild(): Promise<string> {
  if (await isBuildCurrent(defaultOutDir)) return defaultOutDir
  const dir = join(tmpdir(), `toolplane-web-build-${Math.round(await newestSourceChange())}`)
  const done = join(dir, '.complete')
  const lock = `${dir}.lock`
  for (let waited = 0; waited < 300_000; waited += 250) {
    if (existsSync(done)) return dir
    try {
      await mkdir(lock)
    } catch {
      // Someone else is building; take over a lock left by a process that died (older than 3 minutes).
      const age = Date.now() - (await stat(lock).catch(() => ({ mtimeMs: Date.now() }))).mtimeMs
      if (age > 180_000) await rm(lock, { recursive: true, force: true })
      await sleep(250)
      continue
    }
    try {
      if (!existsSync(done)) {
        await buildWebApp(dir)
        await writeFile(done, '')
      }
      return dir
    } finally {
      await rm(lock, { recursive: true, force: true })
    }
  }
  throw new Error(`gave up waiting for the web build in ${dir}`)
}

export interface BrowserApp {
  /** The server (SQLite, real clock for sessions), with its services and a workspace `acme`. */
  readonly server: TestApp
  readonly workspaceId: string
  /** `http://127.0.0.1:<port>`. */
  readonly base: string
  readonly webRoot: string
  readonly browser: Browser
  /** The cookies of the owner's signed-in session, for contexts that start signed in. */
  readonly signedIn: Awaited<ReturnType<BrowserContext['storageState']>>
  /** Script errors and CSP refusals seen on any page; a journey file expects it empty at the end. */
  readonly problems: string[]
  /** A new browser context and page, signed in unless `signedIn: false`. */
  newPage(options?: BrowserContextOptions & { signedIn?: boolean }): Promise<Page>
  close(): Promise<void>
}

/**
 * Starts the server and the browser for one journey file.
 *
 * @example
 * let app: BrowserApp
 * beforeAll(async () => { app = await startBrowserApp() })
 * afterAll(() => app.close())
 */
export async function startBrowserApp(env: Record<string, string> = {}): Promise<BrowserApp> {
  const webRoot = await webBuild()
  const server = await startTestApp('sqlite', { TOOLPLANE_LOG_LEVEL: 'warn', ...env }, { webRoot })
  const contexts: BrowserContext[] = []
  let browser: Browser | undefined
  try {
    // The app's clock is the real one here: sessions expire by it and the browser judges the cookie
    // by the real one, and durations and "just now" read as a user sees them.
    Object.defineProperty(server.now, 'value', {
      get: () => Date.now(),
      set: () => undefined,
      configurable: true,
    })
    const workspace = await server.workspace('acme')
    await server.app.services.auth.addUser({
      email: ownerEmail,
      password: ownerPassword,
      workspaceId: workspace.id,
      role: 'owner',
    })
    const base = await server.app.listen({ host: '127.0.0.1', port: 0 })
    browser = await launchChromium()
    const problems: string[] = []
    const open = async (options: BrowserContextOptions = {}) => {
      const context = await browser!.newContext({ baseURL: base, reducedMotion: 'reduce', ...options })
      contexts.push(context)
      const page = await context.newPage()
      page.on('pageerror', (error) => problems.push(`page error: ${error.message}`))
      page.on('console', (message) => {
        if (message.type() === 'error' && /Content Security Policy|Refused to/i.test(message.text())) {
          problems.push(`${page.url()}: ${message.text()}`)
        }
      })
      return page
    }
    // Sign in once through the form; every signed-in context reuses the cookies.
    const first = await open()
    await first.goto('/sign-in')
    await first.getByLabel('Email').fill(ownerEmail)
    await first.getByLabel('Password').fill(ownerPassword)
    await first.getByRole('button', { name: 'Sign in' }).click()
    await first.waitForURL((url) => url.pathname !== '/sign-in')
    await first.getByRole('heading', { level: 1 }).waitFor()
    const signedIn = await first.context().storageState()
    await first.context().close()
    const launched = browser
    return {
      server,
      workspaceId: workspace.id,
      base,
      webRoot,
      browser: launched,
      signedIn,
      problems,
      newPage: ({ signedIn: withSession = true, ...options } = {}) =>
        open(withSession ? { storageState: signedIn, ...options } : options),
      close: async () => {
        for (const context of contexts) await context.close().catch(() => undefined)
        await launched.close()
        await server.close()
      },
    }
  } catch (error) {
    await browser?.close()
    await server.close()
    throw error
  }
}

/**
 * Fails when axe finds a serious or critical violation on the page as it is now.
 *
 * @example
 * await expectNoSeriousViolations(page, 'credentials, dark')
 */
export async function expectNoSeriousViolations(page: Page, label: string): Promise<void> {
  const results = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'])
    .analyze()
  const serious = results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map(
      (v) =>
        `${label}: ${v.id} (${v.impact}) ${v.help}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
    )
  expect(serious).toEqual([])
}
