import { screen, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it } from 'vitest'
import { fakeServer, json, problem, renderWithApp } from '../testing/render.js'
import { sessionAs, workspace } from '../testing/webhooks.js'
import SettingsPage from './SettingsPage.js'

function renderPage(
  routes: Parameters<typeof fakeServer>[0],
  role: 'owner' | 'developer' | 'viewer' = 'owner',
) {
  const server = fakeServer({
    'GET /v1/me': () => json(sessionAs(role)),
    'GET /v1/workspace': () => json(workspace),
    ...routes,
  })
  renderWithApp(<SettingsPage />, { fetch: server.fetch, path: '/settings' })
  return server
}

const nameField = () => screen.findByRole('textbox', { name: 'Workspace name' })

describe('SettingsPage', () => {
  it('shows a skeleton while the settings load', () => {
    renderPage({ 'GET /v1/workspace': () => new Promise(() => undefined) })
    expect(
      screen.getAllByRole('status').some((s) => s.textContent.includes('Loading the workspace’s settings…')),
    ).toBe(true)
  })

  it('shows why the settings could not load, with a retry', async () => {
    renderPage({ 'GET /v1/workspace': () => problem(503, 'not_ready', 'The database is not available.') })
    const alert = await screen.findByRole('alert', {}, { timeout: 5000 })
    expect(alert.textContent).toContain('The database is not available.')
    expect(within(alert).getByRole('button', { name: 'Try again' })).toBeTruthy()
  })

  it('saves the name, a quota and a rate limit', async () => {
    const server = renderPage({
      'PATCH /v1/workspace': () =>
        json({
          ...workspace,
          name: 'Acme Robotics',
          monthlyExecutionQuota: 5000,
          apiRateLimit: '10/s',
          apiRateLimitIsDefault: false,
        }),
    })
    const name = await nameField()
    await userEvent.clear(name)
    await userEvent.type(name, 'Acme Robotics')
    await userEvent.click(screen.getByRole('switch', { name: 'Unlimited' }))
    const quota = screen.getByRole('textbox', { name: 'Executions per month' })
    await userEvent.clear(quota)
    await userEvent.type(quota, '5000')
    await userEvent.click(screen.getByRole('switch', { name: 'Use the server’s default' }))
    const limit = screen.getByRole('textbox', { name: 'Limit' })
    await userEvent.clear(limit)
    await userEvent.type(limit, '10/s')
    await userEvent.click(screen.getByRole('button', { name: 'Save settings' }))
    expect(await screen.findByText('Settings saved.')).toBeTruthy()
    expect(server.requests.find((r) => r.method === 'PATCH')?.body).toEqual({
      name: 'Acme Robotics',
      monthlyExecutionQuota: 5000,
      apiRateLimit: '10/s',
    })
  })

  it('goes back to unlimited and the server default with nulls', async () => {
    const server = renderPage({
      'GET /v1/workspace': () =>
        json({ ...workspace, monthlyExecutionQuota: 100, apiRateLimit: '5/s', apiRateLimitIsDefault: false }),
      'PATCH /v1/workspace': () => json(workspace),
    })
    await nameField()
    expect(screen.getByRole<HTMLInputElement>('textbox', { name: 'Executions per month' }).value).toBe('100')
    await userEvent.click(screen.getByRole('switch', { name: 'Unlimited' }))
    await userEvent.click(screen.getByRole('switch', { name: 'Use the server’s default' }))
    await userEvent.click(screen.getByRole('button', { name: 'Save settings' }))
    await screen.findByText('Settings saved.')
    expect(server.requests.find((r) => r.method === 'PATCH')?.body).toEqual({
      name: 'Acme',
      monthlyExecutionQuota: null,
      apiRateLimit: null,
    })
  })

  it('shows problems on their fields, its own and the server’s', async () => {
    const server = renderPage({
      'PATCH /v1/workspace': () =>
        problem(400, 'validation_error', 'Invalid.', {
          errors: [{ path: '/body/name', message: 'The name is taken by another workspace' }],
        }),
    })
    const name = await nameField()
    await userEvent.clear(name)
    await userEvent.click(screen.getByRole('button', { name: 'Save settings' }))
    expect(document.body.textContent).toContain('Enter a name for the workspace.')
    await userEvent.click(screen.getByRole('switch', { name: 'Use the server’s default' }))
    await userEvent.clear(screen.getByRole('textbox', { name: 'Limit' }))
    await userEvent.type(screen.getByRole('textbox', { name: 'Limit' }), 'fast')
    await userEvent.type(name, 'Acme')
    await userEvent.click(screen.getByRole('button', { name: 'Save settings' }))
    expect(document.body.textContent).toContain('Write it as a count per s, m or h')
    expect(server.requests.some((r) => r.method === 'PATCH')).toBe(false)
    await userEvent.clear(screen.getByRole('textbox', { name: 'Limit' }))
    await userEvent.type(screen.getByRole('textbox', { name: 'Limit' }), '100/m')
    await userEvent.click(screen.getByRole('button', { name: 'Save settings' }))
    expect(await screen.findByText('The name is taken by another workspace')).toBeTruthy()
    expect(name.getAttribute('aria-invalid')).toBe('true')
  })

  it('is read-only, with why, for a developer', async () => {
    renderPage({}, 'developer')
    const name = await nameField()
    expect(document.body.textContent).toContain('Only owners and admins can change these settings')
    expect(name.hasAttribute('readonly')).toBe(true)
    expect(screen.queryByRole('button', { name: 'Save settings' })).toBeNull()
  })

  it('shows the signed-in account and its role in words', async () => {
    renderPage({}, 'viewer')
    await nameField()
    expect(await screen.findByText('ada@example.com')).toBeTruthy()
    expect(document.body.textContent).toContain('Viewer: can see tools')
  })

  it('changes the theme, each choice explained', async () => {
    renderPage({})
    await nameField()
    const group = screen.getByRole('radiogroup', { name: 'Colours in this browser' })
    expect(group.textContent).toContain('Follows your device')
    await userEvent.click(within(group).getByRole('radio', { name: /High contrast/ }))
    expect(document.documentElement.dataset.theme).toBe('contrast')
    expect(group.textContent).toContain('Now showing: high contrast.')
  })
})
