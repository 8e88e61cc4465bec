/**
 * Turns what a user pastes or uploads for a batch — CSV or JSON — into the batch's items, with the
 * problems of each row found before anything is submitted. Pure: no React, no requests.
 *
 * CSV: the header row names the input's fields; a dotted name (`body.title`) makes nested objects;
 * cells become numbers, booleans, objects or arrays where the action's input schema says the field
 * is one, and stay text otherwise; an empty cell leaves the field out.
 * JSON: an array of inputs, or of full items (`{ action?, credentialId?, input, transform? }`), or
 * a whole `POST /v1/batches` body (`{ items: [...] }`).
 */
import { Validator } from '@cfworker/json-schema'
import Papa from 'papaparse'

/** The most items one batch holds (the server refuses more). */
export const maxBatchItems = 1000

export type BatchFormat = 'csv' | 'json'

/** A JSON Schema as the server sends it. */
export type InputSchema = Readonly<Record<string, unknown>>

/** One item, numbered from 1 in the order given; its action and credential fall back to the form's. */
export interface ParsedItem {
  readonly number: number
  readonly input: unknown
  readonly action?: string
  readonly credentialId?: string | null
  readonly transform?: { readonly input?: string; readonly output?: string }
}

/** Something wrong with one item: which one, which field (dotted), and what. */
export interface RowProblem {
  readonly number: number
  readonly field: string | null
  readonly message: string
}

export interface ParsedBatch {
  readonly items: readonly ParsedItem[]
  /** The fields to show in a preview, in order. */
  readonly columns: readonly string[]
  readonly problems: readonly RowProblem[]
  /** What is wrong with the text as a whole (not JSON, no header, too many items); null when nothing. */
  readonly error: string | null
}

export interface ParseOptions {
  /** The chosen action's input schema: types CSV cells and checks every input. Null until known. */
  readonly schema?: InputSchema | null
  /** The chosen action (`tool.action`): items naming another action are not checked against `schema`. */
  readonly action?: string | null
}

const empty: ParsedBatch = { items: [], columns: [], problems: [], error: null }

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function plural(n: number, one: string, many: string): string {
  return `${n.toLocaleString('en')} ${n === 1 ? one : many}`
}

function tooMany(count: number): string {
  return `A batch holds at most ${maxBatchItems.toLocaleString('en')} items; this has ${count.toLocaleString('en')}. Split it into several batches.`
}

/**
 * The schema of the field at `path` (`['body', 'title']`) inside an object schema; null when the
 * schema does not describe it.
 *
 * @example
 * schemaAt({ properties: { body: { properties: { n: { type: 'integer' } } } } }, ['body', 'n']) // { type: 'integer' }
 */
export function schemaAt(
  schema: InputSchema | null | undefined,
  path: readonly string[],
): InputSchema | null {
  let current: unknown = schema
  for (const segment of path) {
    if (!isRecord(current)) return null
    const here = current
    const branches = [here, ...(['anyOf', 'oneOf', 'allOf'] as const).flatMap((k) => asArray(here, k))]
    let next: unknown = null
    for (const branch of branches) {
      if (!isRecord(branch)) continue
      if (isRecord(branch.properties) && isRecord(branch.properties[segment])) {
        next = branch.properties[segment]
        break
      }
      if (isRecord(branch.additionalProperties)) {
        next = branch.additionalProperties
        break
      }
    }
    current = next
  }
  return isRecord(current) ? current : null
}

function asArray(value: Record<string, unknown>, key: string): unknown[] {
  const found = value[key]
  return Array.isArray(found) ? (found as unknown[]) : []
}

function typeOfValue(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'array'
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number'
  return typeof value
}

/**
 * The JSON types a schema allows (from `type`, the branches of `anyOf`/`oneOf`, `const` or `enum`);
 * empty when it does not say.
 *
 * @example
 * schemaTypes({ anyOf: [{ const: 'GET' }, { const: 'POST' }] }) // Set { 'string' }
 */
