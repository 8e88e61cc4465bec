import { runAction } from '@toolplane/sdk'
import type { ActionError } from '@toolplane/sdk'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import sheets from '../index.js'
import {
  EXPIRED_TOKEN,
  FULL_TOKEN,
  PRIVATE_ID,
  READONLY_TOKEN,
  SPREADSHEET_ID,
  startFakeSheets,
} from '../testing/fake-sheets.js'
import type { FakeSheets } from '../testing/fake-sheets.js'

let fake: FakeSheets
beforeAll(async () => {
  fake = await startFakeSheets()
})
afterAll(() => fake.close())
beforeEach(() => {
  fake.reset()
})

type ActionName = (typeof sheets.actions)[number]['name']
const run = <N extends ActionName>(action: N, input: unknown, token = FULL_TOKEN) =>
  runAction(sheets, action, {
    input,
    credential: { authMethod: 'bearer', secrets: { token } },
    baseUrl: fake.url,
    allowPrivateNetwork: true,
  })

describe('read_range', () => {
  it('reads a range of a sheet whose name has a space, URL-encoded in the path', async () => {
    const { output } = await run('read_range', { spreadsheetId: SPREADSHEET_ID, range: "'Class Data'!A1:D3" })
    const [call] = fake.calls()
    expect(call).toMatchObject({
      method: 'GET',
      rawPath: `/v4/spreadsheets/${SPREADSHEET_ID}/values/'Class%20Data'!A1%3AD3`,
      query: [
        ['valueRenderOption', 'FORMATTED_VALUE'],
        ['majorDimension', 'ROWS'],
      ],
      authorization: `Bearer ${FULL_TOKEN}`,
    })
    expect(output).toEqual({
      range: "'Class Data'!A1:D3",
      majorDimension: 'ROWS',
      values: [
        ['Student Name', 'Gender', 'Class Level', 'Score'],
        ['Alexandra', 'Female', '4. Senior', '91.5'],
        ['Andrew', 'Male', '1. Freshman'],
      ],
      startRow: 1,
      rowCount: 3,
    })
  })

  it('maps rows to records keyed by the header row, keeping blank rows in place', async () => {
    const { output } = await run('read_range', {
      spreadsheetId: SPREADSHEET_ID,
      range: 'Class Data',
      header: true,
      valueRenderOption: 'UNFORMATTED_VALUE',
      dateTimeRenderOption: 'FORMATTED_STRING',
    })
    expect(fake.calls()[0]?.query).toContainEqual(['dateTimeRenderOption', 'FORMATTED_STRING'])
    expect(output.records).toEqual([
      { 'Student Name': 'Alexandra', Gender: 'Female', 'Class Level': '4. Senior', Score: 91.5 },
      { 'Student Name': 'Andrew', Gender: 'Male', 'Class Level': '1. Freshman', Score: '' },
      { 'Student Name': '', Gender: '', 'Class Level': '', Score: '' },
      { 'Student Name': 'Anna', Gender: 'Female', 'Class Level': '1. Freshman', Score: 77 },
    ])
    expect(output.range).toBe("'Class Data'!A1:Z1000")
  })

  it('reads by columns and then has no start row', async () => {
    const { output } = await run('read_range', {
      spreadsheetId: SPREADSHEET_ID,
      range: "'Q1 Sales'!A1:C2",
      majorDimension: 'COLUMNS',
    })
    expect(output).toMatchObject({
      majorDimension: 'COLUMNS',
      values: [
        ['Region', 'EMEA'],
        ['Total', '1200'],
        ['Closed', 'TRUE'],
      ],
      startRow: null,
    })
  })

  it('returns no rows for an empty range, as Google leaves values out', async () => {
    const { output } = await run('read_range', {
      spreadsheetId: SPREADSHEET_ID,
      range: "'Bob''s tab'!A1:C3",
      header: true,
    })
    expect(output).toMatchObject({ values: [], rowCount: 0, records: [] })
  })

  it('refuses header with columns before calling Google', async () => {
    await expect(
      run('read_range', {
        spreadsheetId: SPREADSHEET_ID,
        range: 'A1:B2',
        header: true,
        majorDimension: 'COLUMNS',
      }),
    ).rejects.toMatchObject({ class: 'validation_error', requestSent: false })
    expect(fake.requests).toHaveLength(0)
  })

  it('says a spreadsheet that does not exist is not found', async () => {
    await expect(run('read_range', { spreadsheetId: 'nope', range: 'A1' })).rejects.toMatchObject({
      class: 'not_found',
      httpStatus: 404,
    })
  })

  it('asks to share a spreadsheet the account cannot open', async () => {
    const error = (await run('read_range', { spreadsheetId: PRIVATE_ID, range: 'A1' }).catch(
      (e: unknown) => e,
    )) as ActionError
    expect(error).toMatchObject({ class: 'permission_error', httpStatus: 403 })
    expect(error.suggestions[0]?.title).toBe('Share the spreadsheet with the account')
  })

  it("names a range Google cannot parse as the caller's mistake", async () => {
    await expect(
      run('read_range', { spreadsheetId: SPREADSHEET_ID, range: 'Nope!A1' }),
    ).rejects.toMatchObject({
      class: 'validation_error',
      message: 'Google Sheets rejected the request: Unable to parse range: Nope!A1',
    })
  })

  it('reports an expired token as an expired credential with a refresh suggestion', async () => {
    const error = (await run(
      'read_range',
      { spreadsheetId: SPREADSHEET_ID, range: 'A1' },
      EXPIRED_TOKEN,
    ).catch((e: unknown) => e)) as ActionError
    expect(error).toMatchObject({ class: 'credential_expired', httpStatus: 401 })
    expect(error.suggestions[0]?.title).toBe('Refresh the token')
  })

  it('rejects an unknown token as an auth error', async () => {
    await expect(
      run('read_range', { spreadsheetId: SPREADSHEET_ID, range: 'A1' }, 'ya29.unknown'),
    ).rejects.toMatchObject({
      class: 'auth_error',
      httpStatus: 401,
    })
  })

  it('is rate limited with a default wait, since Google sends no Retry-After', async () => {
    fake.rateLimitNext()
    await expect(run('read_range', { spreadsheetId: SPREADSHEET_ID, range: 'A1' })).rejects.toMatchObject({
      class: 'rate_limited',
      httpStatus: 429,
      retryAfterMs: 30_000,
      retryable: true,
    })
  })
})

