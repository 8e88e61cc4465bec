import { screen } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it } from 'vitest'
import { usage } from '../testing/batches.js'
import { fakeServer, json, problem, renderWithApp } from '../testing/render.js'
import type { Handler } from '../testing/render.js'
import { sampleTools } from '../testing/tools.js'
import UsagePage, { recentPeriods } from './UsagePage.js'

const session = (role: string) => ({
  workspace: { id: 'ws_1', slug: 'acme', name: 'Acme' },
  scopes: [],
  principal: { type: 'user', id: 'u1', email: 'a@example.com', name: null, role, hasPassword: true },
  csrfToken: 'csrf',
})

function renderPage(usageHandler: Handler, path = '/usage', role = 'owner') {
  const fake = fakeServer({
    'GET /v1/me': () => json(session(role)),
    'GET /v1/tools': () => json({ data: sampleTools, nextCursor: null }),
    'GET /v1/usage': usageHandler,
  })
  renderWithApp(<UsagePage />, { path, route: '/usage', fetch: fake.fetch })
  return fake
}

describe('UsagePage', () => {
  it('shows this month’s quota and executions per tool, with the link to settings for an owner', async () => {
    renderPage(() => json(usage()))
    await screen.findByRole('meter', { name: 'Executions this month' })
    expect(
      screen.getByRole('list', { name: 'Executions per tool this month, most first' }).textContent,
    ).toContain('HTTP100 executions')
    await screen.findByRole('link', { name: 'Change the monthly quota in Settings' })
  })

  it('hides the settings link from a developer', async () => {
    renderPage(() => json(usage()), '/usage', 'developer')
    await screen.findByRole('meter')
    // The session has loaded by the time the tool names have.
    await screen.findByRole('link', { name: 'HTTP' })
    expect(screen.queryByRole('link', { name: /Settings/ })).toBeNull()
  })

  it('reads the month from the address, and writes the chosen month back', async () => {
    const user = userEvent.setup()
    const periods = recentPeriods(new Date(), 3)
    const fake = renderPage((request) => {
      const period = request.search.get('period')
      return json(
        usage({ period: period ?? periods[0]!, byTool: period === null ? usage().byTool : [], used: 0 }),
      )
    }, `/usage?period=${periods[2]}`)
    await screen.findByRole('heading', { name: /^No executions in / })
    expect(fake.requests.find((r) => r.path === '/v1/usage')?.search.get('period')).toBe(periods[2])
    await user.click(screen.getByRole('button', { name: /Month/ }))
    await user.click(await screen.findByRole('option', { name: /this month/ }))
    await screen.findByRole('meter', { name: 'Executions this month' })
    expect(screen.getByTestId('location').textContent).toBe('/usage')
  })

  it('shows an error with a retry', async () => {
    renderPage(() => problem(500, 'internal_error', 'The usage could not be read.'))
    const alert = await screen.findByRole('alert', {}, { timeout: 8000 })
    expect(alert.textContent).toContain('The usage could not be read.')
  })

  it('lists recent months newest first', () => {
    expect(recentPeriods(new Date('2026-02-10T00:00:00Z'), 3)).toEqual(['2026-02', '2026-01', '2025-12'])
  })
})