export function schemaTypes(schema: InputSchema | null): Set<string> {
  const types = new Set<string>()
  if (schema === null) return types
  const { type } = schema
  if (typeof type === 'string') {
    types.add(type)
  } else if (Array.isArray(type)) {
    for (const t of type as unknown[]) if (typeof t === 'string') types.add(t)
  } else if ('const' in schema) {
    types.add(typeOfValue(schema.const))
  } else if (Array.isArray(schema.enum)) {
    for (const v of schema.enum as unknown[]) types.add(typeOfValue(v))
  } else if (isRecord(schema.properties)) {
    types.add('object')
  }
  if (types.size === 0) {
    for (const key of ['anyOf', 'oneOf']) {
      for (const branch of asArray(schema, key)) {
        if (isRecord(branch)) for (const t of schemaTypes(branch)) types.add(t)
      }
    }
  }
  return types
}

type Cell = { readonly value: unknown } | { readonly problem: string }

/**
 * A CSV cell as the value its field's schema asks for: a number, a boolean, JSON for an object or an
 * array, text otherwise (also when the schema allows text, or says nothing). Undefined for an empty
 * cell: the field is left out.
 *
 * @example
 * cellValue('42', { type: 'integer' }) // { value: 42 }
 * cellValue('yes', { type: 'boolean' }) // { problem: 'should be true or false, not “yes”' }
 */
export function cellValue(raw: string, schema: InputSchema | null): Cell | undefined {
  if (raw === '') return undefined
  const types = schemaTypes(schema)
  if (types.size === 0 || types.has('string')) return { value: raw }
  const text = raw.trim()
  if (types.has('number') || types.has('integer')) {
    const n = text === '' ? Number.NaN : Number(text)
    if (Number.isFinite(n) && (types.has('number') || Number.isInteger(n))) return { value: n }
    if (!(types.has('boolean') || types.has('object') || types.has('array') || types.has('null'))) {
      const what = types.has('number') ? 'a number' : 'a whole number'
      return { problem: `should be ${what}, not “${raw}”` }
    }
  }
  if (types.has('boolean')) {
    const lower = text.toLowerCase()
    if (lower === 'true' || lower === 'false') return { value: lower === 'true' }
    if (!(types.has('object') || types.has('array') || types.has('null'))) {
      return { problem: `should be true or false, not “${raw}”` }
    }
  }
  if (types.has('null') && text === 'null') return { value: null }
  if (types.has('object') || types.has('array')) {
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch {
      return { problem: `should be JSON (${[...types].filter((t) => t !== 'null').join(' or ')})` }
    }
    const actual = typeOfValue(parsed)
    if (types.has(actual) || (actual === 'integer' && types.has('number'))) return { value: parsed }
    return { problem: `should be JSON (${[...types].join(' or ')}), not ${actual}` }
  }
  return { problem: `should be ${[...types].join(' or ')}, not “${raw}”` }
}

/** Sets `value` at a dotted path, making objects on the way; false when a non-object is in the way. */
function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): boolean {
  let current = target
  for (const [i, segment] of path.entries()) {
    if (i === path.length - 1) {
      current[segment] = value
      return true
    }
    const next = current[segment]
    if (next === undefined) {
      const created: Record<string, unknown> = {}
      current[segment] = created
      current = created
    } else if (isRecord(next)) {
      current = next
    } else {
      return false
    }
  }
  return true
}

/** A whole-input problem with the CSV's header, or null. */
function headerProblem(fields: readonly string[]): string | null {
  if (fields.length === 0) return 'The first row must name the input’s fields, such as “url,method”.'
  const blank = fields.findIndex((f) => f === '' || f.split('.').some((s) => s === ''))
  if (blank !== -1) return `Column ${blank + 1} has no name (or an empty part in a dotted name).`
  const seen = new Set<string>()
  for (const field of fields) {
    if (seen.has(field)) return `The column “${field}” appears twice.`
    seen.add(field)
  }
  // `body` and `body.title` cannot both be given: one is the object, the other a field inside it.
  for (const field of fields) {
    const parent = fields.find((other) => field.startsWith(`${other}.`))
    if (parent !== undefined) return `The columns “${parent}” and “${field}” overlap: keep one of them.`
  }
  return null
}

/**
 * Items from CSV: one per row after the header.
 *
 * @example
 * parseCsvItems('url,body.n\n/a,1', { schema }).items[0].input // { url: '/a', body: { n: 1 } }
 */
