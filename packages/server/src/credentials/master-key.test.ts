import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { MasterKeyError, deriveKey, resolveMasterKey } from './master-key.js'

describe('master key', () => {
  let dir: string
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'toolplane-key-'))
  })
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true })
  })

  it('generates a key file readable only by its owner on first start, then reuses it', () => {
    const file = path.join(dir, 'nested', 'master.key')
    const generated: string[] = []
    const first = resolveMasterKey({ kind: 'generate', path: file }, (f) => generated.push(f))
    expect(first.source).toBe('generated')
    expect(first.key).toHaveLength(32)
    expect(generated).toEqual([file])
    expect(fs.statSync(file).mode & 0o777).toBe(0o600)

    const second = resolveMasterKey({ kind: 'generate', path: file }, (f) => generated.push(f))
    expect(second.key.equals(first.key)).toBe(true)
    expect(second.source).toBe('file')
    expect(generated).toHaveLength(1)
  })

  it('takes the key from the environment or a named file', () => {
    const key = Buffer.alloc(32, 9)
    expect(resolveMasterKey({ kind: 'env', key }, () => undefined)).toEqual({
      key,
      source: 'env',
      path: null,
    })
    const file = path.join(dir, 'key')
    fs.writeFileSync(file, key.toString('base64'))
    expect(resolveMasterKey({ kind: 'file', path: file }, () => undefined).key.equals(key)).toBe(true)
  })

  it('refuses a missing or malformed key file with a message naming the variable', () => {
    expect(() => resolveMasterKey({ kind: 'file', path: path.join(dir, 'absent') }, () => undefined)).toThrow(
      /TOOLPLANE_MASTER_KEY_FILE: .* does not exist/,
    )
    const short = path.join(dir, 'short')
    fs.writeFileSync(short, Buffer.alloc(16).toString('base64'))
    expect(() => resolveMasterKey({ kind: 'file', path: short }, () => undefined)).toThrow(MasterKeyError)
  })

  it('derives distinct keys per purpose', () => {
    const master = Buffer.alloc(32, 1)
    expect(deriveKey(master, 'csrf')).toHaveLength(32)
    expect(deriveKey(master, 'csrf').equals(deriveKey(master, 'csrf'))).toBe(true)
    expect(deriveKey(master, 'csrf').equals(deriveKey(master, 'other'))).toBe(false)
  })
})
