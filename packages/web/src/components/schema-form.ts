/**
 * The form an action's input JSON Schema (2020-12) becomes, as data: which widget each field gets,
 * its label, help text and default, and how values and validation errors map onto fields. Pure, so
 * it is tested without rendering; `ActionParameterForm` renders what it describes.
 *
 * Values are plain JSON. A field left empty is absent from its object (so an optional field is left
 * out and a required one is reported as missing), and fields are addressed by JSON Pointers relative
 * to the input (`/headers/accept`, `/attachments/0/filename`), the same pointers validation errors
 * and the server's `errors[].path` use.
 */
import { Validator } from '@cfworker/json-schema'
import type { OutputUnit } from '@cfworker/json-schema'
import type { FieldError } from '../api/client.js'

/** A JSON Schema as the server sends it. */
export type JsonSchema = Readonly<Record<string, unknown>>

/** A JSON Pointer into the input: `''` is the whole input, `/url` one field. */
export type Pointer = string

export type StringFormat = 'email' | 'uri' | 'date' | 'date-time'

export interface EnumOption {
  readonly value: unknown
  readonly label: string
}

/** What a field is edited with. */
export type FieldWidget =
  | {
      readonly kind: 'string'
      readonly format: StringFormat | null
      readonly secret: boolean
      readonly multiline: boolean
    }
  | { readonly kind: 'number'; readonly integer: boolean }
  | { readonly kind: 'boolean' }
  | { readonly kind: 'enum'; readonly options: readonly EnumOption[]; readonly control: 'radio' | 'select' }
  | { readonly kind: 'object'; readonly properties: readonly PropertyField[] }
  /** Free-form object of scalar values (headers, query parameters, metadata): a key–value editor. */
  | { readonly kind: 'record'; readonly values: 'string' | 'number' | 'boolean' | 'scalar' }
  | { readonly kind: 'array'; readonly items: FieldSpec }
  /** An array of distinct choices: a group of checkboxes. */
  | { readonly kind: 'choices'; readonly options: readonly EnumOption[] }
  /** Anything else: the field's value as JSON text. */
  | { readonly kind: 'json' }

/** One field: its widget and what the user is told about it. */
export interface FieldSpec {
  readonly title: string
  readonly description: string | null
  /** Short facts from the schema's bounds: "Between 1 and 60000", "At most 100 items". */
  readonly hints: readonly string[]
  readonly defaultValue: unknown
  /** The schema also allows `null` (`anyOf: [T, { type: 'null' }]`). */
  readonly nullable: boolean
  readonly widget: FieldWidget
}

