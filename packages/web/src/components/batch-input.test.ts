import { describe, expect, it } from 'vitest'
import {
  cellValue,
  fieldValue,
  guessFormat,
  maxBatchItems,
  parseBatchInput,
  parseCsvItems,
  parseJsonItems,
  previewCell,
  schemaAt,
  schemaTypes,
  toBatchItems,
  withDefaults,
} from './batch-input.js'

/** Shaped like `http.request`'s input schema as the server sends it (TypeBox output). */
const httpSchema = {
  type: 'object',
  required: ['method', 'url', 'followRedirects'],
  properties: {
    method: {
      anyOf: [
        { const: 'GET', type: 'string' },
        { const: 'POST', type: 'string' },
      ],
      default: 'GET',
    },
    url: { type: 'string', minLength: 1 },
    headers: { type: 'object', additionalProperties: { type: 'string' } },
    body: { description: 'Anything.' },
    followRedirects: { type: 'boolean', default: true },
    timeoutMs: { type: 'integer', minimum: 1 },
    ratio: { type: 'number' },
    tags: { type: 'array', items: { type: 'string' } },
    meta: {
      type: 'object',
      properties: { count: { type: 'integer' }, label: { type: 'string' } },
    },
  },
} as const

describe('schemaTypes and schemaAt', () => {
  it('reads types from type, anyOf constants, enum and properties', () => {
    expect([...schemaTypes({ type: ['integer', 'null'] })]).toEqual(['integer', 'null'])
    expect([...schemaTypes(httpSchema.properties.method)]).toEqual(['string'])
    expect([...schemaTypes({ enum: [1, 2] })]).toEqual(['integer'])
    expect([...schemaTypes({ properties: {} })]).toEqual(['object'])
    expect(schemaTypes({ description: 'anything' }).size).toBe(0)
    expect(schemaTypes(null).size).toBe(0)
  })

  it('finds nested fields and the schema of additional properties', () => {
    expect(schemaAt(httpSchema, ['meta', 'count'])).toEqual({ type: 'integer' })
    expect(schemaAt(httpSchema, ['headers', 'x-anything'])).toEqual({ type: 'string' })
    expect(schemaAt(httpSchema, ['nope'])).toBeNull()
    expect(schemaAt(null, ['url'])).toBeNull()
  })
})

describe('cellValue', () => {
  it('types a cell by its field’s schema', () => {
    expect(cellValue('42', { type: 'integer' })).toEqual({ value: 42 })
    expect(cellValue('4.5', { type: 'number' })).toEqual({ value: 4.5 })
    expect(cellValue('TRUE', { type: 'boolean' })).toEqual({ value: true })
    expect(cellValue('["a","b"]', { type: 'array' })).toEqual({ value: ['a', 'b'] })
    expect(cellValue('null', { type: ['integer', 'null'] })).toEqual({ value: null })
  })

  it('keeps text where the schema allows text or says nothing', () => {
    expect(cellValue('42', { type: 'string' })).toEqual({ value: '42' })
    expect(cellValue('42', null)).toEqual({ value: '42' })
    expect(cellValue(' padded ', { type: 'string' })).toEqual({ value: ' padded ' })
  })

  it('leaves an empty cell out', () => {
    expect(cellValue('', { type: 'integer' })).toBeUndefined()
  })

  it('says what is wrong with a cell that does not fit', () => {
    expect(cellValue('4.5', { type: 'integer' })).toEqual({ problem: 'should be a whole number, not “4.5”' })
    expect(cellValue('ten', { type: 'number' })).toEqual({ problem: 'should be a number, not “ten”' })
    expect(cellValue('yes', { type: 'boolean' })).toEqual({ problem: 'should be true or false, not “yes”' })
    expect(cellValue('{oops', { type: 'object' })).toEqual({ problem: 'should be JSON (object)' })
    expect(cellValue('[1]', { type: 'object' })).toEqual({ problem: 'should be JSON (object), not array' })
  })
})

