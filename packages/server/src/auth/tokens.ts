import { createHmac, hash, randomBytes, timingSafeEqual } from 'node:crypto'
import { v7 as uuidv7 } from 'uuid'

/** A random URL-safe secret of `bytes` bytes of entropy. */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url')
}

/**
 * The stored form of a high-entropy token (API key, session, sign-in link): SHA-256, hex. A fast
 * hash is right here because the input is 256 random bits; passwords use scrypt instead.
 */
export function hashToken(token: string): string {
  // The one-shot form: a quarter of the time of createHash().update().digest() on every request.
  return hash('sha256', token, 'hex')
}

/** HMAC-SHA256 of `value` under `key`, base64url. */
export function sign(key: Buffer, value: string): string {
  return createHmac('sha256', key).update(value, 'utf8').digest('base64url')
}

/** Compares two strings in constant time (for equal lengths). */
export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8')
  const right = Buffer.from(b, 'utf8')
  return left.length === right.length && timingSafeEqual(left, right)
}

/**
 * A new resource id: a type prefix and a UUIDv7 without dashes, so ids sort by creation time
 * and cursor pagination can page by id.
 *
 * @example
 * newId('key') // 'key_0193a1b2c3d47e8f9a0b1c2d3e4f5a6b'
 */
export function newId(prefix: string): string {
  return `${prefix}_${uuidv7().replaceAll('-', '')}`
}
