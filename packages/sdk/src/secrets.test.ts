import { Type } from 'typebox'
import type { Static } from 'typebox'
import { describe, expect, expectTypeOf, it } from 'vitest'
import {
  MASKED,
  REDACTED,
  SECRET_KEYWORD,
  Secret,
  isSecret,
  maskSecrets,
  redactSecrets,
  secretPaths,
  secretValues,
} from './secrets.js'

describe('Secret', () => {
  it('marks a schema write-only and secret without changing what it accepts', () => {
    const base = Type.String({ minLength: 8 })
    const secret = Secret(base)
    expect(secret).toEqual({ type: 'string', minLength: 8, writeOnly: true, [SECRET_KEYWORD]: true })
    expect(base).not.toHaveProperty('writeOnly')
    expect(isSecret(secret)).toBe(true)
    expect(isSecret(base)).toBe(false)
    expect(isSecret(null)).toBe(false)
  })

  it('keeps TypeBox optional properties optional', () => {
    const schema = Type.Object({
      a: Secret(Type.Optional(Type.String())),
      b: Type.Optional(Secret(Type.String())),
      c: Secret(Type.String()),
    })
    expect(schema.required).toEqual(['c'])
    expectTypeOf<Static<typeof schema>>().toEqualTypeOf<{ a?: string; b?: string; c: string }>()
  })
})

const Deep = Type.Object({
  to: Type.String(),
  apiKey: Secret(Type.String()),
  users: Type.Array(Type.Object({ name: Type.String(), password: Secret(Type.String()) })),
  env: Type.Record(Type.String(), Secret(Type.String())),
  pair: Type.Tuple([Type.String(), Secret(Type.String())]),
  auth: Type.Union([
    Type.Object({ kind: Type.Literal('token'), token: Secret(Type.String()) }),
    Type.Object({ kind: Type.Literal('none') }),
  ]),
  'a/b': Secret(Type.String()),
})

describe('secretPaths', () => {
  it('finds secrets in nested objects, arrays, records, tuples and unions', () => {
    expect(secretPaths(Deep).sort()).toEqual(
      ['/apiKey', '/users/*/password', '/env/*', '/pair/1', '/auth/token', '/a~1b'].sort(),
    )
  })

  it('follows local references without looping', () => {
    const schema = {
      $defs: {
        node: {
          type: 'object',
          properties: { key: { type: 'string', [SECRET_KEYWORD]: true }, child: { $ref: '#/$defs/node' } },
        },
      },
      type: 'object',
      properties: {
        root: { $ref: '#/$defs/node' },
        gone: { $ref: '#/$defs/missing' },
        far: { $ref: 'https://x/y' },
      },
    }
    expect(secretPaths(schema)).toEqual(['/root/key'])
  })

  it('reads the other places a schema can hold one', () => {
    const schema = {
      type: 'object',
      additionalProperties: { [SECRET_KEYWORD]: true },
      patternProperties: { '^x-': { [SECRET_KEYWORD]: true } },
      allOf: [{ properties: { a: { [SECRET_KEYWORD]: true } } }],
      if: { properties: { kind: { const: 'k' } } },
      then: { properties: { b: { [SECRET_KEYWORD]: true } } },
      else: { properties: { c: { [SECRET_KEYWORD]: true } } },
      dependentSchemas: { d: { properties: { e: { [SECRET_KEYWORD]: true } } } },
      properties: {
        list: { items: [{}, { [SECRET_KEYWORD]: true }] },
        pair: {
          prefixItems: [{ [SECRET_KEYWORD]: true }],
          items: { properties: { k: { [SECRET_KEYWORD]: true } } },
        },
      },
    }
    expect(secretPaths(schema).sort()).toEqual(
      ['/*', '/a', '/b', '/c', '/e', '/list/1', '/pair/0', '/pair/*/k'].sort(),
    )
  })

  it('treats a secret root as one secret', () => {
    expect(secretPaths(Secret(Type.String()))).toEqual([''])
  })
})

