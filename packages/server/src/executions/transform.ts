/**
 * Input and output transformations (SPEC §5): JSONata expressions applied to an execution's input
 * before validation and the call, and to its output after the call.
 *
 * A transformation is untrusted code run on the server, so every evaluation has limits: a time
 * limit, a depth limit and a size limit on what it produces. JSONata evaluates asynchronously and
 * calls an entry hook (`jsonata.__evaluate_entry`, the technique of JSONata's own test suite,
 * `timeboxExpression`) before every step, which is where the time and depth are checked. The limits
 * live in a binding of each evaluation rather than in the hook's closure, so one compiled
 * expression can serve concurrent evaluations (all items of a batch share it).
 *
 * JSONata's steps resume one another as microtasks, which would keep the event loop from timers and
 * I/O for the whole evaluation; the hook yields a turn of the event loop every few milliseconds, so a
 * long transformation does not stall the server's other requests.
 *
 * Not covered: a single built-in function that runs long on its own — a regular expression with
 * catastrophic backtracking in `$match` or `$replace` — is not interrupted, because no step starts
 * while it runs.
 */
import { Buffer } from 'node:buffer'
import { setImmediate as nextTurn } from 'node:timers/promises'
import { ActionError } from '@toolplane/sdk'
import type { Suggestion } from '@toolplane/sdk'
import jsonata from 'jsonata'

/** Which transformation of an execution: applied to the input before the call, or to the output after. */
export type TransformTarget = 'input' | 'output'

/** Per-evaluation limits; each defaults to {@link DEFAULT_TRANSFORM_LIMITS}. */
export interface TransformLimits {
  /** Wall-clock time the evaluation may take. */
  timeoutMs?: number
  /** Size of the result, measured as UTF-8 bytes of its JSON. */
  maxOutputBytes?: number
  /**
   * JSONata evaluation steps in progress at once. Each level of a recursive function takes about
   * three, and the values of an object built by grouping (`items{ id: name }`) are evaluated side by
   * side, about two per key. Bounds the memory a runaway recursion takes before the time limit.
   */
  maxDepth?: number
}

/** The limits of a transformation when the engine passes none. */
export const DEFAULT_TRANSFORM_LIMITS: Readonly<Required<TransformLimits>> = Object.freeze({
  timeoutMs: 1000,
  maxOutputBytes: 1024 * 1024,
  maxDepth: 10_000,
})

/** How many compiled expressions {@link transformFor} keeps. */
export const TRANSFORM_CACHE_SIZE = 500

/** A transformation ready to run; compile once, evaluate for every item. */
export interface CompiledTransform {
  readonly expression: string
  readonly target: TransformTarget
  /**
   * Runs the expression on `data`. `bindings` become variables: `{ items: [...] }` is `$items` in the
   * expression. Resolves to plain JSON data; rejects with a {@link TransformError}.
   */
  evaluate(
    data: unknown,
    bindings?: Readonly<Record<string, unknown>>,
    limits?: TransformLimits,
  ): Promise<unknown>
}

/**
 * A transformation failed to compile, failed while running, broke a limit or produced nothing usable.
 * The message names the transformation and, when JSONata knows it, the character position in the
 * expression with an excerpt around it.
 *
 * @example
 * try {
 *   await transformFor('$number(name)', 'input').evaluate({ name: 'Ada' })
 * } catch (error) {
 *   if (error instanceof TransformError) console.log(error.position, error.code) // 8 'D3030'
 * }
 */
export class TransformError extends ActionError {
  override name = 'TransformError'
  readonly target: TransformTarget
  /** JSONata's character position, counted from 1: the end of the token where the failure was found. */
  readonly position: number | undefined
  /** JSONata's error code, such as `S0201` (syntax) or `T2002` (type); also `D1012` for the time limit. */
  readonly code: string | undefined

  constructor(
    target: TransformTarget,
    message: string,
    details: {
      position?: number | undefined
      code?: string | undefined
      suggestions: readonly Suggestion[]
      cause?: unknown
    },
  ) {
    super('transform_error', message, {
      retryable: false,
      requestSent: target === 'output',
      suggestions: details.suggestions,
      cause: details.cause,
    })
    this.target = target
    this.position = details.position
    this.code = details.code
  }
}

