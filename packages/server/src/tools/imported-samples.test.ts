import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { validate } from '@toolplane/sdk'
import { describe, expect, it } from 'vitest'
import { openApiToToolSpec } from './openapi/convert.js'
import { loadOpenApiDocument } from './openapi/parse.js'
import { toolFromSpec } from './openapi/tool.js'
import { toolCatalog } from './service.js'

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'openapi', 'fixtures')
const documents = fs.readdirSync(fixtures).filter((file) => /\.(json|ya?ml)$/.test(file))

describe('sample inputs of every action of every imported fixture', () => {
  const catalog = toolCatalog({ loaded: [] })

  it.each(documents)('validate against the action input schema for 50 seeds each: %s', async (file) => {
    const loaded = await loadOpenApiDocument(fs.readFileSync(path.join(fixtures, file), 'utf8'))
    const tool = toolFromSpec(openApiToToolSpec(loaded.document).spec)
    expect(tool.actions.length).toBeGreaterThan(0)
    for (const action of tool.actions) {
      for (let seed = 0; seed < 50; seed++) {
        const input = catalog.sampleInput(action, seed)
        const result = validate(action.input, input)
        expect(result.ok, `${file} ${action.name} seed ${seed}: ${JSON.stringify(result)}`).toBe(true)
      }
    }
  })
})
