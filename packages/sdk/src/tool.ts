/**
 * `defineTool` and `defineAction`: a plugin is plain data plus one `run` function. The helpers check
 * the obvious, fill in defaults and tag the object; the schema written once gives validation, the
 * TypeScript types of `run`, the UI form and the LLM function schema.
 */
import type { Static, TSchema } from 'typebox'
import type { AuthMethod } from './auth.js'
import { IDENTIFIER_PATTERN, auth } from './auth.js'
import type { HttpClient } from './http.js'
import type { NetworkPolicy } from './network.js'
import { validate } from './validation.js'

/** A structured log line's extra fields. */
export type LogFields = Readonly<Record<string, unknown>>

/** Where an action writes its log lines; the server's adds the execution's correlation id. */
export interface ActionLog {
  debug(message: string, fields?: LogFields): void
  info(message: string, fields?: LogFields): void
  warn(message: string, fields?: LogFields): void
  error(message: string, fields?: LogFields): void
}

/** The credential an action runs with. */
export interface CredentialView {
  /** The id of one of the tool's auth methods. */
  authMethod: string
  secrets: Readonly<Record<string, unknown>>
}

/** What a health check gets: everything an action gets but an input. */
export interface ToolContext {
  credential: CredentialView
  /** Injects the credential, applies the network rules, honours `signal`. */
  http: HttpClient
  /** Aborted when the time limit passes or the caller cancels. */
  signal: AbortSignal
  /** The tool's base URL, or the one the credential or installation points it to. */
  baseUrl: string | undefined
  log: ActionLog
  /**
   * The run's outbound network rules, for connections the HTTP client does not make (a database, an
   * SMTP server): resolve with `connectableAddresses(host, ctx.network)` and connect to what it returns.
   */
  network: NetworkPolicy
}

/** What `run` gets. */
export interface ActionContext<I = unknown> extends ToolContext {
  /** The validated input, with the schema's defaults filled in. */
  input: I
}

/**
 * Decides from an action's validated input whether running it twice has the effect of running it once.
 * Written as a method type so that an action with a specific input is still an `Action` (method
 * parameters are compared bivariantly; a plain function type would make `Action<'x', TMyInput>`
 * unassignable to `Action`).
 */
export type IdempotenceTest<I = unknown> = { test(input: I): boolean }['test']

/** Retry hints for the execution engine. */
export interface RetryHints<I = unknown> {
  /** Attempts in all, the first included. */
  maxAttempts?: number
  /**
   * Whether running the action twice has the effect of running it once. A non-idempotent action
   * (creating an issue, sending a message) is not retried once its request may have been sent. When
   * it depends on the input (the generic `http.request`: a GET is, a POST is not), give a function
   * of the validated input; ask with {@link isIdempotent}.
   */
  idempotent?: boolean | IdempotenceTest<I>
}

/** An example call, shown in the catalog and the UI. */
export interface ActionExample<I = unknown, O = unknown> {
  title?: string
  input: I
  output?: O
}

/** What `defineAction` takes. */
export interface ActionDefinition<N extends string, I extends TSchema, O extends TSchema> {
  /** `[a-z][a-z0-9_]*`, unique within the tool. */
  name: N
  title: string
  description: string
  /** A JSON Schema (2020-12) for an object; TypeBox's `Type.Object` is one. */
  input: I
  output: O
  examples?: readonly ActionExample<NoInfer<Static<I>>, NoInfer<Static<O>>>[]
  /** Defaults to {@link DEFAULT_TIMEOUT_MS}. */
  timeoutMs?: number
  retry?: RetryHints<NoInfer<Static<I>>>
  /** The OAuth scopes the action needs. */
  scopes?: readonly string[]
  run(ctx: ActionContext<Static<I>>): Promise<NoInfer<Static<O>>>
}

/** Tags an object made by `defineAction`; `Symbol.for`, so it holds across copies of the SDK. */
export const ACTION_TAG = Symbol.for('toolplane.action')
/** Tags an object made by `defineTool`. */
export const TOOL_TAG = Symbol.for('toolplane.tool')

/** An action, as `defineAction` returns it: defaults filled in, tagged. */
export interface Action<
  N extends string = string,
  I extends TSchema = TSchema,
  O extends TSchema = TSchema,
