import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { validate } from '@toolplane/sdk'
import { Ajv2020 } from 'ajv/dist/2020.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bearer, startTestApp } from '../testing/harness.js'
import type { TestApp } from '../testing/harness.js'
import { loadPlugins } from './plugins.js'
import { toolCatalog } from './service.js'

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures')
const builtinSlugs = [
  'github',
  'google_sheets',
  'graphql',
  'http',
  'linear',
  'notion',
  'postgres',
  'slack',
  'smtp',
  'stripe',
]

// The documented shapes of function-calling tool definitions (OpenAI Chat Completions `tools`,
// Anthropic Messages `tools`, MCP `Tool`), checked on every definition the catalog renders.
const functionName = { type: 'string', pattern: '^[a-zA-Z0-9_-]{1,64}$' }
const objectSchema = {
  type: 'object',
  required: ['type'],
  properties: {
    type: { const: 'object' },
    properties: { type: 'object' },
    required: { type: 'array', items: { type: 'string' } },
  },
}
const formatSchemas = {
  openai: {
    type: 'object',
    required: ['type', 'function'],
    additionalProperties: false,
    properties: {
      type: { const: 'function' },
      function: {
        type: 'object',
        required: ['name', 'parameters'],
        additionalProperties: false,
        properties: {
          name: functionName,
          description: { type: 'string', maxLength: 1024 },
          parameters: objectSchema,
        },
      },
    },
  },
  anthropic: {
    type: 'object',
    required: ['name', 'input_schema'],
    additionalProperties: false,
    properties: { name: functionName, description: { type: 'string' }, input_schema: objectSchema },
  },
  mcp: {
    type: 'object',
    required: ['name', 'inputSchema'],
    additionalProperties: false,
    properties: {
      name: functionName,
      title: { type: 'string' },
      description: { type: 'string' },
      inputSchema: objectSchema,
    },
  },
} as const

describe('tool catalog', () => {
  let t: TestApp
  let key: string

  beforeAll(async () => {
    t = await startTestApp('sqlite')
    key = (await t.workspace('catalog', ['tools:read'])).key
  })
  afterAll(() => t.close())

  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- a typed reading of the body
  const get = <T>(url: string) =>
    t.app.inject({ url, headers: bearer(key) }).then((r) => ({ status: r.statusCode, body: r.json<T>() }))

  it('lists all ten built-in tools', async () => {
    const { body } = await get<{ data: { slug: string; source: string; actions: unknown[] }[] }>(
      '/v1/tools?limit=200',
    )
    expect(body.data.map((tool) => tool.slug)).toEqual(builtinSlugs)
    expect(body.data.every((tool) => tool.source === 'builtin')).toBe(true)
    const actionCounts = Object.fromEntries(body.data.map((tool) => [tool.slug, tool.actions.length]))
    for (const slug of ['github', 'slack', 'stripe', 'linear', 'notion', 'google_sheets'])
      expect(actionCounts[slug]).toBeGreaterThanOrEqual(5)
    for (const slug of builtinSlugs) expect(actionCounts[slug]).toBeGreaterThanOrEqual(3)
  })

  it('searches names and actions, best match first, filters by category and pages', async () => {
    const issue = await get<{ data: { slug: string }[] }>('/v1/tools?q=issue')
    expect(issue.body.data.map((tool) => tool.slug)).toEqual(expect.arrayContaining(['github', 'linear']))
    const exact = await get<{ data: { slug: string }[] }>('/v1/tools?q=Slack')
    expect(exact.body.data[0]?.slug).toBe('slack')
    const none = await get<{ data: unknown[]; nextCursor: null }>('/v1/tools?q=zzzz-nothing')
    expect(none.body).toEqual({ data: [], nextCursor: null })

    const all = await get<{ data: { slug: string; categories: string[] }[] }>('/v1/tools?limit=200')
    const category = all.body.data[0]?.categories[0] ?? 'none'
    const filtered = await get<{ data: { categories: string[] }[] }>(
      `/v1/tools?category=${encodeURIComponent(category)}`,
    )
    expect(filtered.body.data.length).toBeGreaterThan(0)
    expect(filtered.body.data.every((tool) => tool.categories.includes(category))).toBe(true)

    const slugs: string[] = []
    let cursor: string | null = null
    do {
      const page: { body: { data: { slug: string }[]; nextCursor: string | null } } = await get(
        `/v1/tools?limit=3${cursor === null ? '' : `&cursor=${cursor}`}`,
      )
      slugs.push(...page.body.data.map((tool) => tool.slug))
      cursor = page.body.nextCursor
    } while (cursor !== null)
    expect(slugs).toEqual(builtinSlugs)
  })

  it.each(['openai', 'anthropic', 'mcp'] as const)(
    'renders every action as a valid %s function definition',
    async (format) => {
      const { body } = await get<{ format: string; data: Record<string, unknown>[] }>(
        `/v1/tools?limit=200&format=${format}`,
      )
      expect(body.format).toBe(format)
      const ajv = new Ajv2020({ strict: false })
      const check = ajv.compile(formatSchemas[format])
      const names = new Set<string>()
      for (const definition of body.data) {
        expect(check(definition), JSON.stringify(check.errors)).toBe(true)
        const parameters = (
          format === 'openai'
            ? (definition.function as { parameters: object }).parameters
            : format === 'anthropic'
              ? definition.input_schema
              : definition.inputSchema
        ) as object
        expect(() => new Ajv2020({ strict: false }).compile(parameters)).not.toThrow()
        expect(JSON.stringify(parameters)).not.toContain('x-toolplane')
        const name =
          format === 'openai' ? (definition.function as { name: string }).name : (definition.name as string)
        names.add(name)
      }
      expect(names.size).toBe(body.data.length)
      expect(names.has('http__request')).toBe(true)
    },
  )

  it('shows a tool with auth methods and full actions, and one action', async () => {
    const tool = await get<{
      slug: string
      authMethods: { id: string; fields: object }[]
      actions: { id: string; input: object }[]
    }>('/v1/tools/http')
    expect(tool.status).toBe(200)
    expect(tool.body.authMethods.map((m) => m.id)).toEqual(
      expect.arrayContaining(['none', 'bearer', 'basic', 'api_key']),
    )
    expect(tool.body.actions.map((a) => a.id)).toContain('http.request')
    const action = await get<{
      id: string
      functionName: string
      input: { properties: Record<string, unknown> }
    }>('/v1/tools/http/actions/request')
    expect(action.body).toMatchObject({ id: 'http.request', functionName: 'http__request' })
    expect(Object.keys(action.body.input.properties)).toEqual(expect.arrayContaining(['method', 'url']))
  })

  it('answers 404 problems naming what exists', async () => {
    const tool = await get<{ code: string; detail: string }>('/v1/tools/nope')
    expect(tool).toMatchObject({ status: 404, body: { code: 'not_found' } })
    const action = await get<{ code: string; detail: string }>('/v1/tools/http/actions/nope')
    expect(action.status).toBe(404)
    expect(action.body.detail).toContain('request')
    const cursor = await get<{ code: string }>('/v1/tools?cursor=bm9wZQ')
    expect(cursor.status).toBe(400)
  })

  it('generates the same valid sample input for the same seed', async () => {
    const first = await get<{ seed: number; input: unknown }>(
      '/v1/tools/http/actions/request/sample-input?seed=7',
    )
    const again = await get<{ seed: number; input: unknown }>(
      '/v1/tools/http/actions/request/sample-input?seed=7',
    )
    expect(first.body).toEqual(again.body)
    expect(first.body.seed).toBe(7)
    const bad = await get<{ code: string }>('/v1/tools/http/actions/request/sample-input?seed=-1')
    expect(bad.status).toBe(400)
  })
})

