import { performance } from 'node:perf_hooks'
import { validateTool } from '@toolplane/sdk'
import { describe, expect, it } from 'vitest'
import { openApiToToolSpec } from './convert.js'
import type { ConvertOptions } from './convert.js'
import { OpenApiImportError } from './errors.js'
import type { JsonObject } from './parse.js'
import type { ImportedAction, ImportedToolSpec } from './spec.js'
import { toolFromSpec } from './tool.js'

const ok = { '200': { description: 'ok' } }

function document(paths: JsonObject, extra: JsonObject = {}): JsonObject {
  return {
    openapi: '3.0.3',
    info: { title: 'Test API', version: '1.0' },
    servers: [{ url: 'https://api.example.com/v1' }],
    paths,
    ...extra,
  }
}

function convert(doc: JsonObject, options?: ConvertOptions): { spec: ImportedToolSpec; warnings: string[] } {
  const result = openApiToToolSpec(doc, options)
  // Whatever the document, what comes out must be a tool the SDK accepts.
  expect(validateTool(toolFromSpec(result.spec))).toEqual([])
  return result
}

function only(doc: JsonObject): ImportedAction {
  const [action] = convert(doc).spec.actions
  if (action === undefined) throw new Error('no action')
  return action
}

function failure(run: () => unknown): OpenApiImportError {
  try {
    run()
  } catch (error) {
    if (error instanceof OpenApiImportError) return error
    throw error
  }
  throw new Error('expected an OpenApiImportError')
}

describe('the tool', () => {
  it('takes its slug, name, version and description from info', () => {
    const { spec } = convert(
      document(
        { '/a': { get: { operationId: 'a', tags: ['Beta', 'Alpha'], responses: ok } } },
        {
          info: { title: 'Acme Widgets API', version: 'v2.1', description: '  Widgets.  ' },
          tags: [{ name: 'Alpha' }, { name: 'Beta' }, { name: 'Unused' }],
        },
      ),
    )
    expect(spec).toMatchObject({
      specVersion: 1,
      slug: 'acme_widgets_api',
      name: 'Acme Widgets API',
      description: 'Widgets.',
      version: '2.1.0',
      categories: ['alpha', 'beta'],
      baseUrl: 'https://api.example.com/v1',
      source: { openapi: '3.0.3', title: 'Acme Widgets API', version: 'v2.1' },
    })
  })

  it('ranks categories by how many operations carry the tag, three at most', () => {
    const paths: JsonObject = {}
    const tags = ['one', 'two', 'two', 'three', 'three', 'three', 'four', 'four', 'four', 'four']
    tags.forEach((tag, index) => {
      paths[`/p${index}`] = { get: { tags: [tag], responses: ok } }
    })
    expect(convert(document(paths)).spec.categories).toEqual(['four', 'three', 'two'])
  })

  it('takes a slug, a name and a source URL from the options', () => {
    const { spec } = convert(document({ '/a': { get: { responses: ok } } }), {
      slug: 'widgets',
      name: ' Widgets ',
      sourceUrl: 'https://example.com/openapi.json',
    })
    expect(spec).toMatchObject({
      slug: 'widgets',
      name: 'Widgets',
      source: { sourceUrl: 'https://example.com/openapi.json' },
    })
  })

  it('refuses unusable options', () => {
    const doc = document({ '/a': { get: { responses: ok } } })
    expect(failure(() => openApiToToolSpec(doc, { slug: 'Not A Slug' })).code).toBe('invalid_options')
    expect(failure(() => openApiToToolSpec(doc, { name: '  ' })).code).toBe('invalid_options')
  })

  it('keeps a numeric YAML version as text', () => {
    const { spec } = convert(
      document({ '/a': { get: { responses: ok } } }, { info: { title: 'T', version: 2 } }),
    )
    expect(spec.version).toBe('2.0.0')
  })

  it('refuses a document with nothing to import, saying why', () => {
    const webhooksOnly = {
      openapi: '3.1.0',
      info: { title: 'Hooks', version: '1' },
      servers: [{ url: 'https://hooks.example.com' }],
      webhooks: { ping: { post: { responses: ok } } },
    }
    const none = failure(() => openApiToToolSpec(webhooksOnly))
    expect(none.code).toBe('no_operations')
    expect(none.message).toBe('The document has no operations (paths) to import')
    expect(none.problems).toEqual([
      "The document's 1 webhook(s) were not imported: imported tools have actions only",
    ])
    const skipped = failure(() => openApiToToolSpec(document({ '/a': { trace: { responses: ok } } })))
    expect(skipped.message).toBe("None of the document's 1 operations can be imported")
    expect(skipped.problems).toEqual(['TRACE /a: skipped, TRACE requests cannot be sent'])
    expect(failure(() => openApiToToolSpec({ swagger: '2.0' })).code).toBe('unsupported_version')
  })
})

