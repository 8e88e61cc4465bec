import { useEffect, useId, useRef, useState } from 'react'
import { Button } from 'react-aria-components'
import { Link } from 'react-router'
import type { Credential, DiagnosticCheck } from '../api/credentials.js'
import { useDiagnoseCredential } from '../api/credentials.js'
import { useTool } from '../api/tools.js'
import { credentialIconProps } from './CredentialHealthIndicator.js'
import { ApiErrorDisplay } from './ErrorHandler.js'
import type { EditFocus } from './ToolCredentialManager.js'
import '../styles/credentials.css'

/** What the user can do about a failed check from here. */
export type FixAction =
  | { readonly kind: 'edit'; readonly label: string; readonly focus: EditFocus }
  | { readonly kind: 'link'; readonly label: string; readonly to: string }

/**
 * The way to act on a failed check: edit the secrets or the base URL, or reconnect an OAuth account;
 * null when the fix is outside Toolplane's UI (a server's clock, the provider's certificate).
 *
 * @example
 * fixFor('health_check', { oauth: false, tool: 'http' }) // { kind: 'edit', label: 'Edit the secrets', focus: 'secrets' }
 */
export function fixFor(checkId: string, { oauth, tool }: { oauth: boolean; tool: string }): FixAction | null {
  const reconnect: FixAction = {
    kind: 'link',
    label: 'Reconnect the account',
    to: `/credentials?tool=${encodeURIComponent(tool)}`,
  }
  switch (checkId) {
    case 'secrets_present':
    case 'health_check':
      return oauth ? reconnect : { kind: 'edit', label: 'Edit the secrets', focus: 'secrets' }
    case 'not_expired':
    case 'refresh_works':
    case 'scopes_cover_actions':
      return reconnect
    case 'dns':
    case 'tcp':
    case 'tls':
      return oauth ? null : { kind: 'edit', label: 'Edit the base URL', focus: 'baseUrl' }
    default:
      return null
  }
}

const verdicts: Record<DiagnosticCheck['status'], string> = {
  pass: 'Passed',
  fail: 'Failed',
  skip: 'Skipped',
}

function CheckIcon({ status }: { status: DiagnosticCheck['status'] }) {
  const common = credentialIconProps
  if (status === 'pass') {
    return (
      <svg {...common}>
        <circle cx="8" cy="8" r="6.75" />
        <path d="M5 8.25l2 2 4-4.5" />
      </svg>
    )
  }
  if (status === 'fail') {
    return (
      <svg {...common}>
        <path d="M5.2 1.25h5.6l3.95 3.95v5.6l-3.95 3.95H5.2l-3.95-3.95V5.2z" />
        <path d="M5.75 5.75l4.5 4.5M10.25 5.75l-4.5 4.5" />
      </svg>
    )
  }
  return (
    <svg {...common}>
      <circle cx="8" cy="8" r="6.75" strokeDasharray="2.5 2" />
      <path d="M5 8h6" />
    </svg>
  )
}

export interface CredentialTroubleshooterProps {
  readonly credential: Pick<Credential, 'id' | 'tool' | 'name' | 'authMethod'>
  /** Opens the edit form, with the cursor on the secrets or the base URL. */
  readonly onEdit?: (focus: EditFocus) => void
  /** Runs the checks as soon as it shows (the page opened with `?troubleshoot=1`). */
  readonly autoRun?: boolean
  readonly headingLevel?: 2 | 3
}

/**
 * Troubleshoots a credential: runs the server's ordered checks (secrets present, not expired, refresh,
 * scopes, DNS, TCP, TLS, clock skew, health check), shows each as passed, failed or skipped in words
 * and shapes, and walks through the failed ones one step at a time — what was seen, what to do, a
 * button to do it (edit the secrets, reconnect), "Next", and "Run checks again".
 *
 * @example
 * <CredentialTroubleshooter credential={credential} onEdit={(focus) => openEdit(focus)} autoRun />
 */
