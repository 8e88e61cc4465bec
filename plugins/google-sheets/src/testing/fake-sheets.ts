/**
 * A stand-in for the Google Sheets API v4 (and Google's token info endpoint) on 127.0.0.1, for this
 * tool's tests. It keeps spreadsheets in memory and behaves like Google where the tool depends on it:
 * A1 ranges (quoted sheet names, whole columns, whole sheets) URL-encoded in the path, `:append`,
 * `:clear`, `values:batchGet` and `:batchUpdate` methods, trailing empty cells left out of answers,
 * bearer tokens with scopes, and Google's error body `{ error: { code, message, status, details } }`.
 */
import type { ServerResponse } from 'node:http'
import { startUpstream } from '@toolplane/sdk/testing'
import type { RecordedRequest } from '@toolplane/sdk/testing'

export const FULL_TOKEN = 'ya29.a0FakeFullAccessToken'
export const READONLY_TOKEN = 'ya29.a0FakeReadOnlyToken'
export const EXPIRED_TOKEN = 'ya29.a0FakeExpiredToken'
export const NO_SCOPE_TOKEN = 'ya29.a0FakeTokenWithoutSheetsScopes'
export const SPREADSHEET_ID = '1FakeSheetId_0123456789abcdefghijklmnopqrstu'
/** Exists, but is not shared with the test account. */
export const PRIVATE_ID = 'private-spreadsheet-of-someone-else'

const SCOPE = 'https://www.googleapis.com/auth/spreadsheets'
const tokens: Readonly<Record<string, string>> = {
  [FULL_TOKEN]: SCOPE,
  [READONLY_TOKEN]: `${SCOPE}.readonly`,
  [NO_SCOPE_TOKEN]: 'openid https://www.googleapis.com/auth/userinfo.email',
}

type Value = string | number | boolean
type Json = Record<string, unknown>

interface FakeSheet {
  properties: {
    sheetId: number
    title: string
    index: number
    sheetType: 'GRID'
    gridProperties: { rowCount: number; columnCount: number; frozenRowCount?: number }
  }
  cells: (Value | undefined)[][]
}

interface FakeSpreadsheet {
  spreadsheetId: string
  properties: { title: string; locale: string; timeZone: string }
  sheets: FakeSheet[]
}

export interface FakeSheets {
  url: string
  requests: RecordedRequest[]
  /** Each request's method, decoded path, query and JSON body. */
  calls(): {
    method: string
    path: string
    rawPath: string
    query: [string, string][]
    json: unknown
    authorization: string | undefined
  }[]
  /** The cells of a sheet, as stored. */
  cells(sheetTitle: string): (Value | undefined)[][]
  /** The next Sheets call gets a 429 RESOURCE_EXHAUSTED. */
  rateLimitNext(): void
  failNext(status: number, body: unknown): void
  reset(): void
  close(): Promise<void>
}

function sheet(
  sheetId: number,
  title: string,
  index: number,
  cells: Value[][],
  frozenRowCount?: number,
): FakeSheet {
  return {
    properties: {
      sheetId,
      title,
      index,
      sheetType: 'GRID',
      gridProperties: {
        rowCount: 1000,
        columnCount: 26,
        ...(frozenRowCount === undefined ? {} : { frozenRowCount }),
      },
    },
    cells,
  }
}

function seed(): Map<string, FakeSpreadsheet> {
  return new Map([
    [
      SPREADSHEET_ID,
      {
        spreadsheetId: SPREADSHEET_ID,
        properties: { title: 'Example Spreadsheet', locale: 'en_US', timeZone: 'America/Los_Angeles' },
        sheets: [
          sheet(
            0,
            'Class Data',
            0,
            [
              ['Student Name', 'Gender', 'Class Level', 'Score'],
              ['Alexandra', 'Female', '4. Senior', 91.5],
              ['Andrew', 'Male', '1. Freshman'],
              [],
              ['Anna', 'Female', '1. Freshman', 77],
            ],
            1,
          ),
          sheet(1843029281, 'Q1 Sales', 1, [
            ['Region', 'Total', 'Closed'],
            ['EMEA', 1200, true],
          ]),
          sheet(7, "Bob's tab", 2, []),
        ],
      },
    ],
  ])
}