describe('the base URL', () => {
  const paths = { '/a': { get: { responses: ok } } }

  it('substitutes server variables with their defaults', () => {
    const servers = [
      {
        url: 'https://{region}.example.com/{version}/',
        variables: { region: { default: 'eu', enum: ['eu', 'us'] }, version: { default: 'v3' } },
      },
    ]
    expect(convert(document(paths, { servers })).spec.baseUrl).toBe('https://eu.example.com/v3')
  })

  it('resolves a relative server URL against the source URL', () => {
    const doc = document(paths, { servers: [{ url: '/api/v3' }] })
    const { spec, warnings } = convert(doc, {
      sourceUrl: 'https://petstore3.example.com/api/v3/openapi.json',
    })
    expect(spec.baseUrl).toBe('https://petstore3.example.com/api/v3')
    expect(warnings).toEqual([])
  })

  it('is absent, with a warning, when no absolute URL can be made', () => {
    const relative = convert(document(paths, { servers: [{ url: '/api' }] }))
    expect(relative.spec.baseUrl).toBeUndefined()
    expect(relative.warnings).toEqual([
      'The server URL "/api" is not an absolute http(s) URL and no source URL was given; set the base URL on the installation or the credential before running actions',
    ])
    expect(convert(document(paths, { servers: undefined })).spec.baseUrl).toBeUndefined()
    const unresolved = convert(document(paths, { servers: [{ url: 'https://{tenant}.example.com' }] }))
    expect(unresolved.spec.baseUrl).toBeUndefined()
    expect(convert(document(paths, { servers: [{ url: 'ftp://example.com' }] })).spec.baseUrl).toBeUndefined()
  })

  it('warns that operation-level servers are not honoured', () => {
    const doc = document({
      '/a': { servers: [{ url: 'https://other.example.com' }], get: { responses: ok } },
    })
    expect(convert(doc).warnings).toEqual([
      "1 operation(s) declare their own servers; imported actions call the tool's base URL",
    ])
  })
})

describe('operations become actions', () => {
  it('are named from operationIds in snake_case, or from the method and path', () => {
    const { spec } = convert(
      document({
        '/users/{userId}': {
          get: { operationId: 'getUserById', responses: ok },
          delete: { responses: ok },
        },
      }),
    )
    expect(spec.actions.map((action) => action.name)).toEqual(['get_user_by_id', 'delete_users_user_id'])
  })

  it('resolve name clashes deterministically: the route name, then a number', () => {
    const { spec } = convert(
      document({
        '/a': {
          get: { operationId: 'getThing', responses: ok },
          post: { operationId: 'get_thing', responses: ok },
        },
        '/b': { get: { operationId: 'get-thing', responses: ok } },
        '/c': { get: { operationId: 'post_a', responses: ok } },
        '/d': { get: { operationId: 'post_a', responses: ok } },
      }),
    )
    expect(spec.actions.map((action) => action.name)).toEqual([
      'get_thing',
      'post_a',
      'get_b',
      'get_c',
      'get_d',
    ])
  })

  it('take a title from the summary, else the operationId, else the route', () => {
    const { spec } = convert(
      document({
        '/a': {
          get: { operationId: 'listAllThings', summary: ' Lists things\nand more ', responses: ok },
          post: { operationId: 'createThing', responses: ok },
          put: { responses: ok },
        },
      }),
    )
    // Actions follow the document: paths in order, methods in OpenAPI's order (get, put, post…).
    expect(spec.actions.map((action) => action.title)).toEqual(['Lists things', 'PUT /a', 'Create thing'])
  })

  it('take a description from the description or summary, cut to a sensible length, marked when deprecated', () => {
    const long = 'word '.repeat(1000)
    const { spec } = convert(
      document({
        '/a': {
          get: { description: long, responses: ok },
          post: { summary: 'Make one', deprecated: true, responses: ok },
          put: { responses: ok },
        },
      }),
    )
    const [get, put, post] = spec.actions
    expect(get?.description.length).toBe(2000)
    expect(get?.description.endsWith('…')).toBe(true)
    expect(post?.description).toBe('Deprecated. Make one')
    expect(post?.deprecated).toBe(true)
    expect(put?.description).toBe('PUT /a')
  })

  it('are idempotent for GET, HEAD, PUT, DELETE and OPTIONS', () => {
    const methods = ['get', 'head', 'put', 'delete', 'options', 'post', 'patch']
    const { spec } = convert(
      document({ '/a': Object.fromEntries(methods.map((method) => [method, { responses: ok }])) }),
    )
    expect(
      Object.fromEntries(spec.actions.map((action) => [action.http.method, action.retry.idempotent])),
    ).toEqual({
      GET: true,
      PUT: true,
      DELETE: true,
      OPTIONS: true,
      HEAD: true,
      POST: false,
      PATCH: false,
    })
  })

  it('follow $refs to path items, parameters, request bodies and responses', () => {
    const action = only({
      openapi: '3.1.0',
      info: { title: 'Refs', version: '1' },
      servers: [{ url: 'https://api.example.com' }],
      paths: { '/items/{id}': { $ref: '#/components/pathItems/Item' } },
      components: {
        pathItems: {
          Item: {
            parameters: [{ $ref: '#/components/parameters/Id' }],
            put: {
              requestBody: { $ref: '#/components/requestBodies/Item' },
              responses: { '200': { $ref: '#/components/responses/Item' } },
            },
          },
        },
        parameters: { Id: { name: 'id', in: 'path', required: true, schema: { type: 'string' } } },
        requestBodies: {
          Item: {
            required: true,
            content: { 'application/json': { schema: { $ref: '#/components/schemas/Item' } } },
          },
        },
        responses: {
          Item: {
            description: 'The item',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/Item' } } },
          },
        },
        schemas: { Item: { type: 'object', properties: { name: { type: 'string' } } } },
      },
    })
    expect(action.input).toEqual({
      type: 'object',
      properties: { id: { type: 'string' }, name: { type: 'string' } },
      required: ['id'],
    })
    expect(action.output).toEqual({
      type: ['object', 'null'],
      properties: { name: { type: ['string', 'null'] } },
      description: 'The item',
    })
  })

  it('warn about callbacks and webhooks, which are not imported', () => {
    const doc = document(
      {
        '/a': {
          post: {
            callbacks: { done: { '{$request.body#/url}': { post: { responses: ok } } } },
            responses: ok,
          },
        },
      },
      { openapi: '3.1.0', webhooks: { a: {}, b: {} } },
    )
    expect(convert(doc).warnings).toEqual([
      'The callbacks of 1 operation(s) were not imported',
      "The document's 2 webhook(s) were not imported: imported tools have actions only",
    ])
  })
})