describe('sample inputs of every built-in action', () => {
  it('validate against the action input schema for 50 seeds each', async () => {
    const { tools, refused } = await loadPlugins({ extra: [], cwd: process.cwd() })
    expect(refused).toEqual([])
    const catalog = toolCatalog({ loaded: tools })
    let checked = 0
    for (const { tool } of tools) {
      for (const action of tool.actions) {
        for (let seed = 0; seed < 50; seed++) {
          const input = catalog.sampleInput(action, seed)
          const result = validate(action.input, input)
          expect(result.ok, `${tool.slug}.${action.name} seed ${seed}: ${JSON.stringify(result)}`).toBe(true)
          checked++
        }
      }
    }
    expect(checked).toBeGreaterThanOrEqual(50 * 45)
  })
})

describe('plugin loading', () => {
  it('loads extra plugins from paths and refuses broken ones, keeping the rest', async () => {
    const { tools, refused } = await loadPlugins({
      extra: [
        path.join(fixtures, 'extra-plugin.ts'),
        path.join(fixtures, 'broken-plugin.ts'),
        path.join(fixtures, 'no-tool.ts'),
        path.join(fixtures, 'duplicate-http.ts'),
        '@toolplane/no-such-plugin',
        './does/not/exist.js',
      ],
      cwd: process.cwd(),
    })
    expect(tools.map((t) => t.tool.slug)).toEqual(
      expect.arrayContaining([...builtinSlugs, 'weather_station']),
    )
    expect(tools.find((t) => t.tool.slug === 'weather_station')?.builtin).toBe(false)
    const problems = Object.fromEntries(refused.map((r) => [path.basename(r.plugin), r.problem]))
    expect(problems['broken-plugin.ts']).toMatch(/read/)
    expect(problems['no-tool.ts']).toMatch(/exports no tool/)
    expect(problems['duplicate-http.ts']).toMatch(/already provided by @toolplane\/plugin-http/)
    expect(problems['no-such-plugin']).toMatch(/cannot be loaded/)
    expect(problems['exist.js']).toMatch(/cannot be loaded/)
  })

  it('logs each refused plugin by name and reports it in /readyz without failing readiness', async () => {
    const t = await startTestApp('sqlite', { TOOLPLANE_PLUGINS: path.join(fixtures, 'broken-plugin.ts') })
    try {
      const line = t.logs.find((l) => l.msg === 'plugin refused')
      expect(line).toMatchObject({
        level: 'error',
        plugin: expect.stringContaining('broken-plugin.ts') as string,
      })
      const ready = await t.app.inject({ url: '/readyz' })
      expect(ready.statusCode).toBe(200)
      expect(ready.json()).toMatchObject({
        checks: { plugins: { status: 'ok', warning: expect.stringContaining('broken-plugin.ts') as string } },
      })
    } finally {
      await t.close()
    }
  })

  it('loads a plugin package from a directory path through its package.json', async () => {
    const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../plugins/http')
    const { tools, refused } = await loadPlugins({
      builtins: [],
      extra: [dir],
      cwd: process.cwd(),
      importModule: (s) =>
        import(s.replace(/dist\/index\.js$/, 'src/index.ts')) as Promise<Record<string, unknown>>,
    })
    expect(refused).toEqual([])
    expect(tools.map((t) => t.tool.slug)).toEqual(['http'])
  })
})
