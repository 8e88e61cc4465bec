import { screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it } from 'vitest'
import { executionId, fakeExecution, generatedLog } from '../testing/executions.js'
import { fakeServer, json, renderWithApp } from '../testing/render.js'
import ExecutionsPage from './ExecutionsPage.js'

const location = () => screen.getByTestId('location').textContent

describe('ExecutionsPage', () => {
  it('opens a row’s detail in the drawer, and Esc goes back to the filtered list', async () => {
    const id = executionId(3)
    const server = fakeServer({
      'GET /v1/executions': generatedLog(3),
      [`GET /v1/executions/${id}`]: () =>
        json(fakeExecution({ id, status: 'failed', action: 'slack.send_message', tool: 'slack' })),
    })
    renderWithApp(<ExecutionsPage />, {
      path: '/executions?status=failed',
      route: '/executions',
      fetch: server.fetch,
    })
    expect(screen.getByRole('heading', { level: 1, name: 'Executions' })).toBeTruthy()
    const list = await screen.findByRole('list', { name: 'Executions' })
    const user = userEvent.setup()
    await user.click(screen.getByRole('searchbox', { name: 'Search executions' }))
    await user.keyboard('{ArrowDown}{Enter}')
    expect(location()).toBe(`/executions?status=failed&execution=${id}`)
    const dialog = await screen.findByRole('dialog')
    await within(dialog).findByRole('heading', { name: 'slack.send_message' })
    await user.keyboard('{Escape}')
    await waitFor(() => {
      expect(location()).toBe('/executions?status=failed')
    })
    expect(screen.queryByRole('dialog')).toBeNull()
    // Focus returns to the row the drawer was opened from.
    await waitFor(() => {
      expect(document.activeElement?.closest('li')?.getAttribute('aria-posinset')).toBe('1')
    })
    expect(list.isConnected).toBe(true)
  })

  it('opens the drawer from a link and closes it without leaving the page', async () => {
    const id = executionId(2)
    const server = fakeServer({
      'GET /v1/executions': generatedLog(3),
      [`GET /v1/executions/${id}`]: () => json(fakeExecution({ id })),
    })
    renderWithApp(<ExecutionsPage />, {
      path: `/executions?execution=${id}`,
      route: '/executions',
      fetch: server.fetch,
    })
    const dialog = await screen.findByRole('dialog')
    await within(dialog).findByRole('heading', { name: 'http.request' })
    await userEvent.click(within(dialog).getByRole('button', { name: 'Close' }))
    await waitFor(() => {
      expect(location()).toBe('/executions')
    })
  })
})
