import type { Execution, ExecutionSummary } from '../api/executions.js'
import { summaryOf } from '../api/execution-log.js'
import { json } from './render.js'
import type { Handler } from './render.js'

/** An id that sorts like the server's (UUIDv7: later is larger). */
export function executionId(n: number): string {
  return `0190a000-0000-7000-8000-${String(n).padStart(12, '0')}`
}

/** An execution with sensible defaults: a succeeded `http.request`. */
export function fakeExecution(overrides: Partial<Execution> & { id: string }): Execution {
  return {
    action: 'http.request',
    tool: 'http',
    credentialId: null,
    status: 'succeeded',
    mode: 'sync',
    input: { method: 'GET', url: 'https://api.example.com/items' },
    output: { status: 200, headers: {}, body: { ok: true } },
    error: null,
    attempts: [
      {
        number: 1,
        status: 'succeeded',
        httpStatus: 200,
        errorClass: null,
        startedAt: '2026-01-15T11:59:00.000Z',
        durationMs: 120,
      },
    ],
    batchId: null,
    batchIndex: null,
    retryOf: null,
    correlationId: 'req-1',
    cancelRequested: false,
    createdAt: '2026-01-15T11:59:00.000Z',
    startedAt: '2026-01-15T11:59:00.000Z',
    finishedAt: '2026-01-15T11:59:00.120Z',
    durationMs: 120,
    ...overrides,
  }
}

/** A summary (what the live tail sends) of a fake execution. */
export function fakeSummary(overrides: Partial<Execution> & { id: string }): ExecutionSummary {
  return summaryOf(fakeExecution(overrides))
}

/**
 * `GET /v1/executions` over `total` generated executions, newest first, by cursor pages; it makes only
 * the page asked for, so a log of 100,000 costs nothing until scrolled. Every third one failed.
 */
export function generatedLog(total: number, now = Date.parse('2026-01-15T12:00:00Z')): Handler {
  return (request) => {
    const limit = Number(request.search.get('limit') ?? '50')
    const offset = Number(request.search.get('cursor') ?? '0')
    const data: Execution[] = []
    for (let i = offset; i < Math.min(offset + limit, total); i++) {
      const n = total - i
      const failed = n % 3 === 0
      data.push(
        fakeExecution({
          id: executionId(n),
          status: failed ? 'failed' : 'succeeded',
          createdAt: new Date(now - i * 60_000).toISOString(),
          durationMs: 100 + (n % 50),
          error: failed
            ? { class: 'upstream_unavailable', message: 'HTTP 503', retryable: true, suggestions: [] }
            : null,
        }),
      )
    }
    const next = offset + limit < total ? String(offset + limit) : null
    return json({ data, nextCursor: next })
  }
}

type Listener = (event: MessageEvent<string>) => void

/**
 * A stand-in for the browser's `EventSource` (jsdom has none): tests open, fail and feed each
 * connection. Install it with `vi.stubGlobal('EventSource', FakeEventSource)`.
 */
export class FakeEventSource {
  static instances: FakeEventSource[] = []
  static reset() {
    FakeEventSource.instances = []
  }
  static latest(): FakeEventSource {
    const last = FakeEventSource.instances.at(-1)
    if (last === undefined) throw new Error('no EventSource was opened')
    return last
  }

  readonly url: string
  readyState = 0
  closed = false
  onopen: ((event: Event) => void) | null = null
  onerror: ((event: Event) => void) | null = null
  private readonly listeners = new Map<string, Set<Listener>>()

  constructor(url: string | URL) {
    this.url = String(url)
    FakeEventSource.instances.push(this)
  }

  addEventListener(type: string, listener: Listener) {
    const set = this.listeners.get(type) ?? new Set()
    set.add(listener)
    this.listeners.set(type, set)
  }

  removeEventListener(type: string, listener: Listener) {
    this.listeners.get(type)?.delete(listener)
  }

  close() {
    this.readyState = 2
    this.closed = true
  }

  /** The server accepted the connection. */
  open() {
    this.readyState = 1
    this.onopen?.(new Event('open'))
  }

  /** The connection failed or dropped. */
  fail() {
    this.readyState = 2
    this.onerror?.(new Event('error'))
  }

  /** The server sent an execution event. */
  emit(summary: ExecutionSummary, type = `execution.${summary.status}`) {
    if (this.closed) throw new Error('emitting on a closed EventSource')
    const event = new MessageEvent('execution', { data: JSON.stringify({ type, ...summary }) })
    for (const listener of this.listeners.get('execution') ?? []) listener(event)
  }

  /** The query of the connection's address. */
  get search(): URLSearchParams {
    return new URL(this.url, 'http://toolplane.test').searchParams
  }
}