describe('batch_get', () => {
  it('reads several ranges in one request, repeating the ranges parameter', async () => {
    const { output } = await run('batch_get', {
      spreadsheetId: SPREADSHEET_ID,
      ranges: ["'Q1 Sales'!A2:C2", "'Class Data'!A4:D5", "'Bob''s tab'!A1"],
      valueRenderOption: 'UNFORMATTED_VALUE',
    })
    expect(fake.calls()[0]).toMatchObject({
      method: 'GET',
      path: `/v4/spreadsheets/${SPREADSHEET_ID}/values:batchGet`,
      query: [
        ['ranges', "'Q1 Sales'!A2:C2"],
        ['ranges', "'Class Data'!A4:D5"],
        ['ranges', "'Bob''s tab'!A1"],
        ['valueRenderOption', 'UNFORMATTED_VALUE'],
        ['majorDimension', 'ROWS'],
      ],
    })
    expect(output).toEqual({
      spreadsheetId: SPREADSHEET_ID,
      valueRanges: [
        { range: "'Q1 Sales'!A2:C2", majorDimension: 'ROWS', values: [['EMEA', 1200, true]], startRow: 2 },
        {
          range: "'Class Data'!A4:D5",
          majorDimension: 'ROWS',
          values: [[], ['Anna', 'Female', '1. Freshman', 77]],
          startRow: 4,
        },
        { range: "'Bob''s tab'!A1:A1", majorDimension: 'ROWS', values: [], startRow: 1 },
      ],
    })
  })

  it('copes with an answer that has no value ranges', async () => {
    fake.failNext(200, { spreadsheetId: SPREADSHEET_ID })
    expect(
      (await run('batch_get', { spreadsheetId: SPREADSHEET_ID, ranges: ['A1'] })).output.valueRanges,
    ).toEqual([])
  })
})

