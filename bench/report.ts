import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import * as prettier from 'prettier'
import type { LatencySummary } from './load.js'

/** One line of the results table. */
export interface ScenarioRow {
  readonly scenario: string
  /** `50 connections` for saturation runs, `500/s` for fixed-rate runs. */
  readonly targetRate: string
  readonly requests: number
  readonly errors: number
  /** Successful requests (or completions) per second. */
  readonly throughput: number
  readonly latency: LatencySummary
  /** Peak resident memory of the server under test during the run, in MiB. */
  readonly peakRss: number
  /** CPU time the server used per answered request during the run, in ms; NaN when not measured. */
  readonly cpuPerRequestMs?: number
  /** Footnote marker text, e.g. `accept latency`. */
  readonly note?: string
}

/** One requirement from the issue, judged on this run's numbers. `pass: null` when not measured. */
export interface Check {
  readonly requirement: string
  readonly pass: boolean | null
  readonly measured: string
}

/** The memory-flat figures of the soak run. */
export interface SoakFigures {
  readonly durationSeconds: number
  readonly rate: number
  readonly startRss: number
  readonly referenceRss: number
  readonly referenceAtSeconds: number
  readonly endRss: number
  readonly peakRss: number
  /** Least-squares slope of resident memory over the second half of the run, MiB per minute. */
  readonly slopeMbPerMinute: number
  readonly toleranceMb: number
  /** The second half may climb by at most this much and still be flat. */
  readonly maxSlopeMbPerMinute: number
  readonly flat: boolean
  /** Resident memory every `seriesStepSeconds`, for the report. */
  readonly series: readonly { readonly second: number; readonly rss: number }[]
  readonly seriesStepSeconds: number
  readonly requests: number
  readonly errors: number
  readonly latency: LatencySummary
}

export interface Machine {
  readonly cpu: string
  readonly cpus: number
  readonly memoryGb: number
  readonly node: string
  readonly os: string
}

/**
 * The median of `values` (the mean of the middle two for an even count); NaN for none.
 *
 * @example
 * median([3, 1, 2]) // 2
 */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((x, y) => x - y)
  const middle = Math.floor(sorted.length / 2)
  if (sorted.length === 0) return NaN
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? NaN)
    : ((sorted[middle - 1] ?? NaN) + (sorted[middle] ?? NaN)) / 2
}

/** The machine the benchmark runs on, as `os` reports it. */
export function describeMachine(): Machine {
  const cpus = os.cpus()
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cpus: cpus.length,
    memoryGb: os.totalmem() / 1024 ** 3,
    node: process.version,
    os: `${os.type()} ${os.release()} (${os.arch()})`,
  }
}

function milliseconds(value: number): string {
  if (Number.isNaN(value)) return '–'
  return value < 10 ? value.toFixed(2) : value < 100 ? value.toFixed(1) : value.toFixed(0)
}

function cpuMilliseconds(value: number): string {
  return Number.isNaN(value) ? '–' : value.toFixed(3)
}

function megabytes(value: number): string {
  return Number.isNaN(value) ? '–' : value.toFixed(0)
}

function integer(value: number): string {
  return Math.round(value).toLocaleString('en-US')
}

// Superscript digits: `*` would read as emphasis or a list item once the table is Markdown.
function footnoteMark(index: number): string {
  return String(index + 1).replace(/\d/g, (digit) => '⁰¹²³⁴⁵⁶⁷⁸⁹'[Number(digit)] ?? digit)
}

/**
 * The results as an aligned Markdown table, readable in a terminal and in the docs.
 *
 * @example
 * console.log(formatTable(rows))
 */
