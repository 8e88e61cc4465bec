import { createHttpClient } from '@toolplane/sdk'
import type { Tool } from '@toolplane/sdk'
import type { Clock } from '../auth/context.js'
import { newId } from '../auth/tokens.js'
import { AppError } from '../errors.js'
import { openApiToToolSpec } from './openapi/convert.js'
import { OpenApiImportError } from './openapi/errors.js'
import { loadOpenApiDocument, remoteReader } from './openapi/parse.js'
import type { ReadRemote } from './openapi/parse.js'
import type { ImportedToolSpec } from './openapi/spec.js'
import { toolFromSpec } from './openapi/tool.js'
import type { WorkspaceToolRow, WorkspaceToolStore } from './store.js'

/** What `POST /v1/tools/import` takes: the document itself, or a URL to read it from. */
export interface ImportRequest {
  readonly document?: string | Record<string, unknown>
  readonly url?: string
  readonly slug?: string
  readonly name?: string
  /** Where the document came from, when it is given inline: relative references resolve against it. */
  readonly sourceUrl?: string
}

export interface ImportResult {
  readonly tool: Tool
  /** False when an existing import with the same slug was replaced. */
  readonly created: boolean
  readonly warnings: readonly string[]
}

/** Largest OpenAPI document accepted, inline or fetched. */
export const maxDocumentBytes = 20 * 1024 * 1024

const importErrorCodes = {
  invalid_document: 'validation_error',
  unsupported_version: 'validation_error',
  reference_refused: 'validation_error',
  reference_failed: 'validation_error',
  limit_exceeded: 'payload_too_large',
  no_operations: 'validation_error',
  invalid_options: 'validation_error',
} as const

function asAppError(error: unknown): unknown {
  if (!(error instanceof OpenApiImportError)) return error
  const position =
    error.position === undefined ? '' : ` (line ${error.position.line}, column ${error.position.column})`
  return new AppError(importErrorCodes[error.code], `${error.message}${position}`, {
    errors: error.problems.map((message) => ({ path: '/body/document', message })),
    cause: error,
  })
}

/**
 * The workspace's imported tools: OpenAPI documents turned into tools, stored as their spec and
 * rebuilt on demand. Rebuilt tools are cached by row id and version, so every node serves the
 * current import without a reload.
 */
export function toolImports(deps: {
  store: WorkspaceToolStore
  clock: Clock
  /** Slugs of the shared tools, which an import may not take. */
  reservedSlugs: ReadonlySet<string>
  allowPrivateNetwork: boolean
  /** Reads remote documents and `$ref`s; defaults to the SDK's HTTP client under the network rules. */
  readRemote?: ReadRemote
}) {
  const { store, clock, reservedSlugs } = deps
  const readRemote =
    deps.readRemote ??
    remoteReader(createHttpClient({ allowPrivateNetwork: deps.allowPrivateNetwork }), {
      maxBytes: maxDocumentBytes,
    })
  const cache = new Map<string, { updatedAt: number; tool: Tool }>()

  const readDocument = async (url: string): Promise<string> => {
    try {
      return await readRemote(url)
    } catch (error) {
      throw new AppError(
        'validation_error',
        `The document could not be read from ${url}: ${error instanceof Error ? error.message : String(error)}`,
        { errors: [{ path: '/body/url', message: 'could not be read' }], cause: error },
      )
    }
  }

  const build = (row: WorkspaceToolRow): Tool => {
    const cached = cache.get(row.id)
    if (cached?.updatedAt === row.updated_at) return cached.tool
    const tool = toolFromSpec(JSON.parse(row.spec) as ImportedToolSpec)
    cache.set(row.id, { updatedAt: row.updated_at, tool })
    return tool
  }

  return {
    /** The workspace's imported tools, current as of this call. */
    async workspaceTools(workspaceId: string): Promise<Tool[]> {
      const versions = await store.versions(workspaceId)
      const tools: Tool[] = []
      for (const version of versions) {
        const cached = cache.get(version.id)
        if (cached?.updatedAt === version.updated_at) {
          tools.push(cached.tool)
          continue
        }
        const row = await store.get(workspaceId, version.id)
        if (row !== undefined) tools.push(build(row))
      }
      return tools
    },

    /**
     * Imports an OpenAPI document as a workspace tool, or replaces the import with the same slug.
     *
     * @example
     * const { tool, created } = await imports.importDocument(workspaceId, { url: 'https://api.example.com/openapi.json' })
     */
    async importDocument(workspaceId: string, request: ImportRequest): Promise<ImportResult> {
      if ((request.document === undefined) === (request.url === undefined)) {
        throw new AppError(
          'validation_error',
          'Send either `document` (the OpenAPI text or object) or `url`, not both.',
          {
            errors: [{ path: '/body', message: 'exactly one of document and url is required' }],
          },
        )
      }
      let spec: ImportedToolSpec
      let warnings: string[]
      try {
        const sourceUrl = request.url ?? request.sourceUrl
        const text = request.url === undefined ? (request.document ?? '') : await readDocument(request.url)
        const loaded = await loadOpenApiDocument(text, {
          ...(sourceUrl === undefined ? {} : { sourceUrl }),
          readRemote,
          maxBytes: maxDocumentBytes,
        })
        const converted = openApiToToolSpec(loaded.document, {
          ...(sourceUrl === undefined ? {} : { sourceUrl }),
          ...(request.slug === undefined ? {} : { slug: request.slug }),
          ...(request.name === undefined ? {} : { name: request.name }),
        })
        spec = converted.spec
        warnings = [...loaded.warnings, ...converted.warnings]
      } catch (error) {
        throw asAppError(error)
      }
      if (reservedSlugs.has(spec.slug)) {
        throw new AppError(
          'conflict',
          `"${spec.slug}" is the slug of a built-in tool; pass another \`slug\` for this import.`,
        )
      }
      const tool = toolFromSpec(spec)
      const now = clock()
      const row = {
        slug: spec.slug,
        name: spec.name,
        source: 'openapi',
        source_url: request.url ?? request.sourceUrl ?? null,
        action_count: spec.actions.length,
        spec: JSON.stringify(spec),
        updated_at: now,
      }
      const existing = await store.findBySlug(workspaceId, spec.slug)
      if (existing === undefined) {
        const id = newId('tool')
        await store.insert({ ...row, id, workspace_id: workspaceId, created_at: now })
        cache.set(id, { updatedAt: now, tool })
        return { tool, created: true, warnings }
      }
      // Bump the version even within the same millisecond, so every node's cache sees the change.
      const updatedAt = Math.max(now, existing.updated_at + 1)
      await store.replace(workspaceId, existing.id, { ...row, updated_at: updatedAt })
      cache.set(existing.id, { updatedAt, tool })
      return { tool, created: false, warnings }
    },

    /** Deletes an imported tool; built-in tools cannot be deleted. */
    async remove(workspaceId: string, slug: string): Promise<void> {
      if (reservedSlugs.has(slug)) {
        throw new AppError('conflict', `"${slug}" is a built-in tool; only imported tools can be deleted.`)
      }
      if (!(await store.delete(workspaceId, slug))) {
        throw new AppError('not_found', `There is no imported tool "${slug}" in this workspace.`)
      }
    },
  }
}

export type ToolImports = ReturnType<typeof toolImports>