describe('one input schema per action', () => {
  it('merges path, query and header parameters with an object body’s properties', () => {
    const action = only(
      document({
        '/repos/{owner}/{repo}/issues': {
          parameters: [{ name: 'owner', in: 'path', required: true, schema: { type: 'string' } }],
          post: {
            operationId: 'createIssue',
            parameters: [
              { name: 'repo', in: 'path', schema: { type: 'string' } },
              { name: 'dry_run', in: 'query', schema: { type: 'boolean' }, description: 'Only check' },
              { name: 'X-Request-Id', in: 'header', required: true, schema: { type: 'string' } },
              { name: 'Accept', in: 'header', schema: { type: 'string' } },
              { name: 'Content-Type', in: 'header', schema: { type: 'string' } },
              { name: 'Authorization', in: 'header', schema: { type: 'string' } },
            ],
            requestBody: {
              required: true,
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    required: ['title'],
                    properties: {
                      number: { type: 'integer', readOnly: true },
                      title: { type: 'string' },
                      labels: { type: 'array', items: { type: 'string' } },
                    },
                  },
                },
              },
            },
            responses: ok,
          },
        },
      }),
    )
    expect(action.input).toEqual({
      type: 'object',
      properties: {
        owner: { type: 'string' },
        repo: { type: 'string' },
        dry_run: { type: 'boolean', description: 'Only check' },
        'X-Request-Id': { type: 'string' },
        title: { type: 'string' },
        labels: { type: 'array', items: { type: 'string' } },
      },
      required: ['owner', 'repo', 'X-Request-Id', 'title'],
    })
    expect(action.http).toEqual({
      method: 'POST',
      pathTemplate: '/repos/{owner}/{repo}/issues',
      parameters: [
        { name: 'owner', in: 'path', inputKey: 'owner', style: 'simple', explode: false },
        { name: 'repo', in: 'path', inputKey: 'repo', style: 'simple', explode: false },
        { name: 'dry_run', in: 'query', inputKey: 'dry_run', style: 'form', explode: true },
        { name: 'X-Request-Id', in: 'header', inputKey: 'X-Request-Id', style: 'simple', explode: false },
      ],
      body: { contentType: 'application/json', format: 'json', required: true, merged: true },
      jsonResponse: false,
    })
  })

  it('puts the body under `body` when a property name clashes with a parameter', () => {
    const action = only(
      document({
        '/items/{id}': {
          put: {
            parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'integer' } }],
            requestBody: {
              description: 'The new item',
              content: {
                'application/json': { schema: { type: 'object', properties: { id: { type: 'integer' } } } },
              },
            },
            responses: ok,
          },
        },
      }),
    )
    expect(action.input).toEqual({
      type: 'object',
      properties: {
        id: { type: 'integer' },
        body: { type: 'object', properties: { id: { type: 'integer' } }, description: 'The new item' },
      },
      required: ['id'],
      additionalProperties: false,
    })
    expect(action.http.body).toEqual({
      contentType: 'application/json',
      format: 'json',
      required: false,
      merged: false,
      inputKey: 'body',
    })
  })

  it('puts array, free-form and oddly named bodies under `body`, renamed when a parameter is called body', () => {
    const body = (schema: JsonObject, parameters: JsonObject[] = []) =>
      only(
        document({
          '/a': {
            post: {
              parameters,
              requestBody: { required: true, content: { 'application/json': { schema } } },
              responses: ok,
            },
          },
        }),
      )
    expect(body({ type: 'array', items: { type: 'string' } }).http.body).toMatchObject({
      merged: false,
      inputKey: 'body',
    })
    expect(body({ type: 'object', additionalProperties: { type: 'string' } }).http.body).toMatchObject({
      merged: false,
    })
    expect(body({ type: 'object', properties: { 'odd name': { type: 'string' } } }).http.body).toMatchObject({
      merged: false,
    })
    const renamed = body({ type: 'string' }, [{ name: 'body', in: 'query', schema: { type: 'string' } }])
    expect(renamed.http.body).toMatchObject({ merged: false, inputKey: 'body_body' })
    expect(renamed.input.required).toEqual(['body_body'])
  })

  it('carries the body’s additionalProperties over to a merged input', () => {
    const merged = (additionalProperties: unknown) =>
      only(
        document({
          '/a': {
            post: {
              requestBody: {
                content: {
                  'application/json': {
                    schema: { type: 'object', properties: { a: { type: 'string' } }, additionalProperties },
                  },
                },
              },
              responses: ok,
            },
          },
        }),
      ).input.additionalProperties
    expect(merged(undefined)).toBeUndefined()
    expect(merged(true)).toBeUndefined()
    expect(merged(false)).toBe(false)
    expect(merged({ type: 'integer' })).toEqual({ type: 'integer' })
  })

  it('keeps same-named parameters apart by their location, and makes unusual names safe', () => {
    const action = only(
      document({
        '/items/{id}': {
          get: {
            parameters: [
              { name: 'id', in: 'path', required: true, schema: { type: 'string' } },
              { name: 'id', in: 'query', schema: { type: 'string' } },
              { name: 'page[size]', in: 'query', schema: { type: 'integer' } },
              { name: 'session', in: 'cookie', schema: { type: 'string' } },
            ],
            responses: ok,
          },
        },
      }),
    )
    expect(Object.keys(action.input.properties as object)).toEqual(['id', 'id_query', 'page_size', 'session'])
    expect(
      action.http.parameters.map((parameter) => [parameter.name, parameter.in, parameter.inputKey]),
    ).toEqual([
      ['id', 'path', 'id'],
      ['id', 'query', 'id_query'],
      ['page[size]', 'query', 'page_size'],
      ['session', 'cookie', 'session'],
    ])
  })

  it('lets operation parameters override path-level ones and keeps styles, JSON content and annotations', () => {
    const action = only(
      document({
        '/a/{ids}': {
          parameters: [{ name: 'q', in: 'query', schema: { type: 'integer' } }],
          get: {
            parameters: [
              {
                name: 'ids',
                in: 'path',
                required: true,
                style: 'label',
                explode: true,
                schema: { type: 'array', items: { type: 'integer' } },
              },
              {
                name: 'q',
                in: 'query',
                style: 'pipeDelimited',
                explode: false,
                deprecated: true,
                example: 'x',
                schema: { type: 'string' },
              },
              {
                name: 'filter',
                in: 'query',
                style: 'nonsense',
                content: { 'application/json': { schema: { type: 'object' } } },
              },
              { name: 'where', in: 'body', schema: { type: 'string' } },
            ],
            responses: ok,
          },
        },
      }),
    )
    expect(action.input.properties).toEqual({
      ids: { type: 'array', items: { type: 'integer' } },
      q: { type: 'string', deprecated: true, examples: ['x'] },
      filter: { type: 'object' },
    })
    expect(action.http.parameters).toEqual([
      { name: 'ids', in: 'path', inputKey: 'ids', style: 'label', explode: true },
      { name: 'q', in: 'query', inputKey: 'q', style: 'pipeDelimited', explode: false },
      { name: 'filter', in: 'query', inputKey: 'filter', style: 'form', explode: true, json: true },
    ])
  })

  it('declares path parameters the document forgot, and drops those not in the path', () => {
    const { spec, warnings } = convert(
      document({
        '/a/{missing}': {
          get: {
            parameters: [{ name: 'stray', in: 'path', required: true, schema: { type: 'string' } }],
            responses: ok,
          },
        },
      }),
    )
    expect(spec.actions[0]?.input).toMatchObject({
      properties: { missing: { type: 'string' } },
      required: ['missing'],
    })
    expect(warnings).toEqual([
      'GET /a/{missing}: the path parameter "stray" is not in the path and was left out',
      'GET /a/{missing}: the path parameter "missing" is not declared; it is taken as a string',
    ])
  })

  it('warns about parameters in unknown locations', () => {
    const { warnings } = convert(
      document({
        '/a': {
          get: {
            parameters: [{ name: 'where', in: 'body', schema: {} }, { in: 'query' }, 'junk'],
            responses: ok,
          },
        },
      }),
    )
    expect(warnings).toEqual(['GET /a: the parameter "where" in body is not supported and was left out'])
  })

  it('sends form bodies with their encodings, and JSON for */* bodies', () => {
    const form = only(
      document({
        '/a': {
          post: {
            requestBody: {
              content: {
                'multipart/form-data': { schema: { type: 'object' } },
                'application/x-www-form-urlencoded': {
                  schema: {
                    type: 'object',
                    properties: {
                      tags: { type: 'array', items: { type: 'string' } },
                      meta: { type: 'object' },
                    },
                  },
                  encoding: {
                    tags: { style: 'pipeDelimited', explode: false },
                    meta: { style: 'deepObject', contentType: 'application/json' },
                    junk: 'nothing',
                    none: { headers: {} },
                  },
                },
              },
            },
            responses: ok,
          },
        },
      }),
    )
    expect(form.http.body).toEqual({
      contentType: 'application/x-www-form-urlencoded',
      format: 'form',
      required: false,
      merged: true,
      encoding: {
        tags: { style: 'pipeDelimited', explode: false },
        meta: { style: 'deepObject', json: true },
      },
    })
    const any = only(
      document({
        '/a': {
          post: { requestBody: { content: { '*/*': { schema: { type: 'string' } } } }, responses: ok },
        },
      }),
    )
    expect(any.http.body).toMatchObject({ contentType: 'application/json', format: 'json' })
  })

  it('skips an operation whose required body cannot be sent, and drops an optional one', () => {
    const upload = { 'multipart/form-data': { schema: { type: 'object' } } }
    const { spec, warnings } = convert(
      document({
        '/required': { post: { requestBody: { required: true, content: upload }, responses: ok } },
        '/optional': { post: { requestBody: { content: upload }, responses: ok } },
        '/empty': { post: { requestBody: { required: true }, responses: ok } },
      }),
    )
    expect(spec.actions.map((action) => action.operation.path)).toEqual(['/optional'])
    expect(spec.actions[0]?.http.body).toBeUndefined()
    expect(warnings).toEqual([
      'POST /required: skipped, its request body (multipart/form-data) cannot be sent; JSON and form bodies can',
      'POST /optional: its optional request body (multipart/form-data) cannot be sent and was left out',
      'POST /empty: skipped, its request body (no media type) cannot be sent; JSON and form bodies can',
    ])
  })
})

