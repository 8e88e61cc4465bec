/**
 * How the GitHub REST API is called: its media type and API version on every request, its error
 * bodies turned into Toolplane error classes, and its `Link` header pagination.
 */
import { ActionError, classifyHttpStatus, retryAfterMs } from '@toolplane/sdk'
import type { HttpCallOptions, HttpClient, HttpMethod, HttpResponse, Suggestion } from '@toolplane/sdk'

/** The API version this plugin is written against; GitHub keeps it stable for at least 24 months. */
export const API_VERSION = '2022-11-28'

/** Sent on every request, as GitHub's REST documentation recommends. */
export const GITHUB_HEADERS = Object.freeze({
  accept: 'application/vnd.github+json',
  'x-github-api-version': API_VERSION,
})

/** GitHub's error body: `{ message, documentation_url, errors? }`. */
interface GitHubErrorBody {
  message?: unknown
  documentation_url?: unknown
  errors?: unknown
}

/**
 * Calls GitHub and throws a classified {@link ActionError} for any non-2xx answer.
 *
 * @example
 * const res = await callGitHub<RawUser>(http, 'GET', '/user')
 */
export async function callGitHub<T>(
  http: HttpClient,
  method: HttpMethod,
  path: string,
  options: HttpCallOptions = {},
): Promise<HttpResponse<T>> {
  const res = await http.request<T>({
    ...options,
    method,
    path,
    headers: { ...options.headers, ...GITHUB_HEADERS },
  })
  if (!res.ok) throw githubError(res)
  return res
}

// Without a `retry-after` or a reset time, GitHub asks clients to wait at least a minute.
const SECONDARY_LIMIT_WAIT_MS = 60_000

/**
 * Turns a failed GitHub response into an error of the right class with a suggestion that fits what
 * GitHub said: a spent quota is `rate_limited` (GitHub answers 403 or 429), a hidden private
 * repository is a 404, a token without the scope is a 403 that names the scopes it needs.
 *
 * @example
 * if (!res.ok) throw githubError(res)
 */
export function githubError(res: HttpResponse): ActionError {
  const body = (typeof res.json === 'object' && res.json !== null ? res.json : {}) as GitHubErrorBody
  const said = typeof body.message === 'string' && body.message !== '' ? body.message : `HTTP ${res.status}`
  const docs = typeof body.documentation_url === 'string' ? ` (see ${body.documentation_url})` : ''
  const headers = res.headers
  const base = { httpStatus: res.status, requestSent: true }

  const quotaSpent = headers['x-ratelimit-remaining'] === '0'
  const secondary = headers['retry-after'] !== undefined || /secondary rate limit/i.test(said)
  if (res.status === 429 || (res.status === 403 && (quotaSpent || secondary))) {
    const wait = retryAfterMs(headers) ?? SECONDARY_LIMIT_WAIT_MS
    return new ActionError('rate_limited', `GitHub rate limit reached: ${said}`, {
      ...base,
      retryAfterMs: wait,
      suggestions: [rateLimitSuggestion(quotaSpent && !secondary, wait)],
    })
  }

  switch (res.status) {
    case 401:
      return new ActionError('auth_error', `GitHub rejected the credential: ${said}`, {
        ...base,
        suggestions: [
          {
            title: 'Replace the token',
            detail:
              'The token was revoked, expired or mistyped. Create a new one under GitHub Settings → Developer settings → Personal access tokens (or reconnect the OAuth app) and update the credential.',
          },
        ],
      })
    case 403:
      return new ActionError('permission_error', `GitHub refused the request: ${said}`, {
        ...base,
        suggestions: permissionSuggestions(headers),
      })
    case 404:
      return new ActionError('not_found', `GitHub found nothing there: ${said}`, {
        ...base,
        suggestions: [
          {
            title: 'Check the names and the access',
            detail:
              'GitHub answers 404, not 403, for private repositories the credential cannot see. Check the owner and repository spelling, and that the token can read the repository (classic tokens need the `repo` scope; fine-grained tokens must have the repository selected).',
          },
        ],
      })
    case 422:
      return new ActionError(
        'validation_error',
        `GitHub did not accept the request: ${said}${details(body.errors)}`,
        {
          ...base,
          suggestions: [
            {
              title: 'Fix the rejected fields',
              detail: `Correct the fields GitHub named and try again${docs}.`,
            },
          ],
        },
      )
    default:
      return new ActionError(
        classifyHttpStatus(res.status, headers),
        `GitHub answered ${res.status}: ${said}`,
        base,
      )
  }
}

