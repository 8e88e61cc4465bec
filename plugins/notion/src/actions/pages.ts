import { ActionError, Type, defineAction, urlPath } from '@toolplane/sdk'
import { callNotion } from '../api.js'
import { MAX_BLOCKS_PER_REQUEST, blocksFromText, richText } from '../blocks.js'
import { DATABASE_ID_EXAMPLE, NotionId, PAGE_ID_EXAMPLE, Page, toPage } from '../shapes.js'
import type { RawPage } from '../shapes.js'
import { Content, appendBlocks } from './blocks.js'

const Properties = Type.Record(Type.String(), Type.Unknown(), {
  description:
    'Notion property values keyed by property name or id, passed as they are, for example { "Status": { "status": { "name": "Done" } }, "Due": { "date": { "start": "2025-07-01" } } }',
  examples: [{ Status: { status: { name: 'Done' } } }],
})

const IconEmoji = Type.String({
  minLength: 1,
  maxLength: 16,
  description: 'An emoji for the page icon',
  examples: ['📝'],
})

// The title property's id is "title" in every page and database, whatever its name.
function titleProperty(title: string): Record<string, unknown> {
  return { title: { title: richText(title) } }
}

/** Reads a page's title, parent and property values. */
export const getPage = defineAction({
  name: 'get_page',
  title: 'Get a page',
  description:
    "Reads a Notion page or database row by id: title, URL, parent, icon, whether it is archived, and its properties both as plain values and as Notion returns them. It does not return the page's content; use get_block_children for that.",
  input: Type.Object({ pageId: NotionId('The page, from its URL or from search', PAGE_ID_EXAMPLE) }),
  output: Page,
  examples: [{ title: 'A page', input: { pageId: PAGE_ID_EXAMPLE } }],
  retry: { idempotent: true },
  async run({ http, input }) {
    const res = await callNotion<RawPage>(http, 'GET', urlPath`/v1/pages/${input.pageId}`)
    return toPage(res.json)
  },
})

/** Creates a page under a page or a row in a database. Not retried once sent. */
export const createPage = defineAction({
  name: 'create_page',
  title: 'Create a page',
  description:
    "Creates a Notion page inside a page, or a row inside a database, with a title, optional property values (for database rows; they must match the database's properties), an optional emoji icon and optional content written as light Markdown. The parent must be shared with the integration. Each call creates a new page, so do not call it again to retry.",
  input: Type.Object({
    parentType: Type.Enum(['database', 'page'], { description: 'Whether parentId is a database or a page' }),
    parentId: NotionId('The database or page to create the page in', DATABASE_ID_EXAMPLE),
    title: Type.Optional(Type.String({ maxLength: 2000, examples: ['Launch checklist'] })),
    properties: Type.Optional(Properties),
    iconEmoji: Type.Optional(IconEmoji),
    content: Type.Optional(Content),
  }),
  output: Page,
  examples: [
    {
      title: 'A task in a database',
      input: {
        parentType: 'database',
        parentId: DATABASE_ID_EXAMPLE,
        title: 'Launch checklist',
        properties: { Status: { status: { name: 'Not started' } } },
        content: '## Steps\n\n- [ ] Write the announcement\n- [ ] Update the docs',
      },
    },
  ],
  retry: { idempotent: false },
  async run({ http, input }) {
    const blocks = input.content === undefined ? [] : blocksFromText(input.content)
    const res = await callNotion<RawPage>(http, 'POST', '/v1/pages', {
      json: {
        parent:
          input.parentType === 'database' ? { database_id: input.parentId } : { page_id: input.parentId },
        properties: { ...input.properties, ...(input.title === undefined ? {} : titleProperty(input.title)) },
        icon: input.iconEmoji === undefined ? undefined : { type: 'emoji', emoji: input.iconEmoji },
        children: blocks.length === 0 ? undefined : blocks.slice(0, MAX_BLOCKS_PER_REQUEST),
      },
    })
    // Notion takes 100 blocks with the page; the rest are appended after it exists.
    await appendBlocks(http, res.json.id, blocks.slice(MAX_BLOCKS_PER_REQUEST))
    return toPage(res.json)
  },
})

/** Changes a page's properties, title or icon, or archives and restores it. */
export const updatePage = defineAction({
  name: 'update_page',
  title: 'Update a page',
  description:
    'Changes a Notion page or database row: property values (only those given change), its title, its emoji icon, or archived (true moves it to the trash, false restores it). To change the content use append_block_children.',
  input: Type.Object({
    pageId: NotionId('The page to change', PAGE_ID_EXAMPLE),
    properties: Type.Optional(Properties),
    title: Type.Optional(Type.String({ maxLength: 2000 })),
    iconEmoji: Type.Optional(IconEmoji),
    archived: Type.Optional(
      Type.Boolean({ description: 'true to move the page to the trash, false to restore it' }),
    ),
  }),
  output: Page,
  examples: [
    {
      title: 'Mark a task done',
      input: { pageId: PAGE_ID_EXAMPLE, properties: { Status: { status: { name: 'Done' } } } },
    },
  ],
  // Setting the same values twice leaves the page as setting them once.
  retry: { idempotent: true },
  async run({ http, input }) {
    const properties = {
      ...input.properties,
      ...(input.title === undefined ? {} : titleProperty(input.title)),
    }
    const changes = {
      ...(Object.keys(properties).length === 0 ? {} : { properties }),
      ...(input.iconEmoji === undefined ? {} : { icon: { type: 'emoji', emoji: input.iconEmoji } }),
      ...(input.archived === undefined ? {} : { archived: input.archived }),
    }
    if (Object.keys(changes).length === 0) {
      throw new ActionError(
        'validation_error',
        'Give at least one of properties, title, iconEmoji or archived',
        {
          requestSent: false,
        },
      )
    }
    const res = await callNotion<RawPage>(http, 'PATCH', urlPath`/v1/pages/${input.pageId}`, {
      json: changes,
    })
    return toPage(res.json)
  },
})
