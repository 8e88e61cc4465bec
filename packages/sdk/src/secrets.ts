/**
 * Secret values in schemas. A field wrapped in {@link Secret} is write-only: it reaches the action but
 * never an execution record, a log line or an error message, because records are written through
 * {@link redactSecrets}.
 */
import type { TSchema } from 'typebox'
import { escapePointer, unescapePointer } from './json-pointer.js'

/** The annotation that marks a schema's value as secret. */
export const SECRET_KEYWORD = 'x-toolplane-secret'

/** What a secret value is replaced with. */
export const REDACTED = '[REDACTED]'

/** A schema marked secret; its static type is the wrapped schema's. */
export type TSecret<T extends TSchema> = T & { writeOnly: true; 'x-toolplane-secret': true }

/**
 * Marks a schema as secret (`writeOnly: true` and `x-toolplane-secret: true`) without changing what
 * it accepts. Works on any schema, including TypeBox's optional properties.
 *
 * @example
 * const input = Type.Object({ to: Type.String(), apiKey: Secret(Type.String()) })
 */
export function Secret<T extends TSchema>(schema: T): TSecret<T> {
  // Copy the descriptors, not the enumerable keys: TypeBox keeps its modifiers in hidden properties.
  const copy = Object.create(
    Object.getPrototypeOf(schema) as object | null,
    Object.getOwnPropertyDescriptors(schema),
  ) as Record<string, unknown>
  copy.writeOnly = true
  copy[SECRET_KEYWORD] = true
  return copy as unknown as TSecret<T>
}

/**
 * Whether a schema is marked secret by {@link Secret}.
 *
 * @example
 * isSecret(Secret(Type.String())) // true
 */
export function isSecret(schema: unknown): boolean {
  return isRecord(schema) && schema[SECRET_KEYWORD] === true
}

/** `*` stands for any array index or object key. */
export const ANY_SEGMENT = '*'

const MAX_DEPTH = 64

/**
 * Where secret values can be in a value of this schema, as JSON pointers in which `*` stands for any
 * array index or object key. Follows properties, items, additional and pattern properties,
 * combinators (`allOf`/`anyOf`/`oneOf`, `if`/`then`/`else`) and local `$ref`s.
 *
 * @example
 * secretPaths(Type.Object({ token: Secret(Type.String()), env: Type.Record(Type.String(), Secret(Type.String())) }))
 * // ['/token', '/env/*']
 */
export function secretPaths(schema: object): string[] {
  const found = new Set<string>()
  collect(schema, [], schema, new Set(), found, 0)
  return [...found]
}

function collect(
  node: unknown,
  path: readonly string[],
  root: object,
  refsOnPath: ReadonlySet<string>,
  found: Set<string>,
  depth: number,
): void {
  if (!isRecord(node) || depth > MAX_DEPTH) return
  if (node[SECRET_KEYWORD] === true) {
    found.add(
      path.map((segment) => `/${segment === ANY_SEGMENT ? segment : escapePointer(segment)}`).join(''),
    )
    return
  }
  const next = (child: unknown, childPath: readonly string[], refs = refsOnPath): void => {
    collect(child, childPath, root, refs, found, depth + 1)
  }
  const ref = node.$ref
  if (typeof ref === 'string' && ref.startsWith('#') && !refsOnPath.has(ref)) {
    next(resolvePointer(root, ref.slice(1)), path, new Set([...refsOnPath, ref]))
  }
  if (isRecord(node.properties)) {
    for (const [key, child] of Object.entries(node.properties)) next(child, [...path, key])
  }
  if (isRecord(node.patternProperties)) {
    for (const child of Object.values(node.patternProperties)) next(child, [...path, ANY_SEGMENT])
  }
  next(node.additionalProperties, [...path, ANY_SEGMENT])
  next(node.unevaluatedProperties, [...path, ANY_SEGMENT])
  if (Array.isArray(node.prefixItems)) {
    node.prefixItems.forEach((child, index) => {
      next(child, [...path, String(index)])
    })
  }
  if (Array.isArray(node.items)) {
    node.items.forEach((child, index) => {
      next(child, [...path, String(index)])
    })
  } else {
    next(node.items, [...path, ANY_SEGMENT])
  }
  for (const keyword of ['allOf', 'anyOf', 'oneOf'] as const) {
    const branches = node[keyword]
    if (Array.isArray(branches)) for (const branch of branches) next(branch, path)
  }
  next(node.then, path)
  next(node.else, path)
  if (isRecord(node.dependentSchemas)) {
    for (const child of Object.values(node.dependentSchemas)) next(child, path)
  }
}

function resolvePointer(root: object, pointer: string): unknown {
  let node: unknown = root
  for (const raw of pointer.split('/').slice(1)) {
    if (!isRecord(node)) return undefined
    node = node[unescapePointer(decodeURIComponent(raw))]
  }
  return node
}

