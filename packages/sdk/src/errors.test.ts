import { describe, expect, it } from 'vitest'
import {
  AbortedError,
  ActionError,
  BlockedAddressError,
  ERROR_CLASSES,
  NetworkError,
  ResponseTooLargeError,
  TimeoutError,
  UpstreamHTTPError,
  ValidationError,
  classifyHttpStatus,
  isErrorClass,
  isRetryableByDefault,
  retryAfterMs,
  toActionError,
} from './errors.js'

describe('error classes', () => {
  it('lists the fifteen classes of the specification', () => {
    expect(ERROR_CLASSES).toHaveLength(15)
    expect(ERROR_CLASSES).toContain('credential_expired')
    expect(isErrorClass('rate_limited')).toBe(true)
    expect(isErrorClass('teapot')).toBe(false)
    expect(isErrorClass(3)).toBe(false)
  })

  it('retries only what may go away on its own', () => {
    const retryable = ERROR_CLASSES.filter(isRetryableByDefault)
    expect(retryable).toEqual(['rate_limited', 'upstream_unavailable', 'timeout', 'network_error'])
  })
})

describe('ActionError', () => {
  it('carries its class, hints and suggestions into the execution record', () => {
    const cause = new Error('socket hang up')
    const error = new ActionError('rate_limited', 'Too many requests', {
      retryAfterMs: 1500,
      httpStatus: 429,
      suggestions: [{ title: 'Wait', detail: 'Try again in a moment.' }],
      cause,
    })
    expect(error).toBeInstanceOf(Error)
    expect(error.cause).toBe(cause)
    expect(error.retryable).toBe(true)
    expect(error.requestSent).toBeUndefined()
    expect(error.toJSON()).toEqual({
      class: 'rate_limited',
      message: 'Too many requests',
      retryable: true,
      retryAfterMs: 1500,
      httpStatus: 429,
      suggestions: [{ title: 'Wait', detail: 'Try again in a moment.' }],
    })
  })

  it('lets the plugin overrule the default retry decision', () => {
    const error = new ActionError('upstream_error', 'Flaky', { retryable: true })
    expect(error.retryable).toBe(true)
    expect(error.toJSON()).toEqual({
      class: 'upstream_error',
      message: 'Flaky',
      retryable: true,
      suggestions: [],
    })
  })
})

describe('ValidationError', () => {
  it('summarises the first problem and counts the rest', () => {
    const error = new ValidationError('input', [
      { path: '/title', message: 'is required' },
      { path: '/labels/0', message: 'must be string' },
    ])
    expect(error.class).toBe('validation_error')
    expect(error.message).toBe('Invalid input: /title is required (and 1 more)')
    expect(error.errors).toHaveLength(2)
  })

  it('blames the plugin for a bad output', () => {
    const error = new ValidationError('output', [{ path: '', message: 'must be object' }], 'output of x.y')
    expect(error.class).toBe('internal_error')
    expect(error.message).toBe('Invalid output of x.y: / must be object')
    expect(new ValidationError('output', []).message).toBe('Invalid output')
  })
})

describe('classifyHttpStatus', () => {
  it.each([
    [400, 'validation_error'],
    [401, 'auth_error'],
    [403, 'permission_error'],
    [404, 'not_found'],
    [408, 'timeout'],
    [409, 'conflict'],
    [410, 'not_found'],
    [418, 'upstream_error'],
    [422, 'validation_error'],
    [429, 'rate_limited'],
    [500, 'upstream_error'],
    [502, 'upstream_unavailable'],
    [503, 'upstream_unavailable'],
    [504, 'upstream_unavailable'],
    [599, 'upstream_error'],
    [304, 'upstream_error'],
  ])('maps %i to %s', (status, expected) => {
    expect(classifyHttpStatus(status)).toBe(expected)
  })

  it('recognises a rate limit sent as 403', () => {
    expect(classifyHttpStatus(403, { 'x-ratelimit-remaining': '0' })).toBe('rate_limited')
    expect(classifyHttpStatus(403, { 'retry-after': '60' })).toBe('rate_limited')
    expect(classifyHttpStatus(403, { 'x-ratelimit-remaining': '12' })).toBe('permission_error')
  })
})

