import { createHmac, hkdfSync } from 'node:crypto'
import { inspect } from 'node:util'
import { describe, expect, it } from 'vitest'
import { Keyring, MissingMasterKeyError, buildKeyring, checkKeyring, fingerprint } from './keyring.js'
import { MasterKeyError } from './master-key.js'

const key1 = Buffer.alloc(32, 1)
const key2 = Buffer.alloc(32, 2)
const key3 = Buffer.alloc(32, 3)
const stranger = Buffer.alloc(32, 9)

function messageOf(action: () => unknown): string {
  try {
    action()
  } catch (error) {
    return (error as Error).message
  }
  throw new Error('expected an error')
}

function expectNoKeys(text: string): void {
  for (const key of [key1, key2, key3, stranger]) {
    expect(text).not.toContain(key.toString('base64'))
    expect(text).not.toContain(key.toString('hex'))
    expect(text).not.toContain(key.toString('hex', 0, 8).replace(/(..)(?!$)/g, '$1 ')) // <Buffer 01 01 …>
  }
}

describe('fingerprint', () => {
  it('is the HMAC of the decision note, as 64 hex characters', () => {
    const derived = Buffer.from(hkdfSync('sha256', key1, Buffer.alloc(0), 'toolplane:fingerprint', 32))
    const expected = createHmac('sha256', derived).update('toolplane-master-key-fingerprint').digest('hex')
    expect(fingerprint(key1)).toBe(expected)
    expect(fingerprint(key1)).toMatch(/^[0-9a-f]{64}$/)
  })

  it('tells keys apart without revealing them', () => {
    expect(fingerprint(key1)).toBe(fingerprint(Buffer.from(key1)))
    expect(fingerprint(key1)).not.toBe(fingerprint(key2))
    expectNoKeys(fingerprint(key1))
  })

  it('refuses a key that is not 32 bytes', () => {
    expect(() => fingerprint(Buffer.alloc(16))).toThrow(MasterKeyError)
  })
})

describe('Keyring', () => {
  it('holds keys by version and knows the current one', () => {
    const keyring = new Keyring(2, [
      [2, key2],
      [1, key1],
    ])
    expect(keyring.current).toBe(2)
    expect(keyring.versions).toEqual([1, 2])
    expect(keyring.keyFor(1)?.equals(key1)).toBe(true)
    expect(keyring.keyFor(3)).toBeUndefined()
  })

  it('keeps its own copy of the keys', () => {
    const key = Buffer.from(key1)
    const keyring = new Keyring(1, [[1, key]])
    key.fill(0)
    expect(keyring.keyFor(1)?.equals(key1)).toBe(true)
  })

  it('never shows its keys when logged or serialized', () => {
    const keyring = new Keyring(1, [
      [1, key1],
      [2, key2],
    ])
    expectNoKeys(JSON.stringify(keyring))
    expectNoKeys(inspect(keyring, { depth: 10, showHidden: true }))
    expect(inspect(keyring)).toContain('current: 1')
  })

  it.each([
    [0, [[0, key1]], /version 0 is not a positive integer/],
    [1, [[1.5, key1]], /version 1.5 is not a positive integer/],
    [1, [[1, Buffer.alloc(31)]], /version 1 must be 32 bytes \(got 31\)/],
    [
      1,
      [
        [1, key1],
        [1, key2],
      ],
      /version 1 is given twice/,
    ],
    [2, [[1, key1]], /current master key version 2 has no key/],
  ] as const)('refuses current %s with keys %#', (current, keys, message) => {
    expect(() => new Keyring(current, keys)).toThrow(MasterKeyError)
    expect(messageOf(() => new Keyring(current, keys))).toMatch(message)
    expectNoKeys(messageOf(() => new Keyring(current, keys)))
  })
})

