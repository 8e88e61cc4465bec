import { useWindowVirtualizer } from '@tanstack/react-virtual'
import { memo, useCallback, useEffect, useMemo, useRef, useState } from 'react'
import type { KeyboardEvent, RefObject } from 'react'
import {
  Button,
  Disclosure,
  DisclosurePanel,
  Heading,
  Input,
  Label,
  ListBox,
  ListBoxItem,
  Popover,
  SearchField,
  Select,
  SelectValue,
  Text,
  TextField,
  ToggleButton,
} from 'react-aria-components'
import type { Key } from 'react-aria-components'
import { Link, useLocation, useNavigate, useSearchParams } from 'react-router'
import {
  executionStatuses,
  filtersFromParams,
  hasFilters,
  useExecutionList,
  useExecutionTail,
  withFilters,
} from '../api/execution-log.js'
import type { ExecutionFilters, FilterName } from '../api/execution-log.js'
import type { ExecutionStatus, ExecutionSummary } from '../api/executions.js'
import '../styles/executions.css'
import { EmptyState } from './EmptyState.js'
import { ApiErrorDisplay } from './ErrorHandler.js'
import { ExecutionStatusBadge, statusLabel } from './ExecutionStatus.js'
import { remInPixels, useActiveRangeExtractor, useListKeyboard, useScrollMargin } from './list-keyboard.js'
import { ListSkeleton } from './Skeleton.js'
import { formatDuration, useNow } from './time.js'
import { RelativeTime } from './Timestamp.js'

/** A row's height in rem: one height for every row, so the virtual list places rows without measuring. */
const rowHeightRem = 4
/** The next page is fetched when the last rendered row is this close to the end of what is loaded. */
export const nearEndRows = 30

/** The address's `execution` member: the execution whose detail is open. */
export const executionParam = 'execution'

/** What a drawer opened from the log carries in the history entry: closing it goes Back. */
export interface LogNavigationState {
  readonly fromLog?: boolean
}

/**
 * The rows to show: the loaded pages, with live executions merged in by id (a newer state replaces a
 * loaded row in place; a new execution goes where its id sorts, newest first). A live execution older
 * than everything loaded waits for its page, unless the log is complete.
 */
function mergeRows(
  loaded: readonly ExecutionSummary[],
  loadedIndex: ReadonlyMap<string, number>,
  live: readonly ExecutionSummary[],
  complete: boolean,
): readonly ExecutionSummary[] {
  if (live.length === 0) return loaded
  const replaced = new Map<number, ExecutionSummary>()
  const extra: ExecutionSummary[] = []
  const oldest = loaded.at(-1)?.id
  for (const item of live) {
    const at = loadedIndex.get(item.id)
    if (at !== undefined) replaced.set(at, item)
    else if (complete || oldest === undefined || item.id > oldest) extra.push(item)
  }
  if (replaced.size === 0 && extra.length === 0) return loaded
  // Both are newest first: one merge pass.
  const rows: ExecutionSummary[] = []
  let e = 0
  loaded.forEach((loadedRow, i) => {
    const row = replaced.get(i) ?? loadedRow
    for (let next = extra[e]; next !== undefined && next.id > row.id; next = extra[++e]) rows.push(next)
    rows.push(row)
  })
  rows.push(...extra.slice(e))
  return rows
}

interface ExecutionRowProps {
  readonly execution: ExecutionSummary
  readonly index: number
  readonly active: boolean
  /** -1 while more pages may follow. */
  readonly setSize: number
  readonly offset: number
  /** The filters' query string, which the row's link keeps. */
  readonly search: string
  readonly now: number
}

/** One execution. Memoised: a new page or a live event re-renders only rows whose data or place changed. */
const ExecutionRow = memo(function ExecutionRow({
  execution,
  index,
  active,
  setSize,
  offset,
  search,
  now,
}: ExecutionRowProps) {
  const params = new URLSearchParams(search)
  params.set(executionParam, execution.id)
  const attempts = execution.attempts === 1 ? '1 attempt' : `${execution.attempts} attempts`
  const state: LogNavigationState = { fromLog: true }
  return (
    <li
      className="execution-row"
      data-index={index}
      data-status={execution.status}
      aria-setsize={setSize}
      aria-posinset={index + 1}
      style={{ transform: `translateY(${offset}px)` }}
    >
      <Link
        to={{ search: `?${params.toString()}` }}
        state={state}
        className="execution-row-link"
        tabIndex={active ? 0 : -1}
      >
        <span className="execution-row-head">
          <ExecutionStatusBadge status={execution.status} />
          <span className="execution-row-action">{execution.action}</span>
        </span>
        <span className="execution-row-meta">
          <RelativeTime iso={execution.createdAt} now={now} />
          {execution.durationMs !== null && <> · {formatDuration(execution.durationMs)}</>}
          {execution.attempts > 0 && <> · {attempts}</>}
          {execution.errorClass !== null && (
            <>
              {' · '}
              <code className="execution-row-error">{execution.errorClass}</code>
            </>
          )}
        </span>
      </Link>
    </li>
  )
})

