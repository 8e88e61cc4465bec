/**
 * OpenAPI Schema Objects (3.0's dialect and 3.1's JSON Schema 2020-12) into self-contained JSON Schema
 * 2020-12 for action inputs and outputs.
 *
 * References stay references: `#/components/schemas/Pet` becomes `#/$defs/Pet`, and each action
 * schema carries, in its own `$defs`, every definition it reaches. Circular schemas therefore need no
 * special case — a cycle is a `$ref` back into `$defs` — and each definition is converted once per
 * document however many actions use it.
 *
 * Inputs are strict (they validate what callers send); outputs are descriptive (see
 * {@link relaxForOutput}): an upstream that answers a little differently from its document must not
 * turn a call that succeeded into a failed execution.
 */
import { SECRET_KEYWORD } from '@toolplane/sdk'
import { Ajv2020 } from 'ajv/dist/2020.js'
import type { OpenApiVersion } from './parse.js'
import { EXTERNAL_REFS_KEY, resolvePointer } from './parse.js'
import type { JsonObject } from './parse.js'
import type { JsonSchema } from './spec.js'

/** Whether a schema describes what callers send (`input`) or what the upstream answers (`output`). */
export type SchemaMode = 'input' | 'output'

/** Schemas nested deeper than this (without a `$ref` in between) accept any value. */
export const MAX_SCHEMA_DEPTH = 64

/** Collects import warnings once each, in the order they were first raised. */
export class Warnings {
  private readonly messages = new Set<string>()

  add(message: string): void {
    this.messages.add(message)
  }

  list(): string[] {
    return [...this.messages]
  }
}

/** An object schema flattened for merging into an action's input. */
export interface ObjectShape {
  /** Raw (unconverted) property schemas, by name. */
  properties: Map<string, unknown>
  required: Set<string>
  /** Raw `additionalProperties`; `undefined` means extra properties are allowed. */
  additionalProperties: unknown
}

interface Definition {
  name: string
  schema: JsonSchema | boolean
  /** The pointers this definition refers to. */
  refs: Set<string>
}

const jsonTypes: ReadonlySet<string> = new Set([
  'array',
  'boolean',
  'integer',
  'null',
  'number',
  'object',
  'string',
])

// Keywords copied as they are: annotations and assertions whose values are data, not schemas.
const dataKeywords: ReadonlySet<string> = new Set([
  'title',
  'description',
  'default',
  'enum',
  'const',
  'format',
  'multipleOf',
  'maximum',
  'minimum',
  'maxLength',
  'minLength',
  'maxItems',
  'minItems',
  'uniqueItems',
  'maxContains',
  'minContains',
  'maxProperties',
  'minProperties',
  'dependentRequired',
  'readOnly',
  'writeOnly',
  'deprecated',
  'contentEncoding',
  'contentMediaType',
])

const schemaKeywords: ReadonlySet<string> = new Set([
  'additionalProperties',
  'not',
  'if',
  'then',
  'else',
  'contains',
  'propertyNames',
  'unevaluatedItems',
  'unevaluatedProperties',
  'contentSchema',
])

const schemaArrayKeywords: ReadonlySet<string> = new Set(['allOf', 'anyOf', 'oneOf', 'prefixItems'])

const schemaMapKeywords: ReadonlySet<string> = new Set([
  'properties',
  'patternProperties',
  'dependentSchemas',
])

// Beside a `$ref`, OpenAPI 3.0 ignores everything; these annotations are kept anyway, harmlessly.
const refAnnotations30: ReadonlySet<string> = new Set([
  'description',
  'title',
  'readOnly',
  'writeOnly',
  'deprecated',
  'default',
  'example',
])

// Assertions an upstream's answer commonly breaks while being perfectly usable.
const outputAssertions: readonly string[] = [
  'required',
  'enum',
  'const',
  'format',
  'pattern',
  'minLength',
  'maxLength',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'minItems',
  'maxItems',
  'uniqueItems',
  'minContains',
  'maxContains',
  'contains',
  'minProperties',
  'maxProperties',
  'propertyNames',
  'dependentRequired',
  'dependentSchemas',
  'not',
  'if',
  'then',
  'else',
]

