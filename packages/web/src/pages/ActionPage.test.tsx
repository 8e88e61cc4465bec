import { screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { Route } from 'react-router'
import { describe, expect, it } from 'vitest'
import type { Credential } from '../api/credentials.js'
import type { Tool } from '../api/tools.js'
import { execution, failedExecution, httpRequestSchema, httpToolWith } from '../testing/actions.js'
import { fakeServer, json, problem, renderWithApp } from '../testing/render.js'
import type { Handler } from '../testing/render.js'
import { fullTool } from '../testing/tools.js'
import ActionPage from './ActionPage.js'

const httpTool: Tool = httpToolWith([
  {
    name: 'request',
    id: 'http.request',
    functionName: 'http__request',
    title: 'Send an HTTP request',
    description: 'Sends one HTTP request.',
    input: httpRequestSchema,
    output: { type: 'object' },
    examples: [{ title: 'List items', input: { method: 'GET', url: '/v1/items', followRedirects: true } }],
    timeoutMs: 60_000,
    retry: { maxAttempts: 3, idempotent: 'depends_on_input' },
    scopes: [],
  },
])

const credential: Credential = {
  id: 'cred_1',
  tool: 'http',
  name: 'Staging token',
  authMethod: 'bearer',
  externalUserId: null,
  baseUrl: null,
  status: 'healthy',
  statusReason: null,
  lastCheckedAt: null,
  lastUsedAt: null,
  expiresAt: null,
  fields: { token: { set: true, hint: '••••oken' } },
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
}

function renderPage(routes: Record<string, Handler>, path = '/tools/http/actions/request') {
  const server = fakeServer({
    'GET /v1/tools/http': () => json(httpTool),
    'GET /v1/credentials': () => json({ data: [credential], nextCursor: null }),
    ...routes,
  })
  renderWithApp(<ActionPage />, {
    path,
    route: '/tools/:slug/actions/:action',
    fetch: server.fetch,
    routes: <Route path="/credentials/:id" element={<p>Credential page</p>} />,
  })
  return server
}

const url = () => screen.getByRole('textbox', { name: /^URL/ })
const run = () => screen.getByRole('button', { name: 'Run' })
const location = () => screen.getByTestId('location').textContent

describe('ActionPage', () => {
  it('runs the action with the picked credential and shows the output', async () => {
    const server = renderPage({ 'POST /v1/executions': () => json(execution()) })
    await screen.findByRole('heading', { level: 1, name: 'Send an HTTP request' })
    expect(screen.getByRole('link', { name: 'HTTP' }).getAttribute('href')).toBe('/tools/http')
    await waitFor(() => {
      expect(screen.getByRole('button', { name: /Credential/ }).textContent).toContain('Staging token')
    })
    expect(screen.getByRole('link', { name: 'Add a credential' }).getAttribute('href')).toBe(
      '/credentials?tool=http',
    )
    await userEvent.type(url(), 'https://api.example.com/items')
    await userEvent.click(run())
    expect(await screen.findByText('Succeeded in 42 ms.')).toBeTruthy()
    expect(server.requests.find((r) => r.method === 'POST')?.body).toEqual({
      action: 'http.request',
      credentialId: 'cred_1',
      input: { method: 'GET', followRedirects: true, url: 'https://api.example.com/items' },
      mode: 'sync',
    })
    expect(screen.getByLabelText('Output (JSON)').textContent).toContain('"ok": true')
    expect(screen.getByRole('link', { name: 'Open in executions' }).getAttribute('href')).toBe(
      '/executions?execution=ex_1',
    )
    await waitFor(() => {
      expect(location()).toContain('execution=ex_1')
    })
  })

  it('follows an async run until it ends', async () => {
    let polls = 0
    renderPage({
      'POST /v1/executions': () => json(execution({ status: 'queued', mode: 'async', output: null }), 202),
      'GET /v1/executions/ex_1': () => {
        polls += 1
        return json(
          polls < 2 ? execution({ status: 'running', mode: 'async' }) : execution({ mode: 'async' }),
        )
      },
    })
    await userEvent.type(await screen.findByRole('textbox', { name: /^URL/ }), '/x')
    await userEvent.click(screen.getByRole('radio', { name: /^Async/ }))
    await userEvent.click(run())
    expect(await screen.findByText('Queued: waiting for a worker…')).toBeTruthy()
    expect(await screen.findByText('Succeeded in 42 ms.', {}, { timeout: 4000 })).toBeTruthy()
    expect(polls).toBe(2)
  })

  it('shows a failure with its suggestions, and retries it as a new execution', async () => {
    const server = renderPage({
      'POST /v1/executions': () => json(failedExecution()),
      'POST /v1/executions/ex_failed/retry': () => json(execution({ id: 'ex_2', retryOf: 'ex_failed' })),
    })
    await userEvent.type(await screen.findByRole('textbox', { name: /^URL/ }), '/x')
    await userEvent.click(run())
    expect(await screen.findByText('Failed: Authentication failed.')).toBeTruthy()
    const recovery = screen.getByRole('region', { name: /Authentication failed/ })
    expect(within(recovery).getByRole('link', { name: 'Edit the credential' }).getAttribute('href')).toBe(
      '/credentials/cred_1',
    )
    expect(screen.getByText(/Failed, HTTP 401/)).toBeTruthy()
    await userEvent.click(within(recovery).getByRole('button', { name: 'Retry' }))
    expect(await screen.findByText('Succeeded in 42 ms.')).toBeTruthy()
    expect(screen.getByText('Retry of')).toBeTruthy()
    expect(server.requests.some((r) => r.path === '/v1/executions/ex_failed/retry')).toBe(true)
    await waitFor(() => {
      expect(location()).toContain('execution=ex_2')
    })
  })

  it('shows the server’s input errors on the fields and a refused credential on the picker', async () => {
    renderPage({
      'POST /v1/executions': () =>
        problem(400, 'validation_error', 'The input is not valid.', {
          errors: [
            { path: '/input/url', message: 'must be an http(s) URL' },
            { path: '/credentialId', message: 'is for another tool' },
          ],
        }),
    })
    await userEvent.type(await screen.findByRole('textbox', { name: /^URL/ }), 'ftp://x')
    await userEvent.click(run())
    await waitFor(() => {
      expect(url().getAttribute('aria-invalid')).toBe('true')
    })
    expect(url().closest('.field')?.textContent).toContain('must be an http(s) URL')
    expect(document.body.textContent).toContain('is for another tool')
    await userEvent.click(screen.getByRole('button', { name: 'Fix the input' }))
    await waitFor(() => {
      expect(document.activeElement).toBe(url())
    })
  })

  it('offers to retry a run refused by the quota, and links to the usage', async () => {
    renderPage({
      'POST /v1/executions': () =>
        problem(
          429,
          'quota_exceeded',
          'The monthly quota of 100 executions is used.',
          {},
          { 'retry-after': '3600' },
        ),
    })
    await userEvent.type(await screen.findByRole('textbox', { name: /^URL/ }), '/x')
    await userEvent.click(run())
    expect(await screen.findByRole('heading', { name: /Quota exceeded/ })).toBeTruthy()
    expect(screen.getByRole('link', { name: 'See the usage' }).getAttribute('href')).toBe('/usage')
    expect(document.body.textContent).toContain('The monthly quota of 100 executions is used.')
  })

  it('loads an example into the form', async () => {
    renderPage({})
    await userEvent.click(await screen.findByRole('button', { name: 'Load “List items”' }))
    expect((url() as HTMLInputElement).value).toBe('/v1/items')
    expect(screen.getByText('The example “List items” was loaded into the form.')).toBeTruthy()
  })

  it('shows the result the address names, with its input', async () => {
    renderPage(
      { 'GET /v1/executions/ex_failed': () => json(failedExecution()) },
      '/tools/http/actions/request?execution=ex_failed',
    )
    expect(await screen.findByRole('region', { name: /Authentication failed/ })).toBeTruthy()
    expect((url() as HTMLInputElement).value).toBe('https://api.example.com/items')
  })

  it('says when the action or the tool does not exist', async () => {
    renderPage({}, '/tools/http/actions/nope')
    expect(await screen.findByRole('heading', { level: 1, name: 'Action not found' })).toBeTruthy()
  })

  it('says when the tool does not exist', async () => {
    renderPage({ 'GET /v1/tools/http': () => problem(404, 'not_found', 'No tool.') })
    expect(await screen.findByRole('heading', { level: 1, name: 'Tool not found' })).toBeTruthy()
  })

  it('shows loading, then why the tool could not load', async () => {
    renderPage({ 'GET /v1/tools/http': () => problem(403, 'forbidden', 'The key may not read tools.') })
    expect(screen.getByRole('status').textContent).toContain('Loading the action…')
    expect((await screen.findByRole('alert')).textContent).toContain('The key may not read tools.')
  })

  it('tells the user to add a credential when a tool needs one and has none', async () => {
    const github = fullTool({
      actions: [
        {
          ...httpTool.actions[0]!,
          name: 'create_issue',
          id: 'github.create_issue',
          title: 'Create an issue',
        },
      ],
    })
    const server = fakeServer({
      'GET /v1/tools/github': () => json(github),
      'GET /v1/credentials': () => json({ data: [], nextCursor: null }),
    })
    renderWithApp(<ActionPage />, {
      path: '/tools/github/actions/create_issue',
      route: '/tools/:slug/actions/:action',
      fetch: server.fetch,
    })
    expect(await screen.findByText(/There is no credential for GitHub yet/)).toBeTruthy()
    expect(screen.getByRole('link', { name: 'Add a credential' }).getAttribute('href')).toBe(
      '/credentials?tool=github',
    )
    expect(server.requests.find((r) => r.path === '/v1/credentials')?.search.get('tool')).toBe('github')
  })
})
