import { render, screen } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { useState } from 'react'
import { describe, expect, it, vi } from 'vitest'
import { ApiError } from '../api/client.js'
import { ApiErrorDisplay, describeError, ErrorHandler, isChunkLoadError } from './ErrorHandler.js'

const validation = new ApiError({
  status: 400,
  code: 'validation_error',
  title: 'The request is not valid',
  detail: '2 fields are not valid; see errors.',
  errors: [
    { path: '/body/email', message: 'is required' },
    { path: '/query/limit', message: 'must be <= 200' },
    { path: '/body', message: 'must be an object' },
  ],
  requestId: 'req-7',
})

describe('ApiErrorDisplay', () => {
  it('shows a problem’s title, detail, fields and request id as an alert', () => {
    render(<ApiErrorDisplay error={validation} />)
    const alert = screen.getByRole('alert')
    expect(screen.getByRole('heading', { level: 2, name: 'The request is not valid' })).toBeTruthy()
    expect(alert.textContent).toContain('2 fields are not valid; see errors.')
    const fields = screen.getAllByRole('listitem').map((li) => li.textContent)
    expect(fields).toEqual(['email is required', 'limit must be <= 200', 'request must be an object'])
    expect(alert.textContent).toContain('Request id req-7')
    expect(screen.queryByRole('button')).toBeNull()
  })

  it('says when to try again and offers to', async () => {
    const onRetry = vi.fn()
    const limited = (retryAfter: number) =>
      new ApiError({
        status: 429,
        code: 'rate_limited',
        title: 'Too many requests',
        detail: 'Slow down.',
        retryAfter,
      })
    const { rerender } = render(<ApiErrorDisplay error={limited(1)} onRetry={onRetry} headingLevel={3} />)
    expect(screen.getByRole('heading', { level: 3 })).toBeTruthy()
    expect(screen.getByRole('alert').textContent).toContain('You can try again in 1 second.')
    rerender(<ApiErrorDisplay error={limited(30)} onRetry={onRetry} />)
    expect(screen.getByRole('alert').textContent).toContain('in 30 seconds')
    rerender(<ApiErrorDisplay error={limited(61)} onRetry={onRetry} />)
    expect(screen.getByRole('alert').textContent).toContain('in 2 minutes')
    rerender(<ApiErrorDisplay error={limited(60)} onRetry={onRetry} />)
    expect(screen.getByRole('alert').textContent).toContain('in 1 minute.')
    await userEvent.click(screen.getByRole('button', { name: 'Try again' }))
    expect(onRetry).toHaveBeenCalledOnce()
  })

  it('uses a title given for the context and can take focus', () => {
    render(<ApiErrorDisplay error={validation} title="Could not sign in" focusOnMount />)
    const heading = screen.getByRole('heading', { name: 'Could not sign in' })
    expect(document.activeElement).toBe(heading)
  })

  it('never shows the message or stack of an error that is not from the API', () => {
    const error = new TypeError("Cannot read properties of undefined (reading 'slug')")
    error.stack = 'TypeError: Cannot read…\n    at ToolPage (ToolPage.tsx:12:3)'
    render(<ApiErrorDisplay error={error} />)
    const alert = screen.getByRole('alert')
    expect(alert.textContent).toContain('Something went wrong')
    expect(alert.textContent).not.toContain('Cannot read')
    expect(alert.textContent).not.toContain('ToolPage.tsx')
    expect(alert.textContent).not.toContain('Request id')
  })
})

describe('describeError', () => {
  it('describes anything thrown, even a string', () => {
    expect(describeError('oops')).toMatchObject({ title: 'Something went wrong', code: null, errors: [] })
    expect(describeError(validation)).toMatchObject({
      code: 'validation_error',
      status: 400,
      requestId: 'req-7',
    })
  })
})

