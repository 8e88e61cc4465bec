import { describe, expect, it } from 'vitest'
import { renderWithApp } from '../testing/render.js'
import { formatDateTime, Timestamp } from './Timestamp.js'

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

  it('leaves a value it cannot read as it is', () => {
    expect(formatDateTime('soon')).toBe('soon')
  })
})
