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

/** The first instant `isoTime` formats by itself: year 10000, where the ISO form gains a sign. */
const yearTenThousand = 253_402_300_800_000

/**
 * An epoch-milliseconds time as ISO 8601 (`2026-11-27T02:49:20.151Z`), exactly as `toISOString`.
 * A record's times mostly fall in the same second (created, started, its attempts; records made
 * together share it too), so the text up to the second is remembered and the milliseconds appended:
 * an answer formats several times, and a `Date` and `toISOString` each was about 1 % of the request
 * thread at saturation.
 */
export function isoTime(ms: number): string
export function isoTime(ms: number | null): string | null
export function isoTime(ms: number | null): string | null {
  if (ms === null) return null
  if (!Number.isInteger(ms) || ms < 0 || ms >= yearTenThousand) return new Date(ms).toISOString()
  const second = ms - (ms % 1000)
  if (second !== lastSecond.at) lastSecond = { at: second, text: new Date(second).toISOString().slice(0, 20) }
  const millis = ms - second
  return `${lastSecond.text}${millis < 10 ? '00' : millis < 100 ? '0' : ''}${String(millis)}Z`
}

let lastSecond = { at: Number.NaN, text: '' }

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