describe('outputs', () => {
  const withResponses = (responses: JsonObject) => only(document({ '/a': { get: { responses } } }))

  it('come from the first 2xx JSON response, sending its media type as Accept', () => {
    const action = withResponses({
      '202': {
        description: 'accepted',
        content: { 'application/vnd.acme+json': { schema: { type: 'string' } } },
      },
      '2XX': { description: 'any', content: { 'application/json': { schema: { type: 'integer' } } } },
      '404': { description: 'missing', content: { 'application/json': { schema: { type: 'object' } } } },
      default: { description: 'error', content: { 'application/json': { schema: { type: 'object' } } } },
    })
    expect(action.output).toEqual({ type: ['string', 'null'], description: 'accepted' })
    expect(action.http).toMatchObject({ accept: 'application/vnd.acme+json', jsonResponse: true })
  })

  it('describe text answers as { text }, and accept anything when nothing is documented', () => {
    const csv = withResponses({ '200': { description: 'rows', content: { 'text/csv': {} } } })
    expect(csv.output).toEqual({
      type: ['object', 'null'],
      properties: { text: { type: 'string' } },
      description: 'rows',
    })
    expect(csv.http).toMatchObject({ accept: 'text/csv', jsonResponse: false })
    expect(withResponses({ '204': { description: 'gone' } }).output).toEqual({ description: 'gone' })
    expect(
      withResponses({ '200': { description: 'x', content: { '*/*': { schema: { type: 'object' } } } } }).http,
    ).toEqual(expect.not.objectContaining({ accept: expect.anything() as unknown }))
    expect(
      withResponses({ '200': { description: 'x', content: { 'application/json': {} } } }).output,
    ).toEqual({
      description: 'x',
    })
    expect(
      withResponses({ '200': { description: 'x', content: { 'image/*': {} } } }).http.accept,
    ).toBeUndefined()
  })
})