const letters = (column: number): string => {
  let out = ''
  for (let rest = column; rest > 0; rest = Math.floor((rest - 1) / 26))
    out = String.fromCharCode(65 + ((rest - 1) % 26)) + out
  return out
}
const columnNumber = (text: string): number =>
  text.split('').reduce((sum, char) => sum * 26 + char.charCodeAt(0) - 64, 0)
const quote = (title: string): string =>
  /^[A-Za-z0-9_]+$/.test(title) ? title : `'${title.replace(/'/g, "''")}'`

interface Area {
  sheet: FakeSheet
  r1: number
  c1: number
  r2: number
  c2: number
}

class BadRange extends Error {}

function parseRange(spreadsheet: FakeSpreadsheet, a1: string): Area {
  const bang = a1.lastIndexOf('!')
  let title = bang === -1 ? undefined : a1.slice(0, bang)
  let cells = bang === -1 ? a1 : a1.slice(bang + 1)
  const whole = spreadsheet.sheets.find(
    (candidate) => quote(candidate.properties.title) === a1 || candidate.properties.title === a1,
  )
  if (bang === -1 && whole !== undefined) {
    title = whole.properties.title
    cells = ''
  }
  if (title !== undefined && title.startsWith("'")) title = title.slice(1, -1).replace(/''/g, "'")
  const found =
    title === undefined ? spreadsheet.sheets[0] : spreadsheet.sheets.find((s) => s.properties.title === title)
  const match = /^([A-Z]*)(\d*)(?::([A-Z]*)(\d*))?$/.exec(cells)
  if (found === undefined || match === null) throw new BadRange(`Unable to parse range: ${a1}`)
  const grid = found.properties.gridProperties
  const [, col1 = '', row1 = '', col2, row2] = match
  const single = col2 === undefined && row2 === undefined && cells !== ''
  const r1 = row1 === '' ? 1 : Number(row1)
  const c1 = col1 === '' ? 1 : columnNumber(col1)
  const r2 = single ? r1 : row2 === undefined || row2 === '' ? grid.rowCount : Number(row2)
  const c2 = single ? c1 : col2 === undefined || col2 === '' ? grid.columnCount : columnNumber(col2)
  return { sheet: found, r1, c1, r2, c2 }
}

const a1Of = (area: Area): string =>
  `${quote(area.sheet.properties.title)}!${letters(area.c1)}${area.r1}:${letters(area.c2)}${area.r2}`

function readArea(area: Area, render: string, dimension: string): Value[][] {
  const rows: Value[][] = []
  for (let r = area.r1; r <= area.r2; r += 1) {
    const row: Value[] = []
    for (let c = area.c1; c <= area.c2; c += 1) {
      const value = area.sheet.cells[r - 1]?.[c - 1]
      row.push(value === undefined ? '' : render === 'FORMATTED_VALUE' ? format(value) : value)
    }
    while (row.length > 0 && row.at(-1) === '') row.pop()
    rows.push(row)
  }
  while (rows.length > 0 && rows.at(-1)?.length === 0) rows.pop()
  if (dimension !== 'COLUMNS') return rows
  const width = Math.max(0, ...rows.map((row) => row.length))
  return Array.from({ length: width }, (_, c) => {
    const column = rows.map((row) => row[c] ?? '')
    while (column.length > 0 && column.at(-1) === '') column.pop()
    return column
  })
}

function format(value: Value): string {
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE'
  return String(value)
}

