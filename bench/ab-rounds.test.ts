import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { parseEnvSettings, serverBinOf, summarizeRounds } from './ab-rounds.js'
import { median } from './report.js'

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'toolplane-ab-'))
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true })
})

describe('an A/B comparison', () => {
  it('judges on the median of per-round ratios, so one disturbed round does not decide', () => {
    const round = (a: number, b: number, cpuA = 0.2, cpuB = 0.2) => ({
      a: { throughput: a, cpuMsPerRequest: cpuA },
      b: { throughput: b, cpuMsPerRequest: cpuB },
    })
    const summary = summarizeRounds([
      round(1000, 1100, 0.2, 0.18),
      round(2000, 2200, 0.21, 0.19),
      round(1500, 300, 0.22, 0.5), // B's slice met a stall
      round(1000, 1050, 0.2, 0.19),
    ])
    expect(summary.rounds).toBe(4)
    expect(summary.medianRatio).toBeCloseTo((1.1 + 1.05) / 2, 10)
    expect(summary.bAhead).toBe(3)
    expect(summary.medianCpuA).toBeCloseTo(0.205, 10)
    expect(summary.medianCpuB).toBeCloseTo(0.19, 10)
  })

  it('takes medians of odd and even counts, and of nothing', () => {
    expect(median([3, 1, 2])).toBe(2)
    expect(median([4, 1, 3, 2])).toBe(2.5)
    expect(median([])).toBeNaN()
  })

  it('finds a side’s server in a checkout or takes its bin.js, and refuses one not built', () => {
    const checkout = path.join(dir, 'checkout')
    const bin = path.join(checkout, 'packages/server/dist/bin.js')
    fs.mkdirSync(path.dirname(bin), { recursive: true })
    fs.writeFileSync(bin, '')
    expect(serverBinOf(checkout)).toBe(bin)
    expect(serverBinOf('checkout', dir)).toBe(bin)
    expect(serverBinOf(bin)).toBe(bin)
    expect(() => serverBinOf(path.join(dir, 'elsewhere'))).toThrow(/no built server at .*elsewhere/)
    fs.mkdirSync(path.join(dir, 'unbuilt'))
    expect(() => serverBinOf(path.join(dir, 'unbuilt'))).toThrow(/unbuilt\/packages\/server\/dist\/bin\.js/)
  })

  it('reads environment settings as NAME=value, a value may hold "="', () => {
    expect(parseEnvSettings(['A=1', 'B=x=y', 'C='])).toEqual({ A: '1', B: 'x=y', C: '' })
    expect(() => parseEnvSettings(['NOVALUE'])).toThrow(/NAME=value.*NOVALUE/)
    expect(() => parseEnvSettings(['=1'])).toThrow(/NAME=value/)
  })
})
