/**
 * Runs an action the way the execution engine does, minus the engine: validate the input, pick the
 * credential's auth method, build the context, run under the action's time limit, validate the
 * output. Plugin authors use it in their tests; the engine can use it for the call itself.
 */
import { performance } from 'node:perf_hooks'
import type { Static } from 'typebox'
import type { AuthMethod } from './auth.js'
import type { NetworkPolicy } from './network.js'
import { checkSecrets } from './auth.js'
import { AbortedError, ActionError, TimeoutError, ValidationError, toActionError } from './errors.js'
import type { ErrorClass } from './errors.js'
import { createHttpClient } from './http.js'
import type { HttpExchange } from './http.js'
import type { Resolver } from './network.js'
import { DEFAULT_TIMEOUT_MS } from './tool.js'
import type { ActionLog, CredentialView, Tool, ToolContext } from './tool.js'
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
  const action = tool.actions.find((candidate) => candidate.name === actionName)
  if (action === undefined) {
    throw new ActionError('validation_error', `Tool "${tool.slug}" has no action "${actionName}"`)
  }
  const input = validate(action.input, options.input)
  if (!input.ok) throw new ValidationError('input', input.errors, `input for ${tool.slug}.${action.name}`)
  const timeoutMs = options.timeoutMs ?? action.timeoutMs
  const output = await withinLimits(
    options.signal,
    timeoutMs,
    `${tool.slug}.${action.name}`,
    async (signal) => action.run({ ...context(tool, options, signal), input: input.value }),
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

function context(tool: Tool, options: RunContextOptions, signal: AbortSignal): ToolContext {
  const { method, credential } = credentialFor(tool, options.credential)
  const baseUrl = options.baseUrl ?? tool.baseUrl
  const http = createHttpClient({
    baseUrl,
    // The secrets were checked against the method's fields when the credential was picked.
    authorize: (request) => {
      method.apply(request, credential.secrets)
    },
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
  }
  return { credential, http, signal, baseUrl, log: options.log ?? silentLog, network }
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
  const onAbort = (): void => {
    controller.abort(new AbortedError(`${what} was cancelled`, { cause: outer?.reason }))
  }
  outer?.addEventListener('abort', onAbort, { once: true })
  const timer = setTimeout(() => {
    controller.abort(new TimeoutError(timeoutMs, what))
  }, timeoutMs)
  const stopped = new Promise<never>((_, reject) => {
    controller.signal.addEventListener(
      'abort',
      () => {
        reject(controller.signal.reason as Error)
      },
      { once: true },
    )
  })
  try {
    return await Promise.race([work(controller.signal), stopped])
  } catch (error) {
    if (controller.signal.aborted) throw controller.signal.reason as Error
    throw error
  } finally {
    clearTimeout(timer)
    outer?.removeEventListener('abort', onAbort)
  }
}
