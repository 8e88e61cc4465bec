import { useEffect, useId, useMemo, useRef, useState } from 'react'
import type { ReactNode, SyntheticEvent } from 'react'
import {
  Button,
  ComboBox,
  Dialog,
  DialogTrigger,
  FieldError,
  Form,
  Heading,
  Input,
  Label,
  ListBox,
  ListBoxItem,
  Modal,
  ModalOverlay,
  Popover,
  RadioButton,
  RadioField,
  RadioGroup,
  Select,
  SelectValue,
  Text,
  TextArea,
  TextField,
} from 'react-aria-components'
import type { Key } from 'react-aria-components'
import { Link } from 'react-router'
import { isApiError } from '../api/client.js'
import type {
  Credential,
  CredentialField,
  SaveOAuthAppInput,
  UpdateCredentialInput,
} from '../api/credentials.js'
import {
  useAuthorizeOAuth,
  useCreateCredential,
  useDeleteCredential,
  useOAuthApp,
  useSaveOAuthApp,
  useUpdateCredential,
} from '../api/credentials.js'
import { useSession } from '../api/session.js'
import { useTool, useTools } from '../api/tools.js'
import type { AuthMethod, JsonSchema, Tool } from '../api/tools.js'
import { ApiErrorDisplay } from './ErrorHandler.js'
import { ListSkeleton } from './Skeleton.js'
import '../styles/credentials.css'

// ── fields from an auth method's JSON Schema ────────────────────────────────────────────────────

/** How a field is entered. */
export type AuthFieldKind = 'text' | 'multiline' | 'integer' | 'number' | 'boolean' | 'choice'

