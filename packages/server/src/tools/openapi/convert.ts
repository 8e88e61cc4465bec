/**
 * `openApiToToolSpec`: an OpenAPI 3.0 or 3.1 document (as `loadOpenApiDocument` returns it) into an
 * {@link ImportedToolSpec} — one action per operation, the security schemes as auth methods — plus
 * the warnings a user should read (what was skipped, and why).
 */
import { OpenApiImportError } from './errors.js'
import { keepValidExamples } from './examples.js'
import type { ExampleCandidates } from './examples.js'
import {
  MAX_ACTION_NAME_LENGTH,
  NameRegistry,
  actionNameFromOperationId,
  actionNameFromRoute,
  categoryFromTag,
  humanise,
  isValidSlug,
  semverFrom,
  slugFromTitle,
  snakeCase,
} from './names.js'
import { openApiVersion } from './parse.js'
import type { JsonObject } from './parse.js'
import { SchemaConverter, Warnings } from './schema.js'
import { IMPORTED_TOOL_SPEC_VERSION } from './spec.js'
import type {
  ImportedAction,
  ImportedAuthMethod,
  ImportedBody,
  ImportedExample,
  ImportedFormEncoding,
  ImportedHttpMethod,
  ImportedParameter,
  ImportedToolSpec,
  JsonSchema,
  ParameterStyle,
} from './spec.js'

/** What `openApiToToolSpec` takes besides the document. */
export interface ConvertOptions {
  /** The tool's slug; derived from `info.title` when absent. */
  slug?: string
  /** The tool's display name; `info.title` when absent. */
  name?: string
  /** Where the document came from: a relative server URL resolves against it. */
  sourceUrl?: string
}

/** What `openApiToToolSpec` returns. */
export interface ConvertResult {
  spec: ImportedToolSpec
  /** Skipped operations and security schemes, and other things a user should know, with reasons. */
  warnings: string[]
}

/** The longest action description kept; the rest of a long description is cut. */
export const MAX_DESCRIPTION_LENGTH = 2000

/** The longest action title kept. */
export const MAX_TITLE_LENGTH = 120

/** Categories taken from the document's tags. */
export const MAX_CATEGORIES = 3

/** Examples kept per action. */
export const MAX_EXAMPLES = 3

const methods = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const
const idempotentMethods: ReadonlySet<string> = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS'])
const ignoredHeaders: ReadonlySet<string> = new Set(['accept', 'content-type', 'authorization'])
const safeKeyPattern = /^[A-Za-z0-9_.-]{1,64}$/
// An input key as LLM providers accept it, and never the one name that reaches an object's prototype.
const isSafeKey = (name: string): boolean => safeKeyPattern.test(name) && name !== '__proto__'
const locationOrder = ['path', 'query', 'header', 'cookie'] as const
type Location = (typeof locationOrder)[number]

const stylesByLocation: Record<Location, readonly ParameterStyle[]> = {
  path: ['simple', 'label', 'matrix'],
  query: ['form', 'spaceDelimited', 'pipeDelimited', 'deepObject'],
  header: ['simple'],
  cookie: ['form'],
}

/**
 * Converts an OpenAPI 3.0 or 3.1 document into an imported tool spec. Expects local `$ref`s only
 * (what `loadOpenApiDocument` returns); any other reference is reported and accepts any value.
 * Throws an `OpenApiImportError` when the options are unusable or no operation can be imported.
 *
 * @example
 * const { document, sourceUrl } = await loadOpenApiDocument(text, { readRemote })
 * const { spec, warnings } = openApiToToolSpec(document, { slug: 'petstore', sourceUrl })
 * spec.actions.map((action) => action.name) // ['add_pet', 'update_pet', 'find_pets_by_status', …]
 */
