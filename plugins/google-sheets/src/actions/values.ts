/**
 * Cell values: reading ranges, appending rows, overwriting and clearing ranges.
 */
import { ActionError, Type, defineAction, urlPath } from '@toolplane/sdk'
import { SPREADSHEETS_READONLY_SCOPE, SPREADSHEETS_SCOPE, callSheets } from '../api.js'
import {
  Cell,
  MajorDimension,
  RowsInput,
  SpreadsheetId,
  ValueInputOption,
  ValueRange,
  ValueRenderOption,
  range,
  rowsToRecords,
  toValueRange,
} from '../shapes.js'
import type { RawValueRange } from '../shapes.js'

const exampleId = '1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms'

const DateTimeRenderOption = Type.Union([Type.Literal('SERIAL_NUMBER'), Type.Literal('FORMATTED_STRING')], {
  description: 'How dates are returned when valueRenderOption is not FORMATTED_VALUE (Google: SERIAL_NUMBER)',
})

const UpdateResult = Type.Object({
  spreadsheetId: Type.String(),
  updatedRange: Type.String(),
  updatedRows: Type.Integer({ minimum: 0 }),
  updatedColumns: Type.Integer({ minimum: 0 }),
  updatedCells: Type.Integer({ minimum: 0 }),
})

interface RawUpdate {
  spreadsheetId: string
  updatedRange: string
  updatedRows?: number
  updatedColumns?: number
  updatedCells?: number
}

const toUpdate = (raw: RawUpdate) => ({
  spreadsheetId: raw.spreadsheetId,
  updatedRange: raw.updatedRange,
  updatedRows: raw.updatedRows ?? 0,
  updatedColumns: raw.updatedColumns ?? 0,
  updatedCells: raw.updatedCells ?? 0,
})

/** Reads the values of one range (`GET /v4/spreadsheets/{id}/values/{range}`). */
export const readRange = defineAction({
  name: 'read_range',
  title: 'Read a range',
  description:
    'Reads the cell values of a range of a Google Sheets spreadsheet, as rows. With header: true the first row is taken as column names and the other rows are also returned as records (objects keyed by column name) — the easiest way to read a table. startRow says which sheet row values[0] is, so row i is sheet row startRow + i (useful for update_range).',
  input: Type.Object({
    spreadsheetId: SpreadsheetId,
    range: range('The range to read'),
    header: Type.Boolean({
      default: false,
      description: 'Also return the rows after the first as records keyed by the first row',
    }),
    valueRenderOption: ValueRenderOption,
    majorDimension: MajorDimension,
    dateTimeRenderOption: Type.Optional(DateTimeRenderOption),
  }),
  output: Type.Object({
    range: Type.String(),
    majorDimension: Type.String(),
    values: Type.Array(Type.Array(Cell)),
    startRow: Type.Union([Type.Integer(), Type.Null()]),
    rowCount: Type.Integer({ minimum: 0 }),
    records: Type.Optional(Type.Array(Type.Record(Type.String(), Cell))),
  }),
  examples: [
    {
      title: 'Read a table with a header row',
      input: {
        spreadsheetId: exampleId,
        range: "'Class Data'!A1:C4",
        header: true,
        valueRenderOption: 'FORMATTED_VALUE',
        majorDimension: 'ROWS',
      },
      output: {
        range: "'Class Data'!A1:C4",
        majorDimension: 'ROWS',
        values: [
          ['Student Name', 'Gender', 'Class Level'],
          ['Alexandra', 'Female', '4. Senior'],
          ['Andrew', 'Male', '1. Freshman'],
        ],
        startRow: 1,
        rowCount: 3,
        records: [
          { 'Student Name': 'Alexandra', Gender: 'Female', 'Class Level': '4. Senior' },
          { 'Student Name': 'Andrew', Gender: 'Male', 'Class Level': '1. Freshman' },
        ],
      },
    },
  ],
  retry: { idempotent: true },
  scopes: [SPREADSHEETS_READONLY_SCOPE],
  async run({ http, input }) {
    if (input.header && input.majorDimension === 'COLUMNS') {
      throw new ActionError('validation_error', 'header: true needs majorDimension ROWS: a header is a row', {
        requestSent: false,
      })
    }
    const raw = await callSheets<RawValueRange>(
      http,
      'GET',
      urlPath`/v4/spreadsheets/${input.spreadsheetId}/values/${input.range}`,
      {
        query: {
          valueRenderOption: input.valueRenderOption,
          majorDimension: input.majorDimension,
          dateTimeRenderOption: input.dateTimeRenderOption,
        },
      },
    )
    const block = toValueRange(raw)
    return {
      range: block.range,
      majorDimension: block.majorDimension,
      values: block.values,
      startRow: block.startRow,
      rowCount: block.values.length,
      ...(input.header ? { records: rowsToRecords(block.values) } : {}),
    }
  },
})

