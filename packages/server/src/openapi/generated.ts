import path from 'node:path'
import { fileURLToPath } from 'node:url'
import pino from 'pino'
import { buildApp } from '../app.js'
import { loadConfig } from '../config.js'
import { openDatabase } from '../db/database.js'
import { migrateUp } from '../db/migrator.js'
import { errorCodes, problemTypeBase } from '../errors.js'

/** The repository root, from this file's place in packages/server/src/openapi. */
export const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..')

/**
 * The files generated from the code, by path relative to the repository root: the OpenAPI
 * document (from the route schemas) and the error reference (from the error registry). CI fails
 * when the committed copies differ; `npm run generate` rewrites them.
 */
export async function generatedFiles(): Promise<Record<string, string>> {
  const config = loadConfig({ TOOLPLANE_DATABASE_URL: 'sqlite://:memory:' })
  const database = openDatabase(config.database)
  await migrateUp(database.db)
  const app = await buildApp({
    config,
    database,
    masterKey: { key: Buffer.alloc(32), source: 'env', path: null },
    logger: pino({ level: 'silent' }),
  })
  try {
    await app.ready()
    const document = `${JSON.stringify(app.swagger(), null, 2)}\n`
    return { 'docs/api/openapi.json': document, 'docs/api/errors.md': errorsPage() }
  } finally {
    await app.close()
    await database.close()
  }
}

function errorsPage(): string {
  const rows = Object.entries(errorCodes).map(
    ([code, entry]) =>
      `| <a id="${code}"></a>\`${code}\` | ${entry.status} | ${entry.title} | ${entry.meaning} |`,
  )
  return [
    '<!-- Generated from packages/server/src/errors.ts by `npm run generate`; do not edit by hand. -->',
    '',
    '# Error codes',
    '',
    'Every error response is RFC 9457 `application/problem+json`:',
    '',
    '```json',
    '{',
    `  "type": "${problemTypeBase}validation_error",`,
    '  "title": "The request is not valid",',
    '  "status": 400,',
    '  "detail": "/body/scopes must NOT have fewer than 1 items.",',
    '  "code": "validation_error",',
    '  "requestId": "3f6c0a8e-0d7c-4f0e-9a51-3c1f5d1f2b9e",',
    '  "errors": [{ "path": "/body/scopes", "message": "must NOT have fewer than 1 items" }]',
    '}',
    '```',
    '',
    'Match on `code`: it is stable across releases, while `title` and `detail` are for people. Quote',
    '`requestId` (also in the `X-Request-Id` header) when asking an operator about a failure.',
    '',
    '| code | status | title | meaning |',
    '|---|---|---|---|',
    ...rows,
    '',
  ].join('\n')
}
