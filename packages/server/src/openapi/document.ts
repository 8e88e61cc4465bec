import type { SwaggerOptions } from '@fastify/swagger'
import { version } from '../version.js'

/** The OpenAPI 3.1 document's frame; paths come from the route schemas. */
export function openApiOptions(publicUrl: string): SwaggerOptions {
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
        { name: 'operations', description: 'Health, readiness and metrics' },
      ],
    },
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, index) =>
        typeof json.$id === 'string' ? json.$id : `def-${index}`,
    },
  }
}
