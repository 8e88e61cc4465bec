/**
 * What went wrong with an execution and what to do about it: the error's class in words, its message
 * and HTTP status, and each recovery suggestion the server gave with the step in the UI it points to
 * (edit the credential, troubleshoot it, fix the input, retry, see the usage).
 */
import { useId } from 'react'
import { Button } from 'react-aria-components'
import { Link } from 'react-router'
import type { ExecutionError, Suggestion } from '../api/executions.js'
import { RetryManager } from './RetryManager.js'
import '../styles/actions.css'

/** Each error class's name for people (the server's catalogue titles, SPEC §5). */
export const errorClassTitles: Readonly<Record<string, string>> = {
  validation_error: 'Invalid input',
  auth_error: 'Authentication failed',
  permission_error: 'Not permitted',
  not_found: 'Not found',
  conflict: 'Conflict',
  rate_limited: 'Rate limited',
  quota_exceeded: 'Quota exceeded',
  upstream_error: 'Upstream error',
  upstream_unavailable: 'Upstream unavailable',
  timeout: 'Timed out',
  network_error: 'Network error',
  credential_expired: 'Credential expired',
  transform_error: 'Transformation failed',
  cancelled: 'Cancelled',
  internal_error: 'Internal error',
}

/** The name of an error class ("Authentication failed"); an unknown class reads as its words. */
export function errorClassTitle(errorClass: string): string {
  const known = errorClassTitles[errorClass]
  if (known !== undefined) return known
  const words = errorClass.replace(/_/g, ' ')
  return words.charAt(0).toUpperCase() + words.slice(1)
}

/** A step in the UI a suggestion points to. */
export type RecoveryStep = 'edit_credential' | 'troubleshoot' | 'fix_input' | 'retry' | 'usage' | 'settings'

/** The steps that help with each class, most useful first. */
const stepsByClass: Readonly<Record<string, readonly RecoveryStep[]>> = {
  validation_error: ['fix_input'],
  transform_error: ['fix_input'],
  auth_error: ['edit_credential', 'troubleshoot'],
  permission_error: ['troubleshoot', 'edit_credential'],
  credential_expired: ['edit_credential', 'troubleshoot'],
  not_found: ['fix_input', 'troubleshoot'],
  conflict: ['fix_input', 'retry'],
  rate_limited: ['retry'],
  quota_exceeded: ['usage', 'settings'],
  upstream_error: ['retry'],
  upstream_unavailable: ['retry'],
  timeout: ['retry', 'fix_input'],
  network_error: ['retry', 'troubleshoot'],
  cancelled: ['retry'],
  internal_error: ['retry'],
}

// Which step a suggestion's words are about, tried in this order.
const stepWords: readonly [RecoveryStep, RegExp][] = [
  ['troubleshoot', /diagnos|troubleshoot|scope|reachab|DNS|TCP|TLS|address|outbound|can see/i],
  ['edit_credential', /secret|token|key|reconnect|credential|sign in/i],
  ['usage', /usage/i],
  ['settings', /quota|settings/i],
  [
    'fix_input',
    /input|schema|field|sample|name|id|ask for less|narrow|current state|transformation|expression/i,
  ],
  ['retry', /retry|wait|again|recover/i],
]

/**
 * The steps of the UI each suggestion points to, for an error of `errorClass`: a step the class
 * allows that the suggestion's words are about, each step at most once. Steps no suggestion took are
 * returned apart, to be offered on their own.
 *
 * @example
 * stepsFor('auth_error', [{ title: 'Update the secrets', detail: '…' }, { title: 'Run diagnose', detail: '…' }])
 * // { bySuggestion: ['edit_credential', 'troubleshoot'], remaining: [] }
 */
export function stepsFor(
  errorClass: string,
  suggestions: readonly Suggestion[],
): { bySuggestion: (RecoveryStep | null)[]; remaining: RecoveryStep[] } {
  const allowed = stepsByClass[errorClass] ?? ['retry']
  const used = new Set<RecoveryStep>()
  const bySuggestion = suggestions.map((suggestion) => {
    const text = `${suggestion.title} ${suggestion.detail}`
    for (const [step, words] of stepWords) {
      if (allowed.includes(step) && !used.has(step) && words.test(text)) {
        used.add(step)
        return step
      }
    }
    return null
  })
  return { bySuggestion, remaining: allowed.filter((step) => !used.has(step)) }
}

export interface ErrorRecoverySuggestionsProps {
  readonly error: ExecutionError
  /** The credential the execution ran with; null when it ran without one. */
  readonly credentialId: string | null
  /**
   * Runs the execution again; when it returns a promise that rejects, the retry counts as failed and
   * (if the rejection is retryable) is tried again with backoff.
   */
  readonly onRetry?: () => unknown
  /** Takes the user back to the input (the action page focuses its form). */
  readonly onFixInput?: () => void
  /** Where the input can be fixed when `onFixInput` is not given (the action's page). */
  readonly inputHref?: string
  readonly headingLevel?: 2 | 3
}

