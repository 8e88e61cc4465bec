import { act, render, screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it, vi } from 'vitest'
import type { Session } from '../api/session.js'
import type { Handler } from '../testing/render.js'
import { createApiClient } from '../api/client.js'
import { sessionKey } from '../api/query.js'
import {
  fakeServer,
  json,
  memoryThemeStore,
  problem,
  renderWithApp,
  testQueryClient,
} from '../testing/render.js'
import { fullTool, generatedTools, sampleTools } from '../testing/tools.js'
import { App } from './App.js'
import { AppRoutes } from './routes.js'

const me: Session = {
  workspace: { id: 'ws1', slug: 'default', name: 'Acme' },
  scopes: ['admin'],
  principal: {
    type: 'user',
    id: 'u1',
    email: 'ada@example.com',
    name: 'Ada',
    role: 'owner',
    hasPassword: true,
  },
  csrfToken: 'csrf-from-me',
}

const signedIn: Record<string, Handler> = {
  'GET /v1/me': () => json(me),
  'GET /v1/tools': () => json({ data: sampleTools, nextCursor: null }),
  'GET /v1/tools/github': () => json(fullTool()),
}

const signedOut: Record<string, Handler> = {
  'GET /v1/me': () => problem(401, 'unauthenticated', 'Send `Authorization: Bearer <api key>`, or sign in.'),
}

function renderApp(path: string, routes: Record<string, Handler>) {
  const server = fakeServer(routes)
  const result = renderWithApp(<AppRoutes />, { path, fetch: server.fetch })
  return { ...result, requests: server.requests }
}

const location = () => screen.getByTestId('location').textContent

describe('the sign-in guard', () => {
  it('sends a visitor who is not signed in to sign in, remembering where they were going', async () => {
    renderApp('/tools/github?tab=actions', signedOut)
    expect(await screen.findByRole('heading', { level: 1, name: 'Sign in' })).toBeTruthy()
    expect(location()).toBe('/sign-in?next=%2Ftools%2Fgithub%3Ftab%3Dactions')
    expect(document.title).toBe('Sign in · Toolplane')
  })

  it('shows a skeleton while it asks who is signed in', async () => {
    let answer: (response: Response) => void = () => undefined
    renderApp('/tools', {
      ...signedIn,
      'GET /v1/me': () => new Promise<Response>((resolve) => (answer = resolve)),
    })
    expect(screen.getByRole('status').textContent).toContain('Checking your session…')
    act(() => {
      answer(json(me))
    })
    expect(await screen.findByRole('heading', { level: 1, name: 'Tools' })).toBeTruthy()
  })

  it('says when the session cannot be checked, and checks again on request', async () => {
    let fail = true
    renderApp('/tools', {
      ...signedIn,
      'GET /v1/me': () => (fail ? problem(400, 'validation_error', 'The server is confused.') : json(me)),
    })
    const alert = await screen.findByRole('alert')
    expect(alert.textContent).toContain('The server is confused.')
    fail = false
    await userEvent.click(within(alert).getByRole('button', { name: 'Try again' }))
    expect(await screen.findByRole('heading', { level: 1, name: 'Tools' })).toBeTruthy()
  })

  it('goes to the tools from the home page', async () => {
    renderApp('/', signedIn)
    expect(await screen.findByRole('heading', { level: 1, name: 'Tools' })).toBeTruthy()
    expect(location()).toBe('/tools')
  })

  it('sends the user to sign in when the session ends while they use the app', async () => {
    let ended = false
    renderApp('/tools', {
      ...signedIn,
      'GET /v1/me': () => (ended ? signedOut['GET /v1/me']!({} as never) : json(me)),
      'GET /v1/tools/github': () =>
        problem(401, 'unauthenticated', 'Your session has expired or was ended; sign in again.'),
    })
    await screen.findByRole('heading', { level: 1, name: 'Tools' })
    ended = true
    await userEvent.click(await screen.findByRole('link', { name: /GitHub/ }))
    expect(await screen.findByRole('heading', { level: 1, name: 'Sign in' })).toBeTruthy()
    expect(location()).toBe('/sign-in?next=%2Ftools%2Fgithub')
    // It stays there: the ended session does not count as signed in.
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(location()).toBe('/sign-in?next=%2Ftools%2Fgithub')
  })
})

