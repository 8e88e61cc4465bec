import { Type } from 'typebox'
import { describe, expect, it } from 'vitest'
import { auth } from './auth.js'
import { defineAction, defineTool } from './tool.js'
import { validateTool } from './validate-tool.js'

const ping = defineAction({
  name: 'ping',
  title: 'Ping',
  description: 'Checks the service.',
  input: Type.Object({ message: Type.String() }),
  output: Type.Object({ echo: Type.String() }),
  examples: [{ input: { message: 'hi' }, output: { echo: 'hi' } }],
  run: ({ input }) => Promise.resolve({ echo: input.message }),
})

const healthy = defineTool({
  slug: 'pinger',
  name: 'Pinger',
  description: 'Pings.',
  version: '1.0.0-beta.1+build.5',
  categories: ['utilities'],
  icon: 'data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=',
  baseUrl: 'https://api.example.com',
  authMethods: [
    auth.none(),
    auth.apiKey({ in: 'header' }),
    auth.oauth2({
      grant: 'authorization_code',
      authorizationUrl: 'https://example.com/authorize',
      tokenUrl: 'https://example.com/token',
      revocationUrl: 'https://example.com/revoke',
      scopes: ['read'],
    }),
    auth.oauth2({ grant: 'client_credentials', tokenUrl: 'https://example.com/token', scopes: [] }),
  ],
  actions: [ping],
  healthCheck: () => Promise.resolve(),
  triggers: [
    {
      event: 'ping.received',
      title: 'Ping received',
      description: '',
      payload: Type.Object({}),
      verifier: 'standard-webhooks',
    },
  ],
  rateLimits: [{ scope: 'credential', limit: 10, windowSeconds: 1, actions: ['ping'] }],
})

