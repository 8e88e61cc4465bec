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
    create table users (
      id int generated always as identity primary key,
      email text unique not null,
      name varchar(80),
      balance numeric(10, 2) default 0,
      visits bigint default 0,
      profile jsonb,
      tags text[],
      avatar bytea,
      born date,
      created_at timestamptz default '2024-06-01 12:00:00+00'
    );
    insert into users (email, name, balance, visits, profile, tags, avatar, born)
    values ('ada@example.com', 'Ada', 12.5, 9007199254740993, '{"lang": "en"}', '{math,poetry}', '\\xdead', '1815-12-10'),
           ('grace@example.com', 'Grace', 0, 1, null, '{}', null, null);
    create table numbers as select n from generate_series(1, 5000) as n;
    create sequence produced;
  `)
})
afterAll(async () => {
  await database.drop()
})

async function query(input: Record<string, unknown>, options: { timeoutMs?: number } = {}) {
  return runAction(postgres, 'query', { input, credential, allowPrivateNetwork: true, ...options })
}

describe('postgres.query', () => {
  it('returns rows as JSON objects with the column types', async () => {
    const { output } = await query({
      sql: 'select id, email, name, balance, visits, profile, tags, avatar, born, created_at from users where email = $1',
      params: ['ada@example.com'],
    })
    expect(output.rows).toEqual([
      {
        id: 1,
        email: 'ada@example.com',
        name: 'Ada',
        balance: '12.50',
        visits: '9007199254740993',
        profile: { lang: 'en' },
        tags: ['math', 'poetry'],
        avatar: '\\xdead',
        born: '1815-12-10',
        created_at: expect.stringMatching(/^2024-06-01 \d\d:00:00\+\d\d$/) as unknown,
      },
    ])
    expect(output.rowCount).toBe(1)
    expect(output.command).toBe('SELECT')
    expect(output.truncated).toBe(false)
    expect(output.fields.map((field) => [field.name, field.type])).toEqual([
      ['id', 'integer'],
      ['email', 'text'],
      ['name', 'character varying(80)'],
      ['balance', 'numeric(10,2)'],
      ['visits', 'bigint'],
      ['profile', 'jsonb'],
      ['tags', 'text[]'],
      ['avatar', 'bytea'],
      ['born', 'date'],
      ['created_at', 'timestamp with time zone'],
    ])
    expect(output.fields[0]?.dataTypeId).toBe(23)
  })

  it('binds params as values, so SQL in a value stays a value', async () => {
    const { output } = await query({
      sql: 'select count(*)::int as n from users where email = $1',
      params: ["' or 1=1; drop table users; --"],
    })
    expect(output.rows).toEqual([{ n: 0 }])
    const still = await query({ sql: 'select count(*)::int as n from users' })
    expect(still.output.rows).toEqual([{ n: 2 }])
  })

  it('sends an object param as JSON and an array as a PostgreSQL array', async () => {
    const { output } = await query({
      sql: "select $1::jsonb ->> 'plan' as plan, array_length($2::int[], 1) as size, $3::boolean as flag, $4::text as nothing",
      params: [{ plan: 'pro' }, [1, 2, 3], true, null],
    })
    expect(output.rows).toEqual([{ plan: 'pro', size: 3, flag: true, nothing: null }])
  })

  it('refuses SQL text with a second statement before connecting', async () => {
    const error = await actionErrorOf(query({ sql: 'select 1; drop table users' }))
    expect(error.class).toBe('validation_error')
    expect(error.requestSent).toBe(false)
    const { output } = await query({ sql: "select ';' as semicolon;" })
    expect(output.rows).toEqual([{ semicolon: ';' }])
  })

  it('caps the rows at maxRows and says the result was truncated', async () => {
    const { output } = await query({ sql: 'select n from numbers order by n', maxRows: 3 })
    expect(output).toMatchObject({ rows: [{ n: 1 }, { n: 2 }, { n: 3 }], rowCount: null, truncated: true })
    const exact = await query({ sql: 'select n from numbers where n <= 3 order by n', maxRows: 3 })
    expect(exact.output).toMatchObject({ rowCount: 3, truncated: false, command: 'SELECT' })
    expect(exact.output.rows).toHaveLength(3)
  })

  it('stops the server producing rows at the cap instead of reading the whole table', async () => {
    const { output } = await query({ sql: "select n, nextval('produced') as k from numbers", maxRows: 3 })
    expect(output.rows).toHaveLength(3)
    const produced = await database.sql('select last_value::int as n from produced')
    expect(produced.rows[0]).toEqual({ n: 4 })
  })

  it('reports the rows a write changed', async () => {
    const { output } = await query({
      sql: 'update users set visits = visits + 1 where email = $1',
      params: ['grace@example.com'],
    })
    expect(output).toMatchObject({ rows: [], rowCount: 1, command: 'UPDATE', fields: [] })
  })

  it('runs a read-only query, and refuses a write in one with permission_error', async () => {
    const read = await query({ sql: 'select count(*)::int as n from users', readOnly: true })
    expect(read.output.rows).toEqual([{ n: 2 }])
    const error = await actionErrorOf(
      query({ sql: "insert into users (email) values ('eve@example.com')", readOnly: true }),
    )
    expect(error.class).toBe('permission_error')
    expect(error.message).toContain('25006')
    const after = await query({ sql: "select count(*)::int as n from users where email = 'eve@example.com'" })
    expect(after.output.rows).toEqual([{ n: 0 }])
  })

  it('times out on the server after timeoutMs with class timeout', async () => {
    const started = Date.now()
    const error = await actionErrorOf(query({ sql: 'select pg_sleep(2)', timeoutMs: 50 }))
    expect(error.class).toBe('timeout')
    expect(error.message).toContain('57014')
    expect(Date.now() - started).toBeLessThan(1500)
  })

  it('stops waiting when the run time limit passes', async () => {
    const error = await actionErrorOf(query({ sql: 'select pg_sleep(1)' }, { timeoutMs: 100 }))
    expect(error.class).toBe('timeout')
  })

  it.each([
    ['select * from no_such_table', 'not_found', '42P01'],
    ['select nope from users', 'validation_error', '42703'],
    ['selec 1', 'validation_error', '42601'],
    ["insert into users (email) values ('ada@example.com')", 'conflict', '23505'],
    ['insert into users (name) values (null)', 'validation_error', '23502'],
    ["select 'x'::int", 'validation_error', '22P02'],
  ])('maps %j to %s', async (sql, errorClass, code) => {
    const error = await actionErrorOf(query({ sql }))
    expect(error.class).toBe(errorClass)
    expect(error.message).toContain(code)
    expect(error.requestSent).toBe(true)
  })

  it('says which key already exists on a conflict', async () => {
    const error = await actionErrorOf(
      query({ sql: "insert into users (email) values ('grace@example.com')" }),
    )
    expect(error.message).toContain('Key (email)=(grace@example.com) already exists')
  })
})
