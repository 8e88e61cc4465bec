import { ActionError, Type, defineAction } from '@toolplane/sdk'
import { withConnection } from './connection.js'

const CATALOG_TIMEOUT_MS = 30_000
const STATEMENT_TIMEOUT_MS = CATALOG_TIMEOUT_MS - 1_000

const RelationType = Type.Union(
  [
    Type.Literal('table'),
    Type.Literal('partitioned_table'),
    Type.Literal('view'),
    Type.Literal('materialized_view'),
    Type.Literal('foreign_table'),
  ],
  { description: 'What kind of relation it is.' },
)

type Relation = 'table' | 'partitioned_table' | 'view' | 'materialized_view' | 'foreign_table'

const relationKinds = `case c.relkind
    when 'r' then 'table' when 'p' then 'partitioned_table' when 'v' then 'view'
    when 'm' then 'materialized_view' when 'f' then 'foreign_table' end`

/**
 * `postgres.list_tables`: the tables (and views) of the database, or of one schema, in pages.
 */
export const listTables = defineAction({
  name: 'list_tables',
  title: 'List tables',
  description:
    'Lists the tables of the database with their schema, kind, estimated row count and comment, ordered by schema and name. Without `schema`, system schemas (pg_catalog, information_schema) are left out. Views are included unless includeViews is false. Returns up to `limit` tables; pass `nextOffset` as `offset` for the next page.',
  input: Type.Object({
    schema: Type.Optional(Type.String({ minLength: 1, description: 'Only this schema, such as `public`.' })),
    includeViews: Type.Boolean({ default: true, description: 'Include views and materialized views.' }),
    limit: Type.Integer({ minimum: 1, maximum: 5000, default: 500 }),
    offset: Type.Integer({ minimum: 0, default: 0 }),
  }),
  output: Type.Object({
    tables: Type.Array(
      Type.Object({
        schema: Type.String(),
        name: Type.String(),
        type: RelationType,
        estimatedRows: Type.Union([Type.Integer(), Type.Null()], {
          description: "The planner's estimate; null when the table was never analyzed.",
        }),
        comment: Type.Union([Type.String(), Type.Null()]),
      }),
    ),
    nextOffset: Type.Union([Type.Integer(), Type.Null()], {
      description: 'The offset of the next page, or null.',
    }),
  }),
  examples: [
    {
      title: 'Tables of the public schema',
      input: { schema: 'public', includeViews: true, limit: 100, offset: 0 },
      output: {
        tables: [{ schema: 'public', name: 'users', type: 'table', estimatedRows: 1200, comment: null }],
        nextOffset: null,
      },
    },
  ],
  timeoutMs: CATALOG_TIMEOUT_MS,
  retry: { idempotent: true },
  async run(ctx) {
    const { input } = ctx
    const kinds = input.includeViews ? ['r', 'p', 'f', 'v', 'm'] : ['r', 'p', 'f']
    return withConnection(ctx, STATEMENT_TIMEOUT_MS, async (client) => {
      const result = await client.query<{
        schema: string
        name: string
        type: Relation
        estimated_rows: string | null
        comment: string | null
      }>(
        `select n.nspname as schema, c.relname as name, ${relationKinds} as type,
           case when c.reltuples < 0 then null else c.reltuples::bigint end as estimated_rows,
           obj_description(c.oid, 'pg_class') as comment
         from pg_class c join pg_namespace n on n.oid = c.relnamespace
         where c.relkind::text = any($1::text[])
           and (($2::text is null and n.nspname not in ('pg_catalog', 'information_schema')
                 and n.nspname not like 'pg\\_toast%' and n.nspname not like 'pg\\_temp%')
                or n.nspname = $2)
         order by n.nspname, c.relname
         limit $3 offset $4`,
        [kinds, input.schema ?? null, input.limit + 1, input.offset],
      )
      const more = result.rows.length > input.limit
      return {
        tables: result.rows.slice(0, input.limit).map((row) => ({
          schema: row.schema,
          name: row.name,
          type: row.type,
          estimatedRows: row.estimated_rows === null ? null : Number(row.estimated_rows),
          comment: row.comment,
        })),
        nextOffset: more ? input.offset + input.limit : null,
      }
    })
  },
})

const Column = Type.Object({
  name: Type.String(),
  type: Type.String({ description: 'The PostgreSQL type with modifiers, such as `numeric(10,2)`.' }),
  nullable: Type.Boolean(),
  default: Type.Union([Type.String(), Type.Null()], { description: 'The default expression, as SQL.' }),
  primaryKey: Type.Boolean(),
  generated: Type.Union([Type.Literal('identity'), Type.Literal('stored'), Type.Null()], {
    description: '`identity` for identity columns, `stored` for generated columns.',
  }),
  comment: Type.Union([Type.String(), Type.Null()]),
})

const ForeignKey = Type.Object({
  name: Type.String(),
  columns: Type.Array(Type.String()),
  referencesSchema: Type.String(),
  referencesTable: Type.String(),
  referencesColumns: Type.Array(Type.String()),
})