describe('validateTool', () => {
  it('finds nothing wrong with a well-formed tool', () => {
    expect(validateTool(healthy)).toEqual([])
  })

  it('accepts an idempotency hint that is a function of the input', () => {
    const byInput = defineAction({
      ...ping,
      name: 'ping_by_input',
      retry: { idempotent: (input) => input.message !== 'launch' },
    })
    expect(validateTool({ ...healthy, actions: [ping, byInput] })).toEqual([])
  })

  it('refuses something that is not a tool at all', () => {
    expect(validateTool(undefined)).toEqual([
      'the plugin is not a tool object (export the result of defineTool)',
    ])
    expect(validateTool([healthy])).toHaveLength(1)
  })

  it('names the tool and each problem of its metadata', () => {
    const problems = validateTool({
      ...healthy,
      slug: 'Bad-Slug',
      name: ' ',
      description: 3,
      version: '1.0',
      categories: 'all',
      icon: 'ftp://x/icon.png',
      baseUrl: 'not a url',
      healthCheck: 'yes',
    })
    expect(problems).toEqual([
      'tool "Bad-Slug": slug "Bad-Slug" must be lowercase letters, digits and _ and start with a letter',
      'tool "Bad-Slug": name must be a non-empty string',
      'tool "Bad-Slug": description must be a string',
      'tool "Bad-Slug": version "1.0" is not a semantic version such as 1.0.0',
      'tool "Bad-Slug": categories must be an array of strings',
      'tool "Bad-Slug": icon must be an http(s) URL or a data:image/ URI',
      'tool "Bad-Slug": baseUrl must be an absolute http(s) URL',
      'tool "Bad-Slug": healthCheck must be a function',
    ])
    expect(validateTool({ ...healthy, slug: undefined })[0]).toMatch(/^tool "\?": slug undefined/)
  })

  it('finds broken auth declarations', () => {
    const problems = validateTool({
      ...healthy,
      authMethods: [
        auth.bearer(),
        auth.bearer(),
        { id: 'Weird', kind: 'kerberos', title: 'x', fields: Type.Object({}) },
        { ...auth.apiKey({ in: 'header', name: 'X' }), in: 'cookie', name: '' },
        { ...auth.oauth2({ grant: 'client_credentials', tokenUrl: 'x', scopes: [] }), scopes: 'read' },
        {
          ...auth.oauth2({
            grant: 'authorization_code',
            authorizationUrl: 'https://e.com/a',
            tokenUrl: 'https://e.com/t',
            scopes: [],
          }),
          id: 'oauth_code',
          authorizationUrl: 'nope',
          revocationUrl: 'nope',
        },
        { ...auth.bearer({ id: 'grantless' }), kind: 'oauth2', grant: 'implicit' },
        { ...auth.bearer({ id: 'bad_fields' }), fields: { type: 'strnig' } },
        { ...auth.bearer({ id: 'scalar_fields' }), fields: Type.String() },
        'not a method',
      ],
    })
    expect(problems).toEqual([
      'tool "pinger": auth method "bearer": id is used twice',
      'tool "pinger": auth method "Weird": id must match [a-z][a-z0-9_]*',
      'tool "pinger": auth method "Weird": unknown kind "kerberos" (known: none, api_key, bearer, basic, oauth2, custom)',
      'tool "pinger": auth method "Weird": apply must be a function',
      'tool "pinger": auth method "api_key": in must be "header" or "query"',
      'tool "pinger": auth method "api_key": name must be a non-empty string when given',
      'tool "pinger": auth method "oauth2_client_credentials": tokenUrl must be an absolute http(s) URL',
      'tool "pinger": auth method "oauth2_client_credentials": scopes must be an array of strings',
      'tool "pinger": auth method "oauth_code": authorizationUrl must be an absolute http(s) URL',
      'tool "pinger": auth method "oauth_code": revocationUrl must be an absolute http(s) URL',
      'tool "pinger": auth method "grantless": unknown OAuth2 grant "implicit"',
      expect.stringMatching(
        /^tool "pinger": auth method "bad_fields": fields schema does not compile: /,
      ) as string,
      `tool "pinger": auth method "scalar_fields": fields schema must describe an object (type: 'object')`,
      'tool "pinger": authMethods[9] is not an auth declaration',
    ])
    expect(validateTool({ ...healthy, authMethods: [] })).toEqual([
      'tool "pinger": authMethods must be a non-empty array (use auth.none() for a tool without credentials)',
    ])
    expect(validateTool({ ...healthy, authMethods: [{ ...auth.none(), id: undefined }] })[0]).toBe(
      'tool "pinger": auth method #0: id must match [a-z][a-z0-9_]*',
    )
  })

  it('finds broken actions', () => {
    const problems = validateTool({
      ...healthy,
      actions: [
        ping,
        ping,
        { ...ping, name: 'no_run', run: undefined },
        { ...ping, name: 'bad_schema', input: { type: 'object', properties: { a: { type: 'strnig' } } } },
        { ...ping, name: 'scalar_input', input: Type.String(), output: 'nope' },
        { ...ping, name: 'limits', timeoutMs: 0, retry: { maxAttempts: 50, idempotent: 'yes' }, scopes: [1] },
        { ...ping, name: 'retry_shape', timeoutMs: 20 * 60 * 1000, retry: 3 },
        {
          ...ping,
          name: 'bad_examples',
          examples: [{ input: { message: 1 } }, { input: { message: 'x' }, output: {} }, 'nope'],
        },
        { ...ping, name: 'odd_examples', examples: 'many' },
        { ...ping, name: 'Bad', title: '', description: undefined },
        42,
      ],
    })
    expect(problems).toEqual([
      'tool "pinger": action "ping": name is used by another action of the tool',
      'tool "pinger": action "no_run": run must be a function',
      expect.stringMatching(/^tool "pinger": action "bad_schema": input schema does not compile: /) as string,
      `tool "pinger": action "scalar_input": input schema must describe an object (type: 'object')`,
      'tool "pinger": action "scalar_input": output must be a JSON Schema object',
      'tool "pinger": action "limits": timeoutMs must be a whole number of milliseconds between 1 and 900000',
      'tool "pinger": action "limits": retry.maxAttempts must be a whole number between 1 and 10',
      'tool "pinger": action "limits": retry.idempotent must be true, false or a function of the input',
      'tool "pinger": action "limits": scopes must be an array of strings',
      'tool "pinger": action "retry_shape": timeoutMs must be a whole number of milliseconds between 1 and 900000',
      'tool "pinger": action "retry_shape": retry must be an object',
      'tool "pinger": action "bad_examples": examples[0].input does not match the input schema: /message must be string',
      'tool "pinger": action "bad_examples": examples[1].output does not match the output schema: /echo is required',
      'tool "pinger": action "bad_examples": examples[2] must be an object with an input',
      'tool "pinger": action "odd_examples": examples must be an array',
      'tool "pinger": action "Bad": name must be lowercase letters, digits and _ and start with a letter',
      'tool "pinger": action "Bad": title must be a non-empty string',
      'tool "pinger": action "Bad": description must be a string',
      'tool "pinger": actions[10] is not an action (use defineAction)',
    ])
    expect(validateTool({ ...healthy, actions: [], rateLimits: [] })).toEqual([
      'tool "pinger": actions must be a non-empty array',
    ])
    expect(validateTool({ ...healthy, actions: [{ ...ping, name: 7 }] })[0]).toBe(
      'tool "pinger": action #0: name must be lowercase letters, digits and _ and start with a letter',
    )
  })

  it('finds broken triggers and rate limits', () => {
    const trigger = healthy.triggers[0]
    const problems = validateTool({
      ...healthy,
      triggers: [
        trigger,
        trigger,
        { ...trigger, event: 'Bad Event', verifier: 'paypal', payload: { type: 'strnig' }, title: '' },
        { ...trigger, event: undefined },
        null,
      ],
      rateLimits: [
        { scope: 'workspace', limit: 0, windowSeconds: -1 },
        { scope: 'tool', limit: 1, windowSeconds: 1, actions: ['ping', 'pong'] },
        { scope: 'tool', limit: 1, windowSeconds: 1, actions: 'ping' },
        'fast',
      ],
    })
    expect(problems).toEqual([
      'tool "pinger": trigger "ping.received": event is declared twice',
      'tool "pinger": trigger "Bad Event": event must be dotted lowercase words such as issues.opened',
      'tool "pinger": trigger "Bad Event": title must be a non-empty string',
      expect.stringMatching(/^tool "pinger": trigger "Bad Event": payload schema does not compile/) as string,
      'tool "pinger": trigger "Bad Event": unknown verifier "paypal" (known: github, slack, stripe, standard-webhooks)',
      'tool "pinger": trigger #3: event must be dotted lowercase words such as issues.opened',
      'tool "pinger": triggers[4] is not a trigger declaration',
      'tool "pinger": rateLimits[0]: scope must be one of credential, tool',
      'tool "pinger": rateLimits[0]: limit must be a positive whole number',
      'tool "pinger": rateLimits[0]: windowSeconds must be a positive number',
      'tool "pinger": rateLimits[1]: unknown action "pong"',
      'tool "pinger": rateLimits[2]: actions must be an array of action names',
      'tool "pinger": rateLimits[3]: must be an object',
    ])
    expect(validateTool({ ...healthy, triggers: {}, rateLimits: {} })).toEqual([
      'tool "pinger": triggers must be an array',
      'tool "pinger": rateLimits must be an array',
    ])
    expect(validateTool({ ...healthy, triggers: undefined, rateLimits: undefined })).toEqual([])
  })
})