/** Reads several ranges in one request (`GET /v4/spreadsheets/{id}/values:batchGet`). */
export const batchGet = defineAction({
  name: 'batch_get',
  title: 'Read several ranges',
  description:
    'Reads several ranges of one spreadsheet in a single request (one request against the quota instead of many), returning a block of rows per range in the order asked.',
  input: Type.Object({
    spreadsheetId: SpreadsheetId,
    ranges: Type.Array(range('A range to read'), { minItems: 1, maxItems: 100 }),
    valueRenderOption: ValueRenderOption,
    majorDimension: MajorDimension,
    dateTimeRenderOption: Type.Optional(DateTimeRenderOption),
  }),
  output: Type.Object({ spreadsheetId: Type.String(), valueRanges: Type.Array(ValueRange) }),
  examples: [
    {
      title: 'Read a summary and a table at once',
      input: {
        spreadsheetId: exampleId,
        ranges: ['Summary!B2:B5', "'Class Data'!A1:F"],
        valueRenderOption: 'UNFORMATTED_VALUE',
        majorDimension: 'ROWS',
      },
    },
  ],
  retry: { idempotent: true },
  scopes: [SPREADSHEETS_READONLY_SCOPE],
  async run({ http, input }) {
    const raw = await callSheets<{ spreadsheetId: string; valueRanges?: RawValueRange[] }>(
      http,
      'GET',
      urlPath`/v4/spreadsheets/${input.spreadsheetId}/values:batchGet`,
      {
        query: {
          ranges: input.ranges,
          valueRenderOption: input.valueRenderOption,
          majorDimension: input.majorDimension,
          dateTimeRenderOption: input.dateTimeRenderOption,
        },
      },
    )
    return { spreadsheetId: raw.spreadsheetId, valueRanges: (raw.valueRanges ?? []).map(toValueRange) }
  },
})

/** Appends rows after the table in a range (`POST …/values/{range}:append`). */
export const appendRows = defineAction({
  name: 'append_rows',
  title: 'Append rows',
  description:
    'Adds rows after the last row of the table found in the range (Sheet1 or Sheet1!A:D), like filling in the next empty lines — the way to log entries or add records. Returns the range written. Appending twice adds the rows twice.',
  input: Type.Object({
    spreadsheetId: SpreadsheetId,
    range: range('Where the table is; rows go after its last row'),
    values: RowsInput,
    valueInputOption: ValueInputOption,
    insertDataOption: Type.Union([Type.Literal('INSERT_ROWS'), Type.Literal('OVERWRITE')], {
      default: 'INSERT_ROWS',
      description:
        'INSERT_ROWS: insert new rows for the data; OVERWRITE: write into the empty cells below the table',
    }),
  }),
  output: Type.Object({
    spreadsheetId: Type.String(),
    tableRange: Type.Union([Type.String(), Type.Null()], {
      description: 'The table found, before the append',
    }),
    updatedRange: Type.String(),
    updatedRows: Type.Integer({ minimum: 0 }),
    updatedColumns: Type.Integer({ minimum: 0 }),
    updatedCells: Type.Integer({ minimum: 0 }),
  }),
  examples: [
    {
      title: 'Log a sign-up',
      input: {
        spreadsheetId: exampleId,
        range: 'Signups!A:D',
        values: [['2024-04-05', 'Ada Lovelace', 'ada@example.com', 'newsletter']],
        valueInputOption: 'USER_ENTERED',
        insertDataOption: 'INSERT_ROWS',
      },
      output: {
        spreadsheetId: exampleId,
        tableRange: 'Signups!A1:D41',
        updatedRange: 'Signups!A42:D42',
        updatedRows: 1,
        updatedColumns: 4,
        updatedCells: 4,
      },
    },
  ],
  // Appending the same rows twice adds them twice.
  retry: { idempotent: false },
  scopes: [SPREADSHEETS_SCOPE],
  async run({ http, input }) {
    const raw = await callSheets<{ spreadsheetId: string; tableRange?: string; updates: RawUpdate }>(
      http,
      'POST',
      urlPath`/v4/spreadsheets/${input.spreadsheetId}/values/${input.range}:append`,
      {
        query: { valueInputOption: input.valueInputOption, insertDataOption: input.insertDataOption },
        json: { range: input.range, majorDimension: 'ROWS', values: input.values },
      },
    )
    return { ...toUpdate(raw.updates), spreadsheetId: raw.spreadsheetId, tableRange: raw.tableRange ?? null }
  },
})

