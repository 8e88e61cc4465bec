/**
 * Spreadsheets and their sheets (tabs): describing, creating, adding a sheet.
 */
import { Type, defineAction, urlPath } from '@toolplane/sdk'
import { SPREADSHEETS_READONLY_SCOPE, SPREADSHEETS_SCOPE, callSheets } from '../api.js'
import { Sheet, Spreadsheet, SpreadsheetId, toSheet, toSpreadsheet } from '../shapes.js'
import type { RawSheetProperties, RawSpreadsheet } from '../shapes.js'

/**
 * What `get_spreadsheet` asks for unless told otherwise: the properties, never the cells
 * (`includeGridData` would return every cell of every sheet).
 */
export const DEFAULT_FIELDS =
  'spreadsheetId,spreadsheetUrl,properties(title,locale,timeZone),sheets.properties(sheetId,title,index,sheetType,hidden,gridProperties)'

const exampleSpreadsheet: Spreadsheet = {
  spreadsheetId: '1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms',
  title: 'Example Spreadsheet',
  locale: 'en_US',
  timeZone: 'America/Los_Angeles',
  url: 'https://docs.google.com/spreadsheets/d/1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms/edit',
  sheets: [
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
  ],
}

/** Describes a spreadsheet and its sheets (`GET /v4/spreadsheets/{id}`). */
export const getSpreadsheet = defineAction({
  name: 'get_spreadsheet',
  title: 'Describe a spreadsheet',
  description:
    "Returns a spreadsheet's title, locale, time zone and URL and its sheets (tabs) with their IDs, titles and grid sizes — use it to learn the sheet names before reading or writing ranges. Cell values are not included (use read_range).",
  input: Type.Object({
    spreadsheetId: SpreadsheetId,
    fields: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          'A Google field mask choosing what to fetch, such as "properties.title,sheets.properties.title"; fields left out come back null or empty',
      }),
    ),
  }),
  output: Spreadsheet,
  examples: [
    {
      title: 'List the tabs of a spreadsheet',
      input: { spreadsheetId: '1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms' },
      output: exampleSpreadsheet,
    },
  ],
  retry: { idempotent: true },
  scopes: [SPREADSHEETS_READONLY_SCOPE],
  async run({ http, input }) {
    // The spreadsheet ID is always asked for: the output cannot be built without it.
    const fields = input.fields === undefined ? DEFAULT_FIELDS : `spreadsheetId,${input.fields}`
    const raw = await callSheets<RawSpreadsheet>(
      http,
      'GET',
      urlPath`/v4/spreadsheets/${input.spreadsheetId}`,
      {
        query: { fields, includeGridData: false },
      },
    )
    return toSpreadsheet(raw)
  },
})

/** Creates a spreadsheet (`POST /v4/spreadsheets`). */
export const createSpreadsheet = defineAction({
  name: 'create_spreadsheet',
  title: 'Create a spreadsheet',
  description:
    "Creates a new Google Sheets spreadsheet in the Drive of the account behind the credential (a service account's own Drive for service-account tokens: share it to make it visible to people), optionally with named sheets. Returns its ID and URL. Creating twice creates two spreadsheets.",
  input: Type.Object({
    title: Type.String({ minLength: 1, maxLength: 500, examples: ['Q2 pipeline'] }),
    sheetTitles: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 100 }), {
        minItems: 1,
        uniqueItems: true,
        description: 'The sheets (tabs) to create, in order; one sheet named Sheet1 by default',
      }),
    ),
    locale: Type.Optional(
      Type.String({ pattern: '^[a-z]{2,3}(_[A-Z]{2})?$', description: 'Such as en_US or de_DE' }),
    ),
    timeZone: Type.Optional(
      Type.String({ minLength: 1, description: 'An IANA time zone such as Europe/Berlin' }),
    ),
  }),
  output: Spreadsheet,
  examples: [
    {
      title: 'A spreadsheet with two tabs',
      input: { title: 'Q2 pipeline', sheetTitles: ['Deals', 'Summary'], timeZone: 'Europe/Berlin' },
    },
  ],
  // Creating twice creates two spreadsheets.
  retry: { idempotent: false },
  scopes: [SPREADSHEETS_SCOPE],
  async run({ http, input }) {
    const raw = await callSheets<RawSpreadsheet>(http, 'POST', '/v4/spreadsheets', {
      json: {
        properties: { title: input.title, locale: input.locale, timeZone: input.timeZone },
        sheets: input.sheetTitles?.map((title) => ({ properties: { title } })),
      },
    })
    return toSpreadsheet(raw)
  },
})

/** Adds a sheet (tab) to a spreadsheet (`POST /v4/spreadsheets/{id}:batchUpdate` with `addSheet`). */
export const addSheet = defineAction({
  name: 'add_sheet',
  title: 'Add a sheet',
  description:
    "Adds a sheet (tab) to an existing spreadsheet, optionally at a position and with a grid size. Fails with conflict when a sheet of that name exists. Returns the new sheet's ID and properties.",
  input: Type.Object({
    spreadsheetId: SpreadsheetId,
    title: Type.String({ minLength: 1, maxLength: 100, examples: ['April'] }),
    index: Type.Optional(
      Type.Integer({ minimum: 0, description: 'Position among the tabs; last by default' }),
    ),
    rowCount: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 10000000, description: 'Rows; 1000 by default' }),
    ),
    columnCount: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 18278, description: 'Columns; 26 by default' }),
    ),
  }),
  output: Sheet,
  examples: [
    {
      title: 'A tab for this month',
      input: {
        spreadsheetId: '1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms',
        title: 'April',
        rowCount: 500,
        columnCount: 8,
      },
      output: {
        sheetId: 1843029281,
        title: 'April',
        index: 1,
        type: 'GRID',
        rowCount: 500,
        columnCount: 8,
        frozenRowCount: 0,
        frozenColumnCount: 0,
        hidden: false,
      },
    },
  ],
  // A second identical call fails because the name is taken; it never adds two sheets, but it does not
  // succeed either, so the engine should not retry blindly.
  retry: { idempotent: false },
  scopes: [SPREADSHEETS_SCOPE],
  async run({ http, input }) {
    const grid =
      input.rowCount === undefined && input.columnCount === undefined
        ? undefined
        : { rowCount: input.rowCount, columnCount: input.columnCount }
    const raw = await callSheets<{ replies?: { addSheet?: { properties?: RawSheetProperties } }[] }>(
      http,
      'POST',
      urlPath`/v4/spreadsheets/${input.spreadsheetId}:batchUpdate`,
      {
        json: {
          requests: [
            { addSheet: { properties: { title: input.title, index: input.index, gridProperties: grid } } },
          ],
        },
      },
    )
    return toSheet(raw.replies?.[0]?.addSheet?.properties ?? { title: input.title })
  },
})