> extends ActionDefinition<N, I, O> {
  readonly [ACTION_TAG]: true
  examples: readonly ActionExample<NoInfer<Static<I>>, NoInfer<Static<O>>>[]
  timeoutMs: number
  retry: Required<RetryHints<NoInfer<Static<I>>>>
  scopes: readonly string[]
}

/** The default time limit of an action: 30 seconds. */
export const DEFAULT_TIMEOUT_MS = 30_000

/** The default attempts of an action, the first included. */
export const DEFAULT_MAX_ATTEMPTS = 3

/**
 * Defines an action. `ctx.input` is typed by `input`, and `run` must return what `output` describes.
 *
 * @example
 * export const createIssue = defineAction({
 *   name: 'create_issue',
 *   title: 'Create an issue',
 *   description: 'Opens an issue in a repository.',
 *   input: Type.Object({ owner: Type.String(), repo: Type.String(), title: Type.String() }),
 *   output: Type.Object({ number: Type.Integer(), url: Type.String() }),
 *   retry: { idempotent: false },
 *   scopes: ['repo'],
 *   async run({ http, input }) {
 *     const res = await http.post<{ number: number; html_url: string }>(
 *       urlPath`/repos/${input.owner}/${input.repo}/issues`,
 *       { json: { title: input.title } },
 *     )
 *     res.raise()
 *     return { number: res.json.number, url: res.json.html_url }
 *   },
 * })
 */
export function defineAction<const N extends string, I extends TSchema, O extends TSchema>(
  definition: ActionDefinition<N, I, O>,
): Action<N, I, O> {
  const unchecked = definition as Partial<Record<keyof ActionDefinition<N, I, O>, unknown>>
  if (typeof unchecked.name !== 'string' || !IDENTIFIER_PATTERN.test(unchecked.name)) {
    throw new TypeError(
      `Action name ${JSON.stringify(unchecked.name)} must match ${String(IDENTIFIER_PATTERN)}`,
    )
  }
  if (typeof unchecked.run !== 'function') {
    throw new TypeError(`Action "${definition.name}" needs a run function`)
  }
  return Object.freeze({
    ...definition,
    [ACTION_TAG]: true as const,
    examples: definition.examples ?? [],
    timeoutMs: definition.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    retry: {
      maxAttempts: definition.retry?.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
      idempotent: definition.retry?.idempotent ?? false,
    },
    scopes: definition.scopes ?? [],
  })
}

/**
 * Whether the engine may run this action again with this input after its request may have been
 * sent. A boolean hint is the answer; a function hint is asked with the input validated against the
 * action's schema (defaults filled in). Input that does not validate, or a function that throws or
 * answers anything but `true`, is not idempotent: the safe answer when in doubt.
 *
 * @example
 * isIdempotent(httpRequest, { method: 'PUT', url: '/v1/items/7' }) // true
 * isIdempotent(httpRequest, { method: 'POST', url: '/v1/items' }) // false
 */
export function isIdempotent(action: Action, input: unknown): boolean {
  const hint = action.retry.idempotent
  if (typeof hint !== 'function') return hint
  const checked = validate(action.input, input)
  if (!checked.ok) return false
  try {
    // Plain JavaScript plugins can answer anything; only a real `true` is taken as a promise.
    const answer: unknown = hint(checked.value)
    return answer === true
  } catch {
    return false
  }
}

/** A health check's verdict; throwing says the same as `{ ok: false }`. */
export interface HealthCheckOutcome {
  ok: boolean
  detail?: string
}

/** The inbound webhook signature schemes the server can verify. */
export const TRIGGER_VERIFIERS = ['github', 'slack', 'stripe', 'standard-webhooks'] as const

/** One signature scheme. */
export type TriggerVerifier = (typeof TRIGGER_VERIFIERS)[number]

/** An inbound event the tool can produce, such as GitHub's `issues.opened`. */
export interface TriggerDeclaration {
  /** `[a-z][a-z0-9_.]*`, unique within the tool; becomes `trigger.<tool>.<event>`. */
  event: string
  title: string
  description: string
  payload: TSchema
  verifier: TriggerVerifier
}

