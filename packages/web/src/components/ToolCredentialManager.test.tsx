import { screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it, vi } from 'vitest'
import type { Credential } from '../api/credentials.js'
import type { Tool } from '../api/tools.js'
import { fakeServer, json, problem, renderWithApp } from '../testing/render.js'
import { fullTool, sampleTools } from '../testing/tools.js'
import {
  authFields,
  CredentialCreateForm,
  DeleteCredentialButton,
  formErrors,
  ToolCredentialManager,
} from './ToolCredentialManager.js'
import { ApiError } from '../api/client.js'

const secret = (schema: Record<string, unknown>) => ({
  ...schema,
  writeOnly: true,
  'x-toolplane-secret': true,
})

const httpTool: Tool = fullTool({
  slug: 'http',
  name: 'HTTP',
  baseUrl: null,
  authMethods: [
    { id: 'none', kind: 'none', title: 'No authentication', fields: { type: 'object', properties: {} } },
    {
      id: 'bearer',
      kind: 'bearer',
      title: 'Bearer token',
      fields: {
        type: 'object',
        properties: { token: secret({ type: 'string', title: 'Token', minLength: 1 }) },
        required: ['token'],
      },
    },
    {
      id: 'basic',
      kind: 'basic',
      title: 'Username and password',
      fields: {
        type: 'object',
        properties: {
          username: secret({ type: 'string', title: 'Username' }),
          password: secret({ type: 'string', title: 'Password' }),
        },
        required: ['username', 'password'],
      },
    },
  ],
})

const githubTool: Tool = fullTool({
  authMethods: [
    {
      id: 'oauth',
      kind: 'oauth2',
      title: 'GitHub app',
      grant: 'authorization_code',
      scopes: ['repo', 'read:org'],
      fields: { type: 'object', properties: {} },
    },
  ],
})

const machineTool: Tool = fullTool({
  slug: 'linear',
  name: 'Linear',
  authMethods: [
    {
      id: 'oauth2',
      kind: 'oauth2',
      title: 'Linear app',
      grant: 'client_credentials',
      scopes: ['read'],
      fields: { type: 'object', properties: {} },
    },
  ],
})

function credential(overrides: Partial<Credential> = {}): Credential {
  return {
    id: 'cred_1',
    tool: 'http',
    name: 'Staging API',
    authMethod: 'bearer',
    externalUserId: null,
    baseUrl: 'https://staging.example.com',
    status: 'healthy',
    statusReason: 'The health check passed.',
    lastCheckedAt: '2026-01-15T12:00:00.000Z',
    lastUsedAt: null,
    expiresAt: null,
    fields: { token: { set: true, hint: '••••wxyz' } },
    createdAt: '2026-01-15T11:00:00.000Z',
    updatedAt: '2026-01-15T11:00:00.000Z',
    ...overrides,
  }
}

const session = (scopes: string[]) =>
  json({
    workspace: { id: 'ws_1', slug: 'acme', name: 'Acme' },
    scopes,
    principal: {
      type: 'user',
      id: 'u1',
      email: 'ada@example.com',
      name: 'Ada',
      role: 'owner',
      hasPassword: true,
    },
    csrfToken: 'csrf',
  })

const catalog = () => json({ data: sampleTools, nextCursor: null })

describe('authFields', () => {
  it('reads titles, requirements, secrecy and the kind of input', () => {
    const fields = authFields({
      type: 'object',
      properties: {
        token: secret({ type: 'string', title: 'Token' }),
        port: { type: 'integer', title: 'Port' },
        secure: { type: 'boolean' },
        ssl: { anyOf: [{ const: 'disable' }, { const: 'require' }], title: 'TLS' },
        ca: { type: 'string', title: 'CA certificate', pattern: '-----BEGIN CERTIFICATE-----' },
      },
      required: ['token'],
    })
    expect(fields.map((f) => [f.name, f.title, f.required, f.secret, f.kind])).toEqual([
      ['token', 'Token', true, true, 'text'],
      ['port', 'Port', false, false, 'integer'],
      ['secure', 'secure', false, false, 'boolean'],
      ['ssl', 'TLS', false, false, 'choice'],
      ['ca', 'CA certificate', false, false, 'multiline'],
    ])
    expect(fields[3]?.options).toEqual(['disable', 'require'])
  })
})

