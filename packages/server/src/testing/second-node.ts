// A second Toolplane server process for the cross-process tests: it joins the same database and
// Redis as the test's own app, waits for "go" on stdin, uses a credential N times at once and prints
// the access tokens it got as JSON. Arguments: one JSON object (see `Arguments`).
import readline from 'node:readline'
import pino from 'pino'
import { buildApp } from '../app.js'
import { loadConfig } from '../config.js'
import { openDatabase } from '../db/database.js'
import { createInfrastructure } from '../infra/setup.js'
import { loadPlugins } from '../tools/plugins.js'
import { oauthTestTool } from './oauth-tool.js'

interface Arguments {
  databaseUrl: string
  redisUrl: string
  redisPrefix: string
  masterKey: string
  issuer: string
  clock: number
  workspaceId: string
  credentialId: string
  uses: number
}

const args = JSON.parse(process.argv[2] ?? '{}') as Arguments
const config = loadConfig({
  TOOLPLANE_DATABASE_URL: args.databaseUrl,
  TOOLPLANE_MASTER_KEY: args.masterKey,
  TOOLPLANE_ALLOW_PRIVATE_NETWORK: 'true',
  TOOLPLANE_LOG_LEVEL: 'silent',
})
const logger = pino({ level: 'silent' })
const database = openDatabase(config.database)
const infrastructure = await createInfrastructure(args.redisUrl, logger, { prefix: args.redisPrefix })
const loaded = await loadPlugins({ extra: [], cwd: process.cwd() })
const app = await buildApp({
  config,
  database,
  masterKey: { key: Buffer.from(args.masterKey, 'base64'), source: 'env', path: null },
  logger,
  clock: () => args.clock,
  plugins: {
    tools: [...loaded.tools, { tool: oauthTestTool(args.issuer), plugin: 'test', builtin: false }],
    refused: [],
  },
  infrastructure,
})
process.stdout.write('ready\n')
const input = readline.createInterface({ input: process.stdin })
for await (const line of input) {
  if (line.trim() !== 'go') continue
  const results = await Promise.all(
    Array.from({ length: args.uses }, () => app.connections.secretsFor(args.workspaceId, args.credentialId)),
  )
  process.stdout.write(`${JSON.stringify(results.map((secrets) => secrets.accessToken))}\n`)
  break
}
input.close()
await app.close()
await infrastructure.close()
await database.close()
