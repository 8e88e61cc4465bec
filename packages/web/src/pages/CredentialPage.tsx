import { useRef, useState } from 'react'
import { Button } from 'react-aria-components'
import { Link, useNavigate, useParams, useSearchParams } from 'react-router'
import { hasStatus } from '../api/client.js'
import type { Credential, HealthCheckOutcome } from '../api/credentials.js'
import { useCheckCredential, useCredential } from '../api/credentials.js'
import type { Tool } from '../api/tools.js'
import { useTool } from '../api/tools.js'
import { CredentialHealthIndicator } from '../components/CredentialHealthIndicator.js'
import { LiveRelativeTime } from '../components/Timestamp.js'
import { CredentialTroubleshooter } from '../components/CredentialTroubleshooter.js'
import { ApiErrorDisplay } from '../components/ErrorHandler.js'
import { PageTitle } from '../components/PageTitle.js'
import { PageSkeleton } from '../components/Skeleton.js'
import type { EditFocus } from '../components/ToolCredentialManager.js'
import {
  authFields,
  DeleteCredentialButton,
  ToolCredentialManager,
} from '../components/ToolCredentialManager.js'
import '../styles/credentials.css'

function checkMessage(check: HealthCheckOutcome): string {
  if (!check.checked)
    return `This tool has no health check, so nothing was called. ${check.detail ?? ''}`.trim()
  if (check.ok) return `The check passed${check.detail === undefined ? '' : `: ${check.detail}`}.`
  const detail = check.detail ?? 'the tool refused the request'
  return `The check failed: ${detail}${check.errorClass === undefined ? '' : ` (${check.errorClass})`}.`
}

function Health({ credential }: { credential: Credential }) {
  const check = useCheckCredential(credential.id)
  return (
    <section className="section" aria-labelledby="health-heading">
      <h2 id="health-heading">Health</h2>
      <CredentialHealthIndicator credential={credential} />
      <div className="button-row">
        <Button
          className="button"
          isPending={check.isPending}
          onPress={() => {
            check.mutate()
          }}
        >
          {check.isPending ? 'Checking…' : 'Check now'}
        </Button>
      </div>
      <p role="status" className="cred-live">
        {check.isPending ? 'Checking…' : check.data === undefined ? '' : checkMessage(check.data.check)}
      </p>
      {check.error !== null && (
        <ApiErrorDisplay
          error={check.error}
          headingLevel={3}
          title="The check could not be run"
          onRetry={() => {
            check.mutate()
          }}
        />
      )}
    </section>
  )
}

function Fields({ credential, tool }: { credential: Credential; tool: Tool | undefined }) {
  const method = tool?.authMethods.find((m) => m.id === credential.authMethod)
  const titles = new Map(
    (method === undefined ? [] : authFields(method.fields)).map((f) => [f.name, f.title]),
  )
  const entries = Object.entries(credential.fields)
  return (
    <section className="section" aria-labelledby="fields-heading">
      <h2 id="fields-heading">Secret fields</h2>
      {entries.length === 0 ? (
        <p className="muted">This auth method stores no secrets.</p>
      ) : (
        <dl className="facts cred-fields">
          {entries.map(([name, field]) => (
            <div key={name}>
              <dt>{titles.get(name) ?? name}</dt>
              <dd>
                {field.set ? (
                  <>
                    Set
                    {field.hint !== null && (
                      <>
                        <span className="visually-hidden">, ends with</span> <code>{field.hint}</code>
                      </>
                    )}
                  </>
                ) : (
                  <span className="muted">Not set</span>
                )}
              </dd>
            </div>
          ))}
        </dl>
      )}
      <p className="field-description">
        Secrets are never shown: only whether each is set, and its last characters.
      </p>
    </section>
  )
}

function Details({ credential, tool }: { credential: Credential; tool: Tool | undefined }) {
  const method = tool?.authMethods.find((m) => m.id === credential.authMethod)
  return (
    <section className="section" aria-labelledby="details-heading">
      <h2 id="details-heading">Details</h2>
      <dl className="facts">
        <div>
          <dt>Tool</dt>
          <dd>
            <Link to={`/tools/${encodeURIComponent(credential.tool)}`}>{tool?.name ?? credential.tool}</Link>
          </dd>
        </div>
        <div>
          <dt>Auth method</dt>
          <dd>
            {method?.title ?? credential.authMethod} <code>{credential.authMethod}</code>
          </dd>
        </div>
        <div>
          <dt>End user</dt>
          <dd>{credential.externalUserId ?? <span className="muted">None (the workspace’s own)</span>}</dd>
        </div>
        <div>
          <dt>Base URL</dt>
          <dd>
            {credential.baseUrl !== null ? (
              <code>{credential.baseUrl}</code>
            ) : tool?.baseUrl != null ? (
              <>
                The tool’s, <code>{tool.baseUrl}</code>
              </>
            ) : (
              <span className="muted">None</span>
            )}
          </dd>
        </div>
        {credential.expiresAt !== null && (
          <div>
            <dt>Token expires</dt>
            <dd>
              <LiveRelativeTime iso={credential.expiresAt} />
            </dd>
          </div>
        )}
        <div>
          <dt>Last used</dt>
          <dd>
            {credential.lastUsedAt === null ? 'Never' : <LiveRelativeTime iso={credential.lastUsedAt} />}
          </dd>
        </div>
        <div>
          <dt>Created</dt>
          <dd>
            <LiveRelativeTime iso={credential.createdAt} />
          </dd>
        </div>
        <div>
          <dt>Updated</dt>
          <dd>
            <LiveRelativeTime iso={credential.updatedAt} />
          </dd>
        </div>
        <div>
          <dt>Id</dt>
          <dd>
            <code>{credential.id}</code>
          </dd>
        </div>
      </dl>
    </section>
  )
}