describe('formErrors', () => {
  it('keys server field errors by the form fields they belong to', () => {
    const error = new ApiError({
      status: 400,
      code: 'validation_error',
      title: 'Invalid',
      detail: 'x',
      errors: [
        { path: '/body/secrets/token', message: 'must match pattern' },
        { path: '/body/name', message: 'is too short' },
        { path: '/body/clientId', message: 'is required' },
      ],
    })
    expect(formErrors(error)).toEqual({
      'secret:token': 'must match pattern',
      name: 'is too short',
      clientId: 'is required',
    })
    expect(formErrors(error, 'oauth:')['oauth:clientId']).toBe('is required')
    expect(formErrors(new Error('no'))).toEqual({})
  })
})

describe('creating a credential', () => {
  it('creates a bearer credential for the preselected tool with the token as a hidden input', async () => {
    const user = userEvent.setup()
    const onCreated = vi.fn()
    const server = fakeServer({
      'GET /v1/tools': catalog,
      'GET /v1/tools/http': () => json(httpTool),
      'POST /v1/credentials': () =>
        json(credential({ name: 'Staging', fields: { token: { set: true, hint: '••••1234' } } }), 201),
    })
    renderWithApp(<ToolCredentialManager mode="create" initialTool="http" onCreated={onCreated} />, {
      fetch: server.fetch,
    })
    await user.click(await screen.findByRole('radio', { name: 'Bearer token' }))
    const token = screen.getByLabelText(/^Token/)
    expect(token.getAttribute('type')).toBe('password')
    expect(token.getAttribute('aria-required') ?? token.getAttribute('required')).not.toBeNull()
    await user.type(token, 'secret-token-1234')
    const name = screen.getByRole('textbox', { name: /^Name/ })
    expect((name as HTMLInputElement).value).toBe('HTTP')
    await user.clear(name)
    await user.type(name, 'Staging')
    await user.type(screen.getByRole('textbox', { name: /Base URL/ }), 'https://staging.example.com')
    await user.click(screen.getByRole('button', { name: 'Save credential' }))

    await waitFor(() => {
      expect(onCreated).toHaveBeenCalledOnce()
    })
    const sent = server.requests.find((r) => r.method === 'POST')
    expect(sent?.body).toEqual({
      tool: 'http',
      name: 'Staging',
      authMethod: 'bearer',
      secrets: { token: 'secret-token-1234' },
      baseUrl: 'https://staging.example.com',
    })
  })

  it('shows the server’s field errors on their fields', async () => {
    const user = userEvent.setup()
    const server = fakeServer({
      'GET /v1/tools': catalog,
      'GET /v1/tools/http': () => json(httpTool),
      'POST /v1/credentials': () =>
        problem(400, 'validation_error', 'The secrets do not fit the "bearer" auth method.', {
          errors: [{ path: '/body/secrets/token', message: 'must not contain line breaks' }],
        }),
    })
    renderWithApp(<CredentialCreateForm initialTool="http" onCreated={vi.fn()} />, { fetch: server.fetch })
    await user.click(await screen.findByRole('radio', { name: 'Bearer token' }))
    await user.type(screen.getByLabelText(/^Token/), 'abc')
    await user.click(screen.getByRole('button', { name: 'Save credential' }))

    const token = screen.getByLabelText(/^Token/)
    await waitFor(() => {
      expect(token.getAttribute('aria-invalid')).toBe('true')
    })
    const described = (token.getAttribute('aria-describedby') ?? '')
      .split(' ')
      .map((id) => document.getElementById(id)?.textContent)
      .join(' ')
    expect(described).toContain('must not contain line breaks')
    expect(screen.getByRole('alert').textContent).toContain('The credential was not saved')
  })

  it('lets the user pick the tool from the catalog', async () => {
    const user = userEvent.setup()
    const server = fakeServer({
      'GET /v1/tools': catalog,
      'GET /v1/tools/http': () => json(httpTool),
    })
    renderWithApp(<CredentialCreateForm onCreated={vi.fn()} />, { fetch: server.fetch })
    const combo = await screen.findByRole('combobox', { name: /Tool/ })
    await user.type(combo, 'HTT')
    await user.click(await screen.findByRole('option', { name: /HTTP/ }))
    expect(await screen.findByRole('radio', { name: 'Username and password' })).toBeTruthy()
    // The first method is chosen at first.
    expect(screen.getByRole<HTMLInputElement>('radio', { name: 'No authentication' }).checked).toBe(true)
  })

  it('says when the tool asked for is not in the catalog', async () => {
    const server = fakeServer({ 'GET /v1/tools': catalog })
    renderWithApp(<CredentialCreateForm initialTool="gitlab" onCreated={vi.fn()} />, { fetch: server.fetch })
    expect((await screen.findByRole('alert')).textContent).toContain('There is no tool “gitlab”')
  })

  it('shows why the catalog could not load, and tries again', async () => {
    const user = userEvent.setup()
    let calls = 0
    const server = fakeServer({
      'GET /v1/tools': () => {
        calls += 1
        return calls === 1 ? problem(403, 'forbidden', 'This key may not read tools.') : catalog()
      },
    })
    renderWithApp(<CredentialCreateForm onCreated={vi.fn()} />, { fetch: server.fetch })
    const alert = await screen.findByRole('alert')
    expect(alert.textContent).toContain('This key may not read tools.')
    await user.click(within(alert).getByRole('button', { name: 'Try again' }))
    expect(await screen.findByRole('combobox', { name: /Tool/ })).toBeTruthy()
  })
})

