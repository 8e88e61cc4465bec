import { act, screen, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { Route } from 'react-router'
import { describe, expect, it, vi } from 'vitest'
import { ApiError } from '../api/client.js'
import type { ToolSummary } from '../api/tools.js'
import { renderWithApp } from '../testing/render.js'
import { generatedTools, sampleTools } from '../testing/tools.js'
import { indexTools, searchTools, ToolBrowser, virtualizeAbove } from './ToolBrowser.js'

function renderBrowser(
  props: { tools?: ToolSummary[] | undefined; loading?: boolean; error?: unknown; onRetry?: () => void },
  path = '/tools',
) {
  return renderWithApp(
    <ToolBrowser
      tools={'tools' in props ? props.tools : sampleTools}
      loading={props.loading ?? false}
      error={props.error ?? null}
      {...(props.onRetry === undefined ? {} : { onRetry: props.onRetry })}
    />,
    { path, route: '/tools', routes: toolRoute },
  )
}

const toolRoute = <Route path="/tools/:slug" element={<p>A tool page</p>} />

function rowNames(): string[] {
  const list = screen.getByRole('list', { name: 'Tools' })
  return within(list)
    .getAllByRole('link')
    .map((link) => link.querySelector('.tool-row-name')?.textContent ?? '')
}

const searchBox = () => screen.getByRole('searchbox', { name: 'Search tools' })
const location = () => screen.getByTestId('location').textContent

describe('searchTools', () => {
  const index = indexTools(sampleTools)

  it('lists everything by name when there is no query', () => {
    expect(searchTools(index, '', new Set()).map((t) => t.slug)).toEqual([
      'smtp',
      'github',
      'http',
      'linear',
      'slack',
    ])
  })

  it('ranks a name match above a match in actions or descriptions', () => {
    // "issue" is in Linear's description and both tools' actions; neither name has it.
    expect(searchTools(index, 'git', new Set()).map((t) => t.slug)).toEqual(['github'])
    const issue = searchTools(index, 'issue', new Set()).map((t) => t.slug)
    expect(issue).toEqual(['github', 'linear'])
    expect(searchTools(index, 'linear', new Set())[0]?.slug).toBe('linear')
  })

  it('needs every word to match somewhere, in any field', () => {
    expect(searchTools(index, 'create issue', new Set()).map((t) => t.slug)).toEqual(['github', 'linear'])
    expect(searchTools(index, 'send email', new Set()).map((t) => t.slug)).toEqual(['smtp'])
    expect(searchTools(index, 'send nothing', new Set())).toEqual([])
  })

  it('keeps tools in any of the chosen categories', () => {
    const picked = searchTools(index, '', new Set(['Communication', 'Project management']))
    expect(picked.map((t) => t.slug).sort()).toEqual(['linear', 'slack', 'smtp'])
  })
})

describe('ToolBrowser', () => {
  it('shows a loading skeleton until the catalog arrives', () => {
    renderBrowser({ tools: undefined, loading: true })
    expect(screen.getByRole('status').textContent).toContain('Loading tools…')
    expect(screen.queryByRole('list', { name: 'Tools' })).toBeNull()
  })

  it('shows why the catalog could not load and retries on request', async () => {
    const onRetry = vi.fn()
    const error = new ApiError({
      status: 503,
      code: 'not_ready',
      title: 'Not ready',
      detail: 'The database is not available right now.',
      requestId: 'req-42',
    })
    renderBrowser({ tools: undefined, error, onRetry })
    const alert = screen.getByRole('alert')
    expect(alert.textContent).toContain('Not ready')
    expect(alert.textContent).toContain('The database is not available right now.')
    expect(alert.textContent).toContain('req-42')
    await userEvent.click(within(alert).getByRole('button', { name: 'Try again' }))
    expect(onRetry).toHaveBeenCalledOnce()
  })

  it('says what to do when no tools are installed', () => {
    renderBrowser({ tools: [] })
    expect(screen.getByRole('heading', { name: 'No tools are installed' })).toBeTruthy()
    expect(document.body.textContent).toContain('POST /v1/tools/import')
    expect(screen.queryByRole('list', { name: 'Tools' })).toBeNull()
  })

  it('filters as the user types, keeping the search in the address', async () => {
    renderBrowser({})
    expect(rowNames()).toHaveLength(5)
    expect(screen.getByRole('status').textContent).toBe('5 tools')
    await userEvent.type(searchBox(), 'sla')
    expect(rowNames()).toEqual(['Slack'])
    expect(screen.getByRole('status').textContent).toBe('1 of 5 tools')
    expect(location()).toBe('/tools?q=sla')
    await userEvent.clear(searchBox())
    expect(rowNames()).toHaveLength(5)
    expect(location()).toBe('/tools')
  })

  it('starts from the search and categories in the address', () => {
    renderBrowser({}, '/tools?q=issue&category=Project+management')
    expect((searchBox() as HTMLInputElement).value).toBe('issue')
    expect(rowNames()).toEqual(['Linear'])
    expect(screen.getByRole('button', { name: /Project management/ }).getAttribute('aria-pressed')).toBe(
      'true',
    )
  })

  it('filters by categories with toggle chips, any of the chosen ones', async () => {
    renderBrowser({})
    const communication = screen.getByRole('button', { name: /Communication/ })
    expect(communication.textContent).toContain('2')
    await userEvent.click(communication)
    expect(communication.getAttribute('aria-pressed')).toBe('true')
    expect(rowNames()).toEqual(['Email (SMTP)', 'Slack'])
    expect(location()).toBe('/tools?category=Communication')
    await userEvent.click(screen.getByRole('button', { name: /Project management/ }))
    expect(rowNames()).toEqual(['Email (SMTP)', 'Linear', 'Slack'])
    await userEvent.click(communication)
    expect(rowNames()).toEqual(['Linear'])
  })

  it('moves between category chips with the arrow keys and toggles one with Space', async () => {
    renderBrowser({})
    const user = userEvent.setup()
    const chips = screen.getAllByRole('button').filter((b) => b.classList.contains('chip'))
    expect(chips.map((c) => c.textContent)).toEqual([
      'Communication 2',
      'Developer tools 2',
      'Project management 1',
    ])
    act(() => {
      chips[0]!.focus()
    })
    await user.keyboard('{ArrowRight}')
    expect(document.activeElement).toBe(chips[1])
    await user.keyboard(' ')
    expect(chips[1]!.getAttribute('aria-pressed')).toBe('true')
    expect(rowNames()).toEqual(['GitHub', 'Linear'])
    // The chips are one stop for Tab: it leaves them for the list.
    await user.tab()
    expect(document.activeElement?.closest('.chips')).toBeNull()
  })

  it('says when nothing matches and clears the search and filters on request', async () => {
    renderBrowser({})
    await userEvent.click(screen.getByRole('button', { name: /Communication/ }))
    await userEvent.type(searchBox(), 'zzz')
    expect(screen.getByRole('heading', { name: 'No tools match “zzz”' })).toBeTruthy()
    expect(screen.queryByRole('list', { name: 'Tools' })).toBeNull()
    await userEvent.click(screen.getByRole('button', { name: 'Clear search and filters' }))
    expect(rowNames()).toHaveLength(5)
    expect(document.activeElement).toBe(searchBox())
    expect(location()).toBe('/tools')
  })

  it('names the empty result of categories alone', () => {
    renderBrowser({}, '/tools?category=Nothing')
    expect(screen.getByRole('heading', { name: 'No tools in the chosen categories' })).toBeTruthy()
  })

  it('moves through the results with the arrow keys and opens one with Enter', async () => {
    renderWithApp(<ToolBrowser tools={sampleTools} loading={false} error={null} />, {
      path: '/tools',
      route: '/tools',
      routes: toolRoute,
    })
    const user = userEvent.setup()
    await user.click(searchBox())
    await user.keyboard('{ArrowDown}')
    expect(document.activeElement?.textContent).toContain('Email (SMTP)')
    await user.keyboard('{ArrowDown}{ArrowDown}')
    expect(document.activeElement?.textContent).toContain('HTTP')
    await user.keyboard('{End}')
    expect(document.activeElement?.textContent).toContain('Slack')
    await user.keyboard('{Home}')
    expect(document.activeElement?.textContent).toContain('Email (SMTP)')
    await user.keyboard('{PageDown}')
    expect(document.activeElement?.textContent).toContain('Slack')
    await user.keyboard('{PageUp}{ArrowUp}')
    expect(document.activeElement).toBe(searchBox())
    // Only the active row is in the tab order.
    const tabbable = screen.getAllByRole('link').filter((link) => link.tabIndex === 0)
    expect(tabbable).toHaveLength(1)
    await user.keyboard('{ArrowDown}{ArrowDown}{Enter}')
    expect(location()).toBe('/tools/github')
  })

  it('opens the first result with Enter in the search box', async () => {
    renderBrowser({})
    const user = userEvent.setup()
    await user.type(searchBox(), 'slack{Enter}')
    expect(location()).toBe('/tools/slack')
  })

  it('makes a row focused by Tab or click the one the arrows move from', async () => {
    renderBrowser({})
    const user = userEvent.setup()
    const linear = screen.getByRole('link', { name: /Linear/ })
    act(() => {
      linear.focus()
    })
    expect(linear.tabIndex).toBe(0)
    await user.keyboard('{ArrowDown}')
    expect(document.activeElement?.textContent).toContain('Slack')
  })

  it('renders only a window of 2,000 tools and still reaches the last by keyboard', async () => {
    const tools = generatedTools(2000)
    expect(tools.length).toBeGreaterThan(virtualizeAbove)
    renderBrowser({ tools })
    const list = screen.getByRole('list', { name: 'Tools' })
    const rendered = within(list).getAllByRole('listitem')
    expect(rendered.length).toBeGreaterThan(5)
    expect(rendered.length).toBeLessThan(100)
    expect(rendered[0]?.getAttribute('aria-setsize')).toBe('2000')
    expect(rendered[0]?.getAttribute('aria-posinset')).toBe('1')
    expect(screen.getByRole('status').textContent).toBe('2,000 tools')

    const user = userEvent.setup()
    await user.click(searchBox())
    await user.keyboard('{ArrowDown}{End}')
    expect(document.activeElement?.textContent).toContain('Tool 2000')
    expect(document.activeElement?.closest('li')?.getAttribute('aria-posinset')).toBe('2000')
    expect(within(list).getAllByRole('listitem').length).toBeLessThan(100)

    await user.keyboard('{PageUp}')
    expect(document.activeElement?.textContent).toContain('Tool 1990')
  })

  it('filters 2,000 tools as the user types and stops virtualising when few are left', async () => {
    renderBrowser({ tools: generatedTools(2000) })
    await userEvent.type(searchBox(), 'tool 123')
    const expected = ['0123', '1123', ...Array.from({ length: 10 }, (_, i) => `123${i}`)].map(
      (n) => `Tool ${n}`,
    )
    expect(rowNames()).toEqual(expected)
    expect(screen.getByRole('list', { name: 'Tools' }).hasAttribute('data-virtual')).toBe(false)
    expect(screen.getByRole('status').textContent).toBe('12 of 2,000 tools')
  })
})