/**
 * Compiles a JSONata expression for one side of an execution.
 *
 * @throws {TransformError} when the expression is not valid JSONata; the message names the position.
 * @example
 * const pick = compileTransform('{ "title": issue.title, "labels": issue.labels.name }', 'output')
 * await pick.evaluate({ issue: { title: 'Bug', labels: [{ name: 'p1' }] } }) // { title: 'Bug', labels: 'p1' }
 */
export function compileTransform(expression: string, target: TransformTarget): CompiledTransform {
  let compiled: jsonata.Expression
  try {
    compiled = jsonata(expression)
  } catch (error) {
    throw fromJsonataError(error, expression, target, 'compile')
  }
  bindSymbol(compiled, evaluateEntry, enforceLimits)

  return Object.freeze({
    expression,
    target,
    async evaluate(
      data: unknown,
      bindings: Readonly<Record<string, unknown>> = {},
      limits: TransformLimits = {},
    ): Promise<unknown> {
      const timeoutMs = limits.timeoutMs ?? DEFAULT_TRANSFORM_LIMITS.timeoutMs
      const started = performance.now()
      const guard: Guard = {
        deadline: started + timeoutMs,
        nextYield: started + yieldEveryMs,
        timeoutMs,
        maxDepth: limits.maxDepth ?? DEFAULT_TRANSFORM_LIMITS.maxDepth,
      }
      guards.add(guard)
      const variables: Record<string, unknown> = {}
      for (const [name, value] of Object.entries(bindings)) variables[name.replace(/^\$/, '')] = value
      variables[guardBinding] = guard

      let result: unknown
      try {
        result = await compiled.evaluate(data, variables)
      } catch (error) {
        // Checked first: `$eval` rewraps the errors of what it evaluates, the hook's included.
        if (guard.exceeded !== undefined) throw limitError(guard, guard.exceeded, expression, target)
        if (error instanceof ReservedVariable) {
          throw new TransformError(
            target,
            `The ${target} transformation assigns $${guardBinding}, a variable Toolplane reserves`,
            {
              suggestions: [
                { title: 'Rename the variable', detail: 'Use any other name for your variable.' },
              ],
            },
          )
        }
        throw fromJsonataError(error, expression, target, 'evaluate')
      }
      return toJsonData(result, target, limits.maxOutputBytes ?? DEFAULT_TRANSFORM_LIMITS.maxOutputBytes)
    },
  })
}

const cache = new Map<string, CompiledTransform>()

/**
 * The compiled transformation for an expression, from a cache of the {@link TRANSFORM_CACHE_SIZE}
 * most recently used, so a batch of many items compiles its transformation once.
 *
 * @throws {TransformError} when the expression is not valid JSONata.
 * @example
 * const transform = transformFor('{ "q": query, "limit": 10 }', 'input')
 * transform === transformFor('{ "q": query, "limit": 10 }', 'input') // true
 */
export function transformFor(expression: string, target: TransformTarget): CompiledTransform {
  const key = `${target}\u0000${expression}`
  const cached = cache.get(key)
  if (cached !== undefined) {
    cache.delete(key)
    cache.set(key, cached)
    return cached
  }
  const compiled = compileTransform(expression, target)
  cache.set(key, compiled)
  if (cache.size > TRANSFORM_CACHE_SIZE) {
    for (const oldest of cache.keys()) {
      cache.delete(oldest)
      break
    }
  }
  return compiled
}

interface Guard {
  readonly deadline: number
  nextYield: number
  readonly timeoutMs: number
  readonly maxDepth: number
  exceeded?: { limit: 'time' | 'depth'; position: number | undefined }
}

// The variable carrying an evaluation's limits. An expression can assign it too — even in the root
// frame, from inside an array constructor — so the hook accepts only guards this module made, and
// stops the evaluation on anything else rather than run it without limits.
const guardBinding = '__toolplane_limits'
const guards = new WeakSet<Guard>()
const evaluateEntry = Symbol.for('jsonata.__evaluate_entry')

