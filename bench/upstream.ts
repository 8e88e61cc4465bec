import http from 'node:http'
import type { ChildMessage, CountQuery } from './processes.js'

/**
 * The local upstream the benchmark calls: a minimal keep-alive JSON endpoint that counts the
 * requests it answers, so the bench can tell when queued executions have reached it. Run as a
 * child process of `executions.ts`; it reports its port and answers count queries over IPC.
 */

const item = Buffer.from(JSON.stringify({ id: 1, name: 'item' }))
let answered = 0

const server = http.createServer((request, response) => {
  // The body, if any, is drained so the connection can be reused.
  request.resume()
  request.on('end', () => {
    answered++
    response.writeHead(200, { 'content-type': 'application/json', 'content-length': item.length })
    response.end(item)
  })
})
// Longer than any client's keep-alive, so the server is never the side that closes an idle connection.
server.keepAliveTimeout = 65_000
server.headersTimeout = 66_000

function report(message: ChildMessage): void {
  process.send?.(message)
}

// The only query is the count, so any message is answered with it.
process.on('message', (_query: CountQuery) => {
  report({ type: 'count', count: answered })
})
// The bench owns this process: when it goes away, so does the upstream.
process.on('disconnect', () => process.exit(0))

server.listen(0, '127.0.0.1', () => {
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('upstream has no TCP address')
  report({ type: 'listening', port: address.port })
})
