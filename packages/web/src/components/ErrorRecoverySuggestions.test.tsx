import { act, screen, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { ExecutionError } from '../api/executions.js'
import { renderWithApp } from '../testing/render.js'
import { errorClassTitle, ErrorRecoverySuggestions, stepsFor } from './ErrorRecoverySuggestions.js'

const location = () => screen.getByTestId('location').textContent

function error(overrides: Partial<ExecutionError>): ExecutionError {
  return {
    class: 'internal_error',
    message: 'Something failed.',
    retryable: false,
    suggestions: [],
    ...overrides,
  }
}

const authError = error({
  class: 'auth_error',
  message: 'The upstream answered 401 Unauthorized',
  httpStatus: 401,
  suggestions: [
    { title: 'Update the secrets', detail: 'Enter a new token or key: open Credentials and edit it.' },
    { title: 'Run diagnose', detail: 'GET /v1/credentials/{id}/diagnose lists which check fails.' },
  ],
})

afterEach(() => {
  vi.useRealTimers()
})

describe('stepsFor', () => {
  it('points each suggestion at the step its words are about, once each', () => {
    expect(stepsFor('auth_error', authError.suggestions)).toEqual({
      bySuggestion: ['edit_credential', 'troubleshoot'],
      remaining: [],
    })
    expect(stepsFor('quota_exceeded', [])).toEqual({ bySuggestion: [], remaining: ['usage', 'settings'] })
    expect(
      stepsFor('timeout', [{ title: 'Ask for less', detail: 'Narrow the request.' }]).bySuggestion,
    ).toEqual(['fix_input'])
  })

  it('names every error class', () => {
    expect(errorClassTitle('credential_expired')).toBe('Credential expired')
    expect(errorClassTitle('something_new')).toBe('Something new')
  })
})

describe('ErrorRecoverySuggestions', () => {
  it('shows the class, message, status and each suggestion with its step for a credential problem', async () => {
    renderWithApp(<ErrorRecoverySuggestions error={authError} credentialId="cred_1" />, {
      routes: null,
    })
    expect(screen.getByRole('heading', { name: /Authentication failed/ })).toBeTruthy()
    expect(document.body.textContent).toContain('The upstream answered 401 Unauthorized')
    expect(document.body.textContent).toContain('HTTP status401')
    const items = within(screen.getByRole('list')).getAllByRole('listitem')
    expect(items).toHaveLength(2)
    expect(within(items[0]!).getByRole('link', { name: 'Edit the credential' }).getAttribute('href')).toBe(
      '/credentials/cred_1',
    )
    expect(within(items[1]!).getByRole('link', { name: 'Troubleshoot' }).getAttribute('href')).toBe(
      '/credentials/cred_1?troubleshoot=1',
    )
    // Without onRetry there is nothing to retry with.
    expect(screen.queryByRole('button', { name: 'Retry' })).toBeNull()
    await userEvent.click(screen.getByRole('link', { name: 'Edit the credential' }))
    expect(location()).toBe('/credentials/cred_1')
  })

  it('offers the credential steps even when the server sent no suggestion naming them', () => {
    renderWithApp(
      <ErrorRecoverySuggestions error={error({ class: 'credential_expired' })} credentialId="c 2" />,
    )
    expect(screen.getByRole('link', { name: 'Edit the credential' }).getAttribute('href')).toBe(
      '/credentials/c%202',
    )
    expect(screen.getByRole('link', { name: 'Troubleshoot' })).toBeTruthy()
  })

  it('links an exhausted quota to the usage and the settings', () => {
    renderWithApp(
      <ErrorRecoverySuggestions
        error={error({
          class: 'quota_exceeded',
          message: 'The monthly quota of 100 is used.',
          httpStatus: 429,
        })}
        credentialId={null}
      />,
    )
    expect(screen.getByRole('link', { name: 'See the usage' }).getAttribute('href')).toBe('/usage')
    expect(screen.getByRole('link', { name: 'Open the settings' }).getAttribute('href')).toBe('/settings')
    expect(screen.getByRole('heading', { name: /Quota exceeded/ })).toBeTruthy()
  })

  it('sends invalid input back to the form', async () => {
    const onFixInput = vi.fn()
    renderWithApp(
      <ErrorRecoverySuggestions
        error={error({
          class: 'validation_error',
          suggestions: [{ title: 'Compare the input with the schema', detail: 'Fix the field named.' }],
        })}
        credentialId="cred_1"
        onFixInput={onFixInput}
      />,
    )
    await userEvent.click(screen.getByRole('button', { name: 'Fix the input' }))
    expect(onFixInput).toHaveBeenCalledOnce()
    expect(screen.queryByRole('link', { name: 'Edit the credential' })).toBeNull()
  })

  it('links to the action page to fix the input when there is no form here', () => {
    renderWithApp(
      <ErrorRecoverySuggestions
        error={error({ class: 'transform_error' })}
        credentialId={null}
        inputHref="/tools/http/actions/request"
      />,
    )
    expect(screen.getByRole('link', { name: 'Fix the input' }).getAttribute('href')).toBe(
      '/tools/http/actions/request',
    )
  })

  it('retries a passing failure on request', async () => {
    const onRetry = vi.fn(() => Promise.resolve())
    renderWithApp(
      <ErrorRecoverySuggestions
        error={error({ class: 'upstream_unavailable', retryable: true, httpStatus: 503, message: 'Down.' })}
        credentialId="cred_1"
        onRetry={onRetry}
      />,
    )
    expect(document.body.textContent).toContain('May help')
    await userEvent.click(screen.getByRole('button', { name: 'Retry' }))
    expect(onRetry).toHaveBeenCalledOnce()
    expect(screen.getByText('The retry succeeded.')).toBeTruthy()
  })

  it('retries a rate-limited run by itself once the wait is over', async () => {
    vi.useFakeTimers()
    const onRetry = vi.fn(() => Promise.resolve())
    renderWithApp(
      <ErrorRecoverySuggestions
        error={error({
          class: 'rate_limited',
          retryable: true,
          retryAfterMs: 3000,
          message: 'GitHub rate limit reached',
          suggestions: [{ title: 'Wait and retry', detail: 'retryAfterMs says how long.' }],
        })}
        credentialId="cred_1"
        onRetry={onRetry}
      />,
    )
    expect(screen.getByRole('timer').textContent).toContain('Retrying in 3 s')
    expect(screen.getByText('Retrying in 3 s (attempt 1 of 3).')).toBeTruthy()
    await act(async () => {
      vi.advanceTimersByTime(3000)
      await Promise.resolve()
    })
    expect(onRetry).toHaveBeenCalledOnce()
  })
})
