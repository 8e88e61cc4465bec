import { createHmac } from 'node:crypto'
import { MasterKeyError, deriveKey } from './master-key.js'

/**
 * The master keys the server holds, by version (decision 0006). `current` seals new envelopes;
 * every other version only opens (and re-wraps) older ones. Keys live in a private field, so
 * neither `JSON.stringify` nor `util.inspect` of a keyring shows them.
 *
 * @example
 * const keyring = new Keyring(2, [[1, oldKey], [2, newKey]])
 * keyring.keyFor(1) // oldKey
 */
export class Keyring {
  readonly #keys: ReadonlyMap<number, Buffer>

  constructor(
    /** The version new envelopes are sealed under. */
    readonly current: number,
    keys: Iterable<readonly [version: number, key: Buffer]>,
  ) {
    const map = new Map<number, Buffer>()
    for (const [version, key] of keys) {
      if (!isVersion(version))
        throw new MasterKeyError(`master key version ${version} is not a positive integer`)
      checkKeyLength(key, `master key version ${version}`)
      if (map.has(version)) throw new MasterKeyError(`master key version ${version} is given twice`)
      map.set(version, Buffer.from(key))
    }
    if (!map.has(current)) {
      throw new MasterKeyError(`the current master key version ${current} has no key in the keyring`)
    }
    this.#keys = map
  }

  /**
   * The master key of `version`, or `undefined` when no configured key has that version.
   *
   * @example
   * keyring.keyFor(keyring.current) // the key new envelopes use
   */
  keyFor(version: number): Buffer | undefined {
    return this.#keys.get(version)
  }

