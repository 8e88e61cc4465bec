import type { Kysely } from 'kysely'
import type { Schema } from './schema.js'

/** Tables whose old rows the background sweeps remove a bounded batch at a time. */
type SweptTable = 'executions' | 'inbound_events'

/**
 * Deletes the rows a sweep chose (by id, a bounded batch found by a select, so no delete ever
 * locks or scans more than that) and returns how many went.
 *
 * @example
 * const old = await db.selectFrom('inbound_events').select('id').where('received_at', '<', before).limit(1000).execute()
 * const deleted = await deleteChosen(db, 'inbound_events', old)
 */
export async function deleteChosen(
  db: Kysely<Schema>,
  table: SweptTable,
  chosen: readonly { readonly id: string }[],
): Promise<number> {
  if (chosen.length === 0) return 0
  const result = await db
    .deleteFrom(table)
    .where(
      'id',
      'in',
      chosen.map((row) => row.id),
    )
    .executeTakeFirst()
  return Number(result.numDeletedRows)
}
