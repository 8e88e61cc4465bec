import { useEffect, useMemo, useRef, useState } from 'react'
import {
  Button,
  FieldError,
  Label,
  ListBox,
  ListBoxItem,
  Popover,
  Select,
  SelectValue,
  Text,
} from 'react-aria-components'
import type { Key } from 'react-aria-components'
import { Link, useParams, useSearchParams } from 'react-router'
import {
  runAction,
  useExecution,
  useRetryExecution,
  useRunAction,
  useToolCredentials,
} from '../api/actions.js'
import type { RunRequest } from '../api/actions.js'
import { hasStatus } from '../api/client.js'
import type { ApiError } from '../api/client.js'
import { useApi } from '../api/context.js'
import type { Credential } from '../api/credentials.js'
import type { Execution, ExecutionError } from '../api/executions.js'
import type { Action, Tool } from '../api/tools.js'
import { useTool } from '../api/tools.js'
import { ActionParameterForm } from '../components/ActionParameterForm.js'
import type { ActionParameterFormHandle, RunMode } from '../components/ActionParameterForm.js'
import { CredentialHealthIndicator, statusLabels } from '../components/CredentialHealthIndicator.js'
import { ApiErrorDisplay } from '../components/ErrorHandler.js'
import { errorClassTitle, ErrorRecoverySuggestions } from '../components/ErrorRecoverySuggestions.js'
import { ExecutionStatusBadge } from '../components/ExecutionStatus.js'
import { formatDuration } from '../components/time.js'
import { PageTitle } from '../components/PageTitle.js'
import { ToolNotFound } from '../components/ToolNotFound.js'
import { initialValue, inputErrorsOf } from '../components/schema-form.js'
import { PageSkeleton } from '../components/Skeleton.js'
import { TestDataGenerator } from '../components/TestDataGenerator.js'
import '../styles/actions.css'

/** The picker's key for running without a credential. */
const noCredential = 'none'

/** A failed run thrown to `useRetry`: it retries it again only if the error may pass. */
class ExecutionFailed extends Error {
  readonly retryable: boolean
  readonly retryAfterMs: number | undefined
  constructor(execution: Execution) {
    super(execution.error?.message ?? `The execution ${execution.status}`)
    this.name = 'ExecutionFailed'
    this.retryable = execution.error?.retryable ?? false
    this.retryAfterMs = execution.error?.retryAfterMs
  }
}

/** A problem the server answered instead of running (over quota, rate limited) as an execution error. */
function problemAsError(error: ApiError): ExecutionError {
  return {
    class: error.code,
    message: error.detail,
    retryable: error.retryable,
    ...(error.retryAfter === null ? {} : { retryAfterMs: error.retryAfter * 1000 }),
    httpStatus: error.status,
    suggestions: [],
  }
}

/** Problems shown with recovery steps rather than as a plain error. */
const recoverableCodes = new Set(['rate_limited', 'quota_exceeded'])

function credentialLabel(credential: Credential): string {
  const status = (statusLabels as Partial<typeof statusLabels>)[credential.status]?.label ?? credential.status
  return `${credential.name} (${credential.authMethod}, ${status.toLowerCase()})`
}

/** The credential to start with: a healthy one, else one not known to be broken, else the first. */
function preferredCredential(credentials: readonly Credential[]): Credential | undefined {
  return (
    credentials.find((c) => c.status === 'healthy') ??
    credentials.find((c) => c.status === 'unchecked' || c.status === 'degraded') ??
    credentials[0]
  )
}

