/**
 * Reading an OpenAPI document: JSON or YAML text into an object, a check that it is OpenAPI 3.0 or
 * 3.1, external `$ref`s brought into the document, and validation against the OpenAPI schema.
 *
 * External references are read only through the `readRemote` function the caller injects (the server
 * builds it on the SDK's HTTP client, which applies the outbound network rules on every hop) or from
 * the `files` the caller hands over. The validator's own HTTP and file resolvers are never used.
 */
import { compileErrors, validate as validateOpenApi } from '@readme/openapi-parser'
import type { HttpClient } from '@toolplane/sdk'
import { parseDocument } from 'yaml'
import { OpenApiImportError } from './errors.js'
import type { TextPosition } from './errors.js'

/** A parsed JSON object. */
export type JsonObject = Record<string, unknown>

/** Reads a remote document; it must refuse what the network rules refuse. */
export type ReadRemote = (url: string) => Promise<string>

/** The OpenAPI versions Toolplane imports. */
export type OpenApiVersion = '3.0' | '3.1'

/** Remote documents read for one import, at most. */
export const DEFAULT_MAX_REMOTE_FETCHES = 50

/** Bytes of text read for one import (the document, remote documents and files together), at most. */
export const DEFAULT_MAX_DOCUMENT_BYTES = 20 * 1024 * 1024

/** How deeply objects and arrays may nest; real documents stay far below it. */
export const MAX_NESTING_DEPTH = 256

/** Where bundled external references are kept in the document: an extension, so validators accept it. */
export const EXTERNAL_REFS_KEY = 'x-toolplane-external'

/** What `loadOpenApiDocument` takes besides the document. */
export interface LoadOptions {
  /** Where the document was read from: relative `$ref`s and server URLs resolve against it. */
  sourceUrl?: string
  /** Reads `http(s)` references. Without it, a remote `$ref` is refused. */
  readRemote?: ReadRemote
  /**
   * Files that relative `$ref`s may name, by path relative to the document (`common.yaml`,
   * `schemas/pet.yaml`). Any other local file reference is refused.
   */
  files?: Readonly<Record<string, string>>
  /** Defaults to {@link DEFAULT_MAX_REMOTE_FETCHES}. */
  maxRemoteFetches?: number
  /** Defaults to {@link DEFAULT_MAX_DOCUMENT_BYTES}. */
  maxBytes?: number
}

/** A document ready for `openApiToToolSpec`. */
export interface LoadedOpenApiDocument {
  /** The document, with every external `$ref` replaced by a local one; plain JSON, no cycles. */
  document: JsonObject
  version: OpenApiVersion
  sourceUrl?: string
  /** The remote documents read, in the order they were read. */
  fetched: string[]
  warnings: string[]
}

/**
 * Parses JSON or YAML text (detected from the first character) into an object. Syntax errors name
 * the line and column; the text must hold one object, and may not nest deeper than
 * {@link MAX_NESTING_DEPTH}.
 *
 * @example
 * const document = parseOpenApiDocument('openapi: 3.1.0\ninfo: { title: Pets, version: "1" }\npaths: {}')
 * document.openapi // '3.1.0'
 */
export function parseOpenApiDocument(text: string): JsonObject {
  const value = parseText(text, 'The document')
  if (!isObject(value)) {
    throw new OpenApiImportError('invalid_document', 'The document must be a JSON or YAML object')
  }
  return value
}

/**
 * The OpenAPI version of a document, or an `unsupported_version` error saying what to do instead.
 *
 * @example
 * openApiVersion({ openapi: '3.0.3' }) // '3.0'
 * openApiVersion({ swagger: '2.0' }) // throws: convert it to OpenAPI 3 first
 */