export function openApiToToolSpec(document: JsonObject, options: ConvertOptions = {}): ConvertResult {
  const version = openApiVersion(document)
  if (options.slug !== undefined && !isValidSlug(options.slug)) {
    throw new OpenApiImportError(
      'invalid_options',
      `The slug ${JSON.stringify(options.slug)} must be lowercase letters, digits and _, start with a letter and be at most 40 characters`,
    )
  }
  if (options.name?.trim() === '')
    throw new OpenApiImportError('invalid_options', 'The name must not be empty')

  const warnings = new Warnings()
  const info = objectAt(document.info)
  const title = text(info.title) ?? 'Imported API'
  const baseUrl = serverUrl(document.servers, options.sourceUrl, warnings)
  const converter = new SchemaConverter(document, version, warnings)
  const operations = collectOperations(document, converter, warnings)
  const security = new SecurityMapping(document, converter, baseUrl ?? options.sourceUrl, warnings)

  const names = new NameRegistry(MAX_ACTION_NAME_LENGTH)
  const candidates: ExampleCandidates[] = []
  for (const entry of operations) {
    const converted = convertOperation(entry, { document, converter, security, warnings, names })
    if (converted !== undefined) candidates.push(converted)
  }
  const dropped = keepValidExamples(candidates, converter)
  if (dropped > 0) {
    warnings.add(`${dropped} example(s) in the document do not match their schemas and were left out`)
  }
  const actions = candidates.map((candidate) => candidate.action)
  if (actions.length === 0) {
    const reasons = warnings.list()
    throw new OpenApiImportError(
      'no_operations',
      operations.length === 0
        ? 'The document has no operations (paths) to import'
        : `None of the document's ${operations.length} operations can be imported`,
      { problems: reasons },
    )
  }

  const spec: ImportedToolSpec = {
    specVersion: IMPORTED_TOOL_SPEC_VERSION,
    slug: options.slug ?? slugFromTitle(title),
    name: (options.name ?? title).trim().slice(0, 100),
    description: cut(text(info.description) ?? '', MAX_DESCRIPTION_LENGTH),
    version: semverFrom(scalarText(info.version) ?? '0.0.0'),
    categories: categoriesOf(document, actions),
    ...(baseUrl === undefined ? {} : { baseUrl }),
    authMethods: security.methods(),
    actions,
    source: {
      openapi: scalarText(document.openapi) ?? '',
      title,
      version: scalarText(info.version) ?? '',
      ...(options.sourceUrl === undefined ? {} : { sourceUrl: options.sourceUrl }),
    },
  }
  return { spec, warnings: warnings.list() }
}

interface OperationEntry {
  method: (typeof methods)[number]
  path: string
  pathItem: JsonObject
  operation: JsonObject
}

interface ConvertContext {
  document: JsonObject
  converter: SchemaConverter
  security: SecurityMapping
  warnings: Warnings
  names: NameRegistry
}

function collectOperations(
  document: JsonObject,
  converter: SchemaConverter,
  warnings: Warnings,
): OperationEntry[] {
  const entries: OperationEntry[] = []
  let ownServers = 0
  let callbacks = 0
  for (const [path, rawItem] of Object.entries(objectAt(document.paths))) {
    const pathItem = objectAt(converter.deref(rawItem))
    for (const method of methods) {
      const operation = pathItem[method]
      if (!isObject(operation)) continue
      if (Array.isArray(operation.servers) || Array.isArray(pathItem.servers)) ownServers += 1
      if (isObject(operation.callbacks) && Object.keys(operation.callbacks).length > 0) callbacks += 1
      entries.push({ method, path, pathItem, operation })
    }
  }
  if (ownServers > 0) {
    warnings.add(
      `${ownServers} operation(s) declare their own servers; imported actions call the tool's base URL`,
    )
  }
  if (callbacks > 0) warnings.add(`The callbacks of ${callbacks} operation(s) were not imported`)
  const webhooks = Object.keys(objectAt(document.webhooks)).length
  if (webhooks > 0) {
    warnings.add(`The document's ${webhooks} webhook(s) were not imported: imported tools have actions only`)
  }
  return entries
}

