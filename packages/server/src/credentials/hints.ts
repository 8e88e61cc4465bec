/** What the API and UI may show of one secret field: whether it is set, and a masked hint. */
export interface FieldHint {
  readonly set: boolean
  /** `••••` plus the last 4 characters of strings of 12 characters or more; `••••` otherwise; `null` when unset. */
  readonly hint: string | null
}

const mask = '••••'
/** Shorter values are shown as the mask alone: 4 characters of a short secret give too much away. */
const minimumLengthForTail = 12
const tailLength = 4
const graphemes = new Intl.Segmenter('en', { granularity: 'grapheme' })

/**
 * The `fields` of a credential (SPEC §4): for each field name, whether the secret is set and a
 * masked hint. Strings of 12 characters or more show their last 4 characters; shorter strings
 * and other values (numbers, objects) show only the mask. An absent, `null` or empty value is
 * unset. Lengths count characters as a reader sees them (grapheme clusters), so a tail never
 * splits one.
 *
 * @example
 * fieldHints({ token: 'ghp_0123456789abcd', pin: '1234' }, ['token', 'pin', 'refreshToken'])
 * // { token: { set: true, hint: '••••abcd' }, pin: { set: true, hint: '••••' },
 * //   refreshToken: { set: false, hint: null } }
 */
export function fieldHints(
  secrets: Readonly<Record<string, unknown>>,
  fieldNames: readonly string[],
): Record<string, FieldHint> {
  // fromEntries defines own properties, so a field named "__proto__" is an ordinary key.
  return Object.fromEntries(fieldNames.map((name) => [name, hintFor(ownValue(secrets, name))]))
}

function ownValue(secrets: Readonly<Record<string, unknown>>, name: string): unknown {
  return Object.hasOwn(secrets, name) ? secrets[name] : undefined
}

function hintFor(value: unknown): FieldHint {
  if (value === undefined || value === null || value === '') return { set: false, hint: null }
  if (typeof value !== 'string') return { set: true, hint: mask }
  const characters = Array.from(graphemes.segment(value), (part) => part.segment)
  if (characters.length < minimumLengthForTail) return { set: true, hint: mask }
  return { set: true, hint: mask + characters.slice(-tailLength).join('') }
}
