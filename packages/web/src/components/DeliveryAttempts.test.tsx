import { screen, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it, vi } from 'vitest'
import { ApiError } from '../api/client.js'
import { renderWithApp } from '../testing/render.js'
import { delivered, failedDetail } from '../testing/webhooks.js'
import { DeliveryAttempts } from './DeliveryAttempts.js'

describe('DeliveryAttempts', () => {
  it('shows a skeleton while the attempts load', () => {
    renderWithApp(<DeliveryAttempts attempts={undefined} loading />)
    expect(screen.getByRole('status').textContent).toContain('Loading attempts…')
  })

  it('shows why the attempts could not load, with a retry', async () => {
    const onRetry = vi.fn()
    const error = new ApiError({
      status: 404,
      code: 'not_found',
      title: 'Not found',
      detail: 'No delivery dlv_9.',
    })
    renderWithApp(<DeliveryAttempts attempts={undefined} error={error} onRetry={onRetry} />)
    const alert = screen.getByRole('alert')
    expect(alert.textContent).toContain('Could not load the attempts')
    expect(alert.textContent).toContain('No delivery dlv_9.')
    await userEvent.click(within(alert).getByRole('button', { name: 'Try again' }))
    expect(onRetry).toHaveBeenCalledOnce()
  })

  it('says an attempt is coming when a pending delivery has none yet', () => {
    renderWithApp(<DeliveryAttempts attempts={[]} pending />)
    expect(screen.getByRole('heading', { name: 'No attempts yet' })).toBeTruthy()
    expect(document.body.textContent).toContain('updates by itself')
  })

  it('suggests a replay when a finished delivery has no attempts', () => {
    renderWithApp(<DeliveryAttempts attempts={[]} />)
    expect(document.body.textContent).toContain('Replay it to send it now.')
  })

  it('lists each attempt with its outcome in words, duration, error and time', () => {
    renderWithApp(<DeliveryAttempts attempts={failedDetail.attempts} />)
    const items = within(screen.getByRole('list', { name: 'Attempts' })).getAllByRole('listitem')
    expect(items).toHaveLength(2)
    expect(items[0]!.textContent).toContain('Attempt 1')
    expect(items[0]!.textContent).toContain('Failed · HTTP 500')
    expect(items[0]!.textContent).toContain('took 12 ms')
    expect(items[0]!.textContent).toContain('The endpoint answered 500')
    expect(items[0]!.querySelector('time')?.getAttribute('datetime')).toBe('2026-01-15T12:02:00.000Z')
    expect(items[1]!.textContent).toContain('Failed · No response')
    expect(items[1]!.textContent).toContain('Timed out after 15 s')
  })

  it('shows the endpoint’s response headers and body when the detail has them', async () => {
    renderWithApp(<DeliveryAttempts attempts={failedDetail.attempts} />)
    const items = within(screen.getByRole('list', { name: 'Attempts' })).getAllByRole('listitem')
    await userEvent.click(within(items[0]!).getByText('Response from the endpoint'))
    expect(items[0]!.textContent).toContain('content-type')
    expect(items[0]!.textContent).toContain('upstream exploded')
    // No response came to the second attempt: nothing to show.
    expect(within(items[1]!).queryByText('Response from the endpoint')).toBeNull()
  })

  it('marks a successful attempt as such', () => {
    renderWithApp(<DeliveryAttempts attempts={delivered.attempts} />)
    expect(screen.getByRole('listitem').textContent).toContain('Succeeded · HTTP 204')
  })
})
