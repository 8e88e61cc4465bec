import type { Action, Tool } from '@toolplane/sdk'
import { findAction } from '@toolplane/sdk'
import { toPage } from '../db/pagination.js'
import type { Page, PageRequest } from '../db/pagination.js'
import { AppError } from '../errors.js'
import type { LoadedTool } from './plugins.js'
import { sampleInput } from './sample-input.js'

/** Where a tool in the catalog comes from. */
export type ToolSource = 'builtin' | 'plugin' | 'imported'

export interface CatalogTool {
  readonly tool: Tool
  readonly source: ToolSource
}

/** The workspace's own tools (imported from OpenAPI); the catalog asks on each request. */
export type WorkspaceTools = (workspaceId: string) => Promise<readonly Tool[]>

export interface CatalogQuery {
  readonly q?: string
  readonly category?: string
}

function score(tool: Tool, q: string): number {
  const slug = tool.slug.toLowerCase()
  const name = tool.name.toLowerCase()
  if (slug === q || name === q) return 100
  let best = 0
  if (slug.startsWith(q) || name.startsWith(q)) best = 60
  else if (slug.includes(q) || name.includes(q)) best = 40
  if (best < 20 && tool.categories.some((c) => c.toLowerCase().includes(q))) best = 20
  for (const action of tool.actions) {
    if (best >= 15) break
    if (action.name.includes(q) || action.title.toLowerCase().includes(q)) best = 15
  }
  if (best < 10 && tool.description.toLowerCase().includes(q)) best = 10
  if (best < 5 && tool.actions.some((a) => a.description.toLowerCase().includes(q))) best = 5
  return best
}

/**
 * The tool catalog a caller sees: built-in and plugin tools, plus the workspace's imported ones.
 * Search matches names, slugs, categories, action names and descriptions, best matches first.
 */
export function toolCatalog(deps: { loaded: readonly LoadedTool[]; workspaceTools?: WorkspaceTools }) {
  const shared: CatalogTool[] = deps.loaded
    .map(({ tool, builtin }) => ({ tool, source: builtin ? ('builtin' as const) : ('plugin' as const) }))
    .sort((a, b) => a.tool.slug.localeCompare(b.tool.slug))
  const sharedBySlug = new Map(shared.map((entry) => [entry.tool.slug, entry]))

  async function all(workspaceId: string): Promise<CatalogTool[]> {
    const own = deps.workspaceTools === undefined ? [] : await deps.workspaceTools(workspaceId)
    if (own.length === 0) return shared
    return [...shared, ...own.map((tool) => ({ tool, source: 'imported' as const }))].sort((a, b) =>
      a.tool.slug.localeCompare(b.tool.slug),
    )
  }

  async function search(workspaceId: string, query: CatalogQuery): Promise<CatalogTool[]> {
    let entries = await all(workspaceId)
    if (query.category !== undefined && query.category !== '') {
      const category = query.category.toLowerCase()
      entries = entries.filter((e) => e.tool.categories.some((c) => c.toLowerCase() === category))
    }
    const q = query.q?.trim().toLowerCase() ?? ''
    if (q === '') return entries
    return entries
      .map((entry) => ({ entry, score: score(entry.tool, q) }))
      .filter((r) => r.score > 0)
      .sort((a, b) => b.score - a.score || a.entry.tool.slug.localeCompare(b.entry.tool.slug))
      .map((r) => r.entry)
  }

  async function get(workspaceId: string, slug: string): Promise<CatalogTool> {
    const entry = sharedBySlug.get(slug) ?? (await all(workspaceId)).find((e) => e.tool.slug === slug)
    if (entry === undefined)
      throw new AppError('not_found', `There is no tool "${slug}". List tools with GET /v1/tools.`)
    return entry
  }

  return {
    all,
    search,
    get,

    /**
     * A page of the catalog. The cursor is a position in the (stable, ranked) result.
     *
     * @example
     * const page = await catalog.list(workspaceId, { q: 'issue' }, { limit: 20, after: null })
     */
    async list(workspaceId: string, query: CatalogQuery, page: PageRequest): Promise<Page<CatalogTool>> {
      const entries = await search(workspaceId, query)
      const start = page.after === null ? 0 : Number(page.after)
      if (!Number.isInteger(start) || start < 0) {
        throw new AppError(
          'validation_error',
          'The cursor is not valid; pass back the nextCursor of a previous page.',
        )
      }
      const rows = entries
        .slice(start, start + page.limit + 1)
        .map((entry, index) => ({ entry, position: start + index + 1 }))
      const result = toPage(rows, page.limit, (row) => String(row.position))
      return { data: result.data.map((row) => row.entry), nextCursor: result.nextCursor }
    },

    async action(
      workspaceId: string,
      slug: string,
      name: string,
    ): Promise<{ entry: CatalogTool; action: Action }> {
      const entry = await get(workspaceId, slug)
      const action = findAction(entry.tool, name)
      if (action === undefined) {
        throw new AppError(
          'not_found',
          `Tool "${slug}" has no action "${name}"; it has ${entry.tool.actions.map((a) => a.name).join(', ')}.`,
        )
      }
      return { entry, action }
    },

    /**
     * A valid input for an action, the same for the same seed: the action's own examples first
     * (seed 0 is the first example), then generated from its input schema.
     */
    sampleInput(action: Action, seed: number): unknown {
      const example = action.examples[seed]
      if (example !== undefined) return structuredClone(example.input)
      return sampleInput(action.input as Record<string, unknown>, seed)
    },
  }
}

export type ToolCatalog = ReturnType<typeof toolCatalog>