describe('the sign-in page', () => {
  it('signs in, keeps the CSRF token and goes back where the user was going', async () => {
    const { requests, api } = renderApp('/sign-in?next=%2Ftools%2Fgithub', {
      ...signedIn,
      'POST /v1/auth/login': () =>
        json({
          user: { id: 'u1', email: 'ada@example.com', name: 'Ada' },
          workspace: me.workspace,
          role: 'owner',
          scopes: ['admin'],
          csrfToken: 'csrf-from-login',
          expiresAt: '2026-12-01T00:00:00.000Z',
        }),
    })
    const user = userEvent.setup()
    await user.type(await screen.findByLabelText(/Email/), ' ada@example.com ')
    await user.type(screen.getByLabelText(/Password/), 'correct horse')
    await user.click(screen.getByRole('button', { name: 'Sign in' }))
    expect(await screen.findByRole('heading', { level: 1, name: 'GitHub' })).toBeTruthy()
    expect(location()).toBe('/tools/github')
    const login = requests.find((r) => r.path === '/v1/auth/login')
    expect(login?.body).toEqual({ email: 'ada@example.com', password: 'correct horse' })
    expect(api.csrfToken).toBe('csrf-from-login')
    // The session came with the sign-in; it is not asked for again.
    expect(requests.filter((r) => r.path === '/v1/me')).toHaveLength(0)
    expect(screen.getByText('ada@example.com')).toBeTruthy()
  })

  it('says why sign-in failed, accessibly, and lets the user try again', async () => {
    const { requests } = renderApp('/sign-in', {
      'POST /v1/auth/login': () => problem(401, 'unauthenticated', 'The email or password is not correct.'),
    })
    const user = userEvent.setup()
    await user.type(await screen.findByLabelText(/Email/), 'ada@example.com')
    await user.type(screen.getByLabelText(/Password/), 'wrong')
    await user.click(screen.getByRole('button', { name: 'Sign in' }))
    const alert = await screen.findByRole('alert')
    expect(within(alert).getByRole('heading', { name: 'Could not sign in' })).toBeTruthy()
    expect(alert.textContent).toContain('The email or password is not correct.')
    expect(location()).toBe('/sign-in')
    expect(requests).toHaveLength(1)
  })

  it('puts the server’s field errors on the fields', async () => {
    renderApp('/sign-in', {
      'POST /v1/auth/login': () =>
        problem(400, 'validation_error', '/body/email must NOT have fewer than 3 characters.', {
          errors: [{ path: '/body/email', message: 'must NOT have fewer than 3 characters' }],
        }),
    })
    const user = userEvent.setup()
    await user.type(await screen.findByLabelText(/Email/), 'a@b')
    await user.type(screen.getByLabelText(/Password/), 'x')
    await user.click(screen.getByRole('button', { name: 'Sign in' }))
    const email = await screen.findByLabelText(/Email/)
    await waitFor(() => {
      expect(email.getAttribute('aria-invalid')).toBe('true')
    })
    expect(document.body.textContent).toContain('This email must NOT have fewer than 3 characters.')
  })

  it('does not send an empty form', async () => {
    const { requests } = renderApp('/sign-in', {})
    await userEvent.click(await screen.findByRole('button', { name: 'Sign in' }))
    expect(requests).toHaveLength(0)
    expect(document.activeElement).toBe(screen.getByLabelText(/Email/))
  })

  it('goes straight on when the user is already signed in', async () => {
    const queryClient = testQueryClient()
    queryClient.setQueryData(sessionKey, me)
    const server = fakeServer(signedIn)
    renderWithApp(<AppRoutes />, {
      path: '/sign-in?next=%2Ftools%2Fgithub',
      fetch: server.fetch,
      queryClient,
    })
    expect(await screen.findByRole('heading', { level: 1, name: 'GitHub' })).toBeTruthy()
    expect(location()).toBe('/tools/github')
  })
})