export function openApiVersion(document: JsonObject): OpenApiVersion {
  const declared = document.openapi
  if (declared === undefined && document.swagger !== undefined) {
    throw new OpenApiImportError(
      'unsupported_version',
      `This is a Swagger ${typeof document.swagger === 'string' ? document.swagger : '2.0'} document; Toolplane imports OpenAPI 3.0 and 3.1. ` +
        'Convert it first, for example with `npx swagger2openapi swagger.yaml -o openapi.yaml` ' +
        'or the converter at https://converter.swagger.io.',
    )
  }
  if (typeof declared !== 'string') {
    throw new OpenApiImportError(
      'unsupported_version',
      declared === undefined
        ? 'The document has no `openapi` field; it must declare OpenAPI 3.0.x or 3.1.x'
        : `The \`openapi\` field must be a string such as "3.1.0", not ${JSON.stringify(declared)}`,
    )
  }
  if (/^3\.0\.\d+(?:-[\w.]+)?$/.test(declared)) return '3.0'
  if (/^3\.1\.\d+(?:-[\w.]+)?$/.test(declared)) return '3.1'
  throw new OpenApiImportError(
    'unsupported_version',
    `OpenAPI ${declared} is not supported; Toolplane imports OpenAPI 3.0.x and 3.1.x documents`,
  )
}

/**
 * Loads a document for import: parses it (text or an already parsed object), checks it is OpenAPI
 * 3.0 or 3.1, brings every external `$ref` into the document through `readRemote` or `files`, and
 * validates it. Circular references stay `$ref`s; the converter keeps them as `$ref`s into `$defs`.
 *
 * @example
 * const http = createHttpClient({ allowPrivateNetwork: config.allowPrivateNetwork })
 * const loaded = await loadOpenApiDocument(text, {
 *   sourceUrl: 'https://api.example.com/openapi.yaml',
 *   readRemote: remoteReader(http),
 * })
 * const { spec, warnings } = openApiToToolSpec(loaded.document, { sourceUrl: loaded.sourceUrl })
 */
export async function loadOpenApiDocument(
  input: string | JsonObject,
  options: LoadOptions = {},
): Promise<LoadedOpenApiDocument> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_DOCUMENT_BYTES
  const sourceUrl = options.sourceUrl === undefined ? undefined : checkSourceUrl(options.sourceUrl)
  const text = typeof input === 'string' ? input : JSON.stringify(input)
  const size = Buffer.byteLength(text, 'utf8')
  if (size > maxBytes) {
    throw new OpenApiImportError(
      'limit_exceeded',
      `The document is ${megabytes(size)}; documents of up to ${megabytes(maxBytes)} can be imported`,
    )
  }
  // A copy through JSON: the caller's object is never changed, and only plain JSON data is kept.
  const document = typeof input === 'string' ? parseOpenApiDocument(text) : (JSON.parse(text) as JsonObject)
  checkDepth(document, 'The document')
  const version = openApiVersion(document)

  const warnings: string[] = []
  const bundler = new ReferenceBundler(document, sourceUrl ?? LOCAL_ROOT, options, maxBytes - size)
  await bundler.bundle()
  if (bundler.externalCount > 0) {
    warnings.push(
      `${bundler.externalCount} external reference(s) were brought into the document from ${bundler.sources()}`,
    )
  }
  warnings.push(...(await validateDocument(document, version)))
  return {
    document,
    version,
    ...(sourceUrl === undefined ? {} : { sourceUrl }),
    fetched: bundler.fetched,
    warnings,
  }
}

/**
 * A `readRemote` built on an SDK HTTP client, so reading a referenced document follows the same
 * network rules (no loopback, private or link-local addresses, checked after DNS and on every
 * redirect) as any action. Non-2xx answers fail the read.
 *
 * @example
 * const readRemote = remoteReader(createHttpClient({ allowPrivateNetwork: config.allowPrivateNetwork }))
 */
export function remoteReader(
  http: HttpClient,
  options: { timeoutMs?: number; maxBytes?: number } = {},
): ReadRemote {
  return async (url) => {
    const response = await http.get(url, {
      timeoutMs: options.timeoutMs ?? 15_000,
      maxResponseBytes: options.maxBytes ?? DEFAULT_MAX_DOCUMENT_BYTES,
      headers: { accept: 'application/json, application/yaml;q=0.9, text/yaml;q=0.9, */*;q=0.5' },
    })
    response.raise()
    return response.text
  }
}

// The base of a document given without a URL: relative references become file: URLs under it, and
// only those named in `files` can be read.
const LOCAL_ROOT = 'file:///openapi-document'