/** One field of an auth method, as the form shows it. */
export interface AuthField {
  readonly name: string
  readonly title: string
  readonly description: string | null
  readonly required: boolean
  /** Marked secret in the schema (`writeOnly` or `x-toolplane-secret`): entered hidden. */
  readonly secret: boolean
  readonly kind: AuthFieldKind
  /** The values of a `choice` field. */
  readonly options: readonly string[]
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function choicesOf(schema: Record<string, unknown>): string[] {
  if (Array.isArray(schema.enum)) return schema.enum.map(String)
  const alternatives = Array.isArray(schema.anyOf)
    ? schema.anyOf
    : Array.isArray(schema.oneOf)
      ? schema.oneOf
      : []
  const constants = (alternatives as unknown[])
    .filter((a): a is Record<string, unknown> => isRecord(a) && 'const' in a)
    .map((a) => String(a.const))
  return constants.length > 0 && constants.length === alternatives.length ? constants : []
}

function kindOf(schema: Record<string, unknown>): AuthFieldKind {
  if (choicesOf(schema).length > 0) return 'choice'
  if (schema.type === 'boolean') return 'boolean'
  if (schema.type === 'integer') return 'integer'
  if (schema.type === 'number') return 'number'
  // Certificates and keys are several lines of PEM.
  if (typeof schema.pattern === 'string' && schema.pattern.includes('-----BEGIN')) return 'multiline'
  return 'text'
}

/**
 * The fields of an auth method's `fields` schema, in order, with what the form needs of each.
 *
 * @example
 * authFields({ type: 'object', properties: { token: { type: 'string', title: 'Token', writeOnly: true } }, required: ['token'] })
 * // [{ name: 'token', title: 'Token', required: true, secret: true, kind: 'text', … }]
 */
export function authFields(schema: JsonSchema): AuthField[] {
  const properties = isRecord(schema.properties) ? schema.properties : {}
  const required = new Set(Array.isArray(schema.required) ? schema.required.map(String) : [])
  return Object.entries(properties).map(([name, raw]) => {
    const property = isRecord(raw) ? raw : {}
    return {
      name,
      title: typeof property.title === 'string' ? property.title : name,
      description: typeof property.description === 'string' ? property.description : null,
      required: required.has(name),
      secret: property.writeOnly === true || property['x-toolplane-secret'] === true,
      kind: kindOf(property),
      options: choicesOf(property),
    }
  })
}

/** The typed value of a field from what was entered; undefined when nothing was. */
function typedValue(field: AuthField, entered: string): unknown {
  if (entered === '') return undefined
  switch (field.kind) {
    case 'integer':
    case 'number': {
      const number = Number(entered)
      // A value that is not a number goes as typed, so the server names the field in its error.
      return Number.isFinite(number) ? number : entered
    }
    case 'boolean':
      return entered === 'true'
    default:
      return entered
  }
}

/** An OAuth2 method whose tokens come from the provider rather than from the form. */
export function isOAuth(method: AuthMethod | undefined): boolean {
  return method?.kind === 'oauth2'
}

const kindLabels: Record<string, string> = {
  none: 'No credentials needed',
  api_key: 'API key',
  bearer: 'Bearer token',
  basic: 'Username and password',
  oauth2: 'OAuth 2.0',
  custom: 'Custom fields',
}

/** Words for an auth method's kind ("Bearer token", "OAuth 2.0 (client credentials)"). */
export function methodKindLabel(method: AuthMethod): string {
  const kind = kindLabels[method.kind] ?? method.kind
  if (method.kind === 'oauth2' && method.grant === 'client_credentials') return `${kind} (client credentials)`
  if (method.kind === 'oauth2') return `${kind} (sign in at the provider)`
  return kind
}

// ── server field errors ─────────────────────────────────────────────────────────────────────────

/**
 * A validation problem's per-field messages keyed by form field name: `/body/secrets/token` →
 * `secret:token`, `/body/clientId` under `prefix` `oauth:` → `oauth:clientId`, `/body/name` → `name`.
 */
export function formErrors(error: unknown, prefix = ''): Record<string, string> {
  if (!isApiError(error)) return {}
  const errors: Record<string, string> = {}
  for (const { path, message } of error.errors) {
    const secret = /^\/body\/secrets\/([^/]+)/.exec(path)
    const top = /^\/body\/([^/]+)/.exec(path)
    const key = secret !== null ? `secret:${secret[1]}` : top !== null ? `${prefix}${top[1]}` : null
    if (key !== null) errors[key] = errors[key] === undefined ? message : `${errors[key]}; ${message}`
  }
  return errors
}

// ── one generated field ─────────────────────────────────────────────────────────────────────────

interface FieldInputProps {
  readonly field: AuthField
  readonly value: string
  readonly onChange: (value: string) => void
  /** The stored field, when editing: its hint is shown and a blank entry keeps it. */
  readonly stored?: CredentialField
}

function storedText(field: AuthField, stored: CredentialField | undefined): string | null {
  if (stored === undefined) return null
  if (!stored.set) return 'Not set.'
  const hint = stored.hint === null ? '' : ` (${stored.hint})`
  return field.kind === 'boolean' || field.kind === 'choice'
    ? `Set${hint}.`
    : `Set${hint}. Leave blank to keep it.`
}

/** One auth field: a password input for secrets, a text area for PEM, a select for yes/no and choices. */
function FieldInput({ field, value, onChange, stored }: FieldInputProps) {
  const name = `secret:${field.name}`
  const editing = stored !== undefined
  // Editing never requires re-entering a stored value.
  const required = field.required && !(editing && stored.set)
  const description = [field.description, storedText(field, stored)].filter((d) => d !== null).join(' ')
  const label = (
    <Label className="field-label">
      {field.title}
      {required && <RequiredMark />}
    </Label>
  )
  const describe = description !== '' && (
    <Text slot="description" className="field-description">
      {description}
    </Text>
  )
  if (field.kind === 'boolean' || field.kind === 'choice') {
    const blank = editing && stored.set ? 'Keep the stored value' : required ? 'Choose…' : 'Not set (default)'
    const choices =
      field.kind === 'boolean'
        ? [
            { id: 'true', label: 'Yes' },
            { id: 'false', label: 'No' },
          ]
        : field.options.map((o) => ({ id: o, label: o }))
    const items = [{ id: '', label: blank }, ...choices]
    return (
      <Select
        className="field"
        name={name}
        value={value}
        onChange={(key: Key | null) => {
          onChange(key === null ? '' : String(key))
        }}
        isRequired={required}
      >
        {label}
        <Button className="input select-button">
          <SelectValue />
          <span aria-hidden="true">▾</span>
        </Button>
        {describe}
        <FieldError className="field-error" />
        <Popover className="select-popover">
          <ListBox className="select-list" items={items}>
            {(item) => (
              <ListBoxItem className="select-option" id={item.id} textValue={item.label}>
                {item.label}
              </ListBoxItem>
            )}
          </ListBox>
        </Popover>
      </Select>
    )
  }
  return (
    <TextField
      className="field"
      name={name}
      value={value}
      onChange={onChange}
      isRequired={required}
      type={field.secret && field.kind === 'text' ? 'password' : 'text'}
      inputMode={field.kind === 'integer' ? 'numeric' : field.kind === 'number' ? 'decimal' : undefined}
      autoComplete="off"
    >
      {label}
      {field.kind === 'multiline' ? (
        <TextArea className="input cred-textarea" spellCheck={false} rows={4} />
      ) : (
        <Input className="input" spellCheck={false} />
      )}
      {describe}
      <FieldError className="field-error" />
    </TextField>
  )
}

/** The mark after a required field's label; screen readers hear "required" from the input itself. */
function RequiredMark() {
  return (
    <span className="cred-required" aria-hidden="true">
      {' '}
      (required)
    </span>
  )
}

function PlainField({
  name,
  label,
  value,
  onChange,
  description,
  required = false,
  type = 'text',
  autoFocus = false,
}: {
  name: string
  label: string
  value: string
  onChange: (value: string) => void
  description?: ReactNode
  required?: boolean
  type?: 'text' | 'url' | 'password'
  autoFocus?: boolean
}) {
  return (
    <TextField
      className="field"
      name={name}
      value={value}
      onChange={onChange}
      isRequired={required}
      type={type}
      autoComplete="off"
      // Only ever set for a form the user has just asked to open.
      autoFocus={autoFocus}
    >
      <Label className="field-label">
        {label}
        {required && <RequiredMark />}
      </Label>
      <Input className="input" spellCheck={false} />
      {description !== undefined && (
        <Text slot="description" className="field-description">
          {description}
        </Text>
      )}
      <FieldError className="field-error" />
    </TextField>
  )
}

// ── create ──────────────────────────────────────────────────────────────────────────────────────

export interface CredentialCreateFormProps {
  /** The tool to preselect (from `?tool=`); the user can pick another. */
  readonly initialTool?: string | null
  /** Called with the new credential once it is stored. */
  readonly onCreated: (credential: Credential) => void
  readonly onCancel?: () => void
  /** Where the browser comes back after connecting an OAuth account (`credentialId` is added). */
  readonly oauthReturnPath?: string
  /** Sends the browser to the provider's sign-in page; `window.location.assign` by default. */
  readonly openUrl?: (url: string) => void
}

function assignLocation(url: string): void {
  window.location.assign(url)
}

/**
 * "Add a credential": pick a tool (a combo box over the catalog), an auth method, then fill in the
 * fields the method's schema asks for (secrets hidden, required ones marked), a name, and optionally
 * an end user and a base URL. OAuth2 methods connect at the provider instead (setting up the
 * workspace's OAuth app first when there is none). Server field errors show on their fields.
 *
 * @example
 * <CredentialCreateForm initialTool="github" onCreated={(c) => navigate(`/credentials/${c.id}`)} />
 */
export function CredentialCreateForm({
  initialTool = null,
  onCreated,
  onCancel,
  oauthReturnPath = '/credentials',
  openUrl = assignLocation,
}: CredentialCreateFormProps) {
  const tools = useTools()
  const [slug, setSlug] = useState<string>(initialTool ?? '')
  const headingId = useId()
  const known = tools.data?.some((t) => t.slug === slug) ?? false

  return (
    <section className="card cred-form-card" aria-labelledby={headingId}>
      <h2 id={headingId} className="card-title">
        Add a credential
      </h2>
      {tools.error !== null && tools.data === undefined ? (
        <ApiErrorDisplay
          error={tools.error}
          headingLevel={3}
          title="The tool catalog could not be loaded"
          onRetry={() => void tools.refetch()}
        />
      ) : tools.data === undefined ? (
        <ListSkeleton rows={3} label="Loading the tools…" />
      ) : (
        <>
          <ComboBox
            className="field cred-combobox"
            name="tool"
            defaultItems={tools.data}
            value={known ? slug : null}
            onChange={(key: Key | null) => {
              setSlug(key === null ? '' : String(key))
            }}
            isRequired
            // The user arrives here to fill the form; without a preselected tool this is where to start.
            autoFocus={initialTool === null}
          >
            <Label className="field-label">
              Tool
              <RequiredMark />
            </Label>
            <div className="combobox-box">
              <Input className="input" placeholder="Type to search the catalog" />
              <Button className="combobox-button" aria-label="Show all tools">
                <span aria-hidden="true">▾</span>
              </Button>
            </div>
            <Text slot="description" className="field-description">
              Type a tool’s name, then ↓ and Enter to pick it.
            </Text>
            <FieldError className="field-error" />
            <Popover className="select-popover">
              <ListBox className="select-list">
                {(tool: (typeof tools.data)[number]) => (
                  <ListBoxItem className="select-option" id={tool.slug} textValue={tool.name}>
                    {tool.name} <span className="muted">({tool.slug})</span>
                  </ListBoxItem>
                )}
              </ListBox>
            </Popover>
          </ComboBox>
          {slug !== '' && !known && (
            <p className="field-error" role="alert">
              There is no tool “{slug}” in this workspace’s catalog. Pick one above.
            </p>
          )}
          {known ? (
            <CreateForTool
              key={slug}
              slug={slug}
              onCreated={onCreated}
              oauthReturnPath={oauthReturnPath}
              openUrl={openUrl}
            />
          ) : null}
        </>
      )}
      {onCancel !== undefined && (
        <div className="button-row">
          <Button className="button button-quiet" onPress={onCancel}>
            Cancel adding
          </Button>
        </div>
      )}
    </section>
  )
}

interface CreateStepProps {
  onCreated: (credential: Credential) => void
  oauthReturnPath: string
  openUrl: (url: string) => void
}

function CreateForTool({ slug, ...rest }: CreateStepProps & { slug: string }) {
  const tool = useTool(slug)
  if (tool.error !== null && tool.data === undefined) {
    return (
      <ApiErrorDisplay
        error={tool.error}
        headingLevel={3}
        title="The tool could not be loaded"
        onRetry={() => void tool.refetch()}
      />
    )
  }
  if (tool.data === undefined) return <ListSkeleton rows={3} label="Loading the tool’s auth methods…" />
  if (tool.data.authMethods.length === 0) {
    return (
      <p role="alert">
        {tool.data.name} declares no way to authenticate, so it needs no credential, or its plugin must be
        updated to declare one.
      </p>
    )
  }
  return <CreateFields tool={tool.data} {...rest} />
}

function CreateFields({ tool, onCreated, oauthReturnPath, openUrl }: CreateStepProps & { tool: Tool }) {
  const [methodId, setMethodId] = useState(tool.authMethods[0]?.id ?? '')
  const method = tool.authMethods.find((m) => m.id === methodId)
  const fields = useMemo(() => (method === undefined ? [] : authFields(method.fields)), [method])
  const [values, setValues] = useState<Record<string, string>>({})
  const [name, setName] = useState(tool.name)
  const [externalUserId, setExternalUserId] = useState('')
  const [baseUrl, setBaseUrl] = useState('')
  const create = useCreateCredential()
  const oauth = isOAuth(method)

  const onSubmit = (event: SyntheticEvent<HTMLFormElement>) => {
    event.preventDefault()
    if (method === undefined || oauth) return
    const secrets: Record<string, unknown> = {}
    for (const field of fields) {
      const value = typedValue(field, values[field.name] ?? '')
      if (value !== undefined) secrets[field.name] = value
    }
    create.mutate(
      {
        tool: tool.slug,
        name: name.trim(),
        authMethod: method.id,
        secrets,
        ...(externalUserId.trim() === '' ? {} : { externalUserId: externalUserId.trim() }),
        ...(baseUrl.trim() === '' ? {} : { baseUrl: baseUrl.trim() }),
      },
      { onSuccess: onCreated },
    )
  }

  const common = (
    <>
      <RadioGroup
        className="field cred-radio-group"
        name="authMethod"
        value={methodId}
        onChange={(id) => {
          setMethodId(id)
          setValues({})
          create.reset()
        }}
        isRequired
      >
        <Label className="field-label">How it authenticates</Label>
        {tool.authMethods.map((m) => (
          <RadioField key={m.id} value={m.id} className="cred-radio-field">
            <RadioButton className="radio-button cred-radio">{m.title}</RadioButton>
            {/* The kind, unless the title already says it ("Bearer token" twice reads badly). */}
            {methodKindLabel(m) !== m.title && (
              <Text slot="description" className="cred-radio-kind">
                {methodKindLabel(m)}
              </Text>
            )}
          </RadioField>
        ))}
        <FieldError className="field-error" />
      </RadioGroup>
      <PlainField
        name="name"
        label="Name"
        value={name}
        onChange={setName}
        required
        description="How you will recognise it, such as “GitHub – release bot”."
      />
      <PlainField
        name="externalUserId"
        label="End user (optional)"
        value={externalUserId}
        onChange={setExternalUserId}
        description="The id of your product’s user this connection belongs to, if it is theirs."
      />
    </>
  )

  if (method !== undefined && oauth) {
    return (
      <OAuthConnect
        tool={tool}
        method={method}
        name={name}
        externalUserId={externalUserId}
        onCreated={onCreated}
        returnPath={oauthReturnPath}
        openUrl={openUrl}
      >
        {common}
      </OAuthConnect>
    )
  }

  return (
    <Form className="form" onSubmit={onSubmit} validationErrors={formErrors(create.error)}>
      {common}
      {method?.kind === 'none' && (
        <p className="muted">This method sends no secret: the credential only names the connection.</p>
      )}
      {fields.length > 0 && (
        <fieldset className="cred-fieldset">
          <legend className="field-label">{method?.title} fields</legend>
          <p className="field-description">
            Secrets are encrypted when saved and never shown again; only whether each is set, and its last
            characters, are.
          </p>
          {fields.map((field) => (
            <FieldInput
              key={field.name}
              field={field}
              value={values[field.name] ?? ''}
              onChange={(value) => {
                setValues((previous) => ({ ...previous, [field.name]: value }))
              }}
            />
          ))}
        </fieldset>
      )}
      <PlainField
        name="baseUrl"
        label="Base URL (optional)"
        type="url"
        value={baseUrl}
        onChange={setBaseUrl}
        description={
          tool.baseUrl === null
            ? 'Where the tool’s API is, such as https://api.example.com. Relative request URLs and the health check use it.'
            : `Leave blank to use ${tool.baseUrl}; set it for an enterprise install or a proxy.`
        }
      />
      {create.error !== null && (
        <ApiErrorDisplay error={create.error} headingLevel={3} title="The credential was not saved" />
      )}
      <div className="button-row">
        <Button type="submit" className="button button-primary" isPending={create.isPending}>
          {create.isPending ? 'Saving…' : 'Save credential'}
        </Button>
      </div>
    </Form>
  )
}

// ── OAuth2 ──────────────────────────────────────────────────────────────────────────────────────

function scopesFrom(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter((s) => s !== '')
}

/**
 * Connecting an OAuth2 account: when the workspace has no OAuth app for the tool, an admin saves the
 * client id, secret and scopes first (and registers the redirect URI shown at the provider); then
 * "Connect with …" sends the browser to the provider, or — client credentials — stores the
 * credential at once.
 */
function OAuthConnect({
  tool,
  method,
  name,
  externalUserId,
  onCreated,
  returnPath,
  openUrl,
  children,
}: {
  tool: Tool
  method: AuthMethod
  name: string
  externalUserId: string
  onCreated: (credential: Credential) => void
  returnPath: string
  openUrl: (url: string) => void
  children: ReactNode
}) {
  const app = useOAuthApp(tool.slug)
  const session = useSession()
  const isAdmin = session.data?.scopes.includes('admin') ?? false
  const [editingApp, setEditingApp] = useState(false)
  const save = useSaveOAuthApp(tool.slug)
  const authorize = useAuthorizeOAuth(tool.slug)
  const [clientId, setClientId] = useState('')
  const [clientSecret, setClientSecret] = useState('')
  const [scopes, setScopes] = useState((method.scopes ?? []).join(' '))
  const [saved, setSaved] = useState(false)
  const clientCredentials = method.grant === 'client_credentials'

  const configured = app.data !== undefined && app.data !== null
  const showAppForm = app.data === null || editingApp

  useEffect(() => {
    if (app.data != null && !editingApp) {
      setClientId(app.data.clientId)
      setScopes((app.data.scopes ?? method.scopes ?? []).join(' '))
    }
  }, [app.data, editingApp, method.scopes])

  const onSubmit = (event: SyntheticEvent<HTMLFormElement>) => {
    event.preventDefault()
    if (showAppForm) {
      const input: SaveOAuthAppInput = {
        clientId: clientId.trim(),
        ...(clientSecret === '' ? {} : { clientSecret }),
        scopes: scopesFrom(scopes).length === 0 ? null : scopesFrom(scopes),
      }
      save.mutate(input, {
        onSuccess: () => {
          setEditingApp(false)
          setClientSecret('')
          setSaved(true)
        },
      })
      return
    }
    authorize.mutate(
      {
        authMethod: method.id,
        name: name.trim() === '' ? tool.name : name.trim(),
        ...(externalUserId.trim() === '' ? {} : { externalUserId: externalUserId.trim() }),
        redirectTo: returnPath,
      },
      {
        onSuccess: (result) => {
          if ('credential' in result) onCreated(result.credential)
          else openUrl(result.url)
        },
      },
    )
  }

  const errors = { ...formErrors(save.error, 'oauth:'), ...formErrors(authorize.error) }
  const provider = tool.name

  let appPart: ReactNode
  if (app.error !== null && app.data === undefined) {
    appPart = (
      <ApiErrorDisplay
        error={app.error}
        headingLevel={3}
        title="The OAuth app could not be loaded"
        onRetry={() => void app.refetch()}
      />
    )
  } else if (app.data === undefined) {
    appPart = <ListSkeleton rows={2} label="Loading the OAuth app…" />
  } else if (showAppForm && !isAdmin) {
    appPart = (
      <p role="alert" className="notice notice-compact notice-info">
        No OAuth app is set up for {provider} in this workspace yet, and setting one up needs an admin. Ask an
        admin of the workspace to add the client id and secret here, then connect.
      </p>
    )
  } else if (showAppForm) {
    const redirectUri = app.data?.redirectUri ?? `${window.location.origin}/v1/oauth/callback`
    appPart = (
      <fieldset className="cred-fieldset">
        <legend className="field-label">OAuth app for {provider}</legend>
        <p className="field-description">
          Register an OAuth app at {provider} with the redirect URI{' '}
          <code className="cred-copyable">{redirectUri}</code>
          {app.data === null &&
            ' (if Toolplane is reached at another address, TOOLPLANE_PUBLIC_URL, use that one; it is confirmed after saving)'}
          , then enter its client id and secret. The secret is encrypted and never shown again.
        </p>
        <PlainField
          name="oauth:clientId"
          label="Client id"
          value={clientId}
          onChange={setClientId}
          required
        />
        <PlainField
          name="oauth:clientSecret"
          label="Client secret"
          type="password"
          value={clientSecret}
          onChange={setClientSecret}
          required={app.data === null}
          {...(app.data === null ? {} : { description: 'Leave blank to keep the stored secret.' })}
        />
        <PlainField
          name="oauth:scopes"
          label="Scopes"
          value={scopes}
          onChange={setScopes}
          description={`Separated by spaces. Blank asks for the tool’s defaults${
            (method.scopes ?? []).length > 0 ? ` (${(method.scopes ?? []).join(' ')})` : ''
          }.`}
        />
      </fieldset>
    )
  } else if (app.data !== null) {
    appPart = (
      <div className="cred-oauth-app">
        <p>
          The workspace’s OAuth app for {provider} (client id <code>{app.data.clientId}</code>) is set up.
          {saved && (
            <>
              {' '}
              Register <code className="cred-copyable">{app.data.redirectUri}</code> as its redirect URI at{' '}
              {provider} if you have not yet.
            </>
          )}
        </p>
        {isAdmin && (
          <Button
            className="button button-quiet"
            onPress={() => {
              setEditingApp(true)
              setSaved(false)
            }}
          >
            Change the OAuth app
          </Button>
        )}
      </div>
    )
  }

  const canConnect = configured && !showAppForm
  const canSaveApp = showAppForm && isAdmin && app.data !== undefined
  const pending = save.isPending || authorize.isPending
  return (
    <Form className="form" onSubmit={onSubmit} validationErrors={errors}>
      {children}
      <div role="status" className="cred-live">
        {saved && !showAppForm ? `The OAuth app for ${provider} is saved.` : ''}
      </div>
      {appPart}
      {save.error !== null && (
        <ApiErrorDisplay error={save.error} headingLevel={3} title="The OAuth app was not saved" />
      )}
      {authorize.error !== null && (
        <ApiErrorDisplay
          error={authorize.error}
          headingLevel={3}
          title={`Could not connect with ${provider}`}
        />
      )}
      <div className="button-row">
        {canSaveApp && (
          <Button type="submit" className="button button-primary" isPending={pending}>
            {save.isPending ? 'Saving…' : 'Save the OAuth app'}
          </Button>
        )}
        {canSaveApp && configured && (
          <Button
            className="button"
            onPress={() => {
              setEditingApp(false)
              save.reset()
            }}
          >
            Keep the current OAuth app
          </Button>
        )}
        {canConnect && (
          <Button type="submit" className="button button-primary" isPending={pending}>
            {authorize.isPending ? 'Connecting…' : `Connect with ${provider}`}
          </Button>
        )}
      </div>
      {canConnect && !clientCredentials && (
        <p className="field-description">
          You will sign in at {provider} and come back here when the account is connected.
        </p>
      )}
    </Form>
  )
}

// ── edit ────────────────────────────────────────────────────────────────────────────────────────

/** Where the edit form puts the cursor when it opens. */
export type EditFocus = 'name' | 'secrets' | 'baseUrl'

export interface CredentialEditFormProps {
  readonly credential: Credential
  readonly onSaved: (credential: Credential) => void
  readonly onCancel?: () => void
  /** Which field to focus first: the name (default), the first secret or the base URL. */
  readonly focus?: EditFocus
}

/**
 * "Edit": rename the credential, point it at another base URL, or replace any secret. Each field says
 * whether it is set, with its masked hint; a blank secret keeps the stored one, and an optional one
 * can be removed. Only what changed is sent.
 *
 * @example
 * <CredentialEditForm credential={credential} onSaved={() => setEditing(false)} />
 */
export function CredentialEditForm({
  credential,
  onSaved,
  onCancel,
  focus = 'name',
}: CredentialEditFormProps) {
  const tool = useTool(credential.tool)
  const headingId = useId()
  let body: ReactNode
  if (tool.error !== null && tool.data === undefined) {
    body = (
      <ApiErrorDisplay
        error={tool.error}
        headingLevel={3}
        title="The tool could not be loaded"
        onRetry={() => void tool.refetch()}
      />
    )
  } else if (tool.data === undefined) {
    body = <ListSkeleton rows={3} label="Loading the credential’s fields…" />
  } else {
    body = (
      <EditFields
        credential={credential}
        tool={tool.data}
        onSaved={onSaved}
        focus={focus}
        {...(onCancel === undefined ? {} : { onCancel })}
      />
    )
  }
  return (
    <section className="card cred-form-card" aria-labelledby={headingId}>
      <h2 id={headingId} className="card-title">
        Edit {credential.name}
      </h2>
      {body}
    </section>
  )
}

function EditFields({
  credential,
  tool,
  onSaved,
  onCancel,
  focus,
}: {
  credential: Credential
  tool: Tool
  onSaved: (credential: Credential) => void
  onCancel?: () => void
  focus: EditFocus
}) {
  const method = tool.authMethods.find((m) => m.id === credential.authMethod)
  const oauth = isOAuth(method)
  const fields = useMemo(
    () => (method === undefined || oauth ? [] : authFields(method.fields)),
    [method, oauth],
  )
  const [name, setName] = useState(credential.name)
  const [baseUrl, setBaseUrl] = useState(credential.baseUrl ?? '')
  const [values, setValues] = useState<Record<string, string>>({})
  const [removed, setRemoved] = useState<ReadonlySet<string>>(new Set())
  const [nothing, setNothing] = useState(false)
  const update = useUpdateCredential(credential.id)
  const form = useRef<HTMLFormElement>(null)

  useEffect(() => {
    // Opening the form (from "Edit" or a troubleshooting fix) starts where the user is to type.
    const selector =
      focus === 'secrets' && fields[0] !== undefined
        ? `[name="secret:${fields[0].name}"]`
        : focus === 'baseUrl' && !oauth
          ? '[name="baseUrl"]'
          : '[name="name"]'
    form.current?.querySelector<HTMLElement>(selector)?.focus()
    // Only when the form opens.
  }, [])

  const onSubmit = (event: SyntheticEvent<HTMLFormElement>) => {
    event.preventDefault()
    const secrets: Record<string, unknown> = {}
    for (const field of fields) {
      if (removed.has(field.name)) {
        secrets[field.name] = null
        continue
      }
      const value = typedValue(field, values[field.name] ?? '')
      if (value !== undefined) secrets[field.name] = value
    }
    const input: { -readonly [K in keyof UpdateCredentialInput]: UpdateCredentialInput[K] } = {}
    if (name.trim() !== credential.name) input.name = name.trim()
    const url = baseUrl.trim() === '' ? null : baseUrl.trim()
    if (url !== credential.baseUrl) input.baseUrl = url
    if (Object.keys(secrets).length > 0) input.secrets = secrets
    if (Object.keys(input).length === 0) {
      setNothing(true)
      return
    }
    setNothing(false)
    update.mutate(input, { onSuccess: onSaved })
  }

  return (
    <Form ref={form} className="form" onSubmit={onSubmit} validationErrors={formErrors(update.error)}>
      <PlainField name="name" label="Name" value={name} onChange={setName} required />
      {method === undefined && (
        <p role="alert">
          The tool no longer has the auth method <code>{credential.authMethod}</code>, so its fields cannot be
          edited. Add a new credential with one of its current methods.
        </p>
      )}
      {oauth && (
        <p className="muted">
          Its tokens come from {tool.name}: to replace them,{' '}
          <Link to={`/credentials?tool=${encodeURIComponent(tool.slug)}`}>connect the account again</Link>.
        </p>
      )}
      {fields.length > 0 && (
        <fieldset className="cred-fieldset">
          <legend className="field-label">{method?.title} fields</legend>
          <p className="field-description">
            Type a new value to replace a secret; leave it blank to keep the stored one.
          </p>
          {fields.map((field) => {
            const stored = credential.fields[field.name] ?? { set: false, hint: null }
            const isRemoved = removed.has(field.name)
            return (
              <div key={field.name} className="cred-edit-field">
                {isRemoved ? (
                  <p className="cred-removed">
                    <strong>{field.title}</strong> will be removed when you save.
                  </p>
                ) : (
                  <FieldInput
                    field={field}
                    value={values[field.name] ?? ''}
                    stored={stored}
                    onChange={(value) => {
                      setValues((previous) => ({ ...previous, [field.name]: value }))
                    }}
                  />
                )}
                {!field.required && stored.set && (
                  <Button
                    className="button button-quiet"
                    onPress={() => {
                      setRemoved((previous) => {
                        const next = new Set(previous)
                        if (next.has(field.name)) next.delete(field.name)
                        else next.add(field.name)
                        return next
                      })
                    }}
                  >
                    {isRemoved ? `Keep ${field.title}` : `Remove ${field.title}`}
                  </Button>
                )}
              </div>
            )
          })}
        </fieldset>
      )}
      {!oauth && (
        <PlainField
          name="baseUrl"
          label="Base URL (optional)"
          type="url"
          value={baseUrl}
          onChange={setBaseUrl}
          description={
            tool.baseUrl === null
              ? 'Where the tool’s API is. Blank: none.'
              : `Blank uses the tool’s ${tool.baseUrl}.`
          }
        />
      )}
      <div role="status" className="cred-live">
        {nothing ? 'Nothing to save: change the name, the base URL or a secret first.' : ''}
      </div>
      {update.error !== null && (
        <ApiErrorDisplay error={update.error} headingLevel={3} title="The changes were not saved" />
      )}
      <div className="button-row">
        <Button type="submit" className="button button-primary" isPending={update.isPending}>
          {update.isPending ? 'Saving…' : 'Save'}
        </Button>
        {onCancel !== undefined && (
          <Button className="button" onPress={onCancel}>
            Cancel
          </Button>
        )}
      </div>
    </Form>
  )
}

// ── delete ──────────────────────────────────────────────────────────────────────────────────────

/**
 * "Delete" with a confirmation dialog that names the credential. OAuth tokens are revoked at the
 * provider first, where it allows.
 *
 * @example
 * <DeleteCredentialButton credential={credential} onDeleted={() => navigate('/credentials')} />
 */
export function DeleteCredentialButton({
  credential,
  onDeleted,
}: {
  credential: Pick<Credential, 'id' | 'name' | 'tool'>
  onDeleted: () => void
}) {
  const remove = useDeleteCredential()
  return (
    <DialogTrigger
      onOpenChange={(open) => {
        if (!open) remove.reset()
      }}
    >
      <Button className="button button-danger">Delete</Button>
      <ModalOverlay className="modal-overlay" isDismissable>
        <Modal className="modal">
          <Dialog role="alertdialog" className="dialog">
            {({ close }) => (
              <>
                <Heading slot="title" className="dialog-title">
                  Delete “{credential.name}”?
                </Heading>
                <p>
                  Actions that use this credential will fail until they are given another one. Its secrets are
                  erased; this cannot be undone.
                </p>
                {remove.error !== null && (
                  <ApiErrorDisplay error={remove.error} headingLevel={3} title="It was not deleted" />
                )}
                <div className="button-row">
                  <Button
                    className="button button-danger"
                    isPending={remove.isPending}
                    onPress={() => {
                      remove.mutate(credential.id, {
                        onSuccess: () => {
                          close()
                          onDeleted()
                        },
                      })
                    }}
                  >
                    {remove.isPending ? 'Deleting…' : `Delete ${credential.name}`}
                  </Button>
                  <Button className="button" onPress={close} autoFocus>
                    Keep it
                  </Button>
                </div>
              </>
            )}
          </Dialog>
        </Modal>
      </ModalOverlay>
    </DialogTrigger>
  )
}

// ── the manager ─────────────────────────────────────────────────────────────────────────────────

export type ToolCredentialManagerProps =
  | ({ readonly mode: 'create' } & CredentialCreateFormProps)
  | ({ readonly mode: 'edit' } & CredentialEditFormProps)

/**
 * Creates and edits the credentials of one tool or of any tool: `mode="create"` is "Add a credential"
 * (preselecting `initialTool`), `mode="edit"` edits one credential. Deleting is
 * {@link DeleteCredentialButton}.
 *
 * @example
 * <ToolCredentialManager mode="create" initialTool={params.get('tool')} onCreated={open} />
 * <ToolCredentialManager mode="edit" credential={credential} onSaved={close} onCancel={close} />
 */
export function ToolCredentialManager(props: ToolCredentialManagerProps) {
  if (props.mode === 'edit') {
    const { mode: _mode, ...rest } = props
    return <CredentialEditForm {...rest} />
  }
  const { mode: _mode, ...rest } = props
  return <CredentialCreateForm {...rest} />
}
