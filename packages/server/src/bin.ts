#!/usr/bin/env node
import { CommanderError } from 'commander'
import { createProgram } from './cli.js'
import { ConfigError } from './config.js'
import { AppError } from './errors.js'

const program = createProgram({
  env: process.env,
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  readStdin: async () => {
    const chunks: Buffer[] = []
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
    return Buffer.concat(chunks).toString('utf8')
  },
})

try {
  await program.parseAsync(process.argv)
} catch (error) {
  if (error instanceof CommanderError) process.exit(error.exitCode)
  if (error instanceof ConfigError || error instanceof AppError) {
    process.stderr.write(`toolplane: ${error.message}\n`)
    process.exit(1)
  }
  process.stderr.write(
    `toolplane: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  )
  process.exit(1)
}
