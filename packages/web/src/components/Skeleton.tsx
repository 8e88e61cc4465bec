/**
 * Placeholders shown while a page's code or data loads: grey blocks of the shape to come (they do not
 * move when the user prefers reduced motion) and, for screen readers, a polite "Loading …" status.
 */

/**
 * A whole page loading: a title and a few lines.
 *
 * @example
 * <Suspense fallback={<PageSkeleton />}><ToolsPage /></Suspense>
 */
export function PageSkeleton({ label = 'Loading page…' }: { label?: string }) {
  return (
    <div className="skeleton-page" role="status">
      <span className="visually-hidden">{label}</span>
      <div className="skeleton skeleton-title" aria-hidden="true" />
      <div className="skeleton skeleton-line" aria-hidden="true" />
      <div className="skeleton skeleton-line skeleton-short" aria-hidden="true" />
      <ListSkeleton rows={4} label={null} />
    </div>
  )
}

/**
 * A list loading: `rows` rows of the list's own height.
 *
 * @example
 * {tools.isPending && <ListSkeleton rows={8} label="Loading tools…" />}
 */
export function ListSkeleton({ rows, label }: { rows: number; label: string | null }) {
  const blocks = Array.from({ length: rows }, (_, i) => (
    <div key={i} className="skeleton skeleton-row" aria-hidden="true" />
  ))
  if (label === null) return <div className="skeleton-list">{blocks}</div>
  return (
    <div className="skeleton-list" role="status">
      <span className="visually-hidden">{label}</span>
      {blocks}
    </div>
  )
}
