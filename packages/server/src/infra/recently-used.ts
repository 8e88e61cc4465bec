/**
 * Least-recently-used order in a `Map`, kept cheaply for hot keys. A Map iterates in insertion order,
 * so re-inserting an entry when it is used keeps the least recently used first; a key used thousands
 * of times a second would pay a delete and an insert each time. Here an entry moves to the recently
 * used end only when its last move is `reorderMs` old: the order is least recently used to within
 * that, which is what a cap on the number of keys needs.
 */

/** A used entry moves to the recently used end of its map at most this often. */
export const reorderMs = 1000

/** An entry of a map kept in order of use: when it last moved to the recently used end, epoch ms. */
export interface RecentlyUsed {
  movedAt: number
}

/**
 * Marks `entry` (the value of `key` in `map`) as used at `now`: moves it to the recently used end of
 * the map unless it moved there less than `reorderMs` ago.
 *
 * @example
 * const entry = map.get(key)
 * if (entry !== undefined) markUsed(map, key, entry, Date.now())
 */
export function markUsed<K, V extends RecentlyUsed>(map: Map<K, V>, key: K, entry: V, now: number): void {
  if (now - entry.movedAt < reorderMs) return
  entry.movedAt = now
  map.delete(key)
  map.set(key, entry)
}
