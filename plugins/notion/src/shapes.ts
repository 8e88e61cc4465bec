/**
 * The normalized objects the Notion actions return and the mapping from Notion's bodies: pages with
 * their title and plain property values, search results, blocks with their plain text.
 */
import { Type } from '@toolplane/sdk'
import type { Static } from '@toolplane/sdk'

/** A Notion id: a UUID, with or without dashes, as it appears at the end of a page's URL. */
export const NotionId = (description: string, example: string) =>
  Type.String({
    minLength: 32,
    maxLength: 36,
    pattern: '^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$',
    description,
    examples: [example],
  })

export const PAGE_ID_EXAMPLE = '59833787-2cf9-4fdf-8782-e53db20768a5'
export const DATABASE_ID_EXAMPLE = 'd9824bdc-8445-4327-be8b-5b47500af6ce'

export const StartCursor = Type.Optional(
  Type.String({ minLength: 1, description: 'The cursor to continue from, as returned in nextCursor' }),
)
export const PageSize = Type.Optional(
  Type.Integer({
    minimum: 1,
    maximum: 100,
    default: 100,
    description: 'Items per page (Notion allows up to 100)',
  }),
)
export const MaxPages = Type.Optional(
  Type.Integer({
    minimum: 1,
    maximum: 10,
    default: 1,
    description: 'How many pages to read before returning',
  }),
)
export const NextCursor = Type.Union([Type.String(), Type.Null()], {
  description: 'Pass it as startCursor to get the next page; null when there are no more results',
})

const Timestamp = Type.String({ format: 'date-time' })

export const Parent = Type.Object({
  type: Type.String({ description: 'database_id, page_id, block_id or workspace' }),
  id: Type.Union([Type.String(), Type.Null()], { description: 'null for the workspace' }),
})
export type Parent = Static<typeof Parent>

export const Page = Type.Object({
  id: Type.String(),
  url: Type.String(),
  title: Type.String({ description: 'The plain text of the title property' }),
  parent: Parent,
  archived: Type.Boolean(),
  icon: Type.Union([Type.String(), Type.Null()], { description: 'The emoji or the icon image URL' }),
  createdTime: Timestamp,
  lastEditedTime: Timestamp,
  values: Type.Record(Type.String(), Type.Unknown(), {
    description:
      'Each property as a plain value: text as a string, select and status as the option name, multi-select as names, dates as { start, end }, people as names, relations as ids',
  }),
  properties: Type.Record(Type.String(), Type.Unknown(), {
    description: 'The property values exactly as Notion returns them, to pass back to update_page',
  }),
})
export type Page = Static<typeof Page>

/** A rich text item; only what is read. */
export interface RichText {
  plain_text: string
}

type RawParent =
  | { type: 'database_id'; database_id: string }
  | { type: 'page_id'; page_id: string }
  | { type: 'block_id'; block_id: string }
  | { type: 'workspace'; workspace: true }

type RawIcon =
  | { type: 'emoji'; emoji: string }
  | { type: 'external'; external: { url: string } }
  | { type: 'file'; file: { url: string } }

/** A Notion property value: `{ id, type, [type]: value }`. */
export interface RawProperty {
  id: string
  type: string
  [value: string]: unknown
}

export interface RawPage {
  object: 'page'
  id: string
  url: string
  parent: RawParent
  archived: boolean
  in_trash?: boolean
  icon: RawIcon | null
  created_time: string
  last_edited_time: string
  properties: Record<string, RawProperty>
}

export interface RawDatabase {
  object: 'database'
  id: string
  url: string
  title: RichText[]
  parent: RawParent
  archived: boolean
  icon: RawIcon | null
  last_edited_time: string
}

/** The text of a rich text array. */
export function plainText(items: readonly RichText[]): string {
  return items.map((item) => item.plain_text).join('')
}

export function toParent(raw: RawParent): Parent {
  switch (raw.type) {
    case 'database_id':
      return { type: raw.type, id: raw.database_id }
    case 'page_id':
      return { type: raw.type, id: raw.page_id }
    case 'block_id':
      return { type: raw.type, id: raw.block_id }
    case 'workspace':
      return { type: raw.type, id: null }
  }
}

