import { describe, expect, it } from 'vitest'
import { executionId, fakeSummary } from '../testing/executions.js'
import { filtersFromParams, mergeLive, reconnectDelay, withFilters } from './execution-log.js'

describe('the execution log’s filters in the address', () => {
  it('reads the known filters and drops what the server would refuse', () => {
    const params = new URLSearchParams('status=bogus&q=%20time%20&from=yesterday&to=2026-01-02T00:00:00Z&x=1')
    expect(filtersFromParams(params)).toEqual({ q: 'time', to: '2026-01-02T00:00:00Z' })
  })

  it('writes the filters in a fixed order and keeps the other members', () => {
    const next = withFilters(new URLSearchParams('execution=e1&q=old'), { q: 'new', status: 'failed' })
    expect(next.toString()).toBe('execution=e1&status=failed&q=new')
  })
})

describe('the live tail', () => {
  it('keeps one row per execution, newest first, replacing older states in place', () => {
    const a = fakeSummary({ id: executionId(1), status: 'queued' })
    const b = fakeSummary({ id: executionId(2), status: 'running' })
    const merged = mergeLive([a], [b, { ...a, status: 'succeeded' }])
    expect(merged.map((s) => [s.id, s.status])).toEqual([
      [executionId(2), 'running'],
      [executionId(1), 'succeeded'],
    ])
  })

  it('waits longer after each failure to reconnect, up to 30 s', () => {
    expect([1, 2, 3, 4, 6, 10].map(reconnectDelay)).toEqual([1000, 2000, 4000, 8000, 30_000, 30_000])
  })
})
