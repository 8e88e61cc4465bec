import type { Action, AuthMethod, Tool } from '@toolplane/sdk'
import { Type } from 'typebox'
import { pageRequest } from '../db/pagination.js'
import type { App } from '../http/app-types.js'
import { callerOf } from '../http/authentication.js'
import { PageQuery, problemRef } from '../http/schemas.js'
import { functionFormats, functionName, functionSchema } from './function-schemas.js'
import { maxDocumentBytes } from './imports.js'
import type { ImportRequest, ToolImports } from './imports.js'
import type { CatalogTool, ToolCatalog } from './service.js'

const JsonSchemaObject = Type.Unsafe<Record<string, unknown>>({
  type: 'object',
  additionalProperties: true,
  description: 'A JSON Schema (2020-12).',
})
const AnyJson = Type.Unsafe<unknown>({ description: 'Any JSON value.' })

const AuthMethodSchema = Type.Object(
  {
    id: Type.String({ description: 'The value of a credential’s `authMethod`.' }),
    kind: Type.String({ description: 'none, api_key, bearer, basic, oauth2 or custom.' }),
    title: Type.String(),
    fields: JsonSchemaObject,
    grant: Type.Optional(Type.String()),
    authorizationUrl: Type.Optional(Type.String()),
    tokenUrl: Type.Optional(Type.String()),
    scopes: Type.Optional(Type.Array(Type.String())),
    pkce: Type.Optional(Type.Boolean()),
    in: Type.Optional(Type.String()),
    name: Type.Optional(Type.String()),
  },
  { $id: 'AuthMethod', title: 'AuthMethod' },
)

const ActionSummary = Type.Object({ name: Type.String(), title: Type.String(), description: Type.String() })

const ActionSchema = Type.Object(
  {
    name: Type.String(),
    id: Type.String({ description: '`tool.action`, as executions name it.' }),
    functionName: Type.String({ description: '`tool__action`, as agents call it.' }),
    title: Type.String(),
    description: Type.String(),
    input: JsonSchemaObject,
    output: JsonSchemaObject,
    examples: Type.Array(
      Type.Object({ title: Type.Optional(Type.String()), input: AnyJson, output: Type.Optional(AnyJson) }),
    ),
    timeoutMs: Type.Integer(),
    retry: Type.Object({
      maxAttempts: Type.Integer(),
      idempotent: Type.Union([Type.Boolean(), Type.Literal('depends_on_input')], {
        description:
          'Whether running it twice has the effect of running it once; `depends_on_input` when the input decides (http.request: GET, HEAD, PUT, DELETE and OPTIONS are).',
      }),
    }),
    scopes: Type.Array(Type.String()),
  },
  { $id: 'Action', title: 'Action' },
)

const toolFields = {
  slug: Type.String(),
  name: Type.String(),
  description: Type.String(),
  version: Type.String(),
  categories: Type.Array(Type.String()),
  icon: Type.Union([Type.String(), Type.Null()]),
  source: Type.Union([Type.Literal('builtin'), Type.Literal('plugin'), Type.Literal('imported')]),
}

const ToolSummarySchema = Type.Object(
  {
    ...toolFields,
    authMethods: Type.Array(Type.Object({ id: Type.String(), kind: Type.String(), title: Type.String() })),
    actions: Type.Array(ActionSummary),
  },
  { $id: 'ToolSummary', title: 'ToolSummary' },
)

const ToolSchema = Type.Object(
  {
    ...toolFields,
    baseUrl: Type.Union([Type.String(), Type.Null()]),
    authMethods: Type.Array(Type.Ref('AuthMethod')),
    actions: Type.Array(Type.Ref('Action')),
    triggers: Type.Array(
      Type.Object({
        event: Type.String(),
        title: Type.String(),
        description: Type.String(),
        verifier: Type.String(),
      }),
    ),
    rateLimits: Type.Array(
      Type.Object({
        scope: Type.String(),
        limit: Type.Integer(),
        windowSeconds: Type.Number(),
        actions: Type.Optional(Type.Array(Type.String())),
      }),
    ),
    healthCheck: Type.Boolean({ description: 'Whether credentials of this tool can be checked.' }),
  },
  { $id: 'Tool', title: 'Tool' },
)

const FunctionList = Type.Object({
  format: Type.Enum(functionFormats),
  data: Type.Array(Type.Unsafe<Record<string, unknown>>({ type: 'object', additionalProperties: true })),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
})

function authMethodView(method: AuthMethod) {
  const base = {
    id: method.id,
    kind: method.kind,
    title: method.title,
    fields: method.fields as unknown as Record<string, unknown>,
  }
  switch (method.kind) {
    case 'oauth2':
      return {
        ...base,
        grant: method.grant,
        tokenUrl: method.tokenUrl,
        scopes: [...method.scopes],
        ...(method.grant === 'authorization_code'
          ? { authorizationUrl: method.authorizationUrl, pkce: method.pkce }
          : {}),
      }
    case 'api_key':
      return { ...base, in: method.in, ...(method.name === undefined ? {} : { name: method.name }) }
    default:
      return base
  }
}