function checkSourceUrl(value: string): string {
  let url: URL
  try {
    url = new URL(value)
  } catch (error) {
    throw new OpenApiImportError('invalid_options', `sourceUrl ${JSON.stringify(value)} is not a URL`, {
      cause: error,
    })
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new OpenApiImportError('invalid_options', 'sourceUrl must be an http or https URL')
  }
  return url.href
}

function megabytes(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`
}

function parseText(text: string, what: string): unknown {
  const source = text.startsWith('\uFEFF') ? text.slice(1) : text
  if (source.trim() === '') throw new OpenApiImportError('invalid_document', `${what} is empty`)
  if (/^\s*[{[]/.test(source)) {
    try {
      return JSON.parse(source)
    } catch {
      // YAML reads JSON too and says where the problem is; its verdict stands.
    }
  }
  const parsed = parseDocument(source, { merge: true, uniqueKeys: true, prettyErrors: true })
  const error = parsed.errors[0]
  if (error !== undefined) {
    const where = error.linePos?.[0]
    const position: TextPosition | undefined =
      where === undefined ? undefined : { line: where.line, column: where.col }
    const headline = error.message.split('\n')[0] ?? error.message
    throw new OpenApiImportError('invalid_document', `${what} is not valid JSON or YAML: ${headline}`, {
      ...(position === undefined ? {} : { position }),
      cause: error,
    })
  }
  try {
    return parsed.toJS({ maxAliasCount: 100 })
  } catch (cause) {
    throw new OpenApiImportError(
      'invalid_document',
      `${what} cannot be read: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    )
  }
}

