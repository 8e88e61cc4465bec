import type { FastifyDynamicSwaggerOptions } from '@fastify/swagger'
import { version } from '../version.js'

/** The OpenAPI 3.1 document's frame; paths come from the route schemas. */
export function openApiOptions(publicUrl: string): FastifyDynamicSwaggerOptions {
  return {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Toolplane API',
        version,
        description:
          'Run actions on third-party tools with managed credentials. Errors are RFC 9457 problem+json with a stable `code`; lists use cursor pagination (`?limit=&cursor=`, response `{ data, nextCursor }`); every response carries `X-Request-Id`.',
      },
      servers: [{ url: publicUrl }],
      components: {
        securitySchemes: {
          apiKey: {
            type: 'http',
            scheme: 'bearer',
            description: 'An API key: `Authorization: Bearer tp_…`.',
          },
          session: {
            type: 'apiKey',
            in: 'cookie',
            name: 'toolplane_session',
            description:
              'The UI session cookie; state-changing requests also need the `X-CSRF-Token` header.',
          },
        },
      },
      tags: [
        { name: 'auth', description: 'Sign-in, sessions and the caller' },
        { name: 'api-keys', description: 'API keys' },
        { name: 'workspace', description: 'The caller’s workspace' },
        {
          name: 'tools',
          description: 'The tool catalog: tools, actions, function-calling schemas, sample inputs',
        },
        { name: 'operations', description: 'Health, readiness and metrics' },
      ],
    },
    transformObject: (document) =>
      withProblemMediaType('openapiObject' in document ? document.openapiObject : document.swaggerObject),
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, index) =>
        typeof json.$id === 'string' ? json.$id : `def-${index}`,
    },
  }
}

type OpenApiObject = Partial<{ paths: Record<string, unknown> }>

/** Error responses are `application/problem+json` (RFC 9457), not plain JSON: say so in the document. */
function withProblemMediaType<T extends OpenApiObject>(document: T): T {
  for (const operations of Object.values(document.paths ?? {})) {
    for (const operation of Object.values(
      operations as Record<string, { responses?: Record<string, unknown> }>,
    )) {
      for (const response of Object.values(operation.responses ?? {})) {
        const content = (response as { content?: Record<string, { schema?: { $ref?: string } }> }).content
        const json = content?.['application/json']
        if (content !== undefined && json?.schema?.$ref === '#/components/schemas/Problem') {
          content['application/problem+json'] = json
          delete content['application/json']
        }
      }
    }
  }
  return document
}
