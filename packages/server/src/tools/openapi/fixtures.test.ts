// Real public OpenAPI documents of different styles (see fixtures/SOURCES.md) imported end to end:
// the operation count is derived from the document itself and pinned, every input schema compiles
// with Ajv 2020, the rebuilt tool passes validateTool, and the warnings are the expected ones.
import { readFileSync } from 'node:fs'
import { validateTool } from '@toolplane/sdk'
import { Ajv2020 } from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'
import { describe, expect, it } from 'vitest'
import { importOpenApiDocument, parseOpenApiDocument, toolFromSpec } from './index.js'
import type { ImportedToolSpec } from './index.js'

const methods = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']

function fixture(name: string): string {
  return readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')
}

function countOperations(text: string): number {
  const document = parseOpenApiDocument(text) as { paths?: Record<string, Record<string, unknown>> }
  let count = 0
  for (const item of Object.values(document.paths ?? {})) {
    for (const method of methods) if (typeof item[method] === 'object') count += 1
  }
  return count
}

function compileAll(spec: ImportedToolSpec): string[] {
  // A fresh Ajv, not the SDK's: the schemas must compile for any 2020-12 validator.
  const ajv = new Ajv2020({ strict: false, logger: false, inlineRefs: false })
  addFormats.default(ajv)
  const failures: string[] = []
  for (const action of spec.actions) {
    try {
      ajv.compile(action.input)
    } catch (error) {
      failures.push(`${action.name}: ${error instanceof Error ? error.message : String(error)}`)
    }
  }
  return failures
}

const skippedImplicit = (scheme: string): string =>
  `The OAuth2 implicit flow of "${scheme}" was skipped: it is deprecated by OAuth 2.0 Security Best Current Practice; use the authorization code flow`

interface Expectation {
  file: string
  operations: number
  slug: string
  openapi: string
  baseUrl: string
  authMethods: [string, string][]
  warnings: string[]
}

const expectations: Expectation[] = [
  {
    file: 'petstore.yaml',
    operations: 20,
    slug: 'swagger_petstore',
    openapi: '3.0.0',
    baseUrl: 'http://petstore.swagger.io/v2',
    authMethods: [
      ['api_key', 'api_key'],
      ['none', 'none'],
    ],
    warnings: [
      skippedImplicit('petstore_auth'),
      'POST /pet/{petId}/uploadImage: its optional request body (multipart/form-data) cannot be sent and was left out',
    ],
  },
  {
    file: 'scalar-galaxy.yaml',
    operations: 10,
    slug: 'scalar_galaxy',
    openapi: '3.1.1',
    baseUrl: 'https://galaxy.scalar.com',
    authMethods: [
      ['bearer_auth', 'bearer'],
      ['basic_auth', 'basic'],
      ['api_key_header', 'api_key'],
      ['api_key_query', 'api_key'],
      ['api_key_cookie', 'api_key'],
      ['oauth2', 'oauth2'],
      ['oauth2_client_credentials', 'oauth2'],
      ['none', 'none'],
    ],
    warnings: [
      'The callbacks of 1 operation(s) were not imported',
      "The document's 1 webhook(s) were not imported: imported tools have actions only",
      skippedImplicit('oAuth2'),
      'The OAuth2 password flow of "oAuth2" was skipped: it is deprecated by OAuth 2.0 Security Best Current Practice; use the authorization code flow',
      'The security scheme "openIdConnect" was skipped: OpenID Connect discovery is not supported; declare its OAuth2 flows instead',
      'Schemas use $dynamicRef, which is not supported; those parts accept any value',
      'POST /planets/{planetId}/image: its optional request body (multipart/form-data) cannot be sent and was left out',
    ],
  },
  {
    file: 'discourse.json',
    operations: 84,
    slug: 'discourse_api_documentation',
    openapi: '3.1.0',
    baseUrl: 'http://discourse.local',
    authMethods: [['none', 'none']],
    warnings: [
      'POST /uploads.json: its optional request body (multipart/form-data) cannot be sent and was left out',
    ],
  },
  {
    file: 'digitalocean.json',
    operations: 290,
    slug: 'digitalocean_api',
    openapi: '3.0.0',
    baseUrl: 'https://api.digitalocean.com',
    authMethods: [['bearer_auth', 'bearer']],
    warnings: [
      'The pattern "^[a-zA-Z0-9_\\\\-\\\\:]+$" is not a valid regular expression; it was dropped',
      '16 example(s) in the document do not match their schemas and were left out',
    ],
  },
  {
    file: 'squareup.json',
    operations: 200,
    slug: 'square_connect_api',
    openapi: '3.0.0',
    baseUrl: 'https://connect.squareup.com',
    authMethods: [
      ['oauth2', 'oauth2'],
      ['oauth2_client_secret', 'api_key'],
      ['none', 'none'],
    ],
    warnings: [],
  },
  {
    file: 'jira.json',
    operations: 499,
    slug: 'the_jira_cloud_platform_rest_api',
    openapi: '3.0.1',
    baseUrl: 'https://your-domain.atlassian.net',
    authMethods: [
      ['oauth2', 'oauth2'],
      ['basic_auth', 'basic'],
      ['none', 'none'],
    ],
    warnings: [
      'POST /rest/api/3/issue/{issueIdOrKey}/attachments: its optional request body (multipart/form-data) cannot be sent and was left out',
      'A schema requires "defaultScreen" but does not declare it while forbidding other properties; it is no longer required',
      '47 example(s) in the document do not match their schemas and were left out',
    ],
  },
]