// Checks converted schemas against the 2020-12 meta-schema, so a malformed keyword in one definition
// degrades that definition alone instead of making the whole tool fail validateTool.
const metaValidator = new Ajv2020({ strict: false, logger: false, validateFormats: false })

/**
 * Converts the schemas of one document. Definitions are converted lazily, once per mode, and shared
 * (by reference) between the actions that use them.
 */
export class SchemaConverter {
  private readonly names = new Map<string, string>()
  private readonly takenNames = new Set<string>()
  private readonly definitions: Record<SchemaMode, Map<string, Definition>> = {
    input: new Map(),
    output: new Map(),
  }

  constructor(
    private readonly document: JsonObject,
    private readonly dialect: OpenApiVersion,
    private readonly warnings: Warnings,
  ) {}

  /**
   * Converts one schema found in place (a parameter's, a body property's), recording the
   * definitions it refers to in `refs`. A schema that is not valid 2020-12 after conversion is
   * replaced by `{}` and named in a warning.
   */
  unit(schema: unknown, mode: SchemaMode, refs: Set<string>, label: string): JsonSchema {
    const local = new Set<string>()
    const converted = this.checked(this.convert(schema, mode, local, 0), label)
    for (const ref of local) refs.add(ref)
    return converted === true ? {} : converted === false ? { not: {} } : converted
  }

  /**
   * A self-contained root schema: the schema (its top-level `$ref` chain followed, so the root is
   * concrete) plus the `$defs` it reaches.
   */
  root(schema: unknown, mode: SchemaMode, label: string): JsonSchema {
    const refs = new Set<string>()
    const target = this.deref(schema)
    const root = this.unit(target, mode, refs, label)
    return this.withDefinitions(root, refs, mode)
  }

  /** Adds to `root` (a fresh object) the `$defs` its `refs` reach, transitively. */
  withDefinitions(root: JsonSchema, refs: ReadonlySet<string>, mode: SchemaMode): JsonSchema {
    const defs: Record<string, JsonSchema | boolean> = {}
    const queue = [...refs]
    const seen = new Set(queue)
    for (let pointer = queue.shift(); pointer !== undefined; pointer = queue.shift()) {
      const definition = this.definition(pointer, mode)
      defs[definition.name] = definition.schema
      for (const next of definition.refs) {
        if (!seen.has(next)) {
          seen.add(next)
          queue.push(next)
        }
      }
    }
    if (Object.keys(defs).length > 0) root.$defs = defs
    return root
  }

  /** Every definition converted so far in a mode, by name. */
  definitionsOf(mode: SchemaMode): Record<string, JsonSchema | boolean> {
    const result: Record<string, JsonSchema | boolean> = {}
    for (const definition of this.definitions[mode].values()) result[definition.name] = definition.schema
    return result
  }

  /** Follows a chain of local `$ref`s to the schema it ends at (the schema itself when it is no `$ref`). */
  deref(schema: unknown): unknown {
    let current = schema
    for (let hops = 0; hops < 32 && isObject(current) && typeof current.$ref === 'string'; hops += 1) {
      const pointer = this.localPointer(current.$ref)
      if (pointer === undefined) return current
      const next = resolvePointer(this.document, pointer)
      if (next === undefined) return current
      current = next
    }
    return current
  }

  /**
   * The properties of a schema that is plainly an object — directly, through `$ref`s, or as an `allOf`
   * of such objects with distinct property names — or `undefined` when it is anything more complex.
   */
  objectShape(schema: unknown, depth = 0): ObjectShape | undefined {
    const target = this.deref(schema)
    if (!isObject(target) || depth > 8) return undefined
    const complex = [
      'oneOf',
      'anyOf',
      'not',
      'if',
      'patternProperties',
      'dependentSchemas',
      'unevaluatedProperties',
      'propertyNames',
      'minProperties',
      'maxProperties',
      '$dynamicRef',
    ]
    if (complex.some((keyword) => target[keyword] !== undefined)) return undefined
    const type = target.type
    const typeIsObject =
      type === 'object' || (Array.isArray(type) && type.length === 1 && type[0] === 'object')
    if (
      !typeIsObject &&
      !(type === undefined && (isObject(target.properties) || Array.isArray(target.allOf)))
    ) {
      return undefined
    }
    const shape: ObjectShape = {
      properties: new Map(),
      required: new Set(),
      additionalProperties: target.additionalProperties,
    }
    const parts = Array.isArray(target.allOf) ? target.allOf : []
    for (const part of parts) {
      const inner = this.objectShape(part, depth + 1)
      if (inner === undefined || !mergeShape(shape, inner)) return undefined
    }
    const own: ObjectShape = {
      properties: new Map(isObject(target.properties) ? Object.entries(target.properties) : []),
      required: new Set(
        Array.isArray(target.required) ? target.required.filter((name) => typeof name === 'string') : [],
      ),
      additionalProperties: target.additionalProperties,
    }
    return mergeShape(shape, own) ? shape : undefined
  }