/** Overwrites the cells of a range (`PUT …/values/{range}`). */
export const updateRange = defineAction({
  name: 'update_range',
  title: 'Write a range',
  description:
    'Writes values into a range, starting at its top-left cell and overwriting what is there (null leaves a cell alone, "" empties it). Use it to change known cells or rows, such as Sheet1!C7 or Sheet1!A7:D7; use append_rows to add new rows. Writing the same values twice has the same result.',
  input: Type.Object({
    spreadsheetId: SpreadsheetId,
    range: range('Where to write; the values start at its top-left cell'),
    values: RowsInput,
    valueInputOption: ValueInputOption,
    majorDimension: MajorDimension,
  }),
  output: UpdateResult,
  examples: [
    {
      title: 'Mark an order as shipped',
      input: {
        spreadsheetId: exampleId,
        range: 'Orders!E7:F7',
        values: [['shipped', '=TODAY()']],
        valueInputOption: 'USER_ENTERED',
        majorDimension: 'ROWS',
      },
      output: {
        spreadsheetId: exampleId,
        updatedRange: 'Orders!E7:F7',
        updatedRows: 1,
        updatedColumns: 2,
        updatedCells: 2,
      },
    },
  ],
  // Writing the same values to the same cells twice leaves them as writing once.
  retry: { idempotent: true },
  scopes: [SPREADSHEETS_SCOPE],
  async run({ http, input }) {
    const raw = await callSheets<RawUpdate>(
      http,
      'PUT',
      urlPath`/v4/spreadsheets/${input.spreadsheetId}/values/${input.range}`,
      {
        query: { valueInputOption: input.valueInputOption },
        json: { range: input.range, majorDimension: input.majorDimension, values: input.values },
      },
    )
    return toUpdate(raw)
  },
})

/** Empties the cells of a range, keeping their formatting (`POST …/values/{range}:clear`). */
export const clearRange = defineAction({
  name: 'clear_range',
  title: 'Clear a range',
  description:
    'Deletes the values (not the formatting) of the cells in a range, such as Sheet1!A2:D or a whole sheet. The rows stay in place, empty. Cannot be undone through the API.',
  input: Type.Object({ spreadsheetId: SpreadsheetId, range: range('The cells to empty') }),
  output: Type.Object({ spreadsheetId: Type.String(), clearedRange: Type.String() }),
  examples: [
    {
      title: 'Empty a staging table, keeping its header',
      input: { spreadsheetId: exampleId, range: 'Staging!A2:Z' },
      output: { spreadsheetId: exampleId, clearedRange: 'Staging!A2:Z1000' },
    },
  ],
  retry: { idempotent: true },
  scopes: [SPREADSHEETS_SCOPE],
  async run({ http, input }) {
    const raw = await callSheets<{ spreadsheetId: string; clearedRange: string }>(
      http,
      'POST',
      urlPath`/v4/spreadsheets/${input.spreadsheetId}/values/${input.range}:clear`,
      { json: {} },
    )
    return { spreadsheetId: raw.spreadsheetId, clearedRange: raw.clearedRange }
  },
})
