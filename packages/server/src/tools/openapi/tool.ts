/**
 * `toolFromSpec`: rebuilds a real SDK tool from an {@link ImportedToolSpec}. Every action shares one
 * generic `run` that builds the request from the input as the action's `http` descriptor says, sends
 * it with the context's HTTP client (which injects the credential and applies the network rules),
 * raises on a non-2xx answer so the engine classifies it, and returns the parsed body.
 */
import { ActionError, Secret, Type, auth, defineAction, defineTool } from '@toolplane/sdk'
import type {
  Action,
  ActionContext,
  AuthMethod,
  HttpResponse,
  OutgoingRequest,
  QueryValue,
  Tool,
} from '@toolplane/sdk'
import { IMPORTED_TOOL_SPEC_VERSION } from './spec.js'
import type {
  ImportedAction,
  ImportedAuthMethod,
  ImportedBody,
  ImportedFormEncoding,
  ImportedParameter,
  ImportedToolSpec,
} from './spec.js'

/**
 * Builds the tool an imported spec describes. The result passes the SDK's `validateTool` and runs
 * with `runAction` like any built-in tool.
 *
 * @example
 * const tool = toolFromSpec(row.spec)
 * const { output } = await runAction(tool, 'get_pet_by_id', {
 *   input: { petId: 7 },
 *   credential: { authMethod: 'api_key', secrets: { value: 'k3y' } },
 * })
 */
export function toolFromSpec(spec: ImportedToolSpec): Tool {
  if ((spec.specVersion as unknown) !== IMPORTED_TOOL_SPEC_VERSION) {
    throw new TypeError(
      `Imported tool "${spec.slug}" has spec version ${String(spec.specVersion)}; this server reads version ${IMPORTED_TOOL_SPEC_VERSION}`,
    )
  }
  return defineTool({
    slug: spec.slug,
    name: spec.name,
    description: spec.description,
    version: spec.version,
    categories: spec.categories,
    ...(spec.baseUrl === undefined ? {} : { baseUrl: spec.baseUrl }),
    authMethods: spec.authMethods.map(authMethodFrom),
    actions: spec.actions.map((action) => actionFrom(spec.slug, action)),
  })
}

function authMethodFrom(method: ImportedAuthMethod): AuthMethod {
  const common = { id: method.id, title: method.title }
  switch (method.kind) {
    case 'none':
      return auth.none(common)
    case 'bearer':
      return auth.bearer(common)
    case 'basic':
      return auth.basic(common)
    case 'api_key':
      return method.in === 'cookie'
        ? cookieApiKey(method.id, method.title, method.name)
        : auth.apiKey({ ...common, in: method.in, name: method.name })
    case 'oauth2':
      return method.grant === 'authorization_code'
        ? auth.oauth2({
            ...common,
            grant: 'authorization_code',
            authorizationUrl: method.authorizationUrl,
            tokenUrl: method.tokenUrl,
            scopes: method.scopes,
            pkce: method.pkce,
          })
        : auth.oauth2({
            ...common,
            grant: 'client_credentials',
            tokenUrl: method.tokenUrl,
            scopes: method.scopes,
          })
  }
}

// The SDK's API key methods go in a header or the query; a cookie key is a custom method that adds
// `name=value` to the Cookie header, after any cookie parameters of the action.
function cookieApiKey(id: string, title: string, name: string): AuthMethod {
  return auth.custom({
    id,
    title,
    fields: Type.Object({
      value: Secret(Type.String({ title: 'API key', minLength: 1, pattern: '^[^\\r\\n;]*$' })),
    }),
    apply(request: OutgoingRequest, secrets: { value: string }) {
      const pair = `${name}=${secrets.value}`
      const existing = request.headers.cookie
      request.headers.cookie = existing === undefined || existing === '' ? pair : `${existing}; ${pair}`
    },
  })
}

function actionFrom(slug: string, action: ImportedAction): Action {
  return defineAction({
    name: action.name,
    title: action.title,
    description: action.description,
    input: action.input,
    output: action.output,
    examples: action.examples,
    retry: { idempotent: action.retry.idempotent },
    scopes: action.scopes,
    async run(ctx: ActionContext): Promise<unknown> {
      return send(slug, action, ctx)
    },
  })
}