  /** Whether a raw schema is marked `readOnly`, directly or through its `$ref`. */
  isReadOnly(schema: unknown): boolean {
    if (isObject(schema) && schema.readOnly === true) return true
    const target = this.deref(schema)
    return isObject(target) && target.readOnly === true
  }

  private definition(pointer: string, mode: SchemaMode): Definition {
    const cached = this.definitions[mode].get(pointer)
    if (cached !== undefined) return cached
    const name = this.nameFor(pointer)
    const refs = new Set<string>()
    // Converting a definition only records the definitions it refers to; it never follows them, so
    // a cycle cannot recurse.
    const schema = this.checked(this.convert(resolvePointer(this.document, pointer), mode, refs, 0), name)
    const definition: Definition = { name, schema, refs }
    this.definitions[mode].set(pointer, definition)
    return definition
  }

  private nameFor(pointer: string): string {
    const known = this.names.get(pointer)
    if (known !== undefined) return known
    const segments = pointer
      .split('/')
      .slice(1)
      .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'))
    const named =
      (segments.length === 3 && segments[0] === 'components' && segments[1] === 'schemas') ||
      (segments.length === 2 && segments[0] === EXTERNAL_REFS_KEY)
    const raw = named ? (segments.at(-1) ?? '') : segments.slice(-2).join('_')
    const base = raw.replace(/[^A-Za-z0-9_.-]+/g, '_').replace(/^_+|_+$/g, '') || 'schema'
    let name = base
    for (let counter = 2; this.takenNames.has(name); counter += 1) name = `${base}_${counter}`
    this.takenNames.add(name)
    this.names.set(pointer, name)
    return name
  }

  // `#/a/b` → `/a/b`, or undefined (with a warning) for references the converter cannot follow.
  private localPointer(ref: string): string | undefined {
    if (!ref.startsWith('#')) {
      this.warnings.add(
        `The external reference ${ref} was not resolved (load the document with loadOpenApiDocument first); ` +
          'the schemas using it accept any value',
      )
      return undefined
    }
    let pointer: string
    try {
      pointer = decodeURIComponent(ref.slice(1))
    } catch {
      pointer = ref.slice(1)
    }
    if (pointer !== '' && !pointer.startsWith('/')) {
      this.warnings.add(
        `The reference ${ref} names an anchor, which is not supported; the schemas using it accept any value`,
      )
      return undefined
    }
    if (pointer === '' || resolvePointer(this.document, pointer) === undefined) {
      this.warnings.add(`The reference ${ref} points at nothing; the schemas using it accept any value`)
      return undefined
    }
    return pointer
  }

  private checked(schema: JsonSchema | boolean, label: string): JsonSchema | boolean {
    if (typeof schema === 'boolean' || metaValidator.validateSchema(schema) === true) return schema
    const first = metaValidator.errors?.[0]
    const detail = first === undefined ? '' : ` (${first.instancePath || '/'} ${first.message ?? ''})`
    this.warnings.add(`The schema of ${label} is not valid JSON Schema${detail}; it accepts any value`)
    return {}
  }

