/**
 * The one error the OpenAPI import raises. Its `code` says which kind of problem it is, so the route
 * can answer with a stable problem code and the CLI with a useful exit message; `problems` lists the
 * individual findings (validator messages, unreadable references) when there are several.
 */

/** The kinds of import failure. */
export const OPENAPI_IMPORT_ERROR_CODES = [
  /** Not JSON or YAML, not an object, or not a valid OpenAPI document. */
  'invalid_document',
  /** Swagger 2.0, OpenAPI 3.2 or a document without an `openapi` version. */
  'unsupported_version',
  /** A `$ref` to a local file outside the provided `files`, or to a scheme other than http(s). */
  'reference_refused',
  /** A `$ref` that could not be read or whose JSON pointer points at nothing. */
  'reference_failed',
  /** Too many remote documents, too many bytes, or nesting too deep. */
  'limit_exceeded',
  /** The document has no operation that can become an action. */
  'no_operations',
  /** A `slug`, `name` or `sourceUrl` option that cannot be used. */
  'invalid_options',
] as const

/** One kind of import failure. */
export type OpenApiImportErrorCode = (typeof OPENAPI_IMPORT_ERROR_CODES)[number]

/** Where in the text a syntax error is, both 1-based. */
export interface TextPosition {
  line: number
  column: number
}

/** The optional details of an {@link OpenApiImportError}. */
export interface OpenApiImportErrorOptions {
  position?: TextPosition
  problems?: readonly string[]
  cause?: unknown
}

/**
 * Why a document could not be imported. The message is written for the person importing it and
 * never contains a credential (remote documents are named by URL, which the document itself gave).
 *
 * @example
 * try {
 *   await loadOpenApiDocument(text, { readRemote })
 * } catch (error) {
 *   if (error instanceof OpenApiImportError && error.code === 'unsupported_version') console.error(error.message)
 * }
 */
export class OpenApiImportError extends Error {
  override name = 'OpenApiImportError'
  readonly code: OpenApiImportErrorCode
  readonly position: TextPosition | undefined
  readonly problems: readonly string[]

  constructor(code: OpenApiImportErrorCode, message: string, options: OpenApiImportErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.position = options.position
    this.problems = options.problems ?? []
  }
}