function convertOperation(entry: OperationEntry, context: ConvertContext): ExampleCandidates | undefined {
  const { operation, path } = entry
  const { converter, warnings } = context
  const method = entry.method.toUpperCase()
  const where = `${method} ${path}`
  if (method === 'TRACE') {
    warnings.add(`${where}: skipped, TRACE requests cannot be sent`)
    return undefined
  }

  const refs = new Set<string>()
  const properties: Record<string, JsonSchema> = {}
  const required: string[] = []
  const keys = new Set<string>()
  const parameters: ImportedParameter[] = []
  const exampleValues = new Map<string, unknown>()
  const requiredKeys: string[] = []

  for (const parameter of parametersOf(entry, context)) {
    const location = parameter.in as Location
    const name = parameter.name as string
    const key = claimKey(keys, name, location)
    const media = parameterMedia(parameter)
    const schema = converter.unit(
      media?.schema ?? parameter.schema ?? { type: 'string' },
      'input',
      refs,
      `${where} parameter "${name}"`,
    )
    const description = text(parameter.description)
    if (description !== undefined && schema.description === undefined) schema.description = description
    if (parameter.deprecated === true) schema.deprecated = true
    const example = parameterExample(parameter, converter)
    if (example.found) {
      exampleValues.set(key, example.value)
      schema.examples ??= [example.value]
    }
    properties[key] = schema
    const isRequired = location === 'path' || parameter.required === true
    if (isRequired) {
      required.push(key)
      requiredKeys.push(key)
    }
    parameters.push(
      binding(parameter, location, name, key, media !== undefined && isJsonMediaType(media.type)),
    )
  }

  let body: ImportedBody | undefined
  let bodyMedia: JsonObject | undefined
  let additionalProperties: unknown = false
  const requestBody = objectAt(converter.deref(operation.requestBody))
  if (Object.keys(requestBody).length > 0) {
    const choice = requestMedia(objectAt(requestBody.content))
    const bodyRequired = requestBody.required === true
    if (choice === undefined) {
      const types = Object.keys(objectAt(requestBody.content)).join(', ') || 'no media type'
      if (bodyRequired) {
        warnings.add(
          `${where}: skipped, its request body (${types}) cannot be sent; JSON and form bodies can`,
        )
        return undefined
      }
      warnings.add(`${where}: its optional request body (${types}) cannot be sent and was left out`)
    } else {
      bodyMedia = choice.media
      const rawSchema = choice.media.schema ?? {}
      const shape = converter.objectShape(rawSchema)
      const encoding = choice.format === 'form' ? formEncoding(choice.media.encoding) : undefined
      const common = {
        contentType: choice.type,
        format: choice.format,
        required: bodyRequired,
        ...(encoding === undefined ? {} : { encoding }),
      }
      const mergeable =
        shape !== undefined &&
        shape.properties.size > 0 &&
        [...shape.properties.keys()].every((name) => isSafeKey(name) && !keys.has(name))
      if (mergeable) {
        for (const [name, raw] of shape.properties) {
          if (converter.isReadOnly(raw)) continue
          keys.add(name)
          properties[name] = converter.unit(raw, 'input', refs, `${where} body property "${name}"`)
          if (shape.required.has(name)) required.push(name)
        }
        additionalProperties = shape.additionalProperties
        body = { ...common, merged: true }
      } else {
        const key = claimKey(keys, 'body', 'body')
        const schema = converter.unit(rawSchema, 'input', refs, `${where} request body`)
        const description = text(requestBody.description)
        if (description !== undefined && schema.description === undefined) schema.description = description
        properties[key] = schema
        if (bodyRequired) {
          required.push(key)
          requiredKeys.push(key)
        }
        body = { ...common, merged: false, inputKey: key }
      }
    }
  }

  const input: JsonSchema = { type: 'object', properties }
  if (required.length > 0) input.required = required
  if (additionalProperties === false) input.additionalProperties = false
  else if (additionalProperties !== undefined && additionalProperties !== true) {
    input.additionalProperties = converter.unit(additionalProperties, 'input', refs, `${where} body`)
  }
  converter.withDefinitions(input, refs, 'input')

  const response = responseOf(operation, converter)
  const output = outputSchema(response, converter, where)
  const name = actionName(entry, context.names)
  const operationId = text(operation.operationId)
  const action: ImportedAction = {
    name,
    title: titleOf(operation, operationId, where),
    description: descriptionOf(operation, where),
    input,
    output,
    examples: [],
    retry: { idempotent: idempotentMethods.has(method) },
    scopes: context.security.scopesFor(entry),
    deprecated: operation.deprecated === true,
    tags: Array.isArray(operation.tags) ? operation.tags.filter((tag) => typeof tag === 'string') : [],
    operation: { method, path, ...(operationId === undefined ? {} : { operationId }) },
    http: {
      method: method as ImportedHttpMethod,
      pathTemplate: path,
      parameters,
      ...(body === undefined ? {} : { body }),
      ...(response.accept === undefined ? {} : { accept: response.accept }),
      jsonResponse: response.kind === 'json',
    },
  }
  return {
    action,
    examples: examplesOf(action, { exampleValues, requiredKeys, bodyMedia, response, converter }),
  }
}

