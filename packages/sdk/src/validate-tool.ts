/**
 * `validateTool`: everything that can be wrong with a loaded plugin, in sentences, so the server can
 * refuse a broken one with a log line that names it and says what to fix.
 */
import { AUTH_KINDS, IDENTIFIER_PATTERN } from './auth.js'
import { RATE_LIMIT_SCOPES, TRIGGER_VERIFIERS } from './tool.js'
import { compileSchema, validate } from './validation.js'

/** The longest time limit an action may declare: 15 minutes. */
export const MAX_TIMEOUT_MS = 15 * 60 * 1000

/** The most attempts an action may ask for. */
export const MAX_ATTEMPTS = 10

// semver.org's own expression.
const semverPattern =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/
const eventPattern = /^[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)*$/

type Problems = string[]
type Fields = Record<string, unknown>

/**
 * Lists the problems of a plugin's tool — bad slug, duplicate action names, schemas Ajv cannot
 * compile, a missing `run`, an unknown auth kind, examples that do not match their schemas… An empty
 * list means the tool can be served. Takes `unknown` because it is meant for whatever a plugin exports.
 *
 * @example
 * const problems = validateTool(plugin)
 * if (problems.length > 0) log.error({ plugin: path, problems }, 'plugin refused')
 */
export function validateTool(tool: unknown): string[] {
  if (!isFields(tool)) return ['the plugin is not a tool object (export the result of defineTool)']
  const problems: Problems = []
  const name = typeof tool.slug === 'string' && tool.slug !== '' ? tool.slug : '?'
  const report = (problem: string): void => {
    problems.push(`tool "${name}": ${problem}`)
  }

  if (typeof tool.slug !== 'string' || !IDENTIFIER_PATTERN.test(tool.slug)) {
    report(
      `slug ${JSON.stringify(tool.slug)} must be lowercase letters, digits and _ and start with a letter`,
    )
  }
  requireText(tool, 'name', report)
  requireString(tool, 'description', report)
  if (typeof tool.version !== 'string' || !semverPattern.test(tool.version)) {
    report(`version ${JSON.stringify(tool.version)} is not a semantic version such as 1.0.0`)
  }
  if (!isStringArray(tool.categories)) report('categories must be an array of strings')
  if (tool.icon !== undefined && !isIcon(tool.icon))
    report('icon must be an http(s) URL or a data:image/ URI')
  if (tool.baseUrl !== undefined && !isHttpUrl(tool.baseUrl))
    report('baseUrl must be an absolute http(s) URL')
  if (tool.healthCheck !== undefined && typeof tool.healthCheck !== 'function') {
    report('healthCheck must be a function')
  }

  checkAuthMethods(tool.authMethods, report)
  const actionNames = checkActions(tool.actions, report)
  checkTriggers(tool.triggers, report)
  checkRateLimits(tool.rateLimits, actionNames, report)
  return problems
}

type Report = (problem: string) => void

function checkAuthMethods(methods: unknown, report: Report): void {
  if (!Array.isArray(methods) || methods.length === 0) {
    report('authMethods must be a non-empty array (use auth.none() for a tool without credentials)')
    return
  }
  const seen = new Set<string>()
  methods.forEach((method: unknown, index) => {
    if (!isFields(method)) {
      report(`authMethods[${index}] is not an auth declaration`)
      return
    }
    const label = `auth method ${typeof method.id === 'string' ? `"${method.id}"` : `#${index}`}`
    const at = (problem: string): void => {
      report(`${label}: ${problem}`)
    }
    if (typeof method.id !== 'string' || !IDENTIFIER_PATTERN.test(method.id))
      at('id must match [a-z][a-z0-9_]*')
    else if (seen.has(method.id)) at('id is used twice')
    else seen.add(method.id)
    if (!(AUTH_KINDS as readonly unknown[]).includes(method.kind)) {
      at(`unknown kind ${JSON.stringify(method.kind)} (known: ${AUTH_KINDS.join(', ')})`)
    }
    if (typeof method.apply !== 'function') at('apply must be a function')
    checkSchema(method.fields, 'fields', at, { object: true })
    if (method.kind === 'api_key') {
      if (method.in !== 'header' && method.in !== 'query') at('in must be "header" or "query"')
      if (method.name !== undefined && (typeof method.name !== 'string' || method.name === '')) {
        at('name must be a non-empty string when given')
      }
    }
    if (method.kind === 'oauth2') checkOAuth2(method, at)
  })
}

