import { screen } from '@testing-library/react'
import { describe, expect, it } from 'vitest'
import { renderWithApp } from '../testing/render.js'
import { ToolNotFound } from './ToolNotFound.js'

describe('ToolNotFound', () => {
  it('names the missing tool and links back to the tool list', () => {
    renderWithApp(<ToolNotFound slug="nope" />)
    expect(screen.getByRole('heading', { level: 1, name: 'Tool not found' })).toBeTruthy()
    expect(screen.getByText('nope').tagName).toBe('CODE')
    expect(screen.getByRole('link', { name: 'tool list' }).getAttribute('href')).toBe('/tools')
  })
})