describe('examples', () => {
  it('are kept when the document states them and they pass the action’s schemas', () => {
    const action = only(
      document({
        '/pets/{id}': {
          put: {
            parameters: [
              {
                name: 'id',
                in: 'path',
                required: true,
                schema: { type: 'integer' },
                examples: { one: { value: 7 } },
              },
            ],
            requestBody: {
              content: {
                'application/json': {
                  schema: { type: 'object', properties: { name: { type: 'string' } } },
                  examples: {
                    rex: { summary: 'A dog', value: { name: 'Rex' } },
                    bad: { value: { name: 42 } },
                    notAnObject: { value: 'Rex' },
                    external: { externalValue: 'https://example.com/x.json' },
                  },
                },
              },
            },
            responses: {
              '200': {
                description: 'ok',
                content: { 'application/json': { schema: { type: 'object' }, example: { id: 7 } } },
              },
            },
          },
        },
      }),
    )
    expect(action.examples).toEqual([{ title: 'A dog', input: { id: 7, name: 'Rex' }, output: { id: 7 } }])
  })

  it('are left out when a required parameter has no example, and counted when they do not validate', () => {
    const { spec, warnings } = convert(
      document({
        '/a/{id}': {
          post: {
            parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
            requestBody: { content: { 'application/json': { schema: { type: 'object' }, example: {} } } },
            responses: ok,
          },
        },
        '/b': {
          post: {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: { type: 'array' }, example: 'nope' } },
            },
            responses: {
              '200': {
                description: 'ok',
                content: { 'application/json': { schema: { type: 'integer' }, example: 'x' } },
              },
            },
          },
        },
        '/c': {
          post: {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: { type: 'array' }, example: [1] } },
            },
            responses: {
              '200': {
                description: 'ok',
                content: {
                  'application/json': { schema: { type: 'integer' }, examples: { a: { value: 'x' } } },
                },
              },
            },
          },
        },
        '/d': {
          get: {
            parameters: [{ name: 'q', in: 'query', schema: { type: 'string' }, example: 'cats' }],
            responses: ok,
          },
        },
      }),
    )
    expect(spec.actions.map((action) => action.examples)).toEqual([
      [],
      [],
      [{ input: { body: [1] } }],
      [{ input: { q: 'cats' } }],
    ])
    expect(warnings).toEqual(['2 example(s) in the document do not match their schemas and were left out'])
  })

  it('are at most three', () => {
    const examples = Object.fromEntries([1, 2, 3, 4].map((n) => [`e${n}`, { value: { n } }]))
    const action = only(
      document({
        '/a': {
          post: {
            requestBody: { content: { 'application/json': { schema: { type: 'object' }, examples } } },
            responses: ok,
          },
        },
      }),
    )
    expect(action.examples.map((example) => example.title)).toEqual(['e1', 'e2', 'e3'])
  })
})

