/**
 * How the Notion API is called: the `Notion-Version` header on every request, Notion's error body
 * `{ object: 'error', status, code, message }` turned into Toolplane error classes, and its cursor
 * pagination (`start_cursor`/`page_size`, answered with `has_more`/`next_cursor`).
 */
import { ActionError, classifyHttpStatus, retryAfterMs } from '@toolplane/sdk'
import type {
  ErrorClass,
  HttpCallOptions,
  HttpClient,
  HttpMethod,
  HttpResponse,
  Suggestion,
} from '@toolplane/sdk'

/** The API version this plugin is written against. */
export const NOTION_VERSION = '2022-06-28'

/**
 * Calls Notion and throws a classified {@link ActionError} for any non-2xx answer.
 *
 * @example
 * const res = await callNotion<RawPage>(http, 'GET', urlPath`/v1/pages/${id}`)
 */
export async function callNotion<T>(
  http: HttpClient,
  method: HttpMethod,
  path: string,
  options: HttpCallOptions = {},
): Promise<HttpResponse<T>> {
  const res = await http.request<T>({
    ...options,
    method,
    path,
    headers: { ...options.headers, 'notion-version': NOTION_VERSION },
  })
  if (!res.ok) throw notionError(res)
  return res
}

interface NotionErrorBody {
  object?: unknown
  code?: unknown
  message?: unknown
}

const codeClasses: Readonly<Record<string, ErrorClass>> = {
  unauthorized: 'auth_error',
  restricted_resource: 'permission_error',
  object_not_found: 'not_found',
  rate_limited: 'rate_limited',
  validation_error: 'validation_error',
  invalid_json: 'validation_error',
  invalid_request_url: 'validation_error',
  invalid_request: 'validation_error',
  missing_version: 'validation_error',
  conflict_error: 'conflict',
  internal_server_error: 'upstream_error',
  service_unavailable: 'upstream_unavailable',
  database_connection_unavailable: 'upstream_unavailable',
  gateway_timeout: 'upstream_unavailable',
}

const suggestions: Partial<Record<ErrorClass, Suggestion>> = {
  auth_error: {
    title: 'Replace the integration secret',
    detail:
      'Notion did not accept the token. Copy the internal integration secret again from notion.so/my-integrations (or reconnect the public integration) and update the credential.',
  },
  permission_error: {
    title: 'Enable the capability',
    detail:
      'The integration may not do this. In its settings at notion.so/my-integrations, turn on the capabilities it needs (read content, update content, insert content).',
  },
  not_found: {
    title: 'Share the page with the integration',
    detail:
      'Notion answers object_not_found both for ids that do not exist and for pages and databases the integration was not given. Open the page or database in Notion, choose ••• → Connections → add the integration (sharing a parent page shares its children), and check the id.',
  },
  validation_error: {
    title: 'Fix the request',
    detail:
      'Notion named what it did not accept. Property values must match the database schema: check property names and types with get_page or the database in Notion.',
  },
  conflict: {
    title: 'Try again',
    detail: 'Someone or something changed the same data at the same time. Read it again and retry.',
  },
}

// Notion sends Retry-After on every 429; this covers a proxy that dropped it.
const DEFAULT_RATE_LIMIT_WAIT_MS = 1000

/**
 * Turns a failed Notion response into an error of the class its `code` names, with a suggestion that
 * fits: `object_not_found` explains that the integration must be shared with the page.
 *
 * @example
 * if (!res.ok) throw notionError(res)
 */
export function notionError(res: HttpResponse): ActionError {
  const body = (typeof res.json === 'object' && res.json !== null ? res.json : {}) as NotionErrorBody
  const code = typeof body.code === 'string' ? body.code : undefined
  const said = typeof body.message === 'string' ? body.message : `HTTP ${res.status}`
  const errorClass =
    (code === undefined ? undefined : codeClasses[code]) ?? classifyHttpStatus(res.status, res.headers)
  const suggestion = suggestions[errorClass]
  return new ActionError(
    errorClass,
    `Notion ${code === undefined ? `answered ${res.status}` : `said ${code}`}: ${said}`,
    {
      httpStatus: res.status,
      requestSent: true,
      // Notion's conflict_error asks the client to try again.
      ...(errorClass === 'conflict' ? { retryable: true } : {}),
      ...(errorClass === 'rate_limited'
        ? { retryAfterMs: retryAfterMs(res.headers) ?? DEFAULT_RATE_LIMIT_WAIT_MS }
        : {}),
      ...(suggestion === undefined ? {} : { suggestions: [suggestion] }),
    },
  )
}

/** A page of a Notion list. */
export interface NotionList<T> {
  results: T[]
  has_more: boolean
  next_cursor: string | null
}

/** The paging inputs of a listing action. */
export interface PagingInput {
  startCursor?: string
  pageSize?: number
  maxPages?: number
}

/**
 * Reads a Notion list page by page from `input.startCursor`, up to `input.maxPages` pages.
 *
 * @example
 * const { results, nextCursor } = await readList(input, (cursor, size) => query(cursor, size))
 */
export async function readList<T>(
  input: PagingInput,
  read: (startCursor: string | undefined, pageSize: number) => Promise<NotionList<T>>,
): Promise<{ results: T[]; nextCursor: string | null }> {
  // `ctx.input` arrives with the schema's defaults filled in; the static type of an optional field
  // with a default still allows `undefined`.
  const { pageSize, maxPages } = input as Required<PagingInput>
  const results: T[] = []
  let cursor = input.startCursor
  let nextCursor: string | null = null
  for (let page = 0; page < maxPages; page += 1) {
    const list = await read(cursor, pageSize)
    results.push(...list.results)
    nextCursor = list.has_more ? list.next_cursor : null
    if (nextCursor === null) break
    cursor = nextCursor
  }
  return { results, nextCursor }
}
