import { describe, expect, it } from 'vitest'
import {
  describeForm,
  errorsByField,
  fieldPointers,
  formatJson,
  fromLocalDateTime,
  getAt,
  humanize,
  initialValue,
  inputErrorsOf,
  parseJson,
  propertiesOf,
  setAt,
  toLocalDateTime,
  validateInput,
} from './schema-form.js'
import type { FieldSpec, JsonSchema } from './schema-form.js'
import { httpRequestSchema as httpSchema } from '../testing/actions.js'

/** `http.request`'s input schema, with its `query` member (a record of scalars or lists). */
const httpRequestSchema: JsonSchema = {
  ...httpSchema,
  properties: {
    ...(httpSchema.properties as JsonSchema),
    query: {
      type: 'object',
      patternProperties: {
        '^.*$': {
          anyOf: [
            { anyOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }] },
            { type: 'array', items: { anyOf: [{ type: 'string' }, { type: 'number' }] } },
          ],
        },
      },
    },
  },
}

const widgetOf = (schema: JsonSchema, name: string) =>
  propertiesOf(schema).find((p) => p.name === name)?.field.widget

describe('humanize', () => {
  it('turns property names into labels', () => {
    expect(humanize('followRedirects')).toBe('Follow redirects')
    expect(humanize('timeoutMs')).toBe('Timeout (ms)')
    expect(humanize('parent_id')).toBe('Parent ID')
    expect(humanize('url')).toBe('URL')
    expect(humanize('HTMLBody')).toBe('HTML body')
  })
})

