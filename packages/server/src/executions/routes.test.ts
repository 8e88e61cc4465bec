import { describe, expect, it } from 'vitest'
import { summaryMatches } from './routes.js'
import type { ExecutionSummary } from './view.js'

const summary: ExecutionSummary = {
  id: 'exe_1',
  action: 'github.create_issue',
  tool: 'github',
  credentialId: 'cred_1',
  status: 'failed',
  mode: 'sync',
  errorClass: 'auth_error',
  errorMessage: 'Bad credentials',
  attempts: 1,
  batchId: null,
  batchIndex: null,
  retryOf: null,
  correlationId: 'c1',
  createdAt: '2026-01-15T12:00:00.000Z',
  finishedAt: '2026-01-15T12:00:01.000Z',
  durationMs: 1000,
}

describe('summaryMatches (the live tail’s filters)', () => {
  it('matches on status, tool, action, credential and words, as the list does', () => {
    expect(summaryMatches({}, summary)).toBe(true)
    expect(summaryMatches({ status: 'failed', tool: 'github', action: 'create_issue' }, summary)).toBe(true)
    expect(summaryMatches({ status: 'succeeded' }, summary)).toBe(false)
    expect(summaryMatches({ credentialId: 'cred_2' }, summary)).toBe(false)
    expect(summaryMatches({ q: 'bad CREDENTIALS' }, summary)).toBe(true)
    expect(summaryMatches({ q: 'timeout' }, summary)).toBe(false)
  })

  it('keeps to the time window: from inclusive, to exclusive', () => {
    const at = Date.parse(summary.createdAt)
    expect(summaryMatches({ from: at, to: at + 1 }, summary)).toBe(true)
    expect(summaryMatches({ from: at + 1 }, summary)).toBe(false)
    expect(summaryMatches({ to: at }, summary)).toBe(false)
  })
})