describe('parseCsvItems', () => {
  it('makes one item per row, nesting dotted columns and typing by the schema', () => {
    const csv = 'method,url,meta.count,meta.label,followRedirects\nPOST,/a,3,first,false\nGET,/b,,second,\n'
    const parsed = parseCsvItems(csv, { schema: httpSchema, action: 'http.request' })
    expect(parsed.error).toBeNull()
    expect(parsed.problems).toEqual([])
    expect(parsed.columns).toEqual(['method', 'url', 'meta.count', 'meta.label', 'followRedirects'])
    expect(parsed.items).toEqual([
      {
        number: 1,
        input: { method: 'POST', url: '/a', meta: { count: 3, label: 'first' }, followRedirects: false },
      },
      { number: 2, input: { method: 'GET', url: '/b', meta: { label: 'second' } } },
    ])
  })

  it('keeps every cell as text when no schema is known yet', () => {
    const parsed = parseCsvItems('url,timeoutMs\n/a,100')
    expect(parsed.items[0]?.input).toEqual({ url: '/a', timeoutMs: '100' })
  })

  it('reports each row’s problems: cells that do not fit, schema failures, ragged rows', () => {
    const csv = ['method,url,timeoutMs', 'GET,/ok,10', 'PUT,/bad-method,10', 'GET,,ten', 'GET,/short'].join(
      '\n',
    )
    const parsed = parseCsvItems(csv, { schema: httpSchema, action: 'http.request' })
    expect(parsed.items).toHaveLength(4)
    expect(parsed.problems).toEqual([
      { number: 2, field: 'method', message: 'should be one of "GET", "POST"' },
      { number: 3, field: 'timeoutMs', message: 'should be a whole number, not “ten”' },
      { number: 3, field: 'url', message: 'is required' },
      { number: 4, field: null, message: 'has a different number of cells than the header (3 columns)' },
    ])
  })

  it('does not report a field that has a default as missing', () => {
    const parsed = parseCsvItems('url\n/a', { schema: httpSchema, action: 'http.request' })
    expect(parsed.problems).toEqual([])
    // The defaults are for checking only: the item is sent as written.
    expect(parsed.items[0]?.input).toEqual({ url: '/a' })
  })

  it('refuses a header with a blank, repeated or overlapping column', () => {
    expect(parseCsvItems('url,,x\n1,2,3').error).toBe(
      'Column 2 has no name (or an empty part in a dotted name).',
    )
    expect(parseCsvItems('url,url\n1,2').error).toBe('The column “url” appears twice.')
    expect(parseCsvItems('body,body.title\n1,2').error).toBe(
      'The columns “body” and “body.title” overlap: keep one of them.',
    )
    expect(parseCsvItems('url\n').error).toBe('There are no rows after the header.')
  })

  it('refuses more than the batch limit', () => {
    const csv = `url\n${Array.from({ length: maxBatchItems + 1 }, (_, i) => `/item/${i}`).join('\n')}`
    const parsed = parseCsvItems(csv)
    expect(parsed.items).toEqual([])
    expect(parsed.error).toBe(
      'A batch holds at most 1,000 items; this has 1,001. Split it into several batches.',
    )
    expect(
      parseCsvItems(
        csv
          .split('\n')
          .slice(0, maxBatchItems + 1)
          .join('\n'),
      ).items,
    ).toHaveLength(1000)
  })

  it('gives nothing, and no error, for empty text', () => {
    expect(parseCsvItems('  \n')).toEqual({ items: [], columns: [], problems: [], error: null })
  })
})