describe('security schemes become auth methods', () => {
  const schemes = {
    header: { type: 'apiKey', in: 'header', name: 'X-Api-Key', description: 'From the dashboard' },
    query: { type: 'apiKey', in: 'query', name: 'api_key' },
    cookie: { type: 'apiKey', in: 'cookie', name: 'sid' },
    nameless: { type: 'apiKey', in: 'header' },
    bearerAuth: { type: 'http', scheme: 'Bearer' },
    basicAuth: { type: 'http', scheme: 'basic' },
    digestAuth: { type: 'http', scheme: 'digest' },
    OAuth2: {
      type: 'oauth2',
      flows: {
        authorizationCode: {
          authorizationUrl: '/oauth/authorize',
          tokenUrl: 'https://auth.example.com/token',
          scopes: { 'read:things': '', 'write:things': '', admin: '' },
        },
        clientCredentials: { tokenUrl: 'https://auth.example.com/token', scopes: { 'read:things': '' } },
        implicit: { authorizationUrl: 'https://auth.example.com/authorize', scopes: {} },
        password: { tokenUrl: 'https://auth.example.com/token', scopes: {} },
      },
    },
    broken: {
      type: 'oauth2',
      flows: {
        authorizationCode: {
          authorizationUrl: 'mailto:auth@example.com',
          tokenUrl: 'https://auth.example.com/token',
          scopes: {},
        },
        clientCredentials: { scopes: {} },
      },
    },
    empty: { type: 'oauth2', flows: {} },
    oidc: {
      type: 'openIdConnect',
      openIdConnectUrl: 'https://auth.example.com/.well-known/openid-configuration',
    },
    mtls: { type: 'mutualTLS' },
    odd: { type: 'magic' },
  }

  it('maps every supported kind, and says why the others were skipped', () => {
    const security = Object.keys(schemes).map((name) => ({
      [name]: name === 'OAuth2' ? ['read:things'] : [],
    }))
    const { spec, warnings } = convert(
      document(
        {
          '/things': {
            get: {
              parameters: [
                { name: 'X-API-KEY', in: 'header', schema: { type: 'string' } },
                { name: 'api_key', in: 'query', schema: { type: 'string' } },
                { name: 'sid', in: 'cookie', schema: { type: 'string' } },
                { name: 'limit', in: 'query', schema: { type: 'integer' } },
              ],
              responses: ok,
            },
            post: { security: [{ OAuth2: ['write:things'] }, { oidc: ['openid'] }], responses: ok },
          },
        },
        { components: { securitySchemes: schemes }, security },
      ),
    )
    expect(spec.authMethods).toEqual([
      {
        kind: 'api_key',
        id: 'header',
        title: 'API key (X-Api-Key header)',
        in: 'header',
        name: 'X-Api-Key',
        description: 'From the dashboard',
      },
      {
        kind: 'api_key',
        id: 'query',
        title: 'API key (api_key query parameter)',
        in: 'query',
        name: 'api_key',
      },
      { kind: 'api_key', id: 'cookie', title: 'API key (sid cookie)', in: 'cookie', name: 'sid' },
      { kind: 'bearer', id: 'bearer_auth', title: 'Bearer token' },
      { kind: 'basic', id: 'basic_auth', title: 'Username and password' },
      {
        kind: 'oauth2',
        grant: 'authorization_code',
        id: 'oauth2',
        title: 'OAuth2',
        authorizationUrl: 'https://api.example.com/oauth/authorize',
        tokenUrl: 'https://auth.example.com/token',
        scopes: ['read:things', 'write:things'],
        pkce: true,
      },
      {
        kind: 'oauth2',
        grant: 'client_credentials',
        id: 'oauth2_client_credentials',
        title: 'OAuth2 (client credentials)',
        tokenUrl: 'https://auth.example.com/token',
        scopes: ['read:things', 'write:things'],
      },
    ])
    expect(warnings).toEqual([
      'The security scheme "nameless" was skipped: it does not say where the API key goes',
      'The security scheme "digestAuth" was skipped: HTTP "digest" authentication is not supported (bearer and basic are)',
      'The OAuth2 implicit flow of "OAuth2" was skipped: it is deprecated by OAuth 2.0 Security Best Current Practice; use the authorization code flow',
      'The OAuth2 password flow of "OAuth2" was skipped: it is deprecated by OAuth 2.0 Security Best Current Practice; use the authorization code flow',
      'The OAuth2 authorization code flow of "broken" was skipped: its URLs are not absolute',
      'The OAuth2 client credentials flow of "broken" was skipped: its token URL is not absolute',
      'The security scheme "empty" was skipped: it declares no OAuth2 flows',
      'The security scheme "oidc" was skipped: OpenID Connect discovery is not supported; declare its OAuth2 flows instead',
      'The security scheme "mtls" was skipped: mutual TLS is not supported',
      'The security scheme "odd" was skipped: the type "magic" is unknown',
    ])
    const [list, create] = spec.actions
    // The API key parameters are the credential's business, not inputs.
    expect(Object.keys(list?.input.properties as object)).toEqual(['limit'])
    expect(list?.scopes).toEqual(['read:things'])
    expect(create?.scopes).toEqual(['write:things'])
  })

  it('offers no authentication when the document has no security, or some operations need none', () => {
    expect(convert(document({ '/a': { get: { responses: ok } } })).spec.authMethods).toEqual([
      { kind: 'none', id: 'none', title: 'No authentication' },
    ])
    const optional = convert(
      document(
        { '/a': { get: { responses: ok } }, '/b': { get: { security: [], responses: ok } } },
        {
          components: { securitySchemes: { none: { type: 'http', scheme: 'bearer' } } },
          security: [{ none: [] }, {}],
        },
      ),
    )
    expect(optional.spec.authMethods.map((method) => method.id)).toEqual(['none', 'none_2'])
  })

  it('imports every declared scheme when no requirement names one, with the declared scopes', () => {
    const { spec } = convert(
      document(
        { '/a': { get: { responses: ok } } },
        {
          components: {
            securitySchemes: {
              key: { type: 'apiKey', in: 'header', name: 'X-Key' },
              other: { type: 'apiKey', in: 'header', name: 'X-Other' },
              OAuth: {
                type: 'oauth2',
                flows: {
                  clientCredentials: { tokenUrl: 'https://a.example.com/t', scopes: { a: '', b: '' } },
                },
              },
            },
          },
        },
      ),
    )
    expect(spec.authMethods.map((method) => [method.id, method.title])).toEqual([
      ['key', 'API key (X-Key header)'],
      ['other', 'API key (X-Other header)'],
      ['oauth_client_credentials', 'OAuth2 (client credentials)'],
      ['none', 'No authentication'],
    ])
    expect(spec.authMethods[2]).toMatchObject({ scopes: ['a', 'b'] })
  })

  it('tells methods with the same label apart by scheme name', () => {
    const { spec } = convert(
      document(
        { '/a': { get: { responses: ok } } },
        {
          components: {
            securitySchemes: {
              user: { type: 'http', scheme: 'bearer' },
              app: { type: 'http', scheme: 'bearer' },
            },
          },
          security: [{ user: [] }, { app: [] }],
        },
      ),
    )
    expect(spec.authMethods.map((method) => method.title)).toEqual([
      'Bearer token — user',
      'Bearer token — app',
    ])
  })
})

