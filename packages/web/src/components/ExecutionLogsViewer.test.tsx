import { act, fireEvent, screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { useNavigate } from 'react-router'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { fakeServer, json, problem, renderWithApp } from '../testing/render.js'
import {
  executionId,
  fakeExecution,
  fakeSummary,
  FakeEventSource,
  generatedLog,
} from '../testing/executions.js'
import { ExecutionLogsViewer, nearEndRows } from './ExecutionLogsViewer.js'

function Back() {
  const navigate = useNavigate()
  return (
    <button type="button" onClick={() => void navigate(-1)}>
      Back
    </button>
  )
}

function renderLog(routes: Parameters<typeof fakeServer>[0], path = '/executions', searchDelayMs = 20) {
  const server = fakeServer(routes)
  const result = renderWithApp(
    <>
      <ExecutionLogsViewer searchDelayMs={searchDelayMs} />
      <Back />
    </>,
    { path, route: '/executions', fetch: server.fetch },
  )
  return { ...result, server }
}

const list = () => screen.getByRole('list', { name: 'Executions' })
const rows = () => within(list()).getAllByRole('listitem')
const location = () => screen.getByTestId('location').textContent
const listRequests = (server: { requests: { method: string; path: string; search: URLSearchParams }[] }) =>
  server.requests.filter((r) => r.method === 'GET' && r.path === '/v1/executions')
const countStatus = () => screen.getAllByRole('status').find((s) => s.classList.contains('result-count'))!

beforeEach(() => {
  FakeEventSource.reset()
  vi.stubGlobal('EventSource', FakeEventSource)
})
afterEach(() => {
  vi.unstubAllGlobals()
  Object.defineProperty(window, 'scrollY', { value: 0, configurable: true, writable: true })
})

describe('ExecutionLogsViewer', () => {
  it('shows a skeleton while loading, then each row’s status, action, time, duration, attempts and error', async () => {
    let answer: (response: Response) => void = () => undefined
    const { server } = renderLog({
      'GET /v1/executions': () =>
        new Promise<Response>((resolve) => {
          answer = resolve
        }),
    })
    expect(document.body.textContent).toContain('Loading executions…')
    act(() => {
      answer(
        json({
          data: [
            fakeExecution({
              id: executionId(2),
              status: 'failed',
              action: 'github.create_issue',
              tool: 'github',
              durationMs: 1500,
              createdAt: new Date(Date.now() - 5 * 60_000).toISOString(),
              error: { class: 'auth_error', message: 'Bad token', retryable: false, suggestions: [] },
              attempts: [
                {
                  number: 1,
                  status: 'failed',
                  httpStatus: 401,
                  errorClass: 'auth_error',
                  startedAt: '2026-01-15T11:59:00.000Z',
                  durationMs: 1500,
                },
              ],
            }),
            fakeExecution({ id: executionId(1), status: 'queued', durationMs: null, attempts: [] }),
          ],
          nextCursor: null,
        }),
      )
    })
    await waitFor(() => {
      expect(rows()).toHaveLength(2)
    })
    const first = rows()[0]!
    expect(first.textContent).toContain('Failed')
    expect(first.textContent).toContain('github.create_issue')
    expect(first.textContent).toContain('5 minutes ago')
    expect(first.textContent).toContain('1.5 s')
    expect(first.textContent).toContain('1 attempt')
    expect(first.textContent).toContain('auth_error')
    // The status is a word as well as a symbol; the symbol is hidden from screen readers.
    expect(first.querySelector('[aria-hidden="true"]')?.textContent).toBe('✕')
    const time = first.querySelector('time')!
    expect(time.getAttribute('dateTime')).toMatch(/^\d{4}-\d\d-\d\dT/)
    expect(time.getAttribute('title')).not.toBe('')
    expect(rows()[1]!.textContent).toContain('Queued')
    expect(countStatus().textContent).toBe('2 executions')
    expect(first.getAttribute('aria-setsize')).toBe('2')
    expect(listRequests(server)[0]!.search.get('limit')).toBe('100')
  })

  it('says how to start when there is nothing yet', async () => {
    renderLog({ 'GET /v1/executions': () => json({ data: [], nextCursor: null }) })
    await screen.findByRole('heading', { name: 'No executions yet' })
    expect(screen.getByRole('link', { name: 'Run an action' }).getAttribute('href')).toBe('/tools')
  })

  it('says when nothing matches the filters, and clears them', async () => {
    const { server } = renderLog(
      {
        'GET /v1/executions': (r) =>
          r.search.get('status') === 'cancelled' ? json({ data: [], nextCursor: null }) : generatedLog(3)(r),
      },
      '/executions?status=cancelled',
    )
    await screen.findByRole('heading', { name: 'No executions match these filters' })
    await userEvent.click(screen.getByRole('button', { name: 'Clear filters' }))
    await waitFor(() => {
      expect(rows()).toHaveLength(3)
    })
    expect(location()).toBe('/executions')
    expect(listRequests(server).at(-1)!.search.has('status')).toBe(false)
  })

  it('shows why the log could not load, and tries again', async () => {
    let fail = true
    renderLog({
      'GET /v1/executions': (r) =>
        fail ? problem(503, 'not_ready', 'The database is not available right now.') : generatedLog(2)(r),
    })
    const alert = await screen.findByRole('alert', {}, { timeout: 4000 })
    expect(alert.textContent).toContain('The database is not available right now.')
    fail = false
    await userEvent.click(within(alert).getByRole('button', { name: 'Try again' }))
    await waitFor(() => {
      expect(rows()).toHaveLength(2)
    })
  })

  it('renders only a window of a 100,000-execution log and fetches the next page near the end', async () => {
    const { server } = renderLog({ 'GET /v1/executions': generatedLog(100_000) })
    await waitFor(() => {
      expect(rows().length).toBeGreaterThan(5)
    })
    // One page asked for, not the log; a window of its 100 rows rendered.
    expect(listRequests(server)).toHaveLength(1)
    expect(rows().length).toBeLessThan(40)
    expect(rows()[0]!.getAttribute('aria-setsize')).toBe('-1')
    expect(rows()[0]!.getAttribute('aria-posinset')).toBe('1')
    expect(countStatus().textContent).toBe('100 executions loaded; more load as you scroll')

    // Scrolling to near the end of what is loaded asks for the next page, with the cursor. (jsdom lays
    // nothing out: the list says where it is as a browser would, moving up as the page scrolls.)
    vi.spyOn(list(), 'getBoundingClientRect').mockImplementation(
      () => new DOMRect(0, -window.scrollY, 800, 0),
    )
    const rowHeight = 64
    Object.defineProperty(window, 'scrollY', {
      value: (100 - nearEndRows + 5) * rowHeight - window.innerHeight,
      configurable: true,
      writable: true,
    })
    fireEvent.scroll(window)
    await waitFor(() => {
      expect(listRequests(server)).toHaveLength(2)
    })
    expect(listRequests(server)[1]!.search.get('cursor')).toBe('100')
    await waitFor(() => {
      expect(countStatus().textContent).toBe('200 executions loaded; more load as you scroll')
    })
    const rendered = rows()
    expect(rendered.length).toBeLessThan(60)
    // The rows in view are those around the scroll position (and the first, which keeps the focus).
    expect(rendered[0]!.getAttribute('aria-posinset')).toBe('1')
    expect(Number(rendered[1]!.getAttribute('aria-posinset'))).toBeGreaterThan(40)
    // No more than needed: the second page is far from its end.
    expect(listRequests(server)).toHaveLength(2)
  })

  it('moves through the rows with the keyboard, reaching further pages with End, and opens one with Enter', async () => {
    const { server } = renderLog({ 'GET /v1/executions': generatedLog(100_000) })
    await waitFor(() => {
      expect(rows().length).toBeGreaterThan(5)
    })
    const user = userEvent.setup()
    await user.click(screen.getByRole('searchbox', { name: 'Search executions' }))
    await user.keyboard('{ArrowDown}')
    expect(document.activeElement?.closest('li')?.getAttribute('aria-posinset')).toBe('1')
    await user.keyboard('{ArrowDown}{ArrowDown}')
    expect(document.activeElement?.closest('li')?.getAttribute('aria-posinset')).toBe('3')
    // Only the active row is in the tab order.
    expect(
      within(list())
        .getAllByRole('link')
        .filter((l) => l.tabIndex === 0),
    ).toHaveLength(1)
    await user.keyboard('{End}')
    expect(document.activeElement?.closest('li')?.getAttribute('aria-posinset')).toBe('100')
    await waitFor(() => {
      expect(listRequests(server)).toHaveLength(2)
    })
    await user.keyboard('{Home}')
    expect(document.activeElement?.closest('li')?.getAttribute('aria-posinset')).toBe('1')
    await user.keyboard('{PageDown}')
    expect(document.activeElement?.closest('li')?.getAttribute('aria-posinset')).toBe('11')
    await user.keyboard('{PageUp}{ArrowUp}')
    expect(document.activeElement).toBe(screen.getByRole('searchbox', { name: 'Search executions' }))
    await user.keyboard('{ArrowDown}{ArrowDown}{Enter}')
    expect(location()).toBe(`/executions?execution=${executionId(99_999)}`)
  })

  it('starts from the filters in the address and sends them to the server', async () => {
    const { server } = renderLog(
      { 'GET /v1/executions': generatedLog(3) },
      '/executions?status=failed&q=timeout&tool=github&from=2026-01-01T00%3A00%3A00.000Z&status=bogus',
    )
    await waitFor(() => {
      expect(rows()).toHaveLength(3)
    })
    const sent = listRequests(server)[0]!.search
    expect(sent.get('status')).toBe('failed')
    expect(sent.get('q')).toBe('timeout')
    expect(sent.get('tool')).toBe('github')
    expect(sent.get('from')).toBe('2026-01-01T00:00:00.000Z')
    expect(screen.getByRole<HTMLInputElement>('searchbox', { name: 'Search executions' }).value).toBe(
      'timeout',
    )
    // Filters beyond the first ones open the "More filters" panel.
    expect(screen.getByRole<HTMLInputElement>('textbox', { name: 'Tool' }).value).toBe('github')
  })

  it('writes the search and filters to the address after a pause, and Back restores the previous view', async () => {
    const { server } = renderLog({ 'GET /v1/executions': generatedLog(5) }, '/executions', 200)
    await waitFor(() => {
      expect(rows()).toHaveLength(5)
    })
    const user = userEvent.setup()
    await user.type(screen.getByRole('searchbox', { name: 'Search executions' }), 'time out')
    await waitFor(() => {
      expect(location()).toBe('/executions?q=time+out')
    })
    await waitFor(() => {
      expect(listRequests(server).at(-1)!.search.get('q')).toBe('time out')
    })
    // Typing is debounced: no request per letter.
    expect(listRequests(server).filter((r) => r.search.has('q')).length).toBeLessThan(4)

    await user.click(screen.getByRole('button', { name: /Status/ }))
    await user.click(screen.getByRole('option', { name: 'Failed' }))
    await waitFor(() => {
      expect(location()).toBe('/executions?status=failed&q=time+out')
    })
    expect(listRequests(server).at(-1)!.search.get('status')).toBe('failed')

    await user.click(screen.getByRole('button', { name: 'More filters' }))
    await user.type(screen.getByRole('textbox', { name: 'Credential id' }), 'cred_1')
    await waitFor(() => {
      expect(location()).toBe('/executions?status=failed&credentialId=cred_1&q=time+out')
    })

    await user.click(screen.getByRole('button', { name: 'Back' }))
    await waitFor(() => {
      expect(location()).toBe('/executions?status=failed&q=time+out')
    })
    expect(screen.getByRole<HTMLInputElement>('textbox', { name: 'Credential id' }).value).toBe('')
    await user.click(screen.getByRole('button', { name: 'Back' }))
    await waitFor(() => {
      expect(location()).toBe('/executions?q=time+out')
    })
    await user.click(screen.getByRole('button', { name: 'Back' }))
    await waitFor(() => {
      expect(location()).toBe('/executions')
    })
    expect(screen.getByRole<HTMLInputElement>('searchbox', { name: 'Search executions' }).value).toBe('')
  })

  it('tails new executions live with the same filters, one row per execution', async () => {
    renderLog({ 'GET /v1/executions': generatedLog(3) }, '/executions?status=failed')
    await waitFor(() => {
      expect(rows()).toHaveLength(3)
    })
    expect(FakeEventSource.instances).toHaveLength(0)
    await userEvent.click(screen.getByRole('button', { name: 'Live tail' }))
    expect(screen.getByRole('button', { name: 'Live tail' }).getAttribute('aria-pressed')).toBe('true')
    const source = FakeEventSource.latest()
    expect(source.url).toBe('/v1/executions/stream?status=failed')
    expect(document.body.textContent).toContain('Live tail: connecting…')
    act(() => {
      source.open()
    })
    expect(document.body.textContent).toContain('Live tail on')

    const fresh = fakeSummary({ id: executionId(10), status: 'running', durationMs: null })
    act(() => {
      source.emit(fresh)
    })
    expect(rows()).toHaveLength(4)
    expect(rows()[0]!.textContent).toContain('Running')
    // The same execution again, now finished: the row changes in place.
    act(() => {
      source.emit({ ...fresh, status: 'failed', errorClass: 'timeout', durationMs: 30_000 })
    })
    expect(rows()).toHaveLength(4)
    expect(rows()[0]!.textContent).toContain('Failed')
    expect(rows()[0]!.textContent).toContain('timeout')
    // A loaded execution's new state replaces its row rather than adding one.
    act(() => {
      source.emit(fakeSummary({ id: executionId(3), status: 'failed', durationMs: 999 }))
    })
    expect(rows()).toHaveLength(4)
    expect(rows()[1]!.textContent).toContain('999 ms')

    await userEvent.click(screen.getByRole('button', { name: 'Live tail' }))
    expect(source.closed).toBe(true)
    expect(rows()).toHaveLength(3)
  })

  it('counts what arrives while paused and merges it on resume', async () => {
    renderLog({ 'GET /v1/executions': generatedLog(2) })
    await waitFor(() => {
      expect(rows()).toHaveLength(2)
    })
    const user = userEvent.setup()
    await user.click(screen.getByRole('button', { name: 'Live tail' }))
    const source = FakeEventSource.latest()
    act(() => {
      source.open()
    })
    await user.click(screen.getByRole('button', { name: 'Pause' }))
    expect(screen.getByRole('button', { name: 'Pause' }).getAttribute('aria-pressed')).toBe('true')
    const a = fakeSummary({ id: executionId(20), status: 'queued' })
    act(() => {
      source.emit(a)
      source.emit({ ...a, status: 'succeeded' })
      source.emit(fakeSummary({ id: executionId(21) }))
      // A loaded execution changing is not new.
      source.emit(fakeSummary({ id: executionId(1), status: 'failed' }))
    })
    expect(rows()).toHaveLength(2)
    expect(screen.getByRole('button', { name: '2 new' })).toBeTruthy()
    expect(document.body.textContent).toContain('Live tail paused: 2 new executions waiting.')

    await user.click(screen.getByRole('button', { name: '2 new' }))
    expect(rows()).toHaveLength(4)
    expect(rows()[0]!.querySelector('a')!.getAttribute('href')).toContain(executionId(21))
    expect(rows()[1]!.textContent).toContain('Succeeded')
    expect(screen.getByRole('button', { name: 'Pause' }).getAttribute('aria-pressed')).toBe('false')
    expect(screen.queryByRole('button', { name: /new$/ })).toBeNull()
  })

  it('reconnects with backoff after the connection drops, and catches up on what it missed', async () => {
    const { server } = renderLog({ 'GET /v1/executions': generatedLog(2) })
    await waitFor(() => {
      expect(rows()).toHaveLength(2)
    })
    await userEvent.click(screen.getByRole('button', { name: 'Live tail' }))
    const first = FakeEventSource.latest()
    act(() => {
      first.open()
      first.fail()
    })
    expect(first.closed).toBe(true)
    expect(document.body.textContent).toContain('Live tail: connection lost, trying again in 1 s.')
    await waitFor(
      () => {
        expect(FakeEventSource.instances).toHaveLength(2)
      },
      { timeout: 2500 },
    )
    const second = FakeEventSource.latest()
    const before = listRequests(server).length
    act(() => {
      second.open()
    })
    await waitFor(() => {
      expect(listRequests(server)).toHaveLength(before + 1)
    })
    expect(document.body.textContent).toContain('Live tail on')
  })
})
