import { Type } from 'typebox'
import { describe, expect, it } from 'vitest'
import { Secret } from './secrets.js'
import { MAX_REPORTED_ERRORS, SchemaError, compileSchema, validate } from './validation.js'

const issue = Type.Object({
  title: Type.String({ minLength: 1 }),
  labels: Type.Optional(Type.Array(Type.String(), { default: [] })),
  assignee: Type.Optional(Type.String({ format: 'email' })),
  'odd/name~': Type.Optional(Type.Integer()),
})

describe('compileSchema', () => {
  it('compiles a schema once and reuses the validator', () => {
    expect(compileSchema(issue)).toBe(compileSchema(issue))
    const copy = structuredClone(issue)
    expect(compileSchema(copy)).not.toBe(compileSchema(issue))
  })

  it('throws a SchemaError, every time, for a schema Ajv cannot compile', () => {
    const broken = { type: 'strnig' }
    expect(() => compileSchema(broken)).toThrow(SchemaError)
    expect(() => compileSchema(broken)).toThrow(/must be equal to one of the allowed values/)
    expect(() => compileSchema({ $ref: '#/$defs/missing' })).toThrow(SchemaError)
  })

  it('explains the draft-07 tuple form 2020-12 does not accept', () => {
    expect(() => compileSchema(Type.Tuple([Type.String(), Type.Integer()]))).toThrow(
      'schema is invalid: data/items must be object,boolean (an array of "items" is draft-07; JSON Schema 2020-12 writes tuples with "prefixItems")',
    )
    const tuple = { type: 'array', prefixItems: [{ type: 'string' }, { type: 'integer' }], items: false }
    expect(validate(tuple, ['a', 1]).ok).toBe(true)
    expect(validate(tuple, ['a', 1, 2]).ok).toBe(false)
  })

  it('accepts two schemas with the same $id', () => {
    const first = { $id: 'https://toolplane.dev/schemas/x', type: 'string' }
    const second = { $id: 'https://toolplane.dev/schemas/x', type: 'number' }
    expect(compileSchema(first)('a')).toEqual({ ok: true, value: 'a' })
    expect(compileSchema(second)(1)).toEqual({ ok: true, value: 1 })
  })

  it('understands TypeBox output, secrets and unknown annotations', () => {
    const schema = Type.Object({ key: Secret(Type.String()) }, { 'x-vendor': true, example: { key: 'k' } })
    expect(validate(schema, { key: 'k' }).ok).toBe(true)
  })
})

describe('validate', () => {
  it('returns the value with defaults filled in, leaving the original alone', () => {
    const input = { title: 'Bug' }
    const result = validate(issue, input)
    expect(result).toEqual({ ok: true, value: { title: 'Bug', labels: [] } })
    expect(input).toEqual({ title: 'Bug' })
  })

  it('names every problem with a JSON pointer', () => {
    const result = validate(issue, { labels: ['ok', 3], assignee: 'not-an-email', 'odd/name~': 1.5 })
    expect(result.ok).toBe(false)
    if (result.ok) return
    expect(result.errors).toEqual(
      expect.arrayContaining([
        { path: '/title', message: 'is required' },
        { path: '/labels/1', message: 'must be string' },
        { path: '/assignee', message: 'must match format "email"' },
        { path: '/odd~1name~0', message: 'must be integer' },
      ]),
    )
  })

  it('points at properties that are not allowed', () => {
    const closed = Type.Object({ a: Type.String() }, { additionalProperties: false })
    expect(validate(closed, { a: 'x', b: 1 })).toEqual({
      ok: false,
      errors: [{ path: '/b', message: 'is not an allowed property' }],
    })
    const unevaluated = { type: 'object', properties: { a: {} }, unevaluatedProperties: false }
    expect(validate(unevaluated, { a: 1, c: 2 })).toEqual({
      ok: false,
      errors: [{ path: '/c', message: 'is not an allowed property' }],
    })
  })

  it('reports the root as an empty pointer', () => {
    expect(validate(issue, 'text')).toEqual({ ok: false, errors: [{ path: '', message: 'must be object' }] })
  })

  it('refuses values that are not data', () => {
    expect(validate(Type.Object({}), { run: () => 1 })).toEqual({
      ok: false,
      errors: [{ path: '', message: 'must be plain JSON data' }],
    })
  })

  it('refuses a function however deep, with or without defaults in the schema', () => {
    const deep = { a: [{ b: { c: () => 1 } }] }
    expect(validate(Type.Object({ a: Type.Array(Type.Unknown()) }), deep).ok).toBe(false)
    expect(
      validate(
        Type.Object({ a: Type.Array(Type.Unknown()), d: Type.Optional(Type.String({ default: 'x' })) }),
        deep,
      ).ok,
    ).toBe(false)
  })

  it('fills defaults into a copy and checks plain data as it is when the schema has none', () => {
    const given = { title: 'Bug' }
    const filled = validate(issue, given)
    expect(filled).toEqual({ ok: true, value: { title: 'Bug', labels: [] } })
    expect(given).toEqual({ title: 'Bug' })
    const plain = Type.Object({ title: Type.String(), tags: Type.Array(Type.String()) })
    const value = { title: 'Bug', tags: ['a'] }
    const checked = validate(plain, value)
    expect(checked.ok && checked.value).toBe(value)
    // A value that is not plain data (a Date) is still copied before it is checked.
    const dated = { title: 'Bug', tags: [], at: new Date(0) }
    const copied = validate(Type.Object({ title: Type.String() }), dated)
    expect(copied.ok && copied.value).not.toBe(dated)
  })

  it('fills defaults into a deep copy that shares nothing with the value, an own __proto__ key included', () => {
    const schema = Type.Object({
      nested: Type.Object({ list: Type.Array(Type.Object({ n: Type.Number() })) }),
      tag: Type.Optional(Type.String({ default: 'x' })),
    })
    const given = JSON.parse('{"nested":{"list":[{"n":1},{"n":2}]},"__proto__":{"polluted":true}}') as {
      nested: { list: { n: number }[] }
    }
    const result = validate(schema, given)
    expect(result.ok).toBe(true)
    if (!result.ok) return
    const copy = result.value as typeof given & { tag: string }
    expect(copy).toEqual({ ...given, tag: 'x' })
    expect(copy.nested).not.toBe(given.nested)
    expect(copy.nested.list[1]).not.toBe(given.nested.list[1])
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype)
    expect(Object.keys(copy)).toContain('__proto__')
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined()
    // With a default to fill, anything that is not data is still refused or copied as before.
    expect(validate(schema, { ...given, at: () => 1 }).ok).toBe(false)
    const dated = validate(schema, { nested: { list: [] }, at: new Date(0) })
    expect(dated.ok && (dated.value as { at: unknown }).at).toEqual(new Date(0))
  })

  it('caps the number of reported problems', () => {
    const result = validate(
      Type.Array(Type.String()),
      Array.from({ length: 200 }, (_, index) => index),
    )
    expect(result.ok ? 0 : result.errors.length).toBe(MAX_REPORTED_ERRORS)
  })
})
