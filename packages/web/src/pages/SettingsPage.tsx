import { useState } from 'react'
import type { ReactNode, SyntheticEvent } from 'react'
import {
  Button,
  FieldError,
  Form,
  Group,
  Input,
  Label,
  NumberField,
  RadioButton,
  RadioField,
  RadioGroup,
  SwitchButton,
  SwitchField,
  Text,
  TextField,
} from 'react-aria-components'
import { fieldErrorMap } from '../api/field-errors.js'
import { grants } from '../api/grants.js'
import type { Session } from '../api/session.js'
import { useSession } from '../api/session.js'
import type { Workspace, WorkspaceChanges } from '../api/workspace.js'
import { useUpdateWorkspace, useWorkspace } from '../api/workspace.js'
import { ApiErrorDisplay } from '../components/ErrorHandler.js'
import { FormErrorSummary } from '../components/FormErrorSummary.js'
import { PageTitle } from '../components/PageTitle.js'
import { PageSkeleton } from '../components/Skeleton.js'
import { useTheme } from '../theme/context.js'
import { themePreferences } from '../theme/theme.js'
import type { ThemePreference } from '../theme/theme.js'
import '../styles/settings.css'

/** The rule the server applies to a rate limit: `<count>/<s|m|h>[,burst=<n>]`. */
const rateLimitRule = /^\s*\d+\s*\/\s*(s|m|h)\s*(,\s*burst\s*=\s*\d+\s*)?$/

const roleWords: Record<string, string> = {
  owner: 'Owner: can do everything, including managing API keys and these settings.',
  admin: 'Admin: can do everything, including managing API keys and these settings.',
  developer:
    'Developer: can connect credentials, run actions and manage webhooks, but not API keys or settings.',
  viewer: 'Viewer: can see tools, credentials, executions and webhooks, but not change them.',
}

const themeWords: Record<ThemePreference, { label: string; description: string }> = {
  system: {
    label: 'System',
    description: 'Follows your device: dark when it is dark, high contrast when it asks for more contrast.',
  },
  light: { label: 'Light', description: 'Dark text on a light background.' },
  dark: { label: 'Dark', description: 'Light text on a dark background, easier on the eyes at night.' },
  contrast: {
    label: 'High contrast',
    description: 'Black and white with thicker borders and focus rings, for low vision or bright light.',
  },
}

/** A switch drawn as a track and thumb; its state shows by position and fill, and it is read as a switch. */
function SettingSwitch({
  isSelected,
  onChange,
  isReadOnly,
  children,
}: {
  isSelected: boolean
  onChange: (value: boolean) => void
  isReadOnly: boolean
  children: ReactNode
}) {
  return (
    <SwitchField className="switch-field" isSelected={isSelected} onChange={onChange} isReadOnly={isReadOnly}>
      <SwitchButton className="switch">
        <span className="switch-track" aria-hidden="true">
          <span className="switch-thumb" />
        </span>
        {children}
      </SwitchButton>
    </SwitchField>
  )
}

function isPreference(value: string): value is ThemePreference {
  return (themePreferences as readonly string[]).includes(value)
}

