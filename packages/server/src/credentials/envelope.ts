import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import type { Keyring } from './keyring.js'
import { deriveKey } from './master-key.js'

/**
 * Envelope encryption of a credential's secrets (decision 0006). The secrets (a JSON object) are
 * sealed with AES-256-GCM under a fresh data key (DEK); the DEK is sealed with AES-256-GCM under a
 * key-encryption key derived with HKDF from a versioned master key. Both ciphertexts carry the
 * associated data `toolplane:credential:v1:<workspaceId>:<credentialId>`, so a record copied onto
 * another credential or workspace does not open. Error messages name fields and versions, never
 * secrets, keys or plaintext.
 */

/** One AES-256-GCM ciphertext: nonce, ciphertext and tag, each base64url. */
export interface SealedBox {
  readonly iv: string
  readonly ct: string
  readonly tag: string
}

/** The stored form of a credential's secrets (`credentials.secret_envelope`). */
export interface Envelope {
  /** Format version. */
  readonly v: 1
  readonly alg: 'A256GCM'
  /** The master key version that wraps the DEK (also the `key_version` column). */
  readonly kv: number
  /** The DEK, sealed under the key-encryption key of master key version `kv`. */
  readonly dek: SealedBox
  /** The secrets as JSON, sealed under the DEK. */
  readonly data: SealedBox
}

/** The record an envelope belongs to; both ids are bound into the ciphertexts. */
export interface EnvelopeContext {
  readonly workspaceId: string
  readonly credentialId: string
}

export type EnvelopeErrorReason =
  /** The text or object is not a version 1 envelope. */
  | 'malformed'
  /** No configured master key has the envelope's (or the target) key version. */
  | 'unknown_key_version'
  /** A wrong key, an altered envelope, or an envelope of another credential or workspace. */
  | 'authentication_failed'

/** Why an envelope could not be read, sealed or re-wrapped; the message never holds secret material. */
export class EnvelopeError extends Error {
  constructor(
    readonly reason: EnvelopeErrorReason,
    message: string,
  ) {
    super(message)
    this.name = 'EnvelopeError'
  }
}

const algorithm = 'aes-256-gcm'
const keyBytes = 32
const ivBytes = 12
const tagBytes = 16
const kekPurpose = 'credential-kek'

/**
 * Seals `secrets` for one credential under the keyring's current master key version, with a
 * fresh random DEK, so two seals of the same secrets share no bytes but `v`, `alg` and `kv`.
 * Throws a `TypeError` when `secrets` is not a JSON object or an id is empty or holds `:`.
 *
 * @example
 * const envelope = sealSecrets({ token: 'ghp_…' }, { workspaceId, credentialId }, keyring)
 * await store.saveSecrets(credentialId, serializeEnvelope(envelope), envelope.kv)
 */
export function sealSecrets(
  secrets: Readonly<Record<string, unknown>>,
  context: EnvelopeContext,
  keyring: Keyring,
): Envelope {
  if (!isJsonObject(secrets)) throw new TypeError('secrets must be a JSON object')
  const aad = associatedData(context)
  const master = masterKey(keyring, keyring.current)
  const plaintext = Buffer.from(JSON.stringify(secrets), 'utf8')
  const dek = randomBytes(keyBytes)
  try {
    const data = encrypt(dek, plaintext, aad)
    return { v: 1, alg: 'A256GCM', kv: keyring.current, dek: wrapKey(master, dek, aad), data }
  } finally {
    dek.fill(0)
    plaintext.fill(0)
  }
}

/**
 * Opens an envelope sealed for the same workspace and credential. Throws an `EnvelopeError`:
 * `unknown_key_version` when the keyring has no key of the envelope's version,
 * `authentication_failed` for a wrong key, an altered envelope or another record's envelope,
 * `malformed` for a structurally invalid one.
 *
 * @example
 * const secrets = openSecrets(parseEnvelope(row.secret_envelope), { workspaceId, credentialId }, keyring)
 */
export function openSecrets(
  envelope: Envelope,
  context: EnvelopeContext,
  keyring: Keyring,
): Record<string, unknown> {
  const boxes = decodeEnvelope(envelope)
  const aad = associatedData(context)
  const dek = unwrapKey(masterKey(keyring, envelope.kv), boxes.dek, aad, envelope.kv)
  try {
    const plaintext = decrypt(dek, boxes.data, aad)
    if (plaintext === null) {
      throw new EnvelopeError(
        'authentication_failed',
        'the secrets do not decrypt: the envelope was altered, or belongs to another credential or workspace',
      )
    }
    try {
      // No parse error is passed on: its message would quote the plaintext.
      let secrets: unknown
      try {
        secrets = JSON.parse(plaintext.toString('utf8'))
      } catch {
        secrets = undefined
      }
      if (!isJsonObject(secrets)) {
        throw new EnvelopeError('malformed', 'the decrypted secrets are not a JSON object')
      }
      return secrets
    } finally {
      plaintext.fill(0)
    }
  } finally {
    dek.fill(0)
  }
}

