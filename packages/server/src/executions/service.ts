/**
 * The execution engine (SPEC §5): validate → input transformation → credential (refreshed when it
 * expires soon) → call under a time limit → classify → retry when retryable → output transformation
 * → record → events. Sync executions run in the request; async ones are a job on the queue, run by
 * whichever worker claims it. See README.md for the invariants.
 */
import { createHash } from 'node:crypto'
import { setMaxListeners } from 'node:events'
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import {
  AbortedError,
  ActionError,
  ValidationError,
  isIdempotent,
  previewAction,
  redactSecrets,
  runAction,
  secretPaths,
  toActionError,
  validate,
} from '@toolplane/sdk'
import type { Action, ActionLog, HttpExchange, Resolver, Tool } from '@toolplane/sdk'
import type { FastifyBaseLogger } from 'fastify'
import { v7 as uuidv7 } from 'uuid'
import { openSecrets, parseEnvelope, sealSecrets, serializeEnvelope } from '../credentials/envelope.js'
import type { Keyring } from '../credentials/keyring.js'
import type { OAuthConnections } from '../credentials/oauth-connections.js'
import type { CredentialService } from '../credentials/service.js'
import { toPage } from '../db/pagination.js'
import type { Page, PageRequest } from '../db/pagination.js'
import { AppError } from '../errors.js'
import type { FieldError } from '../errors.js'
import type { EventBus } from '../infra/events.js'
import type { Job, JobContext, JobQueue } from '../infra/queue.js'
import { RescheduleJob } from '../infra/queue.js'
import type { RateLimitMetrics } from '../ratelimit/metrics.js'
import type { UpstreamLimits, UpstreamTarget } from '../ratelimit/upstream.js'
import type { ToolCatalog } from '../tools/service.js'
import { quotaExceeded } from '../usage/service.js'
import type { UsageService } from '../usage/service.js'
import { CircuitOpenError, createCircuitBreakers } from './circuit-breaker.js'
import { describeError } from './error-classes.js'
import type { ExecutionMetrics } from './metrics.js'
import { retryDelayMs, shouldRetry } from './retry.js'
import type { ExecutionFilter, ExecutionRow, ExecutionStore } from './store.js'
import { TransformError, transformFor } from './transform.js'
import { executionSummary, executionView, searchTextOf } from './view.js'
import type { ParsedColumns } from './view.js'
import type { AttemptRecord, ExecutionView } from './view.js'

export const executionStatuses = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const
export type ExecutionStatus = (typeof executionStatuses)[number]
const finalStatuses: ReadonlySet<string> = new Set(['succeeded', 'failed', 'cancelled'])

/** The job queue names the engine uses. */
export const executionQueue = 'executions'

/** An idempotency key is remembered this long (SPEC §5). */
export const idempotencyWindowMs = 24 * 3_600_000

/** A sync execution waits at most this long in all between attempts; a longer wait fails fast. */
export const syncRetryBudgetMs = 10_000
/** An async execution waits this long between attempts in its worker; longer waits go back to the queue. */
export const inlineRetryLimitMs = 2_000

/** Largest per-execution overrides a caller may ask for. */
export const maxTimeoutMs = 300_000
export const maxAttemptsLimit = 10

export interface TransformSpec {
  readonly input?: string
  readonly output?: string
}

/** `POST /v1/executions`, after schema validation. */
export interface ExecutionRequest {
  /** `tool.action`. */
  readonly action: string
  readonly credentialId?: string | null
  readonly input?: unknown
  readonly mode?: 'sync' | 'async'
  readonly transform?: TransformSpec
  readonly dryRun?: boolean
  readonly timeoutMs?: number
  readonly maxAttempts?: number
}

/** Per-execution overrides, stored with the row so a worker (or a retry) runs it the same way. */
interface RunOptions {
  timeoutMs?: number
  maxAttempts?: number
  /** A batch item's input transformation runs when the item runs, with `$items` bound. */
  deferredInputTransform?: boolean
}

/** What `submit` answers. */
export type SubmitResult =
  | { kind: 'execution'; execution: ExecutionView; replayed: boolean }
  | { kind: 'dry_run'; preview: DryRunPreview }

export interface DryRunPreview {
  readonly dryRun: true
  readonly action: string
  readonly credentialId: string | null
  /** The input after the transformation and validation, secrets redacted. */
  readonly input: unknown
  /** The requests the action would send, secrets masked; empty for actions that send no HTTP. */
  readonly requests: readonly {
    method: string
    url: string
    headers: Record<string, string>
    body?: string | undefined
  }[]
  readonly note?: string
}

/** How a run ended, before it is recorded. */
type Outcome =
  | { kind: 'succeeded'; output: unknown }
  | { kind: 'failed'; error: ActionError }
  | { kind: 'cancelled'; error: ActionError }
  | { kind: 'reschedule'; delayMs: number }
  | { kind: 'interrupted' }

/** How long a run may wait between attempts, and whether it can go back to the queue instead. */
interface RunBudget {
  readonly maxInlineWaitMs: number
  readonly totalWaitMs: number
  readonly canReschedule: boolean
  /** False for a sync run: its row is written once, when it ends. */
  readonly stored: boolean
  /** A sync run does not wait for an upstream's rate limit: it fails with `rate_limited` and the time to retry. */
  readonly failFastWhenLimited: boolean
}

/** Thrown out of a job handler when the worker shuts down mid-run: the queue hands the job back. */
class Interrupted extends Error {
  override name = 'Interrupted'
}

