import { createHttpClient } from '@toolplane/sdk'
import { startUpstream } from '@toolplane/sdk/testing'
import type { Upstream } from '@toolplane/sdk/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { callSheets } from './api.js'

let next: { status: number; body: unknown; headers?: Record<string, string> } = { status: 200, body: {} }
let upstream: Upstream
beforeAll(async () => {
  upstream = await startUpstream((_request, response) => {
    response.writeHead(next.status, { 'content-type': 'application/json; charset=UTF-8', ...next.headers })
    response.end(typeof next.body === 'string' ? next.body : JSON.stringify(next.body))
  })
})
afterAll(() => upstream.close())

const failure = (status: number, body: unknown, headers?: Record<string, string>) => {
  next = { status, body, ...(headers === undefined ? {} : { headers }) }
  const http = createHttpClient({ baseUrl: upstream.url, allowPrivateNetwork: true })
  return callSheets(http, 'GET', '/v4/spreadsheets/x').catch((error: unknown) => error)
}
const google = (code: number, status: string, message: string, reason?: string) => ({
  error: {
    code,
    message,
    status,
    ...(reason === undefined
      ? {}
      : { details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason }] }),
  },
})

describe('Google errors', () => {
  it('asks to enable the Sheets API when the project has it disabled', async () => {
    const error = await failure(
      403,
      google(
        403,
        'PERMISSION_DENIED',
        'Google Sheets API has not been used in project 1234 before or it is disabled.',
        'SERVICE_DISABLED',
      ),
    )
    expect(error).toMatchObject({
      class: 'permission_error',
      message: expect.stringContaining('not enabled') as unknown,
    })
    expect(JSON.stringify(error)).toContain('APIs & Services')
  })

  it('treats a failed precondition, such as an Excel file, as a request to fix', async () => {
    expect(
      await failure(
        400,
        google(400, 'FAILED_PRECONDITION', 'This operation is not supported for this document'),
      ),
    ).toMatchObject({ class: 'validation_error' })
  })

  it('honours Retry-After on a quota error when Google sends one', async () => {
    expect(
      await failure(429, google(429, 'RESOURCE_EXHAUSTED', 'Quota exceeded'), { 'retry-after': '5' }),
    ).toMatchObject({ class: 'rate_limited', retryAfterMs: 5000 })
  })

  it('treats Google being unavailable as worth retrying', async () => {
    expect(
      await failure(503, google(503, 'UNAVAILABLE', 'The service is currently unavailable.')),
    ).toMatchObject({
      class: 'upstream_unavailable',
      retryable: true,
      message: 'Google Sheets answered 503: The service is currently unavailable.',
    })
  })

  it('copes with an error page that is not JSON', async () => {
    expect(await failure(500, '<html>oops</html>', { 'content-type': 'text/html' })).toMatchObject({
      class: 'upstream_error',
      message: 'Google Sheets answered 500: HTTP 500',
    })
  })
})