/**
 * Re-wraps the envelope's DEK under master key version `toVersion` (default: the keyring's
 * current one) for key rotation. The data ciphertext is kept byte for byte, and the secrets are
 * never decrypted; the DEK wrap is authenticated first, so an altered or misplaced envelope fails
 * with `authentication_failed`.
 *
 * @example
 * const rewrapped = rewrapEnvelope(envelope, { workspaceId, credentialId }, keyring, keyring.current)
 */
export function rewrapEnvelope(
  envelope: Envelope,
  context: EnvelopeContext,
  keyring: Keyring,
  toVersion: number = keyring.current,
): Envelope {
  const boxes = decodeEnvelope(envelope)
  const aad = associatedData(context)
  const target = masterKey(keyring, toVersion)
  const dek = unwrapKey(masterKey(keyring, envelope.kv), boxes.dek, aad, envelope.kv)
  try {
    return {
      v: 1,
      alg: 'A256GCM',
      kv: toVersion,
      dek: wrapKey(target, dek, aad),
      data: { iv: envelope.data.iv, ct: envelope.data.ct, tag: envelope.data.tag },
    }
  } finally {
    dek.fill(0)
  }
}

/**
 * Reads the stored text of an envelope, checking its structure: format version 1, algorithm
 * `A256GCM`, a positive integer `kv`, and canonical base64url fields of the right lengths. Throws
 * an `EnvelopeError` with reason `malformed` naming what is wrong.
 *
 * @example
 * const envelope = parseEnvelope('{"v":1,"alg":"A256GCM","kv":1,"dek":{…},"data":{…}}')
 */
export function parseEnvelope(text: string): Envelope {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new EnvelopeError('malformed', 'the envelope is not valid JSON')
  }
  return checkEnvelope(value)
}

/**
 * The stored text of an envelope: compact JSON with its members in a fixed order. Checks the
 * structure first, like `parseEnvelope`.
 *
 * @example
 * serializeEnvelope(sealSecrets(secrets, context, keyring)) // '{"v":1,"alg":"A256GCM","kv":1,…}'
 */
export function serializeEnvelope(envelope: Envelope): string {
  const { v, alg, kv, dek, data } = checkEnvelope(envelope)
  return JSON.stringify({
    v,
    alg,
    kv,
    dek: { iv: dek.iv, ct: dek.ct, tag: dek.tag },
    data: { iv: data.iv, ct: data.ct, tag: data.tag },
  })
}

interface DecodedBox {
  readonly iv: Buffer
  readonly ct: Buffer
  readonly tag: Buffer
}

const envelopeMembers = ['v', 'alg', 'kv', 'dek', 'data']
const boxMembers = ['iv', 'ct', 'tag']

function checkEnvelope(value: unknown): Envelope {
  decodeEnvelope(value)
  return value as Envelope
}

function decodeEnvelope(value: unknown): { dek: DecodedBox; data: DecodedBox } {
  if (!isJsonObject(value)) throw malformed('the envelope is not a JSON object')
  checkMembers(value, envelopeMembers, 'the envelope')
  if (value.v !== 1) {
    throw malformed(
      typeof value.v === 'number'
        ? `unsupported envelope format version ${value.v} (this Toolplane reads version 1; a newer Toolplane wrote it?)`
        : 'the envelope has no numeric format version "v"',
    )
  }
  if (value.alg !== 'A256GCM') {
    throw malformed(
      typeof value.alg === 'string'
        ? `unsupported envelope algorithm ${JSON.stringify(value.alg.slice(0, 40))} (expected "A256GCM")`
        : 'the envelope has no algorithm "alg"',
    )
  }
  if (typeof value.kv !== 'number' || !Number.isSafeInteger(value.kv) || value.kv < 1) {
    throw malformed('the envelope\'s key version "kv" is not a positive integer')
  }
  return { dek: decodeBox(value.dek, 'dek', keyBytes), data: decodeBox(value.data, 'data', null) }
}

