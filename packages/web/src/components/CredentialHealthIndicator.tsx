import type { CredentialStatus } from '../api/credentials.js'
import '../styles/credentials.css'
import { LiveRelativeTime } from './Timestamp.js'

/** What the indicator needs of a credential. */
export interface CredentialHealth {
  readonly status: CredentialStatus
  readonly statusReason: string | null
  readonly lastCheckedAt: string | null
}

/** Each status's words: a short label, and what it means for someone deciding what to do. */
export const statusLabels: Readonly<Record<CredentialStatus, { label: string; meaning: string }>> = {
  healthy: { label: 'Healthy', meaning: 'The last check passed.' },
  degraded: { label: 'Degraded', meaning: 'The tool answered, but with a problem.' },
  expired: { label: 'Expired', meaning: 'The credential has expired: reconnect or enter a new secret.' },
  invalid: { label: 'Invalid', meaning: 'The tool rejected the credential: update its secrets.' },
  unchecked: { label: 'Not checked', meaning: 'It has not been checked since it was saved.' },
}

/**
 * What every credential icon's `<svg>` shares: 16 px line drawings in the text colour, hidden from
 * screen readers (the words beside them say the same).
 */
export const credentialIconProps = {
  className: 'cred-icon',
  viewBox: '0 0 16 16',
  width: 16,
  height: 16,
  'aria-hidden': true,
  focusable: false,
  fill: 'none',
  stroke: 'currentColor',
  strokeWidth: 1.75,
  strokeLinecap: 'round',
  strokeLinejoin: 'round',
} as const

/**
 * The status's icon. Each has its own shape (a tick, a triangle, a clock, a cross, a question mark),
 * so the status reads without colour; the label beside it says it in words.
 */
export function StatusIcon({ status }: { status: CredentialStatus }) {
  const common = credentialIconProps
  switch (status) {
    case 'healthy':
      return (
        <svg {...common}>
          <circle cx="8" cy="8" r="6.75" />
          <path d="M5 8.25l2 2 4-4.5" />
        </svg>
      )
    case 'degraded':
      return (
        <svg {...common}>
          <path d="M8 1.75l6.5 12H1.5z" />
          <path d="M8 6.25v3.5M8 11.75v.01" />
        </svg>
      )
    case 'expired':
      return (
        <svg {...common}>
          <circle cx="8" cy="8" r="6.75" />
          <path d="M8 4.25V8l2.5 1.75" />
        </svg>
      )
    case 'invalid':
      return (
        <svg {...common}>
          <path d="M5.2 1.25h5.6l3.95 3.95v5.6l-3.95 3.95H5.2l-3.95-3.95V5.2z" />
          <path d="M5.75 5.75l4.5 4.5M10.25 5.75l-4.5 4.5" />
        </svg>
      )
    case 'unchecked':
      return (
        <svg {...common}>
          <circle cx="8" cy="8" r="6.75" strokeDasharray="2.5 2" />
          <path d="M6.25 6.25a1.75 1.75 0 1 1 2.5 1.6c-.5.25-.75.6-.75 1.15M8 11.5v.01" />
        </svg>
      )
  }
}

/**
 * A credential's health in words and shapes, never by colour alone: an icon and a label per status,
 * when it was last checked (relative, with the exact time in the `<time>` element), and the reason
 * when it is not healthy. `compact` is the one-line form for lists: icon and label only.
 *
 * @example
 * <CredentialHealthIndicator credential={credential} />
 * <CredentialHealthIndicator credential={credential} compact />
 */
export function CredentialHealthIndicator({
  credential,
  compact = false,
}: {
  credential: CredentialHealth
  compact?: boolean
}) {
  const { status, statusReason, lastCheckedAt } = credential
  // A status a newer server adds reads as not checked rather than breaking the page.
  const { label } = (statusLabels as Partial<typeof statusLabels>)[status] ?? statusLabels.unchecked
  const badge = (
    <span className={`cred-status cred-status-${status}`}>
      <StatusIcon status={status} />
      <span className="cred-status-label">{label}</span>
    </span>
  )
  if (compact) return badge
  return (
    <div className="cred-health">
      <p className="cred-health-line">
        {badge}
        <span className="cred-health-checked muted">
          {lastCheckedAt === null ? (
            'Never checked'
          ) : (
            <>
              Checked <LiveRelativeTime iso={lastCheckedAt} />
            </>
          )}
        </span>
      </p>
      {status !== 'healthy' && (
        <p className="cred-health-reason">
          {statusReason ?? (statusLabels as Partial<typeof statusLabels>)[status]?.meaning}
        </p>
      )}
    </div>
  )
}
