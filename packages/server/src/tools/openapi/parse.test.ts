import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { createHttpClient, validate } from '@toolplane/sdk'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { OpenApiImportError } from './errors.js'
import {
  EXTERNAL_REFS_KEY,
  MAX_NESTING_DEPTH,
  loadOpenApiDocument,
  openApiVersion,
  parseOpenApiDocument,
  remoteReader,
  resolvePointer,
} from './parse.js'
import type { JsonObject } from './parse.js'
import { openApiToToolSpec } from './convert.js'

async function failure(promise: Promise<unknown>): Promise<OpenApiImportError> {
  try {
    await promise
  } catch (error) {
    if (error instanceof OpenApiImportError) return error
    throw error
  }
  throw new Error('expected an OpenApiImportError')
}

function syncFailure(run: () => unknown): OpenApiImportError {
  try {
    run()
  } catch (error) {
    if (error instanceof OpenApiImportError) return error
    throw error
  }
  throw new Error('expected an OpenApiImportError')
}

const minimal = (extra = ''): string => `openapi: 3.0.3
info: { title: Pets, version: '1' }
paths:
  /pets:
    get:
      operationId: listPets
      responses:
        '200':
          description: ok${extra}
`

describe('parseOpenApiDocument', () => {
  it('reads JSON and YAML', () => {
    expect(parseOpenApiDocument('{"openapi":"3.1.0"}')).toEqual({ openapi: '3.1.0' })
    expect(parseOpenApiDocument('openapi: 3.1.0\ninfo:\n  title: x\n')).toEqual({
      openapi: '3.1.0',
      info: { title: 'x' },
    })
  })

  it('ignores a byte order mark and reads YAML 1.2 dates as text', () => {
    expect(parseOpenApiDocument('\uFEFFopenapi: 3.0.0\ndate: 2024-01-02\n')).toEqual({
      openapi: '3.0.0',
      date: '2024-01-02',
    })
  })

  it('supports YAML merge keys', () => {
    const document = parseOpenApiDocument('base: &base\n  a: 1\nchild:\n  <<: *base\n  b: 2\n')
    expect(document.child).toEqual({ a: 1, b: 2 })
  })

  it('names the line and column of a YAML syntax error', () => {
    const error = syncFailure(() => parseOpenApiDocument('openapi: 3.0.0\ninfo:\n  title: [unclosed\n'))
    expect(error.code).toBe('invalid_document')
    expect(error.position?.line).toBeGreaterThanOrEqual(3)
    expect(error.message).toMatch(/not valid JSON or YAML: .*line \d+, column \d+/)
  })

  it('names the line and column of a JSON syntax error', () => {
    const error = syncFailure(() => parseOpenApiDocument('{\n  "openapi": "3.0.0",\n  "info": {,}\n}'))
    expect(error.code).toBe('invalid_document')
    expect(error.position).toEqual({ line: 3, column: expect.any(Number) as number })
  })

  it('accepts JSON-like YAML that JSON.parse refuses', () => {
    expect(parseOpenApiDocument("{ openapi: '3.0.0' }")).toEqual({ openapi: '3.0.0' })
  })

  it('refuses duplicate keys, several documents, empty text and non-objects', () => {
    expect(syncFailure(() => parseOpenApiDocument('a: 1\na: 2\n')).code).toBe('invalid_document')
    expect(syncFailure(() => parseOpenApiDocument('a: 1\n---\nb: 2\n')).code).toBe('invalid_document')
    expect(syncFailure(() => parseOpenApiDocument('  \n')).message).toBe('The document is empty')
    expect(syncFailure(() => parseOpenApiDocument('[1, 2]')).message).toMatch(/must be a JSON or YAML object/)
    expect(syncFailure(() => parseOpenApiDocument('just text')).code).toBe('invalid_document')
  })

  it('refuses an alias bomb', () => {
    const lines = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]']
    for (let level = 1; level < 8; level += 1) {
      const previous = String.fromCharCode(96 + level)
      const name = String.fromCharCode(97 + level)
      lines.push(`${name}: &${name} [${Array(10).fill(`*${previous}`).join(',')}]`)
    }
    expect(syncFailure(() => parseOpenApiDocument(lines.join('\n'))).code).toBe('invalid_document')
  })
})

