import {
  applyCredential,
  createHttpClient,
  runAction,
  runHealthCheck,
  validate,
  validateTool,
} from '@toolplane/sdk'
import type { ActionLog, OAuth2AuthorizationCodeAuth } from '@toolplane/sdk'
import { startUpstream } from '@toolplane/sdk/testing'
import type { Upstream } from '@toolplane/sdk/testing'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import sheets, { TOKENINFO_URL, tokenInfoUrlFor } from './index.js'
import {
  EXPIRED_TOKEN,
  FULL_TOKEN,
  NO_SCOPE_TOKEN,
  PRIVATE_ID,
  SPREADSHEET_ID,
  startFakeSheets,
} from './testing/fake-sheets.js'
import type { FakeSheets } from './testing/fake-sheets.js'

let fake: FakeSheets
// A token info endpoint that answers whatever a test puts in `tokenInfo`.
let tokenInfo: { status: number; body: string } = { status: 200, body: '{}' }
let tokenInfoServer: Upstream
beforeAll(async () => {
  fake = await startFakeSheets()
  tokenInfoServer = await startUpstream((_request, response) => {
    const json = tokenInfo.body.startsWith('{')
    response.writeHead(tokenInfo.status, { 'content-type': json ? 'application/json' : 'text/html' })
    response.end(tokenInfo.body)
  })
})
afterAll(async () => {
  await fake.close()
  await tokenInfoServer.close()
})
beforeEach(() => {
  fake.reset()
})

const check = (secrets: Record<string, unknown>, authMethod = 'bearer') =>
  runHealthCheck(sheets, {
    credential: { authMethod, secrets },
    baseUrl: fake.url,
    allowPrivateNetwork: true,
  })

const quiet: ActionLog = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
}

// The health check's own answer, which runHealthCheck keeps only when the check fails.
const detailOf = async (secrets: Record<string, unknown>) => {
  const method = sheets.authMethods[1]!
  const http = createHttpClient({
    baseUrl: fake.url,
    allowPrivateNetwork: true,
    authorize: (request) => {
      applyCredential(method, secrets, request)
    },
  })
  const credential = { authMethod: 'bearer', secrets }
  const outcome = await sheets.healthCheck!({
    credential,
    http,
    signal: new AbortController().signal,
    baseUrl: fake.url,
    log: quiet,
    network: { allowPrivateNetwork: true },
  })
  return outcome?.detail
}

describe('the google_sheets tool', () => {
  it('passes the checks the server runs before serving a plugin', () => {
    expect(validateTool(sheets)).toEqual([])
  })

  it('offers Google OAuth with offline access and PKCE, and a plain access token', () => {
    expect(sheets.authMethods.map((method) => [method.id, method.kind])).toEqual([
      ['oauth2', 'oauth2'],
      ['bearer', 'bearer'],
    ])
    const oauth = sheets.authMethods[0] as OAuth2AuthorizationCodeAuth
    expect(oauth).toMatchObject({
      grant: 'authorization_code',
      authorizationUrl: 'https://accounts.google.com/o/oauth2/v2/auth',
      tokenUrl: 'https://oauth2.googleapis.com/token',
      revocationUrl: 'https://oauth2.googleapis.com/revoke',
      pkce: true,
      extraAuthorizeParams: { access_type: 'offline', prompt: 'consent' },
      scopes: [
        'https://www.googleapis.com/auth/spreadsheets',
        'https://www.googleapis.com/auth/spreadsheets.readonly',
      ],
    })
  })

  it.each(sheets.actions.map((action) => [action.name, action] as const))(
    'has a first example for %s that its input schema accepts',
    (_name, action) => {
      const example = action.examples[0]
      expect(example).toBeDefined()
      expect(validate(action.input, example?.input)).toMatchObject({ ok: true })
    },
  )

  it('counts every action against the read or the write quota of 60 a minute', () => {
    expect(sheets.rateLimits.map((limit) => [limit.limit, limit.windowSeconds])).toEqual([
      [60, 60],
      [60, 60],
    ])
    const counted = sheets.rateLimits.flatMap((limit) => limit.actions ?? [])
    expect(counted.sort()).toEqual(sheets.actions.map((action) => action.name).sort())
  })

  it('lets only reads and overwrites be retried blindly', () => {
    const idempotent = sheets.actions.filter((action) => action.retry.idempotent).map((action) => action.name)
    expect(idempotent.sort()).toEqual([
      'batch_get',
      'clear_range',
      'get_spreadsheet',
      'read_range',
      'update_range',
    ])
  })

  it('sends an OAuth access token as a bearer token', async () => {
    await runAction(sheets, 'get_spreadsheet', {
      input: { spreadsheetId: SPREADSHEET_ID },
      credential: { authMethod: 'oauth2', secrets: { accessToken: FULL_TOKEN, tokenType: 'Bearer' } },
      baseUrl: fake.url,
      allowPrivateNetwork: true,
    })
    expect(fake.calls()[0]?.authorization).toBe(`Bearer ${FULL_TOKEN}`)
  })
})

