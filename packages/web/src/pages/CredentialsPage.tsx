import { useWindowVirtualizer } from '@tanstack/react-virtual'
import { memo, useEffect, useMemo, useRef } from 'react'
import { Button, Label, ListBox, ListBoxItem, Popover, Select, SelectValue } from 'react-aria-components'
import type { Key } from 'react-aria-components'
import { Link, useLocation, useNavigate, useSearchParams } from 'react-router'
import { ApiError } from '../api/client.js'
import type { Credential } from '../api/credentials.js'
import { useCredentials } from '../api/credentials.js'
import type { ToolSummary } from '../api/tools.js'
import { useTools } from '../api/tools.js'
import { CredentialHealthIndicator } from '../components/CredentialHealthIndicator.js'
import { LiveRelativeTime } from '../components/Timestamp.js'
import { EmptyState } from '../components/EmptyState.js'
import { ApiErrorDisplay } from '../components/ErrorHandler.js'
import { PageTitle } from '../components/PageTitle.js'
import { useScrollMargin } from '../components/list-keyboard.js'
import { ListSkeleton } from '../components/Skeleton.js'
import { ToolCredentialManager } from '../components/ToolCredentialManager.js'
import '../styles/credentials.css'

/** Above this many credentials the list renders only the rows in view. */
export const virtualizeCredentialsAbove = 100

/** A row's estimated height in pixels, before it is measured. */
const estimatedRowHeight = 76

interface RowProps {
  readonly credential: Credential
  readonly tool: ToolSummary | undefined
  readonly index: number
  readonly setSize: number
  readonly offset: number | null
  readonly measure?: (element: HTMLElement | null) => void
}

const CredentialRow = memo(function CredentialRow({
  credential,
  tool,
  index,
  setSize,
  offset,
  measure,
}: RowProps) {
  const method = tool?.authMethods.find((m) => m.id === credential.authMethod)
  return (
    <li
      ref={measure}
      className="cred-row"
      data-index={index}
      aria-setsize={setSize}
      aria-posinset={index + 1}
      style={offset === null ? undefined : { transform: `translateY(${offset}px)` }}
    >
      <span className="cred-row-main">
        <Link className="cred-row-name" to={`/credentials/${encodeURIComponent(credential.id)}`}>
          {credential.name}
        </Link>
        <span className="cred-row-meta muted">
          {tool?.name ?? credential.tool} · {method?.title ?? credential.authMethod}
          {credential.externalUserId !== null && <> · for {credential.externalUserId}</>}
        </span>
      </span>
      <span className="cred-row-health">
        <CredentialHealthIndicator credential={credential} compact />
      </span>
      <span className="cred-row-checked muted">
        {credential.lastCheckedAt === null ? (
          'Never checked'
        ) : (
          <>
            Checked <LiveRelativeTime iso={credential.lastCheckedAt} />
          </>
        )}
      </span>
    </li>
  )
})

function CredentialList({
  credentials,
  tools,
}: {
  credentials: readonly Credential[]
  tools: ReadonlyMap<string, ToolSummary>
}) {
  const list = useRef<HTMLUListElement>(null)
  const virtual = credentials.length > virtualizeCredentialsAbove
  const scrollMargin = useScrollMargin(list)
  const virtualizer = useWindowVirtualizer({
    count: virtual ? credentials.length : 0,
    estimateSize: () => estimatedRowHeight,
    overscan: 8,
    scrollMargin,
    getItemKey: (i) => credentials[i]?.id ?? i,
  })
  const items = virtual ? virtualizer.getVirtualItems() : null
  return (
    <ul
      ref={list}
      className="cred-list"
      aria-label="Credentials"
      data-virtual={virtual ? '' : undefined}
      style={virtual ? { height: virtualizer.getTotalSize() } : undefined}
    >
      {items === null
        ? credentials.map((credential, i) => (
            <CredentialRow
              key={credential.id}
              credential={credential}
              tool={tools.get(credential.tool)}
              index={i}
              setSize={credentials.length}
              offset={null}
            />
          ))
        : items.map((item) => {
            const credential = credentials[item.index]
            if (credential === undefined) return null
            return (
              <CredentialRow
                key={credential.id}
                credential={credential}
                tool={tools.get(credential.tool)}
                index={item.index}
                setSize={credentials.length}
                offset={item.start - scrollMargin}
                measure={virtualizer.measureElement}
              />
            )
          })}
    </ul>
  )
}

/**
 * The workspace's credentials: each with its tool, auth method, health and last check, filtered by
 * tool (`?filter=`), and "Add a credential" (`?tool=` opens it for that tool). Coming back from an
 * OAuth provider (`?credentialId=`) opens the new credential.
 */
