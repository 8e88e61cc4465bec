import { screen, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { Route } from 'react-router'
import { describe, expect, it, vi } from 'vitest'
import type { Delivery } from '../api/webhooks.js'
import { fakeServer, json, problem, renderWithApp } from '../testing/render.js'
import { delivered, failed, failedDetail, sessionAs, webhook } from '../testing/webhooks.js'
import WebhookPage from './WebhookPage.js'

const listRoute = <Route path="/webhooks" element={<p>All endpoints</p>} />

function renderPage(
  routes: Parameters<typeof fakeServer>[0],
  { role = 'owner', path = '/webhooks/wh_1' }: { role?: 'owner' | 'viewer'; path?: string } = {},
) {
  const server = fakeServer({
    'GET /v1/me': () => json(sessionAs(role)),
    'GET /v1/webhooks/wh_1': () => json(webhook),
    'GET /v1/webhooks/wh_1/deliveries': () => json({ data: [delivered, failed], nextCursor: null }),
    ...routes,
  })
  renderWithApp(<WebhookPage />, { fetch: server.fetch, path, route: '/webhooks/:id', routes: listRoute })
  return server
}

const deliveryItems = async () =>
  within(await screen.findByRole('list', { name: 'Deliveries' })).getAllByRole('listitem', {
    // Only the deliveries, not the attempts or events inside them.
    name: '',
  })

describe('WebhookPage', () => {
  it('shows a skeleton while the endpoint loads', () => {
    renderPage({ 'GET /v1/webhooks/wh_1': () => new Promise(() => undefined) })
    expect(screen.getByRole('status').textContent).toContain('Loading the endpoint…')
  })

  it('says when the endpoint does not exist', async () => {
    renderPage({ 'GET /v1/webhooks/wh_1': () => problem(404, 'not_found', 'No webhook subscription wh_1.') })
    expect(await screen.findByRole('heading', { level: 1, name: 'Endpoint not found' })).toBeTruthy()
    expect(screen.getByRole('link', { name: 'See all endpoints' })).toBeTruthy()
  })

  it('shows the details, the events and the deliveries with their attempts and last status', async () => {
    renderPage({})
    expect(await screen.findByRole('heading', { level: 1, name: webhook.url })).toBeTruthy()
    expect(document.body.textContent).toContain('trigger.github.*')
    expect(document.body.textContent).toContain('Alerts channel')
    const items = await deliveryItems()
    expect(items).toHaveLength(2)
    expect(items[0]!.textContent).toContain('execution.failed')
    expect(items[0]!.textContent).toContain('msg_0001')
    expect(items[0]!.textContent).toContain('Delivered')
    expect(items[0]!.textContent).toMatch(/Attempts1/)
    expect(items[0]!.textContent).toMatch(/Last HTTP status204/)
    expect(items[1]!.textContent).toContain('Failed')
    expect(items[1]!.textContent).toMatch(/Attempts2/)
    expect(items[1]!.textContent).toMatch(/Last HTTP statusNo response/)
  })

  it('says what to do when there are no deliveries', async () => {
    renderPage({ 'GET /v1/webhooks/wh_1/deliveries': () => json({ data: [], nextCursor: null }) })
    expect(await screen.findByRole('heading', { name: 'No deliveries yet' })).toBeTruthy()
    expect(document.body.textContent).toContain('Send a test event')
  })

  it('shows why the deliveries could not load', async () => {
    renderPage({ 'GET /v1/webhooks/wh_1/deliveries': () => problem(400, 'validation_error', 'Bad cursor.') })
    expect((await screen.findByRole('alert')).textContent).toContain('Bad cursor.')
  })

  it('filters the deliveries by status, in the address', async () => {
    const server = renderPage({
      'GET /v1/webhooks/wh_1/deliveries': (request) =>
        json({
          data: request.search.get('status') === 'pending' ? [] : [delivered, failed],
          nextCursor: null,
        }),
    })
    await deliveryItems()
    await userEvent.click(screen.getByRole('radio', { name: 'Pending' }))
    expect(await screen.findByRole('heading', { name: 'No pending deliveries' })).toBeTruthy()
    expect(screen.getByTestId('location').textContent).toBe('/webhooks/wh_1?status=pending')
    expect(server.requests.at(-1)?.search.get('status')).toBe('pending')
    await userEvent.click(screen.getByRole('button', { name: 'Show all deliveries' }))
    expect(await deliveryItems()).toHaveLength(2)
  })

  it('pages to older deliveries', async () => {
    renderPage({
      'GET /v1/webhooks/wh_1/deliveries': (request) =>
        request.search.get('cursor') === 'older'
          ? json({ data: [failed], nextCursor: null })
          : json({ data: [delivered], nextCursor: 'older' }),
    })
    expect(await deliveryItems()).toHaveLength(1)
    await userEvent.click(screen.getByRole('button', { name: 'Show older deliveries' }))
    await vi.waitFor(async () => {
      expect(await deliveryItems()).toHaveLength(2)
    })
    expect(screen.queryByRole('button', { name: 'Show older deliveries' })).toBeNull()
  })

  it('opens a delivery’s attempts with the endpoint’s responses, and its payload', async () => {
    renderPage({ 'GET /v1/webhooks/wh_1/deliveries/dlv_2': () => json(failedDetail) })
    const items = await deliveryItems()
    await userEvent.click(within(items[1]!).getByRole('button', { name: /Attempts and payload/ }))
    const attempts = await within(items[1]!).findByRole('list', { name: 'Attempts' })
    expect(within(attempts).getAllByRole('listitem')).toHaveLength(2)
    expect(attempts.textContent).toContain('Failed · HTTP 500')
    expect(attempts.textContent).toContain('upstream exploded')
    expect(items[1]!.textContent).toContain('"type": "webhook.test"')
  })

  it('sends a test event and follows its delivery until it is delivered', async () => {
    const pending: Delivery = {
      ...delivered,
      id: 'dlv_9',
      event: 'webhook.test',
      messageId: 'msg_9',
      status: 'pending',
      attempts: [],
    }
    let reads = 0
    const server = renderPage({
      'POST /v1/webhooks/wh_1/test': () => json(pending, 202),
      'GET /v1/webhooks/wh_1/deliveries/dlv_9': () => {
        reads += 1
        return json({
          ...pending,
          payload: {},
          ...(reads > 1
            ? {
                status: 'delivered',
                attempts: [{ ...delivered.attempts[0]!, responseHeaders: null, responseBody: null }],
              }
            : {}),
        })
      },
    })
    await userEvent.click(await screen.findByRole('button', { name: 'Send test event' }))
    expect(server.requests.some((r) => r.method === 'POST' && r.path === '/v1/webhooks/wh_1/test')).toBe(true)
    expect(await screen.findByText(/msg_9/)).toBeTruthy()
    await vi.waitFor(
      () => {
        expect(document.body.textContent).toContain('Test event delivered: the endpoint answered HTTP 204.')
      },
      { timeout: 5000 },
    )
  })

  it('says why a test event cannot be sent', async () => {
    renderPage({
      'POST /v1/webhooks/wh_1/test': () => problem(409, 'conflict', 'Webhook subscription wh_1 is disabled.'),
    })
    await userEvent.click(await screen.findByRole('button', { name: 'Send test event' }))
    const alert = await screen.findByRole('alert')
    expect(alert.textContent).toContain('Could not send a test event')
    expect(alert.textContent).toContain('is disabled')
  })

  it('replays a delivery and says so', async () => {
    const server = renderPage({
      'POST /v1/webhooks/wh_1/deliveries/dlv_2/replay': () => json({ ...failed, status: 'pending' }, 202),
    })
    const items = await deliveryItems()
    await userEvent.click(within(items[1]!).getByRole('button', { name: 'Replay' }))
    await vi.waitFor(() => {
      expect(document.body.textContent).toContain('Replaying webhook.test (msg_0002)')
    })
    expect(server.requests.some((r) => r.path === '/v1/webhooks/wh_1/deliveries/dlv_2/replay')).toBe(true)
  })

  it('disables and enables the endpoint', async () => {
    const server = renderPage({
      'PATCH /v1/webhooks/wh_1': () =>
        json({ ...webhook, enabled: false, disabledReason: 'Disabled through the API' }),
    })
    await userEvent.click(await screen.findByRole('button', { name: 'Disable' }))
    expect(server.requests.find((r) => r.method === 'PATCH')?.body).toEqual({ enabled: false })
    expect(await screen.findByRole('button', { name: 'Enable' })).toBeTruthy()
    expect(document.body.textContent).toContain('Disabled: Disabled through the API')
    expect(screen.getByRole('button', { name: 'Send test event' }).hasAttribute('disabled')).toBe(true)
  })

  it('edits the URL and events', async () => {
    const server = renderPage({
      'PATCH /v1/webhooks/wh_1': () => json({ ...webhook, url: 'https://new.example/hooks' }),
    })
    await userEvent.click(await screen.findByRole('button', { name: 'Edit' }))
    const field = screen.getByRole('textbox', { name: 'Endpoint URL' })
    await userEvent.clear(field)
    await userEvent.type(field, 'https://new.example/hooks')
    await userEvent.click(screen.getByRole('button', { name: 'Save changes' }))
    expect(server.requests.find((r) => r.method === 'PATCH')?.body).toEqual({
      url: 'https://new.example/hooks',
      events: ['execution.failed', 'trigger.github.*'],
      description: 'Alerts channel',
    })
    expect(await screen.findByRole('heading', { level: 1, name: 'https://new.example/hooks' })).toBeTruthy()
    expect(screen.queryByRole('button', { name: 'Save changes' })).toBeNull()
  })

  it('rotates the secret with an overlap and shows the new one once', async () => {
    const server = renderPage({
      'POST /v1/webhooks/wh_1/rotate-secret': () =>
        json({ ...webhook, previousSecretExpiresAt: '2026-01-15T14:00:00.000Z', secret: 'whsec_bmV3' }),
    })
    const hours = await screen.findByRole('textbox', { name: /Keep signing with the old secret/ })
    await userEvent.clear(hours)
    await userEvent.type(hours, '2')
    await userEvent.click(screen.getByRole('button', { name: 'Rotate secret' }))
    expect(server.requests.find((r) => r.path.endsWith('/rotate-secret'))?.body).toEqual({
      overlapSeconds: 7200,
    })
    expect(await screen.findByRole('heading', { name: 'Copy the new signing secret now' })).toBeTruthy()
    expect(screen.getByRole<HTMLInputElement>('textbox', { name: 'New signing secret' }).value).toBe(
      'whsec_bmV3',
    )
    await userEvent.click(screen.getByRole('button', { name: 'Done' }))
    expect(screen.queryByRole('textbox', { name: 'New signing secret' })).toBeNull()
  })

  it('deletes the endpoint after confirming, then goes back to the list', async () => {
    const server = renderPage({ 'DELETE /v1/webhooks/wh_1': () => new Response(null, { status: 204 }) })
    await userEvent.click(await screen.findByRole('button', { name: 'Delete' }))
    const dialog = screen.getByRole('alertdialog', { name: `Delete the endpoint ${webhook.url}?` })
    await userEvent.click(within(dialog).getByRole('button', { name: 'Delete endpoint' }))
    await vi.waitFor(() => {
      expect(screen.getByTestId('location').textContent).toBe('/webhooks')
    })
    expect(server.requests.some((r) => r.method === 'DELETE')).toBe(true)
  })

  it('offers a viewer nothing to change', async () => {
    renderPage({}, { role: 'viewer' })
    await deliveryItems()
    expect(document.body.textContent).toContain('Your role can see this endpoint but not change it.')
    for (const name of ['Send test event', 'Edit', 'Delete', 'Replay', 'Rotate secret']) {
      expect(screen.queryByRole('button', { name })).toBeNull()
    }
  })
})