/** Who a declared upstream rate limit is counted for. */
export const RATE_LIMIT_SCOPES = ['credential', 'tool'] as const

/** One rate limit scope. */
export type RateLimitScope = (typeof RATE_LIMIT_SCOPES)[number]

/** A rate limit the upstream enforces, such as GitHub's 5,000 requests an hour per token. */
export interface RateLimitDeclaration {
  scope: RateLimitScope
  limit: number
  windowSeconds: number
  /** The actions it counts; all of them when absent. */
  actions?: readonly string[]
}

/** What `defineTool` takes. */
export interface ToolDefinition<A extends readonly Action[]> {
  /** `[a-z][a-z0-9_]*`, unique in the catalog. */
  slug: string
  name: string
  description: string
  /** Semantic version of the plugin. */
  version: string
  categories: readonly string[]
  /** An https URL or a `data:image/…` URI. */
  icon?: string
  /** The default upstream base URL; a credential or an installation can point it elsewhere. */
  baseUrl?: string
  /** Defaults to `[auth.none()]`. */
  authMethods?: readonly AuthMethod[]
  actions: A
  /** Throws, or returns `{ ok: false, detail }`, when the credential does not work. */
  // A check that says nothing is a passing one, hence `void` in the union.
  // eslint-disable-next-line @typescript-eslint/no-invalid-void-type
  healthCheck?: (ctx: ToolContext) => Promise<HealthCheckOutcome | void>
  triggers?: readonly TriggerDeclaration[]
  rateLimits?: readonly RateLimitDeclaration[]
}

/** A tool, as `defineTool` returns it: defaults filled in, tagged. */
export interface Tool<A extends readonly Action[] = readonly Action[]> extends ToolDefinition<A> {
  readonly [TOOL_TAG]: true
  authMethods: readonly AuthMethod[]
  triggers: readonly TriggerDeclaration[]
  rateLimits: readonly RateLimitDeclaration[]
}

/**
 * Defines a tool. Check a loaded plugin with `validateTool` before serving it.
 *
 * @example
 * export default defineTool({
 *   slug: 'github',
 *   name: 'GitHub',
 *   description: 'Issues, pull requests and repositories.',
 *   version: '1.0.0',
 *   categories: ['developer-tools'],
 *   baseUrl: 'https://api.github.com',
 *   authMethods: [auth.bearer()],
 *   actions: [createIssue],
 *   rateLimits: [{ scope: 'credential', limit: 5000, windowSeconds: 3600 }],
 * })
 */
export function defineTool<const A extends readonly Action[]>(definition: ToolDefinition<A>): Tool<A> {
  const unchecked = definition as Partial<Record<keyof ToolDefinition<A>, unknown>>
  if (typeof unchecked.slug !== 'string' || !IDENTIFIER_PATTERN.test(unchecked.slug)) {
    throw new TypeError(
      `Tool slug ${JSON.stringify(unchecked.slug)} must match ${String(IDENTIFIER_PATTERN)}`,
    )
  }
  if (!Array.isArray(unchecked.actions))
    throw new TypeError(`Tool "${definition.slug}" needs an actions array`)
  return Object.freeze({
    ...definition,
    [TOOL_TAG]: true as const,
    authMethods: definition.authMethods ?? [auth.none()],
    triggers: definition.triggers ?? [],
    rateLimits: definition.rateLimits ?? [],
  })
}

/**
 * Whether a value was made by `defineTool` (of any copy of the SDK).
 *
 * @example
 * const plugin: unknown = (await import(path)).default
 * if (!isTool(plugin)) throw new Error(`${path} does not export a tool`)
 */
export function isTool(value: unknown): value is Tool {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[TOOL_TAG] === true
}

/**
 * Whether a value was made by `defineAction`.
 *
 * @example
 * isAction(createIssue) // true
 */
export function isAction(value: unknown): value is Action {
  return (
    typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[ACTION_TAG] === true
  )
}

/**
 * Finds an action of a tool by name.
 *
 * @example
 * findAction(github, 'create_issue')?.title // 'Create an issue'
 */
export function findAction<T extends Tool>(tool: T, name: string): T['actions'][number] | undefined {
  return tool.actions.find((action) => action.name === name)
}