function checkOAuth2(method: Fields, at: Report): void {
  if (method.grant !== 'authorization_code' && method.grant !== 'client_credentials') {
    at(`unknown OAuth2 grant ${JSON.stringify(method.grant)}`)
    return
  }
  if (!isHttpUrl(method.tokenUrl)) at('tokenUrl must be an absolute http(s) URL')
  if (!isStringArray(method.scopes)) at('scopes must be an array of strings')
  if (method.grant === 'authorization_code') {
    if (!isHttpUrl(method.authorizationUrl)) at('authorizationUrl must be an absolute http(s) URL')
    if (method.revocationUrl !== undefined && !isHttpUrl(method.revocationUrl)) {
      at('revocationUrl must be an absolute http(s) URL')
    }
  }
}

function checkActions(actions: unknown, report: Report): Set<string> {
  const names = new Set<string>()
  if (!Array.isArray(actions) || actions.length === 0) {
    report('actions must be a non-empty array')
    return names
  }
  actions.forEach((action: unknown, index) => {
    if (!isFields(action)) {
      report(`actions[${index}] is not an action (use defineAction)`)
      return
    }
    const label = `action ${typeof action.name === 'string' ? `"${action.name}"` : `#${index}`}`
    const at = (problem: string): void => {
      report(`${label}: ${problem}`)
    }
    if (typeof action.name !== 'string' || !IDENTIFIER_PATTERN.test(action.name)) {
      at('name must be lowercase letters, digits and _ and start with a letter')
    } else if (names.has(action.name)) {
      at('name is used by another action of the tool')
    } else {
      names.add(action.name)
    }
    requireText(action, 'title', at)
    requireString(action, 'description', at)
    if (typeof action.run !== 'function') at('run must be a function')
    const inputOk = checkSchema(action.input, 'input', at, { object: true })
    const outputOk = checkSchema(action.output, 'output', at, { object: false })
    const timeout = action.timeoutMs
    if (
      timeout !== undefined &&
      !(Number.isInteger(timeout) && (timeout as number) > 0 && (timeout as number) <= MAX_TIMEOUT_MS)
    ) {
      at(`timeoutMs must be a whole number of milliseconds between 1 and ${MAX_TIMEOUT_MS}`)
    }
    checkRetry(action.retry, at)
    if (action.scopes !== undefined && !isStringArray(action.scopes)) at('scopes must be an array of strings')
    if (action.examples !== undefined) {
      checkExamples(
        action.examples,
        inputOk ? action.input : undefined,
        outputOk ? action.output : undefined,
        at,
      )
    }
  })
  return names
}

function checkRetry(retry: unknown, at: Report): void {
  if (retry === undefined) return
  if (!isFields(retry)) {
    at('retry must be an object')
    return
  }
  const attempts = retry.maxAttempts
  if (
    attempts !== undefined &&
    !(Number.isInteger(attempts) && (attempts as number) >= 1 && (attempts as number) <= MAX_ATTEMPTS)
  ) {
    at(`retry.maxAttempts must be a whole number between 1 and ${MAX_ATTEMPTS}`)
  }
  const idempotent = retry.idempotent
  if (idempotent !== undefined && typeof idempotent !== 'boolean' && typeof idempotent !== 'function') {
    at('retry.idempotent must be true, false or a function of the input')
  }
}

function checkExamples(examples: unknown, input: unknown, output: unknown, at: Report): void {
  if (!Array.isArray(examples)) {
    at('examples must be an array')
    return
  }
  examples.forEach((example: unknown, index) => {
    if (!isFields(example)) {
      at(`examples[${index}] must be an object with an input`)
      return
    }
    const check = (schema: unknown, value: unknown, part: string): void => {
      if (!isFields(schema)) return
      const result = validate(schema, value)
      if (!result.ok) {
        const first = result.errors[0]
        at(
          `examples[${index}].${part} does not match the ${part} schema: ${first?.path || '/'} ${first?.message ?? ''}`,
        )
      }
    }
    check(input, example.input, 'input')
    if (example.output !== undefined) check(output, example.output, 'output')
  })
}

