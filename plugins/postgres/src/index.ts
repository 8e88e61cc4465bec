/**
 * The built-in `postgres` tool: parameterized SQL against a PostgreSQL database, plus the catalog
 * reads an agent needs to write it (tables, columns, keys). Connections follow the same network
 * rules as HTTP calls.
 */
import { defineTool } from '@toolplane/sdk'
import { describeTable, listTables } from './catalog.js'
import { connectionAuth, withConnection } from './connection.js'
import { insertRow } from './insert-row.js'
import { query } from './query.js'

export { describeTable, insertRow, listTables, query }
export { ConnectionFields, connectionAuth, connectionSettings, withConnection } from './connection.js'
export type { ConnectionSettings } from './connection.js'
export { postgresError } from './errors.js'
export { quoteIdentifier, statementCount } from './sql.js'

export default defineTool({
  slug: 'postgres',
  name: 'PostgreSQL',
  description:
    'Run parameterized SQL on a PostgreSQL database, list its tables, describe their columns and keys, and insert rows.',
  version: '1.0.0',
  categories: ['databases'],
  authMethods: [connectionAuth],
  actions: [query, listTables, describeTable, insertRow],
  async healthCheck(ctx) {
    await withConnection(ctx, 5_000, async (client) => client.query('select 1'))
  },
})
