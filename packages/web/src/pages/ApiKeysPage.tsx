import { useEffect, useRef, useState } from 'react'
import type { SyntheticEvent } from 'react'
import { Button, FieldError, Form, Input, Label, Text, TextField } from 'react-aria-components'
import type { ApiKey, CreatedApiKey } from '../api/api-keys.js'
import { apiKeyScopes, useApiKeys, useCreateApiKey, useRevokeApiKey } from '../api/api-keys.js'
import { fieldErrorMap } from '../api/field-errors.js'
import { grants } from '../api/grants.js'
import { useSession } from '../api/session.js'
import { Checklist } from '../components/Checklist.js'
import { ConfirmDialog } from '../components/ConfirmDialog.js'
import { EmptyState } from '../components/EmptyState.js'
import { ApiErrorDisplay } from '../components/ErrorHandler.js'
import { FormErrorSummary } from '../components/FormErrorSummary.js'
import { PageTitle } from '../components/PageTitle.js'
import { ShowMoreButton } from '../components/ShowMoreButton.js'
import { SecretReveal } from '../components/SecretReveal.js'
import { ListSkeleton, PageSkeleton } from '../components/Skeleton.js'
import { Timestamp } from '../components/Timestamp.js'

const scopeOptions = apiKeyScopes.map((s) => ({ value: s.scope, label: s.scope, description: s.description }))

function CreateKeyForm({
  onCreated,
  onCancel,
}: {
  onCreated: (key: CreatedApiKey) => void
  onCancel: () => void
}) {
  const create = useCreateApiKey()
  const [name, setName] = useState('')
  const [scopes, setScopes] = useState<string[]>([])
  const [rateLimit, setRateLimit] = useState('')
  const [problems, setProblems] = useState<{ name?: string; scopes?: string }>({})
  const heading = useRef<HTMLHeadingElement>(null)
  useEffect(() => heading.current?.focus(), [])

  const submit = (event: SyntheticEvent<HTMLFormElement>) => {
    event.preventDefault()
    if (create.isPending) return
    const found: typeof problems = {}
    if (name.trim() === '') found.name = 'Name the key after what will use it, such as “deploy bot”.'
    if (scopes.length === 0) found.scopes = 'Choose at least one scope.'
    setProblems(found)
    if (Object.keys(found).length > 0) return
    create.mutate(
      { name: name.trim(), scopes, ...(rateLimit.trim() === '' ? {} : { rateLimit: rateLimit.trim() }) },
      { onSuccess: onCreated },
    )
  }

  return (
    <section className="section card" aria-labelledby="create-key-title">
      <h2 id="create-key-title" ref={heading} tabIndex={-1}>
        Create an API key
      </h2>
      <Form
        className="form"
        validationBehavior="aria"
        validationErrors={fieldErrorMap(create.error)}
        onSubmit={submit}
      >
        <FormErrorSummary error={create.error} fields={['name', 'scopes', 'rateLimit']} />
        <TextField
          className="field"
          name="name"
          value={name}
          onChange={(value) => {
            setName(value)
            setProblems((p) => ({ ...p, name: undefined }))
          }}
          maxLength={100}
          isRequired
          {...(problems.name === undefined ? {} : { isInvalid: true })}
        >
          <Label className="field-label">Name</Label>
          <Text slot="description" className="field-description">
            What uses the key, so you know which to revoke later.
          </Text>
          <Input className="input" autoComplete="off" />
          <FieldError className="field-error">{problems.name}</FieldError>
        </TextField>
        <Checklist
          label="Scopes"
          name="scopes"
          description="Give the key only what it needs; a write scope includes reading the same things."
          options={scopeOptions}
          value={scopes}
          onChange={(value) => {
            setScopes(value)
            setProblems((p) => ({ ...p, scopes: undefined }))
          }}
          isRequired
          error={problems.scopes ?? null}
        />
        <TextField className="field" name="rateLimit" value={rateLimit} onChange={setRateLimit}>
          <Label className="field-label">Rate limit (optional)</Label>
          <Text slot="description" className="field-description">
            Overrides the workspace’s per-key limit, written as requests per second, minute or hour with an
            optional burst, such as <code>10/s,burst=20</code>. Leave empty to use the workspace’s.
          </Text>
          <Input className="input" autoComplete="off" spellCheck={false} />
          <FieldError className="field-error" />
        </TextField>
        <div className="button-row">
          {/* Not `isPending`: React Aria would announce the button by its id after the form is gone. */}
          <Button type="submit" className="button button-primary">
            {create.isPending ? 'Creating…' : 'Create key'}
          </Button>
          <Button className="button" onPress={onCancel} isDisabled={create.isPending}>
            Cancel
          </Button>
        </div>
      </Form>
    </section>
  )
}

