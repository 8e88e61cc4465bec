import { compileSchema } from '@toolplane/sdk'
import RandExp from 'randexp'

/** A JSON Schema as plain data (2020-12 keywords; older `definitions` refs resolve too). */
export type JsonSchema = Record<string, unknown>

/** Raised when no valid sample could be made — a schema that nothing satisfies, or one too exotic. */
export class SampleInputError extends Error {
  constructor(
    message: string,
    readonly errors: readonly string[],
  ) {
    super(message)
    this.name = 'SampleInputError'
  }
}

/** mulberry32: a small, fast, seedable PRNG; the same seed gives the same sequence everywhere. */
function random(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const words = [
  'alpha',
  'bravo',
  'delta',
  'echo',
  'harbor',
  'maple',
  'orbit',
  'pixel',
  'quartz',
  'river',
  'solar',
  'tango',
]
const maxDepth = 6

interface Generation {
  readonly root: JsonSchema
  readonly next: () => number
  /** Later attempts ignore examples and defaults: documents sometimes carry ones that do not validate. */
  readonly useExamples: boolean
}

const isObject = (value: unknown): value is JsonSchema =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

function pick<T>(g: Generation, list: readonly T[]): T | undefined {
  return list[Math.floor(g.next() * list.length)]
}

function integerBetween(g: Generation, min: number, max: number): number {
  return min + Math.floor(g.next() * (max - min + 1))
}

function resolveRef(g: Generation, ref: string): JsonSchema {
  if (!ref.startsWith('#')) return {}
  const parts = ref
    .slice(1)
    .split('/')
    .filter((p) => p !== '')
    .map((p) => decodeURIComponent(p).replaceAll('~1', '/').replaceAll('~0', '~'))
  let node: unknown = g.root
  for (const part of parts) node = isObject(node) ? node[part] : undefined
  return isObject(node) ? node : {}
}

function word(g: Generation): string {
  return pick(g, words) ?? 'alpha'
}

function fitLength(text: string, schema: JsonSchema, g: Generation): string {
  const min = typeof schema.minLength === 'number' ? schema.minLength : 0
  const max = typeof schema.maxLength === 'number' ? schema.maxLength : Infinity
  let value = text
  while (value.length < min) value += `-${word(g)}`
  return value.length > max ? value.slice(0, max) : value
}

function formatted(format: string, g: Generation): string | undefined {
  const n = integerBetween(g, 1, 9999)
  const date = new Date(
    Date.UTC(2024, 0, 1) + integerBetween(g, 0, 730) * 86_400_000 + integerBetween(g, 0, 86_399) * 1000,
  )
  const hex = (length: number) =>
    Array.from({ length }, () => '0123456789abcdef'[Math.floor(g.next() * 16)] ?? '0').join('')
  switch (format) {
    case 'email':
    case 'idn-email':
      return `${word(g)}.${n}@example.com`
    case 'uri':
    case 'url':
    case 'iri':
      return `https://example.com/${word(g)}/${n}`
    case 'uri-reference':
    case 'iri-reference':
      return `/${word(g)}/${n}`
    case 'uri-template':
      return `https://example.com/${word(g)}/{id}`
    case 'date-time':
      return date.toISOString().replace(/\.\d{3}Z$/, 'Z')
    case 'date':
      return date.toISOString().slice(0, 10)
    case 'time':
      return `${date.toISOString().slice(11, 19)}Z`
    case 'duration':
      return `P${integerBetween(g, 1, 30)}D`
    case 'uuid':
      return `${hex(8)}-${hex(4)}-4${hex(3)}-${'89ab'[integerBetween(g, 0, 3)] ?? '8'}${hex(3)}-${hex(12)}`
    case 'hostname':
    case 'idn-hostname':
      return `${word(g)}.example.com`
    case 'ipv4':
      return `192.0.2.${integerBetween(g, 1, 254)}`
    case 'ipv6':
      return `2001:db8::${hex(4)}`
    case 'byte':
      return Buffer.from(`${word(g)} ${n}`).toString('base64')
    case 'json-pointer':
      return `/${word(g)}/${integerBetween(g, 0, 9)}`
    case 'relative-json-pointer':
      return `${integerBetween(g, 0, 3)}/${word(g)}`
    case 'regex':
      return `^${word(g)}$`
    case 'password':
      return `${word(g)}-${hex(12)}`
    default:
      return undefined
  }
}

function sampleString(schema: JsonSchema, g: Generation): string {
  if (typeof schema.format === 'string') {
    const value = formatted(schema.format, g)
    if (value !== undefined) return value
  }
  if (typeof schema.pattern === 'string') {
    try {
      const generator = new RandExp(schema.pattern)
      generator.max = 8
      generator.randInt = (from: number, to: number) => integerBetween(g, from, to)
      return generator.gen()
    } catch {
      // An exotic pattern RandExp cannot expand: fall through; validation will report it.
    }
  }
  return fitLength(`${word(g)}-${integerBetween(g, 1, 999)}`, schema, g)
}

function sampleNumber(schema: JsonSchema, g: Generation, integer: boolean): number {
  const exclusiveMin = typeof schema.exclusiveMinimum === 'number' ? schema.exclusiveMinimum : undefined
  const exclusiveMax = typeof schema.exclusiveMaximum === 'number' ? schema.exclusiveMaximum : undefined
  let min =
    typeof schema.minimum === 'number'
      ? schema.minimum
      : exclusiveMin !== undefined
        ? exclusiveMin + (integer ? 1 : 0.5)
        : 0
  let max =
    typeof schema.maximum === 'number'
      ? schema.maximum
      : exclusiveMax !== undefined
        ? exclusiveMax - (integer ? 1 : 0.5)
        : Math.max(min, 0) + 100
  if (exclusiveMin !== undefined && min <= exclusiveMin) min = exclusiveMin + (integer ? 1 : 0.5)
  if (exclusiveMax !== undefined && max >= exclusiveMax) max = exclusiveMax - (integer ? 1 : 0.5)
  const multipleOf =
    typeof schema.multipleOf === 'number' && schema.multipleOf > 0 ? schema.multipleOf : undefined
  if (multipleOf !== undefined) {
    const low = Math.ceil(min / multipleOf)
    const high = Math.floor(max / multipleOf)
    return integerBetween(g, low, Math.max(low, high)) * multipleOf
  }
  if (integer) return integerBetween(g, Math.ceil(min), Math.max(Math.ceil(min), Math.floor(max)))
  return Math.round((min + g.next() * (max - min)) * 100) / 100
}

function mergeAllOf(schema: JsonSchema, g: Generation): JsonSchema {
  const parts = (schema.allOf as unknown[])
    .filter(isObject)
    .map((part) => (typeof part.$ref === 'string' ? resolveRef(g, part.$ref) : part))
  const merged: JsonSchema = { ...schema }
  delete merged.allOf
  const properties: Record<string, unknown> = isObject(schema.properties) ? { ...schema.properties } : {}
  const required = new Set<string>(Array.isArray(schema.required) ? (schema.required as string[]) : [])
  for (const part of parts) {
    const resolved = part.allOf === undefined ? part : mergeAllOf(part, g)
    Object.assign(merged, resolved)
    if (isObject(resolved.properties)) Object.assign(properties, resolved.properties)
    if (Array.isArray(resolved.required)) for (const name of resolved.required as string[]) required.add(name)
  }
  if (Object.keys(properties).length > 0) merged.properties = properties
  if (required.size > 0) merged.required = [...required]
  return merged
}

function sample(schemaIn: unknown, g: Generation, depth: number): unknown {
  if (schemaIn === true || schemaIn === undefined) return word(g)
  if (!isObject(schemaIn)) return null
  let schema = schemaIn
  if (typeof schema.$ref === 'string') schema = { ...resolveRef(g, schema.$ref), ...omit(schema, '$ref') }
  if (Array.isArray(schema.allOf)) schema = mergeAllOf(schema, g)

  if (g.useExamples) {
    if (Array.isArray(schema.examples) && schema.examples.length > 0)
      return structuredClone(pick(g, schema.examples))
    if (schema.example !== undefined) return structuredClone(schema.example)
    if (schema.default !== undefined) return structuredClone(schema.default)
  }
  if (schema.const !== undefined) return structuredClone(schema.const)
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return structuredClone(pick(g, schema.enum))

  const branches = (
    Array.isArray(schema.oneOf) ? schema.oneOf : Array.isArray(schema.anyOf) ? schema.anyOf : undefined
  )?.filter((b) => !(isObject(b) && b.type === 'null'))
  if (branches !== undefined && branches.length > 0) {
    const base = omit(omit(schema, 'oneOf'), 'anyOf')
    let branch: unknown = pick(g, branches)
    if (isObject(branch) && typeof branch.$ref === 'string')
      branch = { ...resolveRef(g, branch.$ref), ...omit(branch, '$ref') }
    return sample(isObject(branch) ? combine(base, branch) : branch, g, depth)
  }

  let type = schema.type
  if (Array.isArray(type)) type = type.find((t) => t !== 'null') ?? 'null'
  if (type === undefined) {
    if (isObject(schema.properties)) type = 'object'
    else if (schema.items !== undefined || schema.prefixItems !== undefined) type = 'array'
    else type = 'string'
  }

  switch (type) {
    case 'string':
      return sampleString(schema, g)
    case 'integer':
      return sampleNumber(schema, g, true)
    case 'number':
      return sampleNumber(schema, g, false)
    case 'boolean':
      return g.next() < 0.5
    case 'null':
      return null
    case 'array':
      return sampleArray(schema, g, depth)
    case 'object':
      return sampleObject(schema, g, depth)
    default:
      return null
  }
}

/** A base schema narrowed by one branch: the branch's keywords win, properties and required add up. */
function combine(base: JsonSchema, branch: JsonSchema): JsonSchema {
  const combined: JsonSchema = { ...base, ...branch }
  if (isObject(base.properties) || isObject(branch.properties)) {
    combined.properties = {
      ...(isObject(base.properties) ? base.properties : {}),
      ...(isObject(branch.properties) ? branch.properties : {}),
    }
  }
  const required = [
    ...(Array.isArray(base.required) ? (base.required as unknown[]) : []),
    ...(Array.isArray(branch.required) ? (branch.required as unknown[]) : []),
  ]
  if (required.length > 0) combined.required = [...new Set(required)]
  return combined
}

function omit(schema: JsonSchema, key: string): JsonSchema {
  return Object.fromEntries(Object.entries(schema).filter(([name]) => name !== key))
}

function sampleArray(schema: JsonSchema, g: Generation, depth: number): unknown[] {
  const prefix = Array.isArray(schema.prefixItems) ? (schema.prefixItems as unknown[]) : []
  const min = typeof schema.minItems === 'number' ? schema.minItems : 0
  const max = typeof schema.maxItems === 'number' ? schema.maxItems : min + 3
  const count =
    depth >= maxDepth
      ? min
      : integerBetween(
          g,
          Math.max(min, prefix.length > 0 ? prefix.length : 1),
          Math.max(min, Math.min(max, min + 3)),
        )
  const result: unknown[] = []
  const seen = new Set<string>()
  for (let i = 0, tries = 0; result.length < count && tries < count * 10; tries++) {
    const itemSchema = i < prefix.length ? prefix[i] : (schema.items ?? {})
    const item = sample(itemSchema, g, depth + 1)
    const key = JSON.stringify(item)
    if (schema.uniqueItems === true && seen.has(key)) continue
    seen.add(key)
    result.push(item)
    i++
  }
  return result
}

function sampleObject(schema: JsonSchema, g: Generation, depth: number): Record<string, unknown> {
  const properties = isObject(schema.properties) ? schema.properties : {}
  const required = new Set(Array.isArray(schema.required) ? (schema.required as string[]) : [])
  const minProperties = typeof schema.minProperties === 'number' ? schema.minProperties : 0
  const result: Record<string, unknown> = {}
  for (const [name, propertySchema] of Object.entries(properties)) {
    const include = required.has(name) || (depth < maxDepth && g.next() < 0.6)
    if (include) result[name] = sample(propertySchema, g, depth + 1)
  }
  for (const [name, propertySchema] of Object.entries(properties)) {
    if (Object.keys(result).length >= minProperties) break
    if (!(name in result)) result[name] = sample(propertySchema, g, depth + 1)
  }
  for (const name of required) if (!(name in result)) result[name] = word(g)
  return result
}

/**
 * A valid input for a schema, the same for the same seed: examples first, then defaults, then
 * values shaped by formats, patterns and bounds. Each candidate is checked with the SDK's validator
 * (the one executions use); up to 20 candidates are tried before giving up with its errors.
 *
 * @example
 * sampleInput({ type: 'object', required: ['email'], properties: { email: { type: 'string', format: 'email' } } }, 7)
 * // { email: 'orbit.4821@example.com' }
 */
export function sampleInput(schema: JsonSchema, seed = 0): unknown {
  const validate = compileSchema(schema)
  let errors: string[] = []
  for (let attempt = 0; attempt < 20; attempt++) {
    const g: Generation = { root: schema, next: random(seed * 7919 + attempt), useExamples: attempt < 10 }
    const candidate = sample(schema, g, 0)
    const result = validate(candidate)
    if (result.ok) return candidate
    errors = result.errors.map((e) => `${e.path || '/'} ${e.message}`)
  }
  throw new SampleInputError(`No valid sample could be generated: ${errors.join('; ')}`, errors)
}