function parametersOf(entry: OperationEntry, context: ConvertContext): JsonObject[] {
  const { converter, security, warnings } = context
  const where = `${entry.method.toUpperCase()} ${entry.path}`
  const byKey = new Map<string, JsonObject>()
  for (const list of [entry.pathItem.parameters, entry.operation.parameters]) {
    if (!Array.isArray(list)) continue
    for (const raw of list) {
      const parameter = converter.deref(raw)
      if (!isObject(parameter) || typeof parameter.name !== 'string' || typeof parameter.in !== 'string')
        continue
      const name = parameter.name
      byKey.set(`${parameter.in}:${parameter.in === 'header' ? name.toLowerCase() : name}`, parameter)
    }
  }
  const templated = [...entry.path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1] ?? '')
  const kept: JsonObject[] = []
  for (const parameter of byKey.values()) {
    const name = parameter.name as string
    const location = parameter.in as string
    if (!(locationOrder as readonly string[]).includes(location)) {
      warnings.add(`${where}: the parameter "${name}" in ${location} is not supported and was left out`)
      continue
    }
    if (location === 'header' && ignoredHeaders.has(name.toLowerCase())) continue
    if (security.supplies(location, name)) continue
    if (location === 'path' && !templated.includes(name)) {
      warnings.add(`${where}: the path parameter "${name}" is not in the path and was left out`)
      continue
    }
    kept.push(parameter)
  }
  for (const name of templated) {
    if (!kept.some((parameter) => parameter.in === 'path' && parameter.name === name)) {
      warnings.add(`${where}: the path parameter "${name}" is not declared; it is taken as a string`)
      kept.push({ name, in: 'path', required: true, schema: { type: 'string' } })
    }
  }
  return kept.sort(
    (a, b) => locationOrder.indexOf(a.in as Location) - locationOrder.indexOf(b.in as Location),
  )
}

// A parameter keeps its own name as input key when it can; a second parameter of the same name (in
// another location) gets the location as suffix: `id`, then `id_query`.
function claimKey(keys: Set<string>, name: string, location: string): string {
  const base = isSafeKey(name)
    ? name
    : name
        .replace(/[^A-Za-z0-9_.-]+/g, '_')
        .replace(/^_+|_+$/g, '')
        .slice(0, 64) || location
  let key = base
  if (keys.has(key)) key = `${base.slice(0, 63 - location.length)}_${location}`
  const stem = key
  for (let counter = 2; keys.has(key); counter += 1) key = `${stem.slice(0, 60)}_${counter}`
  keys.add(key)
  return key
}

function binding(
  parameter: JsonObject,
  location: Location,
  name: string,
  inputKey: string,
  json: boolean,
): ImportedParameter {
  const allowed = stylesByLocation[location]
  const declared = parameter.style
  const style =
    typeof declared === 'string' && (allowed as readonly string[]).includes(declared)
      ? (declared as ParameterStyle)
      : (allowed[0] ?? 'simple')
  const explode = typeof parameter.explode === 'boolean' ? parameter.explode : style === 'form'
  return { name, in: location, inputKey, style, explode, ...(json ? { json: true } : {}) }
}

function parameterMedia(parameter: JsonObject): { type: string; schema: unknown } | undefined {
  if (!isObject(parameter.content)) return undefined
  const [type, media] = Object.entries(parameter.content)[0] ?? []
  if (type === undefined || !isObject(media)) return undefined
  return { type, schema: media.schema }
}

function parameterExample(
  parameter: JsonObject,
  converter: SchemaConverter,
): { found: boolean; value?: unknown } {
  if (parameter.example !== undefined) return { found: true, value: parameter.example }
  const named = namedExamples(parameter.examples, converter)[0]
  if (named !== undefined) return { found: true, value: named.value }
  return { found: false }
}

function namedExamples(examples: unknown, converter: SchemaConverter): { title?: string; value: unknown }[] {
  const found: { title?: string; value: unknown }[] = []
  for (const [key, raw] of Object.entries(objectAt(examples))) {
    const example = converter.deref(raw)
    if (!isObject(example) || example.value === undefined) continue
    found.push({ title: text(example.summary) ?? key, value: example.value })
  }
  return found
}

function isJsonMediaType(type: string): boolean {
  return /^(?:application|text)\/(?:[\w.+-]+\+)?json\b/i.test(type) || /\+json\b/i.test(type)
}

function requestMedia(
  content: JsonObject,
): { type: string; media: JsonObject; format: 'json' | 'form' } | undefined {
  const entries = Object.entries(content).filter((entry): entry is [string, JsonObject] => isObject(entry[1]))
  const json = entries.find(([type]) => isJsonMediaType(type)) ?? entries.find(([type]) => type === '*/*')
  if (json !== undefined) {
    return { type: json[0] === '*/*' ? 'application/json' : json[0], media: json[1], format: 'json' }
  }
  const form = entries.find(([type]) => /^application\/x-www-form-urlencoded\b/i.test(type))
  return form === undefined ? undefined : { type: form[0], media: form[1], format: 'form' }
}