function write(
  area: Area,
  values: unknown[][],
  input: string,
  dimension: string,
): { rows: number; columns: number; cells: number } {
  const rows = dimension === 'COLUMNS' ? transpose(values) : values
  let cells = 0
  let columns = 0
  rows.forEach((row, r) => {
    columns = Math.max(columns, row.length)
    row.forEach((value, c) => {
      if (value === null) return
      const line = (area.sheet.cells[area.r1 - 1 + r] ??= [])
      line[area.c1 - 1 + c] =
        input === 'USER_ENTERED' && typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value)
          ? Number(value)
          : (value as Value)
      cells += 1
    })
  })
  return { rows: rows.length, columns, cells }
}

function transpose(values: unknown[][]): unknown[][] {
  const height = Math.max(0, ...values.map((column) => column.length))
  return Array.from({ length: height }, (_, r) => values.map((column) => column[r] ?? null))
}

function googleError(
  code: number,
  status: string,
  message: string,
  reason?: string,
  metadata?: Json,
): { status: number; body: Json } {
  const details =
    reason === undefined
      ? undefined
      : [
          {
            '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
            reason,
            domain: 'googleapis.com',
            metadata: { service: 'sheets.googleapis.com', ...metadata },
          },
        ]
  return {
    status: code,
    body: { error: { code, message, status, ...(details === undefined ? {} : { details }) } },
  }
}

const UNAUTHENTICATED_MESSAGE =
  'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.'

