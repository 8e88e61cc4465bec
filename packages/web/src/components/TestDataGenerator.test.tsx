import { screen, waitFor } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it, vi } from 'vitest'
import { fakeServer, json, problem, renderWithApp } from '../testing/render.js'
import { TestDataGenerator } from './TestDataGenerator.js'

describe('TestDataGenerator', () => {
  it('fills the form with a sample, a new seed each press, and says so', async () => {
    const server = fakeServer({
      'GET /v1/tools/http/actions/request/sample-input': (request) => {
        const seed = Number(request.search.get('seed'))
        return json({ seed, input: { method: 'GET', url: `/v1/items/${seed}` } })
      },
    })
    const onFill = vi.fn()
    renderWithApp(<TestDataGenerator tool="http" action="request" onFill={onFill} initialSeed={7} />, {
      fetch: server.fetch,
    })
    await userEvent.click(screen.getByRole('button', { name: 'Fill with sample data' }))
    await waitFor(() => {
      expect(onFill).toHaveBeenCalledWith({ method: 'GET', url: '/v1/items/7' })
    })
    expect(screen.getByRole('status').textContent).toContain(
      'The form was filled with sample data (sample 1, seed 7)',
    )
    await userEvent.click(screen.getByRole('button', { name: 'Fill with sample data' }))
    await waitFor(() => {
      expect(onFill).toHaveBeenLastCalledWith({ method: 'GET', url: '/v1/items/8' })
    })
    expect(server.requests.map((r) => r.search.get('seed'))).toEqual(['7', '8'])
    expect(screen.getByRole('status').textContent).toContain('sample 2, seed 8')
  })

  it('shows why no sample came, and tries again', async () => {
    let fail = true
    const server = fakeServer({
      'GET /v1/tools/http/actions/nope/sample-input': () =>
        fail
          ? problem(404, 'not_found', 'The tool "http" has no action "nope".')
          : json({ seed: 1, input: {} }),
    })
    const onFill = vi.fn()
    renderWithApp(<TestDataGenerator tool="http" action="nope" onFill={onFill} initialSeed={0} />, {
      fetch: server.fetch,
    })
    await userEvent.click(screen.getByRole('button', { name: 'Fill with sample data' }))
    const alert = await screen.findByRole('alert')
    expect(alert.textContent).toContain('Could not get sample data')
    expect(alert.textContent).toContain('has no action "nope"')
    expect(onFill).not.toHaveBeenCalled()
    fail = false
    await userEvent.click(screen.getByRole('button', { name: 'Try again' }))
    await waitFor(() => {
      expect(onFill).toHaveBeenCalledWith({})
    })
    expect(screen.queryByRole('alert')).toBeNull()
  })
})