export default function CredentialsPage() {
  const [params, setParams] = useSearchParams()
  const navigate = useNavigate()
  const location = useLocation()
  const filter = params.get('filter')
  const adding = params.has('tool')
  const addTool = params.get('tool') ?? ''
  const returned = params.get('credentialId')
  // A connection the provider refused (or whose code exchange failed) comes back with the problem.
  const oauthCode = params.get('error')
  const oauthError = useMemo(
    () =>
      oauthCode === null
        ? null
        : new ApiError({
            status: 400,
            code: oauthCode,
            title: 'Connecting the account did not work',
            detail: params.get('error_description') ?? 'The provider did not connect the account.',
          }),
    [oauthCode, params],
  )
  const tools = useTools()
  const list = useCredentials({ tool: filter })
  const deleted = (location.state as { deleted?: string } | null)?.deleted ?? null

  useEffect(() => {
    // The OAuth callback sends the browser back here with the new credential's id.
    if (returned !== null) {
      void navigate(`/credentials/${encodeURIComponent(returned)}?connected=1`, { replace: true })
    }
  }, [returned, navigate])

  const toolsBySlug = useMemo(() => new Map((tools.data ?? []).map((t) => [t.slug, t])), [tools.data])
  const credentials = useMemo(() => list.data?.pages.flatMap((p) => p.data) ?? [], [list.data])
  const filterName = filter === null ? null : (toolsBySlug.get(filter)?.name ?? filter)

  const update = (change: (next: URLSearchParams) => void) => {
    const next = new URLSearchParams(params)
    change(next)
    setParams(next, { replace: false })
  }
  const openAdd = (tool: string | null) => {
    update((next) => {
      next.set('tool', tool ?? '')
    })
  }
  const closeAdd = () => {
    update((next) => {
      next.delete('tool')
    })
  }
  const setFilter = (tool: string | null) => {
    update((next) => {
      if (tool === null) next.delete('filter')
      else next.set('filter', tool)
    })
  }

  let body
  if (list.error !== null && list.data === undefined) {
    body = <ApiErrorDisplay error={list.error} onRetry={() => void list.refetch()} />
  } else if (list.data === undefined) {
    body = <ListSkeleton rows={5} label="Loading credentials…" />
  } else if (credentials.length === 0 && filter === null) {
    body = (
      <EmptyState
        title="No credentials yet"
        action={
          adding ? undefined : (
            <Button
              className="button button-primary"
              onPress={() => {
                openAdd(null)
              }}
            >
              Connect your first tool
            </Button>
          )
        }
      >
        <p>
          A credential stores how Toolplane signs in to a tool — a token, a key or an OAuth connection — so
          actions can run with it. Its secrets are encrypted and never shown again.
        </p>
      </EmptyState>
    )
  } else if (credentials.length === 0) {
    body = (
      <EmptyState
        title={`No credentials for ${filterName ?? ''}`}
        action={
          <div className="button-row">
            <Button
              className="button button-primary"
              onPress={() => {
                openAdd(filter)
              }}
            >
              Add one for {filterName}
            </Button>
            <Button
              className="button"
              onPress={() => {
                setFilter(null)
              }}
            >
              Show all tools
            </Button>
          </div>
        }
      >
        <p>None of this workspace’s credentials is for {filterName}.</p>
      </EmptyState>
    )
  } else {
    body = (
      <>
        <p className="result-count" role="status">
          {credentials.length.toLocaleString()}
          {list.hasNextPage ? '+' : ''} {credentials.length === 1 ? 'credential' : 'credentials'}
          {filterName !== null && ` for ${filterName}`}
        </p>
        <CredentialList credentials={credentials} tools={toolsBySlug} />
        {list.hasNextPage && (
          <div className="button-row">
            <Button
              className="button"
              isPending={list.isFetchingNextPage}
              onPress={() => void list.fetchNextPage()}
            >
              {list.isFetchingNextPage ? 'Loading more…' : 'Load more credentials'}
            </Button>
          </div>
        )}
        {list.error !== null && (
          <ApiErrorDisplay error={list.error} headingLevel={3} onRetry={() => void list.fetchNextPage()} />
        )}
      </>
    )
  }

  return (
    <>
      <PageTitle title="Credentials" />
      <p className="lede">
        How Toolplane signs in to each tool. Check their health, troubleshoot one that fails, or add another.
      </p>
      {oauthError !== null && (
        <ApiErrorDisplay
          error={oauthError}
          retryLabel="Dismiss"
          onRetry={() => {
            update((next) => {
              next.delete('error')
              next.delete('error_description')
            })
          }}
        >
          <p>Start the connection again from “Add a credential”, or check the tool’s OAuth app settings.</p>
        </ApiErrorDisplay>
      )}
      {deleted !== null && (
        <p role="status" className="notice notice-compact notice-info">
          “{deleted}” was deleted.
        </p>
      )}
      {adding ? (
        <ToolCredentialManager
          key={addTool}
          mode="create"
          initialTool={addTool === '' ? null : addTool}
          onCreated={(credential) => {
            void navigate(`/credentials/${encodeURIComponent(credential.id)}`)
          }}
          onCancel={closeAdd}
          oauthReturnPath="/credentials"
        />
      ) : (
        <div className="cred-toolbar">
          <Button
            className="button button-primary"
            onPress={() => {
              openAdd(filter)
            }}
          >
            Add a credential
          </Button>
        </div>
      )}
      <section className="section" aria-labelledby="credential-list-heading">
        <h2 id="credential-list-heading" className="visually-hidden">
          Your credentials
        </h2>
        {tools.data !== undefined && (credentials.length > 0 || filter !== null) && (
          <Select
            className="field cred-filter"
            value={filter ?? ''}
            onChange={(key: Key | null) => {
              setFilter(key === null || key === '' ? null : String(key))
            }}
          >
            <Label className="field-label">Show credentials of</Label>
            <Button className="input select-button">
              <SelectValue />
              <span aria-hidden="true">▾</span>
            </Button>
            <Popover className="select-popover">
              <ListBox
                className="select-list"
                items={[
                  { slug: '', name: 'All tools' },
                  ...tools.data.map((t) => ({ slug: t.slug, name: t.name })),
                ]}
              >
                {(tool) => (
                  <ListBoxItem className="select-option" id={tool.slug} textValue={tool.name}>
                    {tool.name}
                  </ListBoxItem>
                )}
              </ListBox>
            </Popover>
          </Select>
        )}
        {body}
      </section>
    </>
  )
}