describe('parseJsonItems', () => {
  it('takes an array of inputs', () => {
    const parsed = parseJsonItems('[{"url": "/a", "method": "GET"}, {"url": "/b", "headers": {"x": "1"}}]', {
      schema: httpSchema,
      action: 'http.request',
    })
    expect(parsed.error).toBeNull()
    expect(parsed.problems).toEqual([])
    expect(parsed.columns).toEqual(['url', 'method', 'headers'])
    expect(parsed.items.map((i) => i.input)).toEqual([
      { url: '/a', method: 'GET' },
      { url: '/b', headers: { x: '1' } },
    ])
  })

  it('takes full items, and a whole batch body', () => {
    const text = JSON.stringify({
      items: [
        { action: 'github.create_issue', credentialId: 'cred_2', input: { title: 'x' } },
        { input: { url: '/a' }, transform: { output: 'body' } },
        { action: 'http.request', credentialId: null, input: { url: 5 } },
      ],
      mode: 'parallel',
    })
    const parsed = parseJsonItems(text, { schema: httpSchema, action: 'http.request' })
    expect(parsed.items).toEqual([
      { number: 1, action: 'github.create_issue', credentialId: 'cred_2', input: { title: 'x' } },
      { number: 2, input: { url: '/a' }, transform: { output: 'body' } },
      { number: 3, action: 'http.request', credentialId: null, input: { url: 5 } },
    ])
    // Item 1 runs another action, whose schema is not known here: it is not checked against http's.
    expect(parsed.problems).toEqual([{ number: 3, field: 'url', message: 'should be a string' }])
  })

  it('reports items that are not objects, and malformed item fields', () => {
    const parsed = parseJsonItems(
      '[1, {"action": "nodot", "input": {}}, {"input": {}, "transform": {"x": "y"}}]',
    )
    expect(parsed.problems).toEqual([
      { number: 1, field: null, message: 'should be an object (the action’s input)' },
      { number: 2, field: 'action', message: 'should be “tool.action”, such as “http.request”' },
      {
        number: 3,
        field: 'transform',
        message: 'should be { "input"?: "<JSONata>", "output"?: "<JSONata>" }',
      },
    ])
  })

  it('says what is wrong with text that is not an array of items', () => {
    expect(parseJsonItems('{"url": "/a"').error).toMatch(/^This is not valid JSON/)
    expect(parseJsonItems('{"url": "/a"}').error).toBe(
      'Give a JSON array: one element per item, such as [{"url": "…"}, …].',
    )
    expect(parseJsonItems('[]').error).toBe('The array is empty: give at least one item.')
    expect(parseJsonItems(JSON.stringify(Array.from({ length: 1001 }, () => ({})))).error).toMatch(
      /at most 1,000/,
    )
  })

  it('reports extra fields an action does not take', () => {
    const schema = { type: 'object', properties: { a: { type: 'string' } }, additionalProperties: false }
    expect(parseJsonItems('[{"a": "x", "b": 1}]', { schema }).problems).toEqual([
      { number: 1, field: 'b', message: 'is not a field this action takes' },
    ])
  })
})

describe('helpers', () => {
  it('parses by format, and guesses the format', () => {
    expect(parseBatchInput('url\n/a', 'csv').items).toHaveLength(1)
    expect(parseBatchInput('[{"url": "/a"}]', 'json').items).toHaveLength(1)
    expect(guessFormat('  [{"a": 1}]')).toBe('json')
    expect(guessFormat('url\n/a')).toBe('csv')
    expect(guessFormat('[', 'items.csv')).toBe('csv')
    expect(guessFormat('url', 'items.json')).toBe('json')
  })

  it('fills the form’s action and credential into items that do not name their own', () => {
    const items = toBatchItems(
      [
        { number: 1, input: { url: '/a' } },
        { number: 2, input: {}, action: 'github.list_repos', credentialId: null, transform: { input: '$' } },
      ],
      { action: 'http.request', credentialId: 'cred_1' },
    )
    expect(items).toEqual([
      { action: 'http.request', credentialId: 'cred_1', input: { url: '/a' } },
      { action: 'github.list_repos', credentialId: null, input: {}, transform: { input: '$' } },
    ])
  })

  it('fills defaults without changing what was given', () => {
    const input = { url: '/a', meta: { label: 'x' } }
    expect(withDefaults(httpSchema, input)).toEqual({
      url: '/a',
      method: 'GET',
      followRedirects: true,
      meta: { label: 'x' },
    })
    expect(input).toEqual({ url: '/a', meta: { label: 'x' } })
  })

  it('shows preview cells compactly', () => {
    expect(previewCell('text')).toBe('text')
    expect(previewCell({ a: 1 })).toBe('{"a":1}')
    expect(previewCell(undefined)).toBe('')
    expect(previewCell('x'.repeat(100), 10)).toBe(`${'x'.repeat(9)}…`)
    expect(fieldValue({ body: { title: 'T' } }, 'body.title')).toBe('T')
    expect(fieldValue({ body: 'flat' }, 'body.title')).toBeUndefined()
  })
})
