import { createHttpClient } from '@toolplane/sdk'
import { startUpstream } from '@toolplane/sdk/testing'
import type { Upstream } from '@toolplane/sdk/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_RATE_LIMIT_WAIT_MS, MAX_PAGES, SlackError, callSlack, readPages } from './web-api.js'

// Answers whatever the test put in `next`.
let next: { status: number; body: string; headers?: Record<string, string> } = { status: 200, body: '{}' }
let upstream: Upstream
beforeAll(async () => {
  upstream = await startUpstream((_request, response) => {
    response.writeHead(next.status, { 'content-type': 'application/json; charset=utf-8', ...next.headers })
    response.end(next.body)
  })
})
afterAll(() => upstream.close())

const answer = async (status: number, body: unknown, headers?: Record<string, string>) => {
  next = {
    status,
    body: typeof body === 'string' ? body : JSON.stringify(body),
    ...(headers === undefined ? {} : { headers }),
  }
  const http = createHttpClient({ baseUrl: `${upstream.url}/api`, allowPrivateNetwork: true })
  return callSlack(http, 'chat.postMessage', { json: { channel: 'C1', text: 'x' } }).catch(
    (error: unknown) => error,
  )
}

describe('Slack failures', () => {
  it('includes the reasons Slack gives for invalid_arguments', async () => {
    const error = await answer(200, {
      ok: false,
      error: 'invalid_arguments',
      response_metadata: { messages: ['[ERROR] missing required field: channel'] },
    })
    expect(error).toBeInstanceOf(SlackError)
    expect(error).toMatchObject({
      class: 'validation_error',
      code: 'invalid_arguments',
      message: 'Slack refused chat.postMessage: invalid_arguments ([ERROR] missing required field: channel)',
    })
  })

  it("treats invalid blocks as the caller's mistake", async () => {
    expect(await answer(200, { ok: false, error: 'invalid_blocks' })).toMatchObject({
      class: 'validation_error',
    })
  })

  it("treats Slack's own failures as an outage worth retrying", async () => {
    expect(await answer(200, { ok: false, error: 'fatal_error' })).toMatchObject({
      class: 'upstream_unavailable',
      retryable: true,
    })
  })

  it('says token_expired is an expired credential', async () => {
    expect(await answer(200, { ok: false, error: 'token_expired' })).toMatchObject({
      class: 'credential_expired',
    })
  })

  it('keeps an unknown error code as an upstream error with the code in the message', async () => {
    expect(await answer(200, { ok: false, error: 'something_new' })).toMatchObject({
      class: 'upstream_error',
      message: 'Slack refused chat.postMessage: something_new',
    })
  })

  it('classifies an error code Slack sends with an HTTP error status by that status', async () => {
    expect(await answer(503, { ok: false, error: 'something_new' })).toMatchObject({
      class: 'upstream_unavailable',
      httpStatus: 503,
    })
  })

  it('waits a default time when Slack says ratelimited without Retry-After', async () => {
    expect(await answer(200, { ok: false, error: 'ratelimited' })).toMatchObject({
      class: 'rate_limited',
      retryAfterMs: DEFAULT_RATE_LIMIT_WAIT_MS,
    })
  })

  it('reports missing_scope without a provided list as having none', async () => {
    expect(await answer(200, { ok: false, error: 'missing_scope' })).toMatchObject({
      class: 'permission_error',
      message: 'Slack refused chat.postMessage: the token lacks a scope this method needs (it has none)',
    })
  })

  it('classifies an HTML error page by its status', async () => {
    next = { status: 502, body: '<html>Bad gateway</html>', headers: { 'content-type': 'text/html' } }
    const http = createHttpClient({ baseUrl: `${upstream.url}/api`, allowPrivateNetwork: true })
    await expect(callSlack(http, 'auth.test', { query: {} })).rejects.toMatchObject({
      class: 'upstream_unavailable',
      httpStatus: 502,
    })
  })

  it('refuses a 200 answer that is not JSON', async () => {
    next = { status: 200, body: 'ok', headers: { 'content-type': 'text/plain' } }
    const http = createHttpClient({ baseUrl: `${upstream.url}/api`, allowPrivateNetwork: true })
    await expect(callSlack(http, 'auth.test', { query: {} })).rejects.toMatchObject({
      class: 'upstream_error',
      message: 'Slack answered auth.test without a JSON body',
    })
  })
})

describe('readPages', () => {
  it('stops after a bounded number of pages even when Slack keeps sending empty pages', async () => {
    let reads = 0
    const result = await readPages(undefined, 10, 5, () => {
      reads += 1
      return Promise.resolve({ items: [], nextCursor: `c${reads}` })
    })
    expect(reads).toBe(MAX_PAGES)
    expect(result).toEqual({ items: [], nextCursor: `c${MAX_PAGES}` })
  })
})
