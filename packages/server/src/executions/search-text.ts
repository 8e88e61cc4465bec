/**
 * The words `q` can find in an execution. The functions here use nothing from outside themselves (no
 * imports, no module constants): SQLite's write thread runs them from their source text, so that a
 * sync run's text is made there rather than on the request thread (see `searchTextOfColumns`).
 */

/** The words `q` can find: the action, the error, and the (already redacted) input and output. */
export function searchTextOf(parts: {
  tool: string
  action: string
  input: unknown
  output?: unknown
  error?: { class: string; message: string } | null
}): string {
  // Enough for any field a person searches by; long bodies are cut so the index stays small.
  const limit = 8192
  const words = { parts: [`${parts.tool}.${parts.action}`, parts.tool, parts.action], length: 0, limit }
  if (parts.error) words.parts.push(parts.error.class, parts.error.message)
  collectSearchWords(parts.input, words, 0)
  if (parts.output !== undefined) collectSearchWords(parts.output, words, 0)
  // Lower-case letters and digits only, as the query is split: both engines then see the same words
  // (PostgreSQL's parser would otherwise keep `example.com` or an e-mail address as one token), and the
  // newest-first walk can test a row with a plain LIKE.
  const text = words.parts
    .join(' ')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
  return text.length > limit ? text.slice(0, limit) : text
}

/**
 * {@link searchTextOf} over a row's stored columns: `input`, `output` and `error` as the row holds them
 * (JSON text, or null).
 *
 * @example
 * searchTextOfColumns('http', 'request', '{"url":"https://example.com"}', null, null)
 * // 'http request http request url https example com'
 */
export function searchTextOfColumns(
  tool: string,
  action: string,
  input: string,
  output: string | null,
  error: string | null,
): string {
  return searchTextOf({
    tool,
    action,
    input: JSON.parse(input) as unknown,
    output: output === null ? undefined : (JSON.parse(output) as unknown),
    error: error === null ? null : (JSON.parse(error) as { class: string; message: string }),
  })
}

/** Appends the words of `value` (keys, strings, numbers, booleans) to `into`, within its limits. */
export function collectSearchWords(
  value: unknown,
  into: { parts: string[]; length: number; readonly limit: number },
  depth: number,
): void {
  if (depth > 8 || into.length > into.limit) return
  let word: string | undefined
  if (typeof value === 'string') word = value.length > 512 ? value.slice(0, 512) : value
  else if (typeof value === 'number' || typeof value === 'boolean') word = String(value)
  else if (Array.isArray(value)) {
    const count = Math.min(value.length, 100)
    for (let i = 0; i < count; i++) collectSearchWords(value[i], into, depth + 1)
  } else if (typeof value === 'object' && value !== null) {
    const keys = Object.keys(value)
    const count = Math.min(keys.length, 100)
    for (let i = 0; i < count; i++) {
      const key = keys[i] as string
      into.parts.push(key)
      into.length += key.length + 1
      collectSearchWords((value as Record<string, unknown>)[key], into, depth + 1)
    }
  }
  if (word !== undefined) {
    into.parts.push(word)
    into.length += word.length + 1
  }
}

/**
 * The source text of the functions above, for a thread that runs them (it defines `searchTextOf`,
 * `searchTextOfColumns` and `collectSearchWords`).
 */
export const searchTextSource = [searchTextOf, searchTextOfColumns, collectSearchWords]
  .map((fn) => fn.toString())
  .join('\n')