function CredentialPicker({
  tool,
  credentials,
  selected,
  onSelect,
  optional,
  errors,
}: {
  tool: Tool
  credentials: ReturnType<typeof useToolCredentials>
  selected: string | null
  onSelect: (id: string | null) => void
  optional: boolean
  errors: readonly string[]
}) {
  const addLink = <Link to={`/credentials?tool=${encodeURIComponent(tool.slug)}`}>Add a credential</Link>
  if (credentials.isPending) return <p role="status">Loading the credentials…</p>
  if (credentials.error !== null) {
    return (
      <ApiErrorDisplay
        error={credentials.error}
        headingLevel={3}
        title="Could not load the credentials"
        onRetry={() => void credentials.refetch()}
      />
    )
  }
  const list = credentials.data
  if (list.length === 0 && !optional) {
    return (
      <div className="credential-picker">
        <p>
          There is no credential for {tool.name} yet, and its actions need one. {addLink}, then come back
          here.
        </p>
      </div>
    )
  }
  const current = list.find((c) => c.id === selected)
  return (
    <div className="credential-picker">
      <Select
        className="field"
        value={selected ?? (optional ? noCredential : null)}
        onChange={(key: Key | null) => {
          if (key !== null) onSelect(key === noCredential ? null : String(key))
        }}
        isRequired={!optional}
        isInvalid={errors.length > 0}
        validationBehavior="aria"
        placeholder="Choose a credential…"
      >
        <Label className="field-label">Credential</Label>
        <Button className="input select-button af-select-button">
          <SelectValue />
          <span aria-hidden="true" className="af-select-chevron">
            ▾
          </span>
        </Button>
        <Text slot="description" className="field-description">
          {optional
            ? 'The action runs with this credential’s secrets, or with none.'
            : 'The action runs with this credential’s secrets.'}
        </Text>
        {errors.length > 0 && (
          <FieldError className="field-error">
            <span aria-hidden="true">✕ </span>
            {errors.join(' ')}
          </FieldError>
        )}
        <Popover className="select-popover">
          <ListBox className="select-list">
            {optional ? (
              <ListBoxItem id={noCredential} className="select-option" textValue="No credential">
                No credential
              </ListBoxItem>
            ) : null}
            {list.map((credential) => (
              <ListBoxItem
                key={credential.id}
                id={credential.id}
                className="select-option"
                textValue={credentialLabel(credential)}
              >
                {credentialLabel(credential)}
              </ListBoxItem>
            ))}
          </ListBox>
        </Popover>
      </Select>
      <div className="credential-picker-row">
        {current !== undefined && <CredentialHealthIndicator credential={current} />}
        {current !== undefined && (
          <Link to={`/credentials/${encodeURIComponent(current.id)}`}>Open the credential</Link>
        )}
        {addLink}
      </div>
    </div>
  )
}

function Output({ value }: { value: unknown }) {
  return (
    // A scrollable region must be reachable by keyboard; its label says what it holds.
    <pre className="code-block af-output" tabIndex={0} aria-label="Output (JSON)">
      {JSON.stringify(value, null, 2)}
    </pre>
  )
}

function ExecutionResult({
  execution,
  onRetry,
  onFixInput,
}: {
  execution: Execution
  onRetry: () => Promise<void>
  onFixInput: () => void
}) {
  const attempts = execution.attempts
  return (
    <div className="result-panel">
      <p className="result-status">
        <ExecutionStatusBadge status={execution.status} />
      </p>
      <dl className="facts">
        <div>
          <dt>Duration</dt>
          <dd>{execution.durationMs === null ? '—' : formatDuration(execution.durationMs)}</dd>
        </div>
        <div>
          <dt>Attempts</dt>
          <dd>{attempts.length}</dd>
        </div>
        <div>
          <dt>Mode</dt>
          <dd>{execution.mode}</dd>
        </div>
        <div>
          <dt>Execution</dt>
          <dd>
            <code>{execution.id}</code>
          </dd>
        </div>
        {execution.retryOf !== null && (
          <div>
            <dt>Retry of</dt>
            <dd>
              <code>{execution.retryOf}</code>
            </dd>
          </div>
        )}
      </dl>
      <p>
        <Link to={`/executions?execution=${encodeURIComponent(execution.id)}`}>Open in executions</Link>
      </p>
      {execution.status === 'succeeded' && (
        <>
          <h3>Output</h3>
          <Output value={execution.output} />
        </>
      )}
      {attempts.length > 0 && execution.status !== 'succeeded' && (
        <>
          <h3>Attempts</h3>
          <ol className="attempt-list">
            {attempts.map((attempt) => (
              <li key={attempt.number}>
                {attempt.status === 'succeeded' ? 'Succeeded' : 'Failed'}
                {attempt.httpStatus !== null && <>, HTTP {attempt.httpStatus}</>}
                {attempt.errorClass !== null && <>, {errorClassTitle(attempt.errorClass).toLowerCase()}</>},
                in {formatDuration(attempt.durationMs)}
                {attempt.retryInMs !== undefined && (
                  <> (next try after {formatDuration(attempt.retryInMs)})</>
                )}
              </li>
            ))}
          </ol>
        </>
      )}
      {execution.error !== null && execution.status !== 'succeeded' && (
        <ErrorRecoverySuggestions
          error={execution.error}
          credentialId={execution.credentialId}
          onRetry={onRetry}
          onFixInput={onFixInput}
          headingLevel={3}
        />
      )}
    </div>
  )
}