function WorkspaceForm({ workspace, canEdit }: { workspace: Workspace; canEdit: boolean }) {
  const save = useUpdateWorkspace()
  const [name, setName] = useState(workspace.name)
  const [unlimited, setUnlimited] = useState(workspace.monthlyExecutionQuota === null)
  const [quota, setQuota] = useState(workspace.monthlyExecutionQuota ?? 10_000)
  const [defaultLimit, setDefaultLimit] = useState(workspace.apiRateLimitIsDefault)
  const [rateLimit, setRateLimit] = useState(workspace.apiRateLimit)
  const [problems, setProblems] = useState<{ name?: string; quota?: string; rateLimit?: string }>({})
  const [saved, setSaved] = useState(false)

  const submit = (event: SyntheticEvent<HTMLFormElement>) => {
    event.preventDefault()
    const found: typeof problems = {}
    if (name.trim() === '') found.name = 'Enter a name for the workspace.'
    if (!unlimited && (!Number.isInteger(quota) || quota < 0))
      found.quota = 'Enter a whole number of executions.'
    if (!defaultLimit && !rateLimitRule.test(rateLimit)) {
      found.rateLimit = 'Write it as a count per s, m or h with an optional burst, such as 100/s,burst=200.'
    }
    setProblems(found)
    setSaved(false)
    if (Object.keys(found).length > 0) return
    const changes: WorkspaceChanges = {
      name: name.trim(),
      monthlyExecutionQuota: unlimited ? null : quota,
      apiRateLimit: defaultLimit ? null : rateLimit.trim(),
    }
    save.mutate(changes, {
      onSuccess: (updated) => {
        setSaved(true)
        setRateLimit(updated.apiRateLimit)
        setDefaultLimit(updated.apiRateLimitIsDefault)
      },
    })
  }

  const readOnly = !canEdit

  return (
    <Form
      className="form"
      validationBehavior="aria"
      validationErrors={fieldErrorMap(save.error)}
      onSubmit={submit}
      aria-labelledby="workspace-title"
    >
      {readOnly && (
        <p className="notice">
          <span aria-hidden="true">🔒 </span>
          Only owners and admins can change these settings; you can read them. Ask an owner or admin if
          something here needs to change.
        </p>
      )}
      <FormErrorSummary error={save.error} fields={['name', 'monthlyExecutionQuota', 'apiRateLimit']} />
      <TextField
        className="field"
        name="name"
        value={name}
        onChange={(value) => {
          setName(value)
          setSaved(false)
          setProblems((p) => ({ ...p, name: undefined }))
        }}
        isReadOnly={readOnly}
        isRequired
        maxLength={100}
        {...(problems.name === undefined ? {} : { isInvalid: true })}
      >
        <Label className="field-label">Workspace name</Label>
        <Text slot="description" className="field-description">
          Shown in the header and to everyone in the workspace. Its address name stays{' '}
          <code>{workspace.slug}</code>.
        </Text>
        <Input className="input" />
        <FieldError className="field-error">{problems.name}</FieldError>
      </TextField>

      <fieldset className="settings-group">
        <legend className="field-label">Monthly execution quota</legend>
        <p className="field-description">
          Executions allowed per calendar month. Once it is reached, new executions are refused with
          <code> quota_exceeded</code> (429) until the next month.
        </p>
        <SettingSwitch
          isSelected={unlimited}
          onChange={(value) => {
            setUnlimited(value)
            setSaved(false)
          }}
          isReadOnly={readOnly}
        >
          Unlimited
        </SettingSwitch>
        {!unlimited && (
          <NumberField
            className="field"
            name="monthlyExecutionQuota"
            value={quota}
            onChange={(value) => {
              setQuota(value)
              setSaved(false)
              setProblems((p) => ({ ...p, quota: undefined }))
            }}
            minValue={0}
            step={1}
            isReadOnly={readOnly}
            {...(problems.quota === undefined ? {} : { isInvalid: true })}
          >
            <Label className="field-label">Executions per month</Label>
            <Group>
              <Input className="input number-input" />
            </Group>
            <FieldError className="field-error">{problems.quota}</FieldError>
          </NumberField>
        )}
      </fieldset>

      <fieldset className="settings-group">
        <legend className="field-label">API rate limit per key</legend>
        <p className="field-description">
          How many requests each API key may make, as a token bucket: a steady rate and a burst. A key with
          its own limit (set on the API keys page) uses that instead.
        </p>
        <SettingSwitch
          isSelected={defaultLimit}
          onChange={(value) => {
            setDefaultLimit(value)
            setSaved(false)
          }}
          isReadOnly={readOnly}
        >
          Use the server’s default
        </SettingSwitch>
        <TextField
          className="field"
          name="apiRateLimit"
          value={rateLimit}
          onChange={(value) => {
            setRateLimit(value)
            setSaved(false)
            setProblems((p) => ({ ...p, rateLimit: undefined }))
          }}
          isReadOnly={readOnly || defaultLimit}
          {...(problems.rateLimit === undefined ? {} : { isInvalid: true })}
        >
          <Label className="field-label">Limit</Label>
          <Text slot="description" className="field-description">
            {defaultLimit
              ? 'The server’s default is in force. Turn off “Use the server’s default” to set your own.'
              : 'Such as 100/s,burst=200 (per second), 600/m or 10000/h.'}
          </Text>
          <Input className="input" spellCheck={false} autoComplete="off" />
          <FieldError className="field-error">{problems.rateLimit}</FieldError>
        </TextField>
      </fieldset>

      {canEdit && (
        <div className="button-row">
          <Button type="submit" className="button button-primary" isPending={save.isPending}>
            {save.isPending ? 'Saving…' : 'Save settings'}
          </Button>
        </div>
      )}
      <p role="status" className="muted">
        {saved ? 'Settings saved.' : ''}
      </p>
    </Form>
  )
}