describe('the signed-in frame', () => {
  it('has a skip link, landmarks, the navigation, the theme control and the account', async () => {
    renderApp('/tools', signedIn)
    await screen.findByRole('heading', { level: 1, name: 'Tools' })
    expect(screen.getByRole('banner')).toBeTruthy()
    expect(screen.getByRole('main')).toBeTruthy()
    const nav = screen.getByRole('navigation', { name: 'Main' })
    expect(within(nav).getByRole('link', { name: 'Tools' }).getAttribute('aria-current')).toBe('page')
    expect(screen.getByRole('radiogroup', { name: 'Theme' })).toBeTruthy()
    expect(screen.getByText('ada@example.com')).toBeTruthy()
    expect(screen.getByText('Acme')).toBeTruthy()

    const skip = screen.getByRole('link', { name: 'Skip to main content' })
    await userEvent.click(skip)
    expect(document.activeElement).toBe(screen.getByRole('main'))
    expect(location()).toBe('/tools')
  })

  it('names an API key caller by the key’s name', async () => {
    renderApp('/tools', {
      ...signedIn,
      'GET /v1/me': () =>
        json({
          ...me,
          principal: { type: 'api_key', id: 'k1', name: 'ci key', prefix: 'tp_abc' },
          csrfToken: undefined,
        }),
    })
    expect(await screen.findByText('ci key')).toBeTruthy()
  })

  it('signs out with the CSRF token and goes to the sign-in page', async () => {
    const logout = vi.fn(() => new Response(null, { status: 204 }))
    const { requests, api } = renderApp('/tools', { ...signedIn, 'POST /v1/auth/logout': logout })
    await screen.findByRole('heading', { level: 1, name: 'Tools' })
    expect(api.csrfToken).toBe('csrf-from-me')
    await userEvent.click(screen.getByRole('button', { name: 'Sign out' }))
    expect(await screen.findByRole('heading', { level: 1, name: 'Sign in' })).toBeTruthy()
    expect(logout).toHaveBeenCalledOnce()
    expect(requests.find((r) => r.path === '/v1/auth/logout')?.headers.get('x-csrf-token')).toBe(
      'csrf-from-me',
    )
    expect(api.csrfToken).toBeNull()
    expect(location()).toBe('/sign-in')
  })

  it('moves focus to the new page’s title after an in-app navigation', async () => {
    renderApp('/tools', signedIn)
    await userEvent.click(await screen.findByRole('link', { name: /GitHub/ }))
    const title = await screen.findByRole('heading', { level: 1, name: 'GitHub' })
    await waitFor(() => {
      expect(document.activeElement).toBe(title)
    })
    expect(document.title).toBe('GitHub · Toolplane')
  })

  it('has a page for addresses it does not know', async () => {
    renderApp('/nowhere', signedIn)
    expect(await screen.findByRole('heading', { level: 1, name: 'Page not found' })).toBeTruthy()
    expect(document.body.textContent).toContain('/nowhere')
    expect(screen.getAllByRole('link', { name: 'tools' })).toHaveLength(1)
  })
})

