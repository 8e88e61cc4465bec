import { screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it, vi } from 'vitest'
import type { Batch } from '../api/batches.js'
import type { Tool } from '../api/tools.js'
import { httpToolWith } from '../testing/actions.js'
import { batch } from '../testing/batches.js'
import { fakeServer, json, problem, renderWithApp } from '../testing/render.js'
import type { Handler } from '../testing/render.js'
import { fullTool, sampleTools, toolSummary } from '../testing/tools.js'
import { NewBatchForm } from './NewBatchForm.js'

const httpTool: Tool = httpToolWith([
  {
    ...fullTool().actions[0]!,
    name: 'request',
    id: 'http.request',
    title: 'Send a request',
    input: {
      type: 'object',
      required: ['url', 'followRedirects'],
      properties: {
        method: {
          anyOf: [
            { const: 'GET', type: 'string' },
            { const: 'POST', type: 'string' },
          ],
          default: 'GET',
        },
        url: { type: 'string', minLength: 1 },
        timeoutMs: { type: 'integer' },
        followRedirects: { type: 'boolean', default: true },
      },
    },
  },
])

const catalog = sampleTools.map((t) =>
  t.slug === 'http' ? toolSummary({ ...t, authMethods: [{ id: 'none', kind: 'none', title: 'None' }] }) : t,
)

const credential = {
  id: 'cred_1',
  tool: 'http',
  name: 'Stand-in API',
  authMethod: 'bearer',
  status: 'healthy',
  externalUserId: null,
}

function server(overrides: Record<string, Handler> = {}) {
  return fakeServer({
    'GET /v1/tools': () => json({ data: catalog, nextCursor: null }),
    'GET /v1/tools/http': () => json(httpTool),
    'GET /v1/tools/github': () => json(fullTool()),
    'GET /v1/credentials': (request) =>
      json({ data: request.search.get('tool') === 'http' ? [credential] : [], nextCursor: null }),
    'POST /v1/batches': () => json(batch({ id: 'batch_new' }), 202),
    ...overrides,
  })
}

function renderForm(fake = server(), initialAction: string | null = null) {
  const onSubmitted = vi.fn<(b: Batch) => void>()
  renderWithApp(<NewBatchForm onSubmitted={onSubmitted} initialAction={initialAction} />, {
    fetch: fake.fetch,
  })
  return { onSubmitted, requests: fake.requests }
}

async function chooseAction(user: ReturnType<typeof userEvent.setup>, text: string, option: RegExp) {
  await user.type(screen.getByRole('combobox', { name: /Action/ }), text)
  await user.click(await screen.findByRole('option', { name: option }))
}

async function pasteItems(user: ReturnType<typeof userEvent.setup>, text: string) {
  await user.click(screen.getByRole('textbox', { name: 'Items' }))
  await user.paste(text)
}