function checkDepth(root: unknown, what: string): void {
  const stack: [unknown, number][] = [[root, 0]]
  for (let entry = stack.pop(); entry !== undefined; entry = stack.pop()) {
    const [node, depth] = entry
    if (typeof node !== 'object' || node === null) continue
    if (depth > MAX_NESTING_DEPTH) {
      throw new OpenApiImportError(
        'limit_exceeded',
        `${what} nests objects deeper than ${MAX_NESTING_DEPTH} levels`,
      )
    }
    for (const child of Object.values(node)) stack.push([child, depth + 1])
  }
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

// Keys whose values are data, not OpenAPI or schema objects: a `$ref` inside them is not a reference.
function isDataKey(key: string, value: unknown): boolean {
  return key.startsWith('x-') || key === 'example' || (key === 'examples' && Array.isArray(value))
}

// Keys whose values map names to schemas: their keys are names, never keywords.
const nameMaps: ReadonlySet<string> = new Set(['properties', 'patternProperties', '$defs', 'definitions'])

/** The value a JSON pointer (`#/a/b`, percent- and ~-encoded) points at in `root`, or `undefined`. */
export function resolvePointer(root: unknown, fragment: string): unknown {
  const pointer = fragment.startsWith('#') ? fragment.slice(1) : fragment
  if (pointer === '') return root
  if (!pointer.startsWith('/')) return undefined
  let node = root
  for (const raw of pointer.slice(1).split('/')) {
    let segment: string
    try {
      segment = decodeURIComponent(raw)
    } catch {
      segment = raw
    }
    segment = segment.replace(/~1/g, '/').replace(/~0/g, '~')
    if (Array.isArray(node)) node = /^\d+$/.test(segment) ? (node as unknown[])[Number(segment)] : undefined
    else if (isObject(node)) node = Object.hasOwn(node, segment) ? node[segment] : undefined
    else return undefined
    if (node === undefined) return undefined
  }
  return node
}

interface PendingWalk {
  node: unknown
  /** The URL of the document the node came from; its relative references resolve against it. */
  base: string
}

/**
 * Replaces each external `$ref` with a local one into `x-toolplane-external`, reading each external
 * document once. References inside imported parts resolve against their own document; a reference
 * back into the root document becomes a plain local one. Cycles end because a target is recorded
 * before it is walked.
 */
class ReferenceBundler {
  readonly fetched: string[] = []
  externalCount = 0
  private readonly documents = new Map<string, unknown>()
  private readonly imported = new Map<string, string>()
  private readonly names = new Set<string>()
  private readonly store: JsonObject = {}
  private readonly files: Map<string, string>
  private budget: number

  constructor(
    private readonly root: JsonObject,
    private readonly rootUrl: string,
    private readonly options: LoadOptions,
    budget: number,
  ) {
    this.budget = budget
    this.files = new Map(
      Object.entries(options.files ?? {}).map(([name, text]) => [normaliseFileName(name), text]),
    )
  }

  sources(): string {
    const documents = [...this.documents.keys()]
    return documents.length <= 3 ? documents.join(', ') : `${documents.slice(0, 3).join(', ')} and others`
  }

  async bundle(): Promise<void> {
    const queue: PendingWalk[] = [{ node: this.root, base: this.rootUrl }]
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) {
      for (const holder of this.externalRefs(item.node, item.base)) {
        const target = new URL(holder.ref, item.base)
        const documentUrl = withoutHash(target)
        const fragment = decodeFragment(target.hash)
        if (documentUrl === this.rootUrl) {
          holder.owner.$ref = `#${fragment}`
          continue
        }
        const key = `${documentUrl}#${fragment}`
        let local = this.imported.get(key)
        if (local === undefined) {
          const value = resolvePointer(await this.read(documentUrl), fragment)
          if (value === undefined) {
            throw new OpenApiImportError(
              'reference_failed',
              `The reference ${holder.ref} points at nothing: ${documentUrl} has no ${fragment || 'content'}`,
            )
          }
          const name = this.nameFor(documentUrl, fragment)
          local = `#/${EXTERNAL_REFS_KEY}/${escapeSegment(name)}`
          this.imported.set(key, local)
          // A copy: parts of one remote document imported twice must each be walked once.
          const copy: unknown = structuredClone(value)
          this.store[name] = copy
          this.externalCount += 1
          queue.push({ node: copy, base: documentUrl })
        }
        holder.owner.$ref = local
      }
    }
    if (this.externalCount > 0) {
      const existing = this.root[EXTERNAL_REFS_KEY]
      this.root[EXTERNAL_REFS_KEY] = { ...(isObject(existing) ? existing : {}), ...this.store }
    }
  }

  // The `$ref`s in a subtree that do not point into the document being walked, or — for the root —
  // that do not start with `#`. Iterative, so a wide document cannot exhaust the stack.
  private externalRefs(node: unknown, base: string): { owner: JsonObject; ref: string }[] {
    const found: { owner: JsonObject; ref: string }[] = []
    const isRoot = base === this.rootUrl
    const stack: [unknown, boolean][] = [[node, false]]
    for (let entry = stack.pop(); entry !== undefined; entry = stack.pop()) {
      const [current, namesOnly] = entry
      if (Array.isArray(current)) {
        for (const item of current) stack.push([item, false])
        continue
      }
      if (!isObject(current)) continue
      const ref = current.$ref
      if (typeof ref === 'string' && !namesOnly && !(isRoot && ref.startsWith('#'))) {
        this.checkScheme(ref, base)
        found.push({ owner: current, ref })
      }
      for (const [key, value] of Object.entries(current)) {
        if (!namesOnly && isDataKey(key, value)) continue
        stack.push([value, !namesOnly && nameMaps.has(key)])
      }
    }
    return found.reverse()
  }

  private checkScheme(ref: string, base: string): void {
    let target: URL
    try {
      target = new URL(ref, base)
    } catch (cause) {
      throw new OpenApiImportError('reference_failed', `The reference ${ref} is not a valid URL`, { cause })
    }
    if (target.protocol === 'http:' || target.protocol === 'https:' || target.protocol === 'file:') return
    throw new OpenApiImportError(
      'reference_refused',
      `The reference ${ref} uses ${target.protocol}; only http(s) references and provided files can be read`,
    )
  }

  private async read(url: string): Promise<unknown> {
    const cached = this.documents.get(url)
    if (cached !== undefined) return cached
    const text = url.startsWith('file:') ? this.readFile(url) : await this.readRemote(url)
    this.budget -= Buffer.byteLength(text, 'utf8')
    if (this.budget < 0) {
      throw new OpenApiImportError(
        'limit_exceeded',
        `The document and the documents it refers to exceed ${megabytes(this.options.maxBytes ?? DEFAULT_MAX_DOCUMENT_BYTES)}`,
      )
    }
    const value = parseText(text, url)
    checkDepth(value, url)
    this.documents.set(url, value)
    return value
  }

  private readFile(url: string): string {
    const name = normaliseFileName(decodeURIComponent(new URL(url).pathname))
    const text = this.files.get(name)
    if (text === undefined) {
      throw new OpenApiImportError(
        'reference_refused',
        `The document refers to the local file "${name}", which was not provided; ` +
          'local files are read only when they are given alongside the document',
      )
    }
    return text
  }

  private async readRemote(url: string): Promise<string> {
    const { readRemote } = this.options
    if (readRemote === undefined) {
      throw new OpenApiImportError(
        'reference_refused',
        `The document refers to ${url}, but remote references cannot be read here`,
      )
    }
    const limit = this.options.maxRemoteFetches ?? DEFAULT_MAX_REMOTE_FETCHES
    if (this.fetched.length >= limit) {
      throw new OpenApiImportError(
        'limit_exceeded',
        `The document refers to more than ${limit} remote documents; bundle it into one file first`,
      )
    }
    this.fetched.push(url)
    try {
      return await readRemote(url)
    } catch (cause) {
      const reason = cause instanceof Error ? cause.message : String(cause)
      throw new OpenApiImportError('reference_failed', `Could not read ${url}: ${reason}`, { cause })
    }
  }

  private nameFor(documentUrl: string, fragment: string): string {
    const segments = fragment.split('/').filter((segment) => segment !== '')
    const stem =
      new URL(documentUrl).pathname
        .split('/')
        .pop()
        ?.replace(/\.[^.]*$/, '') ?? ''
    const raw = segments.at(-1)?.replace(/~1/g, '/').replace(/~0/g, '~') ?? stem
    const base = raw.replace(/[^A-Za-z0-9_.-]+/g, '_').replace(/^_+|_+$/g, '') || 'external'
    let name = base
    for (let counter = 2; this.names.has(name); counter += 1) name = `${base}_${counter}`
    this.names.add(name)
    return name
  }
}