export function formatTable(rows: readonly ScenarioRow[]): string {
  const header = [
    'scenario',
    'load',
    'requests',
    'errors',
    'throughput (req/s)',
    'p50 (ms)',
    'p95 (ms)',
    'p99 (ms)',
    'CPU/req (ms)',
    'peak RSS (MB)',
  ]
  const notes = [...new Set(rows.flatMap((row) => (row.note === undefined ? [] : [row.note])))]
  const cells = rows.map((row) => {
    const marker = row.note === undefined ? '' : ` ${footnoteMark(notes.indexOf(row.note))}`
    return [
      row.scenario + marker,
      row.targetRate,
      integer(row.requests),
      integer(row.errors),
      integer(row.throughput),
      milliseconds(row.latency.p50),
      milliseconds(row.latency.p95),
      milliseconds(row.latency.p99),
      row.cpuPerRequestMs === undefined ? '–' : cpuMilliseconds(row.cpuPerRequestMs),
      megabytes(row.peakRss),
    ]
  })
  const footnotes = notes.map((note, index) => `- ${footnoteMark(index)} ${note}`)
  return [
    ...markdownTable(header, cells, (column) => column >= 2),
    ...(footnotes.length > 0 ? ['', ...footnotes] : []),
  ].join('\n')
}

/** The checks as a Markdown list with PASS/FAIL. */
export function formatChecks(checks: readonly Check[]): string {
  return checks
    .map((check) => {
      const verdict = check.pass === null ? 'NOT RUN' : check.pass ? 'PASS' : 'FAIL'
      return `- **${verdict}** ${check.requirement}: ${check.measured}`
    })
    .join('\n')
}

/** The soak figures as Markdown. */
export function formatSoak(soak: SoakFigures): string {
  const series = soak.series.map((point) => `${String(point.second)} s: ${point.rss.toFixed(0)}`).join(', ')
  return [
    `Toolplane sync executions at a fixed ${String(soak.rate)} requests/s for ${String(soak.durationSeconds)} s ` +
      `(${integer(soak.requests)} requests, ${integer(soak.errors)} errors, ` +
      `p50 ${milliseconds(soak.latency.p50)} ms, p99 ${milliseconds(soak.latency.p99)} ms).`,
    '',
    '| resident memory of the Toolplane process | MB |',
    '| --- | ---: |',
    `| at the start (after warm-up) | ${soak.startRss.toFixed(1)} |`,
    `| after ${String(soak.referenceAtSeconds)} s (reference) | ${soak.referenceRss.toFixed(1)} |`,
    `| at the end | ${soak.endRss.toFixed(1)} |`,
    `| peak | ${soak.peakRss.toFixed(1)} |`,
    `| slope over the second half | ${soak.slopeMbPerMinute >= 0 ? '+' : ''}${soak.slopeMbPerMinute.toFixed(2)} MB/min |`,
    '',
    `Flat means no growth: the end at most ${soak.toleranceMb.toFixed(1)} MB (10 % of the reference, at least ` +
      `20 MB) above the reference, and the second half climbing by less than ` +
      `${String(soak.maxSlopeMbPerMinute)} MB/min (a fall, memory given back by a full collection, is not growth): ` +
      `**${soak.flat ? 'flat' : 'not flat'}** ` +
      `(${soak.endRss - soak.referenceRss >= 0 ? '+' : ''}${(soak.endRss - soak.referenceRss).toFixed(1)} MB).`,
    '',
    `Resident memory (MB) every ${String(soak.seriesStepSeconds)} s: ${series}.`,
  ].join('\n')
}

export interface Report {
  readonly command: string
  readonly date: string
  readonly revision: string | null
  readonly machine: Machine
  readonly settings: string
  readonly table: string
  readonly checks: string
  readonly soak: string | null
  readonly notes: readonly string[]
}

/** The marker below which `docs/benchmarks.md` is rewritten on every `--write` run. */
export const resultsMarker = '<!-- results -->'

const defaultIntro = `# Benchmarks\n\nWritten by \`npm run bench\`; see bench/README.md.\n\n${resultsMarker}\n`

/**
 * Replaces everything below the results marker of the benchmarks document with this run's report,
 * keeping the hand-written text above it. The result is formatted with the repository's Prettier
 * settings, so `npm run lint` accepts the written file as it is.
 *
 * @example
 * await writeReport('docs/benchmarks.md', report)
 */