export interface ExecutionDeps {
  readonly store: ExecutionStore
  readonly catalog: ToolCatalog
  readonly credentials: CredentialService
  readonly connections: OAuthConnections
  readonly keyring: Keyring
  readonly queue: JobQueue
  readonly events: EventBus
  readonly metrics: ExecutionMetrics
  /** The limits towards the APIs actions call (plugin-declared and provider-announced). */
  readonly upstream: UpstreamLimits
  /** Counts refusals of every limit (`toolplane_rate_limited_total`). */
  readonly rateLimited: RateLimitMetrics
  /** The workspace's monthly execution quota: every execution is admitted against it. */
  readonly quota: Pick<UsageService, 'admit' | 'release'>
  readonly clock: () => number
  readonly log: FastifyBaseLogger
  readonly network: { readonly allowPrivateNetwork: boolean; readonly resolver?: Resolver }
  /** Delays between attempts; tests shrink them. */
  readonly retryBaseMs?: number
  /** Randomness of the back-off; tests pin it. */
  readonly random?: () => number
}

const secretPathsOf = new WeakMap<object, boolean>()

/** Whether a schema marks any field secret (cached per schema). */
function hasSecret(schema: object): boolean {
  let known = secretPathsOf.get(schema)
  if (known === undefined) {
    known = secretPaths(schema).length > 0
    secretPathsOf.set(schema, known)
  }
  return known
}

function hasSecretInput(action: Action): boolean {
  return hasSecret(action.input)
}