function actionView(tool: Tool, action: Action) {
  return {
    name: action.name,
    id: `${tool.slug}.${action.name}`,
    functionName: functionName(tool.slug, action.name),
    title: action.title,
    description: action.description,
    input: action.input as Record<string, unknown>,
    output: action.output as Record<string, unknown>,
    examples: action.examples.map((e) => ({ ...e })),
    timeoutMs: action.timeoutMs,
    retry: {
      maxAttempts: action.retry.maxAttempts,
      idempotent:
        typeof action.retry.idempotent === 'function'
          ? ('depends_on_input' as const)
          : action.retry.idempotent,
    },
    scopes: [...action.scopes],
  }
}

function summaryView({ tool, source }: CatalogTool) {
  return {
    slug: tool.slug,
    name: tool.name,
    description: tool.description,
    version: tool.version,
    categories: [...tool.categories],
    icon: tool.icon ?? null,
    source,
    authMethods: tool.authMethods.map((m) => ({ id: m.id, kind: m.kind, title: m.title })),
    actions: tool.actions.map((a) => ({ name: a.name, title: a.title, description: a.description })),
  }
}

function toolView({ tool, source }: CatalogTool) {
  return {
    ...summaryView({ tool, source }),
    baseUrl: tool.baseUrl ?? null,
    authMethods: tool.authMethods.map(authMethodView),
    actions: tool.actions.map((a) => actionView(tool, a)),
    triggers: tool.triggers.map((t) => ({
      event: t.event,
      title: t.title,
      description: t.description,
      verifier: t.verifier,
    })),
    rateLimits: tool.rateLimits.map((r) => ({
      ...r,
      ...(r.actions === undefined ? {} : { actions: [...r.actions] }),
    })),
    healthCheck: tool.healthCheck !== undefined,
  }
}

const toolParams = Type.Object({ tool: Type.String({ description: 'The tool’s slug, e.g. `github`.' }) })
const actionParams = Type.Object({
  tool: Type.String({ description: 'The tool’s slug.' }),
  action: Type.String({ description: 'The action’s name, e.g. `create_issue`.' }),
})