describe('openApiVersion', () => {
  it('accepts 3.0.x and 3.1.x', () => {
    expect(openApiVersion({ openapi: '3.0.3' })).toBe('3.0')
    expect(openApiVersion({ openapi: '3.1.1' })).toBe('3.1')
  })

  it('refuses Swagger 2.0 and says how to convert it', () => {
    const error = syncFailure(() => openApiVersion({ swagger: '2.0' }))
    expect(error.code).toBe('unsupported_version')
    expect(error.message).toMatch(/Swagger 2\.0 document.*Convert it first.*swagger2openapi/)
  })

  it('refuses other versions and a missing or numeric version', () => {
    expect(syncFailure(() => openApiVersion({ openapi: '3.2.0' })).message).toMatch(
      /OpenAPI 3\.2\.0 is not supported/,
    )
    expect(syncFailure(() => openApiVersion({})).message).toMatch(/no `openapi` field/)
    expect(syncFailure(() => openApiVersion({ openapi: 3.1 })).message).toMatch(/must be a string/)
  })
})

describe('resolvePointer', () => {
  const root = { a: { 'b/c': [10, { '~d': 'found' }] } }

  it('follows escaped and percent-encoded segments and array indexes', () => {
    expect(resolvePointer(root, '#/a/b~1c/1/~0d')).toBe('found')
    expect(resolvePointer(root, '#/a/b%7E1c/0')).toBe(10)
    expect(resolvePointer(root, '')).toBe(root)
  })

  it('is undefined for anything that is not there', () => {
    expect(resolvePointer(root, '#/a/x')).toBeUndefined()
    expect(resolvePointer(root, '#/a/b~1c/x')).toBeUndefined()
    expect(resolvePointer(root, '#/a/b~1c/0/deeper')).toBeUndefined()
    expect(resolvePointer(root, '#anchor')).toBeUndefined()
    expect(resolvePointer(root, '#/a/%E0%A4%A')).toBeUndefined()
  })
})

describe('loadOpenApiDocument', () => {
  it('loads a valid document and reports the validator’s semantic findings as warnings', async () => {
    const text = `openapi: 3.0.3
info: { title: Pets, version: '1' }
paths:
  /a:
    get: { operationId: same, responses: { '200': { description: ok } } }
  /b:
    get: { operationId: same, responses: { '200': { description: ok } } }
`
    const loaded = await loadOpenApiDocument(text)
    expect(loaded.version).toBe('3.0')
    expect(loaded.fetched).toEqual([])
    expect(loaded.warnings).toEqual([expect.stringMatching(/^OpenAPI validation: .*operationId/)])
  })

  it('refuses a document that breaks the OpenAPI schema, listing the problems', async () => {
    const error = await failure(
      loadOpenApiDocument({
        openapi: '3.0.3',
        info: { title: 'x', version: '1' },
        paths: { '/a': { get: {} } },
      }),
    )
    expect(error.code).toBe('invalid_document')
    expect(error.message).toMatch(/not a valid OpenAPI 3\.0 document/)
    expect(error.problems.length).toBeGreaterThan(0)
  })

  it('refuses a local reference that points at nothing', async () => {
    const document = {
      openapi: '3.1.0',
      info: { title: 'x', version: '1' },
      paths: {},
      components: { schemas: { A: { $ref: '#/components/schemas/Missing' } } },
    }
    expect((await failure(loadOpenApiDocument(document))).code).toBe('invalid_document')
  })

  it('refuses documents over the size limit', async () => {
    const error = await failure(loadOpenApiDocument(minimal(), { maxBytes: 100 }))
    expect(error.code).toBe('limit_exceeded')
    expect(error.message).toMatch(/up to 0\.0 MB/)
  })

  it(`refuses nesting deeper than ${MAX_NESTING_DEPTH} levels without exhausting the stack`, async () => {
    const text = `${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`
    expect((await failure(loadOpenApiDocument(text))).code).toBe('limit_exceeded')
  })

  it('checks the version before anything else', async () => {
    expect((await failure(loadOpenApiDocument('swagger: "2.0"\n'))).code).toBe('unsupported_version')
  })

  it('refuses a sourceUrl that is not an http(s) URL', async () => {
    expect((await failure(loadOpenApiDocument(minimal(), { sourceUrl: 'nope' }))).code).toBe(
      'invalid_options',
    )
    expect((await failure(loadOpenApiDocument(minimal(), { sourceUrl: 'file:///x.yaml' }))).code).toBe(
      'invalid_options',
    )
  })
})

