// Runs before every test file: no test may open a connection to, or look up, anything but this
// machine. Every upstream in the tests is a local stand-in; the SSRF guard is tested through an
// injected resolver. This net catches a mistake (a wrong base URL, a forgotten override) by
// failing the test instead of sending traffic off the machine.
import dns from 'node:dns'
import net from 'node:net'

const loopbackNames = new Set(['localhost', 'localhost.localdomain', 'ip6-localhost', 'ip6-loopback'])

function isLoopbackAddress(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '')
  if (net.isIPv4(bare)) return bare.startsWith('127.')
  if (net.isIPv6(bare)) {
    const lower = bare.toLowerCase()
    return lower === '::1' || /^::ffff:127\./.test(lower) || lower === '0:0:0:0:0:0:0:1'
  }
  return false
}

function allowedHost(host: unknown): boolean {
  if (host === undefined || host === null || host === '') return true // Node's default is localhost
  if (typeof host !== 'string') return false
  return loopbackNames.has(host.toLowerCase()) || isLoopbackAddress(host)
}

function refuse(what: string): Error {
  return Object.assign(
    new Error(`A test tried to reach ${what}; tests may only reach loopback (127.0.0.0/8, ::1)`),
    {
      code: 'ENOTFOUND',
    },
  )
}

type ConnectArgs = unknown[]
// Kept to be called with the socket as `this`, exactly as Node calls it.
// eslint-disable-next-line @typescript-eslint/unbound-method
const originalConnect = net.Socket.prototype.connect as (...args: ConnectArgs) => net.Socket
net.Socket.prototype.connect = function guardedConnect(this: net.Socket, ...args: ConnectArgs): net.Socket {
  const [first, second] = args
  // connect(options[, listener]) | connect(port[, host][, listener]) | connect(path[, listener])
  let host: unknown
  if (Array.isArray(first)) {
    // Node's internal normalized form: [options, callback]
    const options = first[0] as { host?: unknown; path?: unknown } | undefined
    host = options?.path === undefined ? options?.host : 'localhost'
  } else if (typeof first === 'object' && first !== null) {
    const options = first as { host?: unknown; path?: unknown }
    host = options.path === undefined ? options.host : 'localhost'
  } else if (typeof first === 'string' && Number.isNaN(Number(first))) {
    host = 'localhost' // a Unix socket path
  } else {
    host = typeof second === 'string' ? second : undefined
  }
  if (!allowedHost(host)) throw refuse(String(host))
  return originalConnect.apply(this, args)
}

const originalLookup = dns.lookup
dns.lookup = function guardedLookup(hostname: string, ...rest: unknown[]) {
  if (!allowedHost(hostname)) {
    const callback = rest.at(-1)
    if (typeof callback === 'function') {
      process.nextTick(() => {
        ;(callback as (error: Error) => void)(refuse(hostname))
      })
      return
    }
    throw refuse(hostname)
  }
  return (originalLookup as (...args: unknown[]) => unknown)(hostname, ...rest)
} as typeof dns.lookup

const originalPromisesLookup = dns.promises.lookup
dns.promises.lookup = function guardedPromisesLookup(hostname: string, ...rest: unknown[]) {
  if (!allowedHost(hostname)) return Promise.reject(refuse(hostname))
  return (originalPromisesLookup as (...args: unknown[]) => Promise<unknown>)(hostname, ...rest)
} as typeof dns.promises.lookup
