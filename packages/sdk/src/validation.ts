/**
 * JSON Schema 2020-12 validation with Ajv. Each schema object is compiled once and the validator is
 * kept for as long as the schema object lives, so validating a hot action's input costs a function call.
 */
import { Ajv2020 } from 'ajv/dist/2020.js'
import type { ErrorObject, ValidateFunction } from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'
import type { FieldError } from './errors.js'
import { escapePointer } from './json-pointer.js'
import { SECRET_KEYWORD } from './secrets.js'

/** The outcome of {@link validate}: the value (with schema defaults filled in) or what is wrong with it. */
export type ValidationResult<T = unknown> = { ok: true; value: T } | { ok: false; errors: FieldError[] }

/** A compiled schema: checks a value without compiling anything again. */
export type Validator = (value: unknown) => ValidationResult

/** A schema Ajv cannot compile: an unknown type, a malformed keyword, an unresolvable `$ref`. */
export class SchemaError extends Error {
  override name = 'SchemaError'
}

/** At most this many problems are reported for one value; the rest would only be noise. */
export const MAX_REPORTED_ERRORS = 50

// `strict: false` because plugin and OpenAPI schemas legitimately carry annotations Ajv does not know
// (`example`, `x-…`, `discriminator`); the meta-schema still rejects malformed keywords.
const ajv = new Ajv2020({ allErrors: true, strict: false, logger: false, useDefaults: true })
addFormats.default(ajv)
ajv.addKeyword({ keyword: SECRET_KEYWORD, schemaType: 'boolean' })

const validators = new WeakMap<object, Validator | SchemaError>()

/**
 * Compiles a JSON Schema (TypeBox types are JSON Schemas) into a {@link Validator}. The result is
 * cached per schema object; a schema that does not compile throws {@link SchemaError} every time.
 *
 * @example
 * const check = compileSchema(Type.Object({ title: Type.String() }))
 * check({ title: 'Bug' }) // { ok: true, value: { title: 'Bug' } }
 */
export function compileSchema(schema: object): Validator {
  const cached = validators.get(schema)
  if (cached instanceof SchemaError) throw cached
  if (cached !== undefined) return cached
  let compiled: ValidateFunction
  try {
    compiled = ajv.compile(schema)
  } catch (error) {
    const problem = new SchemaError(describeCompileError(error), { cause: error })
    validators.set(schema, problem)
    throw problem
  } finally {
    // Ajv keeps every compiled schema (and its $id) forever; our WeakMap is the only cache we want.
    ajv.removeSchema(schema)
  }
  // Ajv changes the value only to fill in defaults; without any, the value itself can be checked.
  const copies = hasDefaults(schema)
  const validator: Validator = (value) => run(compiled, value, copies)
  validators.set(schema, validator)
  return validator
}

/**
 * Validates a value against a schema. The value is never modified: when the schema has defaults they
 * are filled into a copy, which `value` returns (otherwise `value` is the value itself, unless it is
 * not plain JSON data). Errors name the offending place with a JSON pointer.
 *
 * @example
 * validate(Type.Object({ title: Type.String() }), {})
 * // { ok: false, errors: [{ path: '/title', message: 'is required' }] }
 */
export function validate(schema: object, value: unknown): ValidationResult {
  return compileSchema(schema)(value)
}

// Ajv repeats a meta-schema failure once per branch it tried; say it once, and say what to do about
// the draft-07 tuple form (`items: [...]`) that TypeBox's Type.Tuple still emits.
function describeCompileError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error)
  const prefix = 'schema is invalid: '
  const body = message.startsWith(prefix) ? message.slice(prefix.length) : message
  const unique = `${message.startsWith(prefix) ? prefix : ''}${[...new Set(body.split(', '))].join(', ')}`
  return /items must be object,boolean/.test(unique)
    ? `${unique} (an array of "items" is draft-07; JSON Schema 2020-12 writes tuples with "prefixItems")`
    : unique
}