export function parseCsvItems(text: string, options: ParseOptions = {}): ParsedBatch {
  if (text.trim() === '') return empty
  const result = Papa.parse<Record<string, string | undefined>>(text, {
    header: true,
    skipEmptyLines: 'greedy',
    transformHeader: (h) => h.trim(),
  })
  const renamed = (result.meta as { renamedHeaders?: Record<string, string> | null }).renamedHeaders
  const duplicate = renamed === null || renamed === undefined ? undefined : Object.values(renamed)[0]
  if (duplicate !== undefined) {
    return { ...empty, error: `The column “${duplicate}” appears twice.` }
  }
  const fields = (result.meta.fields ?? []).map((f) => f.trim())
  const header = headerProblem(fields)
  if (header !== null) return { ...empty, error: header }
  const rows = result.data
  if (rows.length === 0) return { ...empty, columns: fields, error: 'There are no rows after the header.' }
  if (rows.length > maxBatchItems) return { ...empty, columns: fields, error: tooMany(rows.length) }

  const problems: RowProblem[] = []
  for (const error of result.errors) {
    if (error.row === undefined || error.code === 'UndetectableDelimiter') continue
    const message =
      error.code === 'TooFewFields' || error.code === 'TooManyFields'
        ? `has a different number of cells than the header (${plural(fields.length, 'column', 'columns')})`
        : error.message
    problems.push({ number: error.row + 1, field: null, message })
  }
  const paths = fields.map((f) => f.split('.'))
  const items = rows.map((row, i): ParsedItem => {
    const input: Record<string, unknown> = {}
    for (const [c, field] of fields.entries()) {
      const path = paths[c] ?? [field]
      const cell = cellValue(row[field] ?? '', schemaAt(options.schema, path))
      if (cell === undefined) continue
      if ('problem' in cell) problems.push({ number: i + 1, field, message: cell.problem })
      else setPath(input, path, cell.value)
    }
    return { number: i + 1, input }
  })
  problems.push(...checkInputs(items, options))
  return { items, columns: fields, problems: sortProblems(problems), error: null }
}

const itemKeys = new Set(['action', 'credentialId', 'input', 'transform'])

/** Whether a JSON element is a full item rather than an input: only item keys, with `input` or `action`. */
function isFullItem(value: unknown): value is Record<string, unknown> {
  if (!isRecord(value)) return false
  const keys = Object.keys(value)
  return keys.length > 0 && keys.every((k) => itemKeys.has(k)) && ('input' in value || 'action' in value)
}

function fullItem(value: Record<string, unknown>, number: number, problems: RowProblem[]): ParsedItem {
  let item: ParsedItem = { number, input: value.input ?? {} }
  if ('action' in value) {
    if (typeof value.action === 'string' && /^[^.\s]+\.[^.\s]+$/.test(value.action)) {
      item = { ...item, action: value.action }
    } else {
      problems.push({ number, field: 'action', message: 'should be “tool.action”, such as “http.request”' })
    }
  }
  if ('credentialId' in value) {
    if (typeof value.credentialId === 'string' || value.credentialId === null) {
      item = { ...item, credentialId: value.credentialId }
    } else problems.push({ number, field: 'credentialId', message: 'should be a credential id or null' })
  }
  if ('transform' in value) {
    const t = value.transform
    if (
      isRecord(t) &&
      Object.keys(t).every((k) => k === 'input' || k === 'output') &&
      Object.values(t).every((v) => typeof v === 'string' && v !== '')
    ) {
      item = { ...item, transform: t }
    } else {
      problems.push({
        number,
        field: 'transform',
        message: 'should be { "input"?: "<JSONata>", "output"?: "<JSONata>" }',
      })
    }
  }
  return item
}

/**
 * Items from JSON: an array of inputs or of full items, or a `{ "items": [...] }` batch body.
 *
 * @example
 * parseJsonItems('[{"url": "/a"}, {"action": "http.request", "input": {"url": "/b"}}]').items.length // 2
 */