describe('the tools page', () => {
  it('loads every page of the catalog', async () => {
    const tools = generatedTools(450)
    const { requests } = renderApp('/tools', {
      ...signedIn,
      'GET /v1/tools': (request) => {
        const start = Number(request.search.get('cursor') ?? 0)
        const limit = Number(request.search.get('limit'))
        const end = start + limit
        return json({ data: tools.slice(start, end), nextCursor: end < tools.length ? String(end) : null })
      },
    })
    expect(await screen.findByText('450 tools')).toBeTruthy()
    const pages = requests.filter((r) => r.path === '/v1/tools')
    expect(pages.map((r) => r.search.get('cursor'))).toEqual([null, '200', '400'])
    expect(pages.every((r) => r.search.get('limit') === '200')).toBe(true)
  })

  it('stops if the server sends the same cursor twice', async () => {
    const { requests } = renderApp('/tools', {
      ...signedIn,
      'GET /v1/tools': (request) =>
        json({ data: request.search.has('cursor') ? generatedTools(3) : sampleTools, nextCursor: 'again' }),
    })
    expect(await screen.findByText('8 tools')).toBeTruthy()
    expect(requests.filter((r) => r.path === '/v1/tools')).toHaveLength(2)
  })

  it('shows the catalog’s error and loads it again on request', async () => {
    let fail = true
    renderApp('/tools', {
      ...signedIn,
      'GET /v1/tools': () =>
        fail
          ? problem(403, 'forbidden', 'This operation needs the `tools:read` scope.')
          : json({ data: sampleTools, nextCursor: null }),
    })
    const alert = await screen.findByRole('alert')
    expect(alert.textContent).toContain('tools:read')
    fail = false
    await userEvent.click(within(alert).getByRole('button', { name: 'Try again' }))
    expect(await screen.findByText('5 tools')).toBeTruthy()
  })
})