function iconOf(icon: RawIcon | null): string | null {
  if (icon === null) return null
  switch (icon.type) {
    case 'emoji':
      return icon.emoji
    case 'external':
      return icon.external.url
    case 'file':
      return icon.file.url
  }
}

export function toPage(raw: RawPage): Page {
  const values: Record<string, unknown> = {}
  let title = ''
  for (const [name, property] of Object.entries(raw.properties)) {
    values[name] = plainValue(property)
    if (property.type === 'title') title = plainText(property.title as RichText[])
  }
  return {
    id: raw.id,
    url: raw.url,
    title,
    parent: toParent(raw.parent),
    archived: raw.archived || raw.in_trash === true,
    icon: iconOf(raw.icon),
    createdTime: raw.created_time,
    lastEditedTime: raw.last_edited_time,
    values,
    properties: raw.properties,
  }
}

interface Named {
  id: string
  name?: string | null
}

/** A property value as the plain value a reader wants. */
function plainValue(property: RawProperty): unknown {
  const value = property[property.type]
  switch (property.type) {
    case 'title':
    case 'rich_text':
      return plainText(value as RichText[])
    case 'select':
    case 'status':
      return (value as { name: string } | null)?.name ?? null
    case 'multi_select':
      return (value as { name: string }[]).map((option) => option.name)
    case 'people':
      return (value as Named[]).map((person) => person.name ?? person.id)
    case 'created_by':
    case 'last_edited_by':
      return (value as Named).name ?? (value as Named).id
    case 'relation':
      return (value as { id: string }[]).map((related) => related.id)
    case 'files':
      return (value as { name: string }[]).map((file) => file.name)
    case 'date': {
      const date = value as { start: string; end: string | null } | null
      return date === null ? null : { start: date.start, end: date.end }
    }
    case 'formula':
    case 'rollup': {
      const result = value as { type: string; [kind: string]: unknown }
      return result[result.type] ?? null
    }
    case 'unique_id': {
      const id = value as { prefix: string | null; number: number | null }
      return id.prefix === null ? id.number : `${id.prefix}-${String(id.number)}`
    }
    default:
      // number, checkbox, url, email, phone_number, created_time, last_edited_time and newer types.
      return value ?? null
  }
}

export const SearchResult = Type.Object({
  object: Type.String({ description: 'page or database' }),
  id: Type.String(),
  title: Type.String(),
  url: Type.String(),
  parent: Parent,
  archived: Type.Boolean(),
  lastEditedTime: Timestamp,
})
export type SearchResult = Static<typeof SearchResult>

export function toSearchResult(raw: RawPage | RawDatabase): SearchResult {
  const common = {
    object: raw.object,
    id: raw.id,
    url: raw.url,
    parent: toParent(raw.parent),
    archived: raw.archived,
    lastEditedTime: raw.last_edited_time,
  }
  if (raw.object === 'database') return { ...common, title: plainText(raw.title) }
  const page = toPage(raw)
  return { ...common, title: page.title, archived: page.archived }
}

export const Block = Type.Object({
  id: Type.String(),
  type: Type.String({ description: 'paragraph, heading_1, bulleted_list_item, to_do, code, child_page…' }),
  text: Type.Union([Type.String(), Type.Null()], { description: 'The plain text of a text block' }),
  checked: Type.Union([Type.Boolean(), Type.Null()], { description: 'Whether a to_do block is ticked' }),
  hasChildren: Type.Boolean(),
  archived: Type.Boolean(),
  createdTime: Timestamp,
  lastEditedTime: Timestamp,
})
export type Block = Static<typeof Block>

export interface RawBlock {
  object: 'block'
  id: string
  type: string
  has_children: boolean
  archived: boolean
  created_time: string
  last_edited_time: string
  [content: string]: unknown
}

export function toBlock(raw: RawBlock): Block {
  const content = (raw[raw.type] ?? {}) as { rich_text?: RichText[]; title?: string; checked?: boolean }
  const text = content.rich_text === undefined ? (content.title ?? null) : plainText(content.rich_text)
  return {
    id: raw.id,
    type: raw.type,
    text,
    checked: content.checked ?? null,
    hasChildren: raw.has_children,
    archived: raw.archived,
    createdTime: raw.created_time,
    lastEditedTime: raw.last_edited_time,
  }
}