describe('redactSecrets', () => {
  it('replaces secret values at any depth and leaves the rest', () => {
    const value = {
      to: 'ada@example.com',
      apiKey: 'sk_live_1',
      users: [
        { name: 'ada', password: 'p1' },
        { name: 'bob', password: 'p2' },
      ],
      env: { A: '1', B: '2' },
      pair: ['public', 'private'],
      auth: { kind: 'token', token: 't0k' },
      'a/b': 'x',
      extra: 'kept',
    }
    const redacted = redactSecrets(Deep, value)
    expect(redacted).toEqual({
      to: 'ada@example.com',
      apiKey: REDACTED,
      users: [
        { name: 'ada', password: REDACTED },
        { name: 'bob', password: REDACTED },
      ],
      env: { A: REDACTED, B: REDACTED },
      pair: ['public', REDACTED],
      auth: { kind: 'token', token: REDACTED },
      'a/b': REDACTED,
      extra: 'kept',
    })
    expect(value.apiKey).toBe('sk_live_1')
    expect(JSON.stringify(redacted)).not.toMatch(/sk_live_1|p1|p2|t0k|private/)
  })

  it('leaves absent secrets absent and odd values alone', () => {
    expect(redactSecrets(Deep, { to: 'x' })).toEqual({ to: 'x' })
    expect(redactSecrets(Deep, 'not an object')).toBe('not an object')
    expect(redactSecrets(Deep, { users: 'oops' })).toEqual({ users: 'oops' })
  })

  it('returns the same value when the schema has no secrets', () => {
    const value = { a: 1 }
    expect(redactSecrets(Type.Object({ a: Type.Number() }), value)).toBe(value)
  })

  it('redacts a wholly secret value', () => {
    expect(redactSecrets(Secret(Type.String()), 'whole')).toBe(REDACTED)
  })
})

describe('maskSecrets', () => {
  it('masks every secret of four or more characters, however deep', () => {
    const secrets = { token: 'tok_12345', nested: { list: ['pass-word', 7, null] }, pin: '123' }
    expect(maskSecrets('Bearer tok_12345; pw=pass-word; pin=123; n=7', secrets)).toBe(
      `Bearer ${MASKED}; pw=${MASKED}; pin=123; n=7`,
    )
    expect(maskSecrets('nothing here', secrets)).toBe('nothing here')
    expect(maskSecrets('tok_12345', undefined)).toBe('tok_12345')
  })

  it('masks the encoded forms a secret takes in a URL and in JSON', () => {
    const secret = 'a b/c+d"e\\f'
    const url = `https://api.example.com/k/${encodeURIComponent(secret)}?${new URLSearchParams({ key: secret }).toString()}`
    expect(maskSecrets(url, [secret])).toBe(`https://api.example.com/k/${MASKED}?key=${MASKED}`)
    expect(maskSecrets(JSON.stringify({ password: secret }), { secret })).toBe(`{"password":"${MASKED}"}`)
  })

  it('masks a secret that contains another one whole', () => {
    expect(maskSecrets('x=abcd-efgh', ['abcd', 'abcd-efgh'])).toBe(`x=${MASKED}`)
  })
})

describe('secretValues', () => {
  it('lists the values the schema marks secret', () => {
    const value = {
      to: 'ada@example.com',
      apiKey: 'sk_live_1',
      users: [{ name: 'ada', password: 'p1' }],
      env: { A: 'one' },
      pair: ['public', 'private'],
      auth: { kind: 'token', token: 't0k' },
    }
    expect(secretValues(Deep, value).sort()).toEqual(['one', 'p1', 'private', 'sk_live_1', 't0k'])
    expect(secretValues(Type.Object({ a: Type.String() }), { a: 'x' })).toEqual([])
    expect(secretValues(Secret(Type.Object({ k: Type.String() })), { k: 'whole' })).toEqual([{ k: 'whole' }])
  })
})
