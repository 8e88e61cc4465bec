import { screen } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it, vi } from 'vitest'
import { renderWithApp } from '../testing/render.js'
import { SecretReveal } from './SecretReveal.js'

const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'

describe('SecretReveal', () => {
  it('shows the secret once with a warning, and takes focus so the warning is heard first', () => {
    renderWithApp(
      <SecretReveal secret={secret} title="Copy the signing secret now" label="Signing secret">
        <p>Use it to verify deliveries.</p>
      </SecretReveal>,
    )
    const heading = screen.getByRole('heading', { name: 'Copy the signing secret now' })
    expect(document.activeElement).toBe(heading)
    expect(document.body.textContent).toContain('You will not see this again.')
    expect(document.body.textContent).toContain('Use it to verify deliveries.')
    const field = screen.getByRole<HTMLInputElement>('textbox', { name: 'Signing secret' })
    expect(field.value).toBe(secret)
    expect(field.readOnly).toBe(true)
  })

  it('copies the secret and says so', async () => {
    const writeClipboard = vi.fn(() => Promise.resolve())
    renderWithApp(
      <SecretReveal secret={secret} title="Copy it" label="API key" writeClipboard={writeClipboard} />,
    )
    await userEvent.click(screen.getByRole('button', { name: 'Copy' }))
    expect(writeClipboard).toHaveBeenCalledWith(secret)
    expect(await screen.findByText('Copied to the clipboard.')).toBeTruthy()
    expect(screen.getByRole('button', { name: 'Copied' })).toBeTruthy()
  })

  it('when copying fails, selects the secret and says how to copy it by hand', async () => {
    const writeClipboard = vi.fn(() => Promise.reject(new Error('denied')))
    renderWithApp(
      <SecretReveal secret={secret} title="Copy it" label="API key" writeClipboard={writeClipboard} />,
    )
    await userEvent.click(screen.getByRole('button', { name: 'Copy' }))
    expect((await screen.findByRole('status')).textContent).toContain('Could not copy')
    const field = screen.getByRole<HTMLInputElement>('textbox', { name: 'API key' })
    expect(document.activeElement).toBe(field)
    expect(field.selectionStart).toBe(0)
    expect(field.selectionEnd).toBe(secret.length)
  })

  it('offers what comes next', async () => {
    const done = vi.fn()
    renderWithApp(
      <SecretReveal
        secret={secret}
        title="Copy it"
        label="API key"
        headingLevel={3}
        actions={
          <button type="button" onClick={done}>
            Done
          </button>
        }
      />,
    )
    expect(screen.getByRole('heading', { level: 3, name: 'Copy it' })).toBeTruthy()
    await userEvent.click(screen.getByRole('button', { name: 'Done' }))
    expect(done).toHaveBeenCalledOnce()
  })
})
