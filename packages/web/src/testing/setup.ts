// Runs before each web test file (jsdom): unmount what a test rendered, and stand in for the
// browser features jsdom lacks.
import { cleanup } from '@testing-library/react'
import { afterEach } from 'vitest'

afterEach(() => {
  cleanup()
  localStorage.clear()
})

// jsdom has no scrolling; the virtual list and focus handling call these.
window.scrollTo = () => undefined
Element.prototype.scrollIntoView = () => undefined

// jsdom has no CSS object; React Aria's collections (list boxes, tabs) and modal dialogs call
// `CSS.escape` when they open.
if (typeof (globalThis as { CSS?: { escape?: unknown } }).CSS?.escape !== 'function') {
  const escape = (value: string) => value.replace(/[^\w-]/g, (c) => `\\${c}`)
  Object.defineProperty(globalThis, 'CSS', { value: { escape }, configurable: true, writable: true })
}
