import { Type, defineAction, urlPath } from '@toolplane/sdk'
import { callNotion, readList } from '../api.js'
import type { NotionList } from '../api.js'
import {
  DATABASE_ID_EXAMPLE,
  MaxPages,
  NextCursor,
  NotionId,
  Page,
  PageSize,
  StartCursor,
  toPage,
} from '../shapes.js'
import type { RawPage } from '../shapes.js'

/** Reads the pages (rows) of a database with Notion's filter and sorts. */
export const queryDatabase = defineAction({
  name: 'query_database',
  title: 'Query a database',
  description:
    'Reads the pages (rows) of a Notion database, optionally filtered and sorted with Notion\'s filter and sorts objects, for example filter { "property": "Status", "status": { "equals": "Done" } } and sorts [{ "property": "Due", "direction": "ascending" }]. Each page comes with plain values of its properties. Returns nextCursor; pass it back as startCursor to continue.',
  input: Type.Object({
    databaseId: NotionId('The database, from its URL or from search', DATABASE_ID_EXAMPLE),
    filter: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), {
        description: 'A Notion filter object, passed as it is',
        examples: [{ property: 'Status', status: { equals: 'In progress' } }],
      }),
    ),
    sorts: Type.Optional(
      Type.Array(Type.Record(Type.String(), Type.Unknown()), {
        description: 'Notion sort objects, passed as they are',
        examples: [[{ timestamp: 'last_edited_time', direction: 'descending' }]],
      }),
    ),
    startCursor: StartCursor,
    pageSize: PageSize,
    maxPages: MaxPages,
  }),
  output: Type.Object({ pages: Type.Array(Page), nextCursor: NextCursor }),
  examples: [
    {
      title: 'Tasks in progress, soonest due first',
      input: {
        databaseId: DATABASE_ID_EXAMPLE,
        filter: { property: 'Status', status: { equals: 'In progress' } },
        sorts: [{ property: 'Due', direction: 'ascending' }],
        pageSize: 50,
      },
    },
  ],
  retry: { idempotent: true },
  async run({ http, input }) {
    const { results, nextCursor } = await readList(input, async (startCursor, pageSize) => {
      const res = await callNotion<NotionList<RawPage>>(
        http,
        'POST',
        urlPath`/v1/databases/${input.databaseId}/query`,
        {
          json: { filter: input.filter, sorts: input.sorts, start_cursor: startCursor, page_size: pageSize },
        },
      )
      return res.json
    })
    return { pages: results.map(toPage), nextCursor }
  },
})
