import { createCipheriv, hkdfSync, randomBytes } from 'node:crypto'
import { inspect } from 'node:util'
import { describe, expect, it } from 'vitest'
import type { Envelope, EnvelopeErrorReason, SealedBox } from './envelope.js'
import {
  EnvelopeError,
  openSecrets,
  parseEnvelope,
  rewrapEnvelope,
  sealSecrets,
  serializeEnvelope,
} from './envelope.js'
import { Keyring } from './keyring.js'

const key1 = Buffer.alloc(32, 1)
const key2 = Buffer.alloc(32, 2)
const context = { workspaceId: 'ws_0193a1b2c3d47e8f', credentialId: 'crd_0193a1b2c3d47e90' }
const canary = 'CANARY-ghp_s3cr3t-V4lu3-th4t-must-never-leak-7f3a9c'
const secrets = { token: canary, user: 'octocat', nested: { list: [1, true, null] } }

const keyringV1 = new Keyring(1, [[1, key1]])

function reasonOf(action: () => unknown): EnvelopeErrorReason {
  try {
    action()
  } catch (error) {
    if (error instanceof EnvelopeError) return error.reason
    throw error
  }
  throw new Error('expected an EnvelopeError')
}

function errorOf(action: () => unknown): unknown {
  try {
    action()
  } catch (error) {
    return error
  }
  throw new Error('expected an error')
}

/** The canary as it could leak: raw, hex, base64 and base64url at each byte alignment. */
function encodingsOf(text: string): string[] {
  const bytes = Buffer.from(text, 'utf8')
  const forms = [text, bytes.toString('hex'), bytes.toString('hex').toUpperCase()]
  for (const offset of [0, 1, 2]) {
    const shifted = Buffer.concat([Buffer.alloc(offset), bytes])
    for (const encoding of ['base64', 'base64url'] as const) {
      // Drop the 4-character groups that mix in neighbouring bytes; the middle is the same wherever the text sits.
      const encoded = shifted.toString(encoding)
      forms.push(encoded.slice(offset === 0 ? 0 : 4, -4))
    }
  }
  return forms
}

function expectNoCanary(text: string): void {
  for (const form of encodingsOf(canary)) expect(text).not.toContain(form)
}

/** Flips one bit of byte `index` of a base64url field. */
function flip(field: string, index: number): string {
  const bytes = Buffer.from(field, 'base64url')
  bytes[index] = (bytes[index] ?? 0) ^ 0x01
  return bytes.toString('base64url')
}

function withBox(envelope: Envelope, part: 'dek' | 'data', box: Partial<SealedBox>): Envelope {
  return { ...envelope, [part]: { ...envelope[part], ...box } }
}

/**
 * Seals arbitrary bytes exactly as decision 0006 describes, written independently of envelope.ts,
 * so the tests pin the format itself and can produce plaintext that sealSecrets never would.
 */
function sealBytesPerDecision(plaintext: Buffer, master: Buffer, kv: number): Envelope {
  const aad = Buffer.from(`toolplane:credential:v1:${context.workspaceId}:${context.credentialId}`)
  const seal = (key: Buffer, bytes: Buffer): SealedBox => {
    const iv = randomBytes(12)
    const cipher = createCipheriv('aes-256-gcm', key, iv)
    cipher.setAAD(aad)
    const ct = Buffer.concat([cipher.update(bytes), cipher.final()])
    return {
      iv: iv.toString('base64url'),
      ct: ct.toString('base64url'),
      tag: cipher.getAuthTag().toString('base64url'),
    }
  }
  const kek = Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), 'toolplane:credential-kek', 32))
  const dek = randomBytes(32)
  return { v: 1, alg: 'A256GCM', kv, dek: seal(kek, dek), data: seal(dek, plaintext) }
}

