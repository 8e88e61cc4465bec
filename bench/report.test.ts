import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { Report, ScenarioRow } from './report.js'
import { formatChecks, formatTable, resultsMarker, writeReport, writeSection } from './report.js'

const latency = { count: 10, mean: 1.5, p50: 1.234, p95: 12.34, p99: 123.4, max: 200 }

const rows: ScenarioRow[] = [
  {
    scenario: 'upstream direct',
    targetRate: '50 connections',
    requests: 12345,
    errors: 0,
    throughput: 9876.5,
    latency,
    peakRss: 60.4,
    cpuPerRequestMs: 0.1234,
  },
  {
    scenario: 'async',
    targetRate: '500/s',
    requests: 1,
    errors: 2,
    throughput: 3,
    latency,
    peakRss: NaN,
    note: 'accepts',
  },
]

describe('formatTable', () => {
  it('aligns every line to the same width and marks footnotes', () => {
    const lines = formatTable(rows).split('\n')
    const table = lines.filter((line) => line.startsWith('|'))
    expect(new Set(table.map((line) => line.length)).size).toBe(1)
    const cells = (table[2] ?? '').split('|').map((cell) => cell.trim())
    expect(cells.slice(1, -1)).toEqual([
      'upstream direct',
      '50 connections',
      '12,345',
      '0',
      '9,877',
      '1.23',
      '12.3',
      '123',
      '0.123',
      '60',
    ])
    // A run whose CPU time was not measured shows a dash.
    expect((table[3] ?? '').split('|').map((cell) => cell.trim())[9]).toBe('–')
    expect(table[3]).toContain('async ¹')
    expect(lines.at(-1)).toBe('- ¹ accepts')
  })
})

describe('formatChecks', () => {
  it('says PASS, FAIL or NOT RUN', () => {
    const text = formatChecks([
      { requirement: 'a', pass: true, measured: '1' },
      { requirement: 'b', pass: false, measured: '2' },
      { requirement: 'c', pass: null, measured: '3' },
    ])
    expect(text).toBe('- **PASS** a: 1\n- **FAIL** b: 2\n- **NOT RUN** c: 3')
  })
})

describe('writeReport', () => {
  let dir: string | undefined
  afterEach(() => {
    if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true })
  })

  const report = (table: string): Report => ({
    command: 'npm run bench',
    date: '2026-01-01 00:00 UTC',
    revision: null,
    machine: { cpu: 'CPU', cpus: 2, memoryGb: 4, node: 'v20', os: 'Linux' },
    settings: 'defaults',
    table,
    checks: '- **PASS** x: y',
    soak: null,
    notes: [],
  })

  it('keeps the hand-written text above the marker and replaces the results below it', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-report-'))
    const file = path.join(dir, 'benchmarks.md')
    fs.writeFileSync(file, `# Benchmarks\n\nHand-written intro.\n\n${resultsMarker}\n\nold results\n`)
    await writeReport(file, report(formatTable(rows)))
    await writeReport(file, report(formatTable(rows.slice(0, 1))))
    const text = fs.readFileSync(file, 'utf8')
    expect(text.startsWith(`# Benchmarks\n\nHand-written intro.\n\n${resultsMarker}\n`)).toBe(true)
    expect(text).not.toContain('old results')
    expect(text.split(resultsMarker)).toHaveLength(2)
    expect(text).toContain('upstream direct')
    expect(text).not.toContain('async ¹')
  })
})

describe('writeSection', () => {
  let dir: string | undefined
  afterEach(() => {
    if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true })
  })

  it('puts a new section above the results and replaces it in place afterwards', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-section-'))
    const file = path.join(dir, 'benchmarks.md')
    const lead = 'Everything below the marker is rewritten.'
    fs.writeFileSync(file, `# Benchmarks\n\nIntro.\n\n${lead}\n\n${resultsMarker}\n\nresults\n`)
    await writeSection(file, 'web-ui-results', '## Web UI\n\nfirst')
    await writeSection(file, 'search-results', '## Search\n\nsearch')
    await writeSection(file, 'web-ui-results', '## Web UI\n\nsecond')
    const text = fs.readFileSync(file, 'utf8')
    expect(text).toBe(
      '# Benchmarks\n\nIntro.\n\n' +
        '<!-- web-ui-results -->\n\n## Web UI\n\nsecond\n\n<!-- /web-ui-results -->\n\n' +
        '<!-- search-results -->\n\n## Search\n\nsearch\n\n<!-- /search-results -->\n\n' +
        `${lead}\n\n${resultsMarker}\n\nresults\n`,
    )
  })

  it('appends to a document without the results marker', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-section-'))
    const file = path.join(dir, 'benchmarks.md')
    fs.writeFileSync(file, '# Benchmarks\n')
    await writeSection(file, 'x', 'body')
    expect(fs.readFileSync(file, 'utf8')).toBe('# Benchmarks\n\n<!-- x -->\n\nbody\n\n<!-- /x -->\n')
  })
})