export function CredentialTroubleshooter({
  credential,
  onEdit,
  autoRun = false,
  headingLevel = 2,
}: CredentialTroubleshooterProps) {
  const diagnose = useDiagnoseCredential(credential.id)
  const tool = useTool(credential.tool)
  const method = tool.data?.authMethods.find((m) => m.id === credential.authMethod)
  const oauth = method?.kind === 'oauth2'
  const [step, setStep] = useState(0)
  const stepHeading = useRef<HTMLHeadingElement>(null)
  const moved = useRef(false)
  const headingId = useId()
  const Heading = headingLevel === 2 ? 'h2' : 'h3'
  const Sub = headingLevel === 2 ? 'h3' : 'h4'

  const run = () => {
    diagnose.mutate(undefined, {
      onSuccess: () => {
        setStep(0)
      },
    })
  }

  const ran = useRef(false)
  useEffect(() => {
    if (autoRun && !ran.current) {
      ran.current = true
      run()
    }
    // Once, when it first shows.
  }, [autoRun])

  useEffect(() => {
    if (!moved.current) return
    moved.current = false
    stepHeading.current?.focus()
  }, [step])

  const diagnosis = diagnose.data
  const failed = diagnosis?.checks.filter((c) => c.status === 'fail') ?? []
  const current = failed[Math.min(step, failed.length - 1)]
  const goTo = (index: number) => {
    moved.current = true
    setStep(index)
  }

  let summary = ''
  if (diagnose.isPending) summary = 'Running the checks…'
  else if (diagnosis !== undefined) {
    const passed = diagnosis.checks.filter((c) => c.status === 'pass').length
    summary = diagnosis.ok
      ? `All checks passed (${passed} passed, ${diagnosis.checks.length - passed} skipped).`
      : `${failed.length} of ${diagnosis.checks.length} checks failed.`
  }

  const fix = current === undefined ? null : fixFor(current.id, { oauth, tool: credential.tool })

  return (
    <section className="cred-troubleshooter" aria-labelledby={headingId}>
      <Heading id={headingId}>Troubleshoot</Heading>
      <p className="muted">
        Runs the checks that say why a credential does not work — its secrets, its token, the network path to
        the tool, the clocks and the tool’s own health check — and what to do about each failure.
      </p>
      <div className="button-row">
        <Button className="button" onPress={run} isPending={diagnose.isPending}>
          {diagnosis === undefined && !diagnose.isPending ? 'Run checks' : 'Run checks again'}
        </Button>
      </div>
      <p role="status" className="cred-live cred-summary">
        {summary}
      </p>
      {diagnose.error !== null && (
        <ApiErrorDisplay
          error={diagnose.error}
          headingLevel={3}
          title="The checks could not be run"
          onRetry={run}
        />
      )}
      {diagnosis !== undefined && (
        <>
          {diagnosis.ok ? (
            <div className="cred-all-pass">
              <CheckIcon status="pass" />
              <p>
                Every check passed: {credential.name} can reach the tool and its secrets are accepted. If
                actions still fail, look at their errors in the execution log.
              </p>
            </div>
          ) : (
            current !== undefined && (
              <div className="notice notice-danger cred-step">
                <Sub ref={stepHeading} tabIndex={-1} className="cred-step-title">
                  Step {Math.min(step, failed.length - 1) + 1} of {failed.length}: {current.title}
                </Sub>
                <dl className="cred-step-facts">
                  <div>
                    <dt>What was seen</dt>
                    <dd>{current.observed}</dd>
                  </div>
                  {current.fix !== null && (
                    <div>
                      <dt>What to do</dt>
                      <dd>{current.fix}</dd>
                    </div>
                  )}
                </dl>
                <div className="button-row">
                  {fix?.kind === 'edit' && onEdit !== undefined && (
                    <Button
                      className="button button-primary"
                      onPress={() => {
                        onEdit(fix.focus)
                      }}
                    >
                      {fix.label}
                    </Button>
                  )}
                  {fix?.kind === 'link' && (
                    <Link className="button button-primary" to={fix.to}>
                      {fix.label}
                    </Link>
                  )}
                  {step > 0 && (
                    <Button
                      className="button"
                      onPress={() => {
                        goTo(step - 1)
                      }}
                    >
                      Previous step
                    </Button>
                  )}
                  {step < failed.length - 1 && (
                    <Button
                      className="button"
                      onPress={() => {
                        goTo(step + 1)
                      }}
                    >
                      Next step
                    </Button>
                  )}
                  <Button className="button" onPress={run}>
                    Run checks again
                  </Button>
                </div>
              </div>
            )
          )}
          <Sub className="cred-checks-title">All checks, in order</Sub>
          <ol className="cred-checks">
            {diagnosis.checks.map((check) => (
              <li key={check.id} className={`cred-check cred-check-${check.status}`}>
                <span className="cred-check-verdict">
                  <CheckIcon status={check.status} />
                  <span>{verdicts[check.status]}</span>
                </span>
                <span className="cred-check-body">
                  <strong>{check.title}</strong>
                  <span className="cred-check-observed">{check.observed}</span>
                </span>
              </li>
            ))}
          </ol>
        </>
      )}
    </section>
  )
}