/**
 * `postgres.describe_table`: a table's columns with types, nullability and defaults, its primary key
 * and its foreign keys.
 */
export const describeTable = defineAction({
  name: 'describe_table',
  title: 'Describe a table',
  description:
    'Describes one table or view: each column with its PostgreSQL type, nullability, default and whether it belongs to the primary key, plus the primary key columns in order and the foreign keys. Use it before writing a query or insert_row. Names are matched exactly (case-sensitive). Fails with not_found when there is no such table.',
  input: Type.Object({
    schema: Type.String({ minLength: 1, default: 'public' }),
    table: Type.String({
      minLength: 1,
      description: 'The table name, exactly as stored.',
      examples: ['users'],
    }),
  }),
  output: Type.Object({
    schema: Type.String(),
    name: Type.String(),
    type: RelationType,
    comment: Type.Union([Type.String(), Type.Null()]),
    columns: Type.Array(Column),
    primaryKey: Type.Array(Type.String()),
    foreignKeys: Type.Array(ForeignKey),
  }),
  examples: [
    {
      title: 'Describe users',
      input: { schema: 'public', table: 'users' },
      output: {
        schema: 'public',
        name: 'users',
        type: 'table',
        comment: null,
        columns: [
          {
            name: 'id',
            type: 'integer',
            nullable: false,
            default: null,
            primaryKey: true,
            generated: 'identity',
            comment: null,
          },
        ],
        primaryKey: ['id'],
        foreignKeys: [],
      },
    },
  ],
  timeoutMs: CATALOG_TIMEOUT_MS,
  retry: { idempotent: true },
  async run(ctx) {
    const { input } = ctx
    return withConnection(ctx, STATEMENT_TIMEOUT_MS, async (client) => {
      const relation = await client.query<{ oid: number; type: Relation; comment: string | null }>(
        `select c.oid::int as oid, ${relationKinds} as type, obj_description(c.oid, 'pg_class') as comment
         from pg_class c join pg_namespace n on n.oid = c.relnamespace
         where n.nspname = $1 and c.relname = $2 and c.relkind in ('r', 'p', 'v', 'm', 'f')`,
        [input.schema, input.table],
      )
      const found = relation.rows[0]
      if (found === undefined) {
        throw new ActionError('not_found', `There is no table "${input.schema}"."${input.table}"`, {
          requestSent: true,
          suggestions: [
            {
              title: 'List the tables',
              detail: 'Use postgres.list_tables to see the names; they are matched exactly, including case.',
            },
          ],
        })
      }
      const primaryKey = await client.query<{ name: string }>(
        `select a.attname::text as name
         from pg_index i
         cross join lateral unnest(i.indkey::int2[]) with ordinality as k(attnum, position)
         join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum
         where i.indrelid = $1 and i.indisprimary
         order by k.position`,
        [found.oid],
      )
      const columns = await client.query<{
        name: string
        type: string
        nullable: boolean
        default: string | null
        generated: 'identity' | 'stored' | null
        comment: string | null
      }>(
        `select a.attname::text as name, format_type(a.atttypid, a.atttypmod) as type,
           not a.attnotnull as nullable, pg_get_expr(d.adbin, d.adrelid) as default,
           case when a.attidentity <> '' then 'identity' when a.attgenerated <> '' then 'stored' end as generated,
           col_description(a.attrelid, a.attnum) as comment
         from pg_attribute a
         left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
         where a.attrelid = $1 and a.attnum > 0 and not a.attisdropped
         order by a.attnum`,
        [found.oid],
      )
      const foreignKeys = await client.query<{
        name: string
        columns: string[]
        references_schema: string
        references_table: string
        references_columns: string[]
      }>(
        `select con.conname::text as name,
           array(select a.attname::text from unnest(con.conkey) with ordinality as k(attnum, position)
                 join pg_attribute a on a.attrelid = con.conrelid and a.attnum = k.attnum order by k.position) as columns,
           fn.nspname::text as references_schema, fc.relname::text as references_table,
           array(select a.attname::text from unnest(con.confkey) with ordinality as k(attnum, position)
                 join pg_attribute a on a.attrelid = con.confrelid and a.attnum = k.attnum order by k.position) as references_columns
         from pg_constraint con
         join pg_class fc on fc.oid = con.confrelid
         join pg_namespace fn on fn.oid = fc.relnamespace
         where con.conrelid = $1 and con.contype = 'f'
         order by con.conname`,
        [found.oid],
      )
      const keyColumns = primaryKey.rows.map((row) => row.name)
      return {
        schema: input.schema,
        name: input.table,
        type: found.type,
        comment: found.comment,
        columns: columns.rows.map((column) => ({ ...column, primaryKey: keyColumns.includes(column.name) })),
        primaryKey: keyColumns,
        foreignKeys: foreignKeys.rows.map((key) => ({
          name: key.name,
          columns: key.columns,
          referencesSchema: key.references_schema,
          referencesTable: key.references_table,
          referencesColumns: key.references_columns,
        })),
      }
    })
  },
})