function formEncoding(raw: unknown): Record<string, ImportedFormEncoding> | undefined {
  const result: Record<string, ImportedFormEncoding> = {}
  for (const [name, value] of Object.entries(objectAt(raw))) {
    if (!isObject(value)) continue
    const encoding: ImportedFormEncoding = {}
    const style = value.style
    if (
      style === 'form' ||
      style === 'deepObject' ||
      style === 'spaceDelimited' ||
      style === 'pipeDelimited'
    ) {
      encoding.style = style
    }
    if (typeof value.explode === 'boolean') encoding.explode = value.explode
    if (typeof value.contentType === 'string' && isJsonMediaType(value.contentType)) encoding.json = true
    if (Object.keys(encoding).length > 0) result[name] = encoding
  }
  return Object.keys(result).length > 0 ? result : undefined
}

type ResponseChoice =
  | { kind: 'json'; accept?: string; schema: unknown; media: JsonObject; description?: string }
  | { kind: 'text'; accept?: string; description?: string }
  | { kind: 'none'; accept?: undefined; description?: string }

function responseOf(operation: JsonObject, converter: SchemaConverter): ResponseChoice {
  const responses = objectAt(operation.responses)
  const rank = (code: string): number => (/^2\d\d$/.test(code) ? Number(code) : 299.5)
  const successes = Object.keys(responses)
    .filter((code) => /^2(?:\d\d|XX)$/i.test(code))
    .sort((a, b) => rank(a) - rank(b))
    .map((code) => objectAt(converter.deref(responses[code])))
  for (const response of successes) {
    const content = Object.entries(objectAt(response.content))
    const json =
      content.find(([type]) => isJsonMediaType(type)) ??
      content.find(([type, media]) => type === '*/*' && isObject(media) && media.schema !== undefined)
    if (json !== undefined) {
      const media = objectAt(json[1])
      return {
        kind: 'json',
        ...(json[0] === '*/*' ? {} : { accept: json[0] }),
        schema: media.schema,
        media,
        ...optionalText('description', response.description),
      }
    }
  }
  for (const response of successes) {
    const type = Object.keys(objectAt(response.content))[0]
    if (type !== undefined) {
      return {
        kind: 'text',
        ...(type.includes('*') ? {} : { accept: type }),
        ...optionalText('description', response.description),
      }
    }
  }
  return { kind: 'none', ...optionalText('description', successes[0]?.description) }
}

function outputSchema(response: ResponseChoice, converter: SchemaConverter, where: string): JsonSchema {
  let schema: JsonSchema
  if (response.kind === 'json') {
    schema =
      response.schema === undefined ? {} : converter.root(response.schema, 'output', `${where} response`)
  } else if (response.kind === 'text') {
    schema = { type: ['object', 'null'], properties: { text: { type: 'string' } } }
  } else {
    schema = {}
  }
  if (schema.description === undefined && response.description !== undefined) {
    schema.description = response.description
  }
  return schema
}

interface ExampleSources {
  exampleValues: Map<string, unknown>
  requiredKeys: string[]
  bodyMedia: JsonObject | undefined
  response: ResponseChoice
  converter: SchemaConverter
}

// Examples only from what the document states; keepValidExamples then keeps those that validate.
function examplesOf(action: ImportedAction, sources: ExampleSources): ImportedExample[] {
  const { exampleValues, bodyMedia, converter } = sources
  const body = action.http.body
  const bodies: { title?: string; value: unknown }[] = []
  if (bodyMedia !== undefined) {
    if (bodyMedia.example !== undefined) bodies.push({ value: bodyMedia.example })
    bodies.push(...namedExamples(bodyMedia.examples, converter))
  }
  if (bodies.length === 0 && exampleValues.size === 0) return []
  const missing = sources.requiredKeys.some(
    (key) =>
      !exampleValues.has(key) &&
      !(body !== undefined && !body.merged && body.inputKey === key && bodies.length > 0),
  )
  if (missing) return []

  const outputExample = responseExample(sources.response, converter)
  const candidates = bodies.length > 0 ? bodies : [undefined]
  const examples: ImportedExample[] = []
  for (const candidate of candidates) {
    if (examples.length >= MAX_EXAMPLES) break
    const input: Record<string, unknown> = Object.fromEntries(exampleValues)
    if (candidate !== undefined && body !== undefined) {
      if (body.merged) {
        if (!isObject(candidate.value)) continue
        Object.assign(input, candidate.value)
      } else {
        input[body.inputKey] = candidate.value
      }
    }
    const example: ImportedExample = {
      ...(candidate?.title === undefined ? {} : { title: candidate.title }),
      input,
    }
    if (examples.length === 0 && outputExample !== undefined) example.output = outputExample.value
    examples.push(example)
  }
  return examples
}