describe('isChunkLoadError', () => {
  it('recognises a page that failed to download, in each browser’s words', () => {
    expect(isChunkLoadError(new TypeError('Failed to fetch dynamically imported module: /assets/x.js'))).toBe(
      true,
    )
    expect(isChunkLoadError(new TypeError('Importing a module script failed.'))).toBe(true)
    expect(isChunkLoadError(new TypeError('error loading dynamically imported module'))).toBe(true)
    expect(isChunkLoadError(Object.assign(new Error('x'), { name: 'ChunkLoadError' }))).toBe(true)
    expect(isChunkLoadError(new Error('something else'))).toBe(false)
    expect(isChunkLoadError('Importing a module script failed.')).toBe(false)
  })
})

function Bomb({ error }: { error: unknown }): never {
  throw error
}

describe('ErrorHandler', () => {
  it('shows a recoverable message instead of the page that failed, and renders it again on "Try again"', async () => {
    const onReset = vi.fn()
    function Flaky() {
      const [broken, setBroken] = useState(true)
      return (
        <ErrorHandler
          onReset={() => {
            onReset()
            setBroken(false)
          }}
        >
          {broken ? <Bomb error={new Error('render failed')} /> : <p>The page is back.</p>}
        </ErrorHandler>
      )
    }
    const consoleError = vi.spyOn(console, 'error').mockImplementation(() => undefined)
    render(<Flaky />)
    const heading = screen.getByRole('heading', { name: 'Something went wrong' })
    expect(document.activeElement).toBe(heading)
    expect(screen.getByRole('alert').textContent).not.toContain('render failed')
    expect(screen.getByRole('link', { name: 'reload the page' })).toBeTruthy()
    await userEvent.click(screen.getByRole('button', { name: 'Try again' }))
    expect(onReset).toHaveBeenCalledOnce()
    expect(screen.getByText('The page is back.')).toBeTruthy()
    consoleError.mockRestore()
  })

  it('shows an API error thrown while rendering as the problem it is', () => {
    const consoleError = vi.spyOn(console, 'error').mockImplementation(() => undefined)
    render(
      <ErrorHandler>
        <Bomb error={validation} />
      </ErrorHandler>,
    )
    expect(screen.getByRole('heading', { name: 'The request is not valid' })).toBeTruthy()
    consoleError.mockRestore()
  })

  it('clears itself when its reset keys change (the user went to another page)', () => {
    const consoleError = vi.spyOn(console, 'error').mockImplementation(() => undefined)
    const { rerender } = render(
      <ErrorHandler resetKeys={['/tools/broken']}>
        <Bomb error={new Error('x')} />
      </ErrorHandler>,
    )
    expect(screen.getByRole('alert')).toBeTruthy()
    rerender(
      <ErrorHandler resetKeys={['/tools/broken']}>
        <p>Other page</p>
      </ErrorHandler>,
    )
    expect(screen.getByRole('alert')).toBeTruthy()
    rerender(
      <ErrorHandler resetKeys={['/tools']}>
        <p>Other page</p>
      </ErrorHandler>,
    )
    expect(screen.queryByRole('alert')).toBeNull()
    expect(screen.getByText('Other page')).toBeTruthy()
    consoleError.mockRestore()
  })

  it('offers to reload when part of the app failed to download after an update', async () => {
    const consoleError = vi.spyOn(console, 'error').mockImplementation(() => undefined)
    const reload = vi.fn()
    const original = window.location
    const stand = Object.create(original, { reload: { value: reload } }) as Location
    Object.defineProperty(window, 'location', { configurable: true, value: stand })
    try {
      render(
        <ErrorHandler>
          <Bomb error={new TypeError('Failed to fetch dynamically imported module: /assets/ToolPage.js')} />
        </ErrorHandler>,
      )
      expect(screen.getByRole('heading', { name: 'Toolplane was updated' })).toBeTruthy()
      await userEvent.click(screen.getByRole('button', { name: 'Reload the page' }))
      expect(reload).toHaveBeenCalledOnce()
    } finally {
      Object.defineProperty(window, 'location', { configurable: true, value: original })
      consoleError.mockRestore()
    }
  })
})
