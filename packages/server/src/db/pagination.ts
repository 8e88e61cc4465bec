import { AppError } from '../errors.js'

/** A page of a list: `{ data, nextCursor }` as every list endpoint returns it. */
export interface Page<T> {
  readonly data: T[]
  readonly nextCursor: string | null
}

export interface PageRequest {
  readonly limit: number
  /** The id to continue after (exclusive), decoded from the opaque cursor. */
  readonly after: string | null
}

export const defaultPageSize = 50
export const maxPageSize = 200

/** Decodes `?limit=&cursor=` into a page request; a cursor that is not ours is a validation error. */
export function pageRequest(query: { limit?: number; cursor?: string }): PageRequest {
  const limit = Math.min(Math.max(query.limit ?? defaultPageSize, 1), maxPageSize)
  if (query.cursor === undefined || query.cursor === '') return { limit, after: null }
  let after: unknown
  try {
    after = (JSON.parse(Buffer.from(query.cursor, 'base64url').toString('utf8')) as { after?: unknown }).after
  } catch {
    after = undefined
  }
  if (typeof after !== 'string' || after === '') {
    throw new AppError(
      'validation_error',
      'The cursor is not valid; pass back the nextCursor of a previous page.',
      {
        errors: [{ path: '/cursor', message: 'not a cursor returned by this API' }],
      },
    )
  }
  return { limit, after }
}

/**
 * Builds a page from rows fetched with `limit + 1`: the extra row only tells whether there is more.
 *
 * @example
 * const rows = await query.limit(request.limit + 1).execute()
 * return toPage(rows, request.limit, (row) => row.id)
 */
export function toPage<T>(rows: T[], limit: number, idOf: (row: T) => string): Page<T> {
  const data = rows.slice(0, limit)
  const last = data.at(-1)
  const nextCursor =
    rows.length > limit && last !== undefined
      ? Buffer.from(JSON.stringify({ after: idOf(last) }), 'utf8').toString('base64url')
      : null
  return { data, nextCursor }
}
