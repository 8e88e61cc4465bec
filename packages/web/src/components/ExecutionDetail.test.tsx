import { screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it, vi } from 'vitest'
import type { Execution } from '../api/executions.js'
import { executionId, fakeExecution } from '../testing/executions.js'
import { fakeServer, json, problem, renderWithApp } from '../testing/render.js'
import type { Handler } from '../testing/render.js'
import { ExecutionDetail } from './ExecutionDetail.js'

const failedId = executionId(7)

const failed: Execution = fakeExecution({
  id: failedId,
  action: 'github.create_issue',
  tool: 'github',
  status: 'failed',
  credentialId: 'cred_42',
  batchId: 'batch_9',
  batchIndex: 2,
  retryOf: executionId(3),
  correlationId: 'req-abc',
  input: { repo: 'acme/app', title: 'Broken' },
  output: null,
  error: {
    class: 'upstream_unavailable',
    message: 'GitHub answered 503 Service Unavailable.',
    retryable: true,
    httpStatus: 503,
    suggestions: [{ title: 'Wait for the upstream to recover', detail: 'Toolplane retries with backoff.' }],
  },
  attempts: [
    {
      number: 1,
      status: 'failed',
      httpStatus: 503,
      errorClass: 'upstream_unavailable',
      startedAt: '2026-01-15T12:00:00.000Z',
      durationMs: 100,
      error: 'HTTP 503',
      retryInMs: 200,
    },
    {
      number: 2,
      status: 'failed',
      httpStatus: 503,
      errorClass: 'upstream_unavailable',
      startedAt: '2026-01-15T12:00:00.300Z',
      durationMs: 100,
      error: 'HTTP 503 again',
    },
  ],
  durationMs: 400,
})

function renderDetail(routes: Record<string, Handler>, id: string | null = failedId) {
  const server = fakeServer(routes)
  const onClose = vi.fn()
  const onOpen = vi.fn()
  const result = renderWithApp(
    <ExecutionDetail id={id} onClose={onClose} onOpen={onOpen} search="status=failed" />,
    { path: '/executions', route: '/executions', fetch: server.fetch },
  )
  return { ...result, server, onClose, onOpen }
}

const dialog = () => screen.getByRole('dialog')