describe('retryAfterMs', () => {
  const now = Date.parse('2025-01-01T00:00:00Z')

  it('reads seconds and HTTP dates', () => {
    expect(retryAfterMs({ 'retry-after': '7' }, now)).toBe(7000)
    expect(retryAfterMs({ 'retry-after': 'Wed, 01 Jan 2025 00:00:30 GMT' }, now)).toBe(30_000)
    expect(retryAfterMs({ 'retry-after': 'Tue, 31 Dec 2024 00:00:00 GMT' }, now)).toBe(0)
  })

  it('falls back to the rate limit reset when the quota is spent', () => {
    expect(
      retryAfterMs({ 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(now / 1000 + 90) }, now),
    ).toBe(90_000)
    expect(
      retryAfterMs({ 'x-ratelimit-remaining': '5', 'x-ratelimit-reset': String(now / 1000 + 90) }, now),
    ).toBe(undefined)
  })

  it('ignores what it cannot read', () => {
    expect(retryAfterMs({ 'retry-after': 'soon' }, now)).toBeUndefined()
    expect(retryAfterMs({ 'retry-after': '' }, now)).toBeUndefined()
    expect(retryAfterMs({}, now)).toBeUndefined()
  })
})

describe('transport errors', () => {
  it('knows which network failures happened before anything was sent', () => {
    expect(new NetworkError('ECONNREFUSED', 'refused').requestSent).toBe(false)
    expect(new NetworkError('ENOTFOUND', 'unknown').requestSent).toBe(false)
    expect(new NetworkError('ECONNRESET', 'reset').requestSent).toBe(true)
    expect(new NetworkError('ECONNRESET', 'reset')).toMatchObject({
      class: 'network_error',
      code: 'ECONNRESET',
    })
  })

  it('describes timeouts, cancellations, refusals and oversized bodies', () => {
    expect(new TimeoutError(250).message).toBe('The call did not finish within 250 ms')
    expect(new AbortedError()).toMatchObject({ class: 'cancelled', retryable: false })
    const blocked = new BlockedAddressError('metadata.example', '169.254.169.254', 'link-local')
    expect(blocked.message).toBe(
      'Refused to connect to metadata.example (169.254.169.254): link-local addresses are blocked',
    )
    expect(blocked.suggestions.map((suggestion) => suggestion.title)).toContain('Allow private networks')
    expect(new BlockedAddressError('10.0.0.1', '10.0.0.1', 'private').message).toContain('to 10.0.0.1:')
    expect(new ResponseTooLargeError(10)).toMatchObject({ class: 'upstream_error', retryable: false })
  })

  it('builds an upstream error from a response', () => {
    const error = new UpstreamHTTPError(
      { method: 'GET', url: 'https://api.example.com/x', status: 503, headers: {}, text: 'down' },
      { suggestions: [{ title: 'Check the status page', detail: 'The provider may be down.' }] },
    )
    expect(error).toMatchObject({ class: 'upstream_unavailable', httpStatus: 503, retryAfterMs: undefined })
    expect(error.suggestions).toHaveLength(1)
  })
})

describe('toActionError', () => {
  it('keeps action errors and classifies the rest', () => {
    const known = new ActionError('conflict', 'exists')
    expect(toActionError(known)).toBe(known)
    expect(toActionError(new DOMException('stop', 'AbortError')).class).toBe('cancelled')
    expect(toActionError(new DOMException('slow', 'TimeoutError')).class).toBe('timeout')
    expect(toActionError(new TypeError('x is undefined'))).toMatchObject({
      class: 'internal_error',
      message: 'The action failed unexpectedly: x is undefined',
    })
    expect(toActionError('a string').message).toBe('The action failed unexpectedly: a string')
  })
})
