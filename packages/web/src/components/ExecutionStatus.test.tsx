import { render, screen } from '@testing-library/react'
import { describe, expect, it } from 'vitest'
import { ExecutionStatusBadge, formatDuration, formatRelative, RelativeTime } from './ExecutionStatus.js'

const noon = Date.parse('2026-01-15T12:00:00Z')

describe('ExecutionStatus', () => {
  it('says the status in words, with the symbol hidden from screen readers', () => {
    render(<ExecutionStatusBadge status="cancelled" />)
    const badge = screen.getByText('Cancelled')
    expect(badge.textContent).toBe('⊘Cancelled')
    expect(badge.querySelector('[aria-hidden="true"]')?.textContent).toBe('⊘')
  })

  it('formats durations for people', () => {
    expect([0, 850, 1234, 59_999, 60_000, 125_000].map(formatDuration)).toEqual([
      '0 ms',
      '850 ms',
      '1.2 s',
      '60 s',
      '1 min',
      '2 min 5 s',
    ])
  })

  it('says how long ago, and gives the exact time in dateTime and the title', () => {
    expect(formatRelative('2026-01-15T11:59:40Z', noon)).toBe('just now')
    expect(formatRelative('2026-01-15T11:55:00Z', noon)).toBe('5 minutes ago')
    expect(formatRelative('2026-01-14T12:00:00Z', noon)).toBe('yesterday')
    render(<RelativeTime iso="2026-01-15T09:00:00.000Z" now={noon} />)
    const time = screen.getByText('3 hours ago')
    expect(time.getAttribute('dateTime')).toBe('2026-01-15T09:00:00.000Z')
    expect(time.getAttribute('title')).toContain('2026')
  })
})
