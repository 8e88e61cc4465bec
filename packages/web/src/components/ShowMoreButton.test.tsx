import { render, screen } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it, vi } from 'vitest'
import { ShowMoreButton } from './ShowMoreButton.js'

const query = (over: { hasNextPage?: boolean; isFetchingNextPage?: boolean } = {}) => ({
  hasNextPage: true,
  isFetchingNextPage: false,
  fetchNextPage: vi.fn(() => Promise.resolve()),
  ...over,
})

describe('ShowMoreButton', () => {
  it('fetches the next page when pressed', async () => {
    const q = query()
    render(<ShowMoreButton query={q} label="Show more keys" loadingLabel="Loading more keys…" />)
    await userEvent.click(screen.getByRole('button', { name: 'Show more keys' }))
    expect(q.fetchNextPage).toHaveBeenCalledOnce()
  })

  it('says it is loading, and asks for no second page meanwhile', async () => {
    const q = query({ isFetchingNextPage: true })
    render(<ShowMoreButton query={q} label="Show more keys" loadingLabel="Loading more keys…" />)
    await userEvent.click(screen.getByRole('button', { name: 'Loading more keys…' }))
    expect(q.fetchNextPage).not.toHaveBeenCalled()
  })

  it('is not there when there is no next page', () => {
    render(<ShowMoreButton query={query({ hasNextPage: false })} label="Show more" loadingLabel="Loading…" />)
    expect(screen.queryByRole('button')).toBeNull()
  })
})