describe('sealSecrets and openSecrets', () => {
  it('round-trips a JSON object of secrets', () => {
    const envelope = sealSecrets(secrets, context, keyringV1)
    expect(envelope).toMatchObject({ v: 1, alg: 'A256GCM', kv: 1 })
    expect(openSecrets(envelope, context, keyringV1)).toEqual(secrets)
    expect(openSecrets(parseEnvelope(serializeEnvelope(envelope)), context, keyringV1)).toEqual(secrets)
    expect(openSecrets(sealSecrets({}, context, keyringV1), context, keyringV1)).toEqual({})
  })

  it('seals under the current key version', () => {
    const keyring = new Keyring(2, [
      [1, key1],
      [2, key2],
    ])
    const envelope = sealSecrets(secrets, context, keyring)
    expect(envelope.kv).toBe(2)
    expect(openSecrets(envelope, context, new Keyring(2, [[2, key2]]))).toEqual(secrets)
  })

  it('uses a fresh data key and nonces for every seal', () => {
    const first = sealSecrets(secrets, context, keyringV1)
    const second = sealSecrets(secrets, context, keyringV1)
    for (const part of ['dek', 'data'] as const) {
      for (const field of ['iv', 'ct', 'tag'] as const) {
        expect(first[part][field]).not.toBe(second[part][field])
      }
    }
  })

  it('follows the stored format of decision 0006', () => {
    const envelope = sealSecrets(secrets, context, keyringV1)
    const text = serializeEnvelope(envelope)
    expect(Object.keys(JSON.parse(text) as object)).toEqual(['v', 'alg', 'kv', 'dek', 'data'])
    expect(Buffer.from(envelope.dek.iv, 'base64url')).toHaveLength(12)
    expect(Buffer.from(envelope.dek.ct, 'base64url')).toHaveLength(32)
    expect(Buffer.from(envelope.data.tag, 'base64url')).toHaveLength(16)
    expect(text).toMatch(
      /^\{"v":1,"alg":"A256GCM","kv":1,"dek":\{"iv":"[\w-]+","ct":"[\w-]+","tag":"[\w-]+"\}/,
    )

    // An envelope built from the decision alone opens.
    const independent = sealBytesPerDecision(Buffer.from(JSON.stringify(secrets)), key1, 1)
    expect(openSecrets(independent, context, keyringV1)).toEqual(secrets)
  })

  it('never shows the secrets in the envelope, in any common encoding', () => {
    const text = serializeEnvelope(sealSecrets(secrets, context, keyringV1))
    expectNoCanary(text)
    expect(text).not.toContain('octocat')
    // The check can fail: it finds the canary encoded wherever it sits in a larger text.
    for (const prefix of ['', 'x', 'xy']) {
      const plain = Buffer.from(`${prefix}{"token":"${canary}"}`)
      for (const encoding of ['hex', 'base64', 'base64url'] as const) {
        expect(() => {
          expectNoCanary(`{"ct":"${plain.toString(encoding)}"}`)
        }).toThrow()
      }
    }
  })

  it('refuses secrets that are not a JSON object, and ids that could be confused', () => {
    expect(() => sealSecrets([] as unknown as Record<string, unknown>, context, keyringV1)).toThrow(TypeError)
    expect(() => sealSecrets(null as unknown as Record<string, unknown>, context, keyringV1)).toThrow(
      TypeError,
    )
    expect(() => sealSecrets(secrets, { ...context, workspaceId: 'a:b' }, keyringV1)).toThrow(
      /workspaceId must be a non-empty string without ":"/,
    )
    expect(() => sealSecrets(secrets, { ...context, credentialId: '' }, keyringV1)).toThrow(/credentialId/)
  })
})

describe('what does not open', () => {
  const envelope = sealSecrets(secrets, context, keyringV1)

  it.each([
    ['dek', 'iv'],
    ['dek', 'ct'],
    ['dek', 'tag'],
    ['data', 'iv'],
    ['data', 'ct'],
    ['data', 'tag'],
  ] as const)('fails authentication when any byte of %s.%s is altered', (part, field) => {
    const length = Buffer.from(envelope[part][field], 'base64url').length
    expect(length).toBeGreaterThan(0)
    for (let index = 0; index < length; index++) {
      const altered = withBox(envelope, part, { [field]: flip(envelope[part][field], index) })
      expect(reasonOf(() => openSecrets(altered, context, keyringV1))).toBe('authentication_failed')
    }
  })

  it('never opens after any character of the stored text is changed', () => {
    const text = serializeEnvelope(envelope)
    for (let index = 0; index < text.length; index++) {
      const char = text[index] === 'A' ? 'B' : 'A'
      const altered = text.slice(0, index) + char + text.slice(index + 1)
      expect(() => openSecrets(parseEnvelope(altered), context, keyringV1)).toThrow(EnvelopeError)
    }
  })

  it('fails for another credential or workspace', () => {
    for (const other of [
      { ...context, credentialId: 'crd_other' },
      { ...context, workspaceId: 'ws_other' },
      { workspaceId: context.credentialId, credentialId: context.workspaceId },
    ]) {
      expect(reasonOf(() => openSecrets(envelope, other, keyringV1))).toBe('authentication_failed')
    }
  })

  it('fails when parts of two records are combined', () => {
    const other = sealSecrets({ token: 'other' }, context, keyringV1)
    expect(reasonOf(() => openSecrets({ ...envelope, data: other.data }, context, keyringV1))).toBe(
      'authentication_failed',
    )
  })

  it('fails with a wrong master key', () => {
    expect(reasonOf(() => openSecrets(envelope, context, new Keyring(1, [[1, key2]])))).toBe(
      'authentication_failed',
    )
  })

  it('fails when the key version is changed', () => {
    const keyring = new Keyring(1, [
      [1, key1],
      [2, key2],
    ])
    expect(reasonOf(() => openSecrets({ ...envelope, kv: 2 }, context, keyring))).toBe(
      'authentication_failed',
    )
    expect(reasonOf(() => openSecrets({ ...envelope, kv: 7 }, context, keyring))).toBe('unknown_key_version')
  })

  it('names a missing key version and what to set', () => {
    const error = errorOf(() => openSecrets(envelope, context, new Keyring(2, [[2, key2]])))
    expect(error).toBeInstanceOf(EnvelopeError)
    expect((error as EnvelopeError).reason).toBe('unknown_key_version')
    expect((error as EnvelopeError).message).toMatch(/version 1 .*versions: 2.*TOOLPLANE_MASTER_KEY_PREVIOUS/)
  })

  it('refuses decrypted content that is not a JSON object without quoting it', () => {
    for (const plaintext of [`not json ${canary}`, JSON.stringify([canary]), JSON.stringify(canary)]) {
      const sealed = sealBytesPerDecision(Buffer.from(plaintext), key1, 1)
      const error = errorOf(() => openSecrets(sealed, context, keyringV1))
      expect(error).toBeInstanceOf(EnvelopeError)
      expect((error as EnvelopeError).reason).toBe('malformed')
      expectNoCanary(inspect(error))
    }
  })

  it('never puts secret material in an error', () => {
    const text = serializeEnvelope(envelope)
    const failures = [
      () => openSecrets(withBox(envelope, 'data', { tag: flip(envelope.data.tag, 0) }), context, keyringV1),
      () => openSecrets(withBox(envelope, 'dek', { ct: flip(envelope.dek.ct, 3) }), context, keyringV1),
      () => openSecrets(envelope, { ...context, credentialId: 'crd_x' }, keyringV1),
      () => openSecrets(envelope, context, new Keyring(1, [[1, key2]])),
      () => openSecrets(envelope, context, new Keyring(2, [[2, key2]])),
      () => parseEnvelope(text.slice(0, -1)),
      () => parseEnvelope(text.replace('"v":1', '"v":2')),
      () => rewrapEnvelope(envelope, context, keyringV1, 9),
    ]
    for (const failure of failures) {
      const error = errorOf(failure)
      expect(error).toBeInstanceOf(EnvelopeError)
      const shown = `${String(error)}\n${inspect(error)}\n${JSON.stringify(error)}`
      expectNoCanary(shown)
      for (const key of [key1, key2]) {
        expect(shown).not.toContain(key.toString('base64'))
        expect(shown).not.toContain(key.toString('hex'))
      }
    }
  })
})

describe('rewrapEnvelope', () => {
  const both = new Keyring(2, [
    [1, key1],
    [2, key2],
  ])
  const onlyNew = new Keyring(2, [[2, key2]])

  it('re-wraps only the data key, under the new version', () => {
    const envelope = sealSecrets(secrets, context, keyringV1)
    const rewrapped = rewrapEnvelope(envelope, context, both, 2)
    expect(rewrapped.kv).toBe(2)
    expect(rewrapped.data).toEqual(envelope.data)
    expect(serializeEnvelope(rewrapped)).toContain(JSON.stringify(envelope.data))
    expect(rewrapped.dek.ct).not.toBe(envelope.dek.ct)
    expect(rewrapped.dek.iv).not.toBe(envelope.dek.iv)

    expect(openSecrets(rewrapped, context, onlyNew)).toEqual(secrets)
    expect(openSecrets(rewrapped, context, both)).toEqual(secrets)
    expect(reasonOf(() => openSecrets(rewrapped, context, keyringV1))).toBe('unknown_key_version')
    // The old key, even presented as version 2, no longer opens it.
    expect(reasonOf(() => openSecrets(rewrapped, context, new Keyring(2, [[2, key1]])))).toBe(
      'authentication_failed',
    )
  })

  it('targets the current version by default and can go back', () => {
    const envelope = sealSecrets(secrets, context, keyringV1)
    const forward = rewrapEnvelope(envelope, context, both)
    expect(forward.kv).toBe(2)
    const back = rewrapEnvelope(forward, context, both, 1)
    expect(back.kv).toBe(1)
    expect(openSecrets(back, context, keyringV1)).toEqual(secrets)
  })

  it('authenticates the data key before re-wrapping', () => {
    const envelope = sealSecrets(secrets, context, keyringV1)
    expect(reasonOf(() => rewrapEnvelope(envelope, { ...context, credentialId: 'crd_x' }, both))).toBe(
      'authentication_failed',
    )
    const altered = withBox(envelope, 'dek', { tag: flip(envelope.dek.tag, 15) })
    expect(reasonOf(() => rewrapEnvelope(altered, context, both))).toBe('authentication_failed')
    expect(reasonOf(() => rewrapEnvelope(envelope, context, onlyNew))).toBe('unknown_key_version')
    expect(reasonOf(() => rewrapEnvelope(envelope, context, both, 3))).toBe('unknown_key_version')
  })

  it('keeps altered data detectable, since it never decrypts the data', () => {
    const envelope = sealSecrets(secrets, context, keyringV1)
    const altered = withBox(envelope, 'data', { ct: flip(envelope.data.ct, 0) })
    const rewrapped = rewrapEnvelope(altered, context, both)
    expect(reasonOf(() => openSecrets(rewrapped, context, both))).toBe('authentication_failed')
  })
})

describe('parseEnvelope and serializeEnvelope', () => {
  const envelope = sealSecrets(secrets, context, keyringV1)
  const text = serializeEnvelope(envelope)
  const edit = (change: (value: Record<string, unknown>) => void): string => {
    const value = JSON.parse(text) as Record<string, unknown>
    change(value)
    return JSON.stringify(value)
  }

  it('reads what it writes', () => {
    expect(parseEnvelope(text)).toEqual(envelope)
    expect(serializeEnvelope(parseEnvelope(text))).toBe(text)
  })

  it.each([
    ['not JSON', '{"v":1', /not valid JSON/],
    ['not an object', '[1]', /not a JSON object/],
    ['a newer format', edit((e) => (e.v = 2)), /unsupported envelope format version 2.*reads version 1/],
    ['no format version', edit((e) => delete e.v), /no numeric format version/],
    ['an unknown algorithm', edit((e) => (e.alg = 'XC20P')), /unsupported envelope algorithm "XC20P"/],
    ['no algorithm', edit((e) => (e.alg = 5)), /no algorithm/],
    ['a zero key version', edit((e) => (e.kv = 0)), /"kv" is not a positive integer/],
    ['a fractional key version', edit((e) => (e.kv = 1.5)), /"kv" is not a positive integer/],
    ['a string key version', edit((e) => (e.kv = '1')), /"kv" is not a positive integer/],
    ['an extra member', edit((e) => (e.note = 'x')), /unexpected member "note"/],
    ['a missing box', edit((e) => delete e.data), /"data" is not an object/],
    [
      'an extra box member',
      edit((e) => ((e.dek as Record<string, unknown>).aad = 'x')),
      /"dek" has an unexpected/,
    ],
    [
      'a non-string field',
      edit((e) => ((e.data as Record<string, unknown>).iv = 1)),
      /"data.iv" is not base64url/,
    ],
    [
      'standard base64',
      edit((e) => ((e.data as Record<string, unknown>).ct = 'a+b/')),
      /"data.ct" is not base64url/,
    ],
    [
      'padding',
      edit((e) => ((e.data as Record<string, unknown>).tag = 'AA==')),
      /"data.tag" is not base64url/,
    ],
    [
      'non-canonical base64url',
      // 16 bytes take 22 characters; "B" sets one of the last character's 4 unused bits
      edit((e) => ((e.data as Record<string, unknown>).tag = `${'A'.repeat(21)}B`)),
      /"data.tag" is not base64url/,
    ],
    [
      'a short nonce',
      edit((e) => ((e.dek as Record<string, unknown>).iv = 'AAAA')),
      /"dek.iv" must be 12 bytes/,
    ],
    [
      'a short tag',
      edit((e) => ((e.data as Record<string, unknown>).tag = 'AAAA')),
      /"data.tag" must be 16 bytes/,
    ],
    [
      'a short data key',
      edit((e) => ((e.dek as Record<string, unknown>).ct = 'AAAA')),
      /"dek.ct" must be 32 bytes/,
    ],
    ['empty data', edit((e) => ((e.data as Record<string, unknown>).ct = '')), /"data.ct" is empty/],
  ])('refuses %s as malformed', (_what, stored, message) => {
    const error = errorOf(() => parseEnvelope(stored))
    expect(error).toBeInstanceOf(EnvelopeError)
    expect((error as EnvelopeError).reason).toBe('malformed')
    expect((error as EnvelopeError).message).toMatch(message)
  })

  it('checks the structure when serializing and opening', () => {
    const bad = { ...envelope, alg: 'none' } as unknown as Envelope
    expect(reasonOf(() => serializeEnvelope(bad))).toBe('malformed')
    expect(reasonOf(() => openSecrets(bad, context, keyringV1))).toBe('malformed')
    expect(reasonOf(() => rewrapEnvelope(bad, context, keyringV1))).toBe('malformed')
  })
})
