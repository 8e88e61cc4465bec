import { describe, expect, it } from 'vitest'
import { SampleInputError, sampleInput } from './sample-input.js'
import type { JsonSchema } from './sample-input.js'

const rich: JsonSchema = {
  type: 'object',
  required: ['email', 'count', 'kind', 'tags', 'when', 'id', 'nested', 'code'],
  additionalProperties: false,
  properties: {
    email: { type: 'string', format: 'email' },
    site: { type: 'string', format: 'uri' },
    count: { type: 'integer', minimum: 5, maximum: 9 },
    ratio: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1 },
    step: { type: 'integer', multipleOf: 5, minimum: 10, maximum: 30 },
    kind: { enum: ['issue', 'pull'] },
    tags: {
      type: 'array',
      items: { type: 'string', minLength: 3 },
      minItems: 1,
      maxItems: 3,
      uniqueItems: true,
    },
    when: { type: 'string', format: 'date-time' },
    day: { type: 'string', format: 'date' },
    id: { type: 'string', format: 'uuid' },
    nested: {
      type: 'object',
      required: ['flag'],
      properties: { flag: { type: 'boolean' }, note: { type: ['string', 'null'], maxLength: 5 } },
    },
    code: { type: 'string', pattern: '^[A-Z]{3}-[0-9]{2}$' },
    either: {
      oneOf: [
        { type: 'string', format: 'ipv4' },
        { type: 'integer', minimum: 1 },
      ],
    },
    ref: { $ref: '#/$defs/color' },
    combined: {
      allOf: [
        { type: 'object', properties: { a: { type: 'string' } }, required: ['a'] },
        { properties: { b: { const: 1 } }, required: ['b'] },
      ],
    },
    pair: { type: 'array', prefixItems: [{ type: 'string' }, { type: 'integer' }], minItems: 2, maxItems: 2 },
  },
  $defs: { color: { type: 'string', enum: ['red', 'green'] } },
}

describe('sampleInput', () => {
  it('makes a valid sample for every seed of a rich schema', () => {
    for (let seed = 0; seed < 50; seed++) expect(() => sampleInput(rich, seed)).not.toThrow()
  })

  it('is the same for the same seed and varies across seeds', () => {
    expect(sampleInput(rich, 3)).toEqual(sampleInput(rich, 3))
    const distinct = new Set(Array.from({ length: 10 }, (_, seed) => JSON.stringify(sampleInput(rich, seed))))
    expect(distinct.size).toBeGreaterThan(5)
  })

  it('prefers examples, then defaults, and honours formats', () => {
    expect(sampleInput({ type: 'string', examples: ['octocat/hello-world'] }, 11)).toBe('octocat/hello-world')
    expect(sampleInput({ type: 'integer', default: 30 }, 4)).toBe(30)
    expect(sampleInput({ type: 'string', format: 'email' }, 1)).toMatch(/^[a-z]+\.\d+@example\.com$/)
    expect(
      sampleInput({ type: 'object', properties: { a: { type: 'string' } }, example: { a: 'x' } }),
    ).toEqual({ a: 'x' })
  })

  it('fills minimum property counts and nested arrays within bounds', () => {
    const value = sampleInput(
      { type: 'object', minProperties: 2, properties: { a: { type: 'string' }, b: { type: 'string' } } },
      2,
    )
    expect(Object.keys(value as object)).toHaveLength(2)
    const list = sampleInput(
      { type: 'array', items: { type: 'array', items: { type: 'number' }, minItems: 2 }, minItems: 2 },
      5,
    )
    expect((list as unknown[]).length).toBeGreaterThanOrEqual(2)
  })

  it('explains when nothing can satisfy a schema', () => {
    expect(() => sampleInput({ type: 'string', minLength: 5, maxLength: 2 })).toThrow(SampleInputError)
  })
})