describe('NewBatchForm', () => {
  it('submits CSV items for the chosen action and credential', async () => {
    const user = userEvent.setup()
    const { onSubmitted, requests } = renderForm()
    await chooseAction(user, 'http', /http\.request/)
    // The tool needs no credential, so none is chosen at first; pick the stored one.
    const credentialButton = await screen.findByRole('button', { name: /No credential.*Credential/ })
    await user.click(credentialButton)
    await user.click(await screen.findByRole('option', { name: /Stand-in API/ }))
    await pasteItems(user, 'url,timeoutMs,method\n/a,100,POST\n/b,,')

    await screen.findByText('2 items ready to submit.')
    const table = screen.getByRole('table', { name: 'All 2 items' })
    expect(
      within(table)
        .getAllByRole('row')
        .map((r) => r.textContent),
    ).toEqual(['ItemurltimeoutMsmethod', '1/a100POST', '2/b'])

    await user.click(screen.getByRole('button', { name: 'Submit 2 items' }))
    await waitFor(() => {
      expect(onSubmitted).toHaveBeenCalledOnce()
    })
    expect(onSubmitted.mock.calls[0]?.[0].id).toBe('batch_new')
    const post = requests.find((r) => r.method === 'POST')
    expect(post?.body).toEqual({
      items: [
        {
          action: 'http.request',
          credentialId: 'cred_1',
          input: { url: '/a', timeoutMs: 100, method: 'POST' },
        },
        { action: 'http.request', credentialId: 'cred_1', input: { url: '/b' } },
      ],
      mode: 'parallel',
      concurrency: 10,
    })
  })

  it('sends no credential, in order, from JSON', async () => {
    const user = userEvent.setup()
    const { requests } = renderForm(server(), 'http.request')
    await screen.findByRole('button', { name: /No credential.*Credential/ })
    await user.click(screen.getByText('One after another, in order'))
    await user.click(screen.getByText('JSON'))
    await pasteItems(user, '[{"url": "/a"}]')
    await screen.findByText('1 item ready to submit.')
    await user.click(screen.getByRole('button', { name: 'Submit 1 item' }))
    await waitFor(() => {
      expect(requests.some((r) => r.method === 'POST')).toBe(true)
    })
    expect(requests.find((r) => r.method === 'POST')?.body).toEqual({
      items: [{ action: 'http.request', credentialId: null, input: { url: '/a' } }],
      mode: 'sequential',
    })
  })

  it('lists each row’s problems and submits nothing until they are fixed', async () => {
    const user = userEvent.setup()
    const { requests } = renderForm(server(), 'http.request')
    await screen.findByRole('button', { name: /No credential.*Credential/ })
    await pasteItems(user, 'url,method,timeoutMs\n/a,PUT,1\n,GET,soon')
    await screen.findByText('2 items, 3 problems to fix first.')
    const problems = screen.getByRole('heading', { name: 'Problems' }).nextElementSibling!
    expect(
      within(problems as HTMLElement)
        .getAllByRole('listitem')
        .map((li) => li.textContent),
    ).toEqual([
      'Item 1, method: should be one of "GET", "POST"',
      'Item 2, timeoutMs: should be a whole number, not “soon”',
      'Item 2, url: is required',
    ])
    await user.click(screen.getByRole('button', { name: 'Submit 2 items' }))
    expect(screen.getByText('Fix the problems listed in the preview first.')).toBeTruthy()
    expect(requests.some((r) => r.method === 'POST')).toBe(false)
  })

  it('asks for an action and items when submitted empty', async () => {
    const user = userEvent.setup()
    const { requests } = renderForm()
    await user.click(screen.getByRole('button', { name: 'Submit the batch' }))
    expect(screen.getByText('Choose the action every item runs.')).toBeTruthy()
    expect(screen.getByText('Give at least one item.')).toBeTruthy()
    expect(requests.some((r) => r.method === 'POST')).toBe(false)
  })

  it('offers to add a credential when the tool needs one and has none', async () => {
    renderForm(server(), 'github.create_issue')
    const link = await screen.findByRole('link', { name: 'Add a credential' })
    expect(link.getAttribute('href')).toBe('/credentials?tool=github')
  })

  it('shows the server’s refusal', async () => {
    const user = userEvent.setup()
    renderForm(
      server({
        'POST /v1/batches': () =>
          problem(400, 'validation_error', 'The batch is not valid.', {
            errors: [{ path: '/body/items/0/credentialId', message: 'no such credential' }],
          }),
      }),
      'http.request',
    )
    await screen.findByRole('button', { name: /No credential.*Credential/ })
    await pasteItems(user, 'url\n/a')
    await screen.findByText('1 item ready to submit.')
    await user.click(screen.getByRole('button', { name: 'Submit 1 item' }))
    const alert = await screen.findByRole('alert')
    expect(alert.textContent).toContain('The batch was not submitted')
    expect(alert.textContent).toContain('items/0/credentialId no such credential')
  })

  it('shows why the actions could not be loaded, with a retry', async () => {
    renderForm(server({ 'GET /v1/tools': () => problem(403, 'forbidden', 'This key cannot read tools.') }))
    const alert = await screen.findByRole('alert')
    expect(alert.textContent).toContain('The actions could not be loaded')
    expect(within(alert).getByRole('button', { name: 'Try again' })).toBeTruthy()
  })

  it('shows the actions loading', () => {
    renderForm()
    expect(screen.getByRole('combobox', { name: /Action/ }).getAttribute('placeholder')).toBe(
      'Loading the actions…',
    )
  })
})
