import { QueryClientProvider } from '@tanstack/react-query'
import type { QueryClient } from '@tanstack/react-query'
import { render } from '@testing-library/react'
import type { ReactNode } from 'react'
import { MemoryRouter, Route, Routes, useLocation } from 'react-router'
import { ApiError, createApiClient } from '../api/client.js'
import type { ApiClient, ApiErrorInit } from '../api/client.js'
import { ApiProvider } from '../api/context.js'
import { createQueryClient } from '../api/query.js'
import { ThemeProvider } from '../theme/context.js'
import { createThemeStore } from '../theme/theme.js'
import type { ThemeStore } from '../theme/theme.js'

/** A request the fake server saw. */
export interface SeenRequest {
  readonly method: string
  readonly path: string
  readonly search: URLSearchParams
  readonly headers: Headers
  readonly body: unknown
}

export type Handler = (request: SeenRequest) => Response | Promise<Response>

/** A JSON response. */
export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  })
}

/** An RFC 9457 problem response. */
export function problem(
  status: number,
  code: string,
  detail: string,
  extra: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Response {
  return new Response(
    JSON.stringify({
      type: `https://toolplane.dev/problems/${code}`,
      title: extra.title ?? code,
      status,
      detail,
      code,
      requestId: 'req-test-1',
      ...extra,
    }),
    { status, headers: { 'content-type': 'application/problem+json', ...headers } },
  )
}

/**
 * The `ApiError` a failed request gives, for a component that takes an `error` prop: a server error
 * unless `init` says otherwise.
 *
 * @example
 * renderWithApp(<UsageMeter usage={undefined} error={apiError()} onRetry={onRetry} current />)
 */
export function apiError(init: Partial<ApiErrorInit> = {}): ApiError {
  return new ApiError({
    status: 500,
    code: 'internal_error',
    title: 'Server error',
    detail: 'Oops.',
    ...init,
  })
}

/**
 * A stand-in for the server's `fetch`: `routes` maps `"GET /v1/me"` to a handler; anything else is a
 * 404 problem. `requests` lists what was asked, in order.
 */
export function fakeServer(routes: Record<string, Handler>) {
  const requests: SeenRequest[] = []
  const fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const url = new URL(input instanceof Request ? input.url : String(input), 'http://toolplane.test')
    const method = (init?.method ?? 'GET').toUpperCase()
    const request: SeenRequest = {
      method,
      path: url.pathname,
      search: url.searchParams,
      headers: new Headers(init?.headers),
      body: typeof init?.body === 'string' ? (JSON.parse(init.body) as unknown) : undefined,
    }
    requests.push(request)
    const handler = routes[`${method} ${url.pathname}`]
    if (handler === undefined) return problem(404, 'not_found', `No route ${method} ${url.pathname}.`)
    return handler(request)
  }
  return { fetch, requests }
}

/** A theme store that remembers nothing and sees a light, normal-contrast system. */
export function memoryThemeStore(): ThemeStore {
  return createThemeStore({ storage: null, matchMedia: null, root: document.documentElement })
}

/** Shows the router's current location, so tests can check where the app went. */
export function LocationProbe() {
  const location = useLocation()
  return <div data-testid="location">{`${location.pathname}${location.search}`}</div>
}

export interface RenderOptions {
  readonly path?: string
  readonly api?: ApiClient
  readonly fetch?: typeof globalThis.fetch
  readonly queryClient?: QueryClient
  /** Extra routes beside `ui` (which renders at `route`, `*` by default). */
  readonly routes?: ReactNode
  readonly route?: string
}

/** Renders `ui` with everything the app gives its components: API client, queries, theme, router. */
export function renderWithApp(ui: ReactNode, options: RenderOptions = {}) {
  const api = options.api ?? createApiClient(options.fetch === undefined ? {} : { fetch: options.fetch })
  const queryClient = options.queryClient ?? testQueryClient()
  const result = render(
    <ApiProvider client={api}>
      <QueryClientProvider client={queryClient}>
        <ThemeProvider store={memoryThemeStore()}>
          <MemoryRouter initialEntries={[options.path ?? '/']}>
            <Routes>
              <Route path={options.route ?? '*'} element={ui} />
              {options.routes}
            </Routes>
            <LocationProbe />
          </MemoryRouter>
        </ThemeProvider>
      </QueryClientProvider>
    </ApiProvider>,
  )
  return { ...result, api, queryClient }
}

/** The app's query client without waiting between retries. */
export function testQueryClient(): QueryClient {
  const client = createQueryClient()
  client.setDefaultOptions({
    ...client.getDefaultOptions(),
    queries: { ...client.getDefaultOptions().queries, retryDelay: 0 },
  })
  return client
}
