import { useWindowVirtualizer } from '@tanstack/react-virtual'
import { memo, useDeferredValue, useEffect, useId, useMemo, useRef, useState } from 'react'
import {
  Button,
  Input,
  Label,
  SearchField,
  Text,
  ToggleButton,
  ToggleButtonGroup,
} from 'react-aria-components'
import type { Selection } from 'react-aria-components'
import { Link, useNavigate, useSearchParams } from 'react-router'
import type { ToolSummary } from '../api/tools.js'
import { EmptyState } from './EmptyState.js'
import { ApiErrorDisplay } from './ErrorHandler.js'
import { remInPixels, useActiveRangeExtractor, useListKeyboard, useScrollMargin } from './list-keyboard.js'
import { ListSkeleton } from './Skeleton.js'

/** Above this many results the list renders only the rows in view (and a few around them). */
export const virtualizeAbove = 100

/** A row's height in rem; rows are one height so the virtual list can place them without measuring. */
const rowHeightRem = 4.5

/** A tool with its searchable text in lower case, made once per catalog rather than per keystroke. */
export interface IndexedTool {
  readonly tool: ToolSummary
  readonly slug: string
  readonly name: string
  readonly categories: string
  readonly actions: string
  readonly description: string
}

/**
 * Prepares tools for `searchTools`.
 *
 * @example
 * const index = indexTools(tools)
 */
export function indexTools(tools: readonly ToolSummary[]): IndexedTool[] {
  return tools.map((tool) => ({
    tool,
    slug: tool.slug.toLowerCase(),
    name: tool.name.toLowerCase(),
    categories: tool.categories.join('\n').toLowerCase(),
    actions: tool.actions
      .map((a) => `${a.name.replace(/_/g, ' ')}\n${a.title}`)
      .join('\n')
      .toLowerCase(),
    description: tool.description.toLowerCase(),
  }))
}

function termScore(entry: IndexedTool, term: string): number {
  if (entry.slug === term || entry.name === term) return 100
  if (entry.slug.startsWith(term) || entry.name.startsWith(term)) return 60
  if (entry.slug.includes(term) || entry.name.includes(term)) return 40
  if (entry.categories.includes(term)) return 20
  if (entry.actions.includes(term)) return 10
  if (entry.description.includes(term)) return 5
  return 0
}

const byName = (a: { tool: ToolSummary }, b: { tool: ToolSummary }) =>
  a.tool.name.localeCompare(b.tool.name, undefined, { sensitivity: 'base' }) ||
  a.tool.slug.localeCompare(b.tool.slug)

/**
 * The tools matching every word of `query` (in a name, slug, category, action or description) and,
 * when categories are chosen, in at least one of them: best match first, else by name.
 *
 * @example
 * searchTools(indexTools(tools), 'create issue', new Set(['Developer tools']))
 */
export function searchTools(
  index: readonly IndexedTool[],
  query: string,
  categories: ReadonlySet<string>,
): ToolSummary[] {
  const terms = query.toLowerCase().split(/\s+/).filter(Boolean)
  const scored: { tool: ToolSummary; score: number }[] = []
  for (const entry of index) {
    if (categories.size > 0 && !entry.tool.categories.some((c) => categories.has(c))) continue
    let score = 0
    let matched = true
    for (const term of terms) {
      const s = termScore(entry, term)
      if (s === 0) {
        matched = false
        break
      }
      score += s
    }
    if (matched) scored.push({ tool: entry.tool, score })
  }
  scored.sort((a, b) => b.score - a.score || byName(a, b))
  return scored.map((s) => s.tool)
}

function categoryCounts(tools: readonly ToolSummary[]): { name: string; count: number }[] {
  const counts = new Map<string, number>()
  for (const tool of tools) for (const c of tool.categories) counts.set(c, (counts.get(c) ?? 0) + 1)
  return [...counts]
    .map(([name, count]) => ({ name, count }))
    .sort((a, b) => a.name.localeCompare(b.name, undefined, { sensitivity: 'base' }))
}

interface ToolRowProps {
  readonly tool: ToolSummary
  readonly index: number
  readonly active: boolean
  readonly setSize: number
  /** The row's offset in the virtual list; null when the list is not virtual. */
  readonly offset: number | null
}