function Use({ credential, tool }: { credential: Credential; tool: Tool | undefined }) {
  const id = encodeURIComponent(credential.id)
  const slug = encodeURIComponent(credential.tool)
  return (
    <section className="section" aria-labelledby="use-heading">
      <h2 id="use-heading">Use it</h2>
      <ul className="plain-list cred-links">
        <li>
          <Link to={`/executions?credentialId=${id}`}>Executions that used {credential.name}</Link>
        </li>
        {tool?.actions.map((action) => (
          <li key={action.name}>
            <Link to={`/tools/${slug}/actions/${encodeURIComponent(action.name)}?credentialId=${id}`}>
              Run “{action.title}”
            </Link>
          </li>
        ))}
        {tool === undefined && (
          <li>
            <Link to={`/tools/${slug}`}>The tool’s actions</Link>
          </li>
        )}
      </ul>
    </section>
  )
}

function CredentialDetails({ credential }: { credential: Credential }) {
  const [params, setParams] = useSearchParams()
  const navigate = useNavigate()
  const tool = useTool(credential.tool)
  const [editing, setEditing] = useState<EditFocus | null>(null)
  const [saved, setSaved] = useState(false)
  const troubleshootParam = params.get('troubleshoot') === '1'
  const [troubleshooting, setTroubleshooting] = useState(troubleshootParam)
  const connected = params.get('connected') === '1'
  const editButton = useRef<HTMLButtonElement>(null)
  const method = tool.data?.authMethods.find((m) => m.id === credential.authMethod)

  const openEdit = (focus: EditFocus) => {
    setSaved(false)
    setEditing(focus)
  }
  const closeEdit = () => {
    setEditing(null)
    editButton.current?.focus()
  }
  const toggleTroubleshooter = () => {
    const next = new URLSearchParams(params)
    if (troubleshooting) next.delete('troubleshoot')
    else next.set('troubleshoot', '1')
    setParams(next, { replace: true })
    setTroubleshooting(!troubleshooting)
  }

  return (
    <>
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <ol>
          <li>
            <Link to="/credentials">Credentials</Link>
          </li>
          <li aria-current="page">{credential.name}</li>
        </ol>
      </nav>
      <PageTitle title={credential.name} />
      <p className="lede">
        {tool.data?.name ?? credential.tool} · {method?.title ?? credential.authMethod}
      </p>
      {connected && (
        <p role="status" className="notice notice-compact notice-info">
          Connected: {credential.name} is stored and ready to use.
        </p>
      )}
      <div className="button-row cred-actions">
        <Button
          ref={editButton}
          className="button"
          onPress={() => {
            if (editing === null) openEdit('name')
            else closeEdit()
          }}
          aria-expanded={editing !== null}
        >
          Edit
        </Button>
        <Button className="button" onPress={toggleTroubleshooter} aria-expanded={troubleshooting}>
          Troubleshoot
        </Button>
        <DeleteCredentialButton
          credential={credential}
          onDeleted={() => {
            void navigate('/credentials', { state: { deleted: credential.name } })
          }}
        />
      </div>
      <p role="status" className="cred-live">
        {saved ? 'Changes saved.' : ''}
      </p>
      {editing !== null && (
        <ToolCredentialManager
          key={editing}
          mode="edit"
          credential={credential}
          focus={editing}
          onSaved={() => {
            setSaved(true)
            closeEdit()
          }}
          onCancel={closeEdit}
        />
      )}
      <Health credential={credential} />
      <Fields credential={credential} tool={tool.data} />
      {troubleshooting && (
        <div className="section card">
          <CredentialTroubleshooter credential={credential} onEdit={openEdit} autoRun={troubleshootParam} />
        </div>
      )}
      <Details credential={credential} tool={tool.data} />
      <Use credential={credential} tool={tool.data} />
    </>
  )
}

/** One credential: its health with "Check now", its fields, edit, delete, troubleshoot, and where it is used. */
export default function CredentialPage() {
  const id = useParams().id ?? ''
  const credential = useCredential(id)
  if (credential.data !== undefined) return <CredentialDetails credential={credential.data} />
  if (hasStatus(credential.error, 404)) {
    return (
      <div className="narrow">
        <PageTitle title="Credential not found" />
        <p>
          There is no credential <code>{id}</code> in this workspace: it may have been deleted. See the{' '}
          <Link to="/credentials">credentials</Link> there are.
        </p>
      </div>
    )
  }
  if (credential.error !== null) {
    return <ApiErrorDisplay error={credential.error} focusOnMount onRetry={() => void credential.refetch()} />
  }
  return <PageSkeleton label="Loading the credential…" />
}
