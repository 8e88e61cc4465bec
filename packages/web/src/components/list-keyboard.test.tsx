import { act, render, renderHook, screen } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { useRef, useState } from 'react'
import { describe, expect, it, vi } from 'vitest'
import { pageStep, remInPixels, useActiveRangeExtractor, useListKeyboard } from './list-keyboard.js'

/** A search field over a list of links that uses the hook, as the tool catalog and the log do. */
function List({ count, beforeFocus }: { count: number; beforeFocus?: (index: number) => void }) {
  const list = useRef<HTMLUListElement>(null)
  const searchInput = useRef<HTMLInputElement>(null)
  const [active, setActive] = useState(0)
  const keys = useListKeyboard({
    count,
    active,
    setActive,
    list,
    searchInput,
    ...(beforeFocus === undefined ? {} : { beforeFocus }),
  })
  return (
    <>
      <input ref={searchInput} aria-label="Search" onKeyDown={keys.onSearchKeyDown} />
      <ul ref={list} onKeyDown={keys.onListKeyDown} onFocus={keys.onListFocus}>
        {Array.from({ length: count }, (_, i) => (
          <li key={i} data-index={i}>
            <a href={`#row-${i}`} tabIndex={i === active ? 0 : -1}>
              Row {i}
            </a>
          </li>
        ))}
      </ul>
    </>
  )
}

const row = (i: number) => screen.getByRole('link', { name: `Row ${i}` })

describe('useListKeyboard', () => {
  it('enters the list from the search field and moves with the arrow keys, Home, End and the page keys', async () => {
    const user = userEvent.setup()
    const beforeFocus = vi.fn()
    render(<List count={25} beforeFocus={beforeFocus} />)
    await user.click(screen.getByRole('textbox', { name: 'Search' }))
    await user.keyboard('{ArrowDown}')
    expect(document.activeElement).toBe(row(0))
    await user.keyboard('{ArrowDown}{ArrowDown}')
    expect(document.activeElement).toBe(row(2))
    expect(beforeFocus).toHaveBeenLastCalledWith(2)
    await user.keyboard('{PageDown}')
    expect(document.activeElement).toBe(row(2 + pageStep))
    await user.keyboard('{End}')
    expect(document.activeElement).toBe(row(24))
    await user.keyboard('{ArrowDown}')
    expect(document.activeElement).toBe(row(24))
    await user.keyboard('{PageUp}')
    expect(document.activeElement).toBe(row(24 - pageStep))
    await user.keyboard('{Home}')
    expect(document.activeElement).toBe(row(0))
    expect(row(0).getAttribute('tabindex')).toBe('0')
    expect(row(24).getAttribute('tabindex')).toBe('-1')
  })

  it('goes back to the search field with ArrowUp on the first row', async () => {
    const user = userEvent.setup()
    render(<List count={3} />)
    await user.click(screen.getByRole('textbox', { name: 'Search' }))
    await user.keyboard('{ArrowDown}{ArrowUp}')
    expect(document.activeElement).toBe(screen.getByRole('textbox', { name: 'Search' }))
  })

  it('makes a row focused by Tab or a click the active one', async () => {
    const user = userEvent.setup()
    render(<List count={5} />)
    act(() => {
      row(3).focus()
    })
    expect(row(3).getAttribute('tabindex')).toBe('0')
    await user.keyboard('{ArrowDown}')
    expect(document.activeElement).toBe(row(4))
  })

  it('leaves ArrowDown in the search field alone when the list is empty', async () => {
    const user = userEvent.setup()
    render(<List count={0} />)
    const search = screen.getByRole('textbox', { name: 'Search' })
    await user.click(search)
    await user.keyboard('{ArrowDown}')
    expect(document.activeElement).toBe(search)
  })
})

describe('useActiveRangeExtractor', () => {
  const range = { startIndex: 10, endIndex: 20, overscan: 0, count: 100 }

  it('adds the active row to the rows in view, in order', () => {
    const { result } = renderHook(() => useActiveRangeExtractor(2))
    const indexes = result.current(range)
    expect(indexes[0]).toBe(2)
    expect(indexes.slice(1)).toEqual(Array.from({ length: 11 }, (_, i) => 10 + i))
  })

  it('adds nothing when the active row is in view or there is none', () => {
    expect(renderHook(() => useActiveRangeExtractor(15)).result.current(range)).toHaveLength(11)
    expect(renderHook(() => useActiveRangeExtractor(-1)).result.current(range)).toHaveLength(11)
  })
})

describe('remInPixels', () => {
  it('reads the root font size', () => {
    document.documentElement.style.fontSize = '20px'
    try {
      expect(remInPixels()).toBe(20)
    } finally {
      document.documentElement.style.fontSize = ''
    }
  })
})
