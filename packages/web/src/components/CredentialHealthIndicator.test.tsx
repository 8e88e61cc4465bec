import { render, screen } from '@testing-library/react'
import { describe, expect, it } from 'vitest'
import type { CredentialStatus } from '../api/credentials.js'
import { credentialStatuses } from '../api/credentials.js'
import { CredentialHealthIndicator, statusLabels } from './CredentialHealthIndicator.js'

const minutesAgo = (n: number) => new Date(Date.now() - n * 60_000).toISOString()

describe('CredentialHealthIndicator', () => {
  it.each(credentialStatuses)('shows the %s status as a label beside its own icon', (status) => {
    const { container } = render(
      <CredentialHealthIndicator credential={{ status, statusReason: null, lastCheckedAt: null }} />,
    )
    expect(screen.getByText(statusLabels[status].label)).toBeTruthy()
    const icon = container.querySelector('svg')
    expect(icon?.getAttribute('aria-hidden')).toBe('true')
  })

  it('gives every status a different icon, so none depends on colour', () => {
    const shapes = new Set(
      credentialStatuses.map((status: CredentialStatus) => {
        const { container } = render(
          <CredentialHealthIndicator
            credential={{ status, statusReason: null, lastCheckedAt: null }}
            compact
          />,
        )
        return container.querySelector('svg')?.innerHTML
      }),
    )
    expect(shapes.size).toBe(credentialStatuses.length)
  })

  it('shows when it was last checked, with the exact time in the time element', () => {
    const at = minutesAgo(5)
    render(
      <CredentialHealthIndicator
        credential={{ status: 'healthy', statusReason: 'The check passed.', lastCheckedAt: at }}
      />,
    )
    const time = screen.getByText('5 minutes ago')
    expect(time.tagName).toBe('TIME')
    expect(time.getAttribute('dateTime')).toBe(at)
    expect(time.getAttribute('title')).toBe(
      new Date(at).toLocaleString(undefined, { dateStyle: 'long', timeStyle: 'long' }),
    )
    expect(time.parentElement?.textContent).toBe('Checked 5 minutes ago')
  })

  it('shows the reason when the credential is not healthy, and not when it is', () => {
    const { rerender } = render(
      <CredentialHealthIndicator
        credential={{
          status: 'invalid',
          statusReason: 'The API answered 401 (auth_error)',
          lastCheckedAt: minutesAgo(1),
        }}
      />,
    )
    expect(screen.getByText('The API answered 401 (auth_error)')).toBeTruthy()
    rerender(
      <CredentialHealthIndicator
        credential={{
          status: 'healthy',
          statusReason: 'The health check passed.',
          lastCheckedAt: minutesAgo(1),
        }}
      />,
    )
    expect(screen.queryByText('The health check passed.')).toBeNull()
  })

  it('explains a status that has no reason, and says when it was never checked', () => {
    render(
      <CredentialHealthIndicator
        credential={{ status: 'unchecked', statusReason: null, lastCheckedAt: null }}
      />,
    )
    expect(screen.getByText('Never checked')).toBeTruthy()
    expect(screen.getByText(statusLabels.unchecked.meaning)).toBeTruthy()
  })

  it('is one line in its compact form: icon and label only', () => {
    const { container } = render(
      <CredentialHealthIndicator
        credential={{ status: 'expired', statusReason: 'The token expired.', lastCheckedAt: minutesAgo(2) }}
        compact
      />,
    )
    expect(container.textContent).toBe('Expired')
    expect(container.querySelector('time')).toBeNull()
  })
})
