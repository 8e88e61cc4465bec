import { SECRET_KEYWORD, redactSecrets, validate } from '@toolplane/sdk'
import { describe, expect, it } from 'vitest'
import type { JsonObject, OpenApiVersion } from './parse.js'
import { MAX_SCHEMA_DEPTH, SchemaConverter, Warnings, relaxForOutput } from './schema.js'
import type { SchemaMode } from './schema.js'

function converter(schemas: JsonObject = {}, dialect: OpenApiVersion = '3.0') {
  const warnings = new Warnings()
  const document = { openapi: dialect === '3.0' ? '3.0.3' : '3.1.0', components: { schemas } }
  return { schemas: new SchemaConverter(document, dialect, warnings), warnings }
}

function root(
  schema: unknown,
  mode: SchemaMode = 'input',
  components: JsonObject = {},
  dialect: OpenApiVersion = '3.0',
) {
  const { schemas, warnings } = converter(components, dialect)
  return { schema: schemas.root(schema, mode, 'the test schema'), warnings: warnings.list() }
}

describe('OpenAPI 3.0 schemas become JSON Schema 2020-12', () => {
  it('turns nullable into a type union with null', () => {
    expect(root({ type: 'string', nullable: true }).schema).toEqual({ type: ['string', 'null'] })
    expect(root({ type: ['integer', 'string'], nullable: true }).schema).toEqual({
      type: ['integer', 'string', 'null'],
    })
    expect(root({ type: 'string', enum: ['a', 'b'], nullable: true }).schema).toEqual({
      type: ['string', 'null'],
      enum: ['a', 'b', null],
    })
  })

  it('makes a nullable composition accept null', () => {
    const { schema } = root(
      { properties: { owner: { allOf: [{ $ref: '#/components/schemas/User' }], nullable: true } } },
      'input',
      { User: { type: 'object' } },
    )
    expect(schema.properties).toEqual({
      owner: { anyOf: [{ allOf: [{ $ref: '#/$defs/User' }] }, { type: 'null' }] },
    })
    expect(validate(schema, { owner: null }).ok).toBe(true)
    expect(validate(schema, { owner: 3 }).ok).toBe(false)
  })

  it('turns example into examples and keeps formats', () => {
    expect(root({ type: 'string', format: 'email', example: 'a@example.com' }).schema).toEqual({
      type: 'string',
      format: 'email',
      examples: ['a@example.com'],
    })
  })

  it('turns boolean exclusive bounds into numeric ones', () => {
    expect(
      root({ type: 'number', minimum: 0, exclusiveMinimum: true, maximum: 10, exclusiveMaximum: false })
        .schema,
    ).toEqual({
      type: 'number',
      exclusiveMinimum: 0,
      maximum: 10,
    })
    expect(root({ type: 'number', exclusiveMinimum: 5 }, 'input', {}, '3.1').schema).toEqual({
      type: 'number',
      exclusiveMinimum: 5,
    })
  })

  it('drops discriminator, xml, externalDocs, extensions and unknown keywords', () => {
    const { schema } = root({
      type: 'object',
      discriminator: { propertyName: 'kind' },
      xml: { name: 'pet' },
      externalDocs: { url: 'https://example.com' },
      'x-internal': true,
      collectionFormat: 'csv',
      properties: { kind: { type: 'string' } },
    })
    expect(schema).toEqual({ type: 'object', properties: { kind: { type: 'string' } } })
  })

  it('ignores the siblings of a 3.0 $ref except annotations, and keeps them in 3.1', () => {
    const components = { Id: { type: 'integer' } }
    expect(
      root({ $ref: '#/components/schemas/Id', description: 'the id', minimum: 3 }, 'input', components)
        .schema,
    ).toEqual({ type: 'integer' }) // at the root, the reference is followed
    const nested = root(
      { properties: { id: { $ref: '#/components/schemas/Id', description: 'the id', minimum: 3 } } },
      'input',
      components,
    ).schema
    expect(nested.properties).toEqual({ id: { $ref: '#/$defs/Id', description: 'the id' } })
    const modern = root(
      { properties: { id: { $ref: '#/components/schemas/Id', minimum: 3 } } },
      'input',
      components,
      '3.1',
    ).schema
    expect(modern.properties).toEqual({ id: { $ref: '#/$defs/Id', minimum: 3 } })
  })

  it('keeps a property called __proto__ as a property', () => {
    const { schema } = root(JSON.parse('{"type":"object","properties":{"__proto__":{"type":"string"}}}'))
    expect(Object.keys(schema.properties as object)).toEqual(['__proto__'])
    expect(JSON.stringify(schema)).toBe('{"type":"object","properties":{"__proto__":{"type":"string"}}}')
  })

  it('writes a draft-04 tuple as prefixItems, and keeps only valid types', () => {
    expect(root({ type: 'array', items: [{ type: 'string' }, { type: 'integer' }] }).schema).toEqual({
      type: 'array',
      prefixItems: [{ type: 'string' }, { type: 'integer' }],
    })
    expect(root({ type: ['string', 'file'], required: true }).schema).toEqual({ type: 'string' })
  })

  it('drops a pattern JavaScript cannot compile, with a warning', () => {
    const { schema, warnings } = root({
      type: 'object',
      patternProperties: { '(?i)^x': { type: 'string' }, '^y': { type: 'string' } },
      properties: { a: { type: 'string', pattern: '^[a-z\\:]+$' } },
    })
    expect(schema).toEqual({
      type: 'object',
      patternProperties: { '^y': { type: 'string' } },
      properties: { a: { type: 'string' } },
    })
    expect(warnings).toEqual([
      'The pattern "^[a-z\\\\:]+$" is not a valid regular expression; it was dropped',
    ])
  })

  it('replaces a schema that is not valid 2020-12 with one that accepts anything, and says so', () => {
    const { schema, warnings } = root({
      type: 'object',
      properties: { n: { type: 'integer', minimum: 'five' } },
    })
    expect(schema).toEqual({})
    expect(warnings).toEqual([
      'The schema of the test schema is not valid JSON Schema (/properties/n/minimum must be number); it accepts any value',
    ])
  })
})

