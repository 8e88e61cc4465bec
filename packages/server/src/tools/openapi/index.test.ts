import { describe, expect, it } from 'vitest'
import { OpenApiImportError, importOpenApiDocument } from './index.js'

const text = `openapi: 3.1.0
info: { title: Pets, version: '1' }
paths:
  /pets:
    get:
      operationId: listPets
      responses: { '200': { description: ok } }
`

describe('importOpenApiDocument', () => {
  it('loads and converts in one call, with the loader’s and the converter’s warnings', async () => {
    const result = await importOpenApiDocument(text, { slug: 'pets', name: 'My pets' })
    expect(result.spec).toMatchObject({ slug: 'pets', name: 'My pets', actions: [{ name: 'list_pets' }] })
    expect(result.fetched).toEqual([])
    expect(result.warnings).toEqual([
      'The server URL "/" is not an absolute http(s) URL and no source URL was given; set the base URL on the installation or the credential before running actions',
    ])
  })

  it('resolves the server against the source URL it was loaded from', async () => {
    const result = await importOpenApiDocument(text, {
      sourceUrl: 'https://pets.example.com/api/openapi.yaml',
    })
    expect(result.spec.baseUrl).toBe('https://pets.example.com')
    expect(result.spec.source.sourceUrl).toBe('https://pets.example.com/api/openapi.yaml')
    expect(result.warnings).toEqual([])
  })

  it('raises an OpenApiImportError with a code', async () => {
    await expect(importOpenApiDocument('swagger: "2.0"')).rejects.toBeInstanceOf(OpenApiImportError)
  })
})