/** The text filters, typed into and written to the address after a pause. */
type TextFilter = Exclude<FilterName, 'status'>
/** The filters behind "More filters". */
const moreFilters: readonly TextFilter[] = ['tool', 'action', 'credentialId', 'batchId', 'from', 'to']

/** `2026-01-15T12:00:00.000Z` → `2026-01-15T13:00` in the reader's time zone (what datetime-local shows). */
function toLocalInput(iso: string | undefined): string {
  if (iso === undefined) return ''
  const date = new Date(iso)
  if (Number.isNaN(date.getTime())) return ''
  const local = new Date(date.getTime() - date.getTimezoneOffset() * 60_000)
  return local.toISOString().slice(0, 16)
}

/** A datetime-local value as ISO 8601 in UTC; undefined when empty or incomplete. */
function fromLocalInput(value: string): string | undefined {
  if (value === '') return undefined
  const at = new Date(value)
  return Number.isNaN(at.getTime()) ? undefined : at.toISOString()
}

type Drafts = Record<TextFilter, string>

function draftsOf(filters: ExecutionFilters): Drafts {
  return {
    q: filters.q ?? '',
    tool: filters.tool ?? '',
    action: filters.action ?? '',
    credentialId: filters.credentialId ?? '',
    batchId: filters.batchId ?? '',
    from: toLocalInput(filters.from),
    to: toLocalInput(filters.to),
  }
}

function filtersOf(drafts: Drafts, status: ExecutionStatus | undefined): ExecutionFilters {
  const trimmed = (value: string) => (value.trim() === '' ? undefined : value.trim())
  const entries: [FilterName, string | undefined][] = [
    ['status', status],
    ['tool', trimmed(drafts.tool)],
    ['action', trimmed(drafts.action)],
    ['credentialId', trimmed(drafts.credentialId)],
    ['batchId', trimmed(drafts.batchId)],
    ['from', fromLocalInput(drafts.from)],
    ['to', fromLocalInput(drafts.to)],
    ['q', trimmed(drafts.q)],
  ]
  const filters: Partial<Record<FilterName, string>> = {}
  for (const [name, value] of entries) if (value !== undefined) filters[name] = value
  return filters as ExecutionFilters
}

function sameFilters(a: ExecutionFilters, b: ExecutionFilters): boolean {
  return withFilters(new URLSearchParams(), a).toString() === withFilters(new URLSearchParams(), b).toString()
}

interface FilterBarProps {
  readonly filters: ExecutionFilters
  /** `field`: the text field being typed in (its writes replace each other), or null for a choice. */
  readonly onChange: (next: ExecutionFilters, field: TextFilter | null) => void
  readonly delayMs: number
  readonly searchInput: RefObject<HTMLInputElement | null>
  readonly onSearchKeyDown: (event: KeyboardEvent<HTMLInputElement>) => void
  readonly listId: string | undefined
  /** Whether "More filters" is open; kept by the parent so it survives the form starting again. */
  readonly moreOpen: boolean
  readonly onMoreOpenChange: (open: boolean) => void
}

const anyStatus = 'any'

