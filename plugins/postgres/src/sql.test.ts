import { ActionError } from '@toolplane/sdk'
import { describe, expect, it } from 'vitest'
import { assertSingleStatement, quoteIdentifier, statementCount, toJsonValue } from './sql.js'

describe('statementCount', () => {
  it.each([
    ['select 1', 1],
    ['select 1;', 1],
    ['  select 1 ;  -- trailing comment\n', 1],
    ["select ';' as semicolon", 1],
    ["select 'it''s; fine'", 1],
    ["select E'back\\'slash; still one'", 1],
    ['select "odd;name" from t', 1],
    ['select "a""b;" from t', 1],
    ['select $$ a; b $$', 1],
    ['select $fn$ a; $$ b; $fn$', 1],
    ['select $1, $2 from t where a$b = 1; ', 1],
    ['select 1 /* a; /* nested; */ still comment; */', 1],
    ['select 1 -- ; not a statement', 1],
    ['select 1; select 2', 2],
    ['select 1;;; select 2;', 2],
    ["select 'a'; drop table users", 2],
    ['select 1; /* only a comment */', 1],
    ['', 0],
    [' ; -- nothing\n ; ', 0],
    ["select 'unterminated; string", 1],
    ['select $x$ unterminated; body', 1],
    ['select 1 /* unterminated; comment', 1],
  ])('counts %j as %i statement(s)', (sql, count) => {
    expect(statementCount(sql)).toBe(count)
  })

  it('refuses more than one statement, and none, with validation_error', () => {
    expect(() => {
      assertSingleStatement('select 1')
    }).not.toThrow()
    for (const sql of ['select 1; delete from users', '-- nothing']) {
      let caught: unknown
      try {
        assertSingleStatement(sql)
      } catch (error) {
        caught = error
      }
      expect(caught).toBeInstanceOf(ActionError)
      expect((caught as ActionError).class).toBe('validation_error')
      expect((caught as ActionError).requestSent).toBe(false)
    }
  })
})

describe('quoteIdentifier', () => {
  it('quotes names so they are taken literally', () => {
    expect(quoteIdentifier('users')).toBe('"users"')
    expect(quoteIdentifier('Order "Items"; drop table x')).toBe('"Order ""Items""; drop table x"')
  })

  it('refuses empty names and NUL characters', () => {
    expect(() => quoteIdentifier('')).toThrow(ActionError)
    expect(() => quoteIdentifier('a\0b')).toThrow(ActionError)
  })
})

describe('toJsonValue', () => {
  it('turns what pg returns into JSON values', () => {
    expect(
      toJsonValue({
        when: new Date('2024-06-01T12:00:00Z'),
        never: new Date(Number.NaN),
        bytes: Buffer.from([0xde, 0xad]),
        big: 12n,
        inf: Number.POSITIVE_INFINITY,
        nan: Number.NaN,
        list: [1, null, undefined],
        nested: { ok: true },
      }),
    ).toEqual({
      when: '2024-06-01T12:00:00.000Z',
      never: 'Invalid Date',
      bytes: '\\xdead',
      big: '12',
      inf: 'Infinity',
      nan: 'NaN',
      list: [1, null, null],
      nested: { ok: true },
    })
  })
})