  private convert(value: unknown, mode: SchemaMode, refs: Set<string>, depth: number): JsonSchema | boolean {
    if (typeof value === 'boolean') return value
    if (!isObject(value)) return {}
    if (depth > MAX_SCHEMA_DEPTH) {
      this.warnings.add(
        `Schemas nested deeper than ${MAX_SCHEMA_DEPTH} levels accept any value below that depth`,
      )
      return {}
    }
    const out: JsonSchema = {}
    const ref = value.$ref
    if (typeof ref === 'string') {
      const pointer = this.localPointer(ref)
      if (pointer === undefined) return {}
      refs.add(pointer)
      out.$ref = `#/$defs/${this.nameFor(pointer)}`
    }
    const onlyAnnotations = typeof ref === 'string' && this.dialect === '3.0'
    const child = (schema: unknown): JsonSchema | boolean => this.convert(schema, mode, refs, depth + 1)

    for (const [key, item] of Object.entries(value)) {
      if (key === '$ref' || (onlyAnnotations && !refAnnotations30.has(key))) continue
      if (key === '$dynamicRef' || key === '$recursiveRef') {
        this.warnings.add(`Schemas use ${key}, which is not supported; those parts accept any value`)
        return {}
      }
      if (dataKeywords.has(key)) out[key] = item
      else if (schemaKeywords.has(key)) out[key] = child(item)
      else if (schemaArrayKeywords.has(key)) {
        if (Array.isArray(item)) out[key] = item.map(child)
      } else if (schemaMapKeywords.has(key)) {
        if (isObject(item)) out[key] = this.convertMap(key, item, mode, child)
      } else if (key === 'items') {
        // A draft-04 tuple (`items: [...]`) is 2020-12's `prefixItems`.
        if (Array.isArray(item)) out.prefixItems = item.map(child)
        else out.items = child(item)
      } else if (key === 'type') {
        const types = (Array.isArray(item) ? item : [item]).filter(
          (type): type is string => typeof type === 'string' && jsonTypes.has(type),
        )
        if (types.length > 0) out.type = types.length === 1 ? types[0] : [...new Set(types)]
      } else if (key === 'required') {
        if (Array.isArray(item)) out.required = [...new Set(item.filter((name) => typeof name === 'string'))]
      } else if (key === 'pattern') {
        if (typeof item === 'string' && isRegExp(item)) out.pattern = item
        else
          this.warnings.add(
            `The pattern ${JSON.stringify(item)} is not a valid regular expression; it was dropped`,
          )
      } else if (key === 'examples') {
        if (Array.isArray(item)) out.examples = item
      } else if (key === 'exclusiveMinimum' || key === 'exclusiveMaximum') {
        out[key] = item
      }
      // Everything else is dropped: 3.0's nullable and example (handled below), discriminator, xml,
      // externalDocs, $id/$schema/$anchor (references resolve against the document), nested $defs
      // (their members are reached by pointer) and x- extensions.
    }

    if (value.example !== undefined && out.examples === undefined) out.examples = [value.example]
    convertExclusiveBounds(out, value)
    if (mode === 'input') {
      this.dropReadOnlyProperties(out, value)
      this.dropUndeclaredRequired(out)
      if (out.format === 'password') markSecret(out)
    } else {
      relaxForOutput(out)
    }
    // Honoured even beside a 3.0 `$ref`, where the specification ignores it: accepting null is the
    // safe reading of what the author meant.
    return value.nullable === true ? withNull(out) : out
  }

  private convertMap(
    key: string,
    map: JsonObject,
    mode: SchemaMode,
    child: (schema: unknown) => JsonSchema | boolean,
  ): Record<string, JsonSchema | boolean> {
    const entries: [string, JsonSchema | boolean][] = []
    for (const [name, schema] of Object.entries(map)) {
      if (key === 'patternProperties' && !isRegExp(name)) continue
      // OpenAPI: readOnly properties are sent only in responses; a request neither needs nor takes them.
      if (key === 'properties' && mode === 'input' && this.isReadOnly(schema)) continue
      entries.push([name, child(schema)])
    }
    // fromEntries defines own properties, so even a property called `__proto__` stays a property.
    return Object.fromEntries(entries)
  }

  // A closed object that requires a property it does not declare can never be satisfied (real
  // documents have this bug, e.g. Jira's ScreenTypes requiring `defaultScreen`): drop the name.
  private dropUndeclaredRequired(out: JsonSchema): void {
    if (
      out.additionalProperties !== false ||
      out.patternProperties !== undefined ||
      !Array.isArray(out.required)
    )
      return
    const declared = isObject(out.properties) ? out.properties : {}
    const undeclared = out.required.filter((name) => typeof name === 'string' && !(name in declared))
    if (undeclared.length === 0) return
    this.warnings.add(
      `A schema requires ${undeclared.map((n) => JSON.stringify(n)).join(', ')} but does not declare it while forbidding other properties; it is no longer required`,
    )
    const required = out.required.filter((name) => !undeclared.includes(name))
    if (required.length > 0) out.required = required
    else delete out.required
  }