/** The parts of JSONata's evaluation environment the hook reads; not in its type declarations. */
interface EvaluationFrame {
  readonly base?: { readonly depth: number; lookup(name: string): unknown }
}

class ReservedVariable extends Error {}

class LimitExceeded extends Error {
  constructor(guard: Guard, limit: 'time' | 'depth', position: number | undefined) {
    super(`The ${limit} limit of a transformation was exceeded`)
    guard.exceeded = { limit, position }
  }
}

const yieldEveryMs = 5

function enforceLimits(
  node: { position?: number },
  _input: unknown,
  environment: EvaluationFrame,
): Promise<void> | undefined {
  const root = environment.base
  const guard = root?.lookup(guardBinding)
  if (root === undefined || !isGuard(guard)) throw new ReservedVariable(`$${guardBinding} was replaced`)
  if (root.depth > guard.maxDepth) throw new LimitExceeded(guard, 'depth', node.position)
  const now = performance.now()
  if (now > guard.deadline) throw new LimitExceeded(guard, 'time', node.position)
  if (now < guard.nextYield) return undefined
  guard.nextYield = now + yieldEveryMs
  return nextTurn()
}

function isGuard(value: unknown): value is Guard {
  return typeof value === 'object' && value !== null && guards.has(value as Guard)
}

// JSONata's `assign` accepts symbols (its hooks are symbol-named), but its type declaration says string.
function bindSymbol(expression: jsonata.Expression, name: symbol, value: unknown): void {
  ;(expression.assign as (name: string | symbol, value: unknown) => void).call(expression, name, value)
}

/** The shape of the plain objects JSONata throws. */
interface JsonataFailure {
  code: string
  message?: unknown
  position?: unknown
  value?: unknown
}

function isJsonataFailure(error: unknown): error is JsonataFailure {
  return typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string'
}

// Codes whose `value` comes from the expression itself, not from the data it reads.
const valueFromExpression = (code: string): boolean =>
  code.startsWith('S') || code === 'D3137' || code === 'D3141'

function fromJsonataError(
  error: unknown,
  expression: string,
  target: TransformTarget,
  stage: 'compile' | 'evaluate',
): TransformError {
  const subject = `The ${target} transformation`
  if (!isJsonataFailure(error)) {
    const reason = error instanceof Error ? error.message : String(error)
    return new TransformError(target, `${subject} failed: ${reason}`, {
      suggestions: [tryItSuggestion(target)],
      cause: error,
    })
  }
  const position = typeof error.position === 'number' ? error.position : undefined
  let reason = typeof error.message === 'string' && error.message !== '' ? error.message : 'unknown error'
  // Values read from the data may be secrets (an input field marked secret): say what kind of value
  // it was, never the value itself.
  if (error.value !== undefined && !valueFromExpression(error.code)) {
    const shown = JSON.stringify(error.value) as string | undefined
    if (shown !== undefined) reason = reason.split(shown).join(kindOf(error.value))
  }
  const where = position === undefined ? '' : ` ${location(expression, position)}`
  const message =
    stage === 'compile'
      ? `${subject} is not valid JSONata${where}: ${reason} (JSONata ${error.code})`
      : `${subject} failed${where}: ${reason} (JSONata ${error.code})`
  return new TransformError(target, message, {
    position,
    code: error.code,
    suggestions: [
      ...(position === undefined ? [] : [positionSuggestion(expression, position)]),
      tryItSuggestion(target),
    ],
    cause: error,
  })
}

function limitError(
  guard: Guard,
  exceeded: NonNullable<Guard['exceeded']>,
  expression: string,
  target: TransformTarget,
): TransformError {
  const { position } = exceeded
  const where = position === undefined ? '' : ` (stopped ${location(expression, position)})`
  const suggestions: Suggestion[] = [
    {
      title: 'Look for recursion that never ends',
      detail:
        'A function that calls itself needs a condition that stops it, and each call must get closer to it. Loops over large data also count: filter the data before mapping over it.',
    },
    tryItSuggestion(target),
  ]
  if (exceeded.limit === 'time') {
    return new TransformError(
      target,
      `The ${target} transformation did not finish within ${guard.timeoutMs} ms${where}`,
      { position, code: 'D1012', suggestions },
    )
  }
  return new TransformError(
    target,
    `The ${target} transformation went deeper than ${guard.maxDepth} evaluation steps${where}`,
    {
      position,
      code: 'D1011',
      suggestions: [
        ...suggestions,
        {
          title: 'Group into fewer keys',
          detail:
            'Building an object with many keys at once (`items{ id: value }`) counts each key; pick the fields you need as an array instead (`items.{ "id": id, "value": value }`).',
        },
      ],
    },
  )
}

