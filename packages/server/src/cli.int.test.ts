import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import pino from 'pino'
import { createProgram } from './cli.js'
import { migrations } from './db/migrations/index.js'
import type { CliIo } from './cli.js'
import { loadConfig } from './config.js'
import type { RunningServer } from './start.js'
import { startServer } from './start.js'
import { dialects } from './testing/databases.js'
import { createTestDatabase } from './testing/databases.js'
import type { TestDatabase } from './testing/databases.js'

interface Captured {
  out: string
  err: string
}

function cli(
  env: Record<string, string>,
  stdin = '',
): { io: CliIo; captured: Captured; served: RunningServer[] } {
  const captured: Captured = { out: '', err: '' }
  const served: RunningServer[] = []
  return {
    captured,
    served,
    io: {
      env,
      out: (text) => {
        captured.out += text
      },
      err: (text) => {
        captured.err += text
      },
      readStdin: () => Promise.resolve(stdin),
      logger: () => pino({ level: 'silent' }),
      onServing: (server) => served.push(server),
    },
  }
}

async function run(
  env: Record<string, string>,
  args: string[],
  stdin = '',
): Promise<Captured & { served: RunningServer[] }> {
  const { io, captured, served } = cli(env, stdin)
  await createProgram(io).parseAsync(args, { from: 'user' })
  return { ...captured, served }
}

