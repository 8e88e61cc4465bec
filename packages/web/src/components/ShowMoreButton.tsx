import { Button } from 'react-aria-components'

/** What the button needs of a TanStack infinite query. */
export interface NextPageQuery {
  readonly hasNextPage: boolean
  readonly isFetchingNextPage: boolean
  readonly fetchNextPage: () => Promise<unknown>
}

/**
 * "Show more" under a paged list: fetches the next page (once at a time) and says so while it loads;
 * nothing when there is no next page.
 *
 * @example
 * <ShowMoreButton query={keys} label="Show more keys" loadingLabel="Loading more keys…" />
 */
export function ShowMoreButton({
  query,
  label,
  loadingLabel,
}: {
  query: NextPageQuery
  label: string
  loadingLabel: string
}) {
  if (!query.hasNextPage) return null
  return (
    <div className="button-row">
      <Button
        className="button"
        onPress={() => {
          if (!query.isFetchingNextPage) void query.fetchNextPage()
        }}
      >
        {query.isFetchingNextPage ? loadingLabel : label}
      </Button>
    </div>
  )
}