describe('external references through local files', () => {
  const withRef = (ref: string): JsonObject => ({
    openapi: '3.1.0',
    info: { title: 'Files', version: '1' },
    paths: {
      '/pets': {
        get: {
          operationId: 'listPets',
          responses: {
            '200': { description: 'ok', content: { 'application/json': { schema: { $ref: ref } } } },
          },
        },
      },
    },
  })

  let directory: string
  let secretPath: string
  beforeAll(() => {
    directory = mkdtempSync(join(tmpdir(), 'openapi-import-'))
    secretPath = join(directory, 'secret.yaml')
    writeFileSync(secretPath, 'Secret:\n  type: string\n  description: read from disk\n')
  })
  afterAll(() => {
    rmSync(directory, { recursive: true, force: true })
  })

  it('refuses a reference to a file that was not provided, wherever it points', async () => {
    for (const ref of [
      './secret.yaml#/Secret',
      `${pathToFileURL(secretPath).href}#/Secret`,
      `${secretPath}#/Secret`,
      '../../../../etc/passwd',
    ]) {
      const error = await failure(loadOpenApiDocument(withRef(ref)))
      expect(error.code).toBe('reference_refused')
      expect(error.message).toMatch(/which was not provided/)
    }
  })

  it('reads a provided sibling file, and never the disk', async () => {
    const document = withRef('./schemas/pet.yaml#/Pet')
    const loaded = await loadOpenApiDocument(document, {
      files: {
        'schemas/pet.yaml': 'Pet:\n  type: object\n  properties:\n    tag: { $ref: "../tag.json" }\n',
        './tag.json': '{"type":"string"}',
      },
    })
    expect(loaded.document[EXTERNAL_REFS_KEY]).toEqual({
      Pet: { type: 'object', properties: { tag: { $ref: `#/${EXTERNAL_REFS_KEY}/tag` } } },
      tag: { type: 'string' },
    })
    expect(loaded.warnings[0]).toMatch(/^2 external reference\(s\) were brought into the document/)
    // The caller's object is left as it was.
    expect(JSON.stringify(document)).toContain('./schemas/pet.yaml#/Pet')
  })

  it('refuses references with other schemes and without a reader', async () => {
    expect((await failure(loadOpenApiDocument(withRef('ftp://example.com/a.yaml')))).code).toBe(
      'reference_refused',
    )
    const error = await failure(loadOpenApiDocument(withRef('https://example.com/a.yaml#/A')))
    expect(error.code).toBe('reference_refused')
    expect(error.message).toMatch(/remote references cannot be read here/)
  })

  it('reports a reference whose pointer finds nothing, or that is not a URL', async () => {
    const missing = await failure(
      loadOpenApiDocument(withRef('a.yaml#/Nope'), { files: { 'a.yaml': 'A: {}' } }),
    )
    expect(missing.code).toBe('reference_failed')
    expect(missing.message).toMatch(/points at nothing/)
    const unreadable = await failure(loadOpenApiDocument(withRef('a.yaml'), { files: { 'a.yaml': 'a: [' } }))
    expect(unreadable.code).toBe('invalid_document')
    expect((await failure(loadOpenApiDocument(withRef('http://[::1')))).code).toBe('reference_failed')
  })
})

