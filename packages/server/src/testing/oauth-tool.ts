import { Type, auth, defineAction, defineTool } from '@toolplane/sdk'

/**
 * The tool whose OAuth provider is the test authorization server (`startOAuthServer`): the same
 * declarations as the server's `provider` and `clientCredentialsProvider`, built from its issuer so
 * another process can build the identical tool.
 */
export function oauthTestTool(issuer: string) {
  const apiUrl = `${issuer}/api/me`
  return defineTool({
    slug: 'oidc_test',
    name: 'OIDC test provider',
    description: 'The authorization server started by the test, and its protected API.',
    version: '1.0.0',
    categories: ['test'],
    baseUrl: issuer,
    authMethods: [
      auth.oauth2({
        grant: 'authorization_code',
        authorizationUrl: `${issuer}/auth`,
        tokenUrl: `${issuer}/token`,
        revocationUrl: `${issuer}/token/revocation`,
        scopes: ['api:read'],
        pkce: true,
      }),
      auth.oauth2({ grant: 'client_credentials', tokenUrl: `${issuer}/token`, scopes: ['api:read'] }),
    ],
    actions: [
      defineAction({
        name: 'whoami',
        title: 'Who am I',
        description: 'Calls the protected API.',
        input: Type.Object({}),
        output: Type.Object({ sub: Type.Optional(Type.String()) }),
        scopes: ['api:read'],
        async run({ http }) {
          const res = await http.get<{ sub?: string }>(apiUrl)
          res.raise()
          return { sub: res.json.sub }
        },
      }),
    ],
    async healthCheck({ http }) {
      const res = await http.get(apiUrl)
      res.raise()
    },
  })
}
