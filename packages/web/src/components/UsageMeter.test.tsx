import { screen } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it, vi } from 'vitest'
import { apiError, renderWithApp } from '../testing/render.js'
import { usage } from '../testing/batches.js'
import { UsageMeter, periodName, periodOf } from './UsageMeter.js'

describe('UsageMeter', () => {
  it('shows the month’s executions against the quota as a meter with the numbers in words', () => {
    renderWithApp(<UsageMeter usage={usage()} current />)
    const meter = screen.getByRole('meter', { name: 'Executions this month' })
    expect(meter.getAttribute('aria-valuetext')).toBe('120 of 1,000 executions this month')
    expect(screen.queryByRole('note')).toBeNull()
    expect(screen.queryByRole('link')).toBeNull()
  })

  it('names a past month, and does not warn about it', () => {
    renderWithApp(
      <UsageMeter usage={usage({ period: '2025-11', used: 1000, remaining: 0 })} current={false} />,
    )
    expect(screen.getByRole('meter', { name: 'Executions in November 2025' })).toBeTruthy()
    expect(screen.queryByRole('note')).toBeNull()
  })

  it('warns near the quota, and says when it is used up', () => {
    const { unmount } = renderWithApp(<UsageMeter usage={usage({ used: 850, remaining: 150 })} current />)
    expect(screen.getByRole('note').textContent).toContain(
      '85% of the quota is used: 150 executions are left until',
    )
    unmount()
    renderWithApp(<UsageMeter usage={usage({ used: 1000, remaining: 0 })} current />)
    expect(screen.getByRole('note').textContent).toContain('The quota is used up: new executions are refused')
    expect(screen.getByRole('meter').getAttribute('aria-valuetext')).toBe(
      '1,000 of 1,000 executions this month',
    )
  })

  it('says unlimited when there is no quota', () => {
    renderWithApp(<UsageMeter usage={usage({ quota: null, remaining: null })} current />)
    expect(screen.queryByRole('meter')).toBeNull()
    expect(screen.getByText(/no monthly quota: executions are unlimited/)).toBeTruthy()
  })

  it('links admins to the settings where the quota changes', () => {
    renderWithApp(<UsageMeter usage={usage()} current canChangeQuota />)
    expect(
      screen.getByRole('link', { name: 'Change the monthly quota in Settings' }).getAttribute('href'),
    ).toBe('/settings')
  })

  it('shows a loading status, and an error with a retry', async () => {
    const { unmount } = renderWithApp(<UsageMeter usage={undefined} current />)
    expect(screen.getByRole('status').textContent).toBe('Loading the usage…')
    unmount()
    const onRetry = vi.fn()
    const error = apiError()
    renderWithApp(<UsageMeter usage={undefined} error={error} onRetry={onRetry} current />)
    await userEvent.click(screen.getByRole('button', { name: 'Try again' }))
    expect(onRetry).toHaveBeenCalledOnce()
  })

  it('names periods', () => {
    expect(periodName('2026-03')).toBe('March 2026')
    expect(periodName('nonsense')).toBe('nonsense')
    expect(periodOf(new Date('2026-01-31T23:59:59Z'))).toBe('2026-01')
  })
})