/** Whether a `default` keyword appears anywhere in the schema (where Ajv would fill one in). */
function hasDefaults(schema: unknown, depth = 0): boolean {
  if (typeof schema !== 'object' || schema === null || depth > 64) return false
  if (Array.isArray(schema)) return schema.some((item) => hasDefaults(item, depth + 1))
  if ('default' in schema) return true
  return Object.values(schema).some((item) => hasDefaults(item, depth + 1))
}

/**
 * Whether a value is JSON-like data all the way down (plain objects, arrays, primitives), so it can
 * be checked without copying. Anything else (a function, a Date, a Map, a deep or unusual value)
 * goes through `structuredClone`, which decides as it always did.
 */
function isPlainData(value: unknown, depth = 0): boolean {
  if (value === null) return true
  const type = typeof value
  if (type === 'string' || type === 'number' || type === 'boolean') return true
  if (type !== 'object' || depth > 32) return false
  if (Array.isArray(value)) return value.every((item) => isPlainData(item, depth + 1))
  const prototype = Object.getPrototypeOf(value) as unknown
  if (prototype !== Object.prototype && prototype !== null) return false
  for (const key in value) {
    if (!isPlainData((value as Record<string, unknown>)[key], depth + 1)) return false
  }
  return true
}

/** What `plainCopy` returns for a value that is not JSON-like data all the way down. */
const notPlain = Symbol('not plain data')

/**
 * A copy of JSON-like data (the values `isPlainData` accepts), or `notPlain`. Where a schema fills in
 * defaults this replaces `structuredClone`, which serializes and deserializes the value and cost the
 * request thread several times as much for an action's small input. An own `__proto__` key stays an
 * own property, as in `JSON.parse`'s result.
 */
function plainCopy(value: unknown, depth = 0): unknown {
  if (value === null) return null
  const type = typeof value
  if (type === 'string' || type === 'number' || type === 'boolean') return value
  if (type !== 'object' || depth > 32) return notPlain
  if (Array.isArray(value)) {
    const copy: unknown[] = new Array<unknown>(value.length)
    for (let i = 0; i < value.length; i++) {
      const item = plainCopy(value[i], depth + 1)
      if (item === notPlain) return notPlain
      copy[i] = item
    }
    return copy
  }
  const prototype = Object.getPrototypeOf(value) as unknown
  if (prototype !== Object.prototype && prototype !== null) return notPlain
  const copy: Record<string, unknown> = {}
  for (const key in value) {
    const item = plainCopy((value as Record<string, unknown>)[key], depth + 1)
    if (item === notPlain) return notPlain
    if (key === '__proto__')
      Object.defineProperty(copy, key, { value: item, enumerable: true, writable: true, configurable: true })
    else copy[key] = item
  }
  return copy
}

function run(compiled: ValidateFunction, value: unknown, copies: boolean): ValidationResult {
  let copy: unknown = copies ? plainCopy(value) : isPlainData(value) ? value : notPlain
  if (copy === notPlain) {
    try {
      copy = structuredClone(value)
    } catch {
      return { ok: false, errors: [{ path: '', message: 'must be plain JSON data' }] }
    }
  }
  if (compiled(copy)) return { ok: true, value: copy }
  const errors = (compiled.errors ?? []).slice(0, MAX_REPORTED_ERRORS).map(toFieldError)
  return { ok: false, errors }
}

function toFieldError(error: ErrorObject): FieldError {
  const params = error.params as Record<string, unknown>
  const missing = params.missingProperty
  if (error.keyword === 'required' && typeof missing === 'string') {
    return { path: `${error.instancePath}/${escapePointer(missing)}`, message: 'is required' }
  }
  const extra = params.additionalProperty ?? params.unevaluatedProperty
  if (typeof extra === 'string') {
    return { path: `${error.instancePath}/${escapePointer(extra)}`, message: 'is not an allowed property' }
  }
  return { path: error.instancePath, message: error.message ?? `fails ${error.keyword}` }
}