function toJsonData(result: unknown, target: TransformTarget, maxOutputBytes: number): unknown {
  if (result === undefined) {
    if (target === 'output') return null
    throw new TransformError(
      target,
      'The input transformation produced nothing: the expression matched no data',
      {
        suggestions: [
          {
            title: 'Check the paths against the input',
            detail:
              'JSONata yields nothing for a path that does not exist, so a misspelt field name or a different nesting gives no input. Field names are case-sensitive.',
          },
          tryItSuggestion(target),
        ],
      },
    )
  }
  let json: string | undefined
  try {
    json = stringify(result, withoutFunctions)
  } catch (error) {
    throw new TransformError(target, `The ${target} transformation produced a value that is not JSON data`, {
      suggestions: [tryItSuggestion(target)],
      cause: error,
    })
  }
  if (json === undefined) {
    throw new TransformError(target, `The ${target} transformation produced a function, not data`, {
      suggestions: [
        {
          title: 'Call the function',
          detail: 'The expression ends with a function definition: call it, or end with the value to use.',
        },
      ],
    })
  }
  const bytes = Buffer.byteLength(json)
  if (bytes > maxOutputBytes) {
    throw new TransformError(
      target,
      `The ${target} transformation produced ${bytes} bytes of JSON, more than the limit of ${maxOutputBytes} bytes`,
      {
        suggestions: [
          {
            title: 'Keep only what you need',
            detail:
              'Select the fields you use instead of whole objects, or filter the list before the transformation returns it.',
          },
        ],
      },
    )
  }
  return JSON.parse(json)
}

// JSON.stringify returns undefined for a function (here: whatever the replacer drops); its type omits that.
const stringify: (value: unknown, replacer: (key: string, value: unknown) => unknown) => string | undefined =
  JSON.stringify

// JSONata results can hold functions: JavaScript ones from the bindings, its lambdas, and its built-in
// functions as values (`$uppercase` without a call). None of them is data.
function withoutFunctions(_key: string, value: unknown): unknown {
  if (typeof value === 'function') return undefined
  if (typeof value !== 'object' || value === null) return value
  const marks = value as { _jsonata_lambda?: unknown; _jsonata_function?: unknown }
  return marks._jsonata_lambda === true || marks._jsonata_function === true ? undefined : value
}

function kindOf(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'object') return 'an object'
  return `a ${typeof value}`
}

const excerptBefore = 20
const excerptAfter = 10

/** `at character 8, near \`$number("x")\``: where in the expression, for messages. */
function location(expression: string, position: number): string {
  const near = excerpt(expression, position)
  return near.trim() === '' ? `at character ${position}` : `at character ${position}, near \`${near}\``
}

/** A short, single-line piece of the expression ending a little after the position. */
function excerpt(expression: string, position: number): string {
  const start = Math.max(0, position - excerptBefore)
  const end = Math.min(expression.length, position + excerptAfter)
  const text = expression.slice(start, end).replace(/\s+/g, ' ')
  return `${start > 0 ? '…' : ''}${text}${end < expression.length ? '…' : ''}`
}

function positionSuggestion(expression: string, position: number): Suggestion {
  return {
    title: `Check the expression at character ${position}`,
    detail: `JSONata stopped ${location(expression, position)}. Look for a misspelt function or field name, a missing bracket or quote, or a value of the wrong type.`,
  }
}

function tryItSuggestion(target: TransformTarget): Suggestion {
  const data =
    target === 'input'
      ? "the execution's input"
      : "the action's output (the execution's output without the transformation)"
  return {
    title: 'Try the expression on try.jsonata.org',
    detail: `Paste the expression and ${data} into https://try.jsonata.org to see what it produces step by step.`,
  }
}