export function parseJsonItems(text: string, options: ParseOptions = {}): ParsedBatch {
  if (text.trim() === '') return empty
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    const detail = error instanceof SyntaxError ? ` (${error.message})` : ''
    return { ...empty, error: `This is not valid JSON${detail}.` }
  }
  const list = isRecord(value) && Array.isArray(value.items) ? (value.items as unknown[]) : value
  if (!Array.isArray(list)) {
    return { ...empty, error: 'Give a JSON array: one element per item, such as [{"url": "…"}, …].' }
  }
  if (list.length === 0) return { ...empty, error: 'The array is empty: give at least one item.' }
  if (list.length > maxBatchItems) return { ...empty, error: tooMany(list.length) }
  const problems: RowProblem[] = []
  const items = list.map((element, i): ParsedItem => {
    const number = i + 1
    if (isFullItem(element)) return fullItem(element, number, problems)
    if (!isRecord(element)) {
      problems.push({ number, field: null, message: 'should be an object (the action’s input)' })
    }
    return { number, input: element }
  })
  const columns: string[] = []
  for (const item of items.slice(0, 20)) {
    if (!isRecord(item.input)) continue
    for (const key of Object.keys(item.input)) if (!columns.includes(key)) columns.push(key)
  }
  problems.push(...checkInputs(items, options))
  return { items, columns, problems: sortProblems(problems), error: null }
}

/**
 * Parses CSV or JSON.
 *
 * @example
 * const parsed = parseBatchInput(text, 'csv', { schema: action.input, action: action.id })
 */
export function parseBatchInput(text: string, format: BatchFormat, options: ParseOptions = {}): ParsedBatch {
  return format === 'csv' ? parseCsvItems(text, options) : parseJsonItems(text, options)
}

