/**
 * Spreadsheets, sheets and cell values as this tool takes and returns them.
 */
import { Type } from '@toolplane/sdk'
import type { Static, TSchema } from '@toolplane/sdk'

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()])

export const SpreadsheetId = Type.String({
  pattern: '^[A-Za-z0-9_-]+$',
  description: 'The ID in the spreadsheet URL: docs.google.com/spreadsheets/d/<ID>/edit',
  examples: ['1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms'],
})

/** A range in A1 notation. */
export const range = (description: string) =>
  Type.String({
    minLength: 1,
    maxLength: 1000,
    description: `${description}. A1 notation: Sheet1!A1:D10, Sheet1!A:C (whole columns), Sheet1 (the whole sheet), 'Q1 Sales'!A2:F (quote names with spaces), or a named range`,
    examples: ['Sheet1!A1:D10'],
  })

/** A value as Google returns it: text when formatted, numbers and booleans when unformatted. */
export const Cell = Type.Union([Type.String(), Type.Number(), Type.Boolean()])
export type Cell = Static<typeof Cell>

/** A value to write; `null` leaves the cell as it is, `''` empties it. */
export const CellInput = Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null()])

/** Rows of values to write. */
export const RowsInput = Type.Array(Type.Array(CellInput), {
  minItems: 1,
  description:
    'Rows of cell values, such as [["Name", "Score"], ["Ada", 42]]. A string starting with = is a formula with valueInputOption USER_ENTERED; null skips a cell; "" empties it.',
})

export const ValueRenderOption = Type.Union(
  [Type.Literal('FORMATTED_VALUE'), Type.Literal('UNFORMATTED_VALUE'), Type.Literal('FORMULA')],
  {
    default: 'FORMATTED_VALUE',
    description:
      'FORMATTED_VALUE: as shown ("$1.50"); UNFORMATTED_VALUE: the underlying numbers and booleans (1.5); FORMULA: formulas as written',
  },
)

export const MajorDimension = Type.Union([Type.Literal('ROWS'), Type.Literal('COLUMNS')], {
  default: 'ROWS',
  description: 'ROWS: values[0] is the first row; COLUMNS: values[0] is the first column',
})

export const ValueInputOption = Type.Union([Type.Literal('USER_ENTERED'), Type.Literal('RAW')], {
  default: 'USER_ENTERED',
  description:
    'USER_ENTERED: parsed as if typed in the UI (numbers, dates, =formulas); RAW: stored exactly as given, as text',
})

/** A block of values read from a range. */
export const ValueRange = Type.Object({
  range: Type.String({ description: 'The range Google read, in A1 notation' }),
  majorDimension: Type.String(),
  values: Type.Array(Type.Array(Cell), {
    description: 'Trailing empty rows and cells are left out, as Google does',
  }),
  startRow: Nullable(
    Type.Integer({ description: 'The sheet row number of values[0] (with ROWS), for later updates' }),
  ),
})
export type ValueRange = Static<typeof ValueRange>

export const Sheet = Type.Object({
  sheetId: Type.Integer(),
  title: Type.String(),
  index: Type.Integer(),
  type: Type.String({ description: 'GRID for cells, OBJECT for a chart sheet' }),
  rowCount: Nullable(Type.Integer()),
  columnCount: Nullable(Type.Integer()),
  frozenRowCount: Type.Integer(),
  frozenColumnCount: Type.Integer(),
  hidden: Type.Boolean(),
})
export type Sheet = Static<typeof Sheet>

export const Spreadsheet = Type.Object({
  spreadsheetId: Type.String(),
  title: Nullable(Type.String()),
  locale: Nullable(Type.String()),
  timeZone: Nullable(Type.String()),
  url: Nullable(Type.String()),
  sheets: Type.Array(Sheet),
})
export type Spreadsheet = Static<typeof Spreadsheet>

