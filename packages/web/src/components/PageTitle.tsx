import { useEffect, useRef } from 'react'
import type { ReactNode } from 'react'
import { useLocation } from 'react-router'

/** The performance mark set when the first page of a visit has rendered; bench/web-ui.ts times it. */
export const firstPageMark = 'toolplane:first-page'

/**
 * A page's `<h1>`, which also sets the document title. After an in-app navigation it takes focus, so
 * keyboard and screen-reader users start at the new page's title (a full page load starts at the top).
 *
 * @example
 * <PageTitle title="Tools" />
 * <PageTitle title={tool.name}>{tool.name} <span className="muted">v{tool.version}</span></PageTitle>
 */
export function PageTitle({ title, children }: { title: string; children?: ReactNode }) {
  const heading = useRef<HTMLHeadingElement>(null)
  const location = useLocation()
  const navigated = useRef(location.key !== 'default').current

  useEffect(() => {
    document.title = `${title} · Toolplane`
  }, [title])

  useEffect(() => {
    if (navigated) heading.current?.focus()
    if (typeof performance.mark === 'function' && performance.getEntriesByName(firstPageMark).length === 0) {
      performance.mark(firstPageMark)
    }
    // Only when the page first shows: a heading that changes later must not pull focus back.
  }, [])

  return (
    <h1 ref={heading} tabIndex={-1} className="page-title">
      {children ?? title}
    </h1>
  )
}
