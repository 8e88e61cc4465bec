import { Type, defineAction } from '@toolplane/sdk'
import pg from 'pg'
import type { Connection, ExecuteConfig, FieldDef, QueryConfig, QueryResult } from 'pg'
import { withConnection } from './connection.js'
import { assertSingleStatement, toJsonRow } from './sql.js'

/** The time limit of `postgres.query`; statements time out on the server a little earlier. */
export const QUERY_TIMEOUT_MS = 30_000
/** Room left between the server's statement timeout and the action's own limit. */
export const TIMEOUT_MARGIN_MS = 1_000

/** What a capped query produced. */
interface CappedResult {
  rows: Record<string, unknown>[]
  fields: FieldDef[]
  rowCount: number | null
  command: string | null
  truncated: boolean
}

/**
 * A statement run with the extended protocol (so the server itself refuses a second statement) whose
 * Execute asks for at most `maxRows + 1` rows, with Sync sent right behind it: when the portal has
 * more rows, the server suspends it and Sync closes it, so a `select * from huge_table` stops at the
 * cap instead of streaming the whole table.
 */
class CappedQuery extends pg.Query {
  readonly #rowLimit: number

  constructor(text: string, values: readonly unknown[], maxRows: number) {
    const config: QueryConfig & { queryMode: 'extended' } = {
      text,
      values: [...values],
      queryMode: 'extended',
    }
    super(config)
    this.#rowLimit = maxRows + 1
  }

  // Replaces pg's Execute step (pg sends Execute without a limit, then Sync).
  _getRows(connection: Connection): void {
    connection.execute({ portal: '', rows: this.#rowLimit } as unknown as ExecuteConfig, true)
    connection.sync()
  }

  // pg's own Query would fetch the next batch; the Sync already sent ends the statement instead.
  handlePortalSuspended(): void {
    // Nothing to do: ReadyForQuery follows.
  }
}

async function runCapped(
  client: pg.Client,
  text: string,
  values: readonly unknown[],
  maxRows: number,
): Promise<CappedResult> {
  const query = new CappedQuery(text, values, maxRows)
  // pg's types say `command` is a string, but it stays null when no CommandComplete arrived (a capped portal).
  const result = await new Promise<Omit<QueryResult, 'command'> & { command: string | null }>(
    (resolve, reject) => {
      query.on('end', resolve)
      query.on('error', reject)
      client.query(query)
    },
  )
  const truncated = result.rows.length > maxRows
  return {
    rows: (truncated ? result.rows.slice(0, maxRows) : result.rows).map(toJsonRow),
    fields: result.fields,
    // Unknown when the portal was closed early; otherwise the server's count (rows, or rows changed).
    rowCount: truncated ? null : result.rowCount,
    command: result.command,
    truncated,
  }
}

// PostgreSQL's own names for the result column types, with modifiers (`character varying(80)`).
async function typeNames(client: pg.Client, fields: readonly FieldDef[]): Promise<string[]> {
  if (fields.length === 0) return []
  const named = await client.query<{ name: string }>(
    'select format_type(f.oid, nullif(f.modifier, -1)) as name from unnest($1::oid[], $2::int[]) with ordinality as f(oid, modifier, position) order by f.position',
    [fields.map((field) => field.dataTypeID), fields.map((field) => field.dataTypeModifier)],
  )
  return named.rows.map((row) => row.name)
}

const Field = Type.Object({
  name: Type.String(),
  type: Type.String({ description: 'The PostgreSQL type, such as `integer` or `character varying(80)`.' }),
  dataTypeId: Type.Integer({ description: 'The type OID.' }),
})

/**
 * `postgres.query`: one parameterized SQL statement. Refuses SQL text with more than one statement,
 * caps the rows returned, optionally runs in a READ ONLY transaction, and times out on the server.
 */
export const query = defineAction({
  name: 'query',
  title: 'Run a SQL statement',
  description:
    'Runs exactly one SQL statement with positional parameters ($1, $2…, values in `params`) and returns the rows as objects, the row count and the column names and types. Always pass values as params, never spliced into the SQL text. More than one statement is refused. Set readOnly to run inside a READ ONLY transaction (writes fail with permission_error). At most maxRows rows are returned (`truncated` says when there were more). Use postgres.list_tables and postgres.describe_table to learn the schema first.',
  input: Type.Object({
    sql: Type.String({
      minLength: 1,
      description: 'One SQL statement, with $1, $2… placeholders for values.',
      examples: ['select id, email from users where created_at > $1 order by id limit 50'],
    }),
    params: Type.Array(Type.Unknown(), {
      default: [],
      description:
        'Values for $1, $2…: strings, numbers, booleans, null; an object is sent as JSON, an array as a PostgreSQL array.',
    }),
    readOnly: Type.Boolean({
      default: false,
      description: 'Run in a READ ONLY transaction that is rolled back afterwards.',
    }),
    maxRows: Type.Integer({
      minimum: 1,
      maximum: 100_000,
      default: 1000,
      description: 'The most rows to return.',
    }),
    timeoutMs: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: QUERY_TIMEOUT_MS - TIMEOUT_MARGIN_MS,
        description: 'A shorter statement time limit, in ms.',
      }),
    ),
  }),
  output: Type.Object({
    rows: Type.Array(Type.Record(Type.String(), Type.Unknown()), {
      description:
        'One object per row, keyed by column name. bigint and numeric values are strings, dates and times PostgreSQL text, bytea `\\x…` hex.',
    }),
    rowCount: Type.Union([Type.Integer(), Type.Null()], {
      description: 'Rows returned, or changed by INSERT/UPDATE/DELETE; null when the rows were truncated.',
    }),
    fields: Type.Array(Field),
    command: Type.Union([Type.String(), Type.Null()], { description: 'SELECT, INSERT, UPDATE…' }),
    truncated: Type.Boolean({ description: 'True when there were more than maxRows rows.' }),
  }),
  examples: [
    {
      title: 'Recent sign-ups, read-only',
      input: {
        sql: 'select id, email from users where created_at > $1 order by id limit 50',
        params: ['2024-06-01'],
        readOnly: true,
        maxRows: 50,
      },
      output: {
        rows: [{ id: 1, email: 'ada@example.com' }],
        rowCount: 1,
        fields: [
          { name: 'id', type: 'integer', dataTypeId: 23 },
          { name: 'email', type: 'text', dataTypeId: 25 },
        ],
        command: 'SELECT',
        truncated: false,
      },
    },
  ],
  timeoutMs: QUERY_TIMEOUT_MS,
  // A statement may write; only a read-only one could be repeated safely, and that is not known here.
  retry: { idempotent: false },
  async run(ctx) {
    const { input } = ctx
    assertSingleStatement(input.sql)
    const limit = Math.min(input.timeoutMs ?? QUERY_TIMEOUT_MS, QUERY_TIMEOUT_MS - TIMEOUT_MARGIN_MS)
    return withConnection(ctx, limit, async (client) => {
      if (input.readOnly) await client.query('begin transaction read only')
      try {
        const result = await runCapped(client, input.sql, input.params, input.maxRows)
        const types = await typeNames(client, result.fields)
        return {
          rows: result.rows,
          rowCount: result.rowCount,
          fields: result.fields.map((field, index) => ({
            name: field.name,
            type: types[index] ?? 'unknown',
            dataTypeId: field.dataTypeID,
          })),
          command: result.command,
          truncated: result.truncated,
        }
      } finally {
        if (input.readOnly) await client.query('rollback').catch(() => undefined)
      }
    })
  },
})
