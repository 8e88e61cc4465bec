import { randomUUID } from 'node:crypto'
import http from 'node:http'
import { Agent, request as upstreamRequest } from 'undici'
import type { ChildMessage } from './processes.js'

/**
 * The baseline: the least a Node service must do to offer what a sync execution offers. It takes
 * the same request body Toolplane takes, parses it, makes the same upstream call through a
 * keep-alive undici Agent (configured like the SDK's), and answers with an execution-shaped JSON
 * envelope of similar size. No auth, no validation, no storage — the cost of those is what the
 * comparison shows.
 */

interface ExecutionRequest {
  action: string
  input: { method: string; url: string }
}

const agent = new Agent({ keepAliveTimeout: 4_000, connections: 64 })

async function execute(text: string): Promise<unknown> {
  const { action, input } = JSON.parse(text) as ExecutionRequest
  const createdAt = new Date()
  const started = performance.now()
  const answer = await upstreamRequest(new URL(input.url), { method: 'GET', dispatcher: agent })
  const body: unknown = await answer.body.json()
  const durationMs = Math.round(performance.now() - started)
  const finishedAt = new Date().toISOString()
  return {
    id: randomUUID(),
    action,
    tool: action.split('.')[0],
    credentialId: null,
    status: 'succeeded',
    mode: 'sync',
    input,
    output: { status: answer.statusCode, headers: answer.headers, body },
    error: null,
    attempts: [
      {
        number: 1,
        status: 'succeeded',
        httpStatus: answer.statusCode,
        errorClass: null,
        startedAt: createdAt.toISOString(),
        durationMs,
      },
    ],
    batchId: null,
    batchIndex: null,
    retryOf: null,
    correlationId: randomUUID(),
    cancelRequested: false,
    createdAt: createdAt.toISOString(),
    startedAt: createdAt.toISOString(),
    finishedAt,
    durationMs,
  }
}

const server = http.createServer((request, response) => {
  const chunks: Buffer[] = []
  request.on('data', (chunk: Buffer) => chunks.push(chunk))
  request.on('end', () => {
    execute(Buffer.concat(chunks).toString('utf8')).then(
      (execution) => {
        const body = JSON.stringify(execution)
        response.writeHead(200, {
          'content-type': 'application/json; charset=utf-8',
          'content-length': Buffer.byteLength(body),
        })
        response.end(body)
      },
      (error: unknown) => {
        const body = JSON.stringify({
          status: 502,
          detail: error instanceof Error ? error.message : String(error),
        })
        response.writeHead(502, { 'content-type': 'application/problem+json' })
        response.end(body)
      },
    )
  })
})
server.keepAliveTimeout = 65_000
server.headersTimeout = 66_000

function report(message: ChildMessage): void {
  process.send?.(message)
}

process.on('disconnect', () => process.exit(0))

server.listen(0, '127.0.0.1', () => {
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('proxy has no TCP address')
  report({ type: 'listening', port: address.port })
})
