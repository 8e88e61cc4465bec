import { screen, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it, vi } from 'vitest'
import { apiError, renderWithApp } from '../testing/render.js'
import { batchItem, failedItem } from '../testing/batches.js'
import { BatchItemList } from './BatchItemList.js'

describe('BatchItemList', () => {
  it('lists each item with its number, status, error, duration and a link to its execution', () => {
    renderWithApp(<BatchItemList items={[batchItem(0), failedItem(1)]} failedOnly={false} running={false} />)
    const rows = within(screen.getByRole('list', { name: 'Items' })).getAllByRole('listitem')
    expect(rows).toHaveLength(2)
    expect(rows[0]?.textContent).toContain('Item 1')
    expect(rows[0]?.textContent).toContain('Succeeded')
    expect(rows[0]?.textContent).toContain('120 ms')
    expect(rows[1]?.textContent).toContain('Failed')
    expect(rows[1]?.textContent).toContain('validation_error The upstream answered 400.')
    const link = within(rows[1]!).getByRole('link', { name: 'Execution of item 2' })
    expect(link.getAttribute('href')).toBe('/executions?execution=exec_1')
  })

  it('shows a dash for an item that has not run yet', () => {
    renderWithApp(
      <BatchItemList
        items={[batchItem(0, { status: 'queued', durationMs: null })]}
        failedOnly={false}
        running
      />,
    )
    expect(screen.getByRole('listitem').textContent).toContain('Queued')
    expect(screen.getByRole('listitem').textContent).toContain('—')
  })

  it('shows a skeleton while loading', () => {
    renderWithApp(<BatchItemList items={undefined} failedOnly={false} running />)
    expect(screen.getByRole('status').textContent).toBe('Loading the items…')
  })

  it('shows the error with a retry when the items cannot be read', async () => {
    const onRetry = vi.fn()
    const error = apiError()
    renderWithApp(
      <BatchItemList items={undefined} error={error} onRetry={onRetry} failedOnly={false} running />,
    )
    expect(screen.getByRole('alert').textContent).toContain('Oops.')
    await userEvent.click(screen.getByRole('button', { name: 'Try again' }))
    expect(onRetry).toHaveBeenCalledOnce()
  })

  it('keeps the items in view when a refresh fails', () => {
    const error = apiError({ status: 0, code: 'network_error', title: 'Offline', detail: 'No network.' })
    renderWithApp(<BatchItemList items={[batchItem(0)]} error={error} failedOnly={false} running />)
    expect(screen.getByRole('alert').textContent).toContain('The items could not be refreshed')
    expect(screen.getAllByRole('listitem')).toHaveLength(1)
  })

  it('says when no item failed, differently while the batch runs', () => {
    const { rerender } = renderWithApp(<BatchItemList items={[]} failedOnly running />)
    expect(screen.getByRole('heading', { name: 'No item has failed so far' })).toBeTruthy()
    rerender(<BatchItemList items={[]} failedOnly running={false} />)
    expect(screen.getByRole('heading', { name: 'No item failed' })).toBeTruthy()
  })
})