function Appearance() {
  const { preference, theme, setPreference } = useTheme()
  return (
    <RadioGroup
      className="field appearance"
      value={preference}
      onChange={(value) => {
        if (isPreference(value)) setPreference(value)
      }}
    >
      <Label className="field-label">Colours in this browser</Label>
      <Text slot="description" className="field-description">
        Kept in this browser only, and the same as the Theme switch in the header. Now showing:{' '}
        {themeWords[theme].label.toLowerCase()}.
      </Text>
      {themePreferences.map((option) => (
        <RadioField key={option} value={option} className="radio-field">
          <RadioButton className="radio">
            <span className="radio-dot" aria-hidden="true" />
            <span className="radio-label">{themeWords[option].label}</span>
          </RadioButton>
          <Text slot="description" className="radio-description">
            {themeWords[option].description}
          </Text>
        </RadioField>
      ))}
    </RadioGroup>
  )
}

function Account({ session }: { session: Session }) {
  const principal = session.principal
  if (principal.type !== 'user') {
    return (
      <p>
        Signed in with the API key <strong>{principal.name}</strong> (<code>{principal.prefix}…</code>).
      </p>
    )
  }
  return (
    <dl className="facts">
      <div>
        <dt>Email</dt>
        <dd>{principal.email}</dd>
      </div>
      {principal.name !== null && (
        <div>
          <dt>Name</dt>
          <dd>{principal.name}</dd>
        </div>
      )}
      <div>
        <dt>Role in {session.workspace.name}</dt>
        <dd>{roleWords[principal.role] ?? principal.role}</dd>
      </div>
    </dl>
  )
}

/**
 * Settings: the workspace's name, monthly execution quota and per-key API rate limit (editable by
 * owners and admins, read-only with an explanation for others), the appearance of the app in this
 * browser, and the signed-in account.
 */
export default function SettingsPage() {
  const session = useSession()
  const workspace = useWorkspace()

  let workspaceBody
  if (workspace.isPending || session.isPending) {
    workspaceBody = <PageSkeleton label="Loading the workspace’s settings…" />
  } else if (workspace.isError) {
    workspaceBody = (
      <ApiErrorDisplay error={workspace.error} onRetry={() => void workspace.refetch()} headingLevel={3} />
    )
  } else {
    workspaceBody = (
      <WorkspaceForm workspace={workspace.data} canEdit={grants(session.data?.scopes, 'admin')} />
    )
  }

  return (
    <>
      <PageTitle title="Settings" />
      <section className="section" aria-labelledby="workspace-title">
        <h2 id="workspace-title">Workspace</h2>
        {workspaceBody}
      </section>
      <section className="section" aria-labelledby="appearance-title">
        <h2 id="appearance-title">Appearance</h2>
        <Appearance />
      </section>
      <section className="section" aria-labelledby="account-title">
        <h2 id="account-title">Your account</h2>
        {session.isError ? (
          <ApiErrorDisplay error={session.error} onRetry={() => void session.refetch()} headingLevel={3} />
        ) : session.data === undefined ? (
          <PageSkeleton label="Loading your account…" />
        ) : (
          <Account session={session.data} />
        )}
      </section>
    </>
  )
}
