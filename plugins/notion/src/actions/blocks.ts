import { Type, defineAction, urlPath } from '@toolplane/sdk'
import type { HttpClient } from '@toolplane/sdk'
import { callNotion, readList } from '../api.js'
import type { NotionList } from '../api.js'
import { batches, blocksFromText } from '../blocks.js'
import type { NewBlock } from '../blocks.js'
import {
  Block,
  MaxPages,
  NextCursor,
  NotionId,
  PAGE_ID_EXAMPLE,
  PageSize,
  StartCursor,
  toBlock,
} from '../shapes.js'
import type { RawBlock } from '../shapes.js'

/** The content format `create_page` and `append_block_children` take. */
export const Content = Type.String({
  minLength: 1,
  maxLength: 200000,
  description:
    'Text with light Markdown: blank lines separate paragraphs; # ## ### headings; -, * or + bullets; 1. numbered items; - [ ] and - [x] to-dos; > quotes; --- dividers; ``` fenced code. Inline formatting is kept as plain text.',
  examples: ['## Notes\n\nKick-off went well.\n\n- [ ] Send the summary'],
})

/**
 * Appends blocks under a block or page, 100 per request as Notion allows, each batch after the last
 * block of the one before. Returns the blocks created.
 */
export async function appendBlocks(
  http: HttpClient,
  blockId: string,
  blocks: readonly NewBlock[],
  after?: string,
): Promise<RawBlock[]> {
  const created: RawBlock[] = []
  let anchor = after
  for (const batch of batches(blocks)) {
    const res = await callNotion<NotionList<RawBlock>>(
      http,
      'PATCH',
      urlPath`/v1/blocks/${blockId}/children`,
      {
        json: { children: batch, after: anchor },
      },
    )
    created.push(...res.json.results)
    // Notion answers with the new blocks; the next batch goes after the last of them.
    if (anchor !== undefined) anchor = res.json.results.at(-1)?.id ?? anchor
  }
  return created
}

/** Appends text (paragraphs, headings, lists, to-dos, code) to a page or block. Not retried once sent. */
export const appendBlockChildren = defineAction({
  name: 'append_block_children',
  title: 'Append content to a page',
  description:
    'Adds text to the end of a Notion page or block (or after a given child block): paragraphs, headings, bulleted and numbered items, to-dos, quotes, dividers and code, written as light Markdown. Each call adds the content again, so do not call it again to retry.',
  input: Type.Object({
    blockId: NotionId('The page or block to add content to', PAGE_ID_EXAMPLE),
    content: Content,
    after: Type.Optional(
      NotionId('Insert after this child block instead of at the end', 'c02fc1d3-db8b-45c5-a222-27595b15aea7'),
    ),
  }),
  output: Type.Object({ blocks: Type.Array(Block, { description: 'The blocks created' }) }),
  examples: [
    {
      title: 'Meeting notes',
      input: {
        blockId: PAGE_ID_EXAMPLE,
        content: '## Notes\n\nKick-off went well.\n\n- [ ] Send the summary',
      },
    },
  ],
  retry: { idempotent: false },
  async run({ http, input }) {
    const created = await appendBlocks(http, input.blockId, blocksFromText(input.content), input.after)
    return { blocks: created.map(toBlock) }
  },
})

/** Reads the child blocks of a page or block. */
export const getBlockChildren = defineAction({
  name: 'get_block_children',
  title: "Read a page's content",
  description:
    "Reads the content of a Notion page (a page id is a block id) or the children of a block: each block's type and plain text, whether a to-do is ticked, and whether it has children of its own (read those with their block id). Returns nextCursor; pass it back as startCursor to continue.",
  input: Type.Object({
    blockId: NotionId('The page or block whose children to read', PAGE_ID_EXAMPLE),
    startCursor: StartCursor,
    pageSize: PageSize,
    maxPages: MaxPages,
  }),
  output: Type.Object({ blocks: Type.Array(Block), nextCursor: NextCursor }),
  examples: [{ title: "A page's content", input: { blockId: PAGE_ID_EXAMPLE, pageSize: 100 } }],
  retry: { idempotent: true },
  async run({ http, input }) {
    const { results, nextCursor } = await readList(input, async (startCursor, pageSize) => {
      const res = await callNotion<NotionList<RawBlock>>(
        http,
        'GET',
        urlPath`/v1/blocks/${input.blockId}/children`,
        {
          query: { start_cursor: startCursor, page_size: pageSize },
        },
      )
      return res.json
    })
    return { blocks: results.map(toBlock), nextCursor }
  },
})
