/**
 * How the Google Sheets API (v4) is called and how it fails. Google's error body is
 * `{ error: { code, message, status, details } }`, where `status` is a canonical code such as
 * `PERMISSION_DENIED` and `details` may hold a `google.rpc.ErrorInfo` whose `reason`
 * (`ACCESS_TOKEN_EXPIRED`, `ACCESS_TOKEN_SCOPE_INSUFFICIENT`, `SERVICE_DISABLED`,
 * `RATE_LIMIT_EXCEEDED`…) says more.
 */
import { ActionError, classifyHttpStatus, retryAfterMs } from '@toolplane/sdk'
import type { ErrorClass, HttpClient, HttpMethod, HttpResponse, QueryValue, Suggestion } from '@toolplane/sdk'

/** The default base URL of the Sheets API. */
export const SHEETS_BASE_URL = 'https://sheets.googleapis.com'

/** The scope that allows everything this tool does. */
export const SPREADSHEETS_SCOPE = 'https://www.googleapis.com/auth/spreadsheets'
/** The scope that allows the read actions. */
export const SPREADSHEETS_READONLY_SCOPE = 'https://www.googleapis.com/auth/spreadsheets.readonly'

/**
 * Calls the Sheets API and returns the parsed body, or throws a classified {@link ActionError}.
 *
 * @example
 * const sheet = await callSheets<RawSpreadsheet>(http, 'GET', urlPath`/v4/spreadsheets/${id}`, {
 *   query: { fields: 'properties.title' },
 * })
 */
export async function callSheets<T>(
  http: HttpClient,
  method: HttpMethod,
  path: string,
  options: { query?: Readonly<Record<string, QueryValue>>; json?: unknown } = {},
): Promise<T> {
  const res = await http.request<T>({ method, path, ...options })
  if (!res.ok) throw googleError(res)
  return res.json
}

/** Google's error body. */
interface GoogleErrorBody {
  error?: {
    code?: number
    message?: string
    status?: string
    details?: { '@type'?: string; reason?: string; metadata?: Record<string, string> }[]
  }
}

/**
 * Google sends no `Retry-After` with a quota error. Sheets quotas are counted per minute, so the first
 * retry waits half a minute rather than burning attempts on a spent quota; the engine's backoff grows
 * from there.
 */
export const DEFAULT_RATE_LIMIT_WAIT_MS = 30_000

const shareSheet: Suggestion = {
  title: 'Share the spreadsheet with the account',
  detail:
    'The account behind the credential cannot open this spreadsheet. In Google Sheets use Share and add the account (for a service account, its …@….iam.gserviceaccount.com address) as a Viewer, or as an Editor to write.',
}

/**
 * Turns a failed Sheets response into an error of the right class: an expired token is
 * `credential_expired`, any other 401 `auth_error`, 403 `permission_error` (a scope, a disabled API or
 * an unshared spreadsheet), 404 `not_found`, 429 `rate_limited`, 400 `validation_error` (or
 * `conflict` when the name is taken).
 *
 * @example
 * if (!res.ok) throw googleError(res)
 */
export function googleError(res: HttpResponse): ActionError {
  const body = (typeof res.json === 'object' && res.json !== null ? res.json : {}) as GoogleErrorBody
  const error = body.error ?? {}
  const said = error.message ?? `HTTP ${res.status}`
  const status = error.status ?? ''
  const reasons = (error.details ?? [])
    .map((detail) => detail.reason)
    .filter((reason) => reason !== undefined)
  const base = { httpStatus: res.status, requestSent: true }
  const make = (errorClass: ErrorClass, message: string, suggestions: Suggestion[], wait?: number) =>
    new ActionError(errorClass, message, {
      ...base,
      suggestions,
      ...(wait === undefined ? {} : { retryAfterMs: wait }),
    })

  if (res.status === 401 || status === 'UNAUTHENTICATED') {
    if (reasons.includes('ACCESS_TOKEN_EXPIRED') || /expired/i.test(said)) {
      return make('credential_expired', `The Google access token has expired: ${said}`, [
        {
          title: 'Refresh the token',
          detail:
            'Google access tokens last an hour. An OAuth credential is refreshed automatically (reconnect it if refreshing fails); for a bearer token, mint a new one (for a service account: gcloud auth print-access-token, or your token service) and update the credential.',
        },
      ])
    }
    return make('auth_error', `Google rejected the credential: ${said}`, [
      {
        title: 'Reconnect Google',
        detail:
          'The access token is not valid for Google APIs. Reconnect the OAuth credential, or save a fresh access token in the bearer credential.',
      },
    ])
  }
  if (res.status === 429 || status === 'RESOURCE_EXHAUSTED') {
    const wait = retryAfterMs(res.headers) ?? DEFAULT_RATE_LIMIT_WAIT_MS
    return make(
      'rate_limited',
      `Google Sheets quota exceeded: ${said}`,
      [
        {
          title: 'Wait for the quota to refill',
          detail: `Sheets allows 60 read and 60 write requests a minute per user and 300 per project. Retry in ${Math.ceil(wait / 1000)} s, batch reads with batch_get, or ask for a higher quota in the Google Cloud console.`,
        },
      ],
      wait,
    )
  }
  if (res.status === 403 || status === 'PERMISSION_DENIED') {
    if (
      reasons.includes('ACCESS_TOKEN_SCOPE_INSUFFICIENT') ||
      /insufficient authentication scopes/i.test(said)
    ) {
      return make('permission_error', `The Google token lacks a Sheets scope for this: ${said}`, [
        {
          title: 'Grant the spreadsheets scope',
          detail: `Reconnect with the scope ${SPREADSHEETS_SCOPE} (writing needs it; ${SPREADSHEETS_READONLY_SCOPE} only reads).`,
        },
      ])
    }
    if (reasons.includes('SERVICE_DISABLED')) {
      return make('permission_error', `The Google Sheets API is not enabled: ${said}`, [
        {
          title: 'Enable the Sheets API',
          detail:
            'Enable the Google Sheets API for the Google Cloud project of the OAuth client or service account (APIs & Services → Library), then retry after a few minutes.',
        },
      ])
    }
    return make('permission_error', `Google refused access to the spreadsheet: ${said}`, [shareSheet])
  }
  if (res.status === 404 || status === 'NOT_FOUND') {
    return make('not_found', `Google found no such spreadsheet or sheet: ${said}`, [
      {
        title: 'Check the spreadsheet ID',
        detail:
          'The ID is the long part of the spreadsheet URL between /d/ and /edit. A spreadsheet the account cannot see can also be reported as not found.',
      },
    ])
  }
  if (status === 'INVALID_ARGUMENT' && /already exists/i.test(said)) {
    return make('conflict', `Google refused the change: ${said}`, [
      { title: 'Use another name', detail: 'Sheet names must be unique within a spreadsheet.' },
    ])
  }
  if (res.status === 400 || status === 'INVALID_ARGUMENT' || status === 'FAILED_PRECONDITION') {
    return make('validation_error', `Google Sheets rejected the request: ${said}`, [
      {
        title: 'Fix the request',
        detail:
          "Check the range in A1 notation (Sheet1!A1:C10; quote sheet names with spaces or symbols: 'Q1 Sales'!A:C) and that the sheet exists. Files uploaded as Excel must be converted to Google Sheets first.",
      },
    ])
  }
  return make(classifyHttpStatus(res.status, res.headers), `Google Sheets answered ${res.status}: ${said}`, [
    {
      title: 'Try again later',
      detail: 'Google had a problem of its own; see https://www.google.com/appsstatus.',
    },
  ])
}