function withoutHash(url: URL): string {
  const copy = new URL(url.href)
  copy.hash = ''
  return copy.href
}

function decodeFragment(hash: string): string {
  const fragment = hash.startsWith('#') ? hash.slice(1) : hash
  try {
    return decodeURIComponent(fragment)
  } catch {
    return fragment
  }
}

function escapeSegment(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1')
}

function normaliseFileName(name: string): string {
  return name.replace(/\\/g, '/').replace(/^(?:\.?\/)+/, '')
}

const validatorRules = {
  'array-without-items': 'warning',
  'duplicate-non-request-body-parameters': 'warning',
  'duplicate-operation-id': 'warning',
  'invalid-security-scheme-properties': 'warning',
  'non-optional-path-parameters': 'warning',
  'path-parameters-not-in-parameters': 'warning',
  'path-parameters-not-in-path': 'warning',
} as const

// Structural problems refuse the document; the validator's semantic rules (duplicate operationIds,
// undeclared path parameters…) are warnings, because the converter copes with each of them.
async function validateDocument(document: JsonObject, version: OpenApiVersion): Promise<string[]> {
  type Api = Parameters<typeof validateOpenApi>[0]
  // The validator dereferences what it is given in place: hand it a copy.
  const copy = structuredClone(document) as unknown as Api
  let result: Awaited<ReturnType<typeof validateOpenApi>>
  try {
    result = await validateOpenApi(copy, {
      resolve: { external: false, file: false },
      dereference: { circular: 'ignore' },
      validate: { rules: { openapi: validatorRules } },
    })
  } catch (cause) {
    throw new OpenApiImportError(
      'invalid_document',
      `The document could not be validated: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    )
  }
  if (!result.valid) {
    const problems = result.errors.map((error) => error.message.trim())
    throw new OpenApiImportError(
      'invalid_document',
      `The document is not a valid OpenAPI ${version} document: ${problems[0] ?? compileErrors(result)}`,
      { problems },
    )
  }
  return result.warnings.map((warning) => `OpenAPI validation: ${warning.message.trim()}`)
}
