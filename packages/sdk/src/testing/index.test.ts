import net from 'node:net'
import { describe, expect, it } from 'vitest'
import { forbidNonLoopbackConnections, startUpstream } from './index.js'

describe('startUpstream', () => {
  it('records requests and answers with them by default', async () => {
    const upstream = await startUpstream()
    try {
      const res = await fetch(`${upstream.url}/hello?x=1`, { method: 'POST', body: '{"a":1}' })
      expect(await res.json()).toMatchObject({ method: 'POST', url: '/hello?x=1', json: { a: 1 } })
      expect(upstream.requests).toHaveLength(1)
      expect(upstream.connections).toBe(1)
      await fetch(`${upstream.url}/plain`, { method: 'POST', body: 'not json' })
      expect(upstream.requests[1]?.json).toBeUndefined()
    } finally {
      await upstream.close()
    }
  })

  it('drops the connection when the handler fails', async () => {
    const upstream = await startUpstream(() => Promise.reject(new Error('handler broke')))
    try {
      await expect(fetch(upstream.url)).rejects.toThrow()
    } finally {
      await upstream.close()
    }
  })
})

describe('forbidNonLoopbackConnections', () => {
  it('lets loopback through and throws for anything else until lifted', async () => {
    const original = net.connect
    const lift = forbidNonLoopbackConnections()
    try {
      // 0.0.0.0 is this machine on Linux: even if the guard failed, nothing would leave it.
      expect(() => net.connect({ host: '0.0.0.0', port: 1 })).toThrow('only loopback is allowed')
      expect(() => net.connect(1, '0.0.0.0')).toThrow('only loopback is allowed')
      const upstream = await startUpstream()
      await expect(fetch(upstream.url)).resolves.toMatchObject({ status: 200 })
      await upstream.close()
    } finally {
      lift()
    }
    expect(net.connect).toBe(original)
  })
})