/** One result. Memoised: typing re-renders the list, but only rows whose tool or place changed. */
const ToolRow = memo(function ToolRow({ tool, index, active, setSize, offset }: ToolRowProps) {
  const actions = tool.actions.length === 1 ? '1 action' : `${tool.actions.length} actions`
  return (
    <li
      className="tool-row"
      data-index={index}
      aria-setsize={setSize}
      aria-posinset={index + 1}
      style={offset === null ? undefined : { transform: `translateY(${offset}px)` }}
    >
      <Link
        to={`/tools/${encodeURIComponent(tool.slug)}`}
        className="tool-row-link"
        tabIndex={active ? 0 : -1}
      >
        <span className="tool-row-head">
          <span className="tool-row-name">{tool.name}</span>
          <span className="tool-row-meta">
            <code>{tool.slug}</code> · {actions}
            {tool.categories.length > 0 && <> · {tool.categories.join(', ')}</>}
          </span>
        </span>
        <span className="tool-row-description">{tool.description}</span>
      </Link>
    </li>
  )
})

export interface ToolBrowserProps {
  /** The catalog; undefined until it has loaded. */
  readonly tools: readonly ToolSummary[] | undefined
  /** Whether the catalog is loading (a skeleton shows until it has). */
  readonly loading: boolean
  /** Why the catalog could not be loaded, if it could not. */
  readonly error: unknown
  readonly onRetry?: () => void
}

/**
 * Browses the tool catalog: search as you type (every keystroke filters, the list keeps up through
 * React's deferred rendering), category filters, and keyboard use — ↓ from the search box into the
 * results, ↑ ↓ Home End PageUp PageDown through them, Enter to open one (Enter in the search box opens
 * the first). The search and filters live in the address, so Back returns to them. Rows are
 * memoised, and over `virtualizeAbove` results only the rows in view are rendered.
 *
 * @example
 * const tools = useTools()
 * <ToolBrowser tools={tools.data} loading={tools.isPending} error={tools.error} onRetry={() => void tools.refetch()} />
 */
