/**
 * SQL text helpers: counting statements (so a query input holds exactly one), quoting identifiers,
 * and turning the values pg returns into JSON.
 */
import { ActionError } from '@toolplane/sdk'

const identifierChar = /[A-Za-z0-9_$\u0080-\uffff]/

/**
 * How many statements SQL text holds: `;` separates statements unless it is inside a string
 * (`'…'`, `E'…'`), a quoted identifier, a dollar-quoted body (`$fn$…$fn$`) or a comment; blanks and
 * comments alone are no statement.
 *
 * @example
 * statementCount("select ';' as semicolon;") // 1
 * statementCount('select 1; drop table users') // 2
 */
export function statementCount(sql: string): number {
  let count = 0
  let content = false
  let at = 0
  const closeString = (from: number, backslashEscapes: boolean): number => {
    let i = from
    while (i < sql.length) {
      const char = sql.charAt(i)
      if (backslashEscapes && char === '\\') i += 2
      else if (char === "'" && sql.charAt(i + 1) === "'") i += 2
      else if (char === "'") return i + 1
      else i += 1
    }
    return i
  }
  while (at < sql.length) {
    const char = sql.charAt(at)
    const next = sql.charAt(at + 1)
    const previous = at > 0 ? sql.charAt(at - 1) : ''
    if (char === '-' && next === '-') {
      const end = sql.indexOf('\n', at)
      at = end === -1 ? sql.length : end + 1
    } else if (char === '/' && next === '*') {
      let depth = 1
      at += 2
      while (at < sql.length && depth > 0) {
        if (sql.startsWith('/*', at)) {
          depth += 1
          at += 2
        } else if (sql.startsWith('*/', at)) {
          depth -= 1
          at += 2
        } else at += 1
      }
    } else if (char === ';') {
      if (content) count += 1
      content = false
      at += 1
    } else if (/\s/.test(char)) {
      at += 1
    } else {
      content = true
      if (char === "'") {
        const escapes = /[Ee]/.test(previous) && !identifierChar.test(sql.charAt(at - 2))
        at = closeString(at + 1, escapes)
      } else if (char === '"') {
        const end = /^"(?:[^"]|"")*"?/.exec(sql.slice(at))?.[0] ?? '"'
        at += end.length
      } else if (char === '$' && !identifierChar.test(previous)) {
        const tag = /^\$(?:[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/.exec(sql.slice(at))?.[0]
        if (tag === undefined) at += 1
        else {
          const end = sql.indexOf(tag, at + tag.length)
          at = end === -1 ? sql.length : end + tag.length
        }
      } else at += 1
    }
  }
  return content ? count + 1 : count
}

/**
 * Throws a `validation_error` unless SQL text is exactly one statement.
 */
export function assertSingleStatement(sql: string): void {
  const count = statementCount(sql)
  if (count === 1) return
  throw new ActionError(
    'validation_error',
    count === 0
      ? 'The SQL text holds no statement'
      : `The SQL text holds ${count} statements; send one at a time`,
    {
      requestSent: false,
      suggestions: [
        {
          title: 'Send one statement',
          detail:
            'Each query runs exactly one statement, so input can never smuggle in a second one. Run several statements as separate queries, and pass values as $1, $2… params.',
        },
      ],
    },
  )
}

/**
 * Quotes an identifier (a schema, table or column name) for SQL text: `"` around it, inner `"`
 * doubled, so any name is taken literally.
 *
 * @example
 * quoteIdentifier('order "items"') // '"order ""items"""'
 */
export function quoteIdentifier(name: string): string {
  if (name === '' || name.includes('\0')) {
    throw new ActionError('validation_error', 'An identifier cannot be empty or contain a NUL character', {
      requestSent: false,
    })
  }
  return `"${name.replaceAll('"', '""')}"`
}

/**
 * A value pg returned, as JSON: dates as ISO strings, bytea as `\x…` hex (PostgreSQL's own text
 * form), big integers as strings, non-finite numbers as their names; arrays and objects deeply.
 */
export function toJsonValue(value: unknown): unknown {
  if (value === null || value === undefined) return null
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? String(value) : value.toISOString()
  if (Buffer.isBuffer(value)) return `\\x${value.toString('hex')}`
  if (typeof value === 'bigint') return value.toString()
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value)
  if (Array.isArray(value)) return value.map(toJsonValue)
  if (typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, toJsonValue(item)]))
  }
  return value
}

/** A row pg returned, as a JSON object. */
export function toJsonRow(row: Record<string, unknown>): Record<string, unknown> {
  return toJsonValue(row) as Record<string, unknown>
}