function checkTriggers(triggers: unknown, report: Report): void {
  if (triggers === undefined) return
  if (!Array.isArray(triggers)) {
    report('triggers must be an array')
    return
  }
  const seen = new Set<string>()
  triggers.forEach((trigger: unknown, index) => {
    if (!isFields(trigger)) {
      report(`triggers[${index}] is not a trigger declaration`)
      return
    }
    const label = `trigger ${typeof trigger.event === 'string' ? `"${trigger.event}"` : `#${index}`}`
    const at = (problem: string): void => {
      report(`${label}: ${problem}`)
    }
    if (typeof trigger.event !== 'string' || !eventPattern.test(trigger.event)) {
      at('event must be dotted lowercase words such as issues.opened')
    } else if (seen.has(trigger.event)) {
      at('event is declared twice')
    } else {
      seen.add(trigger.event)
    }
    requireText(trigger, 'title', at)
    requireString(trigger, 'description', at)
    checkSchema(trigger.payload, 'payload', at, { object: false })
    if (!(TRIGGER_VERIFIERS as readonly unknown[]).includes(trigger.verifier)) {
      at(`unknown verifier ${JSON.stringify(trigger.verifier)} (known: ${TRIGGER_VERIFIERS.join(', ')})`)
    }
  })
}

function checkRateLimits(limits: unknown, actionNames: ReadonlySet<string>, report: Report): void {
  if (limits === undefined) return
  if (!Array.isArray(limits)) {
    report('rateLimits must be an array')
    return
  }
  limits.forEach((limit: unknown, index) => {
    const at = (problem: string): void => {
      report(`rateLimits[${index}]: ${problem}`)
    }
    if (!isFields(limit)) {
      at('must be an object')
      return
    }
    if (!(RATE_LIMIT_SCOPES as readonly unknown[]).includes(limit.scope)) {
      at(`scope must be one of ${RATE_LIMIT_SCOPES.join(', ')}`)
    }
    if (!Number.isInteger(limit.limit) || (limit.limit as number) < 1)
      at('limit must be a positive whole number')
    if (typeof limit.windowSeconds !== 'number' || !(limit.windowSeconds > 0)) {
      at('windowSeconds must be a positive number')
    }
    if (limit.actions !== undefined) {
      if (!isStringArray(limit.actions)) at('actions must be an array of action names')
      else for (const action of limit.actions) if (!actionNames.has(action)) at(`unknown action "${action}"`)
    }
  })
}

function checkSchema(schema: unknown, part: string, at: Report, options: { object: boolean }): boolean {
  if (!isFields(schema)) {
    at(`${part} must be a JSON Schema object`)
    return false
  }
  try {
    compileSchema(schema)
  } catch (error) {
    at(`${part} schema does not compile: ${error instanceof Error ? error.message : String(error)}`)
    return false
  }
  if (options.object && schema.type !== 'object') {
    at(`${part} schema must describe an object (type: 'object')`)
    return false
  }
  return true
}

function requireText(fields: Fields, key: string, at: Report): void {
  if (typeof fields[key] !== 'string' || fields[key].trim() === '') at(`${key} must be a non-empty string`)
}

function requireString(fields: Fields, key: string, at: Report): void {
  if (typeof fields[key] !== 'string') at(`${key} must be a string`)
}

function isFields(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string' && item !== '')
}

function isHttpUrl(value: unknown): boolean {
  if (typeof value !== 'string') return false
  try {
    const url = new URL(value)
    return url.protocol === 'https:' || url.protocol === 'http:'
  } catch {
    return false
  }
}

function isIcon(value: unknown): boolean {
  return isHttpUrl(value) || (typeof value === 'string' && /^data:image\/[a-z0-9.+-]+[;,]/i.test(value))
}
