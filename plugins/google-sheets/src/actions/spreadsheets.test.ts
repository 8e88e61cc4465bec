import { runAction } from '@toolplane/sdk'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import sheets from '../index.js'
import { FULL_TOKEN, SPREADSHEET_ID, startFakeSheets } from '../testing/fake-sheets.js'
import type { FakeSheets } from '../testing/fake-sheets.js'
import { DEFAULT_FIELDS } from './spreadsheets.js'

let fake: FakeSheets
beforeAll(async () => {
  fake = await startFakeSheets()
})
afterAll(() => fake.close())
beforeEach(() => {
  fake.reset()
})

type ActionName = (typeof sheets.actions)[number]['name']
const run = <N extends ActionName>(action: N, input: unknown) =>
  runAction(sheets, action, {
    input,
    credential: { authMethod: 'bearer', secrets: { token: FULL_TOKEN } },
    baseUrl: fake.url,
    allowPrivateNetwork: true,
  })

describe('get_spreadsheet', () => {
  it('describes the spreadsheet and its sheets without fetching cells', async () => {
    const { output } = await run('get_spreadsheet', { spreadsheetId: SPREADSHEET_ID })
    expect(fake.calls()[0]).toMatchObject({
      method: 'GET',
      path: `/v4/spreadsheets/${SPREADSHEET_ID}`,
      query: [
        ['fields', DEFAULT_FIELDS],
        ['includeGridData', 'false'],
      ],
    })
    expect(output).toMatchObject({
      spreadsheetId: SPREADSHEET_ID,
      title: 'Example Spreadsheet',
      locale: 'en_US',
      timeZone: 'America/Los_Angeles',
      url: `https://docs.google.com/spreadsheets/d/${SPREADSHEET_ID}/edit`,
    })
    expect(output.sheets).toEqual([
      {
        sheetId: 0,
        title: 'Class Data',
        index: 0,
        type: 'GRID',
        rowCount: 1000,
        columnCount: 26,
        frozenRowCount: 1,
        frozenColumnCount: 0,
        hidden: false,
      },
      expect.objectContaining({ sheetId: 1843029281, title: 'Q1 Sales', frozenRowCount: 0 }),
      expect.objectContaining({ title: "Bob's tab" }),
    ])
  })

  it('asks for the fields given, always with the ID, and leaves the rest empty', async () => {
    fake.failNext(200, {
      spreadsheetId: SPREADSHEET_ID,
      sheets: [{ properties: { title: 'Class Data' } }, {}],
    })
    const { output } = await run('get_spreadsheet', {
      spreadsheetId: SPREADSHEET_ID,
      fields: 'sheets.properties.title',
    })
    expect(fake.calls()[0]?.query[0]).toEqual(['fields', 'spreadsheetId,sheets.properties.title'])
    expect(output).toEqual({
      spreadsheetId: SPREADSHEET_ID,
      title: null,
      locale: null,
      timeZone: null,
      url: null,
      sheets: [
        {
          sheetId: 0,
          title: 'Class Data',
          index: 0,
          type: 'GRID',
          rowCount: null,
          columnCount: null,
          frozenRowCount: 0,
          frozenColumnCount: 0,
          hidden: false,
        },
        expect.objectContaining({ title: '' }),
      ],
    })
  })

  it('copes with a spreadsheet answer without sheets', async () => {
    fake.failNext(200, { spreadsheetId: SPREADSHEET_ID })
    expect((await run('get_spreadsheet', { spreadsheetId: SPREADSHEET_ID })).output.sheets).toEqual([])
  })
})

describe('create_spreadsheet', () => {
  it('creates a spreadsheet with named tabs and returns its ID and URL', async () => {
    const { output } = await run('create_spreadsheet', {
      title: 'Q2 pipeline',
      sheetTitles: ['Deals', 'Summary'],
      locale: 'de_DE',
      timeZone: 'Europe/Berlin',
    })
    expect(fake.calls()[0]).toMatchObject({
      method: 'POST',
      path: '/v4/spreadsheets',
      json: {
        properties: { title: 'Q2 pipeline', locale: 'de_DE', timeZone: 'Europe/Berlin' },
        sheets: [{ properties: { title: 'Deals' } }, { properties: { title: 'Summary' } }],
      },
    })
    expect(output).toMatchObject({
      spreadsheetId: '1NewFakeSpreadsheet1',
      title: 'Q2 pipeline',
      url: 'https://docs.google.com/spreadsheets/d/1NewFakeSpreadsheet1/edit',
      sheets: [expect.objectContaining({ title: 'Deals' }), expect.objectContaining({ title: 'Summary' })],
    })
  })

  it('leaves the sheets to Google when none are named', async () => {
    const { output } = await run('create_spreadsheet', { title: 'Scratch' })
    expect(fake.calls()[0]?.json).toEqual({ properties: { title: 'Scratch' } })
    expect(output.sheets.map((sheet) => sheet.title)).toEqual(['Sheet1'])
  })
})

describe('add_sheet', () => {
  it('adds a tab with batchUpdate and returns its properties', async () => {
    const { output } = await run('add_sheet', {
      spreadsheetId: SPREADSHEET_ID,
      title: 'April',
      index: 1,
      rowCount: 500,
      columnCount: 8,
    })
    expect(fake.calls()[0]).toMatchObject({
      method: 'POST',
      path: `/v4/spreadsheets/${SPREADSHEET_ID}:batchUpdate`,
      json: {
        requests: [
          {
            addSheet: {
              properties: { title: 'April', index: 1, gridProperties: { rowCount: 500, columnCount: 8 } },
            },
          },
        ],
      },
    })
    expect(output).toEqual({
      sheetId: 1843029285,
      title: 'April',
      index: 1,
      type: 'GRID',
      rowCount: 500,
      columnCount: 8,
      frozenRowCount: 0,
      frozenColumnCount: 0,
      hidden: false,
    })
  })

  it('says a name already taken is a conflict', async () => {
    await expect(
      run('add_sheet', { spreadsheetId: SPREADSHEET_ID, title: 'Q1 Sales' }),
    ).rejects.toMatchObject({
      class: 'conflict',
      httpStatus: 400,
      message: expect.stringContaining('already exists') as unknown,
    })
    expect(fake.calls()[0]?.json).toEqual({ requests: [{ addSheet: { properties: { title: 'Q1 Sales' } } }] })
  })

  it('falls back to the title asked for when Google sends no reply', async () => {
    fake.failNext(200, { spreadsheetId: SPREADSHEET_ID, replies: [{}] })
    expect((await run('add_sheet', { spreadsheetId: SPREADSHEET_ID, title: 'May' })).output.title).toBe('May')
  })
})