describe.each(dialects)('toolplane CLI on %s', (dialect) => {
  let db: TestDatabase
  let env: Record<string, string>

  beforeAll(async () => {
    db = await createTestDatabase(dialect)
    env = {
      TOOLPLANE_DATABASE_URL: db.url,
      TOOLPLANE_DATA_DIR: db.dataDir,
      TOOLPLANE_PORT: '0',
      TOOLPLANE_BOOTSTRAP_API_KEY: 'tp_cli_bootstrap_key_0123456789',
    }
  })
  afterAll(() => db.drop())

  it('migrates up, reports status, reverts and re-applies', async () => {
    expect((await run(env, ['migrate', 'status'])).out).toMatch(/^pending {2}0001-backbone/m)
    const names = Object.keys(migrations)
    expect((await run(env, ['migrate', 'up'])).out).toBe(`Applied ${names.join(', ')}.\n`)
    expect((await run(env, ['migrate', 'up'])).out).toBe('Already up to date.\n')
    expect((await run(env, ['migrate', 'status'])).out).toMatch(/^applied {2}0001-backbone {2}\d{4}-/m)
    for (const name of [...names].reverse()) {
      expect((await run(env, ['migrate', 'down'])).out).toBe(`Reverted ${name}.\n`)
    }
    expect((await run(env, ['migrate', 'down'])).out).toBe('Nothing to revert.\n')
  })

  it('serves /readyz 200 and bootstraps the API key from the environment', async () => {
    const { served } = await run(env, ['serve'])
    const server = served[0]
    if (server === undefined) throw new Error('not serving')
    try {
      const ready = await fetch(`${server.url}/readyz`)
      expect(ready.status).toBe(200)
      const me = await fetch(`${server.url}/v1/me`, {
        headers: { authorization: `Bearer ${env.TOOLPLANE_BOOTSTRAP_API_KEY ?? ''}` },
      })
      expect(me.status).toBe(200)
      expect(await me.json()).toMatchObject({ workspace: { slug: 'default' }, scopes: ['admin'] })
    } finally {
      await server.close()
    }
  })

  it('creates workspaces, users and API keys, and prints sign-in links', async () => {
    expect((await run(env, ['admin', 'create-workspace', '--slug', 'acme', '--name', 'Acme'])).out).toMatch(
      /^Created workspace acme/,
    )
    const user = await run(
      env,
      [
        'admin',
        'create-user',
        '--email',
        'ops@acme.test',
        '--password-stdin',
        '--workspace',
        'acme',
        '--role',
        'admin',
      ],
      'a strong password here\n',
    )
    expect(user.out).toMatch(/ops@acme.test .* is admin of acme/)

    const key = await run(env, [
      'admin',
      'create-api-key',
      '--name',
      'deploy',
      '--scopes',
      'tools:read,executions:write',
      '--workspace',
      'acme',
    ])
    expect(key.out.trim()).toMatch(/^tp_[A-Za-z0-9_-]{43}$/)
    expect(key.err).toContain('tools:read, executions:write')

    const link = await run(env, ['admin', 'sign-in-link', '--email', 'ops@acme.test', '--workspace', 'acme'])
    expect(link.out).toMatch(/^http:\/\/localhost:0\/v1\/auth\/link\?token=[A-Za-z0-9_-]+\n$/)

    const { served } = await run(env, ['serve'])
    const server = served[0]
    if (server === undefined) throw new Error('not serving')
    try {
      const me = await fetch(`${server.url}/v1/me`, {
        headers: { authorization: `Bearer ${key.out.trim()}` },
      })
      expect(await me.json()).toMatchObject({
        workspace: { slug: 'acme' },
        scopes: ['tools:read', 'executions:write'],
      })
      const login = await fetch(`${server.url}/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'ops@acme.test', password: 'a strong password here' }),
      })
      expect(login.status).toBe(200)
    } finally {
      await server.close()
    }
  })

  it('imports an OpenAPI file as a workspace tool, and again as an update', async () => {
    const file = fileURLToPath(new URL('./tools/fixtures/inventory-openapi.yaml', import.meta.url))
    const first = await run(env, ['tools', 'import', file, '--workspace', 'acme'])
    expect(first.out).toBe('Imported inventory_api (Inventory API) with 3 actions into acme.\n')
    const again = await run(env, ['tools', 'import', file, '--workspace', 'acme', '--name', 'Stock'])
    expect(again.out).toBe('Re-imported inventory_api (Stock) with 3 actions into acme.\n')
  })

  it('shows master key versions and rotates every data key to a new master key', async () => {
    const status = await run(env, ['keys', 'status'])
    expect(status.out).toMatch(/^v1 {2}[0-9a-f]{8} {2}current {2}\d+ credentials {2}\d+ OAuth apps\n$/m)
    const oldKey = fs.readFileSync(path.join(db.dataDir, 'master.key'), 'utf8').trim()
    const rotated = {
      ...env,
      TOOLPLANE_MASTER_KEY: randomBytes(32).toString('base64'),
      TOOLPLANE_MASTER_KEY_PREVIOUS: oldKey,
    }
    const rotation = await run(rotated, ['keys', 'rotate', '--batch-size', '2'])
    expect(rotation.out).toMatch(
      /^Re-wrapped \d+ data keys \(credentials and OAuth apps\) under master key version 2; older versions are retired/,
    )
    const after = await run(rotated, ['keys', 'status'])
    expect(after.out).toMatch(/^v1 .* previous .* retired$/m)
    expect(after.out).toMatch(/^v2 .* current /m)
  })

  it('explains mistakes instead of doing something else', async () => {
    await expect(run(env, ['admin', 'create-api-key', '--name', 'x', '--scopes', 'root'])).rejects.toThrow(
      /unknown scope root/,
    )
    await expect(
      run(env, ['admin', 'create-user', '--email', 'a@b.test', '--workspace', 'nope']),
    ).rejects.toThrow(/no workspace "nope"/)
    await expect(run(env, ['admin', 'sign-in-link', '--email', 'ghost@b.test'])).rejects.toThrow(
      /no user ghost@b.test/,
    )
    await expect(run({ ...env, TOOLPLANE_PORT: 'x' }, ['migrate', 'status'])).rejects.toThrow(
      /TOOLPLANE_PORT/,
    )
    await expect(run(env, ['migrate', 'sideways'])).rejects.toThrow()
  })
})

describe('first start with no configuration', () => {
  it('serves /readyz 200 on SQLite, generates a master key and prints a one-time sign-in link', async () => {
    const db = await createTestDatabase('sqlite')
    const printed: string[] = []
    const config = loadConfig({ TOOLPLANE_DATA_DIR: db.dataDir, TOOLPLANE_PORT: '0' })
    const lines: string[] = []
    const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(line) })
    const server = await startServer(config, logger, (text) => printed.push(text))
    try {
      expect((await fetch(`${server.url}/readyz`)).status).toBe(200)
      expect(printed.join('')).toMatch(/\/v1\/auth\/link\?token=/)
      expect(lines.join('')).toContain('No master key was configured')
      const token = /token=([A-Za-z0-9_-]+)/.exec(printed.join(''))?.[1] ?? 'missing'
      expect(lines.join('')).not.toContain(token)
    } finally {
      await server.close()
    }
    // A second start finds the workspace and the key, and prints nothing.
    const again: string[] = []
    const second = await startServer(config, pino({ level: 'silent' }), (text) => again.push(text))
    await second.close()
    expect(again).toEqual([])
    await db.drop()
  })
})
