import fs from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { parseArgs } from 'node:util'
import type { Browser } from 'playwright-core'
import { chromiumPath, launchChromium } from '../e2e/chromium.js'
import { isBuildCurrent, defaultOutDir } from '../packages/web/build-app.js'
import { summarizeLatencies } from './load.js'
import type { LatencySummary } from './load.js'
import { onExit, readMemory } from './processes.js'
import { describeMachine, gitRevision, markdownTable, writeSection } from './report.js'
import { repositoryRoot, startToolplane } from './toolplane.js'

/**
 * How soon the web UI's first page is usable: cold loads of `/sign-in` from a production build served
 * by the built server (`toolplane serve`), in Debian's Chromium, taking turns with a baseline in the
 * same browser: a bare Node server's one-line page, the floor of a cold navigation on this machine.
 * The budget (docs/ui.md) is a median of at most 1 s. See bench/README.md.
 */

const usage = `Usage: npm run bench:web -- [options]

  --loads=<n>   cold loads of each page (default 20)
  --write       write the results into docs/benchmarks.md
`

/** The budget of docs/ui.md: the first page usable within a second, on localhost. */
const interactiveBudgetMs = 1000
/** The performance mark the app sets when its first page is rendered and usable. */
const mark = 'toolplane:first-page'

interface Options {
  readonly loads: number
  readonly write: boolean
}

function parseOptions(argv: readonly string[]): Options {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      loads: { type: 'string' },
      write: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  })
  if (values.help) {
    process.stdout.write(usage)
    process.exit(0)
  }
  const loads = Number(values.loads ?? '20')
  if (!Number.isInteger(loads) || loads < 3) throw new Error(`--loads must be a whole number ≥ 3\n\n${usage}`)
  return { loads, write: values.write }
}

/** A server whose only page is a line of text that sets the mark: the baseline. */
async function startBaseline(): Promise<{ origin: string; close(): Promise<void> }> {
  const page = `<!doctype html><html lang="en"><title>baseline</title><p>ready</p><script>performance.mark('${mark}')</script></html>`
  const server = http.createServer((_, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
    response.end(page)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    origin: `http://127.0.0.1:${String(port)}`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => {
          resolve()
        })
      }),
  }
}

/**
 * One cold load in a fresh browser context (empty cache, no cookies): the time from the start of
 * navigation to the mark, in ms.
 */
async function coldLoad(browser: Browser, url: string): Promise<number> {
  const context = await browser.newContext({ reducedMotion: 'reduce' })
  try {
    const page = await context.newPage()
    await page.goto(url)
    const handle = await page.waitForFunction(
      (name) => performance.getEntriesByName(name)[0]?.startTime,
      mark,
      { timeout: 30_000 },
    )
    return (await handle.jsonValue()) ?? Number.NaN
  } finally {
    await context.close()
  }
}

interface Row {
  readonly scenario: string
  readonly latency: LatencySummary
  /** Peak resident memory of the serving process in MiB, or null when it is not measured. */
  readonly peakRss: number | null
}

function formatRows(rows: readonly Row[]): string {
  const ms = (value: number) => value.toFixed(0)
  return markdownTable(
    ['page', 'loads', 'p50 (ms)', 'p95 (ms)', 'p99 (ms)', 'max (ms)', 'server peak RSS (MiB)'],
    rows.map((row) => [
      row.scenario,
      String(row.latency.count),
      ms(row.latency.p50),
      ms(row.latency.p95),
      ms(row.latency.p99),
      ms(row.latency.max),
      row.peakRss === null ? '–' : row.peakRss.toFixed(0),
    ]),
    (column) => column > 0,
  ).join('\n')
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2))
  if (!fs.existsSync(chromiumPath)) throw new Error(`${chromiumPath} is missing: apt-get install chromium`)
  if (!(await isBuildCurrent(defaultOutDir))) {
    throw new Error(`${defaultOutDir} is older than the web sources: run \`npm run build\` first`)
  }
  const machine = describeMachine()
  const out = (text: string) => process.stdout.write(`${text}\n`)
  out(
    `Toolplane web UI benchmark — ${machine.cpu}, ${String(machine.cpus)} CPUs, Node.js ${machine.node}; ` +
      `${String(options.loads)} cold loads of each page`,
  )

  const baseline = await startBaseline()
  const toolplane = await startToolplane()
  const browser = await launchChromium()
  onExit(() => {
    void browser.close()
  })
  const pages = [
    { scenario: 'baseline: a one-line page from a bare Node server', url: `${baseline.origin}/` },
    { scenario: 'Toolplane `/sign-in`, production build', url: `${toolplane.origin}/sign-in` },
  ]
  const times = pages.map(() => new Float64Array(options.loads))
  try {
    // One untimed load of each first: the browser's first navigation starts its processes.
    for (const page of pages) await coldLoad(browser, page.url)
    // Turns, so drift on the machine falls on both pages alike.
    for (let i = 0; i < options.loads; i++) {
      for (const [index, page] of pages.entries()) times[index]![i] = await coldLoad(browser, page.url)
    }
  } finally {
    await browser.close()
    await baseline.close()
  }
  const serverPeak = readMemory(toolplane.process.pid ?? -1)?.hwm ?? null
  await toolplane.stop()

  const rows: Row[] = pages.map((page, index) => ({
    scenario: page.scenario,
    latency: summarizeLatencies(times[index]!),
    peakRss: index === 0 ? null : serverPeak,
  }))
  const [floor, app] = rows.map((row) => row.latency) as [LatencySummary, LatencySummary]
  const table = formatRows(rows)
  const pass = app.p50 <= interactiveBudgetMs
  const check =
    `- **${pass ? 'PASS' : 'FAIL'}** first page usable, median of cold loads: ${app.p50.toFixed(0)} ms ` +
    `(budget ${String(interactiveBudgetMs)} ms; the baseline's ${floor.p50.toFixed(0)} ms is the browser's own floor here, ` +
    `so Toolplane adds ${(app.p50 - floor.p50).toFixed(0)} ms)`
  out('')
  out(table)
  out('')
  out(check)

  if (options.write) {
    const command = `npm run bench:web${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`
    const revision = gitRevision(repositoryRoot)
    const section = [
      '## Web UI: first page usable',
      '',
      '`npm run bench:web` builds the app, starts the built server (`toolplane serve`, embedded SQLite) and ' +
        "Debian's Chromium, and loads `/sign-in` cold (a fresh browser context each time: empty cache, no " +
        "cookies), taking turns with a baseline: a bare Node server's one-line page in the same browser. " +
        'Each load is timed from the start of navigation to the `toolplane:first-page` performance mark, which ' +
        'the app sets when its first page is rendered and usable. How it works: `bench/README.md`.',
      '',
      `- command: \`${command}\``,
      `- date: ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC${revision === null ? '' : ` (revision ${revision})`}`,
      `- machine: ${machine.cpu}, ${String(machine.cpus)} CPUs, ${machine.memoryGb.toFixed(1)} GB memory; ` +
        `Node.js ${machine.node}; ${machine.os}`,
      '',
      table,
      '',
      check,
    ].join('\n')
    const file = path.join(repositoryRoot, 'docs/benchmarks.md')
    await writeSection(file, 'web-ui-results', section)
    out(`\nWrote ${path.relative(process.cwd(), file)}.`)
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
  // Exiting runs the cleanups that kill the children, which would otherwise keep the bench alive.
  process.exit(1)
})