describe.each(expectations)('the $file fixture', (expected) => {
  it('imports every operation as a valid, runnable tool', async () => {
    const text = fixture(expected.file)
    const { spec, warnings, fetched } = await importOpenApiDocument(text)

    expect(countOperations(text)).toBe(expected.operations)
    expect(spec.actions).toHaveLength(expected.operations)
    expect(new Set(spec.actions.map((action) => action.name)).size).toBe(expected.operations)
    expect(spec.slug).toBe(expected.slug)
    expect(spec.source.openapi).toBe(expected.openapi)
    expect(spec.baseUrl).toBe(expected.baseUrl)
    expect(spec.authMethods.map((method) => [method.id, method.kind])).toEqual(expected.authMethods)
    expect(warnings).toEqual(expected.warnings)
    expect(fetched).toEqual([])

    expect(compileAll(spec)).toEqual([])
    expect(validateTool(toolFromSpec(spec))).toEqual([])
    // Stored as JSON and read back, the spec is the same data.
    expect(JSON.parse(JSON.stringify(spec))).toEqual(spec)
  }, 180_000)
})

describe('fixture details', () => {
  it('maps the Galaxy document’s OAuth2 flows with PKCE and the scopes its operations use', async () => {
    const { spec } = await importOpenApiDocument(fixture('scalar-galaxy.yaml'))
    const oauth = spec.authMethods.filter((method) => method.kind === 'oauth2')
    expect(oauth).toEqual([
      expect.objectContaining({
        grant: 'authorization_code',
        authorizationUrl: 'https://galaxy.scalar.com/oauth/authorize',
        tokenUrl: 'https://galaxy.scalar.com/oauth/token',
        pkce: true,
      }),
      expect.objectContaining({
        grant: 'client_credentials',
        tokenUrl: 'https://galaxy.scalar.com/oauth/token',
      }),
    ])
    expect(spec.authMethods.find((method) => method.id === 'api_key_cookie')).toMatchObject({
      in: 'cookie',
      name: 'api_key',
    })
  })

  it('keeps the Square document’s API key header out of the action inputs', async () => {
    const { spec } = await importOpenApiDocument(fixture('squareup.json'))
    const header = spec.authMethods.find((method) => method.kind === 'api_key')
    expect(header).toMatchObject({ in: 'header', name: 'Authorization' })
    for (const action of spec.actions) {
      expect(action.http.parameters.filter((parameter) => parameter.in === 'header')).toEqual([])
    }
  }, 60_000)

  it('keeps DigitalOcean’s shared, allOf-composed schemas as $defs', async () => {
    const { spec } = await importOpenApiDocument(fixture('digitalocean.json'))
    const withDefs = spec.actions.filter((action) => action.input.$defs !== undefined)
    expect(withDefs.length).toBeGreaterThan(40)
    // allOf-composed object bodies are flattened into top-level inputs.
    expect(spec.actions.filter((action) => action.http.body?.merged === true).length).toBeGreaterThan(50)
    expect(spec.actions.filter((action) => action.examples.length > 0).length).toBeGreaterThan(100)
  }, 60_000)
})
