import { screen, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it, vi } from 'vitest'
import { fakeServer, json, problem, renderWithApp } from '../testing/render.js'
import { apiKey, sessionAs } from '../testing/webhooks.js'
import ApiKeysPage from './ApiKeysPage.js'

function renderPage(routes: Parameters<typeof fakeServer>[0], role: 'owner' | 'developer' = 'owner') {
  const server = fakeServer({ 'GET /v1/me': () => json(sessionAs(role)), ...routes })
  renderWithApp(<ApiKeysPage />, { fetch: server.fetch, path: '/api-keys' })
  return server
}

describe('ApiKeysPage', () => {
  it('shows a skeleton while the keys load', async () => {
    renderPage({ 'GET /v1/api-keys': () => new Promise(() => undefined) })
    expect((await screen.findByText('Loading API keys…')).closest('[role="status"]')).toBeTruthy()
  })

  it('shows why the keys could not load', async () => {
    renderPage({ 'GET /v1/api-keys': () => problem(503, 'not_ready', 'The database is not available.') })
    expect((await screen.findByRole('alert', {}, { timeout: 5000 })).textContent).toContain(
      'The database is not available.',
    )
  })

  it('says what to do when there are no keys', async () => {
    renderPage({ 'GET /v1/api-keys': () => json({ data: [], nextCursor: null }) })
    expect(await screen.findByRole('heading', { name: 'No API keys yet' })).toBeTruthy()
    expect(screen.getByRole('button', { name: 'Create API key' })).toBeTruthy()
  })

  it('lists keys with their prefix, scopes, last use and creation', async () => {
    renderPage({
      'GET /v1/api-keys': () =>
        json({
          data: [apiKey, { ...apiKey, id: 'key_2', name: 'agent', lastUsedAt: '2026-01-15T12:00:00.000Z' }],
          nextCursor: null,
        }),
    })
    const items = within(await screen.findByRole('list', { name: 'API keys' })).getAllByRole('listitem', {
      name: '',
    })
    const first = items.find((i) => i.textContent.includes('deploy bot'))!
    expect(first.textContent).toContain('tp_abc123…')
    expect(first.textContent).toContain('executions:write')
    expect(first.textContent).toContain('tools:read')
    expect(first.textContent).toContain('Never')
    expect(first.querySelector('time')?.getAttribute('datetime')).toBe(apiKey.createdAt)
  })

  it('tells a developer that only owners and admins manage keys, without asking the server', async () => {
    const server = renderPage({}, 'developer')
    expect(
      await screen.findByRole('heading', { name: 'Only owners and admins manage API keys' }),
    ).toBeTruthy()
    expect(document.body.textContent).toContain('developer')
    expect(server.requests.some((r) => r.path === '/v1/api-keys')).toBe(false)
  })

  it('creates a key with chosen scopes and shows it once', async () => {
    const server = renderPage({
      'GET /v1/api-keys': () => json({ data: [], nextCursor: null }),
      'POST /v1/api-keys': () => json({ ...apiKey, key: 'tp_abc123_secret' }, 201),
    })
    await userEvent.click(await screen.findByRole('button', { name: 'Create API key' }))
    expect(document.activeElement).toBe(screen.getByRole('heading', { name: 'Create an API key' }))
    await userEvent.click(screen.getByRole('button', { name: 'Create key' }))
    expect(document.body.textContent).toContain('Name the key after what will use it')
    expect(document.body.textContent).toContain('Choose at least one scope.')
    await userEvent.type(screen.getByRole('textbox', { name: 'Name' }), 'deploy bot')
    const admin = screen.getByRole('checkbox', { name: /^admin/ })
    const descriptions = (admin.getAttribute('aria-describedby') ?? '')
      .split(/\s+/)
      .map((id) => document.getElementById(id)?.textContent ?? '')
    expect(descriptions.join(' ')).toContain('Everything, including API keys')
    await userEvent.click(screen.getByRole('checkbox', { name: /executions:write/ }))
    await userEvent.click(screen.getByRole('button', { name: 'Create key' }))
    expect(server.requests.find((r) => r.method === 'POST')?.body).toEqual({
      name: 'deploy bot',
      scopes: ['executions:write'],
    })
    await screen.findByRole('heading', { name: 'Copy the key “deploy bot” now' })
    expect(screen.getByRole<HTMLInputElement>('textbox', { name: 'API key' }).value).toBe('tp_abc123_secret')
    await userEvent.click(screen.getByRole('button', { name: 'Done' }))
    expect(screen.queryByRole('textbox', { name: 'API key' })).toBeNull()
    expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Create API key' }))
  })

  it('shows the server’s field errors on their fields', async () => {
    renderPage({
      'GET /v1/api-keys': () => json({ data: [], nextCursor: null }),
      'POST /v1/api-keys': () =>
        problem(400, 'validation_error', 'Invalid.', {
          errors: [{ path: '/body/rateLimit', message: 'expected "<count>/<s|m|h>[,burst=<n>]"' }],
        }),
    })
    await userEvent.click(await screen.findByRole('button', { name: 'Create API key' }))
    await userEvent.type(screen.getByRole('textbox', { name: 'Name' }), 'bot')
    await userEvent.click(screen.getByRole('checkbox', { name: /tools:read/ }))
    await userEvent.type(screen.getByRole('textbox', { name: /Rate limit/ }), 'lots')
    await userEvent.click(screen.getByRole('button', { name: 'Create key' }))
    expect(await screen.findByText('expected "<count>/<s|m|h>[,burst=<n>]"')).toBeTruthy()
    expect(screen.getByRole('textbox', { name: /Rate limit/ }).getAttribute('aria-invalid')).toBe('true')
  })

  it('revokes a key after a confirmation naming it', async () => {
    let revoked = false
    const server = renderPage({
      'GET /v1/api-keys': () => json({ data: revoked ? [] : [apiKey], nextCursor: null }),
      'DELETE /v1/api-keys/key_1': () => {
        revoked = true
        return new Response(null, { status: 204 })
      },
    })
    await userEvent.click(await screen.findByRole('button', { name: 'Revoke deploy bot' }))
    const dialog = screen.getByRole('alertdialog', { name: 'Revoke the key “deploy bot”?' })
    expect(dialog.textContent).toContain('tp_abc123…')
    await userEvent.click(within(dialog).getByRole('button', { name: 'Revoke key' }))
    expect(await screen.findByRole('heading', { name: 'No API keys yet' })).toBeTruthy()
    expect(server.requests.some((r) => r.method === 'DELETE' && r.path === '/v1/api-keys/key_1')).toBe(true)
    await vi.waitFor(() => {
      expect(screen.queryByRole('alertdialog')).toBeNull()
    })
  })
})
