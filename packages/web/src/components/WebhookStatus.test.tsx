import { screen } from '@testing-library/react'
import { describe, expect, it } from 'vitest'
import { renderWithApp } from '../testing/render.js'
import { webhook } from '../testing/webhooks.js'
import { DeliveryStatusText, WebhookStatusText } from './WebhookStatus.js'

describe('WebhookStatusText', () => {
  it('says enabled', () => {
    renderWithApp(<WebhookStatusText webhook={webhook} />)
    expect(document.body.textContent).toContain('Enabled')
  })

  it('says disabled and why, in words beside the icon', () => {
    renderWithApp(
      <WebhookStatusText
        webhook={{ ...webhook, enabled: false, disabledReason: 'The endpoint answered 410 Gone' }}
      />,
    )
    expect(document.body.textContent).toContain('Disabled: The endpoint answered 410 Gone')
    // The icon is decoration; the words carry the status.
    expect(document.querySelector('.status-icon')?.getAttribute('aria-hidden')).toBe('true')
  })

  it('says since when an enabled endpoint is failing', () => {
    renderWithApp(<WebhookStatusText webhook={{ ...webhook, failingSince: '2026-01-15T12:00:00.000Z' }} />)
    expect(document.body.textContent).toMatch(/Enabled, failing since .*2026/)
  })
})

describe('DeliveryStatusText', () => {
  it.each([
    ['pending', 'Pending'],
    ['delivered', 'Delivered'],
    ['failed', 'Failed'],
  ] as const)('names %s in words', (status, words) => {
    renderWithApp(<DeliveryStatusText status={status} />)
    expect(screen.getByText(words)).toBeTruthy()
  })
})