describe('references', () => {
  it('keep circular schemas as $refs into $defs', () => {
    const components = {
      Node: {
        type: 'object',
        properties: {
          value: { type: 'string' },
          children: { type: 'array', items: { $ref: '#/components/schemas/Node' } },
        },
      },
    }
    const { schema } = root({ $ref: '#/components/schemas/Node' }, 'input', components)
    const node = {
      type: 'object',
      properties: { value: { type: 'string' }, children: { type: 'array', items: { $ref: '#/$defs/Node' } } },
    }
    // The root is the referenced schema itself; the cycle goes through $defs.
    expect(schema).toEqual({ ...node, $defs: { Node: node } })
    const tree = { value: 'a', children: [{ value: 'b', children: [{ value: 'c', children: [] }] }] }
    expect(validate(schema, tree).ok).toBe(true)
    expect(validate(schema, { value: 'a', children: [{ value: 1 }] }).ok).toBe(false)
  })

  it('name definitions after their component, and other pointers after their place', () => {
    const { schemas } = converter({
      'My Thing': { type: 'object', properties: { inner: { type: 'string' } } },
    })
    const refs = new Set<string>()
    const unit = schemas.unit({ $ref: '#/components/schemas/My Thing/properties/inner' }, 'input', refs, 'x')
    expect(unit).toEqual({ $ref: '#/$defs/properties_inner' })
    const named = schemas.root(
      { properties: { a: { $ref: '#/components/schemas/My%20Thing' } } },
      'input',
      'x',
    )
    expect(named.$defs).toHaveProperty('My_Thing')
  })

  it('accept any value where a reference cannot be followed, with a warning', () => {
    const { schema, warnings } = root({
      type: 'object',
      properties: {
        remote: { $ref: 'https://example.com/schemas.json#/Pet' },
        anchor: { $ref: '#pet' },
        missing: { $ref: '#/components/schemas/Missing' },
      },
    })
    expect(schema.properties).toEqual({ remote: {}, anchor: {}, missing: {} })
    expect(warnings).toEqual([
      'The external reference https://example.com/schemas.json#/Pet was not resolved (load the document with loadOpenApiDocument first); the schemas using it accept any value',
      'The reference #pet names an anchor, which is not supported; the schemas using it accept any value',
      'The reference #/components/schemas/Missing points at nothing; the schemas using it accept any value',
    ])
  })

  it('turn $dynamicRef into a schema that accepts anything', () => {
    const { schema, warnings } = root(
      { type: 'array', items: { $dynamicRef: '#itemType' } },
      'output',
      {},
      '3.1',
    )
    expect(schema).toEqual({ type: ['array', 'null'], items: {} })
    expect(warnings).toEqual([
      'Schemas use $dynamicRef, which is not supported; those parts accept any value',
    ])
  })

  it(`stop at ${MAX_SCHEMA_DEPTH} levels of inline nesting`, () => {
    let deep: JsonObject = { type: 'string' }
    for (let level = 0; level < MAX_SCHEMA_DEPTH + 5; level += 1) deep = { type: 'array', items: deep }
    const { warnings } = root(deep)
    expect(warnings).toEqual([
      `Schemas nested deeper than ${MAX_SCHEMA_DEPTH} levels accept any value below that depth`,
    ])
  })
})