export function registerToolRoutes(app: App, deps: { catalog: ToolCatalog; imports: ToolImports }): void {
  const { catalog, imports } = deps
  app.addSchema(AuthMethodSchema)
  app.addSchema(ActionSchema)
  app.addSchema(ToolSummarySchema)
  app.addSchema(ToolSchema)

  app.get(
    '/v1/tools',
    {
      config: { auth: { scope: 'tools:read' } },
      schema: {
        tags: ['tools'],
        summary: 'List and search tools',
        description:
          'The catalog: built-in, plugin and this workspace’s imported tools, by slug, or best match first with `q` (names, slugs, categories, actions, descriptions). With `format=openai|anthropic|mcp` the page is instead the function-calling definitions of the listed tools’ actions, named `tool__action`.',
        querystring: Type.Object({
          q: Type.Optional(Type.String({ maxLength: 200 })),
          category: Type.Optional(Type.String({ maxLength: 100 })),
          format: Type.Optional(Type.Enum(functionFormats)),
          ...PageQuery,
        }),
        response: {
          200: Type.Union([
            Type.Object({
              data: Type.Array(Type.Ref('ToolSummary')),
              nextCursor: Type.Union([Type.String(), Type.Null()]),
            }),
            FunctionList,
          ]),
          400: problemRef,
        },
      },
    },
    async (request) => {
      const { q, category, format } = request.query
      const page = await catalog.list(
        callerOf(request).workspaceId,
        { q, category },
        pageRequest(request.query),
      )
      if (format === undefined) return { data: page.data.map(summaryView), nextCursor: page.nextCursor }
      const data = page.data.flatMap(({ tool }) =>
        tool.actions.map((action) => functionSchema(tool, action, format)),
      )
      return { format, data, nextCursor: page.nextCursor }
    },
  )

  app.get(
    '/v1/tools/:tool',
    {
      config: { auth: { scope: 'tools:read' } },
      schema: {
        tags: ['tools'],
        summary: 'A tool',
        description:
          'A tool with its auth methods (and the secret fields each needs), actions with their schemas, triggers and rate limits.',
        params: toolParams,
        response: { 200: Type.Ref('Tool'), 404: problemRef },
      },
    },
    async (request) => toolView(await catalog.get(callerOf(request).workspaceId, request.params.tool)),
  )

  app.get(
    '/v1/tools/:tool/actions/:action',
    {
      config: { auth: { scope: 'tools:read' } },
      schema: {
        tags: ['tools'],
        summary: 'An action',
        description:
          'One action with its input and output JSON Schemas, examples, time limit, retry hints and required scopes.',
        params: actionParams,
        response: { 200: Type.Ref('Action'), 404: problemRef },
      },
    },
    async (request) => {
      const { entry, action } = await catalog.action(
        callerOf(request).workspaceId,
        request.params.tool,
        request.params.action,
      )
      return actionView(entry.tool, action)
    },
  )

  app.get(
    '/v1/tools/:tool/actions/:action/sample-input',
    {
      config: { auth: { scope: 'tools:read' } },
      schema: {
        tags: ['tools'],
        summary: 'A sample input',
        description:
          'A valid input for the action, the same for the same `seed`: the action’s own examples first, then values generated from the schema (its examples, defaults, formats and bounds).',
        params: actionParams,
        querystring: Type.Object({
          seed: Type.Optional(Type.Integer({ minimum: 0, maximum: 2 ** 31 - 1, default: 0 })),
        }),
        response: { 200: Type.Object({ seed: Type.Integer(), input: AnyJson }), 404: problemRef },
      },
    },
    async (request) => {
      const { action } = await catalog.action(
        callerOf(request).workspaceId,
        request.params.tool,
        request.params.action,
      )
      const seed = request.query.seed ?? 0
      return { seed, input: catalog.sampleInput(action, seed) }
    },
  )

  // OpenAPI documents are often YAML: accept them raw, as well as inside JSON.
  app.addContentTypeParser(
    ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/plain'],
    { parseAs: 'string', bodyLimit: maxDocumentBytes },
    (_request, body, done) => {
      done(null, body)
    },
  )

  const ImportBody = Type.Object(
    {
      document: Type.Optional(
        Type.Union([Type.String({ minLength: 1 }), Type.Record(Type.String(), Type.Unknown())], {
          description: 'The OpenAPI 3.0 or 3.1 document: JSON or YAML text, or the parsed object.',
        }),
      ),
      url: Type.Optional(
        Type.String({ format: 'uri', description: 'Where to read the document from (http or https).' }),
      ),
      slug: Type.Optional(
        Type.String({
          pattern: '^[a-z][a-z0-9_]{0,39}$',
          description: 'Defaults to one made from info.title.',
        }),
      ),
      name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
      sourceUrl: Type.Optional(
        Type.String({
          format: 'uri',
          description: 'Where an inline document came from; relative references resolve against it.',
        }),
      ),
    },
    { additionalProperties: false },
  )

  app.post(
    '/v1/tools/import',
    {
      config: { auth: { scope: 'admin' } },
      bodyLimit: maxDocumentBytes,
      schema: {
        tags: ['tools'],
        summary: 'Import an OpenAPI document as a tool',
        description:
          'Creates a workspace tool from an OpenAPI 3.0 or 3.1 document (JSON or YAML): one action per operation. Send JSON `{ document | url, slug?, name?, sourceUrl? }`, or the YAML/JSON text itself with `Content-Type: application/yaml` and `?slug=&name=`. Importing again with the same slug replaces the tool (200); a new one answers 201.',
        querystring: Type.Object({
          slug: Type.Optional(Type.String({ pattern: '^[a-z][a-z0-9_]{0,39}$' })),
          name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
        }),
        body: Type.Union([ImportBody, Type.String({ minLength: 1 })]),
        response: {
          200: Type.Object({
            tool: Type.Ref('ToolSummary'),
            created: Type.Boolean(),
            warnings: Type.Array(Type.String()),
          }),
          201: Type.Object({
            tool: Type.Ref('ToolSummary'),
            created: Type.Boolean(),
            warnings: Type.Array(Type.String()),
          }),
          400: problemRef,
          409: problemRef,
          413: problemRef,
        },
      },
    },
    async (request, reply) => {
      const body = request.body
      const importRequest: ImportRequest =
        typeof body === 'string' ? { document: body, ...request.query } : { ...request.query, ...body }
      const result = await imports.importDocument(callerOf(request).workspaceId, importRequest)
      return reply.code(result.created ? 201 : 200).send({
        tool: summaryView({ tool: result.tool, source: 'imported' }),
        created: result.created,
        warnings: [...result.warnings],
      })
    },
  )

  app.delete(
    '/v1/tools/:tool',
    {
      config: { auth: { scope: 'admin' } },
      schema: {
        tags: ['tools'],
        summary: 'Delete an imported tool',
        description:
          'Removes a tool this workspace imported. Built-in and plugin tools cannot be deleted (409).',
        params: toolParams,
        response: { 204: Type.Null(), 404: problemRef, 409: problemRef },
      },
    },
    async (request, reply) => {
      await imports.remove(callerOf(request).workspaceId, request.params.tool)
      return reply.code(204).send(null)
    },
  )
}
