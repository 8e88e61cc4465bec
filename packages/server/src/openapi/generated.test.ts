import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { generatedFiles, repositoryRoot } from './generated.js'

describe('generated files', () => {
  it('are committed and up to date (run `npm run generate` after changing routes or errors)', async () => {
    for (const [file, expected] of Object.entries(await generatedFiles())) {
      const committed = path.join(repositoryRoot, file)
      expect(fs.existsSync(committed), `${file} is missing; run npm run generate`).toBe(true)
      expect(fs.readFileSync(committed, 'utf8'), `${file} is stale; run npm run generate`).toBe(expected)
    }
  })

  it('describes every route with a summary and error responses', async () => {
    const document = JSON.parse((await generatedFiles())['docs/api/openapi.json'] ?? '{}') as {
      paths: Record<string, Record<string, { summary?: string; responses: Record<string, unknown> }>>
    }
    for (const [route, methods] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(methods)) {
        expect(operation.summary, `${method} ${route}`).toBeTruthy()
        if (
          route.startsWith('/v1') &&
          !['/v1/auth/login', '/v1/auth/link', '/v1/oauth/callback'].includes(route)
        ) {
          expect(Object.keys(operation.responses), `${method} ${route}`).toContain('401')
        }
      }
    }
  })
})