/** Starts the fake Sheets API. */
export async function startFakeSheets(): Promise<FakeSheets> {
  let spreadsheets = seed()
  let created = 0
  let rateLimited = false
  let failure: { status: number; body: unknown } | undefined

  const route = (request: RecordedRequest): { status: number; body: unknown } => {
    const url = new URL(request.url, 'http://localhost')
    const path = decodeURIComponent(url.pathname)
    const query = url.searchParams
    const bearer = request.headers.authorization?.replace(/^Bearer /, '')

    if (path === '/oauth2/v3/tokeninfo') {
      const token = query.get('access_token') ?? ''
      const scope = tokens[token]
      if (scope === undefined)
        return { status: 400, body: { error: 'invalid_token', error_description: 'Invalid Value' } }
      return {
        status: 200,
        body: {
          azp: '1234.apps.googleusercontent.com',
          aud: '1234.apps.googleusercontent.com',
          sub: '1100',
          scope,
          exp: '1999999999',
          expires_in: '3599',
          email: 'robot@example.iam.gserviceaccount.com',
          email_verified: 'true',
          access_type: 'offline',
        },
      }
    }
    if (bearer === EXPIRED_TOKEN)
      return googleError(401, 'UNAUTHENTICATED', UNAUTHENTICATED_MESSAGE, 'ACCESS_TOKEN_EXPIRED')
    const scope = bearer === undefined ? undefined : tokens[bearer]
    if (scope === undefined || scope === tokens[NO_SCOPE_TOKEN]) {
      return googleError(401, 'UNAUTHENTICATED', UNAUTHENTICATED_MESSAGE, 'ACCESS_TOKEN_TYPE_UNSUPPORTED')
    }
    if (rateLimited) {
      rateLimited = false
      return googleError(
        429,
        'RESOURCE_EXHAUSTED',
        "Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute per user' of service 'sheets.googleapis.com' for consumer 'project_number:1234'.",
        'RATE_LIMIT_EXCEEDED',
        { quota_metric: 'sheets.googleapis.com/read_requests', quota_limit: 'ReadRequestsPerMinutePerUser' },
      )
    }
    if (failure !== undefined) {
      const answer = failure
      failure = undefined
      return answer
    }
    if (request.method !== 'GET' && !scope.endsWith('/spreadsheets')) {
      return googleError(
        403,
        'PERMISSION_DENIED',
        'Request had insufficient authentication scopes.',
        'ACCESS_TOKEN_SCOPE_INSUFFICIENT',
      )
    }

    if (request.method === 'POST' && path === '/v4/spreadsheets') {
      const body = (request.json ?? {}) as {
        properties?: { title?: string; locale?: string; timeZone?: string }
        sheets?: { properties?: { title?: string } }[]
      }
      created += 1
      const id = `1NewFakeSpreadsheet${created}`
      const titles = body.sheets?.map((item) => item.properties?.title ?? 'Sheet') ?? ['Sheet1']
      const spreadsheet: FakeSpreadsheet = {
        spreadsheetId: id,
        properties: {
          title: body.properties?.title ?? 'Untitled spreadsheet',
          locale: body.properties?.locale ?? 'en_US',
          timeZone: body.properties?.timeZone ?? 'Etc/GMT',
        },
        sheets: titles.map((title, index) => sheet(index === 0 ? 0 : 1000 + index, title, index, [])),
      }
      spreadsheets.set(id, spreadsheet)
      return { status: 200, body: describeSpreadsheet(spreadsheet) }
    }

    const match =
      /^\/v4\/spreadsheets\/([^/:]+)(?::(batchUpdate))?(?:\/values(?::(batchGet)|\/(.+?)(?::(append|clear))?)?)?$/.exec(
        path,
      )
    if (match === null) return { status: 404, body: '<html><body>Not Found</body></html>' }
    const [, id = '', batchUpdate, batchGet, a1, verb] = match
    if (id === PRIVATE_ID) return googleError(403, 'PERMISSION_DENIED', 'The caller does not have permission')
    const spreadsheet = spreadsheets.get(id)
    if (spreadsheet === undefined) return googleError(404, 'NOT_FOUND', 'Requested entity was not found.')

    try {
      if (batchUpdate !== undefined) {
        const body = request.json as {
          requests: {
            addSheet?: {
              properties: {
                title: string
                index?: number
                gridProperties?: { rowCount?: number; columnCount?: number }
              }
            }
          }[]
        }
        const replies = body.requests.map((item, index) => {
          const properties = item.addSheet?.properties
          if (properties === undefined) throw new BadRange(`Invalid requests[${index}]: unsupported request`)
          if (spreadsheet.sheets.some((s) => s.properties.title === properties.title)) {
            throw new BadRange(
              `Invalid requests[${index}].addSheet: A sheet with the name "${properties.title}" already exists. Please enter another name.`,
            )
          }
          const added = sheet(
            1843029282 + spreadsheet.sheets.length,
            properties.title,
            properties.index ?? spreadsheet.sheets.length,
            [],
          )
          added.properties.gridProperties = {
            rowCount: properties.gridProperties?.rowCount ?? 1000,
            columnCount: properties.gridProperties?.columnCount ?? 26,
          }
          spreadsheet.sheets.push(added)
          return { addSheet: { properties: added.properties } }
        })
        return { status: 200, body: { spreadsheetId: id, replies } }
      }
      if (batchGet !== undefined) {
        const render = query.get('valueRenderOption') ?? 'FORMATTED_VALUE'
        const dimension = query.get('majorDimension') ?? 'ROWS'
        const valueRanges = query.getAll('ranges').map((a1Range) => {
          const area = parseRange(spreadsheet, a1Range)
          const values = readArea(area, render, dimension)
          return { range: a1Of(area), majorDimension: dimension, ...(values.length === 0 ? {} : { values }) }
        })
        return { status: 200, body: { spreadsheetId: id, valueRanges } }
      }
      if (a1 === undefined) return { status: 200, body: describeSpreadsheet(spreadsheet) }

      const area = parseRange(spreadsheet, a1)
      if (verb === 'clear') {
        for (let r = area.r1; r <= area.r2; r += 1) {
          const line = area.sheet.cells[r - 1]
          if (line !== undefined) for (let c = area.c1; c <= area.c2; c += 1) line[c - 1] = undefined
        }
        return { status: 200, body: { spreadsheetId: id, clearedRange: a1Of(area) } }
      }
      if (request.method === 'GET') {
        const dimension = query.get('majorDimension') ?? 'ROWS'
        const values = readArea(area, query.get('valueRenderOption') ?? 'FORMATTED_VALUE', dimension)
        return {
          status: 200,
          body: { range: a1Of(area), majorDimension: dimension, ...(values.length === 0 ? {} : { values }) },
        }
      }
      const body = request.json as { values: unknown[][]; majorDimension?: string }
      const input = query.get('valueInputOption')
      if (input === null) {
        throw new BadRange("'valueInputOption' is required but not specified")
      }
      if (verb === 'append') {
        const used = area.sheet.cells.map((line, index) => ({
          index,
          filled: line.slice(area.c1 - 1, area.c2).some((v) => v !== undefined && v !== ''),
        }))
        const filled = used.filter((line) => line.index + 1 >= area.r1 && line.filled)
        const first = filled[0]?.index
        const last = filled.at(-1)?.index
        const target = { ...area, r1: last === undefined ? area.r1 : last + 2 }
        const written = write(target, body.values, input, 'ROWS')
        const updated = { ...target, r2: target.r1 + written.rows - 1, c2: target.c1 + written.columns - 1 }
        return {
          status: 200,
          body: {
            spreadsheetId: id,
            ...(first === undefined || last === undefined
              ? {}
              : { tableRange: a1Of({ ...area, r1: first + 1, r2: last + 1 }) }),
            updates: {
              spreadsheetId: id,
              updatedRange: a1Of(updated),
              updatedRows: written.rows,
              updatedColumns: written.columns,
              updatedCells: written.cells,
            },
          },
        }
      }
      const dimension = body.majorDimension ?? 'ROWS'
      const rows = dimension === 'COLUMNS' ? transpose(body.values) : body.values
      const width = Math.max(...rows.map((row) => row.length))
      const grid = area.sheet.properties.gridProperties
      if (area.r1 + rows.length - 1 > grid.rowCount || area.c1 + width - 1 > grid.columnCount) {
        throw new BadRange(
          `Range (${a1}) exceeds grid limits. Max rows: ${grid.rowCount}, max columns: ${grid.columnCount}`,
        )
      }
      const written = write(area, body.values, input, dimension)
      const updated = { ...area, r2: area.r1 + written.rows - 1, c2: area.c1 + written.columns - 1 }
      return {
        status: 200,
        body: {
          spreadsheetId: id,
          updatedRange: a1Of(updated),
          updatedRows: written.rows,
          updatedColumns: written.columns,
          updatedCells: written.cells,
        },
      }
    } catch (error) {
      if (error instanceof BadRange) return googleError(400, 'INVALID_ARGUMENT', error.message)
      throw error
    }
  }

  const answer = (request: RecordedRequest, response: ServerResponse): void => {
    const { status, body } = route(request)
    const html = typeof body === 'string'
    response.writeHead(status, { 'content-type': html ? 'text/html' : 'application/json; charset=UTF-8' })
    response.end(html ? body : JSON.stringify(body))
  }

  const upstream = await startUpstream(answer)
  return {
    url: upstream.url,
    requests: upstream.requests,
    calls: () =>
      upstream.requests.map((request) => {
        const url = new URL(request.url, 'http://localhost')
        return {
          method: request.method,
          path: decodeURIComponent(url.pathname),
          rawPath: url.pathname,
          query: [...url.searchParams.entries()],
          json: request.json,
          authorization: request.headers.authorization,
        }
      }),
    cells: (title) =>
      spreadsheets.get(SPREADSHEET_ID)?.sheets.find((s) => s.properties.title === title)?.cells ?? [],
    rateLimitNext() {
      rateLimited = true
    },
    failNext(status, body) {
      failure = { status, body }
    },
    reset() {
      upstream.requests.length = 0
      spreadsheets = seed()
      rateLimited = false
      failure = undefined
    },
    close: () => upstream.close(),
  }
}

function describeSpreadsheet(spreadsheet: FakeSpreadsheet): Json {
  return {
    spreadsheetId: spreadsheet.spreadsheetId,
    properties: { ...spreadsheet.properties, autoRecalc: 'ON_CHANGE' },
    sheets: spreadsheet.sheets.map((item) => ({ properties: item.properties })),
    spreadsheetUrl: `https://docs.google.com/spreadsheets/d/${spreadsheet.spreadsheetId}/edit`,
  }
}
