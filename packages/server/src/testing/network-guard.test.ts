import dns from 'node:dns'
import net from 'node:net'
import pg from 'pg'
import { describe, expect, it } from 'vitest'

// vitest.setup.ts runs before every test file; these prove its net holds for the clients we use.
describe('the test network guard', () => {
  it('refuses TCP connections and lookups beyond loopback, before any packet leaves', async () => {
    expect(() => net.connect(80, '10.0.0.1')).toThrow(/only reach loopback/)
    expect(() => net.connect({ host: '169.254.169.254', port: 80 })).toThrow(/only reach loopback/)
    await expect(dns.promises.lookup('example.com')).rejects.toThrow(/only reach loopback/)
    await expect(fetch('http://192.168.1.1:9/')).rejects.toThrow()
    const client = new pg.Client({ connectionString: 'postgres://x@10.9.9.9:5432/x' })
    await expect(client.connect()).rejects.toThrow(/only reach loopback/)
  })

  it('lets loopback through', async () => {
    const socket = net.connect(5432, '127.0.0.1')
    await new Promise((resolve, reject) => {
      socket.once('connect', resolve)
      socket.once('error', reject)
    })
    socket.destroy()
    expect((await dns.promises.lookup('localhost')).address).toMatch(/^(127\.|::1)/)
  })
})
