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
  const validator: Validator = (value) => run(compiled, value)
  validators.set(schema, validator)
  return validator
}

/**
 * Validates a value against a schema. The value is not modified: defaults are filled into a copy,
 * which `value` returns. Errors name the offending place with a JSON pointer.
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

function run(compiled: ValidateFunction, value: unknown): ValidationResult {
  let copy: unknown
  try {
    copy = structuredClone(value)
  } catch {
    return { ok: false, errors: [{ path: '', message: 'must be plain JSON data' }] }
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
