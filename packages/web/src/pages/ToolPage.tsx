import { useDeferredValue, useMemo, useState } from 'react'
import { Button, Input, Label, SearchField } from 'react-aria-components'
import { Link, useParams } from 'react-router'
import { hasStatus } from '../api/client.js'
import type { Action, AuthMethod, JsonSchema, Tool } from '../api/tools.js'
import { useTool } from '../api/tools.js'
import { EmptyState } from '../components/EmptyState.js'
import { ApiErrorDisplay } from '../components/ErrorHandler.js'
import { PageTitle } from '../components/PageTitle.js'
import { ToolNotFound } from '../components/ToolNotFound.js'
import { PageSkeleton } from '../components/Skeleton.js'
import '../styles/actions.css'

/** Above this many actions the list gets a filter box. */
const filterActionsAbove = 8

const kindLabels: Record<string, string> = {
  none: 'No credentials needed',
  api_key: 'API key',
  bearer: 'Bearer token',
  basic: 'Username and password',
  oauth2: 'OAuth 2.0',
  custom: 'Custom',
}

const sourceLabels: Record<Tool['source'], string> = {
  builtin: 'Built in',
  plugin: 'Plugin',
  imported: 'Imported from an OpenAPI document',
}

interface SchemaField {
  readonly name: string
  readonly title: string
  readonly description: string | null
  readonly required: boolean
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** The top-level fields of an object schema, in order, with their titles and whether they are required. */
function schemaFields(schema: JsonSchema): SchemaField[] {
  const properties = isRecord(schema.properties) ? schema.properties : {}
  const required = new Set(
    Array.isArray(schema.required) ? schema.required.filter((r) => typeof r === 'string') : [],
  )
  return Object.entries(properties).map(([name, property]) => ({
    name,
    title: isRecord(property) && typeof property.title === 'string' ? property.title : name,
    description: isRecord(property) && typeof property.description === 'string' ? property.description : null,
    required: required.has(name),
  }))
}

function AuthMethodItem({ method }: { method: AuthMethod }) {
  const fields = schemaFields(method.fields)
  return (
    <li className="card">
      <h3 className="card-title">{method.title}</h3>
      <p className="muted">
        {kindLabels[method.kind] ?? method.kind} · <code>{method.id}</code>
      </p>
      {fields.length > 0 && (
        <>
          <p>A credential of this kind stores:</p>
          <ul className="field-list">
            {fields.map((field) => (
              <li key={field.name}>
                <strong>{field.title}</strong> {field.required ? '(required)' : '(optional)'}
                {field.description !== null && <span className="muted"> — {field.description}</span>}
              </li>
            ))}
          </ul>
        </>
      )}
      {method.kind === 'oauth2' && method.scopes !== undefined && method.scopes.length > 0 && (
        <p>
          Scopes asked for: <span className="muted">{method.scopes.join(', ')}</span>
        </p>
      )}
    </li>
  )
}

function retryText(action: Action): string {
  const attempts = action.retry.maxAttempts === 1 ? '1 attempt' : `up to ${action.retry.maxAttempts} attempts`
  const idempotent =
    action.retry.idempotent === 'depends_on_input'
      ? 'idempotent depending on the input'
      : action.retry.idempotent
        ? 'idempotent'
        : 'not idempotent'
  return `${attempts}, ${idempotent}`
}

function ActionItem({ slug, action }: { slug: string; action: Action }) {
  return (
    <li className="card">
      <h3 className="card-title">{action.title}</h3>
      <p className="muted">
        <code>{action.id}</code>
      </p>
      {action.description !== '' && <p>{action.description}</p>}
      <p className="muted small">
        Runs for at most {Math.round(action.timeoutMs / 100) / 10} s · {retryText(action)}
        {action.scopes.length > 0 && <> · scopes: {action.scopes.join(', ')}</>}
      </p>
      <p>
        <Link
          className="button button-primary run-link"
          to={`/tools/${encodeURIComponent(slug)}/actions/${encodeURIComponent(action.name)}`}
        >
          Run<span className="visually-hidden"> {action.title}</span>
        </Link>
      </p>
    </li>
  )
}

function Actions({ tool }: { tool: Tool }) {
  const [filter, setFilter] = useState('')
  const deferredFilter = useDeferredValue(filter)
  const actions = useMemo(() => {
    const terms = deferredFilter.toLowerCase().split(/\s+/).filter(Boolean)
    if (terms.length === 0) return tool.actions
    return tool.actions.filter((a) => {
      const text = `${a.name.replace(/_/g, ' ')}\n${a.title}\n${a.description}`.toLowerCase()
      return terms.every((t) => text.includes(t))
    })
  }, [tool.actions, deferredFilter])

  if (tool.actions.length === 0) {
    return (
      <EmptyState title="This tool has no actions" headingLevel={3}>
        <p>
          {tool.source === 'imported'
            ? 'An imported tool gets one action per operation of its OpenAPI document. Import the document again once it describes operations (POST /v1/tools/import with the same slug replaces the tool).'
            : 'Its plugin declares none. Update the plugin to a version that defines actions, then restart the server.'}
        </p>
      </EmptyState>
    )
  }
  return (
    <>
      {tool.actions.length > filterActionsAbove && (
        <SearchField className="search-field" value={filter} onChange={setFilter}>
          <Label className="field-label">Filter actions</Label>
          <div className="search-field-box">
            <Input className="input" placeholder="Name or description" />
            <Button className="search-field-clear">×</Button>
          </div>
        </SearchField>
      )}
      {actions.length === 0 ? (
        <EmptyState
          title={`No actions match “${filter.trim()}”`}
          headingLevel={3}
          action={
            <Button
              className="button"
              onPress={() => {
                setFilter('')
              }}
            >
              Clear the filter
            </Button>
          }
        >
          <p>Try a shorter word, or what the action does, such as “create” or “list”.</p>
        </EmptyState>
      ) : (
        <ul className="card-list" aria-label="Actions">
          {actions.map((action) => (
            <ActionItem key={action.name} slug={tool.slug} action={action} />
          ))}
        </ul>
      )}
    </>
  )
}

function ToolDetails({ tool }: { tool: Tool }) {
  return (
    <>
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <ol>
          <li>
            <Link to="/tools">Tools</Link>
          </li>
          <li aria-current="page">{tool.name}</li>
        </ol>
      </nav>
      <PageTitle title={tool.name} />
      {tool.description !== '' && <p className="lede">{tool.description}</p>}
      <dl className="facts">
        <div>
          <dt>Slug</dt>
          <dd>
            <code>{tool.slug}</code>
          </dd>
        </div>
        <div>
          <dt>Version</dt>
          <dd>{tool.version}</dd>
        </div>
        <div>
          <dt>Source</dt>
          <dd>{sourceLabels[tool.source]}</dd>
        </div>
        {tool.categories.length > 0 && (
          <div>
            <dt>Categories</dt>
            <dd>{tool.categories.join(', ')}</dd>
          </div>
        )}
        {tool.baseUrl !== null && (
          <div>
            <dt>Base URL</dt>
            <dd>
              <code>{tool.baseUrl}</code>
            </dd>
          </div>
        )}
        <div>
          <dt>Health check</dt>
          <dd>{tool.healthCheck ? 'Credentials can be checked' : 'None'}</dd>
        </div>
      </dl>

      <section aria-labelledby="auth-heading" className="section">
        <h2 id="auth-heading">Authentication</h2>
        {tool.authMethods.some((m) => m.kind !== 'none') && (
          <p>
            <Link to={`/credentials?tool=${encodeURIComponent(tool.slug)}`}>Add a credential</Link> to run
            this tool’s actions with your account.
          </p>
        )}
        {tool.authMethods.length === 0 ? (
          <EmptyState title="No way to authenticate is declared" headingLevel={3}>
            <p>
              Credentials for this tool cannot be created until its plugin (or OpenAPI document) declares how
              it authenticates. Update it, then restart the server or import the document again.
            </p>
          </EmptyState>
        ) : (
          <ul className="card-list" aria-label="Authentication methods">
            {tool.authMethods.map((method) => (
              <AuthMethodItem key={method.id} method={method} />
            ))}
          </ul>
        )}
      </section>

      <section aria-labelledby="actions-heading" className="section">
        <h2 id="actions-heading">
          Actions <span className="count">({tool.actions.length})</span>
        </h2>
        <Actions tool={tool} />
      </section>

      <section aria-labelledby="triggers-heading" className="section">
        <h2 id="triggers-heading">Events</h2>
        {tool.triggers.length === 0 ? (
          <p className="muted">
            This tool sends no events to Toolplane; there is nothing to set up for it. Poll it with an action
            instead.
          </p>
        ) : (
          <ul className="card-list" aria-label="Events">
            {tool.triggers.map((trigger) => (
              <li key={trigger.event} className="card">
                <h3 className="card-title">{trigger.title}</h3>
                <p className="muted">
                  <code>{trigger.event}</code>
                </p>
                {trigger.description !== '' && <p>{trigger.description}</p>}
              </li>
            ))}
          </ul>
        )}
      </section>

      {tool.rateLimits.length > 0 && (
        <section aria-labelledby="limits-heading" className="section">
          <h2 id="limits-heading">Rate limits</h2>
          <ul className="plain-list">
            {tool.rateLimits.map((limit, i) => (
              <li key={i}>
                {limit.limit} calls per {limit.windowSeconds} s per {limit.scope}
                {limit.actions !== undefined && limit.actions.length > 0 && (
                  <span className="muted"> ({limit.actions.join(', ')})</span>
                )}
              </li>
            ))}
          </ul>
        </section>
      )}
    </>
  )
}

/** One tool: what it is, how it authenticates, its actions and events. */
export default function ToolPage() {
  const slug = useParams().slug ?? ''
  const tool = useTool(slug)
  if (tool.data !== undefined) return <ToolDetails tool={tool.data} />
  if (hasStatus(tool.error, 404)) {
    return <ToolNotFound slug={slug} />
  }
  if (tool.error !== null) {
    return <ApiErrorDisplay error={tool.error} focusOnMount onRetry={() => void tool.refetch()} />
  }
  return <PageSkeleton label="Loading the tool…" />
}