export async function writeReport(file: string, report: Report): Promise<void> {
  const existing = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : defaultIntro
  const at = existing.indexOf(resultsMarker)
  const intro =
    at < 0 ? `${existing.trimEnd()}\n\n${resultsMarker}` : existing.slice(0, at + resultsMarker.length)
  const { machine } = report
  const body = [
    '',
    '## Latest results',
    '',
    `- command: \`${report.command}\``,
    `- date: ${report.date}${report.revision === null ? '' : ` (revision ${report.revision})`}`,
    `- machine: ${machine.cpu}, ${String(machine.cpus)} CPUs, ${machine.memoryGb.toFixed(1)} GB memory; ` +
      `Node.js ${machine.node}; ${machine.os}`,
    `- settings: ${report.settings}`,
    '',
    report.table,
    '',
    '### Checks from the issue',
    '',
    report.checks,
    '',
    ...(report.soak === null ? [] : ['### Memory over the soak run', '', report.soak, '']),
    ...(report.notes.length > 0 ? ['### Notes', '', ...report.notes.map((note) => `- ${note}`), ''] : []),
  ].join('\n')
  const options = await prettier.resolveConfig(file)
  fs.writeFileSync(file, await prettier.format(`${intro}\n${body}`, { ...options, filepath: file }))
}

/**
 * Puts a section into the benchmarks document between its own markers (`<!-- name -->` and
 * `<!-- /name -->`), replacing an earlier one. A new section goes above the results marker of
 * `npm run bench`, which rewrites everything below that marker.
 *
 * @example
 * await writeSection('docs/benchmarks.md', 'search-results', formatReport(report))
 */
export async function writeSection(file: string, name: string, section: string): Promise<void> {
  const start = `<!-- ${name} -->`
  const end = `<!-- /${name} -->`
  const existing = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : defaultIntro
  const block = `${start}\n\n${section}\n\n${end}`
  const from = existing.indexOf(start)
  const to = existing.indexOf(end)
  let text: string
  if (from >= 0 && to > from) {
    text = existing.slice(0, from) + block + existing.slice(to + end.length)
  } else {
    const marker = existing.indexOf(resultsMarker)
    if (marker < 0) text = `${existing.trimEnd()}\n\n${block}\n`
    else {
      // Keep the sentence introducing the results marker next to it.
      const lead = existing.lastIndexOf('Everything below the marker', marker)
      const at = lead >= 0 && existing.slice(lead, marker).split('\n\n').length <= 2 ? lead : marker
      text = `${existing.slice(0, at)}${block}\n\n${existing.slice(at)}`
    }
  }
  const options = await prettier.resolveConfig(file)
  fs.writeFileSync(file, await prettier.format(text, { ...options, filepath: file }))
}

/**
 * The lines of a Markdown table with padded columns; `numeric` columns are right-aligned.
 *
 * @example
 * markdownTable(['query', 'p50 (ms)'], [['q=rare', '5.30']], (column) => column === 1).join('\n')
 */
export function markdownTable(
  header: readonly string[],
  cells: readonly (readonly string[])[],
  numeric: (column: number) => boolean,
): string[] {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...cells.map((c) => (c[column] ?? '').length)),
  )
  const line = (values: readonly string[]) =>
    `| ${values
      .map((value, column) => {
        const width = widths[column] ?? 0
        return numeric(column) ? value.padStart(width) : value.padEnd(width)
      })
      .join(' | ')} |`
  const rule = `| ${widths.map((width, column) => (numeric(column) ? `${'-'.repeat(width - 1)}:` : '-'.repeat(width))).join(' | ')} |`
  return [line(header), rule, ...cells.map(line)]
}

/**
 * The short commit id of the checkout at `cwd`, or null outside git.
 *
 * @example
 * gitRevision(repositoryRoot) // '3b40d5f'
 */
export function gitRevision(cwd: string): string | null {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd, encoding: 'utf8' }).trim()
  } catch {
    return null
  }
}
