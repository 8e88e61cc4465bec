import { Type } from 'typebox'
import type { TSchema } from 'typebox'
import { scopes } from '../auth/scopes.js'
import { maxPageSize } from '../db/pagination.js'

/** RFC 9457 problem details, as every error response carries them. */
export const ProblemSchema = Type.Object(
  {
    type: Type.String({ description: 'A URI naming the problem type; its last segment is `code`.' }),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String({ description: 'What went wrong in this request, in words a person can act on.' }),
    code: Type.String({ description: 'Stable machine-readable error code.' }),
    requestId: Type.String({ description: 'The request id, also in the `X-Request-Id` response header.' }),
    errors: Type.Optional(
      Type.Array(Type.Object({ path: Type.String(), message: Type.String() }), {
        description: 'Per-field problems, for validation errors.',
      }),
    ),
  },
  { $id: 'Problem', title: 'Problem' },
)

export const problemRef = Type.Ref('Problem')

/** `?limit=&cursor=` on every list endpoint. */
export const PageQuery = {
  limit: Type.Optional(
    Type.Integer({ minimum: 1, maximum: maxPageSize, default: 50, description: 'Page size.' }),
  ),
  cursor: Type.Optional(Type.String({ description: 'The `nextCursor` of the previous page.' })),
}

/** The `{ data, nextCursor }` envelope of every list response. */
export function PageOf<T extends TSchema>(item: T) {
  return Type.Object({
    data: Type.Array(item),
    nextCursor: Type.Union([Type.String(), Type.Null()], {
      description: 'Pass as `cursor` for the next page; null at the end.',
    }),
  })
}

/** A timestamp as returned by the API: ISO 8601 in UTC. */
export const Timestamp = Type.String({ format: 'date-time' })
export const NullableTimestamp = Type.Union([Timestamp, Type.Null()])

export function isoTime(ms: number): string
export function isoTime(ms: number | null): string | null
export function isoTime(ms: number | null): string | null {
  if (ms === null) return null
  // A record's times are often the same millisecond (created, started, its attempt), and records
  // made together share them too: the last conversion is remembered.
  if (ms !== lastIso.ms) lastIso = { ms, text: new Date(ms).toISOString() }
  return lastIso.text
}

let lastIso = { ms: Number.NaN, text: '' }

/** An API key scope (SPEC §1). */
export const ScopeSchema = Type.Enum(scopes, { description: 'An API key scope.' })

/**
 * A `preValidation` hook for routes whose body is optional: a request without a body (a browser's
 * `fetch` with none, `curl -X POST`) reads as `{}`, so it meets the body's object schema instead of
 * being refused as "/body must be object".
 *
 * @example
 * app.post('/v1/executions/:id/retry', { preValidation: noBodyAsEmptyObject, schema: { body: Type.Optional(…) } }, …)
 */
export async function noBodyAsEmptyObject(request: { body: unknown }): Promise<void> {
  if (request.body === undefined || request.body === null || request.body === '') request.body = {}
  return Promise.resolve()
}
