import { screen } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { useState } from 'react'
import { Form } from 'react-aria-components'
import { describe, expect, it } from 'vitest'
import { renderWithApp } from '../testing/render.js'
import { Checklist } from './Checklist.js'

const options = [
  { value: 'tools:read', label: 'tools:read', description: 'Browse the catalog.' },
  { value: 'admin', label: 'admin', description: 'Everything.' },
]

/** The text of the elements that describe `element` (its `aria-describedby`). */
function describedBy(element: HTMLElement): string {
  return (element.getAttribute('aria-describedby') ?? '')
    .split(/\s+/)
    .map((id) => document.getElementById(id)?.textContent ?? '')
    .join(' ')
    .trim()
}

function Harness({ error = null, readOnly = false }: { error?: string | null; readOnly?: boolean }) {
  const [value, setValue] = useState<string[]>([])
  return (
    <>
      <Checklist
        label="Scopes"
        name="scopes"
        options={options}
        value={value}
        onChange={setValue}
        error={error}
        isReadOnly={readOnly}
      />
      <output data-testid="value">{value.join(',')}</output>
    </>
  )
}

describe('Checklist', () => {
  it('is one labelled group of described checkboxes', async () => {
    renderWithApp(<Harness />)
    const group = screen.getByRole('group', { name: 'Scopes' })
    expect(group).toBeTruthy()
    const admin = screen.getByRole('checkbox', { name: /admin/ })
    expect(describedBy(admin)).toBe('Everything.')
    await userEvent.click(admin)
    await userEvent.click(screen.getByRole('checkbox', { name: /tools:read/ }))
    expect(screen.getByTestId('value').textContent).toBe('admin,tools:read')
  })

  it('shows its own error', () => {
    renderWithApp(<Harness error="Choose at least one scope." />)
    expect(document.body.textContent).toContain('Choose at least one scope.')
    expect(screen.getByRole('group', { name: 'Scopes' }).getAttribute('aria-describedby')).toBeTruthy()
  })

  it('shows the server’s errors for its field', () => {
    renderWithApp(
      <Form validationErrors={{ scopes: ['“tools:rite” is not a scope'] }}>
        <Harness />
      </Form>,
    )
    expect(document.body.textContent).toContain('“tools:rite” is not a scope')
  })

  it('cannot be changed when read-only', async () => {
    renderWithApp(<Harness readOnly />)
    await userEvent.click(screen.getByRole('checkbox', { name: /admin/ }))
    expect(screen.getByTestId('value').textContent).toBe('')
  })

  it('says when there is nothing to choose from', () => {
    renderWithApp(
      <Checklist label="Scopes" name="scopes" options={[]} value={[]} onChange={() => undefined} />,
    )
    expect(screen.queryAllByRole('checkbox')).toHaveLength(0)
  })
})