/** A stable hash of a request body: the same JSON with keys in any order hashes the same. */
export function requestHash(body: unknown): string {
  return createHash('sha256').update(canonicalJson(body)).digest('hex')
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`
  }
  const text = JSON.stringify(value) as string | undefined
  return text ?? 'null'
}

function fieldErrorsOf(error: ValidationError, prefix: string): FieldError[] {
  return error.errors.map((e) => ({ path: `${prefix}${e.path}`, message: e.message }))
}

// A function, so the compiler does not assume the signal kept the state it had before an await.
/** Attempts in all, whatever refused them, before an execution gives up on a provider's rate limit. */
export const rateLimitedAttemptsLimit = 20

/**
 * The attempt number `shouldRetry` weighs. A refusal that came with the provider's time to wait
 * (429 with `Retry-After`) is the provider's pacing, not a failure of the call: it does not use up
 * one of `maxAttempts` (unless the caller asked for a single attempt), up to
 * {@link rateLimitedAttemptsLimit} attempts in all.
 */
function countedAttempt(
  attempts: readonly AttemptRecord[],
  error: ActionError,
  number: number,
  maxAttempts: number,
): number {
  if (error.class !== 'rate_limited' || error.retryAfterMs === undefined || maxAttempts <= 1) return number
  if (number >= rateLimitedAttemptsLimit) return maxAttempts
  const failures = attempts.filter((attempt) => attempt.errorClass !== 'rate_limited').length
  return Math.max(1, Math.min(failures, maxAttempts - 1))
}

/** The origin an input's `url` names, for tools that call whatever URL they are given (`http`). */
function originOf(input: Record<string, unknown>): string | null {
  const url = input.url
  if (typeof url !== 'string') return null
  try {
    return new URL(url).origin
  } catch {
    return null
  }
}

function isAborted(signal: AbortSignal): boolean {
  return signal.aborted
}

function abortable(ms: number, signal: AbortSignal): Promise<void> {
  return sleep(ms, undefined, { signal }).catch(() => undefined)
}

/**
 * The execution engine.
 *
 * @example
 * const engine = executionService(deps)
 * const result = await engine.submit(workspaceId, { action: 'http.request', input, mode: 'sync' }, { correlationId })
 */
export function executionService(deps: ExecutionDeps) {
  const { store, catalog, credentials, connections, keyring, queue, events, metrics, clock, log } = deps
  const breakers = createCircuitBreakers({ clock })
  /**
   * The JSON columns of rows this node just built, as values: the view answered to a sync run and
   * the events it publishes are made from these instead of parsing back what was just serialized.
   */
  const parsedOf = new WeakMap<ExecutionRow, ParsedColumns>()
  /** Runs on this node, so a cancellation (from any node) can abort the upstream call. */
  const running = new Map<string, { controller: AbortController; workspaceId: string }>()
  const abortRun = (workspaceId: string, id: string) => {
    const run = running.get(id)
    if (run?.workspaceId === workspaceId)
      run.controller.abort(new AbortedError('The execution was cancelled'))
  }
  const unsubscribeCancel = events.subscribe({ types: ['execution.cancel_requested'] }, (event) => {
    const id = (event.data as { id?: unknown }).id
    if (typeof id === 'string') abortRun(event.workspaceId, id)
  })

  async function resolveAction(
    workspaceId: string,
    name: string,
  ): Promise<{ tool: Tool; action: Action; toolSlug: string; actionName: string }> {
    const dot = name.indexOf('.')
    const invalid = (message: string) =>
      new AppError('validation_error', message, { errors: [{ path: '/action', message }] })
    if (dot <= 0 || dot === name.length - 1) {
      throw invalid(`"${name}" is not an action name; write it tool.action, such as http.request`)
    }
    const toolSlug = name.slice(0, dot)
    const actionName = name.slice(dot + 1)
    let tool: Tool
    try {
      tool = (await catalog.get(workspaceId, toolSlug)).tool
    } catch (error) {
      if (error instanceof AppError && error.code === 'not_found') {
        throw invalid(`There is no tool "${toolSlug}"; GET /v1/tools lists them`)
      }
      throw error
    }
    const action = tool.actions.find((a) => a.name === actionName)
    if (action === undefined) {
      throw invalid(
        `The tool "${toolSlug}" has no action "${actionName}"; GET /v1/tools/${toolSlug} lists them`,
      )
    }
    return { tool, action, toolSlug, actionName }
  }

  async function checkCredential(workspaceId: string, tool: Tool, credentialId: string | null | undefined) {
    if (credentialId === null || credentialId === undefined) {
      if (!tool.authMethods.some((m) => m.kind === 'none')) {
        const message = `The tool "${tool.slug}" needs a credential; pass credentialId`
        throw new AppError('validation_error', message, { errors: [{ path: '/credentialId', message }] })
      }
      return null
    }
    const credential = await credentials.get(workspaceId, credentialId)
    if (credential.tool !== tool.slug) {
      const message = `The credential ${credentialId} is for the tool "${credential.tool}", not "${tool.slug}"`
      throw new AppError('validation_error', message, { errors: [{ path: '/credentialId', message }] })
    }
    return credential
  }

  function compileTransforms(spec: TransformSpec | undefined): void {
    for (const where of ['input', 'output'] as const) {
      const expression = spec?.[where]
      if (expression === undefined) continue
      try {
        transformFor(expression, where)
      } catch (error) {
        if (!(error instanceof TransformError)) throw error
        throw new AppError('validation_error', error.message, {
          errors: [{ path: `/transform/${where}`, message: error.message }],
        })
      }
    }
  }

  /** Applies the input transformation (if any) and validates the result against the action's schema. */
  async function prepareInput(
    action: Action,
    raw: unknown,
    transform: TransformSpec | undefined,
    bindings: Record<string, unknown>,
  ): Promise<Record<string, unknown>> {
    let input: unknown = raw ?? {}
    if (transform?.input !== undefined) {
      input = await transformFor(transform.input, 'input').evaluate(input, bindings)
    }
    const checked = validate(action.input, input)
    if (!checked.ok) throw new ValidationError('input', checked.errors, 'input')
    return checked.value as Record<string, unknown>
  }

  function shownInput(action: Action, input: unknown): unknown {
    return hasSecretInput(action) ? redactSecrets(action.input, input) : input
  }

  function sealInput(
    action: Action,
    workspaceId: string,
    executionId: string,
    input: Record<string, unknown>,
  ): string | null {
    if (!hasSecretInput(action)) return null
    return serializeEnvelope(sealSecrets(input, { workspaceId, credentialId: executionId }, keyring))
  }

  function inputOf(row: ExecutionRow): Record<string, unknown> {
    if (row.input_sealed !== null) {
      return openSecrets(
        parseEnvelope(row.input_sealed),
        { workspaceId: row.workspace_id, credentialId: row.id },
        keyring,
      )
    }
    return JSON.parse(row.input) as Record<string, unknown>
  }

  function optionsOf(row: ExecutionRow): RunOptions {
    return row.options === null ? {} : (JSON.parse(row.options) as RunOptions)
  }

  function transformOf(row: ExecutionRow): TransformSpec | undefined {
    return row.transform === null ? undefined : (JSON.parse(row.transform) as TransformSpec)
  }

  function actionLog(row: ExecutionRow): ActionLog {
    let child: FastifyBaseLogger | undefined
    const logger = () =>
      (child ??= log.child({
        executionId: row.id,
        correlationId: row.correlation_id,
        action: `${row.tool}.${row.action}`,
      }))
    return {
      debug: (message, fields) => {
        logger().debug(fields ?? {}, message)
      },
      info: (message, fields) => {
        logger().info(fields ?? {}, message)
      },
      warn: (message, fields) => {
        logger().warn(fields ?? {}, message)
      },
      error: (message, fields) => {
        logger().error(fields ?? {}, message)
      },
    }
  }

  /**
   * Counts executions against the workspace's monthly quota, all or none: `counts` maps each tool
   * to how many of its executions are about to be created.
   *
   * @throws AppError `quota_exceeded` (429, with `Retry-After` until the month ends) when they do not fit.
   */
  async function admitExecutions(workspaceId: string, counts: ReadonlyMap<string, number>): Promise<void> {
    const now = clock()
    const admitted: [string, number][] = []
    for (const [tool, count] of counts) {
      const admission = await deps.quota.admit(workspaceId, tool, count, now)
      if (admission.admitted) {
        admitted.push([tool, count])
        continue
      }
      for (const [done, n] of admitted) await deps.quota.release(workspaceId, done, n, now)
      deps.rateLimited.inc('quota')
      const total = [...counts.values()].reduce((sum, n) => sum + n, 0)
      throw quotaExceeded(admission, total, now)
    }
  }

  /** Records what the provider said about its limits; a failure to record never fails the run. */
  async function observeUpstream(target: UpstreamTarget, exchange: HttpExchange | undefined): Promise<void> {
    try {
      await deps.upstream.observe(target, exchange)
    } catch (error) {
      log.warn({ err: error, tool: target.tool.slug }, 'recording an upstream rate limit failed')
    }
  }

  /**
   * Calls the action, attempt after attempt, until it succeeds, fails for good, is cancelled, or has
   * to wait longer than this run may (`maxInlineWaitMs`). Every attempt is appended to `attempts`.
   */
  async function attemptRun(
    row: ExecutionRow,
    tool: Tool,
    action: Action,
    input: Record<string, unknown>,
    attempts: AttemptRecord[],
    signal: AbortSignal,
    budget: RunBudget,
    /** The input was validated against this action's schema by this run (not only when submitted). */
    inputValidated: boolean,
  ): Promise<Outcome> {
    const options = optionsOf(row)
    const maxAttempts = options.maxAttempts ?? action.retry.maxAttempts
    // Only a failure asks (it validates the input again).
    let idempotent: boolean | undefined
    const breakerKey = `${row.workspace_id}:${row.tool}:${row.credential_id ?? 'none'}`
    const target: UpstreamTarget = {
      workspaceId: row.workspace_id,
      tool,
      action: action.name,
      credentialId: row.credential_id,
      origin: originOf(input),
    }
    let waited = 0
    /** Waits `delayMs` here when the budget allows (null: go on); otherwise the outcome that ends this run. */
    const waitInline = async (delayMs: number, error: ActionError): Promise<Outcome | null> => {
      if (delayMs > budget.maxInlineWaitMs || waited + delayMs > budget.totalWaitMs) {
        return budget.canReschedule ? { kind: 'reschedule', delayMs } : { kind: 'failed', error }
      }
      waited += delayMs
      await abortable(delayMs, signal)
      if (!isAborted(signal)) return null
      return signal.reason instanceof Interrupted
        ? { kind: 'interrupted' }
        : { kind: 'cancelled', error: new AbortedError('The execution was cancelled') }
    }
    for (;;) {
      const admission = await deps.upstream.admit(target)
      if (!admission.allowed) {
        deps.rateLimited.inc('upstream')
        const error = new ActionError('rate_limited', `${admission.reason}; the call was not sent.`, {
          requestSent: false,
          retryAfterMs: admission.retryAfterMs,
        })
        if (budget.failFastWhenLimited) return { kind: 'failed', error }
        // Callers refused together come back spread over a little more than the wait.
        const delayMs = retryDelayMs(1, {
          baseMs: 1,
          retryAfterMs: admission.retryAfterMs,
          ...(deps.random === undefined ? {} : { random: deps.random }),
        })
        const ended = await waitInline(delayMs, error)
        if (ended !== null) return ended
        continue
      }
      const number = attempts.length + 1
      const startedAt = clock()
      const started = performance.now()
      let lastExchange: HttpExchange | undefined
      try {
        breakers.before(breakerKey)
        let credentialMethod = ''
        let baseUrl = tool.baseUrl
        const call = async (secrets: Record<string, unknown> | null) =>
          runAction(tool, action.name, {
            input,
            inputValidated,
            ...(secrets === null ? {} : { credential: { authMethod: credentialMethod, secrets } }),
            ...(baseUrl === undefined ? {} : { baseUrl }),
            allowPrivateNetwork: deps.network.allowPrivateNetwork,
            ...(deps.network.resolver === undefined ? {} : { resolver: deps.network.resolver }),
            signal,
            ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
            log: actionLog(row),
            onExchange: (exchange) => {
              lastExchange = exchange
            },
          })
        let result
        if (row.credential_id === null) {
          result = await call(null)
        } else {
          const credential = await credentials.get(row.workspace_id, row.credential_id)
          credentialMethod = credential.authMethod
          baseUrl = credential.baseUrl ?? tool.baseUrl
          result = await connections.useCredential(
            row.workspace_id,
            row.credential_id,
            call,
            (error) => toActionError(error).class,
          )
        }
        breakers.success(breakerKey)
        await observeUpstream(target, lastExchange)
        attempts.push({
          number,
          status: 'succeeded',
          httpStatus: lastExchange?.status ?? null,
          errorClass: null,
          startedAt,
          durationMs: Math.round(performance.now() - started),
        })
        metrics.attempts.inc({ tool: row.tool, action: row.action, outcome: 'succeeded' })
        return { kind: 'succeeded', output: result.output }
      } catch (thrown) {
        const error = refusedRefresh(thrown) ?? toActionError(thrown)
        // The breaker's own refusal is not an outcome of a call; a cancelled probe frees its slot.
        if (!(error instanceof CircuitOpenError)) breakers.failure(breakerKey, error.class)
        await observeUpstream(target, lastExchange)
        const attempt: AttemptRecord = {
          number,
          status: 'failed',
          httpStatus: error.httpStatus ?? lastExchange?.status ?? null,
          errorClass: error.class,
          startedAt,
          durationMs: Math.round(performance.now() - started),
          error: error.message,
        }
        metrics.attempts.inc({ tool: row.tool, action: row.action, outcome: error.class })
        if (signal.aborted) {
          attempts.push(attempt)
          return signal.reason instanceof Interrupted ? { kind: 'interrupted' } : { kind: 'cancelled', error }
        }
        idempotent ??= isIdempotent(action, input)
        if (
          !shouldRetry(error, {
            attempt: countedAttempt(attempts, error, number, maxAttempts),
            maxAttempts,
            idempotent,
          })
        ) {
          attempts.push(attempt)
          return { kind: 'failed', error }
        }
        const delayMs = retryDelayMs(number, {
          ...(deps.retryBaseMs === undefined ? {} : { baseMs: deps.retryBaseMs }),
          ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }),
          ...(deps.random === undefined ? {} : { random: deps.random }),
        })
        attempts.push({ ...attempt, retryInMs: delayMs })
        const ended = await waitInline(delayMs, error)
        if (ended !== null) return ended
      }
    }
  }

  /** A refused OAuth refresh is an AppError from the credentials domain; the record shows it as a class. */
  function refusedRefresh(error: unknown): ActionError | undefined {
    if (!(error instanceof AppError)) return undefined
    if (error.code === 'not_found') {
      return new ActionError('auth_error', 'The credential no longer exists', { requestSent: false })
    }
    return new ActionError('credential_expired', error.detail, { requestSent: false, retryable: false })
  }

  /** Whether `input` is the very value `row.input` was made from, here on this node. */
  function madeWith(row: ExecutionRow, input: unknown): boolean {
    const parsed = parsedOf.get(row)
    return parsed !== undefined && parsed.input === input
  }

  /** Records how a run ended (unless it must go back to the queue) and tells whoever listens. */
  async function finish(
    row: ExecutionRow,
    outcome: Exclude<Outcome, { kind: 'reschedule' } | { kind: 'interrupted' }>,
    attempts: readonly AttemptRecord[],
    shown: { input: unknown; output?: unknown; extra?: Partial<ExecutionRow> },
    stored = true,
  ): Promise<ExecutionRow> {
    const now = clock()
    const startedAt = row.started_at ?? now
    const status: ExecutionStatus =
      outcome.kind === 'succeeded' ? 'succeeded' : outcome.kind === 'cancelled' ? 'cancelled' : 'failed'
    const error = outcome.kind === 'succeeded' ? null : describeError(outcome.error)
    const output = outcome.kind === 'succeeded' ? shown.output : undefined
    const changes = {
      status,
      output: output === undefined ? null : JSON.stringify(output),
      error: error === null ? null : JSON.stringify(error),
      error_class: error?.class ?? null,
      attempts: JSON.stringify(attempts),
      finished_at: now,
      duration_ms: now - startedAt,
      // The input the row was made with is in JSON already (a sync run's, or any run's without a
      // deferred transformation).
      input: madeWith(row, shown.input) ? row.input : JSON.stringify(shown.input),
      ...shown.extra,
    }
    const finished: ExecutionRow = { ...row, ...changes, started_at: startedAt }
    parsedOf.set(finished, { input: shown.input, output: output ?? null, error, attempts })
    if (stored) {
      const searchText = searchTextOf({
        tool: row.tool,
        action: row.action,
        input: shown.input,
        output,
        error,
      })
      await store.transition(row.id, ['running', 'queued'], { ...changes, search_text: searchText })
    } else {
      // A sync run's words are made from the record by the store (on SQLite, by its write thread).
      await store.insert(finished, { deriveSearchText: true })
    }
    metrics.executions.inc({
      tool: row.tool,
      action: row.action,
      status,
      error_class: error?.class ?? 'none',
    })
    metrics.duration.observe({ tool: row.tool, action: row.action }, (now - startedAt) / 1000)
    publish(finished)
    return finished
  }

  function publish(row: ExecutionRow): void {
    const type = `execution.${row.status}`
    // Most runs have no listener at all (no live tail open, no webhook in the workspace).
    if (!events.wants(type, row.workspace_id)) return
    events
      .publish({
        type,
        workspaceId: row.workspace_id,
        data: executionSummary(row, parsedOf.get(row)),
      })
      .catch((error: unknown) => {
        log.warn({ err: error, executionId: row.id }, 'publishing an execution event failed')
      })
  }

  /**
   * Runs a claimed row to an outcome: prepares the input (a batch item's deferred transformation),
   * attempts the call, applies the output transformation. Used by sync requests, workers and batches.
   */
  async function execute(
    row: ExecutionRow,
    signal: AbortSignal,
    budget: RunBudget,
    bindings: Record<string, unknown> = {},
    /** The tool, action and input, when the caller has them already (a sync request). */
    resolved?: { tool: Tool; action: Action; input: Record<string, unknown> },
  ): Promise<{ row: ExecutionRow; outcome: Outcome }> {
    const attempts = JSON.parse(row.attempts) as AttemptRecord[]
    const transform = transformOf(row)
    const options = optionsOf(row)
    const allBindings = {
      ...bindings,
      execution: { id: row.id, action: `${row.tool}.${row.action}`, correlationId: row.correlation_id },
    }
    let tool: Tool
    let action: Action
    try {
      ;({ tool, action } = resolved ?? (await resolveAction(row.workspace_id, `${row.tool}.${row.action}`)))
    } catch (error) {
      const reason = error instanceof AppError ? error.detail : 'The action could not be loaded'
      const outcome = { kind: 'failed' as const, error: new ActionError('validation_error', reason) }
      return {
        row: await finish(row, outcome, attempts, { input: JSON.parse(row.input) }, budget.stored),
        outcome,
      }
    }
    let input: Record<string, unknown>
    try {
      input = resolved?.input ?? inputOf(row)
      if (options.deferredInputTransform === true) {
        input = await prepareInput(action, input, transform, allBindings)
      }
    } catch (thrown) {
      const error = thrown instanceof ValidationError ? thrown : toActionError(thrown)
      const outcome = { kind: 'failed' as const, error }
      return {
        row: await finish(row, outcome, attempts, { input: JSON.parse(row.input) }, budget.stored),
        outcome,
      }
    }
    const sealedAfterTransform =
      options.deferredInputTransform === true
        ? {
            input_sealed: sealInput(action, row.workspace_id, row.id, input),
            options: JSON.stringify({ ...options, deferredInputTransform: false }),
          }
        : {}
    const shown = { input: shownInput(action, input), extra: sealedAfterTransform }
    // A sync request validated its input a moment ago, and a deferred transformation just did; a
    // stored input is validated again by the SDK, as the action's schema may have changed since.
    const validated = resolved !== undefined || options.deferredInputTransform === true
    const outcome = await attemptRun(row, tool, action, input, attempts, signal, budget, validated)
    if (outcome.kind === 'interrupted' && !budget.stored) {
      // A sync run has no job to hand back to: the caller's request ends with the server.
      const failed = {
        kind: 'failed' as const,
        error: new ActionError('internal_error', 'The server stopped while the execution ran; retry it.'),
      }
      return { row: await finish(row, failed, attempts, shown, budget.stored), outcome: failed }
    }
    if (outcome.kind === 'reschedule' || outcome.kind === 'interrupted') {
      const changes = {
        status: 'queued',
        attempts: JSON.stringify(attempts),
        input: JSON.stringify(shown.input),
        ...sealedAfterTransform,
      }
      await store.transition(row.id, ['running'], changes)
      return { row: { ...row, ...changes }, outcome }
    }
    if (outcome.kind !== 'succeeded') {
      return { row: await finish(row, outcome, attempts, shown, budget.stored), outcome }
    }
    // Output fields marked secret (Stripe's clientSecret) reach the caller of a sync run, never the record.
    const raw = outcome.output
    const hidden = hasSecret(action.output) ? redactSecrets(action.output, raw) : raw
    let output = raw
    let recorded = hidden
    if (transform?.output !== undefined) {
      try {
        const expression = transformFor(transform.output, 'output')
        output = (await expression.evaluate(raw, allBindings)) ?? null
        recorded = hidden === raw ? output : ((await expression.evaluate(hidden, allBindings)) ?? null)
      } catch (thrown) {
        const failed = { kind: 'failed' as const, error: toActionError(thrown) }
        return { row: await finish(row, failed, attempts, shown, budget.stored), outcome: failed }
      }
    }
    const succeeded = { kind: 'succeeded' as const, output }
    return {
      row: await finish(row, succeeded, attempts, { ...shown, output: recorded }, budget.stored),
      outcome: succeeded,
    }
  }

  /** Runs `work` with an abort controller that a cancellation from any node can fire. */
  async function cancellable<T>(
    workspaceId: string,
    id: string,
    outer: AbortSignal | undefined,
    work: (signal: AbortSignal) => Promise<T>,
  ) {
    const controller = new AbortController()
    const onOuter = () => {
      controller.abort(new Interrupted('The worker is shutting down'))
    }
    // One listener per run: a worker's or a batch's signal is shared by up to its concurrency of runs.
    if (outer !== undefined) setMaxListeners(0, outer)
    outer?.addEventListener('abort', onOuter, { once: true })
    running.set(id, { controller, workspaceId })
    try {
      return await work(controller.signal)
    } finally {
      running.delete(id)
      outer?.removeEventListener('abort', onOuter)
    }
  }

  /** The first request's execution, once it is final (sync) or stored (async). */
  async function waitForFinal(workspaceId: string, id: string, deadline: number): Promise<ExecutionRow> {
    for (;;) {
      const row = await store.get(workspaceId, id)
      if (row !== undefined && (finalStatuses.has(row.status) || row.mode === 'async')) return row
      if (Date.now() > deadline) {
        if (row !== undefined) return row
        throw new AppError(
          'conflict',
          'The first request with this Idempotency-Key has not finished yet; retry later.',
        )
      }
      await sleep(20)
    }
  }

  async function claimKey(
    workspaceId: string,
    key: string,
    hash: string,
    executionId: string,
  ): Promise<{ claimed: true } | { claimed: false; executionId: string }> {
    const now = clock()
    for (let round = 0; round < 2; round += 1) {
      const claimed = await store.claimIdempotencyKey({
        workspace_id: workspaceId,
        key,
        request_hash: hash,
        execution_id: executionId,
        created_at: now,
        expires_at: now + idempotencyWindowMs,
      })
      if (claimed) return { claimed: true }
      const existing = await store.getIdempotencyKey(workspaceId, key)
      if (existing === undefined) continue
      if (existing.expires_at < now) {
        await store.releaseIdempotencyKey(workspaceId, key, { expiredBefore: now })
        continue
      }
      if (existing.request_hash !== hash) {
        throw new AppError(
          'conflict',
          'This Idempotency-Key was used within the last 24 hours with a different request body. Use a new key for a new request.',
        )
      }
      return { claimed: false, executionId: existing.execution_id }
    }
    throw new AppError('conflict', 'The Idempotency-Key is being claimed by another request; retry.')
  }

  function newRow(
    workspaceId: string,
    fields: {
      id?: string
      toolSlug: string
      action: Action
      credentialId: string | null
      mode: 'sync' | 'async'
      input: Record<string, unknown>
      transform: TransformSpec | undefined
      options: RunOptions
      correlationId: string
      batchId?: string
      batchIndex?: number
      retryOf?: string
      status: ExecutionStatus
    },
  ): ExecutionRow {
    const id = fields.id ?? uuidv7()
    const now = clock()
    const shown = shownInput(fields.action, fields.input)
    const options = Object.keys(fields.options).length === 0 ? null : JSON.stringify(fields.options)
    const row: ExecutionRow = {
      id,
      workspace_id: workspaceId,
      tool: fields.toolSlug,
      action: fields.action.name,
      credential_id: fields.credentialId,
      mode: fields.mode,
      status: fields.status,
      input: JSON.stringify(shown),
      input_sealed: sealInput(fields.action, workspaceId, id, fields.input),
      output: null,
      error: null,
      error_class: null,
      attempts: '[]',
      transform:
        fields.transform?.input === undefined && fields.transform?.output === undefined
          ? null
          : JSON.stringify(fields.transform),
      options,
      batch_id: fields.batchId ?? null,
      batch_index: fields.batchIndex ?? null,
      retry_of: fields.retryOf ?? null,
      correlation_id: fields.correlationId,
      cancel_requested: 0,
      // A sync run is recorded only when it ends (`finish`), with the words of its outcome too.
      search_text:
        fields.mode === 'sync'
          ? ''
          : searchTextOf({ tool: fields.toolSlug, action: fields.action.name, input: shown }),
      created_at: now,
      started_at: fields.status === 'running' ? now : null,
      finished_at: null,
      duration_ms: null,
    }
    parsedOf.set(row, { input: shown, output: null, error: null, attempts: [] })
    return row
  }

  /** Inserts and runs (sync) or enqueues (async) a prepared row. */
  async function start(
    row: ExecutionRow,
    resolved?: { tool: Tool; action: Action; input: Record<string, unknown> },
  ): Promise<{ row: ExecutionRow; output?: unknown }> {
    if (row.mode === 'async') {
      await store.insert(row)
      try {
        await queue.enqueue(executionQueue, { executionId: row.id }, { id: row.id })
      } catch (error) {
        // Accepted but not queued: the stale-run sweep would find it; say so rather than pretend.
        log.error({ err: error, executionId: row.id }, 'enqueueing an execution failed; the sweep will retry')
      }
      publish(row)
      return { row }
    }
    publish(row)
    const { row: finished, outcome } = await cancellable(row.workspace_id, row.id, undefined, (signal) =>
      execute(
        row,
        signal,
        {
          maxInlineWaitMs: syncRetryBudgetMs,
          totalWaitMs: syncRetryBudgetMs,
          canReschedule: false,
          stored: false,
          failFastWhenLimited: true,
        },
        {},
        resolved,
      ),
    )
    return outcome.kind === 'succeeded' ? { row: finished, output: outcome.output } : { row: finished }
  }

  /** The API's view of a started execution; a sync run shows its output as the action returned it. */
  function startedView(started: { row: ExecutionRow; output?: unknown }): ExecutionView {
    const view = executionView(started.row, parsedOf.get(started.row))
    return 'output' in started ? { ...view, output: started.output } : view
  }

  return {
    /**
     * `POST /v1/executions`: checks the request (a bad one changes nothing), then runs it now (sync),
     * queues it (async), or describes the request it would send (dry run).
     */
    async submit(
      workspaceId: string,
      request: ExecutionRequest,
      context: { correlationId: string; idempotencyKey?: string | undefined; body: unknown },
    ): Promise<SubmitResult> {
      const { tool, action, toolSlug } = await resolveAction(workspaceId, request.action)
      const credential = await checkCredential(workspaceId, tool, request.credentialId)
      compileTransforms(request.transform)
      let input: Record<string, unknown>
      try {
        input = await prepareInput(action, request.input, request.transform, {
          execution: { id: null, action: request.action, correlationId: context.correlationId },
        })
      } catch (error) {
        if (error instanceof ValidationError) {
          throw new AppError('validation_error', error.message, { errors: fieldErrorsOf(error, '/input') })
        }
        if (error instanceof TransformError) {
          throw new AppError('validation_error', error.message, {
            errors: [{ path: '/transform/input', message: error.message }],
          })
        }
        throw error
      }

      if (request.dryRun === true) {
        const secrets = credential === null ? null : await connections.secretsFor(workspaceId, credential.id)
        const baseUrl = credential?.baseUrl ?? tool.baseUrl
        const preview = await previewAction(tool, action.name, {
          input,
          ...(credential === null || secrets === null
            ? {}
            : { credential: { authMethod: credential.authMethod, secrets } }),
          ...(baseUrl === undefined ? {} : { baseUrl }),
          allowPrivateNetwork: deps.network.allowPrivateNetwork,
        })
        return {
          kind: 'dry_run',
          preview: {
            dryRun: true,
            action: request.action,
            credentialId: credential?.id ?? null,
            input: shownInput(action, input),
            requests: preview.requests,
            ...(preview.note === undefined ? {} : { note: preview.note }),
          },
        }
      }

      const mode = request.mode ?? 'sync'
      const options: RunOptions = {
        ...(request.timeoutMs === undefined ? {} : { timeoutMs: request.timeoutMs }),
        ...(request.maxAttempts === undefined ? {} : { maxAttempts: request.maxAttempts }),
      }
      const id = uuidv7()
      const key = context.idempotencyKey
      if (key !== undefined) {
        const claim = await claimKey(workspaceId, key, requestHash(context.body), id)
        if (!claim.claimed) {
          const first = await waitForFinal(workspaceId, claim.executionId, Date.now() + maxTimeoutMs)
          return { kind: 'execution', execution: executionView(first), replayed: true }
        }
      }
      // A replay above runs nothing and counts nothing; a new execution counts once admitted.
      try {
        await admitExecutions(workspaceId, new Map([[toolSlug, 1]]))
      } catch (error) {
        if (key !== undefined) await store.releaseIdempotencyKey(workspaceId, key, { executionId: id })
        throw error
      }
      const row = newRow(workspaceId, {
        id,
        toolSlug,
        action,
        credentialId: credential?.id ?? null,
        mode,
        input,
        transform: request.transform,
        options,
        correlationId: context.correlationId,
        status: mode === 'sync' ? 'running' : 'queued',
      })
      try {
        return {
          kind: 'execution',
          execution: startedView(await start(row, { tool, action, input })),
          replayed: false,
        }
      } catch (error) {
        if (key !== undefined) await store.releaseIdempotencyKey(workspaceId, key, { executionId: id })
        throw error
      }
    },

    async get(workspaceId: string, id: string): Promise<ExecutionView> {
      const row = await store.get(workspaceId, id)
      if (row === undefined) throw new AppError('not_found', `No execution ${id} in this workspace.`)
      return executionView(row)
    },

    async list(
      workspaceId: string,
      filter: ExecutionFilter,
      page: PageRequest,
    ): Promise<Page<ExecutionView>> {
      const rows = await store.list(workspaceId, filter, page)
      const result = toPage(rows, page.limit, (row) => row.id)
      return { data: result.data.map((row) => executionView(row)), nextCursor: result.nextCursor }
    },

    /** A failed or cancelled execution, run again as a new execution linked to it. */
    async retry(
      workspaceId: string,
      id: string,
      context: { correlationId: string; mode?: 'sync' | 'async' | undefined },
    ): Promise<ExecutionView> {
      const old = await store.get(workspaceId, id)
      if (old === undefined) throw new AppError('not_found', `No execution ${id} in this workspace.`)
      if (old.status !== 'failed' && old.status !== 'cancelled') {
        throw new AppError(
          'conflict',
          `Execution ${id} is ${old.status}; only failed or cancelled ones can be retried.`,
        )
      }
      const { action } = await resolveAction(workspaceId, `${old.tool}.${old.action}`)
      if (old.credential_id !== null) await credentials.get(workspaceId, old.credential_id)
      await admitExecutions(workspaceId, new Map([[old.tool, 1]]))
      const options = optionsOf(old)
      const row = newRow(workspaceId, {
        toolSlug: old.tool,
        action,
        credentialId: old.credential_id,
        mode: context.mode ?? (old.mode === 'sync' ? 'sync' : 'async'),
        input: inputOf(old),
        transform: transformOf(old),
        options: { ...options, deferredInputTransform: options.deferredInputTransform === true },
        correlationId: context.correlationId,
        retryOf: old.id,
        status: (context.mode ?? old.mode) === 'sync' ? 'running' : 'queued',
      })
      return startedView(await start(row))
    },

    /** Cancels a queued execution at once, or asks the node running it to abort the upstream call. */
    async cancel(workspaceId: string, id: string): Promise<ExecutionView> {
      const row = await store.get(workspaceId, id)
      const waitForStop = async () => {
        // Give the run a moment to stop, so the answer usually shows the final state.
        const deadline = Date.now() + 2_000
        for (;;) {
          const now = await store.get(workspaceId, id)
          if (now !== undefined && (finalStatuses.has(now.status) || Date.now() > deadline)) {
            return executionView(now)
          }
          if (now === undefined && Date.now() > deadline) {
            throw new AppError('not_found', `No execution ${id} in this workspace.`)
          }
          await sleep(20)
        }
      }
      if (row === undefined) {
        // A sync execution is written when it ends; until then only the node running it knows it.
        abortRun(workspaceId, id)
        await events.publish({ type: 'execution.cancel_requested', workspaceId, data: { id } })
        return waitForStop()
      }
      if (finalStatuses.has(row.status)) {
        throw new AppError('conflict', `Execution ${id} already ${row.status}; there is nothing to cancel.`)
      }
      const now = clock()
      const error = describeError(new AbortedError('The execution was cancelled before it ran'))
      const cancelled = await store.transition(id, ['queued'], {
        status: 'cancelled',
        cancel_requested: 1,
        finished_at: now,
        duration_ms: 0,
        error: JSON.stringify(error),
        error_class: 'cancelled',
      })
      if (cancelled) {
        const after = (await store.get(workspaceId, id)) ?? row
        metrics.executions.inc({
          tool: row.tool,
          action: row.action,
          status: 'cancelled',
          error_class: 'cancelled',
        })
        publish(after)
        return executionView(after)
      }
      await store.transition(id, ['running'], { cancel_requested: 1 })
      abortRun(workspaceId, id)
      await events.publish({ type: 'execution.cancel_requested', workspaceId, data: { id } })
      return waitForStop()
    },

    /** The queue's handler for `executions` jobs. */
    async runJob(job: Job<{ executionId: string }>, context: JobContext): Promise<void> {
      const row = await store.getById(job.data.executionId)
      if (row === undefined || finalStatuses.has(row.status)) return
      if (row.cancel_requested === 1) {
        await finish(
          row,
          { kind: 'cancelled', error: new AbortedError('The execution was cancelled') },
          JSON.parse(row.attempts) as AttemptRecord[],
          { input: JSON.parse(row.input) },
        )
        return
      }
      const startedAt = row.started_at ?? clock()
      const claimed = await store.transition(row.id, ['queued', 'running'], {
        status: 'running',
        started_at: startedAt,
      })
      if (!claimed) return
      const claimedRow = { ...row, status: 'running', started_at: startedAt }
      publish(claimedRow)
      const { outcome } = await cancellable(row.workspace_id, row.id, context.signal, (signal) =>
        execute(claimedRow, signal, {
          maxInlineWaitMs: inlineRetryLimitMs,
          totalWaitMs: Number.POSITIVE_INFINITY,
          canReschedule: true,
          stored: true,
          failFastWhenLimited: false,
        }),
      )
      if (outcome.kind === 'reschedule') throw new RescheduleJob(outcome.delayMs)
      if (outcome.kind === 'interrupted') throw new Interrupted('The worker shut down during the run')
    },

    /** Runs one batch item (already claimed as `running`) to its end, waiting out any retry delay. */
    async runItem(row: ExecutionRow, signal: AbortSignal, bindings: Record<string, unknown>) {
      return cancellable(row.workspace_id, row.id, signal, (inner) =>
        execute(
          row,
          inner,
          {
            maxInlineWaitMs: Number.POSITIVE_INFINITY,
            totalWaitMs: Number.POSITIVE_INFINITY,
            canReschedule: false,
            stored: true,
            failFastWhenLimited: false,
          },
          bindings,
        ),
      )
    },

    /** Builds a row for a batch item without storing it (the batch stores all items at once). */
    newRow,
    admitExecutions,
    resolveAction,
    checkCredential,
    compileTransforms,
    prepareInput,
    publish,
    finish,

    /** Stops listening for cancellations. */
    close(): void {
      unsubscribeCancel()
      for (const run of running.values()) run.controller.abort(new Interrupted('The server is stopping'))
    },
  }
}

export type ExecutionService = ReturnType<typeof executionService>
