import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import pg from 'pg'
import type { DatabaseConfig } from '../config.js'
import type { Dialect } from '../db/database.js'
import { testPostgresAdminUrl } from './env.js'

/** Every storage test runs once per dialect. */
export const dialects: readonly Dialect[] = ['sqlite', 'postgres']

export interface TestDatabase {
  readonly config: DatabaseConfig
  /** The `TOOLPLANE_DATABASE_URL` that names it. */
  readonly url: string
  readonly dataDir: string
  drop(): Promise<void>
}

/**
 * A fresh, empty database for one test file: a new SQLite file in a temporary directory, or a
 * new PostgreSQL database created on the test server and dropped afterwards.
 */
export async function createTestDatabase(dialect: Dialect): Promise<TestDatabase> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'toolplane-test-'))
  if (dialect === 'sqlite') {
    const file = path.join(dataDir, 'toolplane.db')
    return {
      config: { kind: 'sqlite', path: file },
      url: `sqlite://${file}`,
      dataDir,
      drop: () => {
        fs.rmSync(dataDir, { recursive: true, force: true })
        return Promise.resolve()
      },
    }
  }
  const name = `toolplane_test_${randomBytes(6).toString('hex')}`
  const admin = new pg.Client({ connectionString: testPostgresAdminUrl })
  await admin.connect()
  try {
    await admin.query(`create database ${name}`)
  } finally {
    await admin.end()
  }
  const url = new URL(testPostgresAdminUrl)
  url.pathname = `/${name}`
  return {
    config: { kind: 'postgres', url: url.toString(), poolSize: 5 },
    url: url.toString(),
    dataDir,
    async drop() {
      const client = new pg.Client({ connectionString: testPostgresAdminUrl })
      await client.connect()
      try {
        await client.query(`drop database if exists ${name} with (force)`)
      } finally {
        await client.end()
      }
      fs.rmSync(dataDir, { recursive: true, force: true })
    },
  }
}
