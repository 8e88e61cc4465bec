import type { Kysely } from 'kysely'
import type { Schema } from '../db/schema.js'
import { parseEnvelope, rewrapEnvelope, serializeEnvelope } from './envelope.js'
import { buildKeyring, checkKeyring } from './keyring.js'
import type { Keyring, StoredKeyVersion } from './keyring.js'
import { credentialStore } from './store.js'

async function storedVersions(db: Kysely<Schema>): Promise<StoredKeyVersion[]> {
  return db.selectFrom('master_keys').select(['version', 'fingerprint']).orderBy('version').execute()
}

/**
 * The keyring the server runs with: the configured current and previous master keys, matched to
 * their stored versions by fingerprint. A current key seen for the first time is registered as the
 * next version (two nodes starting at once register it once). Refuses — with a message naming the
 * versions and what to do — when some stored envelope is under a version no configured key opens.
 *
 * @example
 * const keyring = await loadKeyring(database.db, { current: masterKey.key, previous: config.previousMasterKeys }, Date.now)
 */
export async function loadKeyring(
  db: Kysely<Schema>,
  configured: { current: Buffer; previous: readonly Buffer[] },
  now: number,
  onUnmatchedPrevious?: (unmatched: readonly { position: number; fingerprint: string }[]) => void,
): Promise<Keyring> {
  const known = await storedVersions(db)
  const first = buildKeyring(configured, known)
  // Check before registering anything: a wrong key must not become a permanent version.
  const inUse = await credentialStore(db).keyVersionsInUse()
  for (const name of envelopeTables) {
    const versions = await db.selectFrom(name).select('key_version').distinct().execute()
    inUse.push(...versions.map((r) => r.key_version))
  }
  checkKeyring(first.keyring, inUse, known)
  if (first.unmatchedPrevious.length > 0) onUnmatchedPrevious?.(first.unmatchedPrevious)
  if (first.newKeys.length === 0) return first.keyring
  for (const key of first.newKeys) {
    await db
      .insertInto('master_keys')
      .values({ version: key.version, fingerprint: key.fingerprint, created_at: now, retired_at: null })
      .onConflict((oc) => oc.doNothing())
      .execute()
  }
  // Another node may have registered the same key (or another) at the same moment: read back.
  return buildKeyring(configured, await storedVersions(db)).keyring
}

/** Tables other than credentials whose rows hold one envelope (`secret_envelope`, `key_version`). */
const envelopeTables = ['oauth_apps', 'webhooks'] as const

/** Reading and swapping the envelopes of one of {@link envelopeTables} not under `current`. */
function envelopeTable(
  db: Kysely<Schema>,
  name: (typeof envelopeTables)[number],
  current: number,
  batchSize: number,
) {
  return {
    next: (after: string | null) => {
      let query = db
        .selectFrom(name)
        .select(['id', 'workspace_id', 'secret_envelope', 'key_version'])
        .where('key_version', '!=', current)
        .orderBy('id')
        .limit(batchSize)
      if (after !== null) query = query.where('id', '>', after)
      return query.execute()
    },
    swap: async (row: EnvelopeRow, next: { secret_envelope: string; key_version: number }) => {
      const result = await db
        .updateTable(name)
        .set(next)
        .where('workspace_id', '=', row.workspace_id)
        .where('id', '=', row.id)
        .where('secret_envelope', '=', row.secret_envelope)
        .executeTakeFirst()
      return result.numUpdatedRows > 0n
    },
  }
}

interface EnvelopeRow {
  id: string
  workspace_id: string
  secret_envelope: string
  key_version: number
}

export interface RotationProgress {
  readonly rewrapped: number
  readonly skipped: number
  readonly remaining: number
}

/**
 * Re-wraps every data key (credentials, OAuth app client secrets, webhook signing secrets) not yet under the keyring's current master key, in batches,
 * each envelope swapped only if unchanged since it was read. Safe to run while servers serve (they
 * hold the old key as previous) and to interrupt: a second run continues with what is left. Old
 * versions no envelope uses any more are marked retired.
 *
 * @example
 * await rotateKeys(database.db, keyring, { batchSize: 100, onBatch: (p) => console.log(p) })
 */
export async function rotateKeys(
  db: Kysely<Schema>,
  keyring: Keyring,
  options: {
    batchSize?: number
    now: () => number
    onBatch?: (progress: RotationProgress) => void
    signal?: AbortSignal
  },
): Promise<RotationProgress> {
  const store = credentialStore(db)
  const batchSize = options.batchSize ?? 100
  let rewrapped = 0
  let skipped = 0
  // Credentials, OAuth app client secrets, webhook signing secrets: every envelope with a key version.
  const tables = [
    {
      next: (after: string | null) => store.envelopesNotUnder(keyring.current, after, batchSize),
      swap: (row: EnvelopeRow, next: { secret_envelope: string; key_version: number }) =>
        store.swapEnvelope(row.workspace_id, row.id, row.secret_envelope, next),
    },
    envelopeTable(db, 'oauth_apps', keyring.current, batchSize),
    envelopeTable(db, 'webhooks', keyring.current, batchSize),
  ]
  for (const table of tables) {
    let after: string | null = null
    for (;;) {
      if (options.signal?.aborted === true) break
      const batch = await table.next(after)
      if (batch.length === 0) break
      for (const row of batch) {
        const context = { workspaceId: row.workspace_id, credentialId: row.id }
        const next = rewrapEnvelope(parseEnvelope(row.secret_envelope), context, keyring, keyring.current)
        const swapped = await table.swap(row, {
          secret_envelope: serializeEnvelope(next),
          key_version: keyring.current,
        })
        // Lost a race with an update: that update sealed it under the current key already, or the
        // next run picks it up.
        if (swapped) rewrapped++
        else skipped++
      }
      after = batch.at(-1)?.id ?? null
      options.onBatch?.({ rewrapped, skipped, remaining: -1 })
    }
  }
  const counts = await store.countByKeyVersion()
  let remaining = counts.filter((c) => c.version !== keyring.current).reduce((sum, c) => sum + c.count, 0)
  for (const name of envelopeTables) {
    const old = await db
      .selectFrom(name)
      .select((eb) => eb.fn.countAll<number | string>().as('count'))
      .where('key_version', '!=', keyring.current)
      .executeTakeFirst()
    remaining += Number(old?.count ?? 0)
  }
  if (remaining === 0) {
    await db
      .updateTable('master_keys')
      .set({ retired_at: options.now() })
      .where('version', '!=', keyring.current)
      .where('retired_at', 'is', null)
      .execute()
  }
  return { rewrapped, skipped, remaining }
}
