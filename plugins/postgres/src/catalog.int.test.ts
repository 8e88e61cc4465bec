import { runAction } from '@toolplane/sdk'
import { actionErrorOf } from '@toolplane/sdk/testing'
import type { CredentialView } from '@toolplane/sdk'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import postgres from './index.js'
import { createTestDatabase } from './test-env.js'
import type { TestDatabase } from './test-env.js'

let database: TestDatabase
let credential: CredentialView

beforeAll(async () => {
  database = await createTestDatabase()
  credential = { authMethod: 'connection', secrets: { connectionString: database.url } }
  await database.sql(`
    create table customers (
      id int generated always as identity primary key,
      email text unique not null,
      name varchar(80),
      created_at timestamptz not null default now()
    );
    comment on table customers is 'People who buy things';
    comment on column customers.email is 'Login address';
    create table "Order Items" (
      "order id" bigint not null,
      line int not null,
      customer_id int references customers (id),
      price numeric(10, 2) not null default 0,
      total numeric(10, 2) generated always as (price * 2) stored,
      attributes jsonb,
      labels text[],
      primary key (line, "order id")
    );
    create view big_spenders as select * from customers;
    analyze customers;
    create schema billing;
    create table billing.invoices (id serial primary key);
  `)
})
afterAll(async () => {
  await database.drop()
})

function run<N extends 'list_tables' | 'describe_table' | 'insert_row'>(
  action: N,
  input: Record<string, unknown>,
) {
  return runAction(postgres, action, { input, credential, allowPrivateNetwork: true })
}

describe('postgres.list_tables', () => {
  it('lists the tables and views of every user schema', async () => {
    const { output } = await run('list_tables', {})
    expect(output.tables).toEqual([
      { schema: 'billing', name: 'invoices', type: 'table', estimatedRows: null, comment: null },
      { schema: 'public', name: 'Order Items', type: 'table', estimatedRows: null, comment: null },
      { schema: 'public', name: 'big_spenders', type: 'view', estimatedRows: null, comment: null },
      {
        schema: 'public',
        name: 'customers',
        type: 'table',
        estimatedRows: 0,
        comment: 'People who buy things',
      },
    ])
    expect(output.nextOffset).toBeNull()
  })

  it('filters by schema and leaves out views when asked', async () => {
    const billing = await run('list_tables', { schema: 'billing' })
    expect(billing.output.tables.map((table) => table.name)).toEqual(['invoices'])
    const tablesOnly = await run('list_tables', { schema: 'public', includeViews: false })
    expect(tablesOnly.output.tables.map((table) => table.name)).toEqual(['Order Items', 'customers'])
  })

  it('pages with limit and offset', async () => {
    const first = await run('list_tables', { limit: 2 })
    expect(first.output.tables.map((table) => table.name)).toEqual(['invoices', 'Order Items'])
    expect(first.output.nextOffset).toBe(2)
    const second = await run('list_tables', { limit: 2, offset: first.output.nextOffset })
    expect(second.output.tables.map((table) => table.name)).toEqual(['big_spenders', 'customers'])
    expect(second.output.nextOffset).toBeNull()
  })
})

describe('postgres.describe_table', () => {
  it('describes columns, the primary key and the comments', async () => {
    const { output } = await run('describe_table', { table: 'customers' })
    expect(output).toMatchObject({
      schema: 'public',
      name: 'customers',
      type: 'table',
      comment: 'People who buy things',
    })
    expect(output.primaryKey).toEqual(['id'])
    expect(output.columns).toEqual([
      {
        name: 'id',
        type: 'integer',
        nullable: false,
        default: null,
        primaryKey: true,
        generated: 'identity',
        comment: null,
      },
      {
        name: 'email',
        type: 'text',
        nullable: false,
        default: null,
        primaryKey: false,
        generated: null,
        comment: 'Login address',
      },
      {
        name: 'name',
        type: 'character varying(80)',
        nullable: true,
        default: null,
        primaryKey: false,
        generated: null,
        comment: null,
      },
      {
        name: 'created_at',
        type: 'timestamp with time zone',
        nullable: false,
        default: 'now()',
        primaryKey: false,
        generated: null,
        comment: null,
      },
    ])
    expect(output.foreignKeys).toEqual([])
  })

  it('keeps the order of a composite primary key and lists foreign keys', async () => {
    const { output } = await run('describe_table', { schema: 'public', table: 'Order Items' })
    expect(output.primaryKey).toEqual(['line', 'order id'])
    expect(output.foreignKeys).toEqual([
      {
        name: 'Order Items_customer_id_fkey',
        columns: ['customer_id'],
        referencesSchema: 'public',
        referencesTable: 'customers',
        referencesColumns: ['id'],
      },
    ])
    expect(output.columns.find((column) => column.name === 'total')).toMatchObject({ generated: 'stored' })
  })

  it('describes a view', async () => {
    const { output } = await run('describe_table', { table: 'big_spenders' })
    expect(output.type).toBe('view')
    expect(output.primaryKey).toEqual([])
  })

  it('fails with not_found for a table that does not exist', async () => {
    const error = await actionErrorOf(run('describe_table', { table: 'Customers' }))
    expect(error.class).toBe('not_found')
    expect(error.suggestions[0]?.title).toBe('List the tables')
  })
})

describe('postgres.insert_row', () => {
  it('inserts a row and returns it as stored', async () => {
    const { output } = await run('insert_row', {
      table: 'customers',
      values: { email: 'ada@example.com', name: 'Ada' },
    })
    expect(output.row).toMatchObject({ id: 1, email: 'ada@example.com', name: 'Ada' })
    expect(typeof output.row.created_at).toBe('string')
  })

  it('quotes odd identifiers and stores JSON and array values', async () => {
    const { output } = await run('insert_row', {
      schema: 'public',
      table: 'Order Items',
      values: {
        'order id': 7,
        line: 1,
        customer_id: 1,
        price: 9.5,
        attributes: { gift: true },
        labels: ['red', 'xl'],
      },
    })
    expect(output.row).toEqual({
      'order id': '7',
      line: 1,
      customer_id: 1,
      price: '9.50',
      total: '19.00',
      attributes: { gift: true },
      labels: ['red', 'xl'],
    })
  })

  it('cannot be steered into another statement through a column name', async () => {
    const error = await actionErrorOf(
      run('insert_row', {
        table: 'customers',
        values: { "email\") values ('x'); drop table customers; --": 'x' },
      }),
    )
    expect(error.class).toBe('validation_error')
    expect(error.message).toContain('42703')
    const { output } = await run('describe_table', { table: 'customers' })
    expect(output.name).toBe('customers')
  })

  it('fails with conflict on a duplicate key', async () => {
    const error = await actionErrorOf(
      run('insert_row', { table: 'customers', values: { email: 'ada@example.com' } }),
    )
    expect(error.class).toBe('conflict')
  })

  it('fails with conflict when a referenced row is missing', async () => {
    const error = await actionErrorOf(
      run('insert_row', { table: 'Order Items', values: { 'order id': 8, line: 1, customer_id: 999 } }),
    )
    expect(error.class).toBe('conflict')
    expect(error.message).toContain('23503')
  })

  it('fails with not_found for a table that does not exist', async () => {
    const error = await actionErrorOf(run('insert_row', { table: 'nope', values: { a: 1 } }))
    expect(error.class).toBe('not_found')
  })
})
