/**
 * Light, dark and high-contrast themes. The user's choice is kept in localStorage; "system" (the
 * default) follows the operating system: high contrast when it asks for more contrast
 * (`prefers-contrast: more`), else its light or dark colour scheme. The chosen theme is the
 * `data-theme` attribute of `<html>`, which `styles/tokens.css` turns into colours.
 */

export const themePreferences = ['system', 'light', 'dark', 'contrast'] as const
export type ThemePreference = (typeof themePreferences)[number]
export type Theme = 'light' | 'dark' | 'contrast'

/** The localStorage key of the user's choice. */
export const themeStorageKey = 'toolplane:theme'

/** What the operating system asks for. */
export interface SystemPreferences {
  readonly dark: boolean
  readonly moreContrast: boolean
}

export interface ThemeState {
  readonly preference: ThemePreference
  readonly theme: Theme
}

/**
 * The theme a preference comes to on this system.
 *
 * @example
 * resolveTheme('system', { dark: true, moreContrast: false }) // 'dark'
 */
export function resolveTheme(preference: ThemePreference, system: SystemPreferences): Theme {
  if (preference !== 'system') return preference
  if (system.moreContrast) return 'contrast'
  return system.dark ? 'dark' : 'light'
}

function isPreference(value: unknown): value is ThemePreference {
  return typeof value === 'string' && (themePreferences as readonly string[]).includes(value)
}

/** The stored preference; 'system' when none is stored, it is unreadable, or storage is blocked. */
export function readPreference(storage: Pick<Storage, 'getItem'> | null): ThemePreference {
  try {
    const value = storage?.getItem(themeStorageKey)
    return isPreference(value) ? value : 'system'
  } catch {
    return 'system'
  }
}

type MediaQuery = Pick<MediaQueryList, 'matches' | 'addEventListener' | 'removeEventListener'>

export interface ThemeStoreOptions {
  readonly storage: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'> | null
  readonly matchMedia: ((query: string) => MediaQuery) | null
  /** The element that gets `data-theme` (`<html>`). */
  readonly root: HTMLElement | null
  /** Where other tabs' changes arrive (`storage` events); the window. */
  readonly events?: Pick<Window, 'addEventListener' | 'removeEventListener'> | null
}

export interface ThemeStore {
  readonly getSnapshot: () => ThemeState
  readonly subscribe: (listener: () => void) => () => void
  readonly setPreference: (preference: ThemePreference) => void
  /** Stops following the system and other tabs. */
  readonly close: () => void
}

/**
 * Holds the theme, applies it to the page at once and whenever the preference or the system changes,
 * and tells subscribers (`useSyncExternalStore`).
 *
 * @example
 * const store = createThemeStore({ storage: localStorage, matchMedia: (q) => window.matchMedia(q), root: document.documentElement, events: window })
 * store.setPreference('contrast')
 */
export function createThemeStore(options: ThemeStoreOptions): ThemeStore {
  const { storage, root } = options
  const dark = options.matchMedia?.('(prefers-color-scheme: dark)') ?? null
  const contrast = options.matchMedia?.('(prefers-contrast: more)') ?? null
  const listeners = new Set<() => void>()

  const compute = (preference: ThemePreference): ThemeState => ({
    preference,
    theme: resolveTheme(preference, {
      dark: dark?.matches ?? false,
      moreContrast: contrast?.matches ?? false,
    }),
  })

  let state = compute(readPreference(storage))
  const update = (next: ThemeState) => {
    if (root !== null) root.dataset.theme = next.theme
    if (next.preference === state.preference && next.theme === state.theme) return
    state = next
    for (const listener of listeners) listener()
  }
  update(state)

  const onSystemChange = () => {
    update(compute(state.preference))
  }
  const onStorage = (event: Event) => {
    if ((event as StorageEvent).key === themeStorageKey) update(compute(readPreference(storage)))
  }
  dark?.addEventListener('change', onSystemChange)
  contrast?.addEventListener('change', onSystemChange)
  options.events?.addEventListener('storage', onStorage)

  return {
    getSnapshot: () => state,
    subscribe: (listener) => {
      listeners.add(listener)
      return () => {
        listeners.delete(listener)
      }
    },
    setPreference: (preference) => {
      try {
        if (preference === 'system') storage?.removeItem(themeStorageKey)
        else storage?.setItem(themeStorageKey, preference)
      } catch {
        // Storage can be full or blocked; the choice then lasts until the page is left.
      }
      update(compute(preference))
    },
    close: () => {
      dark?.removeEventListener('change', onSystemChange)
      contrast?.removeEventListener('change', onSystemChange)
      options.events?.removeEventListener('storage', onStorage)
      listeners.clear()
    },
  }
}

/** The window's localStorage; null where reading it throws (storage blocked by the browser's settings). */
function localStorageOrNull(): Storage | null {
  try {
    return window.localStorage
  } catch {
    return null
  }
}

/** The theme store of the browser window the app runs in. */
export function browserThemeStore(): ThemeStore {
  return createThemeStore({
    storage: localStorageOrNull(),
    matchMedia: typeof window.matchMedia === 'function' ? (query) => window.matchMedia(query) : null,
    root: document.documentElement,
    events: window,
  })
}
