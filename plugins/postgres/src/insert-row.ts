import { Type, defineAction } from '@toolplane/sdk'
import { withConnection } from './connection.js'
import { quoteIdentifier, toJsonRow } from './sql.js'

const INSERT_TIMEOUT_MS = 30_000

/**
 * `postgres.insert_row`: inserts one row from an object of column values. Identifiers are quoted and
 * values sent as parameters, so neither can change the statement; the stored row comes back.
 */
export const insertRow = defineAction({
  name: 'insert_row',
  title: 'Insert a row',
  description:
    'Inserts one row into a table from an object of column → value, and returns the row as stored (with defaults and generated values, via RETURNING *). Column and table names are used exactly as given (quoted, case-sensitive); values are sent as parameters. An object value is stored as JSON, an array as a PostgreSQL array. A duplicate key fails with conflict, an unknown table with not_found.',
  input: Type.Object({
    schema: Type.String({ minLength: 1, default: 'public' }),
    table: Type.String({ minLength: 1, examples: ['users'] }),
    values: Type.Record(Type.String({ minLength: 1 }), Type.Unknown(), {
      minProperties: 1,
      description: 'Column values by column name.',
      examples: [{ email: 'ada@example.com', name: 'Ada Lovelace' }],
    }),
  }),
  output: Type.Object({
    row: Type.Record(Type.String(), Type.Unknown(), { description: 'The inserted row, as stored.' }),
  }),
  examples: [
    {
      title: 'Add a user',
      input: { schema: 'public', table: 'users', values: { email: 'ada@example.com', name: 'Ada Lovelace' } },
      output: {
        row: { id: 42, email: 'ada@example.com', name: 'Ada Lovelace', created_at: '2024-06-01 12:00:00+00' },
      },
    },
  ],
  timeoutMs: INSERT_TIMEOUT_MS,
  retry: { idempotent: false },
  async run(ctx) {
    const { input } = ctx
    const columns = Object.keys(input.values)
    const sql = `insert into ${quoteIdentifier(input.schema)}.${quoteIdentifier(input.table)} (${columns
      .map(quoteIdentifier)
      .join(', ')}) values (${columns.map((_, index) => `$${index + 1}`).join(', ')}) returning *`
    return withConnection(ctx, INSERT_TIMEOUT_MS - 1_000, async (client) => {
      const result = await client.query<Record<string, unknown>>(sql, Object.values(input.values))
      return { row: toJsonRow(result.rows[0] ?? {}) }
    })
  },
})