function resultAnnouncement(
  execution: Execution | null,
  progress: Execution | null,
  running: boolean,
): string {
  if (running) {
    if (progress?.status === 'queued') return 'Queued: waiting for a worker…'
    if (progress?.status === 'running') return 'Running…'
    return 'Running the action…'
  }
  if (execution === null) return ''
  const duration = execution.durationMs === null ? '' : ` in ${formatDuration(execution.durationMs)}`
  switch (execution.status) {
    case 'succeeded':
      return `Succeeded${duration}.`
    case 'failed':
      return `Failed: ${execution.error === null ? 'the run failed' : errorClassTitle(execution.error.class)}.`
    case 'cancelled':
      return 'The execution was cancelled.'
    default:
      return `The execution is ${execution.status}.`
  }
}

function ActionRunner({ tool, action }: { tool: Tool; action: Action }) {
  const api = useApi()
  const [params, setParams] = useSearchParams()
  const executionParam = params.get('execution')
  const noneOnly = tool.authMethods.length === 0 || tool.authMethods.every((m) => m.kind === 'none')
  const optional = tool.authMethods.some((m) => m.kind === 'none')
  const credentials = useToolCredentials(tool.slug, !noneOnly)
  const [picked, setPicked] = useState<string | null | undefined>(() => {
    const fromAddress = params.get('credential')
    return fromAddress === null ? undefined : fromAddress === noCredential ? null : fromAddress
  })
  const credentialId: string | null = noneOnly
    ? null
    : picked !== undefined
      ? picked
      : (preferredCredential(credentials.data ?? [])?.id ?? null)

  const [input, setInput] = useState<unknown>(() => initialValue(action.input))
  const [progress, setProgress] = useState<Execution | null>(null)
  const [current, setCurrent] = useState<Execution | null>(null)
  const [problem, setProblem] = useState<{ error: ApiError; request: RunRequest } | null>(null)
  const [loaded, setLoaded] = useState('')
  const form = useRef<ActionParameterFormHandle>(null)
  const latest = useRef<Execution | null>(null)
  const run = useRunAction(setProgress)
  const retryExecution = useRetryExecution(setProgress)

  // The execution the address names (after going back to this page): shown, and its input loaded.
  const named = useExecution(current === null ? executionParam : null)
  const [prefilled, setPrefilled] = useState(false)
  if (!prefilled && named.data !== undefined && current === null) {
    setPrefilled(true)
    setCurrent(named.data)
    if (named.data.input !== null && named.data.input !== undefined) setInput(named.data.input)
  }
  useEffect(() => {
    latest.current = current
  }, [current])

  const show = (execution: Execution) => {
    latest.current = execution
    setCurrent(execution)
    setProgress(null)
    setParams(
      (previous) => {
        const next = new URLSearchParams(previous)
        next.set('execution', execution.id)
        return next
      },
      { replace: true },
    )
  }

  const choose = (id: string | null) => {
    setPicked(id)
    setParams(
      (previous) => {
        const next = new URLSearchParams(previous)
        next.set('credential', id ?? noCredential)
        return next
      },
      { replace: true },
    )
  }

  const submit = (value: unknown, mode: RunMode) => {
    const request: RunRequest = { action: action.id, credentialId, input: value, mode }
    setProblem(null)
    setCurrent(null)
    run.mutate(request, {
      onSuccess: show,
      onError: (error) => {
        setProgress(null)
        setProblem({ error, request })
      },
    })
  }

  const retry = async () => {
    const failed = latest.current
    if (failed === null) return
    const next = await retryExecution(failed.id)
    show(next)
    if (next.status !== 'succeeded') throw new ExecutionFailed(next)
  }

  /** A refused run (rate limit, quota) tried again as it was. */
  const rerun = async () => {
    if (problem === null) return
    const next = await runAction(api, problem.request, { onUpdate: setProgress })
    setProblem(null)
    show(next)
    if (next.status !== 'succeeded') throw new ExecutionFailed(next)
  }

  // Memoised: the form shows a new set of server errors afresh, so it must not be a new object each render.
  const validation = useMemo(
    () =>
      problem !== null && problem.error.code === 'validation_error'
        ? inputErrorsOf(problem.error.errors)
        : null,
    [problem],
  )
  const credentialErrors =
    validation?.other.filter((e) => e.path === '/credentialId').map((e) => e.message) ?? []
  const serverErrors = validation?.fields
  const fixInput = () => {
    form.current?.focus()
  }

  const running = run.isPending
  const announcement = resultAnnouncement(current, progress, running)

  return (
    <>
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <ol>
          <li>
            <Link to="/tools">Tools</Link>
          </li>
          <li>
            <Link to={`/tools/${encodeURIComponent(tool.slug)}`}>{tool.name}</Link>
          </li>
          <li aria-current="page">{action.title}</li>
        </ol>
      </nav>
      <PageTitle title={`${action.title} · ${tool.name}`}>{action.title}</PageTitle>
      <p className="muted action-id">
        <code>{action.id}</code>
      </p>
      {action.description !== '' && <p className="lede">{action.description}</p>}

      <div className="action-layout">
        <section aria-labelledby="credential-heading">
          <h2 id="credential-heading">Credential</h2>
          {noneOnly ? (
            <p>{tool.name} needs no credential: its actions run without one.</p>
          ) : (
            <CredentialPicker
              tool={tool}
              credentials={credentials}
              selected={credentialId}
              onSelect={choose}
              optional={optional}
              errors={credentialErrors}
            />
          )}
        </section>

        {action.examples.length > 0 && (
          <section aria-labelledby="examples-heading">
            <h2 id="examples-heading">Examples</h2>
            <p className="muted small">Loading an example replaces what is in the form.</p>
            <ul className="examples-list">
              {action.examples.map((example, i) => {
                const title = example.title ?? `Example ${i + 1}`
                return (
                  <li key={i}>
                    <Button
                      className="button"
                      onPress={() => {
                        setInput(structuredClone(example.input))
                        setLoaded(`The example “${title}” was loaded into the form.`)
                      }}
                    >
                      Load “{title}”
                    </Button>
                  </li>
                )
              })}
            </ul>
            <p role="status" className="muted small">
              {loaded}
            </p>
          </section>
        )}

        <section aria-labelledby="input-heading">
          <h2 id="input-heading">Input</h2>
          <ActionParameterForm
            ref={form}
            id="action-input"
            schema={action.input}
            value={input}
            onChange={setInput}
            onSubmit={submit}
            running={running}
            {...(serverErrors === undefined ? {} : { serverErrors })}
            toolbar={
              <TestDataGenerator
                tool={tool.slug}
                action={action.name}
                onFill={(sample) => {
                  setInput(sample)
                }}
              />
            }
          />
        </section>

        <section aria-labelledby="result-heading">
          <h2 id="result-heading">Result</h2>
          <p role="status" className="result-announcement">
            {announcement}
          </p>
          {problem !== null && recoverableCodes.has(problem.error.code) && (
            <ErrorRecoverySuggestions
              error={problemAsError(problem.error)}
              credentialId={credentialId}
              onRetry={rerun}
              headingLevel={3}
            />
          )}
          {problem !== null && !recoverableCodes.has(problem.error.code) && (
            <ApiErrorDisplay
              error={problem.error}
              headingLevel={3}
              title={
                problem.error.code === 'validation_error'
                  ? 'The input was refused'
                  : 'The action could not run'
              }
            >
              {problem.error.code === 'validation_error' && (
                <p>
                  <Button className="af-button-link" onPress={fixInput}>
                    Fix the input
                  </Button>
                </p>
              )}
            </ApiErrorDisplay>
          )}
          {current !== null && <ExecutionResult execution={current} onRetry={retry} onFixInput={fixInput} />}
          {current === null &&
            problem === null &&
            !running &&
            named.error !== null &&
            executionParam !== null && (
              <ApiErrorDisplay error={named.error} headingLevel={3} title="Could not load the last result" />
            )}
          {current === null && problem === null && !running && executionParam === null && (
            <p className="muted">Nothing has run yet. Fill in the input and press Run.</p>
          )}
        </section>
      </div>
    </>
  )
}

/** Runs one action of a tool from a form generated from its input schema, and shows the result. */
export default function ActionPage() {
  const params = useParams()
  const slug = params.slug ?? ''
  const actionName = params.action ?? ''
  const tool = useTool(slug)
  if (tool.data !== undefined) {
    const action = tool.data.actions.find((a) => a.name === actionName)
    if (action !== undefined)
      return <ActionRunner key={`${slug}/${actionName}`} tool={tool.data} action={action} />
    return (
      <div className="narrow">
        <PageTitle title="Action not found" />
        <p>
          {tool.data.name} has no action <code>{actionName}</code>. See its actions on the{' '}
          <Link to={`/tools/${encodeURIComponent(slug)}`}>{tool.data.name} page</Link>.
        </p>
      </div>
    )
  }
  if (hasStatus(tool.error, 404)) {
    return <ToolNotFound slug={slug} />
  }
  if (tool.error !== null) {
    return <ApiErrorDisplay error={tool.error} focusOnMount onRetry={() => void tool.refetch()} />
  }
  return <PageSkeleton label="Loading the action…" />
}
