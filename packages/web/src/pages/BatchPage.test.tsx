import { screen, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it } from 'vitest'
import { batch, batchItem, failedItem } from '../testing/batches.js'
import { fakeServer, json, problem, renderWithApp } from '../testing/render.js'
import BatchPage from './BatchPage.js'

const id = '0190f3a2-7c1e-7000-8000-00000000abcd'

function renderPage(routes: Parameters<typeof fakeServer>[0], path = `/batches/${id}`) {
  const fake = fakeServer(routes)
  renderWithApp(<BatchPage />, { path, route: '/batches/:id', fetch: fake.fetch })
  return fake
}

describe('BatchPage', () => {
  it('reads a running batch again until it completes, then shows its final counts', async () => {
    let reads = 0
    renderPage({
      [`GET /v1/batches/${id}`]: () => {
        reads += 1
        return json(
          reads === 1
            ? batch()
            : batch({
                status: 'completed',
                finishedAt: '2026-01-15T12:00:05.000Z',
                counts: { queued: 0, running: 0, succeeded: 18, failed: 2 },
              }),
        )
      },
      [`GET /v1/batches/${id}/items`]: () => json({ data: [batchItem(0), failedItem(1)], nextCursor: null }),
    })
    await screen.findByRole('heading', { level: 1, name: 'Batch 0000abcd' })
    expect(screen.getByRole('progressbar').getAttribute('aria-valuetext')).toBe('12 of 20 items finished')
    await screen.findByText('The batch completed: 18 succeeded · 2 failed.', {}, { timeout: 4000 })
    expect(screen.getByRole('progressbar').getAttribute('aria-valuetext')).toBe('20 of 20 items finished')
    expect(screen.getByText(/Completed/, { selector: '.batch-status' }).textContent).toBe(
      '✓ Completed, 2 items failed',
    )
    expect(screen.queryByRole('button', { name: 'Cancel the batch…' })).toBeNull()
  })

  it('shows only the failed items on request, from the execution search', async () => {
    const user = userEvent.setup()
    const fake = renderPage({
      [`GET /v1/batches/${id}`]: () =>
        json(batch({ status: 'completed', counts: { queued: 0, running: 0 } })),
      [`GET /v1/batches/${id}/items`]: () => json({ data: [batchItem(0), failedItem(1)], nextCursor: null }),
      'GET /v1/executions': () => json({ data: [failedItem(7), failedItem(1)], nextCursor: null }),
    })
    await screen.findByRole('list', { name: 'Items' })
    await user.click(screen.getByText('Failed items (2)'))
    const failed = await screen.findByRole('list', { name: 'Failed items' })
    expect(
      within(failed)
        .getAllByRole('listitem')
        .map((li) => /Item \d+/.exec(li.textContent)?.[0]),
    ).toEqual(['Item 2', 'Item 8'])
    const search = fake.requests.find((r) => r.path === '/v1/executions')?.search
    expect(search?.get('batchId')).toBe(id)
    expect(search?.get('status')).toBe('failed')
    expect(screen.getByTestId('location').textContent).toBe(`/batches/${id}?show=failed`)
  })

  it('pages through the items', async () => {
    const user = userEvent.setup()
    const fake = renderPage({
      [`GET /v1/batches/${id}`]: () =>
        json(batch({ status: 'completed', counts: { queued: 0, running: 0 } })),
      [`GET /v1/batches/${id}/items`]: (request) =>
        request.search.get('cursor') === 'next-1'
          ? json({ data: [batchItem(50)], nextCursor: null })
          : json({ data: [batchItem(0)], nextCursor: 'next-1' }),
    })
    await screen.findByRole('list', { name: 'Items' })
    await user.click(screen.getByRole('button', { name: 'Next items' }))
    await screen.findByText('Item 51')
    await user.click(screen.getByRole('button', { name: 'Previous items' }))
    await screen.findByText('Item 1')
    expect(fake.requests.filter((r) => r.path.endsWith('/items')).length).toBeGreaterThanOrEqual(2)
  })

  it('says when there is no such batch', async () => {
    renderPage({ [`GET /v1/batches/${id}`]: () => problem(404, 'not_found', 'No batch.') })
    await screen.findByRole('heading', { level: 1, name: 'Batch not found' })
    expect(screen.getByRole('link', { name: 'list of batches' }).getAttribute('href')).toBe('/batches')
  })

  it('shows other errors with a retry, and a skeleton while loading', async () => {
    renderPage({ [`GET /v1/batches/${id}`]: () => problem(403, 'forbidden', 'Not allowed to read batches.') })
    expect(screen.getByRole('status').textContent).toBe('Loading the batch…')
    const alert = await screen.findByRole('alert')
    expect(alert.textContent).toContain('Not allowed to read batches.')
    expect(within(alert).getByRole('button', { name: 'Try again' })).toBeTruthy()
  })
})
