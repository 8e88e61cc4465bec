import { Component, useEffect, useRef } from 'react'
import type { ReactNode } from 'react'
import { Button } from 'react-aria-components'
import { isApiError } from '../api/client.js'
import type { FieldError } from '../api/client.js'

/** What the user is told about an error: words to act on, never a stack or an internal message. */
export interface ErrorDescription {
  readonly title: string
  readonly detail: string
  readonly code: string | null
  readonly status: number | null
  readonly errors: readonly FieldError[]
  readonly requestId: string | null
  readonly retryAfter: number | null
}

/**
 * Describes any error for display. An `ApiError` says what the server said; anything else is a
 * fault in the page, described in general words: its message may be internal and is not shown.
 *
 * @example
 * describeError(new TypeError('x is undefined')).title // 'Something went wrong'
 */
export function describeError(error: unknown): ErrorDescription {
  if (isApiError(error)) {
    return {
      title: error.title,
      detail: error.detail,
      code: error.code,
      status: error.status,
      errors: error.errors,
      requestId: error.requestId,
      retryAfter: error.retryAfter,
    }
  }
  if (isChunkLoadError(error)) {
    return {
      title: 'Toolplane was updated',
      detail:
        'Part of this page could not be loaded, most likely because a newer version is running now. Reload the page.',
      code: null,
      status: null,
      errors: [],
      requestId: null,
      retryAfter: null,
    }
  }
  return {
    title: 'Something went wrong',
    detail:
      'This page ran into a problem it could not handle. Try again; if it keeps happening, reload the page.',
    code: null,
    status: null,
    errors: [],
    requestId: null,
    retryAfter: null,
  }
}

/** Whether a lazily loaded part of the app failed to download (a new version replaced the old files). */
export function isChunkLoadError(error: unknown): boolean {
  if (!(error instanceof Error)) return false
  return (
    error.name === 'ChunkLoadError' ||
    /dynamically imported module|Importing a module script failed|error loading dynamically imported module/i.test(
      error.message,
    )
  )
}

/** A field's name from a problem's JSON pointer: `/body/scopes/0` → `scopes/0`. */
function fieldName(path: string): string {
  const name = path.replace(/^\/(?:body|query|params|headers)(?=\/|$)/, '').replace(/^\//, '')
  return name === '' ? 'request' : name
}

function seconds(value: number): string {
  if (value < 60) return value === 1 ? '1 second' : `${value} seconds`
  const minutes = Math.ceil(value / 60)
  return minutes === 1 ? '1 minute' : `${minutes} minutes`
}

export interface ApiErrorDisplayProps {
  readonly error: unknown
  /** Shown as a "Try again" button when given. */
  readonly onRetry?: () => void
  /** The retry button's label; "Try again" by default. */
  readonly retryLabel?: string
  /** Replaces the problem's own title (e.g. "Could not sign in"). */
  readonly title?: string
  readonly headingLevel?: 2 | 3
  /** Moves focus to the message when it appears (for errors that replace the page's content). */
  readonly focusOnMount?: boolean
  readonly children?: ReactNode
}

/**
 * Shows an error from the API (or any other) as an alert: its title and detail, the fields at fault,
 * when to try again, and the request id to quote. Never a stack.
 *
 * @example
 * if (tools.error) return <ApiErrorDisplay error={tools.error} onRetry={() => void tools.refetch()} />
 */
export function ApiErrorDisplay({
  error,
  onRetry,
  retryLabel = 'Try again',
  title,
  headingLevel = 2,
  focusOnMount = false,
  children,
}: ApiErrorDisplayProps) {
  const description = describeError(error)
  const Heading = headingLevel === 2 ? 'h2' : 'h3'
  const heading = useRef<HTMLHeadingElement>(null)
  useEffect(() => {
    if (focusOnMount) heading.current?.focus()
  }, [focusOnMount])

  return (
    <div className="error-panel" role="alert">
      <Heading ref={heading} tabIndex={-1} className="error-panel-title">
        {title ?? description.title}
      </Heading>
      <p>{description.detail}</p>
      {description.errors.length > 0 && (
        <ul className="error-panel-fields">
          {description.errors.map((field) => (
            <li key={`${field.path}:${field.message}`}>
              <code>{fieldName(field.path)}</code> {field.message}
            </li>
          ))}
        </ul>
      )}
      {description.retryAfter !== null && description.retryAfter > 0 && (
        <p>You can try again in {seconds(description.retryAfter)}.</p>
      )}
      {children}
      {onRetry !== undefined && (
        <div className="button-row">
          <Button className="button" onPress={onRetry}>
            {retryLabel}
          </Button>
        </div>
      )}
      {description.requestId !== null && (
        <p className="error-panel-request">
          Request id <code>{description.requestId}</code>: quote it if you report this problem.
        </p>
      )}
    </div>
  )
}

function reloadPage() {
  window.location.reload()
}

export interface ErrorHandlerProps {
  readonly children: ReactNode
  /** When any of these change (the page's path), a shown error is cleared and the children render again. */
  readonly resetKeys?: readonly unknown[]
  /** Called when the user asks to try again, before the children render again. */
  readonly onReset?: () => void
}

interface ErrorHandlerState {
  readonly error: unknown
  readonly failed: boolean
}

function changed(a: readonly unknown[] = [], b: readonly unknown[] = []): boolean {
  return a.length !== b.length || a.some((value, i) => !Object.is(value, b[i]))
}

/**
 * An error boundary: when anything below it throws while rendering, it shows what happened with a
 * "Try again" button instead of a blank page, and clears itself when the user goes to another page.
 * A part of the app that failed to download (after an update) offers to reload the page.
 *
 * @example
 * <ErrorHandler resetKeys={[location.pathname]}>
 *   <Suspense fallback={<PageSkeleton />}><Outlet /></Suspense>
 * </ErrorHandler>
 */
export class ErrorHandler extends Component<ErrorHandlerProps, ErrorHandlerState> {
  override state: ErrorHandlerState = { error: null, failed: false }

  static getDerivedStateFromError(error: unknown): ErrorHandlerState {
    return { error, failed: true }
  }

  override componentDidUpdate(previous: ErrorHandlerProps): void {
    if (this.state.failed && changed(previous.resetKeys, this.props.resetKeys)) {
      this.setState({ error: null, failed: false })
    }
  }

  private readonly reset = () => {
    this.props.onReset?.()
    this.setState({ error: null, failed: false })
  }

  override render(): ReactNode {
    if (!this.state.failed) return this.props.children
    const chunk = isChunkLoadError(this.state.error)
    return (
      <ApiErrorDisplay
        error={this.state.error}
        focusOnMount
        onRetry={chunk ? reloadPage : this.reset}
        retryLabel={chunk ? 'Reload the page' : 'Try again'}
      >
        {chunk ? null : (
          <p>
            If it keeps failing, <a href={window.location.pathname}>reload the page</a>.
          </p>
        )}
      </ApiErrorDisplay>
    )
  }
}
