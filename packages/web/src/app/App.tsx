import { QueryClientProvider } from '@tanstack/react-query'
import type { QueryClient } from '@tanstack/react-query'
import { BrowserRouter } from 'react-router'
import type { ApiClient } from '../api/client.js'
import { ApiProvider } from '../api/context.js'
import { ThemeProvider } from '../theme/context.js'
import type { ThemeStore } from '../theme/theme.js'
import { AppRoutes } from './routes.js'

/**
 * The whole app with its providers: the API client, server state (TanStack Query), the theme and
 * the router.
 *
 * @example
 * createRoot(element).render(<App api={createApiClient()} queryClient={createQueryClient()} theme={browserThemeStore()} />)
 */
export function App({
  api,
  queryClient,
  theme,
}: {
  api: ApiClient
  queryClient: QueryClient
  theme: ThemeStore
}) {
  return (
    <ApiProvider client={api}>
      <QueryClientProvider client={queryClient}>
        <ThemeProvider store={theme}>
          <BrowserRouter>
            <AppRoutes />
          </BrowserRouter>
        </ThemeProvider>
      </QueryClientProvider>
    </ApiProvider>
  )
}
