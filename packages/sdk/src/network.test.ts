import net from 'node:net'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { BlockedAddressError } from './errors.js'
import {
  blockedAddressReason,
  checkAddress,
  connectableAddresses,
  closeConnectionPools,
  dispatcherFor,
  guardedConnector,
  resolveAllowedAddresses,
  systemResolver,
} from './network.js'
import type { Resolver } from './network.js'
import { forbidNonLoopbackConnections, startUpstream } from './testing/index.js'
import type { Upstream } from './testing/index.js'

let upstream: Upstream
let liftGuard: () => void

beforeAll(async () => {
  liftGuard = forbidNonLoopbackConnections()
  upstream = await startUpstream()
})

afterAll(async () => {
  await closeConnectionPools()
  await upstream.close()
  liftGuard()
})

afterEach(() => {
  vi.restoreAllMocks()
})

const table = (entries: Record<string, string[]>): Resolver => {
  return (hostname) =>
    Promise.resolve(
      (entries[hostname] ?? []).map((address) => ({ address, family: address.includes(':') ? 6 : 4 })),
    )
}

describe('blockedAddressReason', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['10.0.0.5', 'private'],
    ['172.16.4.1', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['0.0.0.0', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['240.0.0.1', 'reserved (reserved)'],
    ['192.0.2.10', 'reserved (reserved)'],
    ['::1', 'loopback'],
    ['[::1]', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1', 'link-local'],
    ['fd00::1', 'unique local'],
    ['fec0::1', 'site-local'],
    ['ff02::1', 'multicast'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['64:ff9b::a00:1', 'reserved (rfc6052)'],
    ['2002:a00:1::', 'reserved (6to4)'],
    ['2001:db8::1', 'reserved (reserved)'],
    ['4000::1', 'reserved'],
    ['not-an-ip', 'invalid'],
  ])('refuses %s as %s', (address, reason) => {
    expect(blockedAddressReason(address)).toBe(reason)
  })

  it.each(['8.8.8.8', '93.184.215.14', '2606:4700:4700::1111', '::ffff:8.8.8.8'])('allows %s', (address) => {
    expect(blockedAddressReason(address)).toBeUndefined()
  })
})

describe('checkAddress', () => {
  it('lets an operator open chosen private ranges, IPv4-mapped included', () => {
    const policy = { allowedPrivateRanges: ['10.20.0.0/16', 'fd00::/8'] }
    expect(() => {
      checkAddress('svc', '10.20.1.2', policy)
    }).not.toThrow()
    expect(() => {
      checkAddress('svc', '::ffff:10.20.1.2', policy)
    }).not.toThrow()
    expect(() => {
      checkAddress('svc', 'fd00::5', policy)
    }).not.toThrow()
    expect(() => {
      checkAddress('svc', '10.21.0.1', policy)
    }).toThrow(BlockedAddressError)
    expect(() => {
      checkAddress('svc', '169.254.169.254', policy)
    }).toThrow(BlockedAddressError)
    expect(() => {
      checkAddress('svc', '127.0.0.1', { allowPrivateNetwork: true })
    }).not.toThrow()
  })
})

describe('resolveAllowedAddresses', () => {
  it('takes IP literals as they are, without asking the resolver', async () => {
    const resolver = vi.fn<Resolver>()
    await expect(resolveAllowedAddresses('[::1]', { resolver, allowPrivateNetwork: true })).resolves.toEqual([
      { address: '::1', family: 6 },
    ])
    await expect(resolveAllowedAddresses('10.0.0.1', { resolver })).rejects.toBeInstanceOf(
      BlockedAddressError,
    )
    expect(resolver).not.toHaveBeenCalled()
  })

  it('refuses a name if any of its addresses is refused', async () => {
    const resolver = table({ 'mixed.example': ['93.184.215.14', '10.0.0.5'] })
    await expect(resolveAllowedAddresses('mixed.example', { resolver })).rejects.toMatchObject({
      hostname: 'mixed.example',
      address: '10.0.0.5',
    })
  })

  it('returns the addresses of a public name', async () => {
    const resolver = table({ 'public.example': ['93.184.215.14', '2606:4700::1'] })
    await expect(resolveAllowedAddresses('public.example', { resolver })).resolves.toHaveLength(2)
  })

  it('reports a name without addresses as not found', async () => {
    await expect(resolveAllowedAddresses('void.example', { resolver: table({}) })).rejects.toMatchObject({
      code: 'ENOTFOUND',
    })
  })

  it('asks beforeConnect first, so a refusal resolves nothing', async () => {
    const resolver = vi.fn<Resolver>()
    const refuse = (host: string): never => {
      throw new BlockedAddressError(host, host, 'refused by the test')
    }
    await expect(
      resolveAllowedAddresses('[2606:4700::1]', { resolver, beforeConnect: refuse }),
    ).rejects.toMatchObject({ hostname: '2606:4700::1' })
    await expect(
      connectableAddresses('db.example', { resolver, beforeConnect: refuse }),
    ).rejects.toBeInstanceOf(BlockedAddressError)
    expect(resolver).not.toHaveBeenCalled()
    const seen: string[] = []
    const allowed = await resolveAllowedAddresses('public.example', {
      resolver: table({ 'public.example': ['93.184.215.14'] }),
      beforeConnect: (host) => seen.push(host),
    })
    expect(allowed).toHaveLength(1)
    expect(seen).toEqual(['public.example'])
  })

  it('uses the system resolver by default', async () => {
    // localhost resolves from the hosts file, without a DNS query.
    const addresses = await systemResolver('localhost')
    expect(addresses.length).toBeGreaterThan(0)
    await expect(resolveAllowedAddresses('localhost')).rejects.toMatchObject({ reason: 'loopback' })
  })
})

describe('guardedConnector', () => {
  const connectWith = async (
    policy: Parameters<typeof guardedConnector>[0],
    hostname: string,
  ): Promise<net.Socket> =>
    new Promise((resolve, reject) => {
      guardedConnector(policy)(
        { hostname, host: `${hostname}:${upstream.port}`, protocol: 'http:', port: String(upstream.port) },
        (...args) => {
          const [error, socket] = args
          if (error === null) resolve(socket)
          else reject(error)
        },
      )
    })

  it('refuses a literal address before opening a socket', async () => {
    const connect = vi.spyOn(net, 'connect')
    await expect(connectWith({}, '127.0.0.1')).rejects.toBeInstanceOf(BlockedAddressError)
    await expect(connectWith({}, '169.254.169.254')).rejects.toBeInstanceOf(BlockedAddressError)
    expect(connect).not.toHaveBeenCalled()
  })

  it('connects to the address it checked', async () => {
    const connect = vi.spyOn(net, 'connect')
    const socket = await connectWith(
      { allowPrivateNetwork: true, resolver: table({ 'svc.example': ['127.0.0.1'] }) },
      'svc.example',
    )
    socket.destroy()
    expect(connect).toHaveBeenCalledTimes(1)
    expect(connect.mock.calls[0]?.[0]).toMatchObject({ host: '127.0.0.1' })
  })

  it('tries the next address when one refuses the connection', async () => {
    // Nothing listens on ::1 at the upstream's port (or IPv6 is off): either way the next address is tried.
    const resolver = table({ 'svc.example': ['::1', '127.0.0.1'] })
    const socket = await connectWith({ allowPrivateNetwork: true, resolver }, 'svc.example')
    expect(socket.remoteAddress).toBe('127.0.0.1')
    socket.destroy()
  })

  it('reports a connection that could not even start', async () => {
    vi.spyOn(net, 'connect').mockImplementation(() => {
      throw new Error('no sockets today')
    })
    await expect(
      connectWith(
        { allowPrivateNetwork: true, resolver: table({ 'svc.example': ['127.0.0.1'] }) },
        'svc.example',
      ),
    ).rejects.toThrow('no sockets today')
  })

  it('passes on the error of the last address', async () => {
    const closed = await startUpstream()
    await closed.close()
    const socket = new Promise((resolve, reject) => {
      guardedConnector({ allowPrivateNetwork: true, resolver: table({ 'svc.example': ['127.0.0.1'] }) })(
        { hostname: 'svc.example', host: 'svc.example', protocol: 'http:', port: String(closed.port) },
        (...args) => {
          const [error, connected] = args
          if (error === null) resolve(connected)
          else reject(error)
        },
      )
    })
    await expect(socket).rejects.toMatchObject({ code: 'ECONNREFUSED' })
  })

  it('wraps a resolver failure that is not an Error', async () => {
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- a resolver breaking its contract
    const odd: Resolver = () => Promise.reject('just a string')
    await expect(connectWith({ resolver: odd }, 'odd.example')).rejects.toThrow('just a string')
  })
})

describe('dispatcherFor', () => {
  it('shares one pool set per policy', async () => {
    const resolver = table({})
    expect(dispatcherFor({ resolver })).toBe(dispatcherFor({ resolver }))
    expect(dispatcherFor({ resolver })).not.toBe(dispatcherFor({ resolver, allowPrivateNetwork: true }))
    expect(dispatcherFor({ resolver, allowedPrivateRanges: ['10.0.0.0/8', 'fd00::/8'] })).toBe(
      dispatcherFor({ resolver, allowedPrivateRanges: ['fd00::/8', '10.0.0.0/8'] }),
    )
    expect(() => dispatcherFor({ allowedPrivateRanges: ['nonsense'] })).toThrow(TypeError)
    await closeConnectionPools()
  })
})

describe('connectableAddresses', () => {
  it('returns allowed addresses, refuses blocked ones and turns lookup failures into network errors', async () => {
    const resolver = (host: string) =>
      host === 'db.internal'
        ? Promise.resolve([{ address: '10.1.2.3', family: 4 }])
        : host === 'db.public'
          ? Promise.resolve([{ address: '93.184.216.34', family: 4 }])
          : Promise.reject(Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' }))
    expect(await connectableAddresses('db.public', { resolver })).toEqual([
      { address: '93.184.216.34', family: 4 },
    ])
    await expect(connectableAddresses('db.internal', { resolver })).rejects.toBeInstanceOf(
      BlockedAddressError,
    )
    expect(await connectableAddresses('db.internal', { resolver, allowPrivateNetwork: true })).toHaveLength(1)
    await expect(connectableAddresses('nowhere.invalid', { resolver })).rejects.toMatchObject({
      code: 'ENOTFOUND',
    })
  })
})