  /** Every version this keyring opens, ascending. */
  get versions(): readonly number[] {
    return [...this.#keys.keys()].sort((a, b) => a - b)
  }
}

/** A row of `master_keys`: a version and the fingerprint of its key. */
export interface StoredKeyVersion {
  readonly version: number
  readonly fingerprint: string
}

export interface ConfiguredMasterKeys {
  /** `TOOLPLANE_MASTER_KEY` (or its file, or the generated key). */
  readonly current: Buffer
  /** `TOOLPLANE_MASTER_KEY_PREVIOUS`, in the order written. */
  readonly previous: readonly Buffer[]
}

export interface KeyringBuild {
  readonly keyring: Keyring
  /**
   * Keys to register in `master_keys` before anything sealed with them is stored: the current key
   * when no stored version has its fingerprint, given the next version (highest known + 1).
   * Empty when the current key is already known.
   */
  readonly newKeys: readonly StoredKeyVersion[]
  /**
   * Previous keys that match no stored version, by 1-based position in
   * `TOOLPLANE_MASTER_KEY_PREVIOUS`: they open nothing, so they are left out of the keyring and
   * are worth a warning (a typo, or a key from another installation).
   */
  readonly unmatchedPrevious: readonly { readonly position: number; readonly fingerprint: string }[]
}

const fingerprintMessage = 'toolplane-master-key-fingerprint'

/**
 * Identifies a master key without revealing it: HMAC-SHA256, under a key derived from the master
 * key with HKDF (`toolplane:fingerprint`), of a constant; 64 hex characters. Stored in
 * `master_keys.fingerprint`; messages show only the first 8 characters.
 *
 * @example
 * fingerprint(masterKey) // '3f9c1a…' (64 hex characters)
 */
export function fingerprint(masterKey: Buffer): string {
  checkKeyLength(masterKey, 'a master key')
  return createHmac('sha256', deriveKey(masterKey, 'fingerprint')).update(fingerprintMessage).digest('hex')
}

/**
 * Matches the configured keys to the stored versions by fingerprint and returns the keyring. An
 * unknown current key gets the next version, listed in `newKeys` for the caller to insert into
 * `master_keys`; if the insert conflicts (another node registered first), re-read the versions and
 * build again. A key given twice (say, also among the previous keys) counts once.
 *
 * @example
 * const { keyring, newKeys } = buildKeyring(
 *   { current: masterKey.key, previous: config.previousMasterKeys },
 *   await store.masterKeyVersions(),
 * )
 * for (const key of newKeys) await store.registerMasterKey(key)
 * checkKeyring(keyring, await store.keyVersionsInUse(), await store.masterKeyVersions())
 */
export function buildKeyring(
  configured: ConfiguredMasterKeys,
  knownVersions: readonly StoredKeyVersion[],
): KeyringBuild {
  const versionOf = new Map(knownVersions.map((known) => [known.fingerprint, known.version]))
  const keys = new Map<number, Buffer>()
  const newKeys: StoredKeyVersion[] = []
  const unmatchedPrevious: { position: number; fingerprint: string }[] = []

  const currentFingerprint = fingerprint(configured.current)
  let current = versionOf.get(currentFingerprint)
  if (current === undefined) {
    current = Math.max(0, ...knownVersions.map((known) => known.version)) + 1
    newKeys.push({ version: current, fingerprint: currentFingerprint })
  }
  keys.set(current, configured.current)

  configured.previous.forEach((key, index) => {
    const print = fingerprint(key)
    const version = print === currentFingerprint ? current : versionOf.get(print)
    if (version === undefined) unmatchedPrevious.push({ position: index + 1, fingerprint: print })
    else if (!keys.has(version)) keys.set(version, key)
  })

  return { keyring: new Keyring(current, keys), newKeys, unmatchedPrevious }
}

/** Raised at start-up when records are sealed under master key versions no configured key opens. */
export class MissingMasterKeyError extends MasterKeyError {
  constructor(
    readonly versions: readonly number[],
    message: string,
  ) {
    super(message)
    this.name = 'MissingMasterKeyError'
  }
}

/**
 * Stops start-up when some envelope is sealed under a key version the keyring cannot open, with a
 * message naming each such version (and its stored fingerprint, when `knownVersions` has it) and
 * what to do. Only versions and fingerprint prefixes appear in the message, never a key.
 *
 * @example
 * checkKeyring(keyring, [1, 2, 3], storedVersions) // throws MissingMasterKeyError when, say, version 1 has no key
 */
export function checkKeyring(
  keyring: Keyring,
  versionsInUse: readonly number[],
  knownVersions: readonly StoredKeyVersion[] = [],
): void {
  const missing = [...new Set(versionsInUse)]
    .filter((version) => keyring.keyFor(version) === undefined)
    .sort((a, b) => a - b)
  if (missing.length === 0) return

  const fingerprintOf = new Map(knownVersions.map((known) => [known.version, known.fingerprint]))
  const lines = missing.map((version) => {
    const print = fingerprintOf.get(version)
    const which = print === undefined ? 'fingerprint unknown' : `fingerprint ${print.slice(0, 8)}`
    return (
      `  - version ${version} (${which}): set TOOLPLANE_MASTER_KEY_PREVIOUS to the key that was ` +
      `TOOLPLANE_MASTER_KEY when version ${version} was current (comma-separate several), or restore that key`
    )
  })
  const plural = missing.length === 1 ? 'version' : 'versions'
  throw new MissingMasterKeyError(
    missing,
    [
      `Credentials are sealed under master key ${plural} that no configured key opens ` +
        `(the current key is version ${keyring.current}):`,
      ...lines,
      `Then run \`toolplane keys rotate\` to re-wrap them under version ${keyring.current}; once it ` +
        'finishes, the old keys are no longer needed. A lost key cannot be recovered: credentials ' +
        'sealed under it must be deleted and connected again.',
    ].join('\n'),
  )
}

function isVersion(version: number): boolean {
  return Number.isSafeInteger(version) && version > 0
}

function checkKeyLength(key: Buffer, what: string): void {
  if (key.length !== 32) throw new MasterKeyError(`${what} must be 32 bytes (got ${key.length})`)
}