function FilterBar({
  filters,
  onChange,
  delayMs,
  searchInput,
  onSearchKeyDown,
  listId,
  moreOpen: expanded,
  onMoreOpenChange: setExpanded,
}: FilterBarProps) {
  const [drafts, setDrafts] = useState<Drafts>(() => draftsOf(filters))
  const lastField = useRef<TextFilter | null>(null)

  // Typing waits for a pause before the address (and so the search) changes.
  const latest = useRef({ filters, onChange })
  latest.current = { filters, onChange }
  useEffect(() => {
    const timer = setTimeout(() => {
      const { filters: current, onChange: change } = latest.current
      const next = filtersOf(drafts, current.status)
      if (!sameFilters(next, current)) change(next, lastField.current)
    }, delayMs)
    return () => {
      clearTimeout(timer)
    }
  }, [drafts, delayMs])

  const edit = (name: TextFilter) => (value: string) => {
    lastField.current = name
    setDrafts((current) => ({ ...current, [name]: value }))
  }

  const textField = (name: TextFilter, label: string, description?: string) => (
    <TextField className="field" value={drafts[name]} onChange={edit(name)}>
      <Label className="field-label">{label}</Label>
      <Input className="input" spellCheck={false} autoComplete="off" />
      {description !== undefined && (
        <Text slot="description" className="field-description">
          {description}
        </Text>
      )}
    </TextField>
  )

  const timeField = (name: 'from' | 'to', label: string) => (
    <TextField className="field" value={drafts[name]} onChange={edit(name)}>
      <Label className="field-label">{label}</Label>
      <Input className="input" type="datetime-local" />
    </TextField>
  )

  return (
    <div className="execution-filters" role="search" aria-label="Filter executions">
      <div className="execution-filters-main">
        <SearchField className="search-field" value={drafts.q} onChange={edit('q')}>
          <Label className="field-label">Search executions</Label>
          <div className="search-field-box">
            <Input
              ref={searchInput}
              className="input"
              placeholder="Action, error or input words"
              aria-controls={listId}
              onKeyDown={onSearchKeyDown}
            />
            <Button className="search-field-clear">×</Button>
          </div>
          <Text slot="description" className="field-description">
            Words match by prefix. ↓ moves into the results.
          </Text>
        </SearchField>
        <Select
          className="field execution-status-select"
          value={filters.status ?? anyStatus}
          onChange={(key: Key | null) => {
            const status = key === anyStatus || key === null ? undefined : (String(key) as ExecutionStatus)
            onChange(filtersOf(drafts, status), null)
          }}
        >
          <Label className="field-label">Status</Label>
          <Button className="button select-button">
            <SelectValue />
            <span aria-hidden="true">▾</span>
          </Button>
          <Popover className="select-popover">
            <ListBox className="select-list">
              <ListBoxItem id={anyStatus} className="select-option">
                Any status
              </ListBoxItem>
              {executionStatuses.map((status) => (
                <ListBoxItem key={status} id={status} className="select-option">
                  {statusLabel(status)}
                </ListBoxItem>
              ))}
            </ListBox>
          </Popover>
        </Select>
      </div>
      <Disclosure className="execution-more-filters" isExpanded={expanded} onExpandedChange={setExpanded}>
        <Heading level={2} className="execution-more-heading">
          <Button slot="trigger" className="button button-quiet">
            <span aria-hidden="true">{expanded ? '▾' : '▸'}</span> More filters
          </Button>
        </Heading>
        <DisclosurePanel className="execution-more-panel">
          {textField('tool', 'Tool', 'Its slug, such as github.')}
          {textField('action', 'Action', 'tool.action, such as github.create_issue.')}
          {textField('credentialId', 'Credential id')}
          {textField('batchId', 'Batch id')}
          {timeField('from', 'Created from')}
          {timeField('to', 'Created before')}
        </DisclosurePanel>
      </Disclosure>
    </div>
  )
}

export interface ExecutionLogsViewerProps {
  /** How long typing in the search and text filters waits before searching, in milliseconds. */
  readonly searchDelayMs?: number
  /** Executions per page. */
  readonly pageSize?: number
}

/**
 * The execution log: newest first, searched and filtered on the server, loaded one cursor page at a
 * time as the user scrolls near the end, with only the rows in view rendered (it stays smooth over
 * 100,000 executions). The filters and search live in the address, so a link reproduces the view and
 * Back undoes a change. A live tail adds executions as they run and can be paused ("N new" then
 * resumes). Keyboard: ↓ from the search box into the list, ↑ ↓ Home End PageUp PageDown through it,
 * Enter opens an execution's detail (`?execution={id}`).
 *
 * @example
 * <ExecutionLogsViewer />
 */