  // The readOnly properties convertMap left out are not required either.
  private dropReadOnlyProperties(out: JsonSchema, raw: JsonObject): void {
    if (!isObject(raw.properties)) return
    const properties = raw.properties
    const dropped = Object.keys(properties).filter((name) => this.isReadOnly(properties[name]))
    if (dropped.length === 0) return
    if (Array.isArray(out.required)) {
      const required = out.required.filter((name) => !dropped.includes(name as string))
      if (required.length > 0) out.required = required
      else delete out.required
    }
  }
}

function withNull(out: JsonSchema): JsonSchema {
  const type = out.type
  if (typeof type === 'string' || Array.isArray(type)) out.type = typeWithNull(type)
  const values: unknown = out.enum
  if (Array.isArray(values) && !values.includes(null)) out.enum = [...(values as unknown[]), null]
  if (type === undefined && ['$ref', 'allOf', 'anyOf', 'oneOf'].some((key) => out[key] !== undefined)) {
    return { anyOf: [out, { type: 'null' }] }
  }
  return out
}

function mergeShape(into: ObjectShape, from: ObjectShape): boolean {
  for (const [name, schema] of from.properties) {
    if (into.properties.has(name)) return false
    into.properties.set(name, schema)
  }
  for (const name of from.required) into.required.add(name)
  if (from.additionalProperties === false) into.additionalProperties = false
  else if (into.additionalProperties !== false && from.additionalProperties !== undefined) {
    into.additionalProperties = from.additionalProperties
  }
  return true
}

// OpenAPI 3.0 writes `exclusiveMinimum: true` beside `minimum`; 2020-12 writes the bound itself.
function convertExclusiveBounds(out: JsonSchema, raw: JsonObject): void {
  for (const [exclusive, inclusive] of [
    ['exclusiveMinimum', 'minimum'],
    ['exclusiveMaximum', 'maximum'],
  ] as const) {
    const flag = raw[exclusive]
    if (typeof flag === 'number') continue
    Reflect.deleteProperty(out, exclusive)
    if (flag === true && typeof raw[inclusive] === 'number') {
      out[exclusive] = raw[inclusive]
      Reflect.deleteProperty(out, inclusive)
    }
  }
}

function markSecret(schema: JsonSchema): void {
  schema.writeOnly = true
  schema[SECRET_KEYWORD] = true
}

/**
 * Makes a converted schema descriptive: it keeps the shape (types, properties, items, references)
 * and drops the assertions real APIs commonly break — required properties, enums, formats, bounds,
 * closed objects — widens every type to allow `null`, and turns `oneOf` into `anyOf` (branches that
 * no longer exclude each other would otherwise fail it).
 *
 * @example
 * relaxForOutput({ type: 'string', enum: ['a'] }) // { type: ['string', 'null'] }
 */
export function relaxForOutput(schema: JsonSchema): JsonSchema {
  for (const keyword of outputAssertions) Reflect.deleteProperty(schema, keyword)
  for (const keyword of ['additionalProperties', 'unevaluatedProperties', 'unevaluatedItems', 'items']) {
    if (schema[keyword] === false) Reflect.deleteProperty(schema, keyword)
  }
  if (schema.oneOf !== undefined) {
    if (schema.anyOf === undefined) schema.anyOf = schema.oneOf
    else {
      const allOf: unknown = schema.allOf
      schema.allOf = [...(Array.isArray(allOf) ? (allOf as unknown[]) : []), { anyOf: schema.oneOf }]
    }
    delete schema.oneOf
  }
  const type = schema.type
  if (typeof type === 'string' || Array.isArray(type)) schema.type = typeWithNull(type)
  return schema
}

function typeWithNull(type: string | unknown[]): string | unknown[] {
  if (typeof type === 'string') return type === 'null' ? type : [type, 'null']
  return type.includes('null') ? type : [...type, 'null']
}

function isRegExp(pattern: string): boolean {
  try {
    new RegExp(pattern, 'u')
    return true
  } catch {
    return false
  }
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
