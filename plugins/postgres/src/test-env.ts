/**
 * The PostgreSQL server the tests use: `TOOLPLANE_TEST_POSTGRES_URL`, by default the local server with
 * trust authentication. Each test file gets a database of its own and drops it afterwards.
 */
import { randomBytes } from 'node:crypto'
import pg from 'pg'

/** The URL of the test server's maintenance database. */
export const testPostgresUrl =
  process.env.TOOLPLANE_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'

/** A database created for one test file. */
export interface TestDatabase {
  name: string
  /** A connection string for it, with the test server's user and password. */
  url: string
  /** Runs SQL in it as the test server's user (to set up fixtures). */
  sql(text: string, values?: unknown[]): Promise<pg.QueryResult>
  drop(): Promise<void>
}

async function onServer<T>(
  database: string | undefined,
  work: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const url = new URL(testPostgresUrl)
  if (database !== undefined) url.pathname = `/${database}`
  const client = new pg.Client({ connectionString: url.href })
  await client.connect()
  try {
    return await work(client)
  } finally {
    await client.end()
  }
}

/** Creates `toolplane_test_<random>` on the test server. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `toolplane_test_${randomBytes(6).toString('hex')}`
  await onServer(undefined, async (client) => client.query(`create database ${name}`))
  const url = new URL(testPostgresUrl)
  url.pathname = `/${name}`
  return {
    name,
    url: url.href,
    async sql(text, values) {
      return onServer(name, async (client) => client.query(text, values))
    },
    async drop() {
      await onServer(undefined, async (client) =>
        client.query(`drop database if exists ${name} with (force)`),
      )
    },
  }
}
