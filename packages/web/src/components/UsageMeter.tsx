import { Label, Meter } from 'react-aria-components'
import { Link } from 'react-router'
import type { Usage } from '../api/usage.js'
import '../styles/usage.css'
import { ApiErrorDisplay } from './ErrorHandler.js'

/** From this share of the quota on, the meter warns. */
export const nearQuotaShare = 0.8

/**
 * The month of a period in words: "March 2026" (periods are UTC months).
 *
 * @example
 * periodName('2026-03') // 'March 2026'
 */
export function periodName(period: string): string {
  const [year, month] = period.split('-').map(Number)
  if (year === undefined || month === undefined || !Number.isInteger(year) || !Number.isInteger(month))
    return period
  return new Date(Date.UTC(year, month - 1, 1)).toLocaleString('en', {
    month: 'long',
    year: 'numeric',
    timeZone: 'UTC',
  })
}

/** The UTC month of a moment, `YYYY-MM`. */
export function periodOf(at: Date): string {
  return `${at.getUTCFullYear()}-${String(at.getUTCMonth() + 1).padStart(2, '0')}`
}

function dayName(iso: string): string {
  return new Date(iso).toLocaleString(undefined, { dateStyle: 'long', timeZone: 'UTC' })
}

export interface UsageMeterProps {
  /** The period's use; undefined while it loads. */
  readonly usage: Usage | undefined
  readonly error?: unknown
  readonly onRetry?: () => void
  /** Whether the period is the current month (warnings about the quota only matter then). */
  readonly current: boolean
  /** Whether the user may change the quota (an owner or admin): then a link to Settings shows. */
  readonly canChangeQuota?: boolean
}

/**
 * A month's executions against the workspace's quota: a meter with "N of M executions" in words,
 * "unlimited" when there is no quota, and a warning near or over it.
 *
 * @example
 * <UsageMeter usage={usage.data} error={usage.error} current canChangeQuota />
 */
export function UsageMeter({ usage, error, onRetry, current, canChangeQuota = false }: UsageMeterProps) {
  if (usage === undefined) {
    if (error !== null && error !== undefined) {
      return <ApiErrorDisplay error={error} {...(onRetry === undefined ? {} : { onRetry })} />
    }
    return (
      <div className="usage-meter" role="status">
        <span className="visually-hidden">Loading the usage…</span>
        <div className="skeleton skeleton-title" aria-hidden="true" />
        <div className="skeleton skeleton-line" aria-hidden="true" />
      </div>
    )
  }
  const when = current ? 'this month' : `in ${periodName(usage.period)}`
  const used = usage.used.toLocaleString()
  const settings = canChangeQuota ? (
    <p className="small">
      <Link to="/settings">Change the monthly quota in Settings</Link>
    </p>
  ) : null

  if (usage.quota === null) {
    return (
      <div className="usage-meter">
        <p className="usage-meter-figure">
          <strong>{used}</strong> {usage.used === 1 ? 'execution' : 'executions'} {when}
        </p>
        <p className="muted">This workspace has no monthly quota: executions are unlimited.</p>
        {settings}
      </div>
    )
  }

  const quota = usage.quota
  const share = quota === 0 ? 1 : usage.used / quota
  const over = usage.used >= quota
  const near = !over && share >= nearQuotaShare
  let warning: string | null = null
  if (current && over) {
    warning = `The quota is used up: new executions are refused (quota_exceeded) until ${dayName(usage.periodEnd)}.`
  } else if (current && near) {
    warning = `${Math.floor(share * 100)}% of the quota is used: ${(quota - usage.used).toLocaleString()} executions are left until ${dayName(usage.periodEnd)}.`
  }
  return (
    <div className="usage-meter">
      <Meter
        className="usage-meter-bar"
        value={Math.min(usage.used, quota)}
        minValue={0}
        maxValue={Math.max(quota, 1)}
        valueLabel={`${used} of ${quota.toLocaleString()} executions ${when}`}
        data-level={over ? 'over' : near ? 'near' : 'ok'}
      >
        {({ valueText, percentage }) => (
          <>
            <Label className="usage-meter-label">Executions {when}</Label>
            <p className="usage-meter-figure" aria-hidden="true">
              {valueText}
            </p>
            <div className="meter-track usage-meter-track" aria-hidden="true">
              <div className="usage-meter-fill" style={{ width: `${Math.min(percentage, 100)}%` }} />
            </div>
          </>
        )}
      </Meter>
      {warning !== null && (
        <p className="notice notice-danger usage-warning" role="note">
          <span aria-hidden="true">⚠ </span>
          {warning}
        </p>
      )}
      {settings}
    </div>
  )
}