describe('buildKeyring', () => {
  const stored = [
    { version: 1, fingerprint: fingerprint(key1) },
    { version: 2, fingerprint: fingerprint(key2) },
  ]

  it('registers the first key as version 1 on an empty database', () => {
    const { keyring, newKeys, unmatchedPrevious } = buildKeyring({ current: key1, previous: [] }, [])
    expect(keyring.current).toBe(1)
    expect(keyring.versions).toEqual([1])
    expect(newKeys).toEqual([{ version: 1, fingerprint: fingerprint(key1) }])
    expect(unmatchedPrevious).toEqual([])
  })

  it('finds the version of a known current key, registering nothing', () => {
    const { keyring, newKeys } = buildKeyring({ current: key2, previous: [] }, stored)
    expect(keyring.current).toBe(2)
    expect(keyring.versions).toEqual([2])
    expect(newKeys).toEqual([])
  })

  it('matches previous keys to their versions by fingerprint, in any order', () => {
    const { keyring, newKeys } = buildKeyring({ current: key2, previous: [key1] }, [...stored].reverse())
    expect(keyring.current).toBe(2)
    expect(keyring.versions).toEqual([1, 2])
    expect(keyring.keyFor(1)?.equals(key1)).toBe(true)
    expect(keyring.keyFor(2)?.equals(key2)).toBe(true)
    expect(newKeys).toEqual([])
  })

  it('gives a new current key the next version, after a rotation', () => {
    const { keyring, newKeys } = buildKeyring({ current: key3, previous: [key2, key1] }, stored)
    expect(keyring.current).toBe(3)
    expect(keyring.versions).toEqual([1, 2, 3])
    expect(keyring.keyFor(3)?.equals(key3)).toBe(true)
    expect(newKeys).toEqual([{ version: 3, fingerprint: fingerprint(key3) }])
  })

  it('counts from the highest stored version, even with gaps', () => {
    const { newKeys } = buildKeyring({ current: key3, previous: [] }, [
      { version: 5, fingerprint: fingerprint(key1) },
    ])
    expect(newKeys).toEqual([{ version: 6, fingerprint: fingerprint(key3) }])
  })

  it('reports previous keys that match no stored version and leaves them out', () => {
    const { keyring, unmatchedPrevious } = buildKeyring({ current: key2, previous: [key1, stranger] }, stored)
    expect(keyring.versions).toEqual([1, 2])
    expect(unmatchedPrevious).toEqual([{ position: 2, fingerprint: fingerprint(stranger) }])
  })

  it('counts a key given twice once', () => {
    const { keyring, newKeys, unmatchedPrevious } = buildKeyring(
      { current: key3, previous: [key3, key1, key1] },
      stored,
    )
    expect(keyring.versions).toEqual([1, 3])
    expect(keyring.keyFor(3)?.equals(key3)).toBe(true)
    expect(newKeys).toHaveLength(1)
    expect(unmatchedPrevious).toEqual([])
  })
})

describe('checkKeyring', () => {
  const stored = [
    { version: 1, fingerprint: fingerprint(key1) },
    { version: 2, fingerprint: fingerprint(key2) },
    { version: 3, fingerprint: fingerprint(key3) },
  ]

  it('passes when every version in use has a key', () => {
    const keyring = new Keyring(3, [
      [2, key2],
      [3, key3],
    ])
    expect(() => {
      checkKeyring(keyring, [3, 2, 2], stored)
    }).not.toThrow()
    expect(() => {
      checkKeyring(keyring, [])
    }).not.toThrow()
  })

  it('names a version no configured key opens, its fingerprint, and what to do', () => {
    const keyring = new Keyring(3, [[3, key3]])
    let caught: unknown
    try {
      checkKeyring(keyring, [3, 1, 3], stored)
    } catch (error) {
      caught = error
    }
    expect(caught).toBeInstanceOf(MissingMasterKeyError)
    expect(caught).toBeInstanceOf(MasterKeyError)
    const error = caught as MissingMasterKeyError
    expect(error.versions).toEqual([1])
    expect(error.message).toContain('master key version that no configured key opens')
    expect(error.message).toContain('(the current key is version 3)')
    expect(error.message).toContain(
      `  - version 1 (fingerprint ${fingerprint(key1).slice(0, 8)}): set TOOLPLANE_MASTER_KEY_PREVIOUS ` +
        'to the key that was TOOLPLANE_MASTER_KEY when version 1 was current',
    )
    expect(error.message).toContain('or restore that key')
    expect(error.message).toContain('`toolplane keys rotate`')
    expect(error.message).not.toContain(fingerprint(key1).slice(0, 9))
    expectNoKeys(error.message)
  })

  it('names every missing version, in order, even without stored fingerprints', () => {
    const keyring = new Keyring(3, [[3, key3]])
    const message = messageOf(() => {
      checkKeyring(keyring, [2, 3, 1])
    })
    expect(message).toContain('master key versions that no configured key opens')
    expect(message).toMatch(/version 1 \(fingerprint unknown\)[\s\S]*version 2 \(fingerprint unknown\)/)
    expect(message).not.toMatch(/version 3 \(/)
  })
})
