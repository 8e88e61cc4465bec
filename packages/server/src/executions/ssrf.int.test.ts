// The network rules through the whole engine: without TOOLPLANE_ALLOW_PRIVATE_NETWORK an execution
// that targets loopback, a private or link-local address, or a name resolving to one fails with
// permission_error, is not retried, and no socket is ever opened. Names resolve through an injected
// resolver, so no real DNS is asked either.
import net from 'node:net'
import tls from 'node:tls'
import type { ResolvedAddress } from '@toolplane/sdk'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { bearer, startTestApp } from '../testing/harness.js'
import type { TestApp } from '../testing/harness.js'

const names: Record<string, string> = {
  'internal.example': '10.1.2.3',
  'metadata.example': '169.254.169.254',
  'sneaky.example': '::1',
}
const asked: string[] = []
const resolver = (hostname: string): Promise<readonly ResolvedAddress[]> => {
  asked.push(hostname)
  const address = names[hostname]
  if (address === undefined) return Promise.reject(Object.assign(new Error('unknown'), { code: 'ENOTFOUND' }))
  return Promise.resolve([{ address, family: address.includes(':') ? 6 : 4 }])
}

describe('the engine refuses non-public addresses before any socket opens', () => {
  let t: TestApp
  let ws: { id: string; key: string }

  beforeAll(async () => {
    t = await startTestApp('sqlite', {}, { resolver })
    ws = await t.workspace('ssrf')
  })
  afterAll(() => t.close())
  afterEach(() => {
    vi.restoreAllMocks()
    asked.length = 0
  })

  it.each([
    ['loopback', 'http://127.0.0.1:8080/admin', null],
    ['a 10.0.0.0/8 address', 'http://10.0.0.1/', null],
    ['the cloud metadata address', 'http://169.254.169.254/latest/meta-data/', null],
    ['IPv6 loopback', 'http://[::1]:8080/', null],
    ['a name resolving to a private address', 'http://internal.example/', 'internal.example'],
    ['a name resolving to link-local', 'https://metadata.example/', 'metadata.example'],
    ['a name resolving to IPv6 loopback', 'http://sneaky.example/', 'sneaky.example'],
  ])('refuses %s', async (_, url, name) => {
    const sockets = [
      vi.spyOn(net.Socket.prototype, 'connect'),
      vi.spyOn(net, 'connect'),
      vi.spyOn(tls, 'connect'),
    ]
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/executions',
      headers: bearer(ws.key),
      payload: { action: 'http.request', input: { method: 'GET', url } },
    })
    const execution = res.json<{
      status: string
      error: { class: string; message: string }
      attempts: unknown[]
    }>()
    expect(execution.status).toBe('failed')
    expect(execution.error.class).toBe('permission_error')
    expect(execution.error.message).toMatch(/Refused to connect/)
    // Certainly not sent, but a refusal is not worth retrying: the address will not change.
    expect(execution.attempts).toHaveLength(1)
    for (const socket of sockets) expect(socket).not.toHaveBeenCalled()
    expect(asked).toEqual(name === null ? [] : [name])
  })
})
