import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto'

// scrypt is memory-hard and ships with Node: no native add-on to build. N=2^15, r=8 uses 32 MiB
// per hash (OWASP's minimum for scrypt is N=2^17 with r=8 at p=1 or equivalent cost; we take
// N=2^15, p=3, which OWASP lists as an equivalent). See docs/decisions/0004-scrypt-for-passwords.md.
const params = { N: 2 ** 15, r: 8, p: 3 } as const
const keyLength = 32
const maxmem = 64 * 1024 * 1024

function derive(password: string, salt: Buffer, p: { N: number; r: number; p: number }): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFKC'), salt, keyLength, { ...p, maxmem }, (error, key) => {
      if (error) reject(error)
      else resolve(key)
    })
  })
}

/**
 * Hashes a password as `$scrypt$ln=15,r=8,p=3$<salt>$<hash>` (base64, PHC-like).
 *
 * @example
 * const stored = await hashPassword('correct horse battery staple')
 */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16)
  const hash = await derive(password, salt, params)
  return `$scrypt$ln=${Math.log2(params.N)},r=${params.r},p=${params.p}$${salt.toString('base64')}$${hash.toString('base64')}`
}

/** Checks a password against a stored hash in constant time; false for a malformed hash. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const match = /^\$scrypt\$ln=(\d+),r=(\d+),p=(\d+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/.exec(stored)
  if (!match) return false
  const [, ln, r, p, salt, hash] = match
  const expected = Buffer.from(hash ?? '', 'base64')
  const actual = await derive(password, Buffer.from(salt ?? '', 'base64'), {
    N: 2 ** Number(ln),
    r: Number(r),
    p: Number(p),
  })
  return expected.length === actual.length && timingSafeEqual(expected, actual)
}

/** A hash of a random password, verified against when an email is unknown so timing does not reveal it. */
export const decoyHash = hashPassword(randomBytes(16).toString('hex'))