function rateLimitSuggestion(primary: boolean, waitMs: number): Suggestion {
  const seconds = Math.ceil(waitMs / 1000)
  return primary
    ? {
        title: 'Wait for the hourly quota to reset',
        detail: `This credential used its GitHub request quota (5,000 requests an hour for a user token). It resets in about ${seconds} s.`,
      }
    : {
        title: 'Slow down',
        detail: `GitHub's secondary rate limit caps bursts, concurrent requests and content creation. Retry in about ${seconds} s and send fewer requests at once.`,
      }
}

function permissionSuggestions(headers: Readonly<Record<string, string>>): Suggestion[] {
  const suggestions: Suggestion[] = []
  const accepted = scopeList(headers['x-accepted-oauth-scopes'])
  if (accepted.length > 0) {
    const granted = scopeList(headers['x-oauth-scopes'])
    const shown = granted.length > 0 ? granted.join(', ') : 'none'
    suggestions.push({
      title: 'Grant a scope this endpoint accepts',
      detail: `This endpoint needs one of the scopes ${accepted.join(', ')}; the token has ${shown}. Edit the token's scopes or reconnect with them.`,
    })
  }
  const permissions = headers['x-accepted-github-permissions']
  if (permissions !== undefined && permissions !== '') {
    suggestions.push({
      title: 'Grant the fine-grained permission',
      detail: `This endpoint needs the permission ${permissions}. Edit the fine-grained token or the GitHub App's permissions.`,
    })
  }
  const sso = headers['x-github-sso']
  if (sso !== undefined && sso.startsWith('required')) {
    suggestions.push({
      title: 'Authorize the token for single sign-on',
      detail:
        'The organization enforces SAML single sign-on: authorize the token for it in the token settings.',
    })
  }
  if (suggestions.length === 0) {
    suggestions.push({
      title: 'Check the permissions',
      detail:
        'The credential is valid but may not do this: check its scopes or permissions and your role in the repository or organization.',
    })
  }
  return suggestions
}

/**
 * The scopes in an `X-OAuth-Scopes` or `X-Accepted-OAuth-Scopes` header.
 *
 * @example
 * scopeList('repo, read:user') // ['repo', 'read:user']
 */
export function scopeList(header: string | undefined): string[] {
  return (header ?? '')
    .split(',')
    .map((scope) => scope.trim())
    .filter((scope) => scope !== '')
}

// GitHub's `errors` items are objects `{ resource, field, code, message? }` or plain strings.
function details(errors: unknown): string {
  if (!Array.isArray(errors) || errors.length === 0) return ''
  const parts = errors.map((error: unknown) => {
    if (typeof error === 'string') return error
    const item = (typeof error === 'object' && error !== null ? error : {}) as Record<string, unknown>
    const where = [item.resource, item.field].filter((part) => typeof part === 'string').join('.')
    const what =
      [item.message, item.code].find((part): part is string => typeof part === 'string') ?? 'invalid'
    return where === '' ? what : `${where} ${what}`
  })
  return ` (${parts.join('; ')})`
}

/**
 * The page number of the `rel="next"` link in a `Link` header, or `null` on the last page. Only the
 * page number is taken: the next request is built from the base URL, never sent to a URL from the
 * response, so the credential cannot be carried to another host.
 *
 * @example
 * nextPage('<https://api.github.com/repositories/1/issues?page=2>; rel="next"') // 2
 */
export function nextPage(link: string | undefined): number | null {
  for (const match of (link ?? '').matchAll(/<([^>]*)>\s*;\s*rel="([^"]*)"/g)) {
    const [, target = '', rel = ''] = match
    if (!rel.split(/\s+/).includes('next')) continue
    const page = Number(new URL(target, 'https://api.github.com').searchParams.get('page'))
    return Number.isInteger(page) && page > 0 ? page : null
  }
  return null
}

/** One page of a listing. */
export interface Page<T> {
  items: T[]
  nextPage: number | null
}

/** The paging inputs of a listing action. */
export interface PagingInput {
  /** The first page to read. */
  page?: number
  /** How many pages to read at most. */
  maxPages?: number
}

/**
 * Reads pages from `input.page` on, following `nextPage`, until `input.maxPages` pages are read or
 * none is left.
 *
 * @example
 * const { items, nextPage } = await readPages(input, (page) => listPage(page))
 */
export async function readPages<T>(
  input: PagingInput,
  read: (page: number) => Promise<Page<T>>,
): Promise<Page<T>> {
  // `ctx.input` arrives with the schema's defaults filled in; the static type of an optional field
  // with a default still allows `undefined`.
  const { page: first, maxPages } = input as Required<PagingInput>
  const items: T[] = []
  let page: number | null = first
  for (let count = 0; page !== null && count < maxPages; count += 1) {
    const result = await read(page)
    items.push(...result.items)
    page = result.nextPage
  }
  return { items, nextPage: page }
}
