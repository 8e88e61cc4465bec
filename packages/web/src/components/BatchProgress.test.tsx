import { screen } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it, vi } from 'vitest'
import { ApiError } from '../api/client.js'
import { renderWithApp } from '../testing/render.js'
import { batch } from '../testing/batches.js'
import { BatchProgress, BatchStatusLabel, batchName, countsText } from './BatchProgress.js'

describe('BatchProgress', () => {
  it('shows a labelled progress bar with the numbers in words', () => {
    renderWithApp(<BatchProgress batch={batch()} />)
    const bar = screen.getByRole('progressbar', { name: 'Progress' })
    expect(bar.getAttribute('aria-valuenow')).toBe('12')
    expect(bar.getAttribute('aria-valuemax')).toBe('20')
    expect(bar.getAttribute('aria-valuetext')).toBe('12 of 20 items finished')
    expect(screen.getByText('10 succeeded · 2 failed · 3 running · 5 queued')).toBeTruthy()
  })

  it('takes a label of its own, for pages with several bars', () => {
    renderWithApp(<BatchProgress batch={batch()} label="Progress of Batch 1" />)
    expect(screen.getByRole('progressbar', { name: 'Progress of Batch 1' })).toBeTruthy()
  })

  it('shows a loading status while the batch loads', () => {
    renderWithApp(<BatchProgress batch={undefined} />)
    expect(screen.getByRole('status').textContent).toBe('Loading the batch’s progress…')
    expect(screen.queryByRole('progressbar')).toBeNull()
  })

  it('shows why the batch could not be read, with a retry', async () => {
    const onRetry = vi.fn()
    const error = new ApiError({
      status: 503,
      code: 'unavailable',
      title: 'Unavailable',
      detail: 'Try later.',
    })
    renderWithApp(<BatchProgress batch={undefined} error={error} onRetry={onRetry} />)
    expect(screen.getByRole('alert').textContent).toContain('Try later.')
    await userEvent.click(screen.getByRole('button', { name: 'Try again' }))
    expect(onRetry).toHaveBeenCalledOnce()
  })

  it('says so when a batch has no items', () => {
    const empty = batch({ counts: { total: 0, queued: 0, running: 0, succeeded: 0, failed: 0 } })
    renderWithApp(<BatchProgress batch={empty} />)
    expect(screen.getByText('This batch has no items.')).toBeTruthy()
  })
})

describe('BatchStatusLabel', () => {
  it('says a batch with failed items completed, and counts the failures beside it', () => {
    renderWithApp(<BatchStatusLabel status="completed" counts={batch().counts} />)
    expect(screen.getByText(/Completed/).textContent).toBe('✓ Completed, 2 items failed')
  })

  it('says running without counting failures yet', () => {
    renderWithApp(<BatchStatusLabel status="running" counts={batch().counts} />)
    expect(screen.getByText(/Running/).textContent).toBe('◔ Running')
  })
})

describe('helpers', () => {
  it('leaves out zero counts, but always says succeeded and failed', () => {
    expect(countsText({ total: 3, queued: 0, running: 0, succeeded: 3, failed: 0, cancelled: 0 })).toBe(
      '3 succeeded · 0 failed',
    )
    expect(countsText({ total: 3, queued: 0, running: 0, succeeded: 1, failed: 0, cancelled: 2 })).toBe(
      '1 succeeded · 0 failed · 2 cancelled',
    )
    expect(batchName('0190f3a2-7c1e-7000-8000-00000000abcd')).toBe('Batch 0000abcd')
  })
})