describe('connecting an OAuth account', () => {
  it('sets up the OAuth app first when there is none, then sends the browser to the provider', async () => {
    const user = userEvent.setup()
    const openUrl = vi.fn()
    let configured = false
    const app = {
      tool: 'github',
      clientId: 'Iv1.abc',
      clientAuthMethod: 'client_secret_basic',
      scopes: ['repo'],
      redirectUri: 'https://toolplane.example.com/v1/oauth/callback',
      createdAt: '2026-01-15T12:00:00.000Z',
      updatedAt: '2026-01-15T12:00:00.000Z',
    }
    const server = fakeServer({
      'GET /v1/me': () => session(['admin']),
      'GET /v1/tools': catalog,
      'GET /v1/tools/github': () => json(githubTool),
      'GET /v1/oauth/github/app': () =>
        configured ? json(app) : problem(400, 'validation_error', 'No OAuth app is configured for "github".'),
      'PUT /v1/oauth/github/app': () => {
        configured = true
        return json(app, 201)
      },
      'POST /v1/oauth/github/authorize': () =>
        json({
          url: 'https://github.com/login/oauth/authorize?state=s',
          expiresAt: '2026-01-15T12:10:00.000Z',
        }),
    })
    renderWithApp(<CredentialCreateForm initialTool="github" onCreated={vi.fn()} openUrl={openUrl} />, {
      fetch: server.fetch,
    })
    const group = await screen.findByRole('group', { name: 'OAuth app for GitHub' })
    expect(group.textContent).toContain('/v1/oauth/callback')
    expect(screen.queryByRole('button', { name: 'Connect with GitHub' })).toBeNull()
    await user.type(within(group).getByRole('textbox', { name: /Client id/ }), 'Iv1.abc')
    await user.type(within(group).getByLabelText(/Client secret/), 'shh-client-secret')
    const scopes = within(group).getByRole('textbox', { name: /Scopes/ })
    expect((scopes as HTMLInputElement).value).toBe('repo read:org')
    await user.clear(scopes)
    await user.type(scopes, 'repo')
    await user.click(screen.getByRole('button', { name: 'Save the OAuth app' }))

    const connect = await screen.findByRole('button', { name: 'Connect with GitHub' })
    expect(server.requests.find((r) => r.method === 'PUT')?.body).toEqual({
      clientId: 'Iv1.abc',
      clientSecret: 'shh-client-secret',
      scopes: ['repo'],
    })
    expect(screen.getByText('https://toolplane.example.com/v1/oauth/callback')).toBeTruthy()
    await user.click(connect)
    await waitFor(() => {
      expect(openUrl).toHaveBeenCalledWith('https://github.com/login/oauth/authorize?state=s')
    })
    expect(server.requests.find((r) => r.path === '/v1/oauth/github/authorize')?.body).toEqual({
      authMethod: 'oauth',
      name: 'GitHub',
      redirectTo: '/credentials',
    })
  })

  it('tells a non-admin to ask an admin when no OAuth app is set up', async () => {
    const server = fakeServer({
      'GET /v1/me': () => session(['credentials:read', 'credentials:write']),
      'GET /v1/tools': catalog,
      'GET /v1/tools/github': () => json(githubTool),
      'GET /v1/oauth/github/app': () => problem(400, 'validation_error', 'No OAuth app.'),
    })
    renderWithApp(<CredentialCreateForm initialTool="github" onCreated={vi.fn()} />, { fetch: server.fetch })
    expect((await screen.findByText(/setting one up needs an admin/)).textContent).toContain('GitHub')
    expect(screen.queryByRole('button', { name: /Connect with/ })).toBeNull()
  })

  it('creates a client-credentials connection at once', async () => {
    const user = userEvent.setup()
    const onCreated = vi.fn()
    const created = credential({ id: 'cred_m', tool: 'linear', authMethod: 'oauth2', name: 'Linear' })
    const server = fakeServer({
      'GET /v1/me': () => session(['admin']),
      'GET /v1/tools': () => json({ data: [...sampleTools], nextCursor: null }),
      'GET /v1/tools/linear': () => json(machineTool),
      'GET /v1/oauth/linear/app': () =>
        json({
          tool: 'linear',
          clientId: 'client',
          clientAuthMethod: 'client_secret_basic',
          scopes: null,
          redirectUri: 'http://localhost/v1/oauth/callback',
          createdAt: '2026-01-15T12:00:00.000Z',
          updatedAt: '2026-01-15T12:00:00.000Z',
        }),
      'POST /v1/oauth/linear/authorize': () => json({ credential: created }, 201),
    })
    renderWithApp(<CredentialCreateForm initialTool="linear" onCreated={onCreated} />, {
      fetch: server.fetch,
    })
    await user.click(await screen.findByRole('button', { name: 'Connect with Linear' }))
    await waitFor(() => {
      expect(onCreated).toHaveBeenCalledWith(created)
    })
  })
})

