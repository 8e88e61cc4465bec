/**
 * Test helpers for plugin authors: a real HTTP server on 127.0.0.1 that stands in for the upstream
 * API and records what it was sent. Run actions against it with `baseUrl: upstream.url` and
 * `allowPrivateNetwork: true` (it is a loopback address).
 */
import { createServer } from 'node:http'
import type { IncomingHttpHeaders, ServerResponse } from 'node:http'
import net from 'node:net'
import type { AddressInfo } from 'node:net'
import ipaddr from 'ipaddr.js'
import { ActionError } from '../errors.js'

/** A request the fake upstream received. */
export interface RecordedRequest {
  method: string
  /** Path and query, as sent. */
  url: string
  /** Header names in lower case. */
  headers: IncomingHttpHeaders
  body: string
  /** The body parsed as JSON, or `undefined` when it is not JSON. */
  json: unknown
}

/** Answers one request; write the response with `response`. */
export type UpstreamHandler = (request: RecordedRequest, response: ServerResponse) => void | Promise<void>

/** A running fake upstream. */
export interface Upstream {
  /** `http://127.0.0.1:<port>` */
  url: string
  port: number
  /** Every request received, in order. */
  requests: RecordedRequest[]
  /** TCP connections accepted so far. */
  readonly connections: number
  close(): Promise<void>
}

/**
 * Starts a fake upstream on 127.0.0.1. Without a handler it answers `200` with the request as JSON.
 *
 * @example
 * const upstream = await startUpstream((request, response) => {
 *   response.writeHead(201, { 'content-type': 'application/json' })
 *   response.end(JSON.stringify({ number: 7, html_url: 'https://example.com/7' }))
 * })
 * afterAll(() => upstream.close())
 */
export async function startUpstream(handler: UpstreamHandler = echo): Promise<Upstream> {
  const requests: RecordedRequest[] = []
  let connections = 0
  const server = createServer((incoming, response) => {
    const chunks: Buffer[] = []
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk))
    incoming.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8')
      const recorded: RecordedRequest = {
        method: incoming.method ?? 'GET',
        url: incoming.url ?? '/',
        headers: incoming.headers,
        body,
        json: parseJson(body),
      }
      requests.push(recorded)
      Promise.resolve(handler(recorded, response)).catch((error: unknown) => {
        response.destroy(error instanceof Error ? error : new Error(String(error)))
      })
    })
  })
  server.on('connection', () => {
    connections += 1
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    get connections() {
      return connections
    },
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => {
        server.close(() => {
          resolve()
        })
      })
    },
  }
}

function echo(request: RecordedRequest, response: ServerResponse): void {
  response.writeHead(200, { 'content-type': 'application/json' })
  response.end(JSON.stringify(request))
}

function parseJson(body: string): unknown {
  try {
    return body === '' ? undefined : JSON.parse(body)
  } catch {
    return undefined
  }
}

function isLoopback(host: unknown): boolean {
  if (host === 'localhost') return true
  if (typeof host !== 'string' || !ipaddr.isValid(host)) return false
  const address = ipaddr.process(host)
  return address.range() === 'loopback'
}

/**
 * Makes every TCP connection to anything but loopback throw, so a test can prove it never reaches
 * the network whatever the code under test does. Returns the function that lifts the guard.
 *
 * @example
 * let lift: () => void
 * beforeAll(() => { lift = forbidNonLoopbackConnections() })
 * afterAll(() => { lift() })
 */
export function forbidNonLoopbackConnections(): () => void {
  const descriptor = Object.getOwnPropertyDescriptor(net, 'connect')
  const original = net.connect
  const guarded = function (this: unknown, ...args: unknown[]): unknown {
    const [first] = args
    const host = typeof first === 'object' && first !== null ? (first as { host?: unknown }).host : args[1]
    if (!isLoopback(host)) {
      throw new Error(`A test tried to connect to ${String(host)}; only loopback is allowed`)
    }
    return Reflect.apply(original, this, args)
  }
  Object.defineProperty(net, 'connect', { value: guarded, configurable: true, writable: true })
  return () => {
    if (descriptor !== undefined) Object.defineProperty(net, 'connect', descriptor)
  }
}

/**
 * The `ActionError` a promise rejects with; fails (throws) when it resolves or rejects with
 * anything else. For tests asserting an action's error class, retry time and suggestions.
 *
 * @example
 * const error = await actionErrorOf(runAction(tool, 'get_issue', { input, credential, baseUrl }))
 * expect(error.class).toBe('not_found')
 */
export async function actionErrorOf(promise: Promise<unknown>): Promise<ActionError> {
  const outcome = await promise.then(
    (value: unknown) => ({ resolved: true as const, value }),
    (error: unknown) => ({ resolved: false as const, error }),
  )
  if (outcome.resolved) throw new Error('expected an ActionError, but the promise resolved')
  if (!(outcome.error instanceof ActionError)) {
    throw new Error(`expected an ActionError, got ${String(outcome.error)}`, { cause: outcome.error })
  }
  return outcome.error
}
