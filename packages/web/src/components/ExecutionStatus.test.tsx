import { render, screen } from '@testing-library/react'
import { describe, expect, it } from 'vitest'
import { ExecutionStatusBadge } from './ExecutionStatus.js'

describe('ExecutionStatus', () => {
  it('says the status in words, with the symbol hidden from screen readers', () => {
    render(<ExecutionStatusBadge status="cancelled" />)
    const badge = screen.getByText('Cancelled')
    expect(badge.textContent).toBe('⊘Cancelled')
    expect(badge.querySelector('[aria-hidden="true"]')?.textContent).toBe('⊘')
  })
})
