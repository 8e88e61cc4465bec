import fs from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dialects } from '../testing/databases.js'
import { bearer, startTestApp } from '../testing/harness.js'
import type { TestApp } from '../testing/harness.js'

const inventory = fs.readFileSync(
  path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'inventory-openapi.yaml'),
  'utf8',
)

interface ImportResponse {
  created: boolean
  warnings: string[]
  tool: { slug: string; name: string; source: string; actions: { name: string }[] }
}

describe.each(dialects)('OpenAPI import on %s', (dialect) => {
  let t: TestApp
  let a: { id: string; key: string }
  let b: { id: string; key: string }

  beforeAll(async () => {
    t = await startTestApp(dialect)
    a = await t.workspace('importer-a')
    b = await t.workspace('importer-b')
  })
  afterAll(() => t.close())

  const importAs = (key: string, payload: unknown, headers: Record<string, string> = {}, query = '') =>
    t.app.inject({
      method: 'POST',
      url: `/v1/tools/import${query}`,
      headers: { ...bearer(key), ...headers },
      payload: payload as string,
    })

  it('imports a document as a workspace tool with one action per operation, visible only there', async () => {
    const res = await importAs(a.key, { document: inventory })
    expect(res.statusCode, res.body).toBe(201)
    const body = res.json<ImportResponse>()
    expect(body.created).toBe(true)
    expect(body.tool).toMatchObject({ slug: 'inventory_api', name: 'Inventory API', source: 'imported' })
    expect(body.tool.actions.map((x) => x.name).sort()).toEqual(['create_thing', 'get_thing', 'list_things'])

    const listA = await t.app.inject({ url: '/v1/tools?limit=200', headers: bearer(a.key) })
    expect(listA.json<{ data: { slug: string }[] }>().data.map((x) => x.slug)).toContain('inventory_api')
    const listB = await t.app.inject({ url: '/v1/tools?limit=200', headers: bearer(b.key) })
    expect(listB.json<{ data: { slug: string }[] }>().data.map((x) => x.slug)).not.toContain('inventory_api')
    expect((await t.app.inject({ url: '/v1/tools/inventory_api', headers: bearer(b.key) })).statusCode).toBe(
      404,
    )

    const detail = await t.app.inject({ url: '/v1/tools/inventory_api', headers: bearer(a.key) })
    expect(detail.json()).toMatchObject({
      baseUrl: 'https://inventory.example.com/v2',
      authMethods: [{ kind: 'bearer' }],
    })
    const sample = await t.app.inject({
      url: '/v1/tools/inventory_api/actions/create_thing/sample-input?seed=3',
      headers: bearer(a.key),
    })
    expect(sample.statusCode).toBe(200)
    const functions = await t.app.inject({
      url: '/v1/tools?q=inventory&format=openai',
      headers: bearer(a.key),
    })
    expect(JSON.stringify(functions.json())).toContain('inventory_api__create_thing')
  })

  it('re-imports by slug, replacing the tool, and takes raw YAML', async () => {
    const smaller = inventory.replace(/ {2}\/things\/\{id\}:[\s\S]*?(?=\nsecurity:)/, '')
    const res = await importAs(
      a.key,
      smaller,
      { 'content-type': 'application/yaml' },
      '?slug=inventory_api&name=Inventory',
    )
    expect(res.statusCode, res.body).toBe(200)
    const body = res.json<ImportResponse>()
    expect(body).toMatchObject({ created: false, tool: { slug: 'inventory_api', name: 'Inventory' } })
    expect(body.tool.actions).toHaveLength(2)
    const detail = await t.app.inject({ url: '/v1/tools/inventory_api', headers: bearer(a.key) })
    expect(detail.json<{ actions: unknown[] }>().actions).toHaveLength(2)
  })

  it('refuses a built-in slug, a bad document and Swagger 2.0 with clear problems, changing nothing', async () => {
    const taken = await importAs(a.key, { document: inventory, slug: 'github' })
    expect(taken.statusCode).toBe(409)
    expect(taken.json()).toMatchObject({ code: 'conflict' })

    const broken = await importAs(a.key, { document: 'openapi: 3.1.0\ninfo: [unclosed' })
    expect(broken.statusCode).toBe(400)
    expect(broken.json<{ detail: string }>().detail).toMatch(/line/)

    const swagger = await importAs(a.key, {
      document: { swagger: '2.0', info: { title: 'Old', version: '1' }, paths: {} },
    })
    expect(swagger.statusCode).toBe(400)
    expect(swagger.json<{ detail: string }>().detail).toMatch(/2\.0|Swagger/)

    const neither = await importAs(a.key, { slug: 'x' })
    expect(neither.statusCode).toBe(400)

    const rows = await t.database.db
      .selectFrom('workspace_tools')
      .select('slug')
      .where('workspace_id', '=', a.id)
      .execute()
    expect(rows.map((r) => r.slug)).toEqual(['inventory_api'])
  })

  it('refuses to read a document from a loopback URL without the private-network override', async () => {
    const res = await importAs(a.key, { url: 'http://127.0.0.1:9/openapi.yaml' })
    expect(res.statusCode).toBe(400)
    expect(res.json<{ detail: string }>().detail).toMatch(/could not be read/)
  })

  it('deletes an imported tool, but never a built-in one', async () => {
    const builtin = await t.app.inject({ method: 'DELETE', url: '/v1/tools/http', headers: bearer(a.key) })
    expect(builtin.statusCode).toBe(409)
    const otherWorkspace = await t.app.inject({
      method: 'DELETE',
      url: '/v1/tools/inventory_api',
      headers: bearer(b.key),
    })
    expect(otherWorkspace.statusCode).toBe(404)
    const res = await t.app.inject({
      method: 'DELETE',
      url: '/v1/tools/inventory_api',
      headers: bearer(a.key),
    })
    expect(res.statusCode).toBe(204)
    expect((await t.app.inject({ url: '/v1/tools/inventory_api', headers: bearer(a.key) })).statusCode).toBe(
      404,
    )
  })
})

describe('OpenAPI import from a URL', () => {
  it('reads the document over HTTP when private networks are allowed', async () => {
    const server = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/yaml' }).end(inventory)
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const { port } = server.address() as AddressInfo
    const t = await startTestApp('sqlite', { TOOLPLANE_ALLOW_PRIVATE_NETWORK: 'true' })
    try {
      const ws = await t.workspace('url-import')
      const res = await t.app.inject({
        method: 'POST',
        url: '/v1/tools/import',
        headers: bearer(ws.key),
        payload: { url: `http://127.0.0.1:${port}/openapi.yaml`, slug: 'inventory_url' },
      })
      expect(res.statusCode, res.body).toBe(201)
      expect(res.json<ImportResponse>().tool.actions).toHaveLength(3)
    } finally {
      await t.close()
      server.close()
    }
  })
})
