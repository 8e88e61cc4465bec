/** JSON pointers (RFC 6901), the way every place in a value is named in errors and secret paths. */

/**
 * Escapes one segment of a JSON pointer.
 *
 * @example
 * escapePointer('a/b') // 'a~1b'
 */
export function escapePointer(segment: string): string {
  return segment.replaceAll('~', '~0').replaceAll('/', '~1')
}

/**
 * Reverses {@link escapePointer}.
 *
 * @example
 * unescapePointer('a~1b') // 'a/b'
 */
export function unescapePointer(segment: string): string {
  return segment.replaceAll('~1', '/').replaceAll('~0', '~')
}
