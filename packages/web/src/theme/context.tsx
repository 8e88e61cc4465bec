import { createContext, use, useSyncExternalStore } from 'react'
import type { ReactNode } from 'react'
import type { ThemePreference, ThemeState, ThemeStore } from './theme.js'

const ThemeContext = createContext<ThemeStore | null>(null)

/**
 * Gives the components below it the theme store.
 *
 * @example
 * <ThemeProvider store={browserThemeStore()}><App /></ThemeProvider>
 */
export function ThemeProvider({ store, children }: { store: ThemeStore; children: ReactNode }) {
  return <ThemeContext value={store}>{children}</ThemeContext>
}

/** The current preference and theme, and a way to change the preference. */
export function useTheme(): ThemeState & { setPreference: (preference: ThemePreference) => void } {
  const store = use(ThemeContext)
  if (store === null) throw new Error('useTheme() needs a <ThemeProvider> above it')
  const state = useSyncExternalStore(store.subscribe, store.getSnapshot)
  return { ...state, setPreference: store.setPreference }
}
