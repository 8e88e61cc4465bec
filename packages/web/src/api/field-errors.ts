import { isApiError } from './client.js'

/**
 * A validation problem's per-field messages, keyed by the top-level body field they belong to
 * (`/body/events/2` → `events`), in the shape React Aria's `<Form validationErrors>` takes, so each
 * message shows on its field. Anything else (another error, or none) gives an empty map.
 *
 * @example
 * <Form validationErrors={fieldErrorMap(create.error)}>…</Form>
 */
export function fieldErrorMap(error: unknown): Record<string, string[]> {
  if (!isApiError(error)) return {}
  const map: Record<string, string[]> = {}
  for (const field of error.errors) {
    const match = /^\/body\/([^/]+)/.exec(field.path)
    if (match?.[1] === undefined) continue
    const name = match[1]
    ;(map[name] ??= []).push(field.message)
  }
  return map
}

/**
 * Whether every field error of `error` landed on one of `fields`: then the form shows them where they
 * belong and a general alert would only repeat them.
 *
 * @example
 * if (!allOnFields(save.error, ['name'])) return <ApiErrorDisplay error={save.error} />
 */
export function allOnFields(error: unknown, fields: readonly string[]): boolean {
  if (!isApiError(error) || error.errors.length === 0) return false
  const map = fieldErrorMap(error)
  const named = Object.keys(map)
  return (
    named.length > 0 &&
    named.every((name) => fields.includes(name)) &&
    Object.values(map).flat().length === error.errors.length
  )
}
