/**
 * Runs an action the way the execution engine does, minus the engine: validate the input, pick the
 * credential's auth method, build the context, run under the action's time limit, validate the
 * output. Plugin authors use it in their tests; the engine can use it for the call itself.
 */
import { performance } from 'node:perf_hooks'
import type { Static } from 'typebox'
import type { AuthMethod, OutgoingRequest } from './auth.js'
import type { NetworkPolicy } from './network.js'
import { checkSecrets } from './auth.js'
import { AbortedError, ActionError, TimeoutError, ValidationError, toActionError } from './errors.js'
import type { ErrorClass } from './errors.js'
import { createHttpClient } from './http.js'
import type { HttpExchange, PreviewRequest } from './http.js'
import type { Resolver } from './network.js'
import { MASKED, maskSecrets, secretValues } from './secrets.js'
import { DEFAULT_TIMEOUT_MS } from './tool.js'
import type { Action, ActionLog, CredentialView, Tool, ToolContext } from './tool.js'
import { validate } from './validation.js'

/** What both runners take. */
export interface RunContextOptions {
  /** Required unless the tool accepts `auth.none()`. */
  credential?: CredentialView
  /** Overrides the tool's base URL (an enterprise install, a test server). */
  baseUrl?: string
  allowPrivateNetwork?: boolean
  /** CIDR ranges reachable although private; see `NetworkPolicy`. */
  allowedPrivateRanges?: readonly string[]
  resolver?: Resolver
  /** Cancels the run. */
  signal?: AbortSignal
  /** Overrides the action's own time limit. */
  timeoutMs?: number
  maxResponseBytes?: number
  /** W3C trace context of the calling span, propagated to every upstream call. */
  traceparent?: string
  tracestate?: string
  /** Defaults to a log that discards everything. */
  log?: ActionLog
  onExchange?: (exchange: HttpExchange) => void
}

/** What `runAction` takes. */
export interface RunActionOptions extends RunContextOptions {
  input: unknown
  /**
   * The input was validated against this action's schema already, defaults filled in (the engine
   * does so when a run is submitted): it is used as given, not validated a second time.
   */
  inputValidated?: boolean
}

/** What `runAction` returns. */
export interface RunResult<O = unknown> {
  output: O
  durationMs: number
}

type ActionOf<T extends Tool, N extends string> = Extract<T['actions'][number], { name: N }>

/**
 * Runs one action of a tool: validates the input (throwing a `ValidationError` with per-field errors),
 * builds the context, runs the action under its time limit, validates the output.
 *
 * @example
 * const { output } = await runAction(github, 'create_issue', {
 *   input: { owner: 'acme', repo: 'site', title: 'Broken link' },
 *   credential: { authMethod: 'bearer', secrets: { token: 'test-token' } },
 *   baseUrl: upstream.url,
 *   allowPrivateNetwork: true,
 * })
 */
export async function runAction<T extends Tool, N extends T['actions'][number]['name']>(
  tool: T,
  actionName: N,
  options: RunActionOptions,
): Promise<RunResult<Static<ActionOf<T, N>['output']>>> {
  const started = performance.now()
  const { action, input } =
    options.inputValidated === true
      ? { action: actionNamed(tool, actionName), input: options.input }
      : actionWithInput(tool, actionName, options.input)
  const timeoutMs = options.timeoutMs ?? action.timeoutMs
  const output = await withinLimits(
    options.signal,
    timeoutMs,
    `${tool.slug}.${action.name}`,
    async (signal) => action.run({ ...context(tool, options, signal), input }),
  )
  const checked = validate(action.output, output)
  if (!checked.ok) {
    throw new ValidationError('output', checked.errors, `output of ${tool.slug}.${action.name}`)
  }
  return {
    output: checked.value as Static<ActionOf<T, N>['output']>,
    durationMs: performance.now() - started,
  }
}

/** What `previewAction` returns. */
export interface ActionPreview {
  /**
   * The first request the action would send, secrets masked; empty when it sends none over HTTP. Only
   * the first: what an action does next (another call, a redirect) depends on a response there is not.
   */
  requests: PreviewRequest[]
  /** Why there is nothing to show, or what the preview left out. */
  note?: string
}

/** The part of a request body a preview shows: 64 KB. */
export const PREVIEW_BODY_BYTES = 64 * 1024