interface PathTrie {
  secret: boolean
  children: Map<string, PathTrie>
}

const tries = new WeakMap<object, PathTrie>()

function trieOf(schema: object): PathTrie {
  const cached = tries.get(schema)
  if (cached !== undefined) return cached
  const root: PathTrie = { secret: false, children: new Map() }
  for (const path of secretPaths(schema)) {
    let node = root
    for (const segment of path.split('/').slice(1).map(unescapePointer)) {
      let child = node.children.get(segment)
      if (child === undefined) {
        child = { secret: false, children: new Map() }
        node.children.set(segment, child)
      }
      node = child
    }
    node.secret = true
  }
  tries.set(schema, root)
  return root
}

/**
 * A copy of `value` in which every value the schema marks secret, at any depth, is replaced with
 * `'[REDACTED]'`. Use it before storing or logging an action's input or output.
 *
 * @example
 * redactSecrets(Type.Object({ to: Type.String(), apiKey: Secret(Type.String()) }), { to: 'a', apiKey: 'k' })
 * // { to: 'a', apiKey: '[REDACTED]' }
 */
export function redactSecrets(schema: object, value: unknown): unknown {
  const trie = trieOf(schema)
  if (trie.children.size === 0 && !trie.secret) return value
  return redact(value, [trie])
}

function redact(value: unknown, nodes: readonly PathTrie[]): unknown {
  if (value === undefined) return value
  if (nodes.some((node) => node.secret)) return REDACTED
  const childrenAt = (key: string): PathTrie[] =>
    nodes.flatMap((node) => [node.children.get(key), node.children.get(ANY_SEGMENT)]).filter(isDefined)
  if (Array.isArray(value)) {
    return value.map((item: unknown, index) => {
      const children = childrenAt(String(index))
      return children.length === 0 ? item : redact(item, children)
    })
  }
  if (isRecord(value)) {
    const copy: Record<string, unknown> = {}
    for (const [key, item] of Object.entries(value)) {
      const children = childrenAt(key)
      copy[key] = children.length === 0 ? item : redact(item, children)
    }
    return copy
  }
  return value
}

function isDefined<T>(value: T | undefined): value is T {
  return value !== undefined
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** What {@link maskSecrets} puts where a secret was. */
export const MASKED = '****'

/** Secrets shorter than this are left alone: masking every `id` or `1` would mask half the text. */
export const MIN_MASKED_LENGTH = 4

/**
 * `text` with every string of at least {@link MIN_MASKED_LENGTH} characters found in `secrets` (at
 * any depth of objects and arrays) replaced with `'****'` — as written, and in the forms it takes in a
 * URL (percent- and form-encoded) and inside a JSON string. Longer secrets are masked first, so one
 * secret that contains another is masked whole.
 *
 * @example
 * maskSecrets('GET /v1/me?key=s3cr3t-key', { value: 's3cr3t-key' }) // 'GET /v1/me?key=****'
 */
export function maskSecrets(text: string, secrets: unknown): string {
  const forms = new Set<string>()
  for (const secret of secretStrings(secrets, [], 0)) {
    forms.add(secret)
    forms.add(encodeURIComponent(secret))
    forms.add(new URLSearchParams({ s: secret }).toString().slice(2))
    forms.add(JSON.stringify(secret).slice(1, -1))
  }
  let masked = text
  for (const form of [...forms].sort((a, b) => b.length - a.length)) {
    if (masked.includes(form)) masked = masked.split(form).join(MASKED)
  }
  return masked
}

function secretStrings(value: unknown, found: string[], depth: number): string[] {
  if (typeof value === 'string') {
    if (value.length >= MIN_MASKED_LENGTH) found.push(value)
  } else if (typeof value === 'object' && value !== null && depth <= MAX_DEPTH) {
    for (const item of Object.values(value)) secretStrings(item, found, depth + 1)
  }
  return found
}

/**
 * The values of `value` that the schema marks secret (what {@link redactSecrets} would replace), for
 * masking them where they reappear, such as in the body an input was turned into.
 *
 * @example
 * secretValues(Type.Object({ to: Type.String(), apiKey: Secret(Type.String()) }), { to: 'a', apiKey: 'k' })
 * // ['k']
 */
export function secretValues(schema: object, value: unknown): unknown[] {
  const found: unknown[] = []
  const walk = (original: unknown, redacted: unknown): void => {
    if (redacted === REDACTED && original !== REDACTED) {
      found.push(original)
    } else if (typeof original === 'object' && original !== null && typeof redacted === 'object') {
      for (const [key, item] of Object.entries(original)) {
        walk(item, (redacted as Record<string, unknown> | null)?.[key])
      }
    }
  }
  walk(value, redactSecrets(schema, value))
  return found
}