function responseExample(
  response: ResponseChoice,
  converter: SchemaConverter,
): { value: unknown } | undefined {
  if (response.kind !== 'json') return undefined
  if (response.media.example !== undefined) return { value: response.media.example }
  return namedExamples(response.media.examples, converter)[0]
}

function actionName(entry: OperationEntry, names: NameRegistry): string {
  const route = actionNameFromRoute(entry.method, entry.path)
  const operationId = text(entry.operation.operationId)
  const preferred = operationId === undefined ? undefined : actionNameFromOperationId(operationId)
  // A clash (two operationIds that snake_case alike) falls back to the route name, which is unique
  // in a valid document, and only then to a numbered suffix.
  if (preferred !== undefined && !names.has(preferred)) return names.claim(preferred)
  return names.claim(route)
}

function titleOf(operation: JsonObject, operationId: string | undefined, where: string): string {
  const summary = text(operation.summary)?.split('\n')[0]?.trim()
  if (summary !== undefined && summary !== '') return cut(summary, MAX_TITLE_LENGTH)
  const fromId = operationId === undefined ? '' : humanise(operationId)
  return fromId === '' ? where : cut(fromId, MAX_TITLE_LENGTH)
}

function descriptionOf(operation: JsonObject, where: string): string {
  const described = text(operation.description) ?? text(operation.summary) ?? where
  const prefixed = operation.deprecated === true ? `Deprecated. ${described}` : described
  return cut(prefixed, MAX_DESCRIPTION_LENGTH)
}

function categoriesOf(document: JsonObject, actions: readonly ImportedAction[]): string[] {
  const counts = new Map<string, number>()
  for (const tag of Array.isArray(document.tags) ? document.tags : []) {
    if (isObject(tag) && typeof tag.name === 'string') counts.set(tag.name, 0)
  }
  for (const action of actions) for (const tag of action.tags) counts.set(tag, (counts.get(tag) ?? 0) + 1)
  const ranked = [...counts.entries()].filter(([, count]) => count > 0).sort((a, b) => b[1] - a[1])
  const categories: string[] = []
  for (const [tag] of ranked) {
    const category = categoryFromTag(tag)
    if (category !== '' && !categories.includes(category)) categories.push(category)
    if (categories.length === MAX_CATEGORIES) break
  }
  return categories
}

function serverUrl(servers: unknown, sourceUrl: string | undefined, warnings: Warnings): string | undefined {
  const first = Array.isArray(servers) ? objectAt(servers[0]) : {}
  const template = typeof first.url === 'string' ? first.url : '/'
  const variables = objectAt(first.variables)
  const url = template.replace(/\{([^}]+)\}/g, (match, name: string) => {
    const value = objectAt(variables[name]).default
    return typeof value === 'string' || typeof value === 'number' ? String(value) : match
  })
  const absolute = absoluteHttpUrl(url, sourceUrl)
  if (absolute === undefined) {
    warnings.add(
      `The server URL "${url}" is not an absolute http(s) URL${sourceUrl === undefined ? ' and no source URL was given' : ''}; ` +
        'set the base URL on the installation or the credential before running actions',
    )
    return undefined
  }
  return absolute.replace(/\/+$/, '')
}

function absoluteHttpUrl(url: string, base: string | undefined): string | undefined {
  try {
    const resolved = base === undefined ? new URL(url) : new URL(url, base)
    if (resolved.protocol !== 'http:' && resolved.protocol !== 'https:') return undefined
    if (/[{}]/.test(decodeURI(resolved.href))) return undefined
    return resolved.href
  } catch {
    return undefined
  }
}

/**
 * The document's security schemes as auth methods: which are supported, the ids they get, the
 * parameters they supply (so those do not become inputs), and the scopes each operation needs.
 */
class SecurityMapping {
  private readonly schemes = new Map<string, JsonObject>()
  private readonly mapped = new Map<string, ImportedAuthMethod[]>()
  private readonly usedScopes = new Map<string, Set<string>>()
  private readonly supplied = new Set<string>()
  private anonymous = false

