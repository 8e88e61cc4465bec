import { screen } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it, vi } from 'vitest'
import { ApiError } from '../api/client.js'
import { eventPatternProblem, splitPatterns } from '../api/webhooks.js'
import { renderWithApp } from '../testing/render.js'
import { webhook } from '../testing/webhooks.js'
import { WebhookForm } from './WebhookForm.js'

function renderForm(props: Partial<Parameters<typeof WebhookForm>[0]> = {}) {
  const onSubmit = vi.fn()
  renderWithApp(
    <WebhookForm submitLabel="Add endpoint" onSubmit={onSubmit} pending={false} error={null} {...props} />,
  )
  return onSubmit
}

const url = () => screen.getByRole<HTMLInputElement>('textbox', { name: 'Endpoint URL' })
const submit = () => userEvent.click(screen.getByRole('button', { name: 'Add endpoint' }))

describe('event patterns', () => {
  it('accepts types, prefixes, triggers and *', () => {
    for (const pattern of [
      'execution.failed',
      'execution.*',
      'trigger.github.push',
      'trigger.stripe.*',
      '*',
    ]) {
      expect(eventPatternProblem(pattern), pattern).toBeNull()
    }
  })

  it('refuses misspelt types, unknown prefixes and malformed patterns', () => {
    expect(eventPatternProblem('execution.succeded')).toContain('matches no event type')
    expect(eventPatternProblem('payment.*')).toContain('matches no event type')
    expect(eventPatternProblem('Execution Failed')).toContain('is not an event pattern')
  })

  it('splits what the user typed on lines, commas and spaces', () => {
    expect(splitPatterns('execution.*, trigger.github.push\n\ncredential.* execution.*')).toEqual([
      'execution.*',
      'trigger.github.push',
      'credential.*',
    ])
  })
})

describe('WebhookForm', () => {
  it('sends every event by default', async () => {
    const onSubmit = renderForm()
    await userEvent.type(url(), 'https://example.com/hooks')
    await submit()
    expect(onSubmit).toHaveBeenCalledWith({
      url: 'https://example.com/hooks',
      events: ['*'],
      description: null,
    })
  })

  it('sends the chosen types and typed patterns', async () => {
    const onSubmit = renderForm()
    await userEvent.type(url(), 'https://example.com/hooks')
    await userEvent.click(screen.getByText('Only the events I choose'))
    await userEvent.click(screen.getByRole('checkbox', { name: /execution\.failed/ }))
    await userEvent.type(
      screen.getByRole('textbox', { name: /More patterns/ }),
      'trigger.github.*, credential.*',
    )
    await userEvent.type(screen.getByRole('textbox', { name: /Description/ }), 'Alerts')
    await submit()
    expect(onSubmit).toHaveBeenCalledWith({
      url: 'https://example.com/hooks',
      events: ['execution.failed', 'trigger.github.*', 'credential.*'],
      description: 'Alerts',
    })
  })

  it('shows problems on their fields before sending anything', async () => {
    const onSubmit = renderForm()
    await submit()
    expect(document.body.textContent).toContain('Enter the URL deliveries are sent to.')
    expect(url().getAttribute('aria-invalid')).toBe('true')
    await userEvent.type(url(), 'example.com')
    await submit()
    expect(document.body.textContent).toContain('Enter a full URL')
    await userEvent.clear(url())
    await userEvent.type(url(), 'https://example.com/hooks')
    await userEvent.click(screen.getByText('Only the events I choose'))
    await submit()
    expect(document.body.textContent).toContain('Choose at least one event type, or enter a pattern.')
    await userEvent.type(screen.getByRole('textbox', { name: /More patterns/ }), 'execution.succeded')
    await submit()
    expect(document.body.textContent).toContain('“execution.succeded” matches no event type')
    expect(onSubmit).not.toHaveBeenCalled()
  })

  it('shows the server’s validation errors on their fields', () => {
    const error = new ApiError({
      status: 400,
      code: 'validation_error',
      title: 'Invalid request',
      detail: 'The request is not valid.',
      errors: [{ path: '/body/url', message: 'The URL must not carry a user name or password' }],
    })
    renderForm({ error })
    expect(document.body.textContent).toContain('The URL must not carry a user name or password')
    expect(screen.getByRole('alert').textContent).toContain('see the messages beside them')
  })

  it('shows any other failure as an alert', () => {
    const error = new ApiError({
      status: 0,
      code: 'network_error',
      title: 'Cannot reach Toolplane',
      detail: 'x',
    })
    renderForm({ error })
    expect(screen.getByRole('alert').textContent).toContain('Cannot reach Toolplane')
  })

  it('starts from the subscription being edited', () => {
    renderForm({ initial: webhook, submitLabel: 'Save changes' })
    expect(url().value).toBe(webhook.url)
    expect(screen.getByRole<HTMLInputElement>('checkbox', { name: /execution\.failed/ }).checked).toBe(true)
    expect(screen.getByRole<HTMLTextAreaElement>('textbox', { name: /More patterns/ }).value).toBe(
      'trigger.github.*',
    )
  })

  it('waits while saving, and cannot be cancelled meanwhile', () => {
    const onCancel = vi.fn()
    renderForm({ pending: true, onCancel })
    expect(screen.getByRole('button', { name: 'Saving…' })).toBeTruthy()
    expect(screen.getByRole<HTMLButtonElement>('button', { name: 'Cancel' }).disabled).toBe(true)
  })
})