describe('editing a credential', () => {
  const routes = (patch: () => Response) =>
    fakeServer({ 'GET /v1/tools/http': () => json(httpTool), 'PATCH /v1/credentials/cred_1': patch })

  it('shows each field as set with its hint, and sends only what changed', async () => {
    const user = userEvent.setup()
    const onSaved = vi.fn()
    const server = routes(() => json(credential({ name: 'Production API' })))
    renderWithApp(<ToolCredentialManager mode="edit" credential={credential()} onSaved={onSaved} />, {
      fetch: server.fetch,
    })
    const token = await screen.findByLabelText('Token')
    expect(token.getAttribute('type')).toBe('password')
    expect((token as HTMLInputElement).value).toBe('')
    expect(screen.getByText(/Set \(••••wxyz\)\. Leave blank to keep it\./)).toBeTruthy()
    // A stored secret need not be typed again.
    expect(token.hasAttribute('required')).toBe(false)

    const name = screen.getByRole('textbox', { name: /^Name/ })
    await user.clear(name)
    await user.type(name, 'Production API')
    await user.click(screen.getByRole('button', { name: 'Save' }))
    await waitFor(() => {
      expect(onSaved).toHaveBeenCalledOnce()
    })
    expect(server.requests.find((r) => r.method === 'PATCH')?.body).toEqual({ name: 'Production API' })
  })

  it('replaces a secret that is typed', async () => {
    const user = userEvent.setup()
    const server = routes(() => json(credential()))
    renderWithApp(
      <ToolCredentialManager mode="edit" credential={credential()} onSaved={vi.fn()} focus="secrets" />,
      {
        fetch: server.fetch,
      },
    )
    const token = await screen.findByLabelText('Token')
    await waitFor(() => {
      expect(document.activeElement).toBe(token)
    })
    await user.keyboard('new-token-value')
    await user.click(screen.getByRole('button', { name: 'Save' }))
    await waitFor(() => {
      expect(server.requests.find((r) => r.method === 'PATCH')?.body).toEqual({
        secrets: { token: 'new-token-value' },
      })
    })
  })

  it('says there is nothing to save when nothing changed', async () => {
    const user = userEvent.setup()
    const server = routes(() => json(credential()))
    renderWithApp(<ToolCredentialManager mode="edit" credential={credential()} onSaved={vi.fn()} />, {
      fetch: server.fetch,
    })
    await user.click(await screen.findByRole('button', { name: 'Save' }))
    expect(screen.getByRole('status').textContent).toContain('Nothing to save')
    expect(server.requests.some((r) => r.method === 'PATCH')).toBe(false)
  })

  it('shows a rejected secret on its field', async () => {
    const user = userEvent.setup()
    const server = routes(() =>
      problem(400, 'validation_error', 'Invalid secrets.', {
        errors: [{ path: '/body/secrets/token', message: 'must match pattern "^[^\\r\\n]*$"' }],
      }),
    )
    renderWithApp(<ToolCredentialManager mode="edit" credential={credential()} onSaved={vi.fn()} />, {
      fetch: server.fetch,
    })
    await user.type(await screen.findByLabelText('Token'), 'x')
    await user.click(screen.getByRole('button', { name: 'Save' }))
    await waitFor(() => {
      expect(screen.getByLabelText('Token').getAttribute('aria-invalid')).toBe('true')
    })
    expect(screen.getByRole('alert').textContent).toContain('The changes were not saved')
  })
})

