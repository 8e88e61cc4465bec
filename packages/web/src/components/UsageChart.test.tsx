import { screen, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it, vi } from 'vitest'
import { apiError, renderWithApp } from '../testing/render.js'
import { usage } from '../testing/batches.js'
import { UsageChart } from './UsageChart.js'

const names = new Map([['http', 'HTTP']])

describe('UsageChart', () => {
  it('lists each tool with its count in text, linking to its executions', () => {
    renderWithApp(<UsageChart byTool={usage().byTool} toolNames={names} periodLabel="this month" />)
    const list = screen.getByRole('list', { name: 'Executions per tool this month, most first' })
    const rows = within(list).getAllByRole('listitem')
    expect(rows.map((r) => r.textContent)).toEqual(['HTTP100 executions', 'github20 executions'])
    expect(within(rows[0]!).getByRole('link', { name: 'HTTP' }).getAttribute('href')).toBe(
      '/executions?tool=http',
    )
  })

  it('offers the numbers as a table, with each tool’s share', async () => {
    renderWithApp(<UsageChart byTool={usage().byTool} toolNames={names} periodLabel="this month" />)
    expect(screen.queryByRole('table')).toBeNull()
    await userEvent.click(screen.getByRole('button', { name: 'Show the numbers as a table' }))
    const table = screen.getByRole('table', { name: 'Executions per tool this month' })
    const rows = within(table)
      .getAllByRole('row')
      .map((r) => r.textContent)
    expect(rows).toEqual([
      'ToolExecutionsShare',
      'HTTP http10083.3%',
      'github github2016.7%',
      'All tools120100%',
    ])
  })

  it('has an empty state that leads to running an action', () => {
    renderWithApp(<UsageChart byTool={[]} periodLabel="in March 2026" />)
    expect(screen.getByRole('heading', { name: 'No executions in March 2026' })).toBeTruthy()
    expect(screen.getByRole('link', { name: 'Run an action' }).getAttribute('href')).toBe('/tools')
  })

  it('shows a skeleton while loading, and an error with a retry', async () => {
    const { unmount } = renderWithApp(<UsageChart byTool={undefined} periodLabel="this month" />)
    expect(screen.getByRole('status').textContent).toBe('Loading executions per tool…')
    unmount()
    const onRetry = vi.fn()
    const error = apiError()
    renderWithApp(<UsageChart byTool={undefined} error={error} onRetry={onRetry} periodLabel="this month" />)
    await userEvent.click(screen.getByRole('button', { name: 'Try again' }))
    expect(onRetry).toHaveBeenCalledOnce()
  })
})
