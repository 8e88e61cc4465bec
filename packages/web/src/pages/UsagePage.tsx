import { useMemo } from 'react'
import { Button, Label, ListBox, ListBoxItem, Popover, Select, SelectValue } from 'react-aria-components'
import type { Key } from 'react-aria-components'
import { useSearchParams } from 'react-router'
import { useSession } from '../api/session.js'
import { useTools } from '../api/tools.js'
import { useUsage } from '../api/usage.js'
import { ApiErrorDisplay } from '../components/ErrorHandler.js'
import { PageTitle } from '../components/PageTitle.js'
import { UsageChart } from '../components/UsageChart.js'
import { UsageMeter, periodName, periodOf } from '../components/UsageMeter.js'
import '../styles/usage.css'

/** How many months the period selector offers, this one included. */
const monthsOffered = 12

/**
 * This month and the `count - 1` before it, newest first, as `YYYY-MM` (UTC).
 *
 * @example
 * recentPeriods(new Date('2026-02-10T00:00:00Z'), 3) // ['2026-02', '2026-01', '2025-12']
 */
export function recentPeriods(now: Date, count: number): string[] {
  return Array.from({ length: count }, (_, i) =>
    periodOf(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - i, 1))),
  )
}

const periodPattern = /^\d{4}-(0[1-9]|1[0-2])$/

/** The workspace's executions this month (or an earlier one) against its quota, and per tool. */
export default function UsagePage() {
  const [params, setParams] = useSearchParams()
  const thisMonth = periodOf(new Date())
  const asked = params.get('period')
  const period = asked !== null && periodPattern.test(asked) ? asked : thisMonth
  const current = period === thisMonth
  const usage = useUsage(current ? null : period)
  const session = useSession()
  const tools = useTools()

  const periods = useMemo(() => {
    const recent = recentPeriods(new Date(), monthsOffered)
    // A month from the address that is older than the list still shows as chosen.
    return recent.includes(period) ? recent : [...recent, period]
  }, [period])
  const toolNames = useMemo(() => new Map((tools.data ?? []).map((t) => [t.slug, t.name])), [tools.data])

  const principal = session.data?.principal
  const canChangeQuota =
    principal?.type === 'user'
      ? principal.role === 'owner' || principal.role === 'admin'
      : (session.data?.scopes.includes('admin') ?? false)

  const choose = (key: Key | null) => {
    if (key === null) return
    const next = new URLSearchParams(params)
    if (key === thisMonth) next.delete('period')
    else next.set('period', String(key))
    setParams(next)
  }

  const data = usage.data
  const label = current ? 'this month' : `in ${periodName(period)}`
  const failed = data === undefined && usage.error !== null

  return (
    <>
      <PageTitle title="Usage" />
      <p className="lede">
        Executions counted against the workspace’s monthly quota. Months are calendar months in UTC; the count
        starts again on the first of each month.
      </p>
      <Select className="field usage-period" value={period} onChange={choose}>
        <Label className="field-label">Month</Label>
        <Button className="input select-button">
          <SelectValue />
          <span aria-hidden="true">▾</span>
        </Button>
        <Popover className="select-popover">
          <ListBox className="select-list">
            {periods.map((p) => (
              <ListBoxItem key={p} id={p} className="select-option" textValue={periodName(p)}>
                {periodName(p)}
                {p === thisMonth && ' (this month)'}
              </ListBoxItem>
            ))}
          </ListBox>
        </Popover>
      </Select>
      {failed ? (
        <ApiErrorDisplay error={usage.error} onRetry={() => void usage.refetch()} />
      ) : (
        <>
          <section className="section" aria-labelledby="quota-heading">
            <h2 id="quota-heading">Quota</h2>
            <UsageMeter usage={data} current={current} canChangeQuota={canChangeQuota} />
          </section>
          <section className="section" aria-labelledby="by-tool-heading">
            <h2 id="by-tool-heading">Per tool</h2>
            <UsageChart byTool={data?.byTool} toolNames={toolNames} periodLabel={label} />
          </section>
        </>
      )}
    </>
  )
}