async function send(slug: string, action: ImportedAction, ctx: ActionContext): Promise<unknown> {
  if (ctx.baseUrl === undefined) {
    throw new ActionError(
      'validation_error',
      `Tool "${slug}" has no base URL: its OpenAPI document names no absolute server. ` +
        'Set the base URL on the credential or the installation.',
      { requestSent: false },
    )
  }
  const input = isObject(ctx.input) ? ctx.input : {}
  const request = buildRequest(action, input)
  const response = await ctx.http.request({
    method: action.http.method,
    path: request.path,
    query: request.query,
    headers: request.headers,
    ...(request.json === undefined ? {} : { json: request.json }),
    ...(request.body === undefined ? {} : { body: request.body }),
  })
  response.raise()
  return responseOutput(response, action.http.jsonResponse)
}

/** The parts of an HTTP request built from an action's input. */
export interface BuiltRequest {
  path: string
  query: Record<string, QueryValue>
  headers: Record<string, string>
  json?: unknown
  body?: URLSearchParams
}

/**
 * Builds the request an action's input stands for: path parameters substituted and URL-encoded,
 * query values written per their `style`/`explode`, headers and cookies set, the body taken from its
 * input property or from every input property no parameter claims.
 *
 * @example
 * buildRequest(action, { owner: 'acme', repo: 'site', per_page: 10 }).path // '/repos/acme/site/issues'
 */
export function buildRequest(action: ImportedAction, input: Readonly<Record<string, unknown>>): BuiltRequest {
  const { http } = action
  // Keys come from the document: containers without a prototype cannot be confused by `__proto__`.
  const query = Object.create(null) as Record<string, string[]>
  const headers = Object.create(null) as Record<string, string>
  const cookies: string[] = []
  const pathValues = new Map<string, string>()
  for (const parameter of http.parameters) {
    const value = Object.hasOwn(input, parameter.inputKey) ? input[parameter.inputKey] : undefined
    if (value === undefined || value === null) continue
    switch (parameter.in) {
      case 'path':
        pathValues.set(parameter.name, pathSegment(parameter, value))
        break
      case 'query':
        for (const [name, item] of queryPairs(parameter, value)) (query[name] ??= []).push(item)
        break
      case 'header':
        headers[parameter.name.toLowerCase()] =
          parameter.json === true ? JSON.stringify(value) : simple(value, parameter.explode, scalar)
        break
      case 'cookie':
        cookies.push(
          `${parameter.name}=${encodeURIComponent(parameter.json === true ? JSON.stringify(value) : simple(value, false, scalar))}`,
        )
        break
    }
  }
  if (cookies.length > 0) headers.cookie = cookies.join('; ')
  if (http.accept !== undefined) headers.accept = http.accept

  const path = http.pathTemplate.replace(/\{([^}]+)\}/g, (_match, name: string) => {
    const segment = pathValues.get(name)
    if (segment === undefined) {
      throw new ActionError('validation_error', `The path parameter "${name}" has no value`, {
        requestSent: false,
      })
    }
    return segment
  })
  const built: BuiltRequest = { path, query, headers }
  const body = http.body === undefined ? undefined : bodyValue(http.body, http.parameters, input)
  if (body === undefined || http.body === undefined) return built
  if (http.body.format === 'form') {
    built.body = formBody(body, http.body.encoding ?? {})
    if (!/^application\/x-www-form-urlencoded$/i.test(http.body.contentType)) {
      headers['content-type'] = http.body.contentType
    }
  } else {
    built.json = body
    if (http.body.contentType !== 'application/json') headers['content-type'] = http.body.contentType
  }
  return built
}

function bodyValue(
  body: ImportedBody,
  parameters: readonly ImportedParameter[],
  input: Readonly<Record<string, unknown>>,
): unknown {
  if (!body.merged) return Object.hasOwn(input, body.inputKey) ? input[body.inputKey] : undefined
  const claimed = new Set(parameters.map((parameter) => parameter.inputKey))
  const fields = Object.fromEntries(
    Object.entries(input).filter(([key, value]) => !claimed.has(key) && value !== undefined),
  )
  return Object.keys(fields).length === 0 && !body.required ? undefined : fields
}

// `.` and `..` (and nothing at all) would walk the URL to another endpoint, whatever is escaped.
function pathSegment(parameter: ImportedParameter, value: unknown): string {
  const encoded =
    parameter.json === true ? encodeURIComponent(JSON.stringify(value)) : styledPath(parameter, value)
  if (encoded === '' || encoded === '.' || encoded === '..') {
    throw new ActionError(
      'validation_error',
      `"${String(value)}" is not a valid value for the path parameter "${parameter.name}"`,
      {
        requestSent: false,
      },
    )
  }
  return encoded
}