/** A guess at the format of a file or pasted text: JSON when it starts like JSON. */
export function guessFormat(text: string, fileName = ''): BatchFormat {
  if (/\.json$/i.test(fileName)) return 'json'
  if (/\.(csv|tsv|txt)$/i.test(fileName)) return 'csv'
  return /^\s*[[{]/.test(text) ? 'json' : 'csv'
}

function sortProblems(problems: RowProblem[]): RowProblem[] {
  return problems.sort((a, b) => a.number - b.number)
}

/**
 * A copy of `value` with the defaults its schema declares filled in, as the server does before it
 * validates (so a field with a default is not reported missing).
 */
export function withDefaults(schema: InputSchema | null | undefined, value: unknown): unknown {
  if (schema === null || schema === undefined || !isRecord(value) || !isRecord(schema.properties))
    return value
  const result: Record<string, unknown> = { ...value }
  for (const [name, property] of Object.entries(schema.properties)) {
    if (!isRecord(property)) continue
    if (result[name] === undefined && 'default' in property) {
      result[name] = structuredClone(property.default)
    } else if (isRecord(result[name])) {
      result[name] = withDefaults(property, result[name])
    }
  }
  return result
}

/** `#/body/title` → `body.title`; `#` → null. */
function fieldOf(instanceLocation: string): string | null {
  const parts = instanceLocation
    .replace(/^#\/?/, '')
    .split('/')
    .filter((p) => p !== '')
    .map((p) => decodeURIComponent(p).replace(/~1/g, '/').replace(/~0/g, '~'))
  return parts.length === 0 ? null : parts.join('.')
}

function schemaAtPointer(schema: InputSchema, pointer: string): unknown {
  let current: unknown = schema
  for (const part of pointer.replace(/^#\/?/, '').split('/')) {
    if (part === '') continue
    const key = decodeURIComponent(part).replace(/~1/g, '/').replace(/~0/g, '~')
    if (isRecord(current)) current = current[key]
    else if (Array.isArray(current)) current = (current as unknown[])[Number(key)]
    else return undefined
  }
  return current
}

const article = (type: string) => (/^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`)
const typeWords: Record<string, string> = { integer: 'whole number', object: 'object', array: 'list' }

/** The allowed values of a schema made of constants, if it is one. */
function allowedValues(schema: unknown): unknown[] | null {
  if (!isRecord(schema)) return null
  if (Array.isArray(schema.enum)) return schema.enum as unknown[]
  const branches = [...asArray(schema, 'anyOf'), ...asArray(schema, 'oneOf')]
  if (branches.length > 0 && branches.every((b) => isRecord(b) && 'const' in b)) {
    return branches.map((b) => (b as { const: unknown }).const)
  }
  return null
}

/** Container keywords whose own errors only repeat their children's. */
const containerKeywords = new Set([
  'properties',
  'additionalProperties',
  'items',
  'prefixItems',
  'allOf',
  '$ref',
  'unevaluatedProperties',
  'dependentSchemas',
  'patternProperties',
  'contains',
])

/** The problems of one input against a schema, in words. */
export function inputProblems(validator: Validator, schema: InputSchema, input: unknown) {
  const result = validator.validate(withDefaults(schema, input))
  if (result.valid) return []
  const problems: { field: string | null; message: string }[] = []
  for (const error of result.errors) {
    const { keyword, keywordLocation } = error
    if (containerKeywords.has(keyword)) continue
    // Inside an anyOf/oneOf branch: the branch's failure is reported once, as the anyOf's.
    if (/\/(?:anyOf|oneOf)\/\d+\//.test(keywordLocation)) continue
    let field = fieldOf(error.instanceLocation)
    let message: string
    if (keyword === 'required') {
      const name = /"(.+)"/.exec(error.error)?.[1] ?? ''
      field = field === null ? name : `${field}.${name}`
      message = 'is required'
    } else if (keyword === 'type') {
      const expected = /Expected "(.+?)"/.exec(error.error)?.[1] ?? 'another type'
      message = `should be ${expected
        .split('", "')
        .map((t) => article(typeWords[t] ?? t))
        .join(' or ')}`
    } else if (keyword === 'anyOf' || keyword === 'oneOf' || keyword === 'enum' || keyword === 'const') {
      const owner =
        keyword === 'enum' || keyword === 'const'
          ? keywordLocation.replace(/\/[^/]+$/, '')
          : keywordLocation.replace(/\/(?:anyOf|oneOf)$/, '')
      const values = allowedValues(schemaAtPointer(schema, owner))
      message =
        values === null
          ? 'does not match any of the forms the action accepts'
          : `should be one of ${values.map((v) => JSON.stringify(v)).join(', ')}`
    } else if (keyword === 'false') {
      message = 'is not a field this action takes'
    } else {
      message = error.error.replace(/^Instance /, '').replace(/\.$/, '')
    }
    if (!problems.some((p) => p.field === field && p.message === message)) problems.push({ field, message })
  }
  return problems
}

/** Checks every item that runs the chosen action against its input schema. */
function checkInputs(items: readonly ParsedItem[], options: ParseOptions): RowProblem[] {
  const { schema, action } = options
  if (schema === null || schema === undefined) return []
  const validator = new Validator(schema, '2020-12', false)
  const problems: RowProblem[] = []
  for (const item of items) {
    if (item.action !== undefined && item.action !== action) continue
    // An item the parser already found broken (not an object) gets no second report.
    if (!isRecord(item.input)) continue
    for (const p of inputProblems(validator, schema, item.input)) problems.push({ number: item.number, ...p })
  }
  return problems
}

export interface BatchDefaults {
  readonly action: string
  readonly credentialId: string | null
}

/**
 * The items of `POST /v1/batches`: each parsed item with the form's action and credential unless it
 * names its own.
 *
 * @example
 * toBatchItems(parsed.items, { action: 'http.request', credentialId: 'cred_1' })
 */
export function toBatchItems(items: readonly ParsedItem[], defaults: BatchDefaults) {
  return items.map((item) => ({
    action: item.action ?? defaults.action,
    credentialId: item.credentialId !== undefined ? item.credentialId : defaults.credentialId,
    input: item.input,
    ...(item.transform === undefined ? {} : { transform: item.transform }),
  }))
}

/**
 * A cell of the preview: text as it is, anything else as compact JSON, cut to `max` characters.
 *
 * @example
 * previewCell({ a: 1 }) // '{"a":1}'
 */
export function previewCell(value: unknown, max = 60): string {
  if (value === undefined) return ''
  const text = typeof value === 'string' ? value : JSON.stringify(value)
  return text.length > max ? `${text.slice(0, max - 1)}…` : text
}

/** The value of a dotted field of an input, for the preview (`body.title`). */
export function fieldValue(input: unknown, field: string): unknown {
  let current: unknown = input
  for (const part of field.split('.')) {
    if (!isRecord(current)) return undefined
    current = current[part]
  }
  return current
}
