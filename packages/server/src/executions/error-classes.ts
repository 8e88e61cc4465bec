/**
 * The catalogue of execution error classes (SPEC §5): for each, whether it is retried, a title, what
 * it means to the user and what to do about it in Toolplane. An execution record's `error` member
 * combines the error a tool raised with its class's entry here ({@link describeError}).
 */
import { ERROR_CLASSES, isRetryableByDefault } from '@toolplane/sdk'
import type { ActionError, ErrorClass, Suggestion } from '@toolplane/sdk'

/** What the catalogue says about one error class. */
export interface ErrorClassInfo {
  /** Whether an attempt failing with this class is retried by default (the SDK's `isRetryableByDefault`). */
  readonly retryable: boolean
  readonly title: string
  /** What the class means, for the user. */
  readonly message: string
  /** Recovery steps, most useful first; a tool's own suggestions come before these. */
  readonly suggestions: readonly Suggestion[]
}

type CatalogueEntry = Omit<ErrorClassInfo, 'retryable'>

const catalogue: Readonly<Record<ErrorClass, CatalogueEntry>> = {
  validation_error: {
    title: 'Invalid input',
    message:
      "The input does not match the action's input schema, or the upstream rejected it as invalid. The message names the first field at fault.",
    suggestions: [
      {
        title: 'Compare the input with the schema',
        detail:
          'GET /v1/tools/{tool}/actions/{action} shows the input schema with its required fields, types and formats; fix the field the message names.',
      },
      {
        title: 'Start from a sample input',
        detail:
          'GET /v1/tools/{tool}/actions/{action}/sample-input returns a valid input to edit, and the action page in the UI fills its form with one.',
      },
      {
        title: 'Check the input transformation',
        detail:
          'The input is validated after the input transformation: a transformation that renames, drops or reshapes a field causes this error too.',
      },
    ],
  },
  auth_error: {
    title: 'Authentication failed',
    message: 'The upstream rejected the credential: the secret is wrong, was revoked, or has expired.',
    suggestions: [
      {
        title: 'Update the secrets',
        detail:
          'Enter a new token or key: open Credentials, select the credential and edit it, or PATCH /v1/credentials/{id} with new secrets; then run POST /v1/credentials/{id}/check.',
      },
      {
        title: 'Run diagnose',
        detail: 'GET /v1/credentials/{id}/diagnose lists which check fails and how to fix it.',
      },
    ],
  },
  permission_error: {
    title: 'Not permitted',
    message:
      "The credential is valid but may not do this: it lacks a scope or permission, or Toolplane's network rules refused the address.",
    suggestions: [
      {
        title: "Check the token's scopes",
        detail:
          'GET /v1/tools/{tool}/actions/{action} lists the scopes the action needs; give the token the missing ones at the provider, or reconnect an OAuth credential asking for them. Diagnose compares the granted scopes with the tool’s actions.',
      },
      {
        title: 'Check access to the resource',
        detail:
          'The account behind the credential needs access to what the input names (a repository, a channel, a spreadsheet); ask an owner of it to grant access.',
      },
    ],
  },
  not_found: {
    title: 'Not found',
    message: 'The upstream has nothing at the names or ids in the input, or the credential cannot see it.',
    suggestions: [
      {
        title: 'Check the names and ids in the input',
        detail:
          'Look for typos, and for ids from another account or environment (a test id used with a live credential).',
      },
      {
        title: 'Check that the credential can see it',
        detail:
          'Some providers answer "not found" for resources the credential may not read (GitHub does for private repositories); check which account the credential belongs to.',
      },
    ],
  },
  conflict: {
    title: 'Conflict',
    message:
      'The upstream refused the change because it conflicts with the current state: the resource already exists, or it changed since it was read.',
    suggestions: [
      {
        title: 'Read the current state',
        detail:
          'Fetch the resource again and decide whether the change is still needed, then run it with fresh values.',
      },
      {
        title: 'Send an Idempotency-Key',
        detail:
          'If a repeat of your own request made the duplicate, send the Idempotency-Key header with POST /v1/executions: the same key returns the first result instead of running again.',
      },
    ],
  },
  rate_limited: {
    title: 'Rate limited',
    message:
      "The upstream's rate limit for this credential was reached. Toolplane waits as long as the upstream asks (Retry-After) before the next attempt.",
    suggestions: [
      {
        title: 'Wait and retry',
        detail:
          'retryAfterMs says how long the upstream asked to wait; retry after that, or let Toolplane retry an async execution for you.',
      },
      {
        title: 'Lower the batch concurrency',
        detail:
          'Submit batches with a smaller concurrency (or in sequential mode) so fewer calls share the credential’s limit at once.',
      },
      {
        title: 'Spread the work',
        detail:
          'Run large jobs over a longer time, and ask for more per call (larger pages, bulk endpoints) so fewer calls are needed.',
      },
    ],
  },
  quota_exceeded: {
    title: 'Quota exceeded',
    message:
      'The workspace used its monthly execution quota; executions fail until the next period starts or the quota is raised.',
    suggestions: [
      {
        title: 'Raise the quota',
        detail:
          'A workspace admin can raise monthlyExecutionQuota with PATCH /v1/workspace (null means unlimited), or on the Settings page.',
      },
      {
        title: 'Check the usage',
        detail: 'GET /v1/usage shows the period, the quota, what is used and which tools used it.',
      },
    ],
  },
  upstream_error: {
    title: 'Upstream error',
    message:
      'The upstream failed with an error Toolplane cannot classify further, such as an HTTP 500. It is not retried automatically: the call may have taken effect.',
    suggestions: [
      {
        title: "Read the upstream's answer",
        detail:
          "The message quotes the status and what the upstream said; the execution's attempts show the status of each try.",
      },
      {
        title: 'Retry the execution',
        detail:
          'Once the cause is fixed, POST /v1/executions/{id}/retry runs it again as a new execution. For an action that creates or sends something, first check that the failed call did not take effect.',
      },
    ],
  },
  upstream_unavailable: {
    title: 'Upstream unavailable',
    message:
      'The upstream is down or overloaded (HTTP 502, 503 or 504), or Toolplane paused calls to it after repeated failures.',
    suggestions: [
      {
        title: 'Wait for the upstream to recover',
        detail:
          'Toolplane retries with backoff. After 5 such failures in a row for one tool and credential, the circuit breaker pauses calls for 30 s, then lets one probe call through; calls resume when it succeeds.',
      },
      {
        title: "Check the provider's status page",
        detail:
          'An outage at the provider shows there first. If the credential has its own baseUrl (an enterprise install, a proxy), check the server behind it.',
      },
    ],
  },
  timeout: {
    title: 'Timed out',
    message:
      'The call did not finish within its time limit (30 s unless the action or the request sets another).',
    suggestions: [
      {
        title: 'Raise the time limit',
        detail:
          'Send a larger timeoutMs with POST /v1/executions (up to 5 minutes) for calls known to be slow, such as large exports.',
      },
      {
        title: 'Check the upstream',
        detail:
          'A slow upstream often shows on its status page. A call that timed out may still have taken effect upstream: check before running a non-idempotent action again.',
      },
      {
        title: 'Ask for less',
        detail:
          'Narrow the request (fewer items per page, a shorter date range) so each call does less work.',
      },
    ],
  },
  network_error: {
    title: 'Network error',
    message:
      'Toolplane could not reach the upstream or lost the connection: an unknown host name, a refused or reset connection, or a TLS failure. The message carries the system code, such as ENOTFOUND.',
    suggestions: [
      {
        title: 'Run diagnose',
        detail:
          'GET /v1/credentials/{id}/diagnose checks DNS, TCP and TLS to the upstream one by one and names the step that fails.',
      },
      {
        title: 'Check the address',
        detail:
          "ENOTFOUND means the host name does not resolve: check the credential's baseUrl for typos. ECONNREFUSED means nothing listens on that port.",
      },
      {
        title: 'Check outbound access',
        detail:
          'The Toolplane server needs outbound access to the upstream: check the firewall and proxy of the machine it runs on.',
      },
    ],
  },
  credential_expired: {
    title: 'Credential expired',
    message: 'The credential expired or was revoked at the provider, and refreshing it failed.',
    suggestions: [
      {
        title: 'Reconnect the credential',
        detail:
          'Open Credentials, select it and reconnect; OAuth credentials need the user to sign in again (POST /v1/oauth/{tool}/authorize starts the flow). Other credentials need new secrets.',
      },
      {
        title: 'Run diagnose',
        detail: 'GET /v1/credentials/{id}/diagnose lists which check fails.',
      },
    ],
  },
  transform_error: {
    title: 'Transformation failed',
    message:
      'The input or output transformation (a JSONata expression) is invalid, failed on this data, or broke a limit. The message names the character position in the expression.',
    suggestions: [
      {
        title: 'Try the expression on try.jsonata.org',
        detail:
          "Paste the expression and the data it ran on (the execution's input, or the action's output) into https://try.jsonata.org; misspelt function or field names and values of the wrong type are the usual causes.",
      },
      {
        title: 'Stay within the limits',
        detail:
          'A transformation may run for 1 s and produce 1 MB of JSON; an input transformation must produce something.',
      },
    ],
  },
  cancelled: {
    title: 'Cancelled',
    message:
      'The execution was cancelled before it finished, by POST /v1/executions/{id}/cancel or with its batch.',
    suggestions: [
      {
        title: 'Run it again',
        detail: 'POST /v1/executions/{id}/retry starts a new execution linked to this one.',
      },
      {
        title: 'Check what already happened',
        detail:
          'A call cancelled while in flight may have reached the upstream: check before running an action that creates or sends something again.',
      },
    ],
  },
  internal_error: {
    title: 'Internal error',
    message:
      "Something failed inside Toolplane or the tool's plugin. No details are shown; they are in the server logs.",
    suggestions: [
      {
        title: 'Report it with the correlation id',
        detail:
          "Send the execution's correlationId to your Toolplane operator; it finds the cause in the logs, which carry the same id.",
      },
      {
        title: 'Retry the execution',
        detail:
          'If the failure was temporary, POST /v1/executions/{id}/retry runs it again as a new execution.',
      },
    ],
  },
}

