import { describe, expect, it } from 'vitest'
import { columnLetters, rowsToRecords, startRowOf } from './shapes.js'

describe('rowsToRecords', () => {
  it('keys each row by the header row, reading missing trailing cells as empty', () => {
    expect(rowsToRecords([['Name', 'Score'], ['Ada', 42], ['Grace']])).toEqual([
      { Name: 'Ada', Score: 42 },
      { Name: 'Grace', Score: '' },
    ])
  })

  it('names blank headers after their column and numbers repeated ones', () => {
    expect(
      rowsToRecords([
        [' Email ', '', 'Email'],
        ['a@example.com', 'x', 'b@example.com'],
      ]),
    ).toEqual([{ Email: 'a@example.com', column_B: 'x', Email_2: 'b@example.com' }])
  })

  it('returns no records for an empty range or a header alone', () => {
    expect(rowsToRecords([])).toEqual([])
    expect(rowsToRecords([['Name']])).toEqual([])
  })
})

describe('columnLetters', () => {
  it('counts columns the way Sheets labels them', () => {
    expect([0, 25, 26, 51, 701, 702].map(columnLetters)).toEqual(['A', 'Z', 'AA', 'AZ', 'ZZ', 'AAA'])
  })
})

describe('startRowOf', () => {
  it('reads the first row of a range, with quoted sheet names and absolute references', () => {
    expect(startRowOf("'Q1 Sales'!B3:D9")).toBe(3)
    expect(startRowOf("'Bob''s tab!'!$A$12")).toBe(12)
    expect(startRowOf('Sheet1!A:C')).toBeNull()
    expect(startRowOf('A7:B8')).toBe(7)
  })
})
