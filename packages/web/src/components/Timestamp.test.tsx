import { screen } from '@testing-library/react'
import { describe, expect, it } from 'vitest'
import { renderWithApp } from '../testing/render.js'
import { LiveRelativeTime, RelativeTime, Timestamp } from './Timestamp.js'

const noon = Date.parse('2026-01-15T12:00:00Z')

describe('Timestamp', () => {
  it('is a machine-readable <time> in the reader’s words', () => {
    renderWithApp(<Timestamp value="2026-01-15T12:00:00.000Z" />)
    const time = document.querySelector('time')
    expect(time?.getAttribute('datetime')).toBe('2026-01-15T12:00:00.000Z')
    expect(time?.textContent).toContain('2026')
  })

  it('says the fallback when there is no moment', () => {
    renderWithApp(<Timestamp value={null} fallback="Never" />)
    expect(document.body.textContent).toContain('Never')
    expect(document.querySelector('time')).toBeNull()
  })
})

describe('RelativeTime', () => {
  it('says how long ago, with the exact time in dateTime and the title', () => {
    renderWithApp(<RelativeTime iso="2026-01-15T09:00:00.000Z" now={noon} />)
    const time = screen.getByText('3 hours ago')
    expect(time.tagName).toBe('TIME')
    expect(time.getAttribute('dateTime')).toBe('2026-01-15T09:00:00.000Z')
    expect(time.getAttribute('title')).toContain('2026')
  })

  it('says so when the moment cannot be read', () => {
    renderWithApp(<RelativeTime iso="soon" now={noon} />)
    expect(screen.getByText('an unknown time').tagName).toBe('SPAN')
  })
})

describe('LiveRelativeTime', () => {
  it('keeps its own clock', () => {
    renderWithApp(<LiveRelativeTime iso={new Date(Date.now() - 5 * 60_000).toISOString()} />)
    expect(screen.getByText('5 minutes ago').tagName).toBe('TIME')
  })
})