describe('deleting a credential', () => {
  it('asks first, naming the credential, and deletes on confirmation', async () => {
    const user = userEvent.setup()
    const onDeleted = vi.fn()
    const server = fakeServer({ 'DELETE /v1/credentials/cred_1': () => new Response(null, { status: 204 }) })
    renderWithApp(<DeleteCredentialButton credential={credential()} onDeleted={onDeleted} />, {
      fetch: server.fetch,
    })
    await user.click(screen.getByRole('button', { name: 'Delete' }))
    const dialog = await screen.findByRole('alertdialog', { name: 'Delete “Staging API”?' })
    // The safe choice has focus, so Enter by habit deletes nothing.
    await waitFor(() => {
      expect(document.activeElement).toBe(within(dialog).getByRole('button', { name: 'Keep it' }))
    })
    await user.click(within(dialog).getByRole('button', { name: 'Keep it' }))
    await waitFor(() => {
      expect(screen.queryByRole('alertdialog')).toBeNull()
    })
    expect(server.requests).toHaveLength(0)

    await user.click(screen.getByRole('button', { name: 'Delete' }))
    await user.click(await screen.findByRole('button', { name: 'Delete Staging API' }))
    await waitFor(() => {
      expect(onDeleted).toHaveBeenCalledOnce()
    })
    expect(server.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['DELETE /v1/credentials/cred_1'])
  })

  it('keeps the dialog open with the error when deleting fails', async () => {
    const user = userEvent.setup()
    const onDeleted = vi.fn()
    const server = fakeServer({
      'DELETE /v1/credentials/cred_1': () =>
        problem(403, 'forbidden', 'This key may not change credentials.'),
    })
    renderWithApp(<DeleteCredentialButton credential={credential()} onDeleted={onDeleted} />, {
      fetch: server.fetch,
    })
    await user.click(screen.getByRole('button', { name: 'Delete' }))
    await user.click(await screen.findByRole('button', { name: 'Delete Staging API' }))
    const dialog = screen.getByRole('alertdialog')
    expect((await within(dialog).findByRole('alert')).textContent).toContain(
      'This key may not change credentials.',
    )
    expect(onDeleted).not.toHaveBeenCalled()
  })
})
