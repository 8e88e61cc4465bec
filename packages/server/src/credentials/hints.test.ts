import { describe, expect, it } from 'vitest'
import { fieldHints } from './hints.js'

describe('fieldHints', () => {
  it('shows the last 4 characters of strings of 12 characters or more', () => {
    expect(fieldHints({ token: 'ghp_0123456789abcd', key: '12345678abcd' }, ['token', 'key'])).toEqual({
      token: { set: true, hint: '••••abcd' },
      key: { set: true, hint: '••••abcd' },
    })
  })

  it('shows only the mask for shorter strings, never part of a short secret', () => {
    expect(
      fieldHints({ password: 'hunter2abcd', pin: '1234', one: 'x' }, ['password', 'pin', 'one']),
    ).toEqual({
      password: { set: true, hint: '••••' },
      pin: { set: true, hint: '••••' },
      one: { set: true, hint: '••••' },
    })
  })

  it('shows only the mask for values that are not strings', () => {
    const secrets = { port: 123456789012345, enabled: false, zero: 0, json: { a: 'long enough value' } }
    expect(fieldHints(secrets, ['port', 'enabled', 'zero', 'json'])).toEqual({
      port: { set: true, hint: '••••' },
      enabled: { set: true, hint: '••••' },
      zero: { set: true, hint: '••••' },
      json: { set: true, hint: '••••' },
    })
  })

  it('marks absent, null and empty fields unset', () => {
    expect(
      fieldHints({ empty: '', none: null, undef: undefined }, ['empty', 'none', 'undef', 'missing']),
    ).toEqual({
      empty: { set: false, hint: null },
      none: { set: false, hint: null },
      undef: { set: false, hint: null },
      missing: { set: false, hint: null },
    })
  })

  it('lists exactly the requested fields, whatever else the secrets hold', () => {
    expect(Object.keys(fieldHints({ a: 'x', b: 'y' }, ['b', 'c']))).toEqual(['b', 'c'])
    expect(fieldHints({ a: 'x' }, [])).toEqual({})
  })

  it('counts characters as a reader sees them, so a tail never splits one', () => {
    expect(fieldHints({ t: 'aaaaaaaa🔑🔑🔑🔑' }, ['t'])).toEqual({ t: { set: true, hint: '••••🔑🔑🔑🔑' } })
    // 11 characters (15 UTF-16 units) is still short
    expect(fieldHints({ t: 'aaaaaaa🔑🔑🔑🔑' }, ['t'])).toEqual({ t: { set: true, hint: '••••' } })
    // a family emoji is one character of 5 code points
    const family = '👩‍👩‍👧'
    expect(fieldHints({ t: `aaaaaaaaaaa${family}` }, ['t'])).toEqual({
      t: { set: true, hint: `••••aaa${family}` },
    })
  })

  it('reads only the secrets’ own fields, not inherited ones', () => {
    const hints = fieldHints({}, ['constructor', 'toString', '__proto__'])
    for (const name of ['constructor', 'toString', '__proto__']) {
      expect(Object.getOwnPropertyDescriptor(hints, name)?.value).toEqual({ set: false, hint: null })
    }
  })
})