// A generated document as big as the largest public APIs: 3,000 operations over shared, circular
// component schemas, with parameters, bodies, responses and examples.
function largeDocument(operations: number): JsonObject {
  const schemas: JsonObject = { Tag: { type: 'string', example: 'blue' } }
  for (let index = 0; index < 80; index += 1) {
    schemas[`Model${index}`] = {
      type: 'object',
      required: ['id', 'name'],
      properties: {
        id: { type: 'integer', format: 'int64', readOnly: true },
        name: { type: 'string', nullable: true, maxLength: 200 },
        status: { type: 'string', enum: ['active', 'archived'] },
        next: { $ref: `#/components/schemas/Model${(index + 1) % 80}` },
        tags: { type: 'array', items: { $ref: '#/components/schemas/Tag' } },
        meta: { oneOf: [{ type: 'string' }, { type: 'object', additionalProperties: { type: 'string' } }] },
      },
    }
  }
  const paths: JsonObject = {}
  const methods = ['get', 'post', 'put', 'patch', 'delete']
  for (let index = 0; Object.keys(paths).length * methods.length < operations; index += 1) {
    const model = { $ref: `#/components/schemas/Model${index % 80}` }
    const item: JsonObject = { parameters: [{ $ref: '#/components/parameters/Id' }] }
    for (const method of methods) {
      item[method] = {
        operationId: `${method}Resource${index}`,
        summary: `${method} resource ${index}`,
        tags: [`group${index % 7}`],
        parameters: [
          { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100 }, example: 10 },
          { name: 'X-Trace', in: 'header', schema: { type: 'string' } },
        ],
        ...(method === 'get' || method === 'delete'
          ? {}
          : {
              requestBody: {
                required: true,
                content: {
                  'application/json': {
                    schema: { allOf: [model, { properties: { note: { type: 'string' } } }] },
                    example: { name: 'x', note: 'y' },
                  },
                },
              },
            }),
        responses: {
          '200': {
            description: 'ok',
            content: { 'application/json': { schema: model, example: { id: 1, name: 'x' } } },
          },
          '404': { $ref: '#/components/responses/NotFound' },
        },
      }
    }
    paths[`/resources${index}/{id}`] = item
  }
  return {
    openapi: '3.0.3',
    info: { title: 'Large', version: '1.0.0' },
    servers: [{ url: 'https://large.example.com' }],
    paths,
    components: {
      schemas,
      parameters: {
        Id: { name: 'id', in: 'path', required: true, schema: { type: 'string' }, example: 'abc' },
      },
      responses: { NotFound: { description: 'missing' } },
      securitySchemes: { key: { type: 'apiKey', in: 'header', name: 'X-Key' } },
    },
    security: [{ key: [] }],
  }
}

describe('a document with 3,000 operations', () => {
  it('converts in one pass', () => {
    const doc = largeDocument(3000)
    const started = performance.now()
    const { spec, warnings } = openApiToToolSpec(doc)
    const elapsed = performance.now() - started
    console.log(`openApiToToolSpec: ${spec.actions.length} operations in ${Math.round(elapsed)} ms`)
    expect(spec.actions).toHaveLength(3000)
    expect(new Set(spec.actions.map((action) => action.name)).size).toBe(3000)
    expect(warnings).toEqual([])
    expect(spec.actions.every((action) => action.examples.length === 1)).toBe(true)
    // Not a timing test: the bound only catches a conversion that has gone quadratic or hangs.
    expect(elapsed).toBeLessThan(60_000)
  }, 120_000)
})
