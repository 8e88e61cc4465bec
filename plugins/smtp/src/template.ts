/**
 * `{{name}}` substitution for email templates: a small, predictable subset of Mustache. `{{name}}`
 * and `{{user.first_name}}` insert a variable (HTML-escaped in the HTML body); `{{{name}}}` inserts it
 * unescaped. A variable the template uses but the input does not give is an error, not a blank.
 */
import { ActionError } from '@toolplane/sdk'

const placeholder = /\{\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}\}|\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}/g

const htmlEntities: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
}

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => htmlEntities[char] ?? char)
}

function lookup(variables: Readonly<Record<string, unknown>>, path: string): unknown {
  let current: unknown = variables
  for (const step of path.split('.')) {
    if (typeof current !== 'object' || current === null || !Object.hasOwn(current, step)) return undefined
    current = (current as Record<string, unknown>)[step]
  }
  return current
}

/** What went wrong while rendering: names the template used that the variables do not give as text. */
export interface RenderProblems {
  missing: Set<string>
  notText: Set<string>
}

/**
 * Renders one template. `html: true` escapes `{{name}}` values for HTML; `{{{name}}}` is never escaped.
 * Problems are collected into `problems` so all templates of a message are reported at once.
 */
export function render(
  template: string,
  variables: Readonly<Record<string, unknown>>,
  options: { html: boolean },
  problems: RenderProblems,
): string {
  return template.replace(placeholder, (match, raw: string | undefined, escaped: string | undefined) => {
    const name = raw ?? escaped ?? ''
    const value = lookup(variables, name)
    if (value === undefined) {
      problems.missing.add(name)
      return match
    }
    if (value === null) return ''
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      problems.notText.add(name)
      return match
    }
    const text = String(value)
    return options.html && raw === undefined ? escapeHtml(text) : text
  })
}

/** Throws a `validation_error` naming every problem found. */
export function assertRendered(problems: RenderProblems): void {
  const parts: string[] = []
  if (problems.missing.size > 0) parts.push(`no value for ${[...problems.missing].join(', ')}`)
  if (problems.notText.size > 0) parts.push(`not text: ${[...problems.notText].join(', ')}`)
  if (parts.length === 0) return
  throw new ActionError('validation_error', `The template cannot be filled in: ${parts.join('; ')}`, {
    requestSent: false,
    suggestions: [
      {
        title: 'Give every variable',
        detail:
          'Each {{name}} in the subject, text or html needs a string, number or boolean in variables (null leaves it empty); {{a.b}} reads a nested object.',
      },
    ],
  })
}
