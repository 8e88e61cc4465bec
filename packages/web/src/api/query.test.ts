import { describe, expect, it, vi } from 'vitest'
import { ApiError } from './client.js'
import { createQueryClient, retryDelay, sessionKey, shouldRetry } from './query.js'

const apiError = (status: number, retryAfter: number | null = null) =>
  new ApiError({ status, code: 'x', title: 't', detail: 'd', retryAfter })

describe('shouldRetry', () => {
  it('never retries a request the server refused', () => {
    for (const status of [400, 401, 403, 404, 409, 413, 415])
      expect(shouldRetry(0, apiError(status))).toBe(false)
  })

  it('retries twice when the server was unreachable, busy or failing', () => {
    for (const status of [0, 408, 429, 500, 503]) {
      expect(shouldRetry(0, apiError(status))).toBe(true)
      expect(shouldRetry(1, apiError(status))).toBe(true)
      expect(shouldRetry(2, apiError(status))).toBe(false)
    }
    expect(shouldRetry(0, new Error('not from the API'))).toBe(true)
  })
})

describe('retryDelay', () => {
  it('waits as long as Retry-After says, at most 30 s, else doubles from 1 s up to 8 s', () => {
    expect(retryDelay(0, apiError(429, 3))).toBe(3000)
    expect(retryDelay(0, apiError(429, 3600))).toBe(30_000)
    expect([0, 1, 2, 3, 4].map((n) => retryDelay(n, apiError(503)))).toEqual([1000, 2000, 4000, 8000, 8000])
  })
})

describe('createQueryClient', () => {
  const fail = (status: number) => () => Promise.reject(apiError(status))

  it('asks for the session again when any other query is refused with 401 (the session ended)', async () => {
    const client = createQueryClient()
    const invalidate = vi.spyOn(client, 'invalidateQueries')
    await client.query({ queryKey: ['tools'], queryFn: fail(401) }).catch(() => undefined)
    expect(invalidate).toHaveBeenCalledExactlyOnceWith({ queryKey: sessionKey })
  })

  it('leaves the session alone for other errors, and for its own 401', async () => {
    const client = createQueryClient()
    const invalidate = vi.spyOn(client, 'invalidateQueries')
    await client.query({ queryKey: ['tools', 'x'], queryFn: fail(404) }).catch(() => undefined)
    await client.query({ queryKey: ['tools', 'y'], queryFn: fail(403) }).catch(() => undefined)
    const session = vi.fn(fail(401))
    await client.query({ queryKey: sessionKey, queryFn: session }).catch(() => undefined)
    expect(session).toHaveBeenCalledOnce()
    expect(invalidate).not.toHaveBeenCalled()
  })

  it('does not retry mutations and keeps data fresh for 30 s', () => {
    const client = createQueryClient()
    expect(client.getDefaultOptions().queries?.staleTime).toBe(30_000)
    expect(client.getDefaultOptions().mutations?.retry).toBe(false)
  })
})
