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