function styledPath(parameter: ImportedParameter, value: unknown): string {
  const { explode, name } = parameter
  const enc = (item: unknown): string => encodeURIComponent(scalar(item))
  switch (parameter.style) {
    case 'label': {
      if (Array.isArray(value)) return `.${value.map(enc).join(explode ? '.' : ',')}`
      if (isObject(value)) return `.${pairs(value, explode ? '=' : ',', enc).join(explode ? '.' : ',')}`
      return `.${enc(value)}`
    }
    case 'matrix': {
      if (Array.isArray(value)) {
        return explode
          ? value.map((item) => `;${name}=${enc(item)}`).join('')
          : `;${name}=${value.map(enc).join(',')}`
      }
      if (isObject(value)) {
        return explode
          ? pairs(value, '=', enc)
              .map((pair) => `;${pair}`)
              .join('')
          : `;${name}=${pairs(value, ',', enc).join(',')}`
      }
      return `;${name}=${enc(value)}`
    }
    default:
      return simple(value, explode, enc)
  }
}

// OpenAPI's `simple` style: `a,b,c` for arrays, `k,v,k2,v2` (or `k=v,k2=v2` exploded) for objects.
function simple(value: unknown, explode: boolean, enc: (item: unknown) => string): string {
  if (Array.isArray(value)) return value.map(enc).join(',')
  if (isObject(value)) return pairs(value, explode ? '=' : ',', enc).join(',')
  return enc(value)
}

function pairs(value: Record<string, unknown>, separator: string, enc: (item: unknown) => string): string[] {
  return Object.entries(value)
    .filter(([, item]) => item !== undefined && item !== null)
    .map(([key, item]) => `${enc(key)}${separator}${enc(item)}`)
}

function queryPairs(parameter: ImportedParameter, value: unknown): [string, string][] {
  const { name, explode } = parameter
  if (parameter.json === true) return [[name, JSON.stringify(value)]]
  const delimiters: Partial<Record<string, string>> = { spaceDelimited: ' ', pipeDelimited: '|' }
  if (parameter.style === 'deepObject' && isObject(value)) return deepObject(name, value)
  if (Array.isArray(value)) {
    const items = value.map(scalar)
    if (explode) return items.map((item) => [name, item])
    return [[name, items.join(delimiters[parameter.style] ?? ',')]]
  }
  if (isObject(value)) {
    const entries = Object.entries(value).filter(([, item]) => item !== undefined && item !== null)
    if (explode) return entries.map(([key, item]) => [key, scalar(item)])
    return [[name, entries.flatMap(([key, item]) => [key, scalar(item)]).join(',')]]
  }
  return [[name, scalar(value)]]
}

// `filter[status]=open&filter[tags][0]=a`: OpenAPI defines one level; deeper levels follow the
// bracket convention most such APIs (Stripe, Rails) accept.
function deepObject(prefix: string, value: unknown): [string, string][] {
  if (Array.isArray(value)) return value.flatMap((item, index) => deepObject(`${prefix}[${index}]`, item))
  if (isObject(value)) {
    return Object.entries(value)
      .filter(([, item]) => item !== undefined && item !== null)
      .flatMap(([key, item]) => deepObject(`${prefix}[${key}]`, item))
  }
  return value === undefined || value === null ? [] : [[prefix, scalar(value)]]
}

function formBody(value: unknown, encoding: Readonly<Record<string, ImportedFormEncoding>>): URLSearchParams {
  if (!isObject(value)) {
    throw new ActionError('validation_error', 'A form body must be an object', { requestSent: false })
  }
  const form = new URLSearchParams()
  for (const [key, item] of Object.entries(value)) {
    if (item === undefined || item === null) continue
    const rule = encoding[key] ?? {}
    const parameter: ImportedParameter = {
      name: key,
      in: 'query',
      inputKey: key,
      style: rule.style ?? 'form',
      explode: rule.explode ?? (rule.style ?? 'form') === 'form',
      ...(rule.json === true ? { json: true } : {}),
    }
    for (const [name, text] of queryPairs(parameter, item)) form.append(name, text)
  }
  return form
}

function scalar(value: unknown): string {
  if (typeof value === 'string') return value
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  return JSON.stringify(value)
}

/**
 * What an action returns for an upstream answer: the parsed JSON; `null` for an empty body; JSON
 * sent with a wrong content type when the operation documents JSON; otherwise `{ text }`.
 *
 * @example
 * responseOutput(response, true) // { id: 7, name: 'Rex' }
 */
export function responseOutput(response: HttpResponse, jsonResponse: boolean): unknown {
  if (response.json !== undefined) return response.json
  if (response.text.trim() === '') return null
  if (jsonResponse) {
    try {
      return JSON.parse(response.text) as unknown
    } catch {
      // Not JSON after all: returned as text below.
    }
  }
  return { text: response.text }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
