import { screen, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it, vi } from 'vitest'
import { ApiError } from '../api/client.js'
import { renderWithApp } from '../testing/render.js'
import { ConfirmDialog } from './ConfirmDialog.js'

function renderDialog(onConfirm: () => Promise<unknown>) {
  return renderWithApp(
    <ConfirmDialog
      triggerLabel="Revoke"
      triggerAriaLabel="Revoke deploy bot"
      title="Revoke the key “deploy bot”?"
      confirmLabel="Revoke key"
      onConfirm={onConfirm}
    >
      <p>Anything still using it stops working.</p>
    </ConfirmDialog>,
  )
}

describe('ConfirmDialog', () => {
  it('asks first, naming the thing, with focus on Cancel; Cancel does nothing', async () => {
    const onConfirm = vi.fn(() => Promise.resolve())
    renderDialog(onConfirm)
    expect(screen.queryByRole('alertdialog')).toBeNull()
    await userEvent.click(screen.getByRole('button', { name: 'Revoke deploy bot' }))
    const dialog = screen.getByRole('alertdialog', { name: 'Revoke the key “deploy bot”?' })
    expect(dialog.textContent).toContain('Anything still using it stops working.')
    expect(document.activeElement).toBe(within(dialog).getByRole('button', { name: 'Cancel' }))
    await userEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }))
    expect(screen.queryByRole('alertdialog')).toBeNull()
    expect(onConfirm).not.toHaveBeenCalled()
  })

  it('closes on Escape', async () => {
    renderDialog(() => Promise.resolve())
    await userEvent.click(screen.getByRole('button', { name: 'Revoke deploy bot' }))
    await userEvent.keyboard('{Escape}')
    expect(screen.queryByRole('alertdialog')).toBeNull()
  })

  it('waits while the work runs, then closes', async () => {
    let finish: () => void = () => undefined
    const onConfirm = vi.fn(() => new Promise<void>((resolve) => (finish = resolve)))
    renderDialog(onConfirm)
    await userEvent.click(screen.getByRole('button', { name: 'Revoke deploy bot' }))
    await userEvent.click(screen.getByRole('button', { name: 'Revoke key' }))
    expect(onConfirm).toHaveBeenCalledOnce()
    // A second press while the first runs does nothing.
    await userEvent.click(screen.getByRole('button', { name: 'Revoke key…' }))
    expect(onConfirm).toHaveBeenCalledOnce()
    expect(screen.getByRole<HTMLButtonElement>('button', { name: 'Cancel' }).disabled).toBe(true)
    finish()
    await vi.waitFor(() => {
      expect(screen.queryByRole('alertdialog')).toBeNull()
    })
  })

  it('shows a failure in the dialog and lets the user try again', async () => {
    const onConfirm = vi
      .fn<() => Promise<unknown>>()
      .mockRejectedValueOnce(
        new ApiError({ status: 404, code: 'not_found', title: 'Not found', detail: 'No API key key_1.' }),
      )
      .mockResolvedValueOnce(undefined)
    renderDialog(onConfirm)
    await userEvent.click(screen.getByRole('button', { name: 'Revoke deploy bot' }))
    await userEvent.click(screen.getByRole('button', { name: 'Revoke key' }))
    const alert = await screen.findByRole('alert')
    expect(alert.textContent).toContain('No API key key_1.')
    expect(screen.getByRole('alertdialog')).toBeTruthy()
    await userEvent.click(screen.getByRole('button', { name: 'Revoke key' }))
    await vi.waitFor(() => {
      expect(screen.queryByRole('alertdialog')).toBeNull()
    })
    expect(onConfirm).toHaveBeenCalledTimes(2)
  })
})