export function ToolBrowser({ tools, loading, error, onRetry }: ToolBrowserProps) {
  const [params] = useSearchParams()
  const [query, setQuery] = useState(() => params.get('q') ?? '')
  const [selectedCategories, setSelectedCategories] = useState<ReadonlySet<string>>(
    () => new Set(params.getAll('category')),
  )
  const navigate = useNavigate()
  const listId = useId()
  const categoriesLabelId = useId()
  const searchInput = useRef<HTMLInputElement>(null)
  const list = useRef<HTMLUListElement>(null)

  // The address follows the search and filters, whole each time (the router applies navigations as
  // transitions, so updating it piecemeal could build on a stale address). It replaces the entry:
  // Back leaves the page rather than undoing letters.
  const addressWritten = useRef(false)
  useEffect(() => {
    // The first render reads the address; it has nothing to write yet.
    if (!addressWritten.current) {
      addressWritten.current = true
      return
    }
    const next = new URLSearchParams()
    if (query !== '') next.set('q', query)
    for (const c of [...selectedCategories].sort()) next.append('category', c)
    const search = next.toString()
    void navigate({ search: search === '' ? '' : `?${search}` }, { replace: true })
  }, [query, selectedCategories, navigate])

  const catalog = useMemo(() => tools ?? [], [tools])
  const index = useMemo(() => indexTools(catalog), [catalog])
  const categories = useMemo(() => categoryCounts(catalog), [catalog])
  const deferredQuery = useDeferredValue(query)
  const results = useMemo(
    () => searchTools(index, deferredQuery, selectedCategories),
    [index, deferredQuery, selectedCategories],
  )
  const stale = deferredQuery !== query

  // The row that takes Tab and arrow keys; back to the first whenever the results change.
  const [activeState, setActiveState] = useState({ results, index: 0 })
  const active = activeState.results === results ? Math.min(activeState.index, results.length - 1) : 0

  const virtual = results.length > virtualizeAbove
  const [rowHeight] = useState(() => remInPixels() * rowHeightRem)
  const scrollMargin = useScrollMargin(list)
  const rangeExtractor = useActiveRangeExtractor(active)
  const virtualizer = useWindowVirtualizer({
    count: virtual ? results.length : 0,
    estimateSize: () => rowHeight,
    overscan: 10,
    scrollMargin,
    rangeExtractor,
    getItemKey: (i) => results[i]?.slug ?? i,
  })

  const { onListKeyDown, onListFocus, onSearchKeyDown } = useListKeyboard({
    count: results.length,
    active,
    setActive: (index) => {
      setActiveState({ results, index })
    },
    list,
    searchInput,
  })

  const openActive = () => {
    const tool = results[active]
    if (tool !== undefined) void navigate(`/tools/${encodeURIComponent(tool.slug)}`)
  }

  const clearAll = () => {
    setQuery('')
    setSelectedCategories(new Set())
    searchInput.current?.focus()
  }

  const filtering = query.trim() !== '' || selectedCategories.size > 0
  const showsList = tools !== undefined && results.length > 0

  let body
  if (tools === undefined && error !== null && error !== undefined) {
    body = <ApiErrorDisplay error={error} {...(onRetry === undefined ? {} : { onRetry })} />
  } else if (tools === undefined || (loading && catalog.length === 0)) {
    body = <ListSkeleton rows={8} label="Loading tools…" />
  } else if (catalog.length === 0) {
    body = (
      <EmptyState title="No tools are installed">
        <p>
          The built-in tools load when the server starts, so an empty catalog usually means they were refused:
          look for “plugin refused” in the server log and check <code>/readyz</code>. Add more tools with{' '}
          <code>TOOLPLANE_PLUGINS</code>, or import any API described by an OpenAPI document with{' '}
          <code>POST /v1/tools/import</code>.
        </p>
      </EmptyState>
    )
  } else if (results.length === 0) {
    const what =
      query.trim() === '' ? 'No tools in the chosen categories' : `No tools match “${query.trim()}”`
    body = (
      <EmptyState
        title={what}
        action={
          <Button className="button" onPress={clearAll}>
            Clear search and filters
          </Button>
        }
      >
        <p>
          Try fewer or shorter words, a tool’s name, a category, or what you want to do, such as “issue” or
          “send message”.
        </p>
      </EmptyState>
    )
  } else {
    const items = virtual ? virtualizer.getVirtualItems() : null
    body = (
      <ul
        ref={list}
        id={listId}
        className="tool-list"
        role="list"
        aria-label="Tools"
        aria-busy={stale}
        data-virtual={virtual ? '' : undefined}
        style={virtual ? { height: virtualizer.getTotalSize() } : undefined}
        onKeyDown={onListKeyDown}
        onFocus={onListFocus}
      >
        {items === null
          ? results.map((tool, i) => (
              <ToolRow
                key={tool.slug}
                tool={tool}
                index={i}
                active={i === active}
                setSize={results.length}
                offset={null}
              />
            ))
          : items.map((item) => {
              const tool = results[item.index]
              if (tool === undefined) return null
              return (
                <ToolRow
                  key={tool.slug}
                  tool={tool}
                  index={item.index}
                  active={item.index === active}
                  setSize={results.length}
                  offset={item.start - scrollMargin}
                />
              )
            })}
      </ul>
    )
  }

  return (
    <div className="tool-browser">
      <div className="tool-browser-controls">
        <SearchField className="search-field" value={query} onChange={setQuery} onSubmit={openActive}>
          <Label className="field-label">Search tools</Label>
          <div className="search-field-box">
            <Input
              ref={searchInput}
              className="input"
              placeholder="Name, category or action"
              aria-controls={showsList ? listId : undefined}
              onKeyDown={onSearchKeyDown}
            />
            <Button className="search-field-clear">×</Button>
          </div>
          <Text slot="description" className="field-description">
            ↓ moves into the results, Enter opens the first.
          </Text>
        </SearchField>
        {categories.length > 0 && (
          <div className="categories">
            <span id={categoriesLabelId} className="field-label">
              Categories
            </span>
            <ToggleButtonGroup
              className="chips"
              aria-labelledby={categoriesLabelId}
              selectionMode="multiple"
              selectedKeys={selectedCategories}
              onSelectionChange={(keys: Selection) => {
                setSelectedCategories(
                  new Set(keys === 'all' ? categories.map((c) => c.name) : [...keys].map(String)),
                )
              }}
            >
              {categories.map((c) => (
                <ToggleButton key={c.name} id={c.name} className="chip">
                  {c.name} <span className="chip-count">{c.count}</span>
                </ToggleButton>
              ))}
            </ToggleButtonGroup>
          </div>
        )}
      </div>
      {tools !== undefined && catalog.length > 0 && (
        <div className="result-bar">
          <p className="result-count" role="status">
            {filtering
              ? `${results.length.toLocaleString()} of ${catalog.length.toLocaleString()} tools`
              : `${catalog.length.toLocaleString()} tools`}
          </p>
          {filtering && results.length > 0 && (
            <Button className="button button-quiet" onPress={clearAll}>
              Clear search and filters
            </Button>
          )}
        </div>
      )}
      {body}
    </div>
  )
}
