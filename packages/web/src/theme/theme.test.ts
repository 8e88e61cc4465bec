import { describe, expect, it, vi } from 'vitest'
import { createThemeStore, readPreference, resolveTheme, themeStorageKey } from './theme.js'

function fakeMedia(initial: Record<string, boolean>) {
  const listeners = new Map<string, Set<() => void>>()
  const state = { ...initial }
  const matchMedia = (query: string) => ({
    get matches() {
      return state[query] ?? false
    },
    addEventListener: (_type: string, listener: () => void) => {
      listeners.set(query, (listeners.get(query) ?? new Set()).add(listener))
    },
    removeEventListener: (_type: string, listener: () => void) => {
      listeners.get(query)?.delete(listener)
    },
  })
  return {
    matchMedia: matchMedia as unknown as (query: string) => MediaQueryList,
    set(query: string, value: boolean) {
      state[query] = value
      for (const listener of listeners.get(query) ?? []) listener()
    },
    listenerCount: () => [...listeners.values()].reduce((n, set) => n + set.size, 0),
  }
}

function memoryStorage(initial: Record<string, string> = {}) {
  const values = new Map(Object.entries(initial))
  return {
    getItem: (key: string) => values.get(key) ?? null,
    setItem: (key: string, value: string) => {
      values.set(key, value)
    },
    removeItem: (key: string) => {
      values.delete(key)
    },
    values,
  }
}

function fakeRoot() {
  return { dataset: {} as Record<string, string> } as unknown as HTMLElement
}

const dark = '(prefers-color-scheme: dark)'
const moreContrast = '(prefers-contrast: more)'

describe('resolveTheme', () => {
  it('follows the system unless the user chose', () => {
    expect(resolveTheme('system', { dark: false, moreContrast: false })).toBe('light')
    expect(resolveTheme('system', { dark: true, moreContrast: false })).toBe('dark')
    expect(resolveTheme('system', { dark: true, moreContrast: true })).toBe('contrast')
    expect(resolveTheme('light', { dark: true, moreContrast: true })).toBe('light')
    expect(resolveTheme('dark', { dark: false, moreContrast: false })).toBe('dark')
    expect(resolveTheme('contrast', { dark: false, moreContrast: false })).toBe('contrast')
  })
})

describe('readPreference', () => {
  it('reads a stored choice and falls back to the system for anything else', () => {
    expect(readPreference(memoryStorage({ [themeStorageKey]: 'dark' }))).toBe('dark')
    expect(readPreference(memoryStorage({ [themeStorageKey]: 'purple' }))).toBe('system')
    expect(readPreference(memoryStorage())).toBe('system')
    expect(readPreference(null)).toBe('system')
    const blocked = {
      getItem: () => {
        throw new Error('SecurityError')
      },
    }
    expect(readPreference(blocked)).toBe('system')
  })
})

describe('createThemeStore', () => {
  it('applies the stored choice to the page at once', () => {
    const root = fakeRoot()
    const store = createThemeStore({
      storage: memoryStorage({ [themeStorageKey]: 'contrast' }),
      matchMedia: fakeMedia({}).matchMedia,
      root,
    })
    expect(store.getSnapshot()).toEqual({ preference: 'contrast', theme: 'contrast' })
    expect(root.dataset.theme).toBe('contrast')
  })

  it('follows the system by default, including a later switch to more contrast', () => {
    const media = fakeMedia({ [dark]: true })
    const root = fakeRoot()
    const store = createThemeStore({ storage: memoryStorage(), matchMedia: media.matchMedia, root })
    const listener = vi.fn()
    store.subscribe(listener)
    expect(store.getSnapshot().theme).toBe('dark')
    media.set(moreContrast, true)
    expect(store.getSnapshot()).toEqual({ preference: 'system', theme: 'contrast' })
    expect(root.dataset.theme).toBe('contrast')
    expect(listener).toHaveBeenCalledOnce()
    media.set(moreContrast, false)
    media.set(dark, false)
    expect(root.dataset.theme).toBe('light')
  })

  it('remembers a choice, forgets it when the user goes back to the system, and tells subscribers', () => {
    const storage = memoryStorage()
    const media = fakeMedia({ [dark]: true })
    const root = fakeRoot()
    const store = createThemeStore({ storage, matchMedia: media.matchMedia, root })
    const listener = vi.fn()
    const unsubscribe = store.subscribe(listener)
    const before = store.getSnapshot()

    store.setPreference('light')
    expect(storage.values.get(themeStorageKey)).toBe('light')
    expect(root.dataset.theme).toBe('light')
    expect(store.getSnapshot()).not.toBe(before)
    // A chosen theme ignores the system.
    media.set(dark, false)
    media.set(dark, true)
    expect(listener).toHaveBeenCalledOnce()

    const snapshot = store.getSnapshot()
    store.setPreference('light')
    expect(store.getSnapshot()).toBe(snapshot)

    store.setPreference('system')
    expect(storage.values.has(themeStorageKey)).toBe(false)
    expect(store.getSnapshot()).toEqual({ preference: 'system', theme: 'dark' })
    expect(listener).toHaveBeenCalledTimes(2)

    unsubscribe()
    store.setPreference('contrast')
    expect(listener).toHaveBeenCalledTimes(2)
  })

  it('keeps working when storage refuses to write', () => {
    const storage = {
      getItem: () => null,
      setItem: () => {
        throw new Error('QuotaExceededError')
      },
      removeItem: () => undefined,
    }
    const store = createThemeStore({ storage, matchMedia: null, root: null })
    store.setPreference('dark')
    expect(store.getSnapshot()).toEqual({ preference: 'dark', theme: 'dark' })
  })

  it('follows a choice made in another tab, and stops listening when closed', () => {
    const storage = memoryStorage()
    const media = fakeMedia({})
    const target = new EventTarget()
    const root = fakeRoot()
    const store = createThemeStore({ storage, matchMedia: media.matchMedia, root, events: target })
    expect(media.listenerCount()).toBe(2)

    storage.values.set(themeStorageKey, 'dark')
    target.dispatchEvent(Object.assign(new Event('storage'), { key: 'something-else' }))
    expect(root.dataset.theme).toBe('light')
    target.dispatchEvent(Object.assign(new Event('storage'), { key: themeStorageKey }))
    expect(root.dataset.theme).toBe('dark')

    store.close()
    expect(media.listenerCount()).toBe(0)
    storage.values.set(themeStorageKey, 'contrast')
    target.dispatchEvent(Object.assign(new Event('storage'), { key: themeStorageKey }))
    expect(root.dataset.theme).toBe('dark')
  })
})
