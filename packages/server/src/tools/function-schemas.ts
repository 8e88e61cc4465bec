import { createHash } from 'node:crypto'
import type { Action, Tool } from '@toolplane/sdk'

/** Function-calling formats the catalog can render actions in. */
export const functionFormats = ['openai', 'anthropic', 'mcp'] as const
export type FunctionFormat = (typeof functionFormats)[number]

type Json = Record<string, unknown>

/** OpenAI and Anthropic both cap tool names at 64 characters of `[a-zA-Z0-9_-]`. */
const maxNameLength = 64
const maxDescriptionLength = 1024

/**
 * The name an agent calls an action by: `tool__action` (SPEC §10). Names that would pass 64
 * characters are shortened with a hash suffix, stably, so they stay unique and valid.
 *
 * @example
 * functionName('github', 'create_issue') // 'github__create_issue'
 */
export function functionName(toolSlug: string, actionName: string): string {
  const name = `${toolSlug}__${actionName}`
  if (name.length <= maxNameLength) return name
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 8)
  return `${name.slice(0, maxNameLength - 9)}_${hash}`
}

/** Splits a function name back into tool and action, for names made by {@link functionName}. */
export function parseFunctionName(name: string): { tool: string; action: string } | null {
  const index = name.indexOf('__')
  return index <= 0 ? null : { tool: name.slice(0, index), action: name.slice(index + 2) }
}

// Keywords LLM providers document for tool schemas; annotations only we use (x-…, writeOnly,
// $id) and ones that trip strict validators are dropped. Nested keywords are kept recursively.
const droppedKeys = new Set(['$id', '$schema', 'writeOnly', 'readOnly', '$comment'])

function clean(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(clean)
  if (typeof schema !== 'object' || schema === null) return schema
  const result: Json = {}
  for (const [key, value] of Object.entries(schema as Json)) {
    if (droppedKeys.has(key) || key.startsWith('x-') || key.startsWith('~')) continue
    // `properties`, `$defs` and `patternProperties` map names to schemas: keep every name.
    if (
      (key === 'properties' || key === '$defs' || key === 'patternProperties') &&
      typeof value === 'object' &&
      value !== null
    ) {
      result[key] = Object.fromEntries(
        Object.entries(value as Json).map(([name, inner]) => [name, clean(inner)]),
      )
    } else {
      result[key] = clean(value)
    }
  }
  return result
}

/** The action's input as a parameters schema: always an object with `properties`. */
export function parametersOf(action: Action): Json {
  const cleaned = clean(action.input) as Json
  return { ...cleaned, type: 'object', properties: cleaned.properties ?? {} }
}

function descriptionOf(tool: Tool, action: Action): string {
  const text = `${action.title} (${tool.name}). ${action.description}`.replace(/\s+/g, ' ').trim()
  return text.length > maxDescriptionLength ? `${text.slice(0, maxDescriptionLength - 1)}…` : text
}

/**
 * One action as a function-calling tool definition in the given format: OpenAI's
 * `{ type: 'function', function: { name, description, parameters } }`, Anthropic's
 * `{ name, description, input_schema }` or MCP's `{ name, description, inputSchema }`.
 *
 * @example
 * functionSchema(github, createIssue, 'anthropic').name // 'github__create_issue'
 */
export function functionSchema(tool: Tool, action: Action, format: FunctionFormat): Json {
  const name = functionName(tool.slug, action.name)
  const description = descriptionOf(tool, action)
  const parameters = parametersOf(action)
  switch (format) {
    case 'openai':
      return { type: 'function', function: { name, description, parameters } }
    case 'anthropic':
      return { name, description, input_schema: parameters }
    case 'mcp':
      return { name, title: `${tool.name}: ${action.title}`, description, inputSchema: parameters }
  }
}
