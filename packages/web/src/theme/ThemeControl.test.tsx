import { render, screen } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it } from 'vitest'
import { ThemeProvider } from './context.js'
import { ThemeControl } from './ThemeControl.js'
import { createThemeStore, themeStorageKey } from './theme.js'

function renderControl(stored?: string) {
  if (stored !== undefined) localStorage.setItem(themeStorageKey, stored)
  const store = createThemeStore({ storage: localStorage, matchMedia: null, root: document.documentElement })
  render(
    <ThemeProvider store={store}>
      <ThemeControl />
    </ThemeProvider>,
  )
  return store
}

describe('ThemeControl', () => {
  it('offers the system, light, dark and high-contrast themes, with the current one checked', () => {
    renderControl('dark')
    const group = screen.getByRole('radiogroup', { name: 'Theme' })
    const options = screen.getAllByRole('radio')
    expect(options.map((o) => o.closest('label')?.textContent)).toEqual([
      'System',
      'Light',
      'Dark',
      'High contrast',
    ])
    expect(screen.getByRole<HTMLInputElement>('radio', { name: 'Dark' }).checked).toBe(true)
    expect(group.getAttribute('aria-describedby')).toBeTruthy()
    expect(document.documentElement.dataset.theme).toBe('dark')
  })

  it('switches the theme, applies it to the page and remembers it', async () => {
    const store = renderControl()
    expect(screen.getByRole<HTMLInputElement>('radio', { name: 'System' }).checked).toBe(true)
    await userEvent.click(screen.getByRole('radio', { name: 'High contrast' }))
    expect(document.documentElement.dataset.theme).toBe('contrast')
    expect(localStorage.getItem(themeStorageKey)).toBe('contrast')
    expect(store.getSnapshot().preference).toBe('contrast')
    expect(screen.getByRole<HTMLInputElement>('radio', { name: 'High contrast' }).checked).toBe(true)
  })

  it('is used with the keyboard: arrow keys move the choice', async () => {
    renderControl('light')
    const user = userEvent.setup()
    await user.tab()
    expect(document.activeElement).toBe(screen.getByRole('radio', { name: 'Light' }))
    await user.keyboard('{ArrowRight}')
    expect(document.documentElement.dataset.theme).toBe('dark')
    await user.keyboard('{ArrowLeft}{ArrowLeft}')
    expect(localStorage.getItem(themeStorageKey)).toBeNull()
    expect(screen.getByRole<HTMLInputElement>('radio', { name: 'System' }).checked).toBe(true)
  })

  it('needs a theme provider', () => {
    expect(() => render(<ThemeControl />)).toThrow('useTheme() needs a <ThemeProvider> above it')
  })
})
