import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { repositoryRoot, serverNodeFlags } from './toolplane.js'

describe('the benchmarked server', () => {
  it('runs with the Node.js flags `npm start` uses', () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(repositoryRoot, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>
    }
    const start = manifest.scripts.start ?? ''
    expect(start).toMatch(/node .*packages\/server\/dist\/bin\.js serve/)
    for (const flag of serverNodeFlags) expect(start).toContain(` ${flag} `)
  })
})
