/**
 * OpenAPI import: a document (JSON or YAML, OpenAPI 3.0 or 3.1) into a Toolplane tool. The pieces are
 * pure functions the routes and the CLI compose: `loadOpenApiDocument` (parse, check, bring in
 * external references, validate), `openApiToToolSpec` (the tool as storable data) and `toolFromSpec`
 * (the data as a runnable SDK tool).
 */
import { openApiToToolSpec } from './convert.js'
import type { ConvertOptions } from './convert.js'
import { loadOpenApiDocument } from './parse.js'
import type { JsonObject, LoadOptions } from './parse.js'
import type { ImportedToolSpec } from './spec.js'

export {
  MAX_CATEGORIES,
  MAX_DESCRIPTION_LENGTH,
  MAX_EXAMPLES,
  MAX_TITLE_LENGTH,
  openApiToToolSpec,
} from './convert.js'
export type { ConvertOptions, ConvertResult } from './convert.js'
export { OPENAPI_IMPORT_ERROR_CODES, OpenApiImportError } from './errors.js'
export type { OpenApiImportErrorCode, OpenApiImportErrorOptions, TextPosition } from './errors.js'
export { MAX_ACTION_NAME_LENGTH, MAX_SLUG_LENGTH, isValidSlug, slugFromTitle } from './names.js'
export {
  DEFAULT_MAX_DOCUMENT_BYTES,
  DEFAULT_MAX_REMOTE_FETCHES,
  EXTERNAL_REFS_KEY,
  MAX_NESTING_DEPTH,
  loadOpenApiDocument,
  openApiVersion,
  parseOpenApiDocument,
  remoteReader,
} from './parse.js'
export type { JsonObject, LoadOptions, LoadedOpenApiDocument, OpenApiVersion, ReadRemote } from './parse.js'
export { IMPORTED_TOOL_SPEC_VERSION } from './spec.js'
export type {
  ImportedAction,
  ImportedAuthMethod,
  ImportedBody,
  ImportedExample,
  ImportedFormEncoding,
  ImportedHttp,
  ImportedHttpMethod,
  ImportedParameter,
  ImportedToolSpec,
  JsonSchema,
  ParameterStyle,
} from './spec.js'
export { buildRequest, responseOutput, toolFromSpec } from './tool.js'
export type { BuiltRequest } from './tool.js'

/** What `importOpenApiDocument` takes: how to load the document and what to call the tool. */
export type ImportOptions = LoadOptions & Omit<ConvertOptions, 'sourceUrl'>

/** What `importOpenApiDocument` returns. */
export interface ImportResult {
  spec: ImportedToolSpec
  /** The loader's warnings, then the converter's. */
  warnings: string[]
  /** The remote documents read for `$ref`s. */
  fetched: string[]
}

/**
 * Loads and converts a document in one call — what `POST /v1/tools/import` and `toolplane tools
 * import` both do. Throws an `OpenApiImportError` whose `code` says what is wrong.
 *
 * @example
 * const { spec, warnings } = await importOpenApiDocument(body.document, {
 *   slug: body.slug,
 *   sourceUrl: body.sourceUrl,
 *   readRemote: remoteReader(createHttpClient({ allowPrivateNetwork: config.allowPrivateNetwork })),
 * })
 * await store.saveImportedTool(workspaceId, spec) // then toolFromSpec(spec) to serve it
 */
export async function importOpenApiDocument(
  document: string | JsonObject,
  options: ImportOptions = {},
): Promise<ImportResult> {
  const loaded = await loadOpenApiDocument(document, options)
  const converted = openApiToToolSpec(loaded.document, {
    ...(options.slug === undefined ? {} : { slug: options.slug }),
    ...(options.name === undefined ? {} : { name: options.name }),
    ...(loaded.sourceUrl === undefined ? {} : { sourceUrl: loaded.sourceUrl }),
  })
  return {
    spec: converted.spec,
    warnings: [...loaded.warnings, ...converted.warnings],
    fetched: loaded.fetched,
  }
}