  constructor(
    private readonly document: JsonObject,
    private readonly converter: SchemaConverter,
    private readonly base: string | undefined,
    private readonly warnings: Warnings,
  ) {
    const components = objectAt(document.components)
    for (const [name, raw] of Object.entries(objectAt(components.securitySchemes))) {
      const scheme = converter.deref(raw)
      if (isObject(scheme)) this.schemes.set(name, scheme)
    }
    for (const scheme of this.schemes.values()) {
      if (scheme.type === 'apiKey' && typeof scheme.name === 'string' && isKeyLocation(scheme.in)) {
        this.supplied.add(suppliedKey(scheme.in, scheme.name))
      }
    }
    this.collectRequirements()
    const ids = new NameRegistry(MAX_ACTION_NAME_LENGTH)
    const referenced = [...this.schemes.keys()].filter((name) => this.usedScopes.has(name))
    for (const name of referenced.length > 0 ? referenced : [...this.schemes.keys()]) {
      const scheme = this.schemes.get(name)
      if (scheme !== undefined) this.mapped.set(name, this.mapScheme(name, scheme, ids))
    }
  }

  /** Whether an API key scheme supplies this parameter (so it is no input). */
  supplies(location: string, name: string): boolean {
    return this.supplied.has(suppliedKey(location, name))
  }

  /** The OAuth scopes an operation's security requirement names, for the OAuth2 methods imported. */
  scopesFor(entry: OperationEntry): string[] {
    const scopes = new Set<string>()
    for (const requirement of this.requirementsOf(entry.operation)) {
      for (const [name, list] of Object.entries(requirement)) {
        const imported = this.mapped.get(name)?.some((method) => method.kind === 'oauth2') ?? false
        if (!imported || !Array.isArray(list)) continue
        for (const scope of list) if (typeof scope === 'string') scopes.add(scope)
      }
    }
    return [...scopes]
  }

  /** The auth methods, `none` last when some operations need no credential or nothing is supported. */
  methods(): ImportedAuthMethod[] {
    const methods = [...this.mapped.values()].flat()
    if (methods.length === 0 || this.anonymous) {
      const taken = new Set(methods.map((method) => method.id))
      let id = 'none'
      for (let counter = 2; taken.has(id); counter += 1) id = `none_${counter}`
      methods.push({ kind: 'none', id, title: 'No authentication' })
    }
    disambiguateTitles(methods, this.mapped)
    return methods
  }

  private requirementsOf(operation: JsonObject): JsonObject[] {
    const requirements = Array.isArray(operation.security) ? operation.security : this.document.security
    return Array.isArray(requirements) ? requirements.filter(isObject) : []
  }

  private collectRequirements(): void {
    for (const [, rawItem] of Object.entries(objectAt(this.document.paths))) {
      const pathItem = objectAt(this.converter.deref(rawItem))
      for (const method of methods) {
        const operation = pathItem[method]
        if (!isObject(operation)) continue
        const requirements = this.requirementsOf(operation)
        if (
          requirements.length === 0 ||
          requirements.some((requirement) => Object.keys(requirement).length === 0)
        ) {
          this.anonymous = true
        }
        for (const requirement of requirements) {
          for (const [name, scopes] of Object.entries(requirement)) {
            const used = this.usedScopes.get(name) ?? new Set<string>()
            if (Array.isArray(scopes))
              for (const scope of scopes) if (typeof scope === 'string') used.add(scope)
            this.usedScopes.set(name, used)
          }
        }
      }
    }
  }

  private mapScheme(name: string, scheme: JsonObject, ids: NameRegistry): ImportedAuthMethod[] {
    const id = snakeCase(name).replace(/^(?=[^a-z])/, 'auth_') || 'auth'
    const description = optionalText('description', scheme.description)
    const skip = (reason: string): [] => {
      this.warnings.add(`The security scheme "${name}" was skipped: ${reason}`)
      return []
    }
    switch (scheme.type) {
      case 'apiKey': {
        if (typeof scheme.name !== 'string' || scheme.name === '' || !isKeyLocation(scheme.in)) {
          return skip('it does not say where the API key goes')
        }
        const where = scheme.in === 'query' ? 'query parameter' : scheme.in
        return [
          {
            kind: 'api_key',
            id: ids.claim(id),
            title: `API key (${scheme.name} ${where})`,
            in: scheme.in,
            name: scheme.name,
            ...description,
          },
        ]
      }
      case 'http': {
        const kind = typeof scheme.scheme === 'string' ? scheme.scheme.toLowerCase() : ''
        if (kind === 'bearer')
          return [{ kind: 'bearer', id: ids.claim(id), title: 'Bearer token', ...description }]
        if (kind === 'basic') {
          return [{ kind: 'basic', id: ids.claim(id), title: 'Username and password', ...description }]
        }
        return skip(`HTTP "${String(scheme.scheme)}" authentication is not supported (bearer and basic are)`)
      }
      case 'oauth2':
        return this.mapOAuth2(name, id, scheme, ids, description)
      case 'openIdConnect':
        return skip('OpenID Connect discovery is not supported; declare its OAuth2 flows instead')
      case 'mutualTLS':
        return skip('mutual TLS is not supported')
      default:
        return skip(`the type ${JSON.stringify(scheme.type)} is unknown`)
    }
  }