describe('the health check', () => {
  it('validates the token with the token info endpoint and its Sheets scope', async () => {
    expect(await check({ token: FULL_TOKEN })).toMatchObject({ ok: true, checked: true })
    expect(fake.calls()).toMatchObject([
      { method: 'GET', path: '/oauth2/v3/tokeninfo', query: [['access_token', FULL_TOKEN]] },
    ])
  })

  it('works the same for an OAuth credential', async () => {
    expect(await check({ accessToken: FULL_TOKEN }, 'oauth2')).toMatchObject({ ok: true })
  })

  it('fails as an auth error for a token Google does not accept', async () => {
    expect(await check({ token: 'ya29.nonsense' })).toMatchObject({
      ok: false,
      errorClass: 'auth_error',
      detail: 'Google says the access token is invalid or expired (Invalid Value)',
    })
  })

  it('fails as a permission error for a valid token without Sheets scopes', async () => {
    const result = await check({ token: NO_SCOPE_TOKEN })
    expect(result).toMatchObject({ ok: false, errorClass: 'permission_error' })
    expect(result.ok ? '' : result.detail).toContain('openid')
  })

  it('reads the test spreadsheet when the credential names one', async () => {
    expect(await check({ token: FULL_TOKEN, testSpreadsheetId: SPREADSHEET_ID })).toMatchObject({ ok: true })
    expect(fake.calls()).toMatchObject([
      { path: `/v4/spreadsheets/${SPREADSHEET_ID}`, query: [['fields', 'spreadsheetId,properties.title']] },
    ])
  })

  it('fails when the test spreadsheet is not shared with the account', async () => {
    expect(await check({ token: FULL_TOKEN, testSpreadsheetId: PRIVATE_ID })).toMatchObject({
      ok: false,
      errorClass: 'permission_error',
    })
  })

  it('reports an expired token when reading the test spreadsheet as an expired credential', async () => {
    expect(await check({ token: EXPIRED_TOKEN, testSpreadsheetId: SPREADSHEET_ID })).toMatchObject({
      ok: false,
      errorClass: 'credential_expired',
    })
  })

  it('uses the token info URL the credential gives', async () => {
    expect(
      await check({ token: FULL_TOKEN, tokenInfoUrl: `${fake.url}/oauth2/v3/tokeninfo?from=credential` }),
    ).toMatchObject({
      ok: true,
    })
    expect(fake.calls()[0]?.query).toEqual([
      ['from', 'credential'],
      ['access_token', FULL_TOKEN],
    ])
  })

  it('classifies a token info endpoint that is down by its status', async () => {
    expect(await check({ token: FULL_TOKEN, tokenInfoUrl: `${fake.url}/not-there` })).toMatchObject({
      ok: false,
      errorClass: 'not_found',
    })
  })
})

describe('what the health check says', () => {
  it('names the account the token belongs to', async () => {
    expect(await detailOf({ token: FULL_TOKEN })).toBe(
      'The token is valid for robot@example.iam.gserviceaccount.com',
    )
  })

  it('names the test spreadsheet it read, or its ID when Google sends no title', async () => {
    expect(await detailOf({ token: FULL_TOKEN, testSpreadsheetId: SPREADSHEET_ID })).toBe(
      'Read the spreadsheet "Example Spreadsheet"',
    )
    fake.failNext(200, { spreadsheetId: SPREADSHEET_ID })
    expect(await detailOf({ token: FULL_TOKEN, testSpreadsheetId: SPREADSHEET_ID })).toBe(
      `Read the spreadsheet "${SPREADSHEET_ID}"`,
    )
  })

  it('copes with token info answers that leave things out', async () => {
    const secrets = { token: FULL_TOKEN, tokenInfoUrl: tokenInfoServer.url }
    tokenInfo = { status: 200, body: JSON.stringify({ scope: 'https://www.googleapis.com/auth/drive.file' }) }
    expect(await detailOf(secrets)).toBe('The token is valid')
    tokenInfo = { status: 200, body: '{}' }
    await expect(detailOf(secrets)).rejects.toMatchObject({
      class: 'permission_error',
      message: 'The token is valid but has no Sheets scope (it has: none)',
    })
    tokenInfo = { status: 400, body: 'Bad Request' }
    await expect(detailOf(secrets)).rejects.toMatchObject({
      class: 'auth_error',
      message: 'Google says the access token is invalid or expired (invalid_token)',
    })
  })
})

describe('tokenInfoUrlFor', () => {
  it('asks Google while the tool talks to Google', () => {
    expect(tokenInfoUrlFor(undefined, undefined)).toBe(TOKENINFO_URL)
    expect(tokenInfoUrlFor(undefined, 'https://sheets.googleapis.com/')).toBe(TOKENINFO_URL)
  })

  it('asks the configured base URL when the tool is pointed elsewhere, unless the credential says', () => {
    expect(tokenInfoUrlFor(undefined, 'https://sheets-proxy.example.com/google/')).toBe(
      'https://sheets-proxy.example.com/google/oauth2/v3/tokeninfo',
    )
    expect(tokenInfoUrlFor('https://tokens.example.com/info', 'https://sheets-proxy.example.com')).toBe(
      'https://tokens.example.com/info',
    )
  })
})