/**
 * Every execution error class with its retry default, title, meaning and recovery suggestions.
 *
 * @example
 * errorClassInfo.credential_expired.suggestions[0].title // 'Reconnect the credential'
 */
export const errorClassInfo: Readonly<Record<ErrorClass, ErrorClassInfo>> = Object.freeze(
  Object.fromEntries(
    ERROR_CLASSES.map((errorClass) => [
      errorClass,
      Object.freeze({ retryable: isRetryableByDefault(errorClass), ...catalogue[errorClass] }),
    ]),
  ) as Record<ErrorClass, ErrorClassInfo>,
)

/** An execution record's `error` member (SPEC §4, execution). */
export interface ExecutionErrorRecord {
  class: ErrorClass
  message: string
  retryable: boolean
  retryAfterMs?: number
  httpStatus?: number
  suggestions: Suggestion[]
}

/**
 * The `error` member of an execution record: the error's own message and retry verdict, its own
 * suggestions (a tool knows its provider best) followed by its class's, without repeating a title.
 * Never the cause or the stack.
 *
 * @example
 * describeError(new ActionError('rate_limited', 'GitHub rate limit reached', { retryAfterMs: 60_000 }))
 * // { class: 'rate_limited', message: 'GitHub rate limit reached', retryable: true, retryAfterMs: 60000,
 * //   suggestions: [{ title: 'Wait and retry', … }, { title: 'Lower the batch concurrency', … }, …] }
 */
export function describeError(error: ActionError): ExecutionErrorRecord {
  const seen = new Set<string>()
  const suggestions: Suggestion[] = []
  for (const { title, detail } of [...error.suggestions, ...errorClassInfo[error.class].suggestions]) {
    const key = title.trim().toLowerCase()
    if (seen.has(key)) continue
    seen.add(key)
    suggestions.push({ title, detail })
  }
  return {
    class: error.class,
    message: error.message,
    retryable: error.retryable,
    ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }),
    ...(error.httpStatus === undefined ? {} : { httpStatus: error.httpStatus }),
    suggestions,
  }
}

/** One row of {@link errorClassTable}. */
export interface ErrorClassRow extends ErrorClassInfo {
  readonly class: ErrorClass
}

/**
 * The catalogue as rows in the specification's order, for generated documentation and the UI.
 *
 * @example
 * errorClassTable().map((row) => `| ${row.class} | ${row.retryable ? 'yes' : 'no'} | ${row.message} |`)
 */
export function errorClassTable(): ErrorClassRow[] {
  return ERROR_CLASSES.map((errorClass) => ({ class: errorClass, ...errorClassInfo[errorClass] }))
}
