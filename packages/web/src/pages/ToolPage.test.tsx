import { screen } from '@testing-library/react'
import { describe, expect, it } from 'vitest'
import { fakeServer, json, renderWithApp } from '../testing/render.js'
import { fullTool } from '../testing/tools.js'
import ToolPage from './ToolPage.js'

function renderTool(tool = fullTool()) {
  const server = fakeServer({ [`GET /v1/tools/${tool.slug}`]: () => json(tool) })
  renderWithApp(<ToolPage />, { path: `/tools/${tool.slug}`, route: '/tools/:slug', fetch: server.fetch })
}

describe('ToolPage', () => {
  it('links each action to its page and the tool to adding a credential', async () => {
    renderTool()
    const run = await screen.findByRole('link', { name: 'Run Create an issue' })
    expect(run.getAttribute('href')).toBe('/tools/github/actions/create_issue')
    expect(screen.getByRole('link', { name: 'Add a credential' }).getAttribute('href')).toBe(
      '/credentials?tool=github',
    )
  })

  it('offers no credential to add for a tool that needs none', async () => {
    renderTool(
      fullTool({
        slug: 'echo',
        name: 'Echo',
        authMethods: [
          { id: 'none', kind: 'none', title: 'None', fields: { type: 'object', properties: {} } },
        ],
      }),
    )
    await screen.findByRole('heading', { level: 1, name: 'Echo' })
    expect(screen.queryByRole('link', { name: 'Add a credential' })).toBeNull()
    expect(screen.getByRole('link', { name: /^Run/ })).toBeTruthy()
  })
})
