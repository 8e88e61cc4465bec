import { Type, defineAction } from '@toolplane/sdk'
import { callNotion, readList } from '../api.js'
import type { NotionList } from '../api.js'
import { MaxPages, NextCursor, PageSize, SearchResult, StartCursor, toSearchResult } from '../shapes.js'
import type { RawDatabase, RawPage } from '../shapes.js'

/** Finds pages and databases shared with the integration by title. */
export const search = defineAction({
  name: 'search',
  title: 'Search pages and databases',
  description:
    'Finds Notion pages and databases whose title matches the query, among those shared with the integration. Leave query out to list everything shared; filter to only pages or only databases. Returns id, title, URL and parent of each, and nextCursor; pass nextCursor back as startCursor to continue.',
  input: Type.Object({
    query: Type.Optional(
      Type.String({ maxLength: 1000, description: 'Words in the title', examples: ['Roadmap'] }),
    ),
    filter: Type.Optional(Type.Enum(['page', 'database'], { description: 'Only pages or only databases' })),
    sortDirection: Type.Optional(
      Type.Enum(['descending', 'ascending'], { description: 'By last edit time; relevance when left out' }),
    ),
    startCursor: StartCursor,
    pageSize: PageSize,
    maxPages: MaxPages,
  }),
  output: Type.Object({ results: Type.Array(SearchResult), nextCursor: NextCursor }),
  examples: [
    { title: 'Find the roadmap database', input: { query: 'Roadmap', filter: 'database', pageSize: 10 } },
  ],
  retry: { idempotent: true },
  async run({ http, input }) {
    const { results, nextCursor } = await readList(input, async (startCursor, pageSize) => {
      const res = await callNotion<NotionList<RawPage | RawDatabase>>(http, 'POST', '/v1/search', {
        json: {
          query: input.query,
          filter: input.filter === undefined ? undefined : { property: 'object', value: input.filter },
          sort:
            input.sortDirection === undefined
              ? undefined
              : { direction: input.sortDirection, timestamp: 'last_edited_time' },
          start_cursor: startCursor,
          page_size: pageSize,
        },
      })
      return res.json
    })
    return { results: results.map(toSearchResult), nextCursor }
  },
})