/** A property of an object, with whether the object requires it. */
export interface PropertyField {
  readonly name: string
  readonly required: boolean
  readonly field: FieldSpec
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

const asSchema = (value: unknown): JsonSchema => (isRecord(value) ? value : {})

/** Nesting deeper than this is edited as JSON: recursive schemas would otherwise never end. */
const maxDepth = 6

const acronyms: Record<string, string> = {
  url: 'URL',
  uri: 'URI',
  id: 'ID',
  ids: 'IDs',
  sql: 'SQL',
  api: 'API',
  http: 'HTTP',
  html: 'HTML',
  json: 'JSON',
  ms: '(ms)',
  cc: 'Cc',
  bcc: 'Bcc',
}

/**
 * A property name as words for a label: `followRedirects` → "Follow redirects", `timeoutMs` →
 * "Timeout (ms)", `parent_id` → "Parent ID".
 *
 * @example
 * humanize('pageSize') // 'Page size'
 */
export function humanize(name: string): string {
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .split(/[\s_-]+/)
    .filter(Boolean)
    .map((word) => word.toLowerCase())
  if (words.length === 0) return name
  return words
    .map((word, i) => acronyms[word] ?? (i === 0 ? word.charAt(0).toUpperCase() + word.slice(1) : word))
    .join(' ')
}

/** Follows a local `$ref` (`#/$defs/x`); null when it cannot. */
function resolveRef(schema: JsonSchema, root: JsonSchema): JsonSchema | null {
  const ref = schema.$ref
  if (typeof ref !== 'string') return schema
  if (!ref.startsWith('#')) return null
  let target: unknown = root
  for (const part of ref.slice(1).split('/').filter(Boolean)) {
    const key = decodeURIComponent(part).replace(/~1/g, '/').replace(/~0/g, '~')
    target = isRecord(target) ? target[key] : undefined
  }
  if (!isRecord(target)) return null
  // Keywords beside the reference (a description, a default) apply too.
  const { $ref: _ref, ...rest } = schema
  return { ...target, ...rest }
}

const isNullSchema = (s: unknown) =>
  isRecord(s) && (s.type === 'null' || (s.const === null && !('type' in s)))

/** The alternatives of `anyOf` / `oneOf`, or null. */
function alternativesOf(schema: JsonSchema): JsonSchema[] | null {
  const list = Array.isArray(schema.anyOf) ? schema.anyOf : Array.isArray(schema.oneOf) ? schema.oneOf : null
  return list === null ? null : list.map(asSchema)
}

/** The options of an enum: `enum: [...]`, or `anyOf` of `const`s (how TypeBox writes unions of literals). */
function enumOptions(schema: JsonSchema): EnumOption[] | null {
  const label = (value: unknown, title?: unknown) =>
    typeof title === 'string' ? title : typeof value === 'string' ? value : JSON.stringify(value)
  if (Array.isArray(schema.enum)) return schema.enum.map((value: unknown) => ({ value, label: label(value) }))
  const alternatives = alternativesOf(schema)
  if (alternatives !== null && alternatives.length > 0 && alternatives.every((a) => 'const' in a)) {
    return alternatives.map((a) => ({ value: a.const, label: label(a.const, a.title) }))
  }
  if ('const' in schema) return [{ value: schema.const, label: label(schema.const, schema.title) }]
  return null
}

/** The single type a schema declares, ignoring `null` in a type list. */
function typeOf(schema: JsonSchema): { type: string | null; nullable: boolean } {
  const type = schema.type
  if (typeof type === 'string') return { type, nullable: false }
  if (Array.isArray(type)) {
    const others = type.filter((t) => t !== 'null')
    return {
      type: others.length === 1 && typeof others[0] === 'string' ? others[0] : null,
      nullable: others.length < type.length,
    }
  }
  return { type: null, nullable: false }
}

/** The value schema of a free-form object (`patternProperties` or `additionalProperties`), or null. */
function recordValueSchema(schema: JsonSchema): JsonSchema | null {
  const props = isRecord(schema.properties) ? Object.keys(schema.properties) : []
  if (props.length > 0) return null
  const patterns = isRecord(schema.patternProperties) ? Object.values(schema.patternProperties) : []
  if (patterns.length === 1) return asSchema(patterns[0])
  if (patterns.length > 1) return null
  if (schema.additionalProperties === true || schema.additionalProperties === undefined) return {}
  if (isRecord(schema.additionalProperties)) return schema.additionalProperties
  return null
}

function scalarKind(schema: JsonSchema): 'string' | 'number' | 'boolean' | 'scalar' | null {
  const { type } = typeOf(schema)
  if (type === 'string' && enumOptions(schema) === null) return 'string'
  if (type === 'number' || type === 'integer') return 'number'
  if (type === 'boolean') return 'boolean'
  const alternatives = alternativesOf(schema)
  if (alternatives !== null) {
    const flat = alternatives.flatMap((a) => alternativesOf(a) ?? [a])
    if (flat.every((a) => ['string', 'number', 'integer', 'boolean'].includes(String(a.type))))
      return 'scalar'
    // Query parameters: a scalar, or a list of them (edited as one value here).
    if (flat.every((a) => ['string', 'number', 'integer', 'boolean', 'array'].includes(String(a.type)))) {
      return 'scalar'
    }
  }
  return null
}

function boundsHints(schema: JsonSchema, type: string | null): string[] {
  const hints: string[] = []
  const num = (key: string) => {
    const v = schema[key]
    return typeof v === 'number' ? v : null
  }
  if (type === 'number' || type === 'integer') {
    const min = num('minimum') ?? num('exclusiveMinimum')
    const max = num('maximum') ?? num('exclusiveMaximum')
    if (min !== null && max !== null) hints.push(`Between ${min} and ${max}.`)
    else if (min !== null) hints.push(`At least ${min}.`)
    else if (max !== null) hints.push(`At most ${max}.`)
  }
  if (type === 'string') {
    const min = num('minLength')
    const max = num('maxLength')
    if (min !== null && min > 1 && max !== null) hints.push(`${min} to ${max} characters.`)
    else if (max !== null) hints.push(`Up to ${max} characters.`)
  }
  if (type === 'array') {
    const min = num('minItems')
    const max = num('maxItems')
    if (min !== null && min > 0 && max !== null) hints.push(`${min} to ${max} items.`)
    else if (min !== null && min > 0) hints.push(`At least ${min} ${min === 1 ? 'item' : 'items'}.`)
    else if (max !== null) hints.push(`At most ${max} items.`)
  }
  return hints
}

/**
 * Describes the field a schema becomes. `name` gives the label when the schema has no `title`.
 *
 * @example
 * describeField({ type: 'string', format: 'email' }, 'to').widget // { kind: 'string', format: 'email', … }
 */
export function describeField(
  input: JsonSchema,
  name: string,
  root: JsonSchema = input,
  depth = 0,
): FieldSpec {
  const resolved = resolveRef(input, root)
  let schema = resolved ?? {}
  let nullable = false
  // `anyOf: [T, null]` is T that may also be null.
  const alternatives = alternativesOf(schema)
  if (alternatives !== null && alternatives.some(isNullSchema)) {
    const others = alternatives.filter((a) => !isNullSchema(a))
    if (others.length === 1 && others[0] !== undefined) {
      const { anyOf: _a, oneOf: _o, ...outer } = schema
      schema = { ...others[0], ...outer }
      nullable = true
    }
  }
  const typed = typeOf(schema)
  nullable ||= typed.nullable
  const title = typeof schema.title === 'string' && schema.title !== '' ? schema.title : humanize(name)
  const description = typeof schema.description === 'string' ? schema.description : null
  const base = {
    title,
    description,
    hints: boundsHints(schema, typed.type),
    defaultValue: schema.default,
    nullable,
  }
  const json = { ...base, widget: { kind: 'json' } as const }
  if (resolved === null || depth > maxDepth) return json

  const options = enumOptions(schema)
  if (options !== null) {
    return { ...base, widget: { kind: 'enum', options, control: options.length <= 4 ? 'radio' : 'select' } }
  }
  switch (typed.type) {
    case 'string': {
      const format = schema.format
      const known: StringFormat | null =
        format === 'email' || format === 'uri' || format === 'date' || format === 'date-time'
          ? format
          : format === 'url'
            ? 'uri'
            : null
      const secret = schema.writeOnly === true || schema['x-toolplane-secret'] === true
      const maxLength = typeof schema.maxLength === 'number' ? schema.maxLength : null
      const multiline = known === null && !secret && maxLength !== null && maxLength > 500
      return { ...base, widget: { kind: 'string', format: known, secret, multiline } }
    }
    case 'integer':
    case 'number':
      return { ...base, widget: { kind: 'number', integer: typed.type === 'integer' } }
    case 'boolean':
      return { ...base, widget: { kind: 'boolean' } }
    case 'object': {
      const properties = isRecord(schema.properties) ? schema.properties : {}
      // `properties: {}` and nothing else: an object that takes nothing (an action without input).
      const closed =
        isRecord(schema.properties) &&
        schema.patternProperties === undefined &&
        schema.additionalProperties !== true &&
        !isRecord(schema.additionalProperties)
      if (Object.keys(properties).length > 0 || closed) {
        // Extra keys beside named properties can only be written as JSON.
        const extra = schema.additionalProperties
        if (isRecord(extra) || isRecord(schema.patternProperties)) return json
        return { ...base, widget: { kind: 'object', properties: propertiesOf(schema, root, depth + 1) } }
      }
      const values = recordValueSchema(schema)
      const kind = values === null ? null : scalarKind(resolveRef(values, root) ?? {})
      return kind === null ? json : { ...base, widget: { kind: 'record', values: kind } }
    }
    case 'array': {
      if (!isRecord(schema.items) || Array.isArray(schema.prefixItems)) return json
      const items = describeField(schema.items, 'item', root, depth + 1)
      if (items.widget.kind === 'enum' && schema.uniqueItems === true) {
        return { ...base, widget: { kind: 'choices', options: items.widget.options } }
      }
      // Lists of lists and lists of free-form values read better as JSON.
      if (items.widget.kind === 'json' || items.widget.kind === 'array' || items.widget.kind === 'choices') {
        return json
      }
      return { ...base, widget: { kind: 'array', items: { ...items, title: singular(title) } } }
    }
    default:
      return json
  }
}

function singular(title: string): string {
  if (/ies$/i.test(title)) return title.replace(/ies$/i, 'y')
  if (/(ss|us)$/i.test(title) || !/s$/i.test(title)) return `${title} item`
  return title.replace(/s$/i, '')
}

/**
 * The fields of an object schema, in the order the schema lists them.
 *
 * @example
 * propertiesOf({ type: 'object', properties: { url: { type: 'string' } }, required: ['url'] })
 * // [{ name: 'url', required: true, field: { title: 'URL', … } }]
 */
export function propertiesOf(schema: JsonSchema, root: JsonSchema = schema, depth = 0): PropertyField[] {
  const properties = isRecord(schema.properties) ? schema.properties : {}
  const required = new Set(
    Array.isArray(schema.required) ? schema.required.filter((r) => typeof r === 'string') : [],
  )
  return Object.entries(properties).map(([name, property]) => ({
    name,
    required: required.has(name),
    field: describeField(asSchema(property), name, root, depth),
  }))
}

/**
 * The form of a whole input: an object schema's fields, or, for any other schema, one field holding
 * the whole input.
 *
 * @example
 * const form = describeForm(action.input)
 * if (form.kind === 'object') form.properties.map((p) => p.name)
 */
export function describeForm(schema: JsonSchema): FieldSpec {
  return describeField(schema, 'input', schema, 0)
}

/**
 * The input a form starts with: the schema's defaults, in nested objects the object requires too.
 *
 * @example
 * initialValue(httpRequestSchema) // { method: 'GET', followRedirects: true }
 */
export function initialValue(schema: JsonSchema): unknown {
  return valueFromDefaults(describeForm(schema), true) ?? {}
}

function valueFromDefaults(field: FieldSpec, required: boolean): unknown {
  if (field.defaultValue !== undefined) return structuredClone(field.defaultValue)
  if (field.widget.kind !== 'object') return undefined
  const out: Record<string, unknown> = {}
  for (const p of field.widget.properties) {
    const value = valueFromDefaults(p.field, p.required)
    if (value !== undefined) out[p.name] = value
  }
  return Object.keys(out).length > 0 || required ? out : undefined
}

/** A pointer's parts, unescaped: `/a~1b/0` → `['a/b', '0']`. */
export function pointerParts(pointer: Pointer): string[] {
  if (pointer === '') return []
  return pointer
    .slice(1)
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
}

/** A pointer to `key` inside `pointer`. */
export function childPointer(pointer: Pointer, key: string | number): Pointer {
  return `${pointer}/${String(key).replace(/~/g, '~0').replace(/\//g, '~1')}`
}

/** The value at `pointer`, or undefined. */
export function getAt(value: unknown, pointer: Pointer): unknown {
  let current = value
  for (const part of pointerParts(pointer)) {
    if (Array.isArray(current)) current = current[Number(part)]
    else if (isRecord(current)) current = current[part]
    else return undefined
  }
  return current
}

/**
 * A copy of `value` with `next` at `pointer`; `undefined` removes an object's key. Missing objects on
 * the way are created.
 *
 * @example
 * setAt({ a: { b: 1 } }, '/a/c', 2) // { a: { b: 1, c: 2 } }
 * setAt({ a: 1, b: 2 }, '/a', undefined) // { b: 2 }
 */
export function setAt(value: unknown, pointer: Pointer, next: unknown): unknown {
  const parts = pointerParts(pointer)
  if (parts.length === 0) return next
  const [head, ...rest] = parts as [string, ...string[]]
  const restPointer =
    rest.length === 0 ? '' : `/${rest.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/')}`
  if (Array.isArray(value)) {
    const copy = [...(value as unknown[])]
    const index = Number(head)
    copy[index] = setAt(copy[index], restPointer, next)
    return copy
  }
  const object: Record<string, unknown> = isRecord(value) ? { ...value } : {}
  const child = setAt(object[head], restPointer, next)
  if (child === undefined) Reflect.deleteProperty(object, head)
  else object[head] = child
  return object
}

/** An object with no keys left: an optional nested object becomes absent again. */
export function isEmptyObject(value: unknown): boolean {
  return isRecord(value) && Object.keys(value).length === 0
}

/**
 * The pointers of the fields a form shows for `value`: every property, every item of a list, and
 * the list itself. Errors are shown on the deepest of these that contains them.
 */
export function fieldPointers(field: FieldSpec, value: unknown, pointer: Pointer = ''): Pointer[] {
  const out: Pointer[] = [pointer]
  if (field.widget.kind === 'object') {
    const object = isRecord(value) ? value : {}
    for (const p of field.widget.properties) {
      out.push(...fieldPointers(p.field, object[p.name], childPointer(pointer, p.name)))
    }
  } else if (field.widget.kind === 'array' && Array.isArray(value)) {
    const items = field.widget.items
    value.forEach((item, i) => out.push(...fieldPointers(items, item, childPointer(pointer, i))))
  }
  return out
}

/**
 * Which shown field an error at `pointer` belongs to: the field itself, or the nearest field that
 * contains it (a key of a key–value list belongs to the list, a field of a JSON value to the JSON).
 */
export function fieldFor(pointer: Pointer, shown: readonly Pointer[]): Pointer {
  let best = ''
  for (const candidate of shown) {
    if ((pointer === candidate || pointer.startsWith(`${candidate}/`)) && candidate.length > best.length) {
      best = candidate
    }
  }
  return best
}

/**
 * Groups errors by the field they show on.
 *
 * @example
 * errorsByField({ '/headers/x': 'must not contain line breaks' }, ['', '/headers'])
 * // { '/headers': ['x: must not contain line breaks'] }
 */
export function errorsByField(
  errors: Readonly<Record<Pointer, string>>,
  shown: readonly Pointer[],
): Record<Pointer, string[]> {
  const out: Record<Pointer, string[]> = {}
  for (const [pointer, message] of Object.entries(errors)) {
    const field = fieldFor(pointer, shown)
    const inner = pointer.slice(field.length)
    const text = inner === '' ? message : `${pointerParts(inner).join(' › ')}: ${message}`
    ;(out[field] ??= []).push(text)
  }
  return out
}

/** The keyword's own schema, found by its location (`#/properties/url/minLength` → the url schema). */
function schemaAt(root: JsonSchema, keywordLocation: string): JsonSchema {
  const parts = keywordLocation
    .replace(/^#/, '')
    .split('/')
    .filter(Boolean)
    .map((p) => decodeURIComponent(p).replace(/~1/g, '/').replace(/~0/g, '~'))
  parts.pop()
  let current: unknown = root
  for (const part of parts) {
    current = Array.isArray(current) ? current[Number(part)] : isRecord(current) ? current[part] : undefined
  }
  return asSchema(current)
}

const formatWords: Record<string, string> = {
  email: 'an email address, such as ada@example.com',
  uri: 'a full address, such as https://example.com',
  url: 'a full address, such as https://example.com',
  date: 'a date',
  'date-time': 'a date and time',
  uuid: 'an id such as 4b3ea5d6-0b1f-4a5e-9a3b-3f2f6f8d2c11',
}

const typeWords: Record<string, string> = {
  string: 'text',
  number: 'a number',
  integer: 'a whole number',
  boolean: 'yes or no',
  object: 'an object',
  array: 'a list',
  null: 'null',
}

/** A sentence for one failed keyword, in the user's words rather than the validator's. */
function messageFor(unit: OutputUnit, schema: JsonSchema, instance: unknown): string {
  const n = (key: string) => schema[key] as number
  switch (unit.keyword) {
    case 'required':
      return 'Required: enter a value.'
    case 'minLength':
      return n('minLength') === 1
        ? 'Required: enter a value.'
        : `Enter at least ${n('minLength')} characters.`
    case 'maxLength':
      return `Enter at most ${n('maxLength')} characters.`
    case 'pattern':
      return 'This does not have the expected form.'
    case 'format':
      return `Enter ${formatWords[String(schema.format)] ?? `a value of the format ${String(schema.format)}`}.`
    case 'minimum':
      return `Enter ${n('minimum')} or more.`
    case 'maximum':
      return `Enter ${n('maximum')} or less.`
    case 'exclusiveMinimum':
      return `Enter more than ${n('exclusiveMinimum')}.`
    case 'exclusiveMaximum':
      return `Enter less than ${n('exclusiveMaximum')}.`
    case 'multipleOf':
      return `Enter a multiple of ${n('multipleOf')}.`
    case 'minItems':
      return `Add at least ${n('minItems')} ${n('minItems') === 1 ? 'item' : 'items'}.`
    case 'maxItems':
      return `Keep at most ${n('maxItems')} items.`
    case 'uniqueItems':
      return 'Each item must be different.'
    case 'minProperties':
      return `Add at least ${n('minProperties')} entries.`
    case 'maxProperties':
      return `Keep at most ${n('maxProperties')} entries.`
    case 'enum':
    case 'const': {
      const options = enumOptions(schema)
      return options === null
        ? 'Choose one of the allowed values.'
        : `Choose one of: ${options.map((o) => o.label).join(', ')}.`
    }
    case 'anyOf':
    case 'oneOf': {
      const options = enumOptions(schema)
      if (options !== null) return `Choose one of: ${options.map((o) => o.label).join(', ')}.`
      return 'This value is not one of the allowed forms.'
    }
    case 'type': {
      const types = Array.isArray(schema.type) ? schema.type : [schema.type]
      return `Enter ${types.map((t) => typeWords[String(t)] ?? String(t)).join(' or ')}.`
    }
    case 'additionalProperties':
    case 'unevaluatedProperties':
      return isRecord(instance) ? 'Remove the fields the action does not know.' : 'This field is not allowed.'
    default:
      return unit.error
  }
}

// Keywords that only say "something inside failed": the inner error says what.
const wrappers = new Set([
  'properties',
  'patternProperties',
  'items',
  'prefixItems',
  'additionalItems',
  'allOf',
  '$ref',
  'contains',
  'dependentSchemas',
  'if',
  'then',
  'else',
])

function pointerOf(instanceLocation: string): Pointer {
  const raw = instanceLocation.replace(/^#/, '')
  return raw
    .split('/')
    .map((p) => decodeURIComponent(p))
    .join('/')
}

const validators = new WeakMap<object, Validator>()

/**
 * Validates an input against its schema without `eval` (the page's Content-Security-Policy forbids
 * it): one message per field pointer, in the user's words. A missing required field is reported on
 * that field; alternatives (`anyOf`) report once on their field.
 *
 * @example
 * validateInput(schema, { method: 'GET' }) // { '/url': 'Required: enter a value.' }
 */
export function validateInput(schema: JsonSchema, value: unknown): Record<Pointer, string> {
  let validator = validators.get(schema)
  if (validator === undefined) {
    validator = new Validator(schema, '2020-12', false)
    validators.set(schema, validator)
  }
  const { errors } = validator.validate(value)
  // Errors inside an alternative are about a branch that was not meant; the alternative reports.
  const alternatives = errors
    .filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf')
    .map((e) => `${e.keywordLocation}/`)
  const out: Record<Pointer, string> = {}
  for (const unit of errors) {
    if (wrappers.has(unit.keyword)) continue
    if (alternatives.some((prefix) => unit.keywordLocation.startsWith(prefix))) continue
    const keywordSchema = schemaAt(schema, unit.keywordLocation)
    const pointer = pointerOf(unit.instanceLocation)
    const instance = getAt(value, pointer)
    if (unit.keyword === 'required') {
      const present = isRecord(instance) ? instance : {}
      const required = Array.isArray(keywordSchema.required) ? keywordSchema.required : []
      for (const name of required) {
        if (typeof name === 'string' && !(name in present)) {
          out[childPointer(pointer, name)] ??= messageFor(unit, keywordSchema, undefined)
        }
      }
      continue
    }
    if (unit.keyword === 'anyOf' || unit.keyword === 'oneOf') {
      // `anyOf: [T, null]`: say what T needs.
      const branches = alternativesOf(keywordSchema) ?? []
      const others = branches.filter((b) => !isNullSchema(b))
      if (others.length === 1 && others[0] !== undefined && branches.length > others.length) {
        const inner = validateInput(others[0], instance)
        for (const [p, message] of Object.entries(inner)) out[`${pointer}${p}`] ??= message
        continue
      }
    }
    out[pointer] ??= messageFor(unit, keywordSchema, instance)
  }
  return out
}

/**
 * The messages of a `validation_error` problem that concern the input, keyed by pointers relative to
 * it (`/body/input/title` and `/input/title` → `/title`), and the others (`/credentialId`, `/action`).
 *
 * @example
 * inputErrorsOf([{ path: '/input/url', message: 'is required' }]).fields // { '/url': 'is required' }
 */
export function inputErrorsOf(errors: readonly FieldError[]): {
  fields: Record<Pointer, string>
  other: FieldError[]
} {
  const fields: Record<Pointer, string> = {}
  const other: FieldError[] = []
  for (const error of errors) {
    const path = error.path.replace(/^\/body(?=\/|$)/, '')
    const match = /^\/input(\/.*)?$/.exec(path)
    if (match === null) {
      other.push({ path, message: error.message })
      continue
    }
    const pointer = match[1] ?? ''
    fields[pointer] = fields[pointer] === undefined ? error.message : `${fields[pointer]} ${error.message}`
  }
  return { fields, other }
}

/** What `parseJson` found. */
export type JsonParse = { ok: true; value: unknown } | { ok: false; message: string }

/**
 * Parses JSON text, saying where it breaks ("line 3, column 7") when it is not JSON. Empty text is no
 * value (`undefined`).
 *
 * @example
 * parseJson('{"a": 1') // { ok: false, message: 'Not valid JSON: … (line 1, column 8)' }
 */
export function parseJson(text: string): JsonParse {
  if (text.trim() === '') return { ok: true, value: undefined }
  try {
    return { ok: true, value: JSON.parse(text) as unknown }
  } catch (error) {
    const raw = error instanceof Error ? error.message : String(error)
    const at = /at position (\d+)/.exec(raw)
    let where = ''
    if (at?.[1] !== undefined && !/line \d+ column \d+/.test(raw)) {
      const before = text.slice(0, Number(at[1]))
      const line = before.split('\n').length
      const column = before.length - before.lastIndexOf('\n')
      where = ` (line ${line}, column ${column})`
    }
    return { ok: false, message: `Not valid JSON: ${raw}${where}` }
  }
}

/** JSON text for a value, as the JSON view and JSON fields show it; empty for no value. */
export function formatJson(value: unknown): string {
  return value === undefined ? '' : JSON.stringify(value, null, 2)
}

function pad(n: number): string {
  return String(n).padStart(2, '0')
}

/**
 * An ISO date-time as a `datetime-local` input shows it, in the browser's time zone.
 *
 * @example
 * toLocalDateTime('2025-07-01T10:00:00Z') // '2025-07-01T12:00' in Paris in summer
 */
export function toLocalDateTime(iso: unknown): string {
  if (typeof iso !== 'string') return ''
  const date = new Date(iso)
  if (Number.isNaN(date.getTime())) return ''
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`
}

/** A `datetime-local` value as an ISO date-time (UTC); undefined when empty or unreadable. */
export function fromLocalDateTime(local: string): string | undefined {
  if (local === '') return undefined
  const date = new Date(local)
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString()
}

/** Whether two JSON values are the same. */
export function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b)
}