function StepControl({
  step,
  credentialId,
  onFixInput,
  inputHref,
}: {
  step: RecoveryStep
  credentialId: string | null
  onFixInput: (() => void) | undefined
  inputHref: string | undefined
}) {
  const credential = credentialId === null ? null : `/credentials/${encodeURIComponent(credentialId)}`
  switch (step) {
    case 'edit_credential':
      return credential === null ? null : (
        <Link className="recovery-step" to={credential}>
          Edit the credential
        </Link>
      )
    case 'troubleshoot':
      return credential === null ? null : (
        <Link className="recovery-step" to={`${credential}?troubleshoot=1`}>
          Troubleshoot
        </Link>
      )
    case 'usage':
      return (
        <Link className="recovery-step" to="/usage">
          See the usage
        </Link>
      )
    case 'settings':
      return (
        <Link className="recovery-step" to="/settings">
          Open the settings
        </Link>
      )
    case 'fix_input':
      if (onFixInput !== undefined) {
        return (
          <Button className="button button-quiet recovery-step" onPress={onFixInput}>
            Fix the input
          </Button>
        )
      }
      return inputHref === undefined ? null : (
        <Link className="recovery-step" to={inputHref}>
          Fix the input
        </Link>
      )
    case 'retry':
      // The retry control is shown once, below the suggestions.
      return null
  }
}

/**
 * An execution's error with what to do about it. Every suggestion the server sent is shown with the
 * step it points to, chosen by the error's class: a credential problem links to the credential
 * (edit, or troubleshoot), invalid input goes back to the form, a rate limit retries by itself once
 * the server's wait is over, an exhausted quota links to the usage, and passing failures (timeouts,
 * network, upstream outages) offer Retry. The class is named in words and marked with a symbol, never
 * by colour alone.
 *
 * @example
 * <ErrorRecoverySuggestions error={execution.error} credentialId={execution.credentialId} onRetry={retry} />
 */
export function ErrorRecoverySuggestions({
  error,
  credentialId,
  onRetry,
  onFixInput,
  inputHref,
  headingLevel = 2,
}: ErrorRecoverySuggestionsProps) {
  const Heading = headingLevel === 2 ? 'h2' : 'h3'
  const Sub = headingLevel === 2 ? 'h3' : 'h4'
  const { bySuggestion, remaining } = stepsFor(error.class, error.suggestions)
  const headingId = useId()
  const rateLimited = error.class === 'rate_limited' && error.retryAfterMs !== undefined
  const control = (step: RecoveryStep) => (
    <StepControl step={step} credentialId={credentialId} onFixInput={onFixInput} inputHref={inputHref} />
  )
  const extra = remaining.filter((step) => step !== 'retry')

  return (
    <section className="recovery" aria-labelledby={headingId}>
      <Heading id={headingId} className="recovery-title">
        <span aria-hidden="true" className="recovery-symbol">
          ✕
        </span>{' '}
        {errorClassTitle(error.class)}
      </Heading>
      <p className="recovery-message">{error.message}</p>
      <dl className="facts recovery-facts">
        <div>
          <dt>Error class</dt>
          <dd>
            <code>{error.class}</code>
          </dd>
        </div>
        {error.httpStatus !== undefined && (
          <div>
            <dt>HTTP status</dt>
            <dd>{error.httpStatus}</dd>
          </div>
        )}
        <div>
          <dt>Trying again</dt>
          <dd>
            {error.retryable ? 'May help: the cause can pass.' : 'Will not help until the cause is fixed.'}
          </dd>
        </div>
        {error.retryAfterMs !== undefined && (
          <div>
            <dt>Wait asked for</dt>
            <dd>{Math.ceil(error.retryAfterMs / 1000)} s</dd>
          </div>
        )}
      </dl>
      {error.suggestions.length > 0 && (
        <>
          <Sub className="recovery-subtitle">What you can do</Sub>
          <ol className="recovery-list">
            {error.suggestions.map((suggestion, i) => {
              const step = bySuggestion[i] ?? null
              return (
                <li key={`${suggestion.title}:${i}`} className="recovery-item">
                  <strong>{suggestion.title}</strong>
                  <p className="recovery-detail">{suggestion.detail}</p>
                  {step !== null && step !== 'retry' && control(step)}
                </li>
              )
            })}
          </ol>
        </>
      )}
      {extra.length > 0 && (
        <div className="button-row recovery-steps">
          {extra.map((step) => (
            <span key={step}>{control(step)}</span>
          ))}
        </div>
      )}
      {onRetry !== undefined && (
        // Any failure can be retried once its cause is fixed (a new token, a raised quota); a failure
        // that can pass by itself is tried again with backoff, a timed rate limit after its wait.
        <RetryManager
          run={async () => {
            await onRetry()
          }}
          maxAttempts={error.retryable ? 3 : 1}
          baseDelayMs={1000}
          maxDelayMs={30_000}
          retryAfterMs={rateLimited ? error.retryAfterMs : undefined}
          autoStart={rateLimited}
        />
      )}
    </section>
  )
}
