import type { ReactNode } from 'react'

/**
 * What a list shows when it has nothing: what is (not) there and what to do next.
 *
 * @example
 * <EmptyState title="No tools match “gitlab”" action={<Button onPress={clear}>Clear the search</Button>}>
 *   Search by a tool’s name, a category or an action.
 * </EmptyState>
 */
export function EmptyState({
  title,
  children,
  action,
  headingLevel = 2,
}: {
  title: string
  children: ReactNode
  action?: ReactNode
  headingLevel?: 2 | 3
}) {
  const Heading = headingLevel === 2 ? 'h2' : 'h3'
  return (
    <div className="empty-state">
      <Heading className="empty-state-title">{title}</Heading>
      <div className="empty-state-body">{children}</div>
      {action !== undefined && <div className="empty-state-action">{action}</div>}
    </div>
  )
}