export function ExecutionLogsViewer({ searchDelayMs = 300, pageSize }: ExecutionLogsViewerProps) {
  const [params] = useSearchParams()
  const location = useLocation()
  const navigate = useNavigate()
  const filterSearch = withFilters(new URLSearchParams(), filtersFromParams(params)).toString()
  const filters = useMemo(() => filtersFromParams(new URLSearchParams(filterSearch)), [filterSearch])
  const filtering = hasFilters(filters)

  // The filter form holds what is being typed. When the address changes by other means (Back, a
  // link, "Clear filters") the form starts again from the address.
  const written = useRef(filterSearch)
  const [formKey, setFormKey] = useState(0)
  useEffect(() => {
    if (written.current !== filterSearch) {
      written.current = filterSearch
      setFormKey((k) => k + 1)
    }
  }, [filterSearch])

  const [moreOpen, setMoreOpen] = useState(() => moreFilters.some((name) => filters[name] !== undefined))

  const lastTextField = useRef<TextFilter | null>(null)
  const writeFilters = useCallback(
    (next: ExecutionFilters, field: TextFilter | null) => {
      const search = withFilters(new URLSearchParams(location.search), next)
      search.delete(executionParam)
      written.current = withFilters(new URLSearchParams(), next).toString()
      // Typing on in the same field replaces its entry, so Back undoes a search, not each pause in it.
      const replace = field !== null && field === lastTextField.current
      lastTextField.current = field
      const text = search.toString()
      void navigate({ search: text === '' ? '' : `?${text}` }, { replace })
    },
    [location.search, navigate],
  )
  const clearFilters = () => {
    lastTextField.current = null
    void navigate({ search: '' })
    searchInput.current?.focus()
  }

  const list = useExecutionList(filters, pageSize)
  const pages = list.data?.pages
  const loaded = useMemo(() => pages?.flatMap((page) => page.data) ?? [], [pages])
  const loadedIndex = useMemo(() => new Map(loaded.map((row, i) => [row.id, i])), [loaded])
  const complete = list.data !== undefined && !list.hasNextPage

  const [live, setLive] = useState(false)
  const known = useCallback((id: string) => loadedIndex.has(id), [loadedIndex])
  const tail = useExecutionTail({ filters, enabled: live, known })
  const rows = useMemo(
    () => mergeRows(loaded, loadedIndex, tail.items, complete),
    [loaded, loadedIndex, tail.items, complete],
  )

  const now = useNow()
  const listRef = useRef<HTMLUListElement>(null)
  const searchInput = useRef<HTMLInputElement>(null)

  // The active row (the one in the tab order), followed by id so live rows arriving above keep it.
  const [activeState, setActiveState] = useState<{ id: string | null; index: number }>({
    id: null,
    index: 0,
  })
  let active = 0
  if (rows.length > 0) {
    const at = Math.min(activeState.index, rows.length - 1)
    if (activeState.id === null || rows[at]?.id === activeState.id) active = at
    else {
      const found = rows.findIndex((row) => row.id === activeState.id)
      active = found === -1 ? at : found
    }
  }

  const [rowHeight] = useState(() => remInPixels() * rowHeightRem)
  const scrollMargin = useScrollMargin(listRef)
  const rangeExtractor = useActiveRangeExtractor(active)
  const virtualizer = useWindowVirtualizer({
    count: rows.length,
    estimateSize: () => rowHeight,
    overscan: 8,
    scrollMargin,
    rangeExtractor,
    getItemKey: (i) => rows[i]?.id ?? i,
  })
  const items = virtualizer.getVirtualItems()
  const lastRendered = items.at(-1)?.index ?? -1

  // Near the end of what is loaded, the next page; never more than one request at a time.
  const { hasNextPage, isFetchingNextPage, isFetchNextPageError, fetchNextPage } = list
  useEffect(() => {
    if (!hasNextPage || isFetchingNextPage || isFetchNextPageError) return
    if (rows.length > 0 && lastRendered >= rows.length - nearEndRows) void fetchNextPage()
  }, [lastRendered, rows.length, hasNextPage, isFetchingNextPage, isFetchNextPageError, fetchNextPage])

  const { onListKeyDown, onListFocus, onSearchKeyDown } = useListKeyboard({
    count: rows.length,
    active,
    setActive: (index) => {
      setActiveState({ id: rows[index]?.id ?? null, index })
    },
    list: listRef,
    searchInput,
    beforeFocus: (index) => {
      virtualizer.scrollToIndex(index, { align: 'auto' })
    },
  })

  const listId = 'execution-log-list'
  const showsList = rows.length > 0
  const countText = complete
    ? `${rows.length.toLocaleString()} ${rows.length === 1 ? 'execution' : 'executions'}`
    : `${rows.length.toLocaleString()} executions loaded; more load as you scroll`

  let body
  if (list.data === undefined && list.error !== null) {
    body = <ApiErrorDisplay error={list.error} onRetry={() => void list.refetch()} />
  } else if (list.data === undefined) {
    body = <ListSkeleton rows={8} label="Loading executions…" />
  } else if (rows.length === 0 && !filtering) {
    body = (
      <EmptyState
        title="No executions yet"
        action={
          <Link className="button button-primary" to="/tools">
            Run an action
          </Link>
        }
      >
        <p>
          Every action run here, through the API, by a batch or by an agent is recorded in this log. Pick a
          tool and run one of its actions to see it appear.
        </p>
      </EmptyState>
    )
  } else if (rows.length === 0) {
    body = (
      <EmptyState
        title="No executions match these filters"
        action={
          <Button className="button" onPress={clearFilters}>
            Clear filters
          </Button>
        }
      >
        <p>
          Try fewer words or a wider time range. The search matches words by their beginning in the action,
          the error and the input and output.
        </p>
      </EmptyState>
    )
  } else {
    const search = withFilters(new URLSearchParams(), filters).toString()
    const setSize = complete ? rows.length : -1
    body = (
      <>
        <ul
          ref={listRef}
          id={listId}
          className="execution-list"
          role="list"
          aria-label="Executions"
          aria-busy={list.isFetching && !isFetchingNextPage}
          style={{ height: virtualizer.getTotalSize() }}
          onKeyDown={onListKeyDown}
          onFocus={onListFocus}
        >
          {items.map((item) => {
            const execution = rows[item.index]
            if (execution === undefined) return null
            return (
              <ExecutionRow
                key={execution.id}
                execution={execution}
                index={item.index}
                active={item.index === active}
                setSize={setSize}
                offset={item.start - scrollMargin}
                search={search}
                now={now}
              />
            )
          })}
        </ul>
        {isFetchingNextPage && <ListSkeleton rows={2} label="Loading more executions…" />}
        {isFetchNextPageError && (
          <ApiErrorDisplay
            error={list.error}
            title="Could not load more executions"
            headingLevel={3}
            onRetry={() => void fetchNextPage()}
          />
        )}
        {complete && rows.length > 20 && <p className="muted execution-log-end">The start of the log.</p>}
      </>
    )
  }

  return (
    <div className="execution-log">
      <FilterBar
        key={formKey}
        filters={filters}
        onChange={writeFilters}
        delayMs={searchDelayMs}
        searchInput={searchInput}
        onSearchKeyDown={onSearchKeyDown}
        listId={showsList ? listId : undefined}
        moreOpen={moreOpen}
        onMoreOpenChange={setMoreOpen}
      />
      <div className="result-bar execution-result-bar">
        <p className="result-count" role="status">
          {list.data === undefined ? '' : countText}
        </p>
        <div className="execution-live">
          {filtering && rows.length > 0 && (
            <Button className="button button-quiet" onPress={clearFilters}>
              Clear filters
            </Button>
          )}
          <ToggleButton className="button execution-live-toggle" isSelected={live} onChange={setLive}>
            <span aria-hidden="true" className="execution-live-dot" />
            Live tail
          </ToggleButton>
          {live && (
            <ToggleButton
              className="button"
              isSelected={tail.paused}
              onChange={(pause) => {
                if (pause) tail.pause()
                else tail.resume()
              }}
            >
              Pause
            </ToggleButton>
          )}
          {live && tail.paused && tail.newCount > 0 && (
            <Button className="button button-primary" onPress={tail.resume}>
              {tail.newCount.toLocaleString()} new
            </Button>
          )}
        </div>
      </div>
      <p className="execution-live-status muted small" role="status">
        {tailStatus(live, tail.connection, tail.paused, tail.newCount, tail.retryInMs)}
      </p>
      {body}
    </div>
  )
}

function tailStatus(
  live: boolean,
  connection: string,
  paused: boolean,
  newCount: number,
  retryInMs: number | null,
): string {
  if (!live) return ''
  if (connection === 'connecting') return 'Live tail: connecting…'
  if (connection === 'reconnecting') {
    return retryInMs === null
      ? 'Live tail: reconnecting…'
      : `Live tail: connection lost, trying again in ${Math.round(retryInMs / 1000)} s.`
  }
  if (paused) {
    const held = newCount === 1 ? '1 new execution' : `${newCount.toLocaleString()} new executions`
    return `Live tail paused: ${held} waiting.`
  }
  return 'Live tail on: new executions appear at the top.'
}