function decodeBox(value: unknown, name: string, ciphertextBytes: number | null): DecodedBox {
  if (!isJsonObject(value)) throw malformed(`the envelope's "${name}" is not an object`)
  checkMembers(value, boxMembers, `the envelope's "${name}"`)
  const iv = decodeField(value.iv, `${name}.iv`)
  const ct = decodeField(value.ct, `${name}.ct`)
  const tag = decodeField(value.tag, `${name}.tag`)
  if (iv.length !== ivBytes) throw malformed(`the envelope's "${name}.iv" must be ${ivBytes} bytes`)
  if (tag.length !== tagBytes) throw malformed(`the envelope's "${name}.tag" must be ${tagBytes} bytes`)
  if (ciphertextBytes !== null && ct.length !== ciphertextBytes) {
    throw malformed(`the envelope's "${name}.ct" must be ${ciphertextBytes} bytes`)
  }
  if (ct.length === 0) throw malformed(`the envelope's "${name}.ct" is empty`)
  return { iv, ct, tag }
}

function decodeField(value: unknown, name: string): Buffer {
  // Canonical only: Node's decoder skips stray characters and ignores trailing bits, which would
  // let two different texts stand for one envelope.
  if (typeof value === 'string' && /^[A-Za-z0-9_-]*$/.test(value)) {
    const bytes = Buffer.from(value, 'base64url')
    if (bytes.toString('base64url') === value) return bytes
  }
  throw malformed(`the envelope's "${name}" is not base64url`)
}

function checkMembers(value: Record<string, unknown>, expected: readonly string[], what: string): void {
  const unexpected = Object.keys(value).find((member) => !expected.includes(member))
  if (unexpected !== undefined) {
    throw malformed(`${what} has an unexpected member ${JSON.stringify(unexpected.slice(0, 40))}`)
  }
}

function malformed(message: string): EnvelopeError {
  return new EnvelopeError('malformed', message)
}

function associatedData(context: EnvelopeContext): Buffer {
  // A ':' inside an id would make two different (workspace, credential) pairs share associated data.
  for (const [name, id] of [
    ['workspaceId', context.workspaceId],
    ['credentialId', context.credentialId],
  ] as const) {
    if (id === '' || id.includes(':')) {
      throw new TypeError(`${name} must be a non-empty string without ":"`)
    }
  }
  return Buffer.from(`toolplane:credential:v1:${context.workspaceId}:${context.credentialId}`, 'utf8')
}

function masterKey(keyring: Keyring, version: number): Buffer {
  const key = keyring.keyFor(version)
  if (key === undefined) {
    throw new EnvelopeError(
      'unknown_key_version',
      `no configured master key has version ${version} (keyring versions: ${keyring.versions.join(', ')}); ` +
        'set TOOLPLANE_MASTER_KEY_PREVIOUS to the key that was current when that version was',
    )
  }
  return key
}

function wrapKey(master: Buffer, dek: Buffer, aad: Buffer): SealedBox {
  const kek = deriveKey(master, kekPurpose)
  try {
    return encrypt(kek, dek, aad)
  } finally {
    kek.fill(0)
  }
}

function unwrapKey(master: Buffer, box: DecodedBox, aad: Buffer, version: number): Buffer {
  const kek = deriveKey(master, kekPurpose)
  try {
    const dek = decrypt(kek, box, aad)
    if (dek === null) {
      throw new EnvelopeError(
        'authentication_failed',
        `the data key does not unwrap under master key version ${version}: the key configured for that ` +
          'version is wrong, or the envelope was altered, or belongs to another credential or workspace',
      )
    }
    return dek
  } finally {
    kek.fill(0)
  }
}

function encrypt(key: Buffer, plaintext: Buffer, aad: Buffer): SealedBox {
  const iv = randomBytes(ivBytes)
  const cipher = createCipheriv(algorithm, key, iv, { authTagLength: tagBytes })
  cipher.setAAD(aad)
  const ct = Buffer.concat([cipher.update(plaintext), cipher.final()])
  return {
    iv: iv.toString('base64url'),
    ct: ct.toString('base64url'),
    tag: cipher.getAuthTag().toString('base64url'),
  }
}

/** The plaintext, or `null` when the tag does not verify (wrong key, altered data or other AAD). */
function decrypt(key: Buffer, box: DecodedBox, aad: Buffer): Buffer | null {
  const decipher = createDecipheriv(algorithm, key, box.iv, { authTagLength: tagBytes })
  decipher.setAAD(aad)
  decipher.setAuthTag(box.tag)
  const plaintext = decipher.update(box.ct)
  try {
    decipher.final() // empty for GCM; throws when the tag does not verify
    return plaintext
  } catch {
    plaintext.fill(0)
    return null
  }
}

function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