/** Sheet properties as Google sends them. */
export interface RawSheetProperties {
  sheetId?: number
  title?: string
  index?: number
  sheetType?: string
  hidden?: boolean
  gridProperties?: {
    rowCount?: number
    columnCount?: number
    frozenRowCount?: number
    frozenColumnCount?: number
  }
}

/** A spreadsheet as Google sends it. */
export interface RawSpreadsheet {
  spreadsheetId: string
  spreadsheetUrl?: string
  properties?: { title?: string; locale?: string; timeZone?: string }
  sheets?: { properties?: RawSheetProperties }[]
}

/** A value range as Google sends it; `values` is left out when the range is empty. */
export interface RawValueRange {
  range: string
  majorDimension?: string
  values?: Cell[][]
}

export function toSheet(raw: RawSheetProperties): Sheet {
  const grid = raw.gridProperties
  return {
    sheetId: raw.sheetId ?? 0,
    title: raw.title ?? '',
    index: raw.index ?? 0,
    type: raw.sheetType ?? 'GRID',
    rowCount: grid?.rowCount ?? null,
    columnCount: grid?.columnCount ?? null,
    frozenRowCount: grid?.frozenRowCount ?? 0,
    frozenColumnCount: grid?.frozenColumnCount ?? 0,
    hidden: raw.hidden ?? false,
  }
}

export function toSpreadsheet(raw: RawSpreadsheet): Spreadsheet {
  return {
    spreadsheetId: raw.spreadsheetId,
    title: raw.properties?.title ?? null,
    locale: raw.properties?.locale ?? null,
    timeZone: raw.properties?.timeZone ?? null,
    url: raw.spreadsheetUrl ?? null,
    sheets: (raw.sheets ?? []).map((sheet) => toSheet(sheet.properties ?? {})),
  }
}

/**
 * The row number a range starts at: `Sheet1!B3:D9` → 3, `'Q1 Sales'!A1` → 1, `Sheet1!A:C` → null.
 *
 * @example
 * startRowOf("'My Sheet'!B3:D9") // 3
 */
export function startRowOf(a1: string): number | null {
  const cells = a1.slice(a1.lastIndexOf('!') + 1)
  const match = /^\$?[A-Za-z]*\$?(\d+)/.exec(cells)
  return match?.[1] === undefined ? null : Number(match[1])
}

export function toValueRange(raw: RawValueRange): ValueRange {
  const majorDimension = raw.majorDimension ?? 'ROWS'
  return {
    range: raw.range,
    majorDimension,
    values: raw.values ?? [],
    startRow: majorDimension === 'ROWS' ? startRowOf(raw.range) : null,
  }
}

/** The column letters of a zero-based index: 0 → A, 25 → Z, 26 → AA. */
export function columnLetters(index: number): string {
  let letters = ''
  for (let rest = index + 1; rest > 0; rest = Math.floor((rest - 1) / 26)) {
    letters = String.fromCharCode(65 + ((rest - 1) % 26)) + letters
  }
  return letters
}

/**
 * Turns rows into objects keyed by the first row. Blank headers are named after their column
 * (`column_C`), repeated ones get a suffix (`Email_2`), and missing trailing cells read as `''`.
 *
 * @example
 * rowsToRecords([['Name', 'Score'], ['Ada', '42'], ['Grace']])
 * // [{ Name: 'Ada', Score: '42' }, { Name: 'Grace', Score: '' }]
 */
export function rowsToRecords(rows: readonly (readonly Cell[])[]): Record<string, Cell>[] {
  const [header = [], ...data] = rows
  const seen = new Map<string, number>()
  const keys = header.map((cell, index) => {
    const name = String(cell).trim() === '' ? `column_${columnLetters(index)}` : String(cell).trim()
    const count = (seen.get(name) ?? 0) + 1
    seen.set(name, count)
    return count === 1 ? name : `${name}_${count}`
  })
  return data.map((row) => Object.fromEntries(keys.map((key, index) => [key, row[index] ?? ''])))
}