function KeyItem({ apiKey }: { apiKey: ApiKey }) {
  const revoke = useRevokeApiKey()
  return (
    <li className="card key-item">
      <div className="card-head">
        <h3 className="card-title">{apiKey.name}</h3>
        <ConfirmDialog
          triggerLabel="Revoke"
          triggerAriaLabel={`Revoke ${apiKey.name}`}
          title={`Revoke the key “${apiKey.name}”?`}
          confirmLabel="Revoke key"
          onConfirm={() => revoke.mutateAsync(apiKey.id)}
        >
          <p>
            Requests with the key <code>{apiKey.prefix}…</code> are refused from now on (401). Anything still
            using it stops working. This cannot be undone.
          </p>
        </ConfirmDialog>
      </div>
      <dl className="facts facts-compact">
        <div>
          <dt>Starts with</dt>
          <dd>
            <code>{apiKey.prefix}…</code>
          </dd>
        </div>
        <div>
          <dt>Scopes</dt>
          <dd>
            <ul className="plain-list inline-list">
              {apiKey.scopes.map((scope) => (
                <li key={scope}>
                  <code>{scope}</code>
                </li>
              ))}
            </ul>
          </dd>
        </div>
        <div>
          <dt>Last used</dt>
          <dd>
            <Timestamp value={apiKey.lastUsedAt} fallback="Never" />
          </dd>
        </div>
        <div>
          <dt>Created</dt>
          <dd>
            <Timestamp value={apiKey.createdAt} />
          </dd>
        </div>
        {apiKey.rateLimit !== null && (
          <div>
            <dt>Rate limit</dt>
            <dd>
              <code>{apiKey.rateLimit}</code>
            </dd>
          </div>
        )}
      </dl>
    </li>
  )
}

function KeyList() {
  const keys = useApiKeys()
  const list = keys.data?.pages.flatMap((page) => page.data) ?? []
  if (keys.isPending) return <ListSkeleton rows={3} label="Loading API keys…" />
  if (keys.isError && list.length === 0) {
    return <ApiErrorDisplay error={keys.error} onRetry={() => void keys.refetch()} headingLevel={3} />
  }
  if (list.length === 0) {
    return (
      <EmptyState title="No API keys yet" headingLevel={3}>
        <p>
          Use “Create API key” to make one for each program or agent that calls Toolplane, and send it as{' '}
          <code>Authorization: Bearer tp_…</code>.
        </p>
      </EmptyState>
    )
  }
  return (
    <>
      <ul className="card-list" aria-label="API keys">
        {list.map((apiKey) => (
          <KeyItem key={apiKey.id} apiKey={apiKey} />
        ))}
      </ul>
      <ShowMoreButton query={keys} label="Show more keys" loadingLabel="Loading more keys…" />
      {keys.isError && (
        <ApiErrorDisplay error={keys.error} onRetry={() => void keys.refetch()} headingLevel={3} />
      )}
    </>
  )
}

/**
 * API keys: the workspace's keys (name, first characters, scopes, last use), creating one with chosen
 * scopes — its secret shown once — and revoking one after confirming. Owners and admins only.
 */
export default function ApiKeysPage() {
  const session = useSession()
  const [creating, setCreating] = useState(false)
  const [created, setCreated] = useState<CreatedApiKey | null>(null)
  const createRef = useRef<HTMLButtonElement>(null)
  const returnFocus = useRef(false)
  const showingButton = !creating && created === null
  useEffect(() => {
    // The form or the shown key replaced the button; when it comes back, focus goes to it.
    if (showingButton && returnFocus.current) {
      returnFocus.current = false
      createRef.current?.focus()
    }
  }, [showingButton])
  const finish = () => {
    returnFocus.current = true
  }

  if (session.isPending) return <PageSkeleton label="Loading API keys…" />
  if (session.isError) {
    return (
      <>
        <PageTitle title="API keys" />
        <ApiErrorDisplay error={session.error} onRetry={() => void session.refetch()} />
      </>
    )
  }
  const isAdmin = grants(session.data.scopes, 'admin')
  const createButton = isAdmin && showingButton && (
    <Button
      ref={createRef}
      className="button button-primary"
      onPress={() => {
        setCreating(true)
      }}
    >
      Create API key
    </Button>
  )

  return (
    <>
      <PageTitle title="API keys" />
      <p className="lede">
        Keys let programs and agents call the API and the MCP server as this workspace. Each key holds scopes
        that limit what it may do.
      </p>
      {!isAdmin ? (
        <EmptyState title="Only owners and admins manage API keys">
          <p>
            Your role is{' '}
            <strong>
              {session.data.principal.type === 'user' ? session.data.principal.role : 'an API key'}
            </strong>
            . Ask an owner or admin of {session.data.workspace.name} for a key with the scopes you need.
          </p>
        </EmptyState>
      ) : (
        <>
          {created !== null && (
            <div className="section card">
              <SecretReveal
                secret={created.key}
                title={`Copy the key “${created.name}” now`}
                label="API key"
                actions={
                  <Button
                    className="button"
                    onPress={() => {
                      finish()
                      setCreated(null)
                    }}
                  >
                    Done
                  </Button>
                }
              >
                <p>
                  Send it in the <code>Authorization</code> header as <code>Bearer {created.prefix}…</code>.
                  Scopes: {created.scopes.join(', ')}.
                </p>
              </SecretReveal>
            </div>
          )}
          {creating && (
            <CreateKeyForm
              onCreated={(key) => {
                setCreating(false)
                setCreated(key)
              }}
              onCancel={() => {
                finish()
                setCreating(false)
              }}
            />
          )}
          <section className="section" aria-labelledby="keys-title">
            <div className="section-head">
              <h2 id="keys-title">Keys</h2>
              {createButton}
            </div>
            <KeyList />
          </section>
        </>
      )}
    </>
  )
}