describe('the tool page', () => {
  it('shows what the tool is, how it authenticates, its actions and limits', async () => {
    renderApp('/tools/github', signedIn)
    expect(await screen.findByRole('heading', { level: 1, name: 'GitHub' })).toBeTruthy()
    const breadcrumb = screen.getByRole('navigation', { name: 'Breadcrumb' })
    expect(within(breadcrumb).getByRole('link', { name: 'Tools' })).toBeTruthy()
    const text = document.body.textContent
    expect(text).toContain('Repositories, issues and pull requests.')
    expect(text).toContain('2.1.0')
    expect(text).toContain('https://api.github.com')
    expect(text).toContain('Credentials can be checked')

    const auth = screen.getByRole('list', { name: 'Authentication methods' })
    expect(within(auth).getByRole('heading', { name: 'Personal access token' })).toBeTruthy()
    expect(auth.textContent).toContain('Token (required) — A fine-grained token.')
    expect(auth.textContent).toContain('Scopes asked for: repo, read:org')

    const actions = screen.getByRole('list', { name: 'Actions' })
    expect(within(actions).getByRole('heading', { name: 'Create an issue' })).toBeTruthy()
    expect(actions.textContent).toContain('github.create_issue')
    expect(actions.textContent).toContain(
      'Runs for at most 30 s · up to 3 attempts, not idempotent · scopes: repo',
    )
    expect(text).toContain('This tool sends no events to Toolplane')
    expect(text).toContain('5000 calls per 3600 s per credential')
  })

  it('filters a long list of actions and says when none match', async () => {
    const base = fullTool().actions[0]!
    const actions = Array.from({ length: 12 }, (_, i) => ({
      ...base,
      name: `op_${i}`,
      id: `big.op_${i}`,
      title: i === 7 ? 'Delete a widget' : `Operation ${i}`,
      retry: { maxAttempts: 1, idempotent: i === 7 ? ('depends_on_input' as const) : true },
      scopes: [],
    }))
    renderApp('/tools/big', {
      ...signedIn,
      'GET /v1/tools/big': () =>
        json(
          fullTool({
            slug: 'big',
            name: 'Big',
            source: 'imported',
            baseUrl: null,
            healthCheck: false,
            actions,
            triggers: [
              {
                event: 'widget.created',
                title: 'Widget created',
                description: 'A widget was made.',
                verifier: 'hmac',
              },
            ],
            rateLimits: [],
          }),
        ),
    })
    await screen.findByRole('heading', { level: 1, name: 'Big' })
    expect(document.body.textContent).toContain('Imported from an OpenAPI document')
    expect(screen.getByRole('list', { name: 'Events' }).textContent).toContain('widget.created')
    const filter = screen.getByRole('searchbox', { name: 'Filter actions' })
    const user = userEvent.setup()
    await user.type(filter, 'widget')
    const list = screen.getByRole('list', { name: 'Actions' })
    expect(
      within(list)
        .getAllByRole('heading')
        .map((h) => h.textContent),
    ).toEqual(['Delete a widget'])
    expect(list.textContent).toContain('1 attempt, idempotent depending on the input')
    await user.type(filter, 'zzz')
    expect(screen.getByRole('heading', { name: 'No actions match “widgetzzz”' })).toBeTruthy()
    await user.click(screen.getByRole('button', { name: 'Clear the filter' }))
    expect(within(screen.getByRole('list', { name: 'Actions' })).getAllByRole('heading')).toHaveLength(12)
  })

  it('says what to do when a tool has no actions or no way to authenticate', async () => {
    renderApp('/tools/empty', {
      ...signedIn,
      'GET /v1/tools/empty': () =>
        json(fullTool({ slug: 'empty', name: 'Empty', actions: [], authMethods: [], source: 'imported' })),
      'GET /v1/tools/plain': () =>
        json(fullTool({ slug: 'plain', name: 'Plain', actions: [], categories: [], description: '' })),
    })
    await screen.findByRole('heading', { level: 1, name: 'Empty' })
    expect(screen.getByRole('heading', { name: 'This tool has no actions' })).toBeTruthy()
    expect(document.body.textContent).toContain('POST /v1/tools/import')
    expect(screen.getByRole('heading', { name: 'No way to authenticate is declared' })).toBeTruthy()
  })

  it('explains an action-less plugin tool', async () => {
    renderApp('/tools/plain', {
      ...signedIn,
      'GET /v1/tools/plain': () =>
        json(fullTool({ slug: 'plain', name: 'Plain', actions: [], categories: [], description: '' })),
    })
    await screen.findByRole('heading', { level: 1, name: 'Plain' })
    expect(document.body.textContent).toContain('Its plugin declares none')
  })

  it('says when there is no such tool', async () => {
    renderApp('/tools/gitlab', signedIn)
    expect(await screen.findByRole('heading', { level: 1, name: 'Tool not found' })).toBeTruthy()
    expect(document.body.textContent).toContain('There is no tool gitlab in this workspace.')
    expect(screen.getByRole('link', { name: 'tool list' })).toBeTruthy()
  })

  it('shows a skeleton, then a failure with a retry', async () => {
    let fail = true
    renderApp('/tools/github', {
      ...signedIn,
      'GET /v1/tools/github': () => (fail ? problem(409, 'conflict', 'Busy.') : json(fullTool())),
    })
    expect(await screen.findByText('Loading the tool…')).toBeTruthy()
    const alert = await screen.findByRole('alert')
    expect(alert.textContent).toContain('Busy.')
    fail = false
    await userEvent.click(within(alert).getByRole('button', { name: 'Try again' }))
    expect(await screen.findByRole('heading', { level: 1, name: 'GitHub' })).toBeTruthy()
  })
})

describe('App', () => {
  it('puts the providers and the browser’s address together', async () => {
    window.history.pushState({}, '', '/sign-in')
    const server = fakeServer({})
    render(
      <App
        api={createApiClient({ fetch: server.fetch })}
        queryClient={testQueryClient()}
        theme={memoryThemeStore()}
      />,
    )
    expect(await screen.findByRole('heading', { level: 1, name: 'Sign in' })).toBeTruthy()
    expect(screen.getByRole('radiogroup', { name: 'Theme' })).toBeTruthy()
    window.history.pushState({}, '', '/')
  })
})