describe('describeForm', () => {
  it('gives each property of http.request its widget', () => {
    const form = describeForm(httpRequestSchema)
    expect(form.widget.kind).toBe('object')
    expect(widgetOf(httpRequestSchema, 'method')).toMatchObject({ kind: 'enum', control: 'select' })
    expect(widgetOf(httpRequestSchema, 'url')).toMatchObject({ kind: 'string', format: null, secret: false })
    expect(widgetOf(httpRequestSchema, 'headers')).toEqual({ kind: 'record', values: 'string' })
    expect(widgetOf(httpRequestSchema, 'query')).toEqual({ kind: 'record', values: 'scalar' })
    expect(widgetOf(httpRequestSchema, 'body')).toEqual({ kind: 'json' })
    expect(widgetOf(httpRequestSchema, 'followRedirects')).toEqual({ kind: 'boolean' })
    expect(widgetOf(httpRequestSchema, 'timeoutMs')).toEqual({ kind: 'number', integer: true })
    const timeout = propertiesOf(httpRequestSchema).find((p) => p.name === 'timeoutMs')
    expect(timeout?.field.title).toBe('Timeout (ms)')
    expect(timeout?.field.hints).toEqual(['Between 1 and 60000.'])
    expect(
      propertiesOf(httpRequestSchema)
        .filter((p) => p.required)
        .map((p) => p.name),
    ).toEqual(['method', 'url', 'followRedirects'])
  })

  it('uses radio buttons for a few choices and a select for many', () => {
    const schema = { type: 'object', properties: { parentType: { enum: ['database', 'page'] } } }
    expect(widgetOf(schema, 'parentType')).toMatchObject({
      kind: 'enum',
      control: 'radio',
      options: [
        { value: 'database', label: 'database' },
        { value: 'page', label: 'page' },
      ],
    })
  })

  it('picks inputs by format and marks secrets', () => {
    const schema = {
      type: 'object',
      properties: {
        email: { type: 'string', format: 'email' },
        site: { type: 'string', format: 'uri' },
        due: { type: 'string', format: 'date' },
        at: { type: 'string', format: 'date-time' },
        token: { type: 'string', writeOnly: true },
        key: { type: 'string', 'x-toolplane-secret': true },
        content: { type: 'string', maxLength: 200000 },
      },
    }
    expect(widgetOf(schema, 'email')).toMatchObject({ format: 'email' })
    expect(widgetOf(schema, 'site')).toMatchObject({ format: 'uri' })
    expect(widgetOf(schema, 'due')).toMatchObject({ format: 'date' })
    expect(widgetOf(schema, 'at')).toMatchObject({ format: 'date-time' })
    expect(widgetOf(schema, 'token')).toMatchObject({ secret: true })
    expect(widgetOf(schema, 'key')).toMatchObject({ secret: true })
    expect(widgetOf(schema, 'content')).toMatchObject({ multiline: true })
  })

  it('describes nested objects, arrays of objects and arrays of distinct choices', () => {
    const schema = {
      type: 'object',
      properties: {
        to: { type: 'array', items: { type: 'string', format: 'email' }, minItems: 1, maxItems: 100 },
        attachments: {
          type: 'array',
          items: {
            type: 'object',
            required: ['filename'],
            properties: { filename: { type: 'string' }, contentBase64: { type: 'string' } },
          },
        },
        types: {
          type: 'array',
          uniqueItems: true,
          items: { anyOf: [{ const: 'public_channel' }, { const: 'im' }] },
        },
        owner: { type: 'object', properties: { name: { type: 'string' } } },
        rows: { type: 'array', items: { type: 'array', items: { type: 'string' } } },
        params: { type: 'array', items: {} },
      },
    }
    const to = propertiesOf(schema).find((p) => p.name === 'to')!.field
    expect(to.widget).toMatchObject({
      kind: 'array',
      items: { title: 'To item', widget: { format: 'email' } },
    })
    expect(to.hints).toEqual(['1 to 100 items.'])
    const attachments = widgetOf(schema, 'attachments')
    expect(attachments?.kind).toBe('array')
    if (attachments?.kind === 'array') {
      expect(attachments.items.title).toBe('Attachment')
      expect(attachments.items.widget.kind).toBe('object')
    }
    expect(widgetOf(schema, 'types')).toMatchObject({ kind: 'choices' })
    expect(widgetOf(schema, 'owner')).toMatchObject({ kind: 'object' })
    expect(widgetOf(schema, 'rows')).toEqual({ kind: 'json' })
    expect(widgetOf(schema, 'params')).toEqual({ kind: 'json' })
  })

  it('edits a nullable value as its type, and follows local references', () => {
    const schema = {
      type: 'object',
      $defs: { Due: { type: 'string', format: 'date' } },
      properties: {
        dueDate: { anyOf: [{ type: 'string', format: 'date' }, { type: 'null' }], description: 'or null' },
        milestone: { type: ['integer', 'null'] },
        due: { $ref: '#/$defs/Due', description: 'When' },
        remote: { $ref: 'https://example.com/schema' },
      },
    }
    const due = propertiesOf(schema).find((p) => p.name === 'dueDate')!.field
    expect(due.nullable).toBe(true)
    expect(due.description).toBe('or null')
    expect(due.widget).toMatchObject({ kind: 'string', format: 'date' })
    expect(widgetOf(schema, 'milestone')).toEqual({ kind: 'number', integer: true })
    const ref = propertiesOf(schema).find((p) => p.name === 'due')!.field
    expect(ref.widget).toMatchObject({ format: 'date' })
    expect(ref.description).toBe('When')
    expect(widgetOf(schema, 'remote')).toEqual({ kind: 'json' })
  })

  it('falls back to JSON for what it cannot edit as fields', () => {
    const schema = {
      type: 'object',
      properties: {
        blocks: {
          type: 'object',
          properties: { type: { type: 'string' } },
          additionalProperties: { type: 'string' },
        },
        notion: { type: 'object', patternProperties: { '^.*$': {} } },
        either: { anyOf: [{ type: 'string' }, { type: 'object' }] },
      },
    }
    expect(widgetOf(schema, 'blocks')).toEqual({ kind: 'json' })
    expect(widgetOf(schema, 'notion')).toEqual({ kind: 'json' })
    expect(widgetOf(schema, 'either')).toEqual({ kind: 'json' })
  })
})

describe('initialValue', () => {
  it('starts from the defaults', () => {
    expect(initialValue(httpRequestSchema)).toEqual({ method: 'GET', followRedirects: true })
  })

  it('fills required nested objects with their defaults and leaves optional empty ones out', () => {
    const schema = {
      type: 'object',
      required: ['page'],
      properties: {
        page: { type: 'object', properties: { size: { type: 'integer', default: 50 } } },
        extra: { type: 'object', properties: { note: { type: 'string' } } },
      },
    }
    expect(initialValue(schema)).toEqual({ page: { size: 50 } })
  })
})

describe('getAt and setAt', () => {
  it('reads and writes by pointer, without changing the original', () => {
    const original = { a: { b: [1, { c: 2 }] } }
    expect(getAt(original, '/a/b/1/c')).toBe(2)
    const next = setAt(original, '/a/b/1/c', 3)
    expect(getAt(next, '/a/b/1/c')).toBe(3)
    expect(getAt(original, '/a/b/1/c')).toBe(2)
    expect(setAt({ a: 1, b: 2 }, '/a', undefined)).toEqual({ b: 2 })
    expect(setAt(undefined, '/x/y', 'z')).toEqual({ x: { y: 'z' } })
    expect(getAt({ 'a/b': 1 }, '/a~1b')).toBe(1)
    expect(setAt({}, '/a~1b', 1)).toEqual({ 'a/b': 1 })
  })
})

