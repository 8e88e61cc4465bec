/**
 * `ImportedToolSpec`: what an OpenAPI document becomes. Plain JSON data — no functions, no class
 * instances, no cycles — so the server can keep it in a database row and rebuild the tool from it
 * with `toolFromSpec` on any node, at any later time.
 *
 * Treat a spec as immutable: actions share `$defs` entries by reference to keep large documents small
 * in memory (serialising copies them, which is fine).
 */

/** The shape version of {@link ImportedToolSpec}; bumped when a stored spec needs migrating. */
export const IMPORTED_TOOL_SPEC_VERSION = 1

/** A JSON Schema (2020-12) object. */
export type JsonSchema = Record<string, unknown>

/** The HTTP methods an imported action can use (OpenAPI's `trace` is not one of them). */
export type ImportedHttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS'

/** A credential the tool accepts, as data; `toolFromSpec` turns it into an SDK `auth.*` declaration. */
export type ImportedAuthMethod =
  | { kind: 'none'; id: string; title: string }
  | {
      kind: 'api_key'
      id: string
      title: string
      /** `cookie` is applied as a `Cookie` header, through a custom auth method. */
      in: 'header' | 'query' | 'cookie'
      name: string
      description?: string
    }
  | { kind: 'bearer'; id: string; title: string; description?: string }
  | { kind: 'basic'; id: string; title: string; description?: string }
  | {
      kind: 'oauth2'
      grant: 'authorization_code'
      id: string
      title: string
      authorizationUrl: string
      tokenUrl: string
      /** The scopes requested by default: those the operations ask for, else all the flow declares. */
      scopes: string[]
      /** Always `true`: Toolplane's authorization code flow uses PKCE. */
      pkce: boolean
      description?: string
    }
  | {
      kind: 'oauth2'
      grant: 'client_credentials'
      id: string
      title: string
      tokenUrl: string
      scopes: string[]
      description?: string
    }

/** How a path or query value is written, after OpenAPI's `style`/`explode`. */
export type ParameterStyle =
  'simple' | 'label' | 'matrix' | 'form' | 'spaceDelimited' | 'pipeDelimited' | 'deepObject'

/** Where one input property goes in the request. */
export interface ImportedParameter {
  /** The parameter's name in the request. */
  name: string
  in: 'path' | 'query' | 'header' | 'cookie'
  /** The input property holding its value (often the same as `name`). */
  inputKey: string
  style: ParameterStyle
  explode: boolean
  /** `true` when the parameter is declared with `content: application/json`: the value is sent as JSON text. */
  json?: boolean
}

/** How a form body property is written (OpenAPI's Encoding Object). */
export interface ImportedFormEncoding {
  style?: 'form' | 'deepObject' | 'spaceDelimited' | 'pipeDelimited'
  explode?: boolean
  /** The property is sent as JSON text. */
  json?: boolean
}

/** Where the request body comes from. */
export type ImportedBody = {
  /** The media type sent, such as `application/json` or `application/merge-patch+json`. */
  contentType: string
  format: 'json' | 'form'
  required: boolean
  /** Per-property form encodings, when the document declares any. */
  encoding?: Record<string, ImportedFormEncoding>
} & (
  | {
      /** The body's properties are top-level input properties: every input key no parameter claims. */
      merged: true
    }
  | {
      merged: false
      /** The input property holding the whole body. */
      inputKey: string
    }
)

/** How an action becomes an HTTP request. */
export interface ImportedHttp {
  method: ImportedHttpMethod
  /** The OpenAPI path, such as `/repos/{owner}/{repo}`, joined to the tool's base URL. */
  pathTemplate: string
  parameters: ImportedParameter[]
  body?: ImportedBody
  /** The `Accept` header sent: the media type of the documented response, when there is one. */
  accept?: string
  /** The response is documented as JSON, so a JSON body sent with a wrong content type is still parsed. */
  jsonResponse: boolean
}

/** An example call, already checked against the action's schemas. */
export interface ImportedExample {
  title?: string
  input: Record<string, unknown>
  output?: unknown
}

/** One operation, as an action. */
export interface ImportedAction {
  /** `[a-z][a-z0-9_]*`, at most 64 characters, unique within the tool. */
  name: string
  title: string
  description: string
  /** One JSON Schema object: path, query, header and cookie parameters and the body. */
  input: JsonSchema
  /** What a 2xx answer looks like; descriptive rather than strict (see docs/openapi-import.md). */
  output: JsonSchema
  examples: ImportedExample[]
  retry: { idempotent: boolean }
  /** OAuth scopes the operation's security requirement names. */
  scopes: string[]
  deprecated: boolean
  /** Tags of the operation, kept for grouping in a UI. */
  tags: string[]
  /** Where the action came from in the document. */
  operation: { method: string; path: string; operationId?: string }
  http: ImportedHttp
}

/** An OpenAPI document turned into a tool, as data. */
export interface ImportedToolSpec {
  specVersion: typeof IMPORTED_TOOL_SPEC_VERSION
  slug: string
  name: string
  description: string
  /** A semantic version, from `info.version`. */
  version: string
  categories: string[]
  /** The absolute URL of `servers[0]`; absent when the document gives none that is absolute. */
  baseUrl?: string
  authMethods: ImportedAuthMethod[]
  actions: ImportedAction[]
  source: {
    /** The document's `openapi` field, such as `3.1.0`. */
    openapi: string
    title: string
    /** `info.version` as the document wrote it. */
    version: string
    sourceUrl?: string
  }
}