describe('append_rows', () => {
  it('appends after the table and says where the rows went', async () => {
    const { output } = await run('append_rows', {
      spreadsheetId: SPREADSHEET_ID,
      range: "'Class Data'!A:D",
      values: [
        ['Becky', 'Female', '2. Sophomore', '88'],
        ['Benjamin', 'Male', '4. Senior', 64],
      ],
    })
    expect(fake.calls()[0]).toMatchObject({
      method: 'POST',
      rawPath: `/v4/spreadsheets/${SPREADSHEET_ID}/values/'Class%20Data'!A%3AD:append`,
      query: [
        ['valueInputOption', 'USER_ENTERED'],
        ['insertDataOption', 'INSERT_ROWS'],
      ],
      json: {
        range: "'Class Data'!A:D",
        majorDimension: 'ROWS',
        values: [
          ['Becky', 'Female', '2. Sophomore', '88'],
          ['Benjamin', 'Male', '4. Senior', 64],
        ],
      },
    })
    expect(output).toEqual({
      spreadsheetId: SPREADSHEET_ID,
      tableRange: "'Class Data'!A1:D5",
      updatedRange: "'Class Data'!A6:D7",
      updatedRows: 2,
      updatedColumns: 4,
      updatedCells: 8,
    })
    // USER_ENTERED parses "88" as a number, as the Sheets UI does.
    expect(fake.cells('Class Data')[5]).toEqual(['Becky', 'Female', '2. Sophomore', 88])
  })

  it('starts an empty sheet at the top, with no table before it', async () => {
    const { output } = await run('append_rows', {
      spreadsheetId: SPREADSHEET_ID,
      range: "'Bob''s tab'",
      values: [['first']],
      valueInputOption: 'RAW',
      insertDataOption: 'OVERWRITE',
    })
    expect(fake.calls()[0]?.query).toEqual([
      ['valueInputOption', 'RAW'],
      ['insertDataOption', 'OVERWRITE'],
    ])
    expect(output).toMatchObject({ tableRange: null, updatedRange: "'Bob''s tab'!A1:A1", updatedCells: 1 })
  })

  it('needs the full spreadsheets scope', async () => {
    const error = (await run(
      'append_rows',
      { spreadsheetId: SPREADSHEET_ID, range: 'Class Data', values: [['x']] },
      READONLY_TOKEN,
    ).catch((e: unknown) => e)) as ActionError
    expect(error).toMatchObject({ class: 'permission_error', httpStatus: 403 })
    expect(error.suggestions[0]?.detail).toContain('https://www.googleapis.com/auth/spreadsheets')
  })
})

describe('update_range', () => {
  it('overwrites cells with PUT, skipping nulls', async () => {
    const { output } = await run('update_range', {
      spreadsheetId: SPREADSHEET_ID,
      range: "'Class Data'!C3:D3",
      values: [[null, '=AVERAGE(D2,D5)']],
    })
    expect(fake.calls()[0]).toMatchObject({
      method: 'PUT',
      rawPath: `/v4/spreadsheets/${SPREADSHEET_ID}/values/'Class%20Data'!C3%3AD3`,
      query: [['valueInputOption', 'USER_ENTERED']],
      json: { range: "'Class Data'!C3:D3", majorDimension: 'ROWS', values: [[null, '=AVERAGE(D2,D5)']] },
    })
    expect(output).toEqual({
      spreadsheetId: SPREADSHEET_ID,
      updatedRange: "'Class Data'!C3:D3",
      updatedRows: 1,
      updatedColumns: 2,
      updatedCells: 1,
    })
    expect(fake.cells('Class Data')[2]).toEqual(['Andrew', 'Male', '1. Freshman', '=AVERAGE(D2,D5)'])
  })

  it('writes columns when asked to', async () => {
    await run('update_range', {
      spreadsheetId: SPREADSHEET_ID,
      range: "'Bob''s tab'!A1",
      values: [['a', 'b']],
      majorDimension: 'COLUMNS',
    })
    expect(fake.cells("Bob's tab")).toEqual([['a'], ['b']])
  })

  it('says a write beyond the grid is invalid', async () => {
    await expect(
      run('update_range', {
        spreadsheetId: SPREADSHEET_ID,
        range: "'Q1 Sales'!A1000",
        values: [['x'], ['y']],
      }),
    ).rejects.toMatchObject({
      class: 'validation_error',
      message: expect.stringContaining('exceeds grid limits') as unknown,
    })
  })

  it('reads missing counts as zero', async () => {
    fake.failNext(200, { spreadsheetId: SPREADSHEET_ID, updatedRange: 'Sheet1!A1' })
    expect(
      (await run('update_range', { spreadsheetId: SPREADSHEET_ID, range: 'A1', values: [[null]] })).output,
    ).toMatchObject({
      updatedRows: 0,
      updatedColumns: 0,
      updatedCells: 0,
    })
  })
})

describe('clear_range', () => {
  it('empties the cells of a range, keeping the header', async () => {
    const { output } = await run('clear_range', { spreadsheetId: SPREADSHEET_ID, range: "'Class Data'!A2:D" })
    expect(fake.calls()[0]).toMatchObject({
      method: 'POST',
      rawPath: `/v4/spreadsheets/${SPREADSHEET_ID}/values/'Class%20Data'!A2%3AD:clear`,
      json: {},
    })
    expect(output).toEqual({ spreadsheetId: SPREADSHEET_ID, clearedRange: "'Class Data'!A2:D1000" })
    const after = await run('read_range', { spreadsheetId: SPREADSHEET_ID, range: "'Class Data'" })
    expect(after.output.values).toEqual([['Student Name', 'Gender', 'Class Level', 'Score']])
  })
})
