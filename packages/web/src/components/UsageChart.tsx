import { useId } from 'react'
import { Button, Disclosure, DisclosurePanel, Heading } from 'react-aria-components'
import { Link } from 'react-router'
import type { Usage } from '../api/usage.js'
import '../styles/usage.css'
import { EmptyState } from './EmptyState.js'
import { ApiErrorDisplay } from './ErrorHandler.js'
import { ListSkeleton } from './Skeleton.js'

export interface UsageChartProps {
  /** Executions per tool, most first; undefined while loading. */
  readonly byTool: Usage['byTool'] | undefined
  readonly error?: unknown
  readonly onRetry?: () => void
  /** Tool names by slug, for labels; the slug shows where a name is unknown. */
  readonly toolNames?: ReadonlyMap<string, string>
  /** The period's name for the caption and the empty state ("this month", "March 2026"). */
  readonly periodLabel: string
}

/**
 * Executions per tool as a bar chart: each bar labelled with the tool and its count in text (the bar's
 * length only repeats the number), each tool linking to its executions, and the same numbers with
 * their shares as a table on request.
 *
 * @example
 * <UsageChart byTool={usage.data?.byTool} periodLabel="this month" toolNames={names} />
 */
export function UsageChart({ byTool, error, onRetry, toolNames, periodLabel }: UsageChartProps) {
  const captionId = useId()
  if (byTool === undefined) {
    if (error !== null && error !== undefined) {
      return (
        <ApiErrorDisplay error={error} headingLevel={3} {...(onRetry === undefined ? {} : { onRetry })} />
      )
    }
    return <ListSkeleton rows={3} label="Loading executions per tool…" />
  }
  if (byTool.length === 0) {
    return (
      <EmptyState
        title={`No executions ${periodLabel}`}
        headingLevel={3}
        action={
          <Link className="button button-primary" to="/tools">
            Run an action
          </Link>
        }
      >
        <p>Executions are counted per tool as they run. Pick a tool and run one of its actions.</p>
      </EmptyState>
    )
  }
  const total = byTool.reduce((sum, row) => sum + row.executions, 0)
  const most = Math.max(...byTool.map((row) => row.executions), 1)
  const name = (slug: string) => toolNames?.get(slug) ?? slug
  const percent = (n: number) => (total === 0 ? '0%' : `${Math.round((n / total) * 1000) / 10}%`)
  return (
    <figure className="usage-chart">
      <figcaption id={captionId} className="usage-chart-caption">
        Executions per tool {periodLabel}, most first
      </figcaption>
      <ol className="usage-bars" aria-labelledby={captionId}>
        {byTool.map((row) => (
          <li key={row.tool} className="usage-bar-row">
            <span className="usage-bar-name">
              <Link to={`/executions?tool=${encodeURIComponent(row.tool)}`}>{name(row.tool)}</Link>
            </span>
            <span className="usage-bar-track" aria-hidden="true">
              <span className="usage-bar" style={{ width: `${(row.executions / most) * 100}%` }} />
            </span>
            <span className="usage-bar-value">
              {row.executions.toLocaleString()}
              <span className="visually-hidden"> {row.executions === 1 ? 'execution' : 'executions'}</span>
            </span>
          </li>
        ))}
      </ol>
      <Disclosure className="usage-table-disclosure">
        <Heading level={3} className="usage-table-heading">
          <Button slot="trigger" className="button button-quiet">
            Show the numbers as a table
          </Button>
        </Heading>
        <DisclosurePanel>
          <table className="usage-table">
            <caption className="visually-hidden">Executions per tool {periodLabel}</caption>
            <thead>
              <tr>
                <th scope="col">Tool</th>
                <th scope="col">Executions</th>
                <th scope="col">Share</th>
              </tr>
            </thead>
            <tbody>
              {byTool.map((row) => (
                <tr key={row.tool}>
                  <th scope="row">
                    {name(row.tool)} <code className="muted">{row.tool}</code>
                  </th>
                  <td>{row.executions.toLocaleString()}</td>
                  <td>{percent(row.executions)}</td>
                </tr>
              ))}
            </tbody>
            <tfoot>
              <tr>
                <th scope="row">All tools</th>
                <td>{total.toLocaleString()}</td>
                <td>100%</td>
              </tr>
            </tfoot>
          </table>
        </DisclosurePanel>
      </Disclosure>
    </figure>
  )
}
