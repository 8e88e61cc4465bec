import { readFileSync } from 'node:fs'
import { ActionError, ERROR_CLASSES, NetworkError, UpstreamHTTPError } from '@toolplane/sdk'
import { describe, expect, it } from 'vitest'
import { describeError, errorClassInfo, errorClassTable } from './error-classes.js'

describe('errorClassInfo', () => {
  it.each(ERROR_CLASSES)('gives %s a title, a message and a concrete suggestion', (errorClass) => {
    const info = errorClassInfo[errorClass]
    expect(info.title.length).toBeGreaterThan(3)
    expect(info.message.length).toBeGreaterThan(30)
    expect(info.suggestions.length).toBeGreaterThanOrEqual(1)
    for (const suggestion of info.suggestions) {
      expect(suggestion.title.length).toBeGreaterThan(3)
      expect(suggestion.detail.length).toBeGreaterThan(30)
    }
    const titles = info.suggestions.map((s) => s.title.toLowerCase())
    expect(new Set(titles).size).toBe(titles.length)
  })

  it('retries the classes that may go away on their own, and no others', () => {
    const retried = ERROR_CLASSES.filter((errorClass) => errorClassInfo[errorClass].retryable)
    expect(retried).toEqual(['rate_limited', 'upstream_unavailable', 'timeout', 'network_error'])
  })

  it('points an expired credential at reconnecting and diagnose', () => {
    const titles = errorClassInfo.credential_expired.suggestions.map((s) => s.title)
    expect(titles).toEqual(['Reconnect the credential', 'Run diagnose'])
    expect(errorClassInfo.credential_expired.suggestions[1]?.detail).toContain(
      'GET /v1/credentials/{id}/diagnose',
    )
  })

  it('points an exceeded quota at the workspace settings', () => {
    const details = errorClassInfo.quota_exceeded.suggestions.map((s) => s.detail).join(' ')
    expect(details).toContain('PATCH /v1/workspace')
  })
})

describe('describeError', () => {
  it('puts the tool’s own suggestions first, then the class’s, without repeating a title', () => {
    const error = new ActionError('rate_limited', 'GitHub rate limit reached: API rate limit exceeded', {
      httpStatus: 403,
      retryAfterMs: 1_200_000,
      suggestions: [
        { title: 'Wait for the hourly quota to reset', detail: 'It resets in about 1200 s.' },
        { title: 'Lower the batch concurrency', detail: 'GitHub counts every call against one quota.' },
      ],
    })
    expect(describeError(error)).toEqual({
      class: 'rate_limited',
      message: 'GitHub rate limit reached: API rate limit exceeded',
      retryable: true,
      retryAfterMs: 1_200_000,
      httpStatus: 403,
      suggestions: [
        { title: 'Wait for the hourly quota to reset', detail: 'It resets in about 1200 s.' },
        { title: 'Lower the batch concurrency', detail: 'GitHub counts every call against one quota.' },
        errorClassInfo.rate_limited.suggestions[0],
        errorClassInfo.rate_limited.suggestions[2],
      ],
    })
  })

  it('takes retryable from the error, which may override its class', () => {
    const error = new ActionError('upstream_error', 'Stripe answered 500 for an idempotent request', {
      retryable: true,
    })
    expect(describeError(error).retryable).toBe(true)
    expect(describeError(new ActionError('timeout', 'slow', { retryable: false })).retryable).toBe(false)
  })

  it('shows the class’s suggestions when the error has none, and no absent fields', () => {
    const described = describeError(new NetworkError('ENOTFOUND', 'getaddrinfo ENOTFOUND api.example.test'))
    expect(described).toEqual({
      class: 'network_error',
      message: 'getaddrinfo ENOTFOUND api.example.test',
      retryable: true,
      suggestions: errorClassInfo.network_error.suggestions,
    })
    expect(Object.keys(described)).not.toContain('retryAfterMs')
    expect(Object.keys(described)).not.toContain('httpStatus')
  })

  it('never carries the cause, the stack or upstream details', () => {
    const cause = new Error('token ghp_secret123 refused')
    const error = new UpstreamHTTPError({
      method: 'GET',
      url: 'https://api.example.test/user',
      status: 401,
      headers: {},
      text: '{"token":"ghp_secret123"}',
    })
    const wrapped = new ActionError('auth_error', 'The provider refused the credential', { cause })
    for (const described of [describeError(error), describeError(wrapped)]) {
      const json = JSON.stringify(described)
      expect(json).not.toContain('ghp_secret123')
      expect(json).not.toContain('stack')
      expect(Object.keys(described).sort()).toEqual(
        [
          'class',
          'message',
          'retryable',
          'suggestions',
          ...(described.httpStatus === undefined ? [] : ['httpStatus']),
        ].sort(),
      )
    }
  })

  it('copies suggestions as plain title and detail', () => {
    const suggestion = Object.assign(
      { title: 'Ask the owner', detail: 'Only owners may archive.' },
      { internal: 'x' },
    )
    const described = describeError(
      new ActionError('permission_error', 'Refused', { suggestions: [suggestion] }),
    )
    expect(described.suggestions[0]).toEqual({ title: 'Ask the owner', detail: 'Only owners may archive.' })
  })
})

describe('errorClassTable', () => {
  it('lists every class once, in the specification’s order', () => {
    const table = errorClassTable()
    expect(table.map((row) => row.class)).toEqual([...ERROR_CLASSES])
    expect(table.find((row) => row.class === 'timeout')).toEqual({
      class: 'timeout',
      ...errorClassInfo.timeout,
    })
  })

  it('matches the table in docs/error-classes.md', () => {
    const docs = readFileSync(new URL('../../../../docs/error-classes.md', import.meta.url), 'utf8')
    for (const row of errorClassTable()) {
      const line = docs.split('\n').find((text) => text.startsWith(`| \`${row.class}\``))
      expect(line, `a row for ${row.class}`).toBeDefined()
      const cells = (line ?? '').split('|').map((cell) => cell.trim())
      expect(cells[2], `retryable of ${row.class}`).toBe(row.retryable ? 'yes' : 'no')
      for (const suggestion of row.suggestions) expect(line).toContain(suggestion.title)
    }
  })
})