describe('external references through readRemote', () => {
  const files: Record<string, string> = {
    '/specs/schemas/pet.yaml': `Pet:
  type: object
  required: [id]
  properties:
    id: { type: integer }
    tag: { $ref: '#/Tag' }
    owner: { $ref: '../common.yaml#/components/schemas/Owner' }
Tag:
  type: string
`,
    '/specs/common.yaml': `components:
  schemas:
    Owner:
      type: object
      properties:
        name: { type: string }
        address: { $ref: 'openapi.yaml#/components/schemas/Address' }
        pets:
          type: array
          items: { $ref: 'schemas/pet.yaml#/Pet' }
`,
    '/specs/one.yaml': 'One: { $ref: "two.yaml#/Two" }\n',
    '/specs/two.yaml': 'Two: { $ref: "three.yaml#/Three" }\n',
    '/specs/three.yaml': 'Three: { type: string }\n',
  }
  const requests: string[] = []
  let server: Server
  let base: string

  beforeAll(async () => {
    server = createServer((request, response) => {
      requests.push(request.url ?? '')
      const body = files[request.url ?? '']
      response.writeHead(body === undefined ? 404 : 200, { 'content-type': 'application/yaml' })
      response.end(body ?? 'not found')
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(async () => {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })

  const root = (ref: string): string => `openapi: 3.0.3
info: { title: Remote pets, version: '1' }
paths:
  /pets:
    get:
      operationId: listPets
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema:
                type: array
                items: { $ref: '${ref}' }
components:
  schemas:
    Address: { type: string }
`
  const trusted = remoteReader(createHttpClient({ allowPrivateNetwork: true }))

  it('reads each referenced document once, through the injected reader, and keeps cycles as $refs', async () => {
    requests.length = 0
    const loaded = await loadOpenApiDocument(root('schemas/pet.yaml#/Pet'), {
      sourceUrl: `${base}/specs/openapi.yaml`,
      readRemote: trusted,
    })
    expect(loaded.fetched).toEqual([`${base}/specs/schemas/pet.yaml`, `${base}/specs/common.yaml`])
    expect(requests).toEqual(['/specs/schemas/pet.yaml', '/specs/common.yaml'])
    expect(Object.keys(loaded.document[EXTERNAL_REFS_KEY] as object).sort()).toEqual(['Owner', 'Pet', 'Tag'])
    // A reference from a remote document back into this one is a plain local reference again.
    expect(JSON.stringify(loaded.document)).toContain('"address":{"$ref":"#/components/schemas/Address"}')

    const { spec } = openApiToToolSpec(loaded.document)
    const output = spec.actions[0]?.output ?? {}
    expect(output.items).toEqual({ $ref: '#/$defs/Pet' })
    expect(Object.keys(output.$defs as object).sort()).toEqual(['Address', 'Owner', 'Pet', 'Tag'])
    const recursive = [{ id: 1, tag: 'a', owner: { name: 'Ada', pets: [{ id: 2, owner: { pets: [] } }] } }]
    expect(validate(output, recursive).ok).toBe(true)
    expect(validate(output, [{ id: 'one' }]).ok).toBe(false)
  })

  it('stops at the fetch cap', async () => {
    requests.length = 0
    const error = await failure(
      loadOpenApiDocument(root('one.yaml#/One'), {
        sourceUrl: `${base}/specs/openapi.yaml`,
        readRemote: trusted,
        maxRemoteFetches: 2,
      }),
    )
    expect(error.code).toBe('limit_exceeded')
    expect(error.message).toMatch(/more than 2 remote documents/)
    expect(requests).toEqual(['/specs/one.yaml', '/specs/two.yaml'])
  })

  it('stops when the documents together exceed the size limit', async () => {
    const text = root('schemas/pet.yaml#/Pet')
    const error = await failure(
      loadOpenApiDocument(text, {
        sourceUrl: `${base}/specs/openapi.yaml`,
        readRemote: trusted,
        maxBytes: Buffer.byteLength(text) + 100,
      }),
    )
    expect(error.code).toBe('limit_exceeded')
  })

  it('fails clearly when a referenced document cannot be read', async () => {
    const error = await failure(
      loadOpenApiDocument(root('missing.yaml#/X'), {
        sourceUrl: `${base}/specs/openapi.yaml`,
        readRemote: trusted,
      }),
    )
    expect(error.code).toBe('reference_failed')
    expect(error.message).toBe(
      `Could not read ${base}/specs/missing.yaml: GET ${base}/specs/missing.yaml answered 404`,
    )
  })

  it('leaves the network rules to the reader: the default policy refuses this loopback server', async () => {
    requests.length = 0
    const error = await failure(
      loadOpenApiDocument(root(`${base}/specs/schemas/pet.yaml#/Pet`), {
        readRemote: remoteReader(createHttpClient()),
      }),
    )
    expect(error.code).toBe('reference_failed')
    expect(error.message).toMatch(/Refused to connect to 127\.0\.0\.1: loopback addresses are blocked/)
    expect(requests).toEqual([])
  })
})