describe('ExecutionDetail', () => {
  it('renders nothing while closed', () => {
    const { server } = renderDetail({}, null)
    expect(screen.queryByRole('dialog')).toBeNull()
    expect(server.requests).toHaveLength(0)
  })

  it('shows a failed execution: summary with links, the error with suggestions, attempts, input', async () => {
    renderDetail({ [`GET /v1/executions/${failedId}`]: () => json(failed) })
    expect(within(dialog()).getByRole('status').textContent).toContain('Loading the execution…')
    await within(dialog()).findByRole('heading', { name: 'github.create_issue', level: 2 })
    const d = dialog()
    expect(d.textContent).toContain('Failed')
    expect(within(d).getByRole('link', { name: 'cred_42' }).getAttribute('href')).toBe('/credentials/cred_42')
    expect(within(d).getByRole('link', { name: 'batch_9' }).getAttribute('href')).toBe('/batches/batch_9')
    expect(d.textContent).toContain('item 3')
    expect(
      within(d)
        .getByRole('link', { name: executionId(3) })
        .getAttribute('href'),
    ).toBe(`/executions?status=failed&execution=${executionId(3)}`)
    expect(within(d).getByRole('link', { name: 'github.create_issue' }).getAttribute('href')).toBe(
      '/tools/github/actions/create_issue',
    )
    expect(d.textContent).toContain('req-abc')

    const error = within(d)
      .getByRole('heading', { name: 'Upstream unavailable', level: 3 })
      .closest('section')!
    expect(error.textContent).toContain('upstream_unavailable')
    expect(error.textContent).toContain('503')
    expect(error.textContent).toContain('GitHub answered 503 Service Unavailable.')
    expect(error.textContent).toContain('Wait for the upstream to recover')

    const attempts = within(d).getByRole('list', { name: 'Attempts' })
    const items = within(attempts).getAllByRole('listitem')
    expect(items).toHaveLength(2)
    expect(items[0]!.textContent).toContain('Attempt 1')
    expect(items[0]!.textContent).toContain('HTTP 503')
    expect(items[0]!.textContent).toContain('Started at +0 ms, took 100 ms')
    expect(items[0]!.textContent).toContain('Waited 200 ms before attempt 2.')
    expect(items[1]!.textContent).toContain('Started at +300 ms, took 100 ms')
    expect(items[1]!.textContent).toContain('HTTP 503 again')
    // The bar is as long as the attempt, placed at its start, over the whole span (400 ms).
    const bar = items[1]!.querySelector<HTMLElement>('.attempt-bar')!
    expect(bar.style.marginLeft).toBe('75%')
    expect(bar.style.width).toBe('25%')

    expect(d.textContent).toContain('"repo": "acme/app"')
    expect(d.textContent).toContain('None: it did not succeed.')
    expect(within(d).getByRole('button', { name: 'Retry' })).toBeTruthy()
    expect(within(d).queryByRole('button', { name: 'Cancel' })).toBeNull()
  })

  it('copies the input as pretty JSON and says so', async () => {
    const user = userEvent.setup()
    renderDetail({ [`GET /v1/executions/${failedId}`]: () => json(failed) })
    await within(dialog()).findByRole('heading', { name: 'Input' })
    const input = within(dialog()).getByRole('heading', { name: 'Input' }).closest('section')!
    await user.click(within(input).getByRole('button', { name: 'Copy' }))
    await expect(navigator.clipboard.readText()).resolves.toBe(
      JSON.stringify({ repo: 'acme/app', title: 'Broken' }, null, 2),
    )
    expect(input.textContent).toContain('Input copied to the clipboard.')
  })

  it('retries a failed execution as a new one and opens it', async () => {
    const next = fakeExecution({ id: executionId(8), status: 'queued', retryOf: failedId, mode: 'async' })
    const { server, onOpen } = renderDetail({
      [`GET /v1/executions/${failedId}`]: () => json(failed),
      [`POST /v1/executions/${failedId}/retry`]: () => json(next, 202),
    })
    await userEvent.click(await within(dialog()).findByRole('button', { name: 'Retry' }))
    await waitFor(() => {
      expect(onOpen).toHaveBeenCalledWith(executionId(8))
    })
    const post = server.requests.find((r) => r.method === 'POST')!
    expect(post.body).toEqual({ mode: 'async' })
  })

  it('says why a retry was refused', async () => {
    renderDetail({
      [`GET /v1/executions/${failedId}`]: () => json(failed),
      [`POST /v1/executions/${failedId}/retry`]: () =>
        problem(409, 'conflict', 'Only a failed or cancelled execution can be retried.'),
    })
    await userEvent.click(await within(dialog()).findByRole('button', { name: 'Retry' }))
    const alert = await within(dialog()).findByRole('alert')
    expect(alert.textContent).toContain('Could not retry')
    expect(alert.textContent).toContain('Only a failed or cancelled execution can be retried.')
  })

  it('refreshes a running execution until it finishes, and cancels one on request', async () => {
    const id = executionId(11)
    let reads = 0
    const running = fakeExecution({
      id,
      status: 'running',
      mode: 'async',
      output: null,
      finishedAt: null,
      durationMs: null,
      attempts: [],
    })
    const { server } = renderDetail(
      {
        [`GET /v1/executions/${id}`]: () => {
          reads += 1
          return json(
            reads < 3 ? running : fakeExecution({ id, status: 'succeeded', output: { done: true } }),
          )
        },
        [`POST /v1/executions/${id}/cancel`]: () => json({ ...running, cancelRequested: true }),
      },
      id,
    )
    const d = await within(document.body).findByRole('dialog')
    await within(d).findByText(/Running: this view refreshes until it finishes/)
    expect(within(d).getByRole('progressbar', { name: 'Waiting for the execution to finish' })).toBeTruthy()
    expect(within(d).queryByRole('button', { name: 'Retry' })).toBeNull()
    await userEvent.click(within(d).getByRole('button', { name: 'Cancel' }))
    await waitFor(() => {
      expect(server.requests.some((r) => r.method === 'POST' && r.path.endsWith('/cancel'))).toBe(true)
    })
    await within(d).findByText('(cancel requested)')
    expect(within(d).queryByRole('button', { name: 'Cancel' })).toBeNull()

    await within(d).findByText('The execution succeeded.', {}, { timeout: 5000 })
    expect(within(d).queryByRole('progressbar')).toBeNull()
    expect(d.textContent).toContain('"done": true')
    const before = reads
    await new Promise((resolve) => setTimeout(resolve, 1300))
    expect(reads).toBe(before)
  }, 10_000)

  it('says when the execution does not exist', async () => {
    renderDetail({
      [`GET /v1/executions/${failedId}`]: () => problem(404, 'not_found', 'No such execution.'),
    })
    await within(dialog()).findByText(/There is no execution/)
  })

  it('shows a failed read with a way to try again', async () => {
    let fail = true
    renderDetail({
      [`GET /v1/executions/${failedId}`]: () =>
        fail ? problem(400, 'validation_error', 'Something is off.') : json(failed),
    })
    const alert = await within(dialog()).findByRole('alert')
    fail = false
    await userEvent.click(within(alert).getByRole('button', { name: 'Try again' }))
    await within(dialog()).findByRole('heading', { name: 'github.create_issue' })
  })

  it('closes with Esc and with its Close button, with focus inside while open', async () => {
    const { onClose } = renderDetail({ [`GET /v1/executions/${failedId}`]: () => json(failed) })
    await within(dialog()).findByRole('heading', { name: 'github.create_issue' })
    expect(dialog().contains(document.activeElement)).toBe(true)
    await userEvent.keyboard('{Escape}')
    expect(onClose).toHaveBeenCalledTimes(1)
    await userEvent.click(within(dialog()).getByRole('button', { name: 'Close' }))
    expect(onClose).toHaveBeenCalledTimes(2)
  })
})