describe('validateInput', () => {
  it('reports a missing required field on that field, in plain words', () => {
    expect(validateInput(httpRequestSchema, { method: 'GET', followRedirects: true })).toEqual({
      '/url': 'Required: enter a value.',
    })
  })

  it('says which choices an enum allows, once', () => {
    const errors = validateInput(httpRequestSchema, { method: 'FETCH', url: 'x', followRedirects: true })
    expect(errors).toEqual({ '/method': 'Choose one of: GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS.' })
  })

  it('reports bounds, patterns and formats deep in the input', () => {
    const schema = {
      type: 'object',
      properties: {
        to: { type: 'array', items: { type: 'string', format: 'email' }, minItems: 1 },
        cc: { type: 'array', items: { type: 'string' }, minItems: 1 },
        headers: {
          type: 'object',
          patternProperties: { '^.*$': { type: 'string', pattern: '^[^\\r\\n]*$' } },
        },
        timeoutMs: { type: 'integer', minimum: 1 },
      },
    }
    expect(
      validateInput(schema, {
        to: ['ada@example.com', 'nope'],
        cc: [],
        headers: { x: 'a\nb' },
        timeoutMs: 0,
      }),
    ).toEqual({
      '/to/1': 'Enter an email address, such as ada@example.com.',
      '/cc': 'Add at least 1 item.',
      '/headers/x': 'This does not have the expected form.',
      '/timeoutMs': 'Enter 1 or more.',
    })
  })

  it('says what a nullable field needs rather than that no alternative matched', () => {
    const schema = {
      type: 'object',
      properties: { assigneeId: { anyOf: [{ type: 'string', minLength: 36 }, { type: 'null' }] } },
    }
    expect(validateInput(schema, { assigneeId: 'short' })).toEqual({
      '/assigneeId': 'Enter at least 36 characters.',
    })
    expect(validateInput(schema, { assigneeId: null })).toEqual({})
  })

  it('passes a valid input', () => {
    expect(validateInput(httpRequestSchema, { method: 'GET', url: '/x', followRedirects: true })).toEqual({})
  })
})

describe('errors on fields', () => {
  it('puts each error on the deepest field shown that holds it', () => {
    const form = describeForm(httpRequestSchema)
    const value = { method: 'GET', headers: { a: 'x' } }
    const shown = fieldPointers(form, value)
    expect(shown).toContain('/headers')
    expect(shown).not.toContain('/headers/a')
    expect(
      errorsByField(
        { '/headers/a': 'This does not have the expected form.', '/url': 'Required.', '/zzz': 'No.' },
        shown,
      ),
    ).toEqual({
      '/headers': ['a: This does not have the expected form.'],
      '/url': ['Required.'],
      '': ['zzz: No.'],
    })
  })

  it('lists the items of arrays as fields', () => {
    const field: FieldSpec = describeForm({
      type: 'object',
      properties: { to: { type: 'array', items: { type: 'string' } } },
    })
    expect(fieldPointers(field, { to: ['a', 'b'] })).toEqual(['', '/to', '/to/0', '/to/1'])
  })

  it('maps a validation problem’s paths to the input’s fields', () => {
    expect(
      inputErrorsOf([
        { path: '/body/input/title', message: 'is required' },
        { path: '/input/url', message: 'must be a URL' },
        { path: '/input', message: 'must be an object' },
        { path: '/credentialId', message: 'needs a credential' },
      ]),
    ).toEqual({
      fields: { '/title': 'is required', '/url': 'must be a URL', '': 'must be an object' },
      other: [{ path: '/credentialId', message: 'needs a credential' }],
    })
  })
})

describe('JSON text', () => {
  it('parses JSON and says where invalid JSON breaks', () => {
    expect(parseJson('{"a": 1}')).toEqual({ ok: true, value: { a: 1 } })
    expect(parseJson('  ')).toEqual({ ok: true, value: undefined })
    const broken = parseJson('{\n  "a": 1,\n}')
    expect(broken.ok).toBe(false)
    if (!broken.ok) expect(broken.message).toMatch(/^Not valid JSON: .*line 3/)
    expect(formatJson({ a: 1 })).toBe('{\n  "a": 1\n}')
    expect(formatJson(undefined)).toBe('')
  })
})

describe('date-time inputs', () => {
  it('round-trips a date-time through the local input', () => {
    const iso = '2025-07-01T10:30:00.000Z'
    const local = toLocalDateTime(iso)
    expect(local).toMatch(/^2025-07-0[12]T\d\d:30$/)
    expect(fromLocalDateTime(local)).toBe(iso)
    expect(toLocalDateTime('nonsense')).toBe('')
    expect(fromLocalDateTime('')).toBeUndefined()
  })
})
