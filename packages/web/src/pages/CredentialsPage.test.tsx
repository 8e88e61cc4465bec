import { screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { Route } from 'react-router'
import { describe, expect, it } from 'vitest'
import type { Credential } from '../api/credentials.js'
import { fakeServer, json, problem, renderWithApp } from '../testing/render.js'
import { fullTool, sampleTools } from '../testing/tools.js'
import CredentialPage from './CredentialPage.js'
import CredentialsPage from './CredentialsPage.js'

function credential(overrides: Partial<Credential> = {}): Credential {
  return {
    id: 'cred_1',
    tool: 'github',
    name: 'Release bot',
    authMethod: 'token',
    externalUserId: null,
    baseUrl: null,
    status: 'invalid',
    statusReason: 'GitHub answered 401 (auth_error)',
    lastCheckedAt: new Date(Date.now() - 120_000).toISOString(),
    lastUsedAt: null,
    expiresAt: null,
    fields: { token: { set: true, hint: '••••abcd' } },
    createdAt: '2026-01-15T11:00:00.000Z',
    updatedAt: '2026-01-15T11:00:00.000Z',
    ...overrides,
  }
}

const location = () => screen.getByTestId('location').textContent
const detailRoute = <Route path="/credentials/:id" element={<p>A credential page</p>} />

describe('CredentialsPage', () => {
  it('lists credentials with their tool, method, health and last check', async () => {
    const server = fakeServer({
      'GET /v1/tools': () => json({ data: sampleTools, nextCursor: null }),
      'GET /v1/credentials': () => json({ data: [credential()], nextCursor: null }),
    })
    renderWithApp(<CredentialsPage />, { fetch: server.fetch, path: '/credentials', route: '/credentials' })
    const list = await screen.findByRole('list', { name: 'Credentials' })
    const row = within(list).getByRole('listitem')
    expect(within(row).getByRole('link', { name: 'Release bot' }).getAttribute('href')).toBe(
      '/credentials/cred_1',
    )
    expect(row.textContent).toContain('GitHub · Access token')
    expect(row.textContent).toContain('Invalid')
    expect(row.textContent).toContain('Checked 2 minutes ago')
  })

  it('offers to connect the first tool when there are none', async () => {
    const user = userEvent.setup()
    const server = fakeServer({
      'GET /v1/tools': () => json({ data: sampleTools, nextCursor: null }),
      'GET /v1/credentials': () => json({ data: [], nextCursor: null }),
    })
    renderWithApp(<CredentialsPage />, { fetch: server.fetch, path: '/credentials', route: '/credentials' })
    await screen.findByRole('heading', { name: 'No credentials yet' })
    await user.click(screen.getByRole('button', { name: 'Connect your first tool' }))
    expect(await screen.findByRole('heading', { name: 'Add a credential' })).toBeTruthy()
    expect(location()).toBe('/credentials?tool=')
  })

  it('filters by tool through the address and asks the server for that tool only', async () => {
    const server = fakeServer({
      'GET /v1/tools': () => json({ data: sampleTools, nextCursor: null }),
      'GET /v1/credentials': () => json({ data: [], nextCursor: null }),
    })
    renderWithApp(<CredentialsPage />, {
      fetch: server.fetch,
      path: '/credentials?filter=slack',
      route: '/credentials',
    })
    await screen.findByRole('heading', { name: 'No credentials for Slack' })
    expect(server.requests.find((r) => r.path === '/v1/credentials')?.search.get('tool')).toBe('slack')
    await userEvent.setup().click(screen.getByRole('button', { name: 'Show all tools' }))
    await waitFor(() => {
      expect(location()).toBe('/credentials')
    })
  })

  it('loads further pages on request', async () => {
    const user = userEvent.setup()
    const server = fakeServer({
      'GET /v1/tools': () => json({ data: sampleTools, nextCursor: null }),
      'GET /v1/credentials': (request) =>
        request.search.get('cursor') === 'next'
          ? json({ data: [credential({ id: 'cred_2', name: 'Second' })], nextCursor: null })
          : json({ data: [credential()], nextCursor: 'next' }),
    })
    renderWithApp(<CredentialsPage />, { fetch: server.fetch, path: '/credentials', route: '/credentials' })
    await user.click(await screen.findByRole('button', { name: 'Load more credentials' }))
    expect(await screen.findByRole('link', { name: 'Second' })).toBeTruthy()
    expect(screen.queryByRole('button', { name: 'Load more credentials' })).toBeNull()
  })

  it('opens the new credential when the OAuth provider sends the browser back', async () => {
    const server = fakeServer({
      'GET /v1/tools': () => json({ data: sampleTools, nextCursor: null }),
      'GET /v1/credentials': () => json({ data: [], nextCursor: null }),
    })
    renderWithApp(<CredentialsPage />, {
      fetch: server.fetch,
      path: '/credentials?credentialId=cred_9',
      route: '/credentials',
      routes: detailRoute,
    })
    await screen.findByText('A credential page')
    expect(location()).toBe('/credentials/cred_9?connected=1')
  })

  it('says why a connection failed when the OAuth provider sends the browser back with an error', async () => {
    const server = fakeServer({
      'GET /v1/tools': () => json({ data: sampleTools, nextCursor: null }),
      'GET /v1/credentials': () => json({ data: [], nextCursor: null }),
    })
    renderWithApp(<CredentialsPage />, {
      fetch: server.fetch,
      path: '/credentials?error=validation_error&error_description=The%20provider%20answered%20access_denied',
      route: '/credentials',
    })
    const alert = await screen.findByRole('alert')
    expect(alert.textContent).toContain('Connecting the account did not work')
    expect(alert.textContent).toContain('The provider answered access_denied')
    await userEvent.click(within(alert).getByRole('button', { name: 'Dismiss' }))
    await waitFor(() => {
      expect(screen.queryByRole('alert')).toBeNull()
    })
    expect(location()).toBe('/credentials')
  })

  it('shows why the list could not load', async () => {
    const server = fakeServer({
      'GET /v1/tools': () => json({ data: sampleTools, nextCursor: null }),
      'GET /v1/credentials': () => problem(403, 'forbidden', 'This key may not read credentials.'),
    })
    renderWithApp(<CredentialsPage />, { fetch: server.fetch, path: '/credentials', route: '/credentials' })
    expect((await screen.findByRole('alert')).textContent).toContain('This key may not read credentials.')
  })
})

describe('CredentialPage', () => {
  const routes = (extra: Record<string, () => Response> = {}) =>
    fakeServer({
      'GET /v1/credentials/cred_1': () => json(credential()),
      'GET /v1/tools/github': () => json(fullTool()),
      ...extra,
    })

  it('shows the credential’s health, fields and where it is used, and checks it now', async () => {
    const user = userEvent.setup()
    const server = routes({
      'POST /v1/credentials/cred_1/check': () =>
        json({
          credential: credential({ status: 'healthy', statusReason: 'The health check passed.' }),
          check: { ok: true, checked: true, detail: 'GET /user answered 200', durationMs: 41 },
        }),
    })
    renderWithApp(<CredentialPage />, {
      fetch: server.fetch,
      path: '/credentials/cred_1',
      route: '/credentials/:id',
    })
    await screen.findByRole('heading', { level: 1, name: 'Release bot' })
    const health = screen.getByRole('region', { name: 'Health' })
    expect(health.textContent).toContain('Invalid')
    expect(health.textContent).toContain('GitHub answered 401 (auth_error)')
    // Field titles come from the tool's auth method, which loads beside the credential.
    await waitFor(() => {
      expect(screen.getByRole('region', { name: 'Secret fields' }).textContent).toContain(
        'TokenSet, ends with ••••abcd',
      )
    })
    expect(screen.getByRole('link', { name: 'Executions that used Release bot' }).getAttribute('href')).toBe(
      '/executions?credentialId=cred_1',
    )
    expect(screen.getByRole('link', { name: 'Run “Create an issue”' }).getAttribute('href')).toBe(
      '/tools/github/actions/create_issue?credentialId=cred_1',
    )

    await user.click(within(health).getByRole('button', { name: 'Check now' }))
    expect(await within(health).findByText('The check passed: GET /user answered 200.')).toBeTruthy()
    expect(health.textContent).toContain('Healthy')
  })

  it('opens the troubleshooter and runs it when the address asks', async () => {
    const server = routes({
      'GET /v1/credentials/cred_1/diagnose': () =>
        json({
          ok: true,
          checks: [
            {
              id: 'secrets_present',
              title: 'Secrets are present',
              status: 'pass',
              observed: 'ok',
              fix: null,
              durationMs: 1,
            },
          ],
        }),
    })
    renderWithApp(<CredentialPage />, {
      fetch: server.fetch,
      path: '/credentials/cred_1?troubleshoot=1',
      route: '/credentials/:id',
    })
    const troubleshooter = await screen.findByRole('region', { name: 'Troubleshoot' })
    expect(await within(troubleshooter).findByText(/^All checks passed/)).toBeTruthy()
  })

  it('says so when the credential does not exist', async () => {
    const server = fakeServer({
      'GET /v1/credentials/cred_x': () => problem(404, 'not_found', 'There is no credential cred_x.'),
    })
    renderWithApp(<CredentialPage />, {
      fetch: server.fetch,
      path: '/credentials/cred_x',
      route: '/credentials/:id',
    })
    expect(await screen.findByRole('heading', { level: 1, name: 'Credential not found' })).toBeTruthy()
  })

  it('confirms a connection that has just been made', async () => {
    const server = routes()
    renderWithApp(<CredentialPage />, {
      fetch: server.fetch,
      path: '/credentials/cred_1?connected=1',
      route: '/credentials/:id',
    })
    expect((await screen.findByText(/^Connected:/)).textContent).toBe(
      'Connected: Release bot is stored and ready to use.',
    )
  })
})