describe('inputs', () => {
  it('leave out readOnly properties, directly or through a $ref', () => {
    const { schema } = root(
      {
        type: 'object',
        required: ['id', 'created', 'name'],
        properties: {
          id: { type: 'integer', readOnly: true },
          created: { $ref: '#/components/schemas/Timestamp' },
          name: { type: 'string' },
        },
      },
      'input',
      { Timestamp: { type: 'string', readOnly: true } },
    )
    expect(schema).toEqual({ type: 'object', required: ['name'], properties: { name: { type: 'string' } } })
    expect(
      root({ type: 'object', required: ['id'], properties: { id: { type: 'string', readOnly: true } } })
        .schema,
    ).toEqual({
      type: 'object',
      properties: {},
    })
  })

  it('mark password fields secret, so execution records redact them', () => {
    const { schema } = root({
      type: 'object',
      properties: { password: { type: 'string', format: 'password' } },
    })
    expect(schema.properties).toEqual({
      password: { type: 'string', format: 'password', writeOnly: true, [SECRET_KEYWORD]: true },
    })
    expect(redactSecrets(schema, { password: 'hunter2' })).toEqual({ password: '[REDACTED]' })
  })

  it('flatten plain objects and allOf compositions for merging, and refuse anything more complex', () => {
    const { schemas } = converter({
      Base: { type: 'object', required: ['id'], properties: { id: { type: 'string' } } },
      Closed: { type: 'object', additionalProperties: false, properties: { x: { type: 'string' } } },
    })
    const shape = schemas.objectShape({
      allOf: [
        { $ref: '#/components/schemas/Base' },
        { properties: { name: { type: 'string' } }, required: ['name'] },
      ],
    })
    expect(shape && [...shape.properties.keys()]).toEqual(['id', 'name'])
    expect(shape && [...shape.required]).toEqual(['id', 'name'])
    expect(
      schemas.objectShape({ allOf: [{ $ref: '#/components/schemas/Closed' }, { properties: { y: {} } }] })
        ?.additionalProperties,
    ).toBe(false)
    expect(schemas.objectShape({ type: ['object'], properties: {} })?.properties.size).toBe(0)
    expect(schemas.objectShape({ oneOf: [{ type: 'object' }] })).toBeUndefined()
    expect(schemas.objectShape({ type: 'array' })).toBeUndefined()
    expect(
      schemas.objectShape({
        allOf: [{ $ref: '#/components/schemas/Base' }, { $ref: '#/components/schemas/Base' }],
      }),
    ).toBeUndefined()
    expect(schemas.objectShape('not a schema')).toBeUndefined()
  })
})

describe('outputs', () => {
  it('describe the shape without asserting what real APIs break', () => {
    const { schema } = root(
      {
        type: 'object',
        required: ['id'],
        additionalProperties: false,
        properties: {
          id: { type: 'integer', minimum: 1 },
          status: { type: 'string', enum: ['open'] },
          at: { type: 'string', format: 'date-time' },
          kind: { oneOf: [{ type: 'string' }, { type: 'integer' }] },
        },
      },
      'output',
    )
    expect(schema).toEqual({
      type: ['object', 'null'],
      properties: {
        id: { type: ['integer', 'null'] },
        status: { type: ['string', 'null'] },
        at: { type: ['string', 'null'] },
        kind: { anyOf: [{ type: ['string', 'null'] }, { type: ['integer', 'null'] }] },
      },
    })
    expect(validate(schema, { status: 'closed', at: 'yesterday', extra: true, id: null }).ok).toBe(true)
    expect(validate(schema, { id: 'not a number' }).ok).toBe(false)
  })

  it('keep oneOf beside an existing anyOf as an allOf member', () => {
    expect(relaxForOutput({ anyOf: [{}], oneOf: [{ type: 'string' }], allOf: [{}] })).toEqual({
      anyOf: [{}],
      allOf: [{}, { anyOf: [{ type: 'string' }] }],
    })
    expect(relaxForOutput({ type: 'null', items: false })).toEqual({ type: 'null' })
  })
})
