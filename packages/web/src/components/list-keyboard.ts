/**
 * What the app's long lists of links share (the tool catalog, the execution log, the credentials):
 * one row in the tab order moved by the arrow keys, and the pieces a window-virtualised list needs.
 */
import { defaultRangeExtractor } from '@tanstack/react-virtual'
import type { Range } from '@tanstack/react-virtual'
import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'react'
import type { FocusEvent, KeyboardEvent, RefObject } from 'react'

/** How far PageUp and PageDown move. */
export const pageStep = 10

/** One rem in CSS pixels (16 unless the reader changed the text size), for rows sized in rem. */
export function remInPixels(): number {
  const size = Number.parseFloat(getComputedStyle(document.documentElement).fontSize)
  return Number.isFinite(size) && size > 0 ? size : 16
}

/**
 * How far down the page the list starts, kept up to date after every render: a window virtualiser
 * places rows relative to it.
 *
 * @example
 * const scrollMargin = useScrollMargin(listRef)
 * useWindowVirtualizer({ count, estimateSize, scrollMargin })
 */
export function useScrollMargin(list: RefObject<HTMLElement | null>): number {
  const [scrollMargin, setScrollMargin] = useState(0)
  useLayoutEffect(() => {
    const element = list.current
    if (element === null) return
    const top = element.getBoundingClientRect().top + window.scrollY
    setScrollMargin((previous) => (Math.abs(previous - top) < 1 ? previous : top))
  })
  return scrollMargin
}

/**
 * A virtualiser's range extractor that keeps the active row rendered wherever it is, so focus can
 * always move to it.
 *
 * @example
 * const rangeExtractor = useActiveRangeExtractor(active)
 * useWindowVirtualizer({ count, estimateSize, rangeExtractor })
 */
export function useActiveRangeExtractor(active: number): (range: Range) => number[] {
  return useCallback(
    (range: Range) => {
      const indexes = defaultRangeExtractor(range)
      if (active >= 0 && active < range.count && !indexes.includes(active)) {
        indexes.push(active)
        indexes.sort((a, b) => a - b)
      }
      return indexes
    },
    [active],
  )
}

export interface ListKeyboardOptions {
  /** How many rows the list has. */
  readonly count: number
  /** The row in the tab order. */
  readonly active: number
  /** Makes a row the active one; the hook moves focus to it after the next render. */
  readonly setActive: (index: number) => void
  /** The list: its rows carry `data-index` and a link, which takes focus. */
  readonly list: RefObject<HTMLElement | null>
  /** The search field above the list: ArrowUp on the first row goes back to it. */
  readonly searchInput: RefObject<HTMLInputElement | null>
  /** Called before focus moves to a row, e.g. to scroll a virtual list to it. */
  readonly beforeFocus?: (index: number) => void
}

/**
 * Keyboard use of a list of links with one row in the tab order (a roving tab index): ArrowDown and
 * ArrowUp move a row (ArrowUp on the first returns to the search field), Home and End to the ends,
 * PageDown and PageUp by `pageStep`; ArrowDown in the search field enters the list; a row focused by
 * Tab or a click becomes the active one.
 *
 * @example
 * const keys = useListKeyboard({ count: rows.length, active, setActive, list, searchInput })
 * <input onKeyDown={keys.onSearchKeyDown} />
 * <ul ref={list} onKeyDown={keys.onListKeyDown} onFocus={keys.onListFocus}>…</ul>
 */
export function useListKeyboard({
  count,
  active,
  setActive,
  list,
  searchInput,
  beforeFocus,
}: ListKeyboardOptions) {
  const focusPending = useRef(false)
  // Moving to the row that is already active changes no state of the caller's, but focus must still
  // move (ArrowDown from the search field): this render request makes sure the effect below runs.
  const [, requestRender] = useState(0)

  const moveTo = (target: number) => {
    if (count === 0) return
    focusPending.current = true
    setActive(Math.max(0, Math.min(target, count - 1)))
    requestRender((n) => n + 1)
  }

  useEffect(() => {
    if (!focusPending.current) return
    focusPending.current = false
    beforeFocus?.(active)
    list.current?.querySelector<HTMLElement>(`[data-index="${active}"] a`)?.focus()
  })

  const onListKeyDown = (event: KeyboardEvent<HTMLElement>) => {
    const row = (event.target as HTMLElement).closest('[data-index]')
    if (row === null) return
    const current = Number(row.getAttribute('data-index'))
    switch (event.key) {
      case 'ArrowDown':
        moveTo(current + 1)
        break
      case 'ArrowUp':
        if (current === 0) searchInput.current?.focus()
        else moveTo(current - 1)
        break
      case 'Home':
        moveTo(0)
        break
      case 'End':
        moveTo(count - 1)
        break
      case 'PageDown':
        moveTo(current + pageStep)
        break
      case 'PageUp':
        moveTo(current - pageStep)
        break
      default:
        return
    }
    event.preventDefault()
  }

  const onListFocus = (event: FocusEvent<HTMLElement>) => {
    const row = event.target.closest('[data-index]')
    if (row === null) return
    const focused = Number(row.getAttribute('data-index'))
    if (focused !== active) setActive(focused)
  }

  const onSearchKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key === 'ArrowDown' && count > 0) {
      event.preventDefault()
      moveTo(active)
    }
  }

  return { moveTo, onListKeyDown, onListFocus, onSearchKeyDown }
}
