/**
 * The Google Sheets tool: describe, create and extend spreadsheets, and read, append, write and clear
 * cell values through the Sheets API v4 (https://developers.google.com/sheets/api/reference/rest).
 */
import { ActionError, Secret, Type, auth, defineTool, urlPath } from '@toolplane/sdk'
import type { BearerAuth, OAuth2AuthorizationCodeAuth, ToolContext } from '@toolplane/sdk'
import { addSheet, createSpreadsheet, getSpreadsheet } from './actions/spreadsheets.js'
import { appendRows, batchGet, clearRange, readRange, updateRange } from './actions/values.js'
import {
  SHEETS_BASE_URL,
  SPREADSHEETS_READONLY_SCOPE,
  SPREADSHEETS_SCOPE,
  callSheets,
  googleError,
} from './api.js'

export { addSheet, createSpreadsheet, getSpreadsheet } from './actions/spreadsheets.js'
export { appendRows, batchGet, clearRange, readRange, updateRange } from './actions/values.js'
export { DEFAULT_RATE_LIMIT_WAIT_MS, googleError } from './api.js'
export { rowsToRecords } from './shapes.js'

/** Google's token information endpoint, used by the health check. */
export const TOKENINFO_URL = 'https://www.googleapis.com/oauth2/v3/tokeninfo'

// Optional credential fields that only the health check reads.
const testSpreadsheetId = Type.Optional(
  Secret(
    Type.String({
      title: 'Test spreadsheet ID',
      description:
        'A spreadsheet the health check reads to prove access; without it the token itself is checked',
      pattern: '^[A-Za-z0-9_-]+$',
    }),
  ),
)
const tokenInfoUrl = Type.Optional(
  Secret(
    Type.String({
      title: 'Token info URL',
      description: `Where the health check validates the token; ${TOKENINFO_URL} by default`,
      format: 'uri',
    }),
  ),
)

const bearer = auth.bearer({ title: 'Access token (for example from a service account)' })

/** A Google access token minted elsewhere (a service account, gcloud, your own token service). */
export const accessToken: BearerAuth = Object.freeze({
  ...bearer,
  fields: Type.Object({ ...bearer.fields.properties, testSpreadsheetId, tokenInfoUrl }),
})

const oauth = auth.oauth2({
  grant: 'authorization_code',
  title: 'Google account (OAuth)',
  authorizationUrl: 'https://accounts.google.com/o/oauth2/v2/auth',
  tokenUrl: 'https://oauth2.googleapis.com/token',
  revocationUrl: 'https://oauth2.googleapis.com/revoke',
  scopes: [SPREADSHEETS_SCOPE, SPREADSHEETS_READONLY_SCOPE],
  pkce: true,
  // Google returns a refresh token only for offline access, and again only when consent is shown.
  extraAuthorizeParams: { access_type: 'offline', prompt: 'consent' },
})

/** Google's OAuth consent, with the optional health-check fields. */
export const googleOAuth: OAuth2AuthorizationCodeAuth = Object.freeze({
  ...oauth,
  fields: Type.Object({ ...oauth.fields.properties, testSpreadsheetId, tokenInfoUrl }),
})

// Scopes under which a token may use the Sheets API.
const sheetsScopes = [
  SPREADSHEETS_SCOPE,
  SPREADSHEETS_READONLY_SCOPE,
  'https://www.googleapis.com/auth/drive',
  'https://www.googleapis.com/auth/drive.readonly',
  'https://www.googleapis.com/auth/drive.file',
]

/**
 * Proves the credential works with the cheapest call that needs no spreadsheet: Google's token info
 * endpoint, which says whether the token is valid and what its scopes are. A credential that names a
 * `testSpreadsheetId` reads that spreadsheet's title instead, which also proves it is shared.
 */
async function healthCheck({ http, credential, baseUrl }: ToolContext) {
  const secrets = credential.secrets
  if (typeof secrets.testSpreadsheetId === 'string') {
    const sheet = await callSheets<{ properties?: { title?: string } }>(
      http,
      'GET',
      urlPath`/v4/spreadsheets/${secrets.testSpreadsheetId}`,
      { query: { fields: 'spreadsheetId,properties.title' } },
    )
    return {
      ok: true,
      detail: `Read the spreadsheet "${sheet.properties?.title ?? secrets.testSpreadsheetId}"`,
    }
  }
  const token = typeof secrets.accessToken === 'string' ? secrets.accessToken : String(secrets.token)
  const res = await http.get<{ scope?: string; email?: string; error_description?: string } | undefined>(
    tokenInfoUrlFor(secrets.tokenInfoUrl, baseUrl),
    { query: { access_token: token } },
  )
  if (res.status === 400) {
    throw new ActionError(
      'auth_error',
      `Google says the access token is invalid or expired (${res.json?.error_description ?? 'invalid_token'})`,
      {
        httpStatus: 400,
        requestSent: true,
        suggestions: [
          {
            title: 'Use a fresh token',
            detail:
              'Access tokens last an hour: reconnect the OAuth credential, or save a newly minted access token in the bearer credential.',
          },
        ],
      },
    )
  }
  if (!res.ok) throw googleError(res)
  const granted = (res.json?.scope ?? '').split(' ').filter((scope) => scope !== '')
  if (!sheetsScopes.some((scope) => granted.includes(scope))) {
    throw new ActionError(
      'permission_error',
      `The token is valid but has no Sheets scope (it has: ${granted.join(', ') || 'none'})`,
      {
        requestSent: true,
        suggestions: [
          {
            title: 'Grant the spreadsheets scope',
            detail: `Reconnect or mint the token with ${SPREADSHEETS_SCOPE}.`,
          },
        ],
      },
    )
  }
  return {
    ok: true,
    detail: `The token is valid${res.json?.email === undefined ? '' : ` for ${res.json.email}`}`,
  }
}

/**
 * Where to validate a token: the credential's `tokenInfoUrl`; Google's endpoint while the tool talks to
 * Google; otherwise the same path on the configured base URL, so a stand-in or proxy for the Sheets
 * API answers it too.
 */
export function tokenInfoUrlFor(configured: unknown, baseUrl: string | undefined): string {
  if (typeof configured === 'string' && configured !== '') return configured
  if (baseUrl === undefined || new URL(baseUrl).origin === SHEETS_BASE_URL) return TOKENINFO_URL
  return `${baseUrl.replace(/\/+$/, '')}/oauth2/v3/tokeninfo`
}

const perMinute = (actions: readonly string[]) =>
  ({ scope: 'credential', limit: 60, windowSeconds: 60, actions }) as const

export default defineTool({
  slug: 'google_sheets',
  name: 'Google Sheets',
  description:
    'Read, append, write and clear cell ranges, and describe, create and add sheets to Google Sheets spreadsheets.',
  version: '1.0.0',
  categories: ['productivity', 'spreadsheets'],
  baseUrl: SHEETS_BASE_URL,
  authMethods: [googleOAuth, accessToken],
  actions: [
    getSpreadsheet,
    readRange,
    batchGet,
    appendRows,
    updateRange,
    clearRange,
    createSpreadsheet,
    addSheet,
  ],
  healthCheck,
  // Sheets counts reads and writes separately: 60 a minute each per user per project (300 per project).
  rateLimits: [
    perMinute(['get_spreadsheet', 'read_range', 'batch_get']),
    perMinute(['append_rows', 'update_range', 'clear_range', 'create_spreadsheet', 'add_sheet']),
  ],
})
