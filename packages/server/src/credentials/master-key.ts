import { hkdfSync, randomBytes } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import type { MasterKeySource } from '../config.js'

export class MasterKeyError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'MasterKeyError'
  }
}

export interface MasterKey {
  readonly key: Buffer
  /** Where it came from, for the start-up log (never the key itself). */
  readonly source: 'env' | 'file' | 'generated'
  readonly path: string | null
}

function readKeyFile(file: string, variable: string): Buffer {
  const text = fs.readFileSync(file, 'utf8').trim()
  const key = Buffer.from(text, 'base64')
  if (key.length !== 32) {
    throw new MasterKeyError(
      `${variable}: ${file} must hold 32 bytes encoded as base64 (found ${key.length} bytes)`,
    )
  }
  return key
}

/**
 * Resolves the master key: from `TOOLPLANE_MASTER_KEY`, from `TOOLPLANE_MASTER_KEY_FILE`, or from
 * `<data dir>/master.key`, which is generated (mode 0600) on first start. `onGenerated` is called
 * once when a new key file was written, so the caller can warn that it must be backed up.
 *
 * @example
 * const masterKey = resolveMasterKey(config.masterKey, (file) => log.warn({ file }, 'generated a master key'))
 */
export function resolveMasterKey(source: MasterKeySource, onGenerated: (file: string) => void): MasterKey {
  switch (source.kind) {
    case 'env':
      return { key: source.key, source: 'env', path: null }
    case 'file':
      if (!fs.existsSync(source.path)) {
        throw new MasterKeyError(`TOOLPLANE_MASTER_KEY_FILE: ${source.path} does not exist`)
      }
      return { key: readKeyFile(source.path, 'TOOLPLANE_MASTER_KEY_FILE'), source: 'file', path: source.path }
    case 'generate': {
      if (fs.existsSync(source.path)) {
        return { key: readKeyFile(source.path, 'master key file'), source: 'file', path: source.path }
      }
      fs.mkdirSync(path.dirname(source.path), { recursive: true })
      const key = randomBytes(32)
      // 'wx' fails if another process created the file first; then we read theirs.
      try {
        fs.writeFileSync(source.path, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' })
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
          return { key: readKeyFile(source.path, 'master key file'), source: 'file', path: source.path }
        }
        throw error
      }
      onGenerated(source.path)
      return { key, source: 'generated', path: source.path }
    }
  }
}

/** A key for one purpose derived from the master key (HKDF-SHA256), so no two uses share a key. */
export function deriveKey(masterKey: Buffer, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), `toolplane:${purpose}`, 32))
}