  private mapOAuth2(
    name: string,
    id: string,
    scheme: JsonObject,
    ids: NameRegistry,
    description: { description?: string },
  ): ImportedAuthMethod[] {
    const flows = objectAt(scheme.flows)
    const methods: ImportedAuthMethod[] = []
    const scopesOf = (flow: JsonObject): string[] => {
      const used = [...(this.usedScopes.get(name) ?? [])]
      return used.length > 0 ? used : Object.keys(objectAt(flow.scopes))
    }
    for (const [flowName, raw] of Object.entries(flows)) {
      const flow = objectAt(raw)
      const tokenUrl =
        typeof flow.tokenUrl === 'string' ? absoluteHttpUrl(flow.tokenUrl, this.base) : undefined
      if (flowName === 'authorizationCode') {
        const authorizationUrl =
          typeof flow.authorizationUrl === 'string'
            ? absoluteHttpUrl(flow.authorizationUrl, this.base)
            : undefined
        if (authorizationUrl === undefined || tokenUrl === undefined) {
          this.warnings.add(
            `The OAuth2 authorization code flow of "${name}" was skipped: its URLs are not absolute`,
          )
          continue
        }
        methods.push({
          kind: 'oauth2',
          grant: 'authorization_code',
          id: ids.claim(id),
          title: 'OAuth2',
          authorizationUrl,
          tokenUrl,
          scopes: scopesOf(flow),
          pkce: true,
          ...description,
        })
      } else if (flowName === 'clientCredentials') {
        if (tokenUrl === undefined) {
          this.warnings.add(
            `The OAuth2 client credentials flow of "${name}" was skipped: its token URL is not absolute`,
          )
          continue
        }
        methods.push({
          kind: 'oauth2',
          grant: 'client_credentials',
          id: ids.claim(`${id}_client_credentials`),
          title: 'OAuth2 (client credentials)',
          tokenUrl,
          scopes: scopesOf(flow),
          ...description,
        })
      } else if (flowName === 'implicit' || flowName === 'password') {
        this.warnings.add(
          `The OAuth2 ${flowName} flow of "${name}" was skipped: it is deprecated by OAuth 2.0 Security Best Current Practice; use the authorization code flow`,
        )
      }
    }
    if (methods.length === 0 && Object.keys(flows).length === 0) {
      this.warnings.add(`The security scheme "${name}" was skipped: it declares no OAuth2 flows`)
    }
    return methods
  }
}

function isKeyLocation(value: unknown): value is 'header' | 'query' | 'cookie' {
  return value === 'header' || value === 'query' || value === 'cookie'
}

function suppliedKey(location: string, name: string): string {
  return `${location}:${location === 'header' ? name.toLowerCase() : name}`
}

// Two methods with the same label (two API keys…) are told apart by their scheme names.
function disambiguateTitles(methods: ImportedAuthMethod[], mapped: Map<string, ImportedAuthMethod[]>): void {
  const counts = new Map<string, number>()
  for (const method of methods) counts.set(method.title, (counts.get(method.title) ?? 0) + 1)
  for (const [scheme, list] of mapped) {
    for (const method of list) {
      if ((counts.get(method.title) ?? 0) > 1) method.title = `${method.title} — ${scheme}`
    }
  }
}

function cut(value: string, max: number): string {
  const trimmed = value.trim()
  return trimmed.length <= max ? trimmed : `${trimmed.slice(0, max - 1).trimEnd()}…`
}

// YAML reads `version: 1.0` as a number; it means the text.
function scalarText(value: unknown): string | undefined {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined
}

function text(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined
  const trimmed = value.trim()
  return trimmed === '' ? undefined : trimmed
}

function optionalText<K extends string>(key: K, value: unknown): { [P in K]?: string } {
  const found = text(value)
  return (found === undefined ? {} : { [key]: found }) as { [P in K]?: string }
}

function objectAt(value: unknown): JsonObject {
  return isObject(value) ? value : {}
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
