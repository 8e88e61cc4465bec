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

/** What `plainData` returns for a value that is not JSON-like data all the way down. */
const notPlain = Symbol('not plain data')

/**
 * A value that is JSON-like data all the way down (plain objects, arrays, primitives), as it is or,
 * with `copying`, as a copy that shares nothing with it; `notPlain` for anything else (a function, a
 * Date, a Map, a deep or unusual value), which goes through `structuredClone` and is judged as it
 * always was. The copy (where a schema fills in defaults) replaces `structuredClone`, which serializes
 * and deserializes and cost the request thread about 1.7 µs for an action's small input against
 * 0.1 µs. An own `__proto__` key stays an own property, as in `JSON.parse`'s result.
 */
function plainData(value: unknown, copying: boolean, depth = 0): unknown {
  if (value === null) return null
  const type = typeof value
  if (type === 'string' || type === 'number' || type === 'boolean') return value
  if (type !== 'object' || depth > 32) return notPlain
  if (Array.isArray(value)) {
    const copy = copying ? new Array<unknown>(value.length) : undefined
    for (let i = 0; i < value.length; i++) {
      const item = plainData(value[i], copying, depth + 1)
      if (item === notPlain) return notPlain
      if (copy !== undefined) copy[i] = item
    }
    return copy ?? value
  }
  const prototype = Object.getPrototypeOf(value) as unknown
  if (prototype !== Object.prototype && prototype !== null) return notPlain
  const copy: Record<string, unknown> | undefined = copying ? {} : undefined
  for (const key in value) {
    const item = plainData((value as Record<string, unknown>)[key], copying, depth + 1)
    if (item === notPlain) return notPlain
    if (copy === undefined) continue
    if (key === '__proto__')
      Object.defineProperty(copy, key, { value: item, enumerable: true, writable: true, configurable: true })
    else copy[key] = item
  }
  return copy ?? value
}

function run(compiled: ValidateFunction, value: unknown, copies: boolean): ValidationResult {
  let copy = plainData(value, copies)
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
