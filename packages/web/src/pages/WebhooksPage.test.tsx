import { screen, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { Route } from 'react-router'
import { describe, expect, it } from 'vitest'
import { fakeServer, json, problem, renderWithApp } from '../testing/render.js'
import { sessionAs, webhook } from '../testing/webhooks.js'
import WebhooksPage from './WebhooksPage.js'

const webhookRoute = <Route path="/webhooks/:id" element={<p>The endpoint page</p>} />

function renderPage(routes: Parameters<typeof fakeServer>[0], role: 'owner' | 'viewer' = 'owner') {
  const server = fakeServer({ 'GET /v1/me': () => json(sessionAs(role)), ...routes })
  renderWithApp(<WebhooksPage />, {
    fetch: server.fetch,
    path: '/webhooks',
    route: '/webhooks',
    routes: webhookRoute,
  })
  return server
}

describe('WebhooksPage', () => {
  it('shows a skeleton while the endpoints load', () => {
    renderPage({ 'GET /v1/webhooks': () => new Promise(() => undefined) })
    expect(screen.getByRole('status').textContent).toContain('Loading endpoints…')
  })

  it('shows why the endpoints could not load, and tries again', async () => {
    let calls = 0
    renderPage({
      'GET /v1/webhooks': () => {
        calls += 1
        return calls === 1
          ? problem(403, 'permission_error', 'This key lacks the webhooks:read scope.')
          : json({ data: [webhook], nextCursor: null })
      },
    })
    const alert = await screen.findByRole('alert')
    expect(alert.textContent).toContain('lacks the webhooks:read scope')
    await userEvent.click(within(alert).getByRole('button', { name: 'Try again' }))
    expect(await screen.findByRole('link', { name: webhook.url })).toBeTruthy()
  })

  it('says what to do when there are no endpoints', async () => {
    renderPage({ 'GET /v1/webhooks': () => json({ data: [], nextCursor: null }) })
    expect(await screen.findByRole('heading', { name: 'No webhook endpoints yet' })).toBeTruthy()
    expect(screen.getByRole('button', { name: 'Add endpoint' })).toBeTruthy()
  })

  it('offers no adding to a viewer', async () => {
    renderPage({ 'GET /v1/webhooks': () => json({ data: [], nextCursor: null }) }, 'viewer')
    await screen.findByRole('heading', { name: 'No webhook endpoints yet' })
    expect(document.body.textContent).toContain('Ask a developer, admin or owner')
    expect(screen.queryByRole('button', { name: 'Add endpoint' })).toBeNull()
  })

  it('lists endpoints with their status in words and their events', async () => {
    renderPage({
      'GET /v1/webhooks': () =>
        json({
          data: [
            webhook,
            {
              ...webhook,
              id: 'wh_2',
              url: 'https://b.example/x',
              events: ['*'],
              enabled: false,
              disabledReason: 'The endpoint answered 410',
            },
          ],
          nextCursor: null,
        }),
    })
    const list = await screen.findByRole('list', { name: 'Webhook endpoints' })
    const items = within(list).getAllByRole('listitem')
    expect(items[0]!.textContent).toContain('Enabled')
    expect(items[0]!.textContent).toContain('execution.failed, trigger.github.*')
    expect(items[1]!.textContent).toContain('Disabled: The endpoint answered 410')
    expect(items[1]!.textContent).toContain('Every event')
    expect(within(items[0]!).getByRole('link').getAttribute('href')).toBe('/webhooks/wh_1')
  })

  it('pages through many endpoints', async () => {
    const server = renderPage({
      'GET /v1/webhooks': (request) =>
        request.search.get('cursor') === 'c2'
          ? json({ data: [{ ...webhook, id: 'wh_2', url: 'https://two.example/' }], nextCursor: null })
          : json({ data: [webhook], nextCursor: 'c2' }),
    })
    await userEvent.click(await screen.findByRole('button', { name: 'Show more endpoints' }))
    expect(await screen.findByRole('link', { name: 'https://two.example/' })).toBeTruthy()
    expect(
      server.requests
        .filter((r) => r.path === '/v1/webhooks')
        .at(-1)
        ?.search.get('cursor'),
    ).toBe('c2')
  })

  it('adds an endpoint, shows its secret once, then goes to its page', async () => {
    const server = renderPage({
      'GET /v1/webhooks': () => json({ data: [], nextCursor: null }),
      'POST /v1/webhooks': () => json({ ...webhook, events: ['*'], secret: 'whsec_c2VjcmV0' }, 201),
    })
    await userEvent.click(await screen.findByRole('button', { name: 'Add endpoint' }))
    expect(document.activeElement).toBe(screen.getByRole('heading', { name: 'Add an endpoint' }))
    await userEvent.type(screen.getByRole('textbox', { name: 'Endpoint URL' }), 'https://example.com/hooks')
    await userEvent.click(screen.getByRole('button', { name: 'Add endpoint' }))
    expect(server.requests.find((r) => r.method === 'POST')?.body).toEqual({
      url: 'https://example.com/hooks',
      events: ['*'],
      description: null,
    })
    await screen.findByRole('heading', { name: 'Copy the signing secret now' })
    expect(screen.getByRole<HTMLInputElement>('textbox', { name: 'Signing secret' }).value).toBe(
      'whsec_c2VjcmV0',
    )
    expect(document.body.textContent).toContain('You will not see this again.')
    await userEvent.click(screen.getByRole('link', { name: /go to the endpoint/ }))
    expect(screen.getByTestId('location').textContent).toBe('/webhooks/wh_1')
  })

  it('shows the server’s field errors on the form', async () => {
    renderPage({
      'GET /v1/webhooks': () => json({ data: [], nextCursor: null }),
      'POST /v1/webhooks': () =>
        problem(400, 'validation_error', 'Invalid.', {
          errors: [{ path: '/body/url', message: 'The URL must be http or https' }],
        }),
    })
    await userEvent.click(await screen.findByRole('button', { name: 'Add endpoint' }))
    await userEvent.type(screen.getByRole('textbox', { name: 'Endpoint URL' }), 'https://example.com/hooks')
    await userEvent.click(screen.getByRole('button', { name: 'Add endpoint' }))
    expect(await screen.findByText('The URL must be http or https')).toBeTruthy()
    expect(screen.getByRole('textbox', { name: 'Endpoint URL' }).getAttribute('aria-invalid')).toBe('true')
  })

  it('closes the form on Cancel and gives focus back to the button', async () => {
    renderPage({ 'GET /v1/webhooks': () => json({ data: [webhook], nextCursor: null }) })
    await userEvent.click(await screen.findByRole('button', { name: 'Add endpoint' }))
    await userEvent.click(screen.getByRole('button', { name: 'Cancel' }))
    expect(screen.queryByRole('heading', { name: 'Add an endpoint' })).toBeNull()
    expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Add endpoint' }))
  })
})