// Header values that are a credential whatever set them; the scheme stays readable.
const authorizationHeaders: ReadonlySet<string> = new Set(['authorization', 'proxy-authorization'])
// An auth-scheme is a token (RFC 9110 §11.1) followed by its credentials.
const authScheme = /^([A-Za-z][\w!#$%&'+.^`|~-]*) +\S/

// Thrown into the action where it would have sent something. previewAction knows it stopped the run
// from its own record of what was captured, so the action catching or wrapping this changes nothing.
class DryRunStop extends ActionError {
  override name = 'DryRunStop'

  constructor() {
    super('cancelled', 'A dry run stops before anything is sent', { requestSent: false, retryable: false })
  }
}

/**
 * A dry run: validates the input (throwing a `ValidationError` like `runAction`), builds the same
 * context with the same credential, and runs the action until it would send its first HTTP request —
 * which is returned instead of sent, with every credential secret and secret input masked (`****`;
 * `authorization` keeps its scheme, `Bearer ****`). Nothing is resolved and no connection is opened:
 * an action that connects without HTTP (a database, SMTP) is stopped before it does and previews as
 * `requests: []` with a note. Anything the action throws before that is thrown as `runAction` would.
 *
 * @example
 * const { requests } = await previewAction(http, 'request', {
 *   input: { method: 'POST', url: 'https://api.example.com/v1/contacts', body: { name: 'Ada' } },
 *   credential: { authMethod: 'bearer', secrets: { token: 'ghp_live_token' } },
 * })
 * requests[0].headers.authorization // 'Bearer ****'
 */
export async function previewAction<T extends Tool>(
  tool: T,
  actionName: T['actions'][number]['name'],
  options: RunActionOptions,
): Promise<ActionPreview> {
  const { action, input } = actionWithInput(tool, actionName, options.input)
  const what = `${tool.slug}.${action.name}`
  const stop = new AbortController()
  const stopped: { request: PreviewRequest | undefined; connecting: boolean } = {
    request: undefined,
    connecting: false,
  }
  const dryRun: DryRun = {
    credentialHeaders: new Set(),
    credentialParams: new Set(),
    capture(request) {
      stopped.request ??= request
      stop.abort()
      throw new DryRunStop()
    },
    beforeConnect() {
      stopped.connecting = true
      stop.abort()
      throw new DryRunStop()
    },
  }
  // Aborting the run's signal as well stops an action that catches DryRunStop and carries on.
  const outer = options.signal === undefined ? stop.signal : AbortSignal.any([options.signal, stop.signal])
  try {
    await withinLimits(outer, options.timeoutMs ?? action.timeoutMs, what, async (signal) =>
      action.run({ ...context(tool, options, signal, dryRun), input }),
    )
  } catch (error) {
    if (stopped.request === undefined && !stopped.connecting) throw error
  }
  if (stopped.request === undefined) {
    return { requests: [], note: `${what} does not make HTTP requests, so there is nothing to preview` }
  }
  const secrets = [options.credential?.secrets, secretValues(action.input, input)]
  const { request, note } = masked(stopped.request, secrets, dryRun)
  return note === undefined ? { requests: [request] } : { requests: [request], note }
}

/** What `runHealthCheck` returns; a failed check is a result, not an exception. */
export type HealthCheckResult =
  | {
      ok: true
      checked: boolean
      durationMs: number
      /** What a passing check said, if anything. */ detail?: string
    }
  | { ok: false; checked: true; detail: string; errorClass: ErrorClass; durationMs: number }

/**
 * Runs the tool's health check with a credential. `checked` is `false` when the tool has none.
 *
 * @example
 * const health = await runHealthCheck(github, { credential, baseUrl: upstream.url, allowPrivateNetwork: true })
 * if (!health.ok) console.log(health.errorClass, health.detail)
 */
export async function runHealthCheck(
  tool: Tool,
  options: RunContextOptions = {},
): Promise<HealthCheckResult> {
  const started = performance.now()
  const elapsed = (): number => performance.now() - started
  const { healthCheck } = tool
  if (healthCheck === undefined) return { ok: true, checked: false, durationMs: elapsed() }
  try {
    const outcome = await withinLimits(
      options.signal,
      options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      `${tool.slug} health check`,
      async (signal) => healthCheck(context(tool, options, signal)),
    )
    if (outcome !== undefined && !outcome.ok) {
      return {
        ok: false,
        checked: true,
        detail: outcome.detail ?? 'The health check failed',
        errorClass: 'auth_error',
        durationMs: elapsed(),
      }
    }
    const detail = outcome?.detail
    return detail === undefined
      ? { ok: true, checked: true, durationMs: elapsed() }
      : { ok: true, checked: true, detail, durationMs: elapsed() }
  } catch (error) {
    const failure = toActionError(error)
    return {
      ok: false,
      checked: true,
      detail: failure.message,
      errorClass: failure.class,
      durationMs: elapsed(),
    }
  }
}

const silentLog: ActionLog = {
  debug() {
    // Discarded.
  },
  info() {
    // Discarded.
  },
  warn() {
    // Discarded.
  },
  error() {
    // Discarded.
  },
}

function actionNamed(tool: Tool, actionName: string): Action {
  const action = tool.actions.find((candidate) => candidate.name === actionName)
  if (action === undefined) {
    throw new ActionError('validation_error', `Tool "${tool.slug}" has no action "${actionName}"`)
  }
  return action
}

function actionWithInput(tool: Tool, actionName: string, given: unknown): { action: Action; input: unknown } {
  const action = actionNamed(tool, actionName)
  const input = validate(action.input, given)
  if (!input.ok) throw new ValidationError('input', input.errors, `input for ${tool.slug}.${action.name}`)
  return { action, input: input.value }
}

// How a dry run's context differs: the client captures instead of sending, other connections stop
// before they resolve anything, and what the credential put on the request is noted for masking.
interface DryRun {
  capture: (request: PreviewRequest) => never
  beforeConnect: (hostname: string) => never
  credentialHeaders: Set<string>
  credentialParams: Set<string>
}

function context(tool: Tool, options: RunContextOptions, signal: AbortSignal, dryRun?: DryRun): ToolContext {
  const { method, credential } = credentialFor(tool, options.credential)
  const baseUrl = options.baseUrl ?? tool.baseUrl
  // The secrets were checked against the method's fields when the credential was picked.
  const apply = (request: OutgoingRequest): void => {
    method.apply(request, credential.secrets)
  }
  const http = createHttpClient({
    baseUrl,
    authorize: dryRun === undefined ? apply : noting(apply, dryRun),
    ...(dryRun === undefined ? {} : { capture: dryRun.capture }),
    signal,
    allowPrivateNetwork: options.allowPrivateNetwork,
    allowedPrivateRanges: options.allowedPrivateRanges,
    resolver: options.resolver,
    maxResponseBytes: options.maxResponseBytes,
    traceparent: options.traceparent,
    tracestate: options.tracestate,
    onExchange: options.onExchange,
  })

  const network: NetworkPolicy = {
    ...(options.allowPrivateNetwork === undefined
      ? {}
      : { allowPrivateNetwork: options.allowPrivateNetwork }),
    ...(options.allowedPrivateRanges === undefined
      ? {}
      : { allowedPrivateRanges: options.allowedPrivateRanges }),
    ...(options.resolver === undefined ? {} : { resolver: options.resolver }),
    ...(dryRun === undefined ? {} : { beforeConnect: dryRun.beforeConnect }),
  }
  return { credential, http, signal, baseUrl, log: options.log ?? silentLog, network }
}

// Applies the credential and notes which headers and query parameters it set or changed: those are
// masked whole in a preview, even when they carry something derived from a secret (a signature).
function noting(apply: (request: OutgoingRequest) => void, dryRun: DryRun) {
  return (request: OutgoingRequest): void => {
    const headers = { ...request.headers }
    const query = new URLSearchParams(request.url.search)
    apply(request)
    for (const [name, value] of Object.entries(request.headers)) {
      if (headers[name] !== value) dryRun.credentialHeaders.add(name)
    }
    for (const name of new Set(request.url.searchParams.keys())) {
      const before = query.getAll(name)
      const after = request.url.searchParams.getAll(name)
      if (before.length !== after.length || before.some((value, index) => value !== after[index])) {
        dryRun.credentialParams.add(name)
      }
    }
  }
}

function masked(
  captured: PreviewRequest,
  secrets: unknown,
  dryRun: DryRun,
): { request: PreviewRequest; note?: string } {
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(captured.headers)) {
    if (authorizationHeaders.has(name)) {
      // Masking the secrets first means a value that is one (`p@ss word`) cannot show a "scheme".
      const scheme = authScheme.exec(maskSecrets(value, secrets))?.[1]
      headers[name] = scheme === undefined ? MASKED : `${scheme} ${MASKED}`
    } else if (name === 'cookie') {
      headers[name] = value
        .split(';')
        .map((pair) => `${pair.replace(/=[\s\S]*$/, '').trim()}=${MASKED}`)
        .join('; ')
    } else {
      headers[name] = dryRun.credentialHeaders.has(name) ? MASKED : maskSecrets(value, secrets)
    }
  }
  const request: PreviewRequest = {
    method: captured.method,
    url: maskSecrets(maskedQuery(captured.url, dryRun.credentialParams), secrets),
    headers,
  }
  if (captured.body === undefined) return { request }
  const body = maskSecrets(captured.body, secrets)
  const bytes = Buffer.from(body, 'utf8')
  if (bytes.length <= PREVIEW_BODY_BYTES) return { request: { ...request, body } }
  // `stream` keeps a character cut in half at the limit out, instead of decoding it as U+FFFD.
  const shown = new TextDecoder().decode(bytes.subarray(0, PREVIEW_BODY_BYTES), { stream: true })
  return {
    request: { ...request, body: shown },
    note: `The body is ${bytes.length} bytes; the preview shows the first ${PREVIEW_BODY_BYTES}`,
  }
}

// Masks the values of the named query parameters, leaving the rest of the URL as it was written.
function maskedQuery(url: string, names: ReadonlySet<string>): string {
  const parsed = new URL(url)
  if (names.size === 0 || parsed.search === '') return url
  parsed.search = parsed.search
    .slice(1)
    .split('&')
    .map((pair) =>
      [...new URLSearchParams(pair).keys()].some((name) => names.has(name))
        ? `${pair.replace(/=[\s\S]*$/, '')}=${MASKED}`
        : pair,
    )
    .join('&')
  return parsed.href
}

function credentialFor(
  tool: Tool,
  given: CredentialView | undefined,
): { method: AuthMethod; credential: CredentialView } {
  if (given === undefined) {
    const none = tool.authMethods.find((method) => method.kind === 'none')
    if (none === undefined) {
      const accepted = tool.authMethods.map((method) => method.id).join(', ')
      throw new ActionError('auth_error', `Tool "${tool.slug}" needs a credential (${accepted})`, {
        requestSent: false,
      })
    }
    return { method: none, credential: { authMethod: none.id, secrets: {} } }
  }
  const method = tool.authMethods.find((candidate) => candidate.id === given.authMethod)
  if (method === undefined) {
    throw new ActionError('auth_error', `Tool "${tool.slug}" has no auth method "${given.authMethod}"`, {
      requestSent: false,
    })
  }
  checkSecrets(method, given.secrets)
  return { method, credential: given }
}

// Runs `work` with a signal that fires on the time limit or the caller's cancellation, and stops
// waiting at that moment even if `work` ignores the signal.
async function withinLimits<R>(
  outer: AbortSignal | undefined,
  timeoutMs: number,
  what: string,
  work: (signal: AbortSignal) => Promise<R>,
): Promise<R> {
  if (outer?.aborted === true) throw new AbortedError(`${what} was cancelled`, { cause: outer.reason })
  const controller = new AbortController()
  // Only these two abort the controller, so they stop the wait themselves (a listener on the signal
  // would cost a little on every run).
  let stop: (reason: Error) => void = () => undefined
  const abort = (reason: Error): void => {
    controller.abort(reason)
    stop(reason)
  }
  const onAbort = (): void => {
    abort(new AbortedError(`${what} was cancelled`, { cause: outer?.reason }))
  }
  outer?.addEventListener('abort', onAbort, { once: true })
  const timer = setTimeout(() => {
    abort(new TimeoutError(timeoutMs, what))
  }, timeoutMs)
  try {
    // Whichever comes first: the work's end, or a stop (one promise, where a race of two costs three).
    return await new Promise<R>((resolve, reject) => {
      stop = reject
      work(controller.signal).then(resolve, reject)
    })
  } catch (error) {
    if (controller.signal.aborted) throw controller.signal.reason as Error
    throw error
  } finally {
    clearTimeout(timer)
    outer?.removeEventListener('abort', onAbort)
  }
}
