import { Type } from 'typebox'
import { describe, expect, it } from 'vitest'
import { AUTH_KINDS, applyCredential, auth, checkSecrets } from './auth.js'
import type { OutgoingRequest } from './auth.js'
import { ActionError } from './errors.js'
import { isSecret, secretPaths } from './secrets.js'

const request = (): OutgoingRequest => ({
  method: 'GET',
  url: new URL('https://api.example.com/x?a=1'),
  headers: {},
})

describe('auth declarations', () => {
  it('give each kind an id, a title and secret fields', () => {
    const methods = [
      auth.none(),
      auth.apiKey({ in: 'header', name: 'X-Api-Key' }),
      auth.bearer(),
      auth.basic(),
      auth.oauth2({
        grant: 'authorization_code',
        authorizationUrl: 'https://example.com/authorize',
        tokenUrl: 'https://example.com/token',
        scopes: ['read'],
      }),
      auth.oauth2({ grant: 'client_credentials', tokenUrl: 'https://example.com/token', scopes: [] }),
      auth.custom({ id: 'signed', fields: Type.Object({ keyId: Type.String() }), apply: () => undefined }),
    ]
    expect(methods.map((method) => [method.id, method.kind])).toEqual([
      ['none', 'none'],
      ['api_key', 'api_key'],
      ['bearer', 'bearer'],
      ['basic', 'basic'],
      ['oauth2', 'oauth2'],
      ['oauth2_client_credentials', 'oauth2'],
      ['signed', 'custom'],
    ])
    for (const method of methods) {
      expect(AUTH_KINDS).toContain(method.kind)
      expect(method.title).not.toBe('')
      for (const field of Object.values(method.fields.properties)) expect(isSecret(field)).toBe(true)
    }
    expect(Object.isFrozen(methods[1])).toBe(true)
  })

  it('lets a tool rename a method', () => {
    expect(auth.bearer({ id: 'pat', title: 'Personal access token' })).toMatchObject({
      id: 'pat',
      title: 'Personal access token',
    })
  })

  it('keeps OAuth2 provider metadata as data, PKCE on by default', () => {
    const github = auth.oauth2({
      grant: 'authorization_code',
      authorizationUrl: 'https://github.com/login/oauth/authorize',
      tokenUrl: 'https://github.com/login/oauth/access_token',
      revocationUrl: 'https://api.github.com/applications/x/token',
      scopes: ['repo', 'read:user'],
      extraAuthorizeParams: { allow_signup: 'false' },
    })
    expect(github).toMatchObject({
      grant: 'authorization_code',
      pkce: true,
      scopeSeparator: ' ',
      scopes: ['repo', 'read:user'],
      extraAuthorizeParams: { allow_signup: 'false' },
    })
    const slack = auth.oauth2({
      grant: 'authorization_code',
      authorizationUrl: 'https://slack.com/oauth/v2/authorize',
      tokenUrl: 'https://slack.com/api/oauth.v2.access',
      scopes: ['chat:write'],
      pkce: false,
      scopeSeparator: ',',
    })
    expect(slack).toMatchObject({ pkce: false, scopeSeparator: ',', revocationUrl: undefined })
  })

  it('asks a credential for the header name when the declaration leaves it out', () => {
    const method = auth.apiKey({ in: 'header' })
    expect(Object.keys(method.fields.properties)).toEqual(['headerName', 'value'])
    const query = auth.apiKey({ in: 'query' })
    expect(Object.keys(query.fields.properties)).toEqual(['paramName', 'value'])
  })

  it('marks every custom field secret without touching the original schema', () => {
    const fields = Type.Object({ keyId: Type.String(), region: Type.Optional(Type.String()) })
    const method = auth.custom({ id: 'signed', fields, apply: () => undefined })
    expect(secretPaths(method.fields).sort()).toEqual(['/keyId', '/region'])
    expect(method.fields.required).toEqual(['keyId'])
    expect(secretPaths(fields)).toEqual([])
    expect(auth.custom({ id: 'x', fields, apply: () => undefined }).title).toBe('x')
  })
})

describe('applying a credential', () => {
  it('sends nothing for none', () => {
    const outgoing = request()
    applyCredential(auth.none(), {}, outgoing)
    expect(outgoing.headers).toEqual({})
  })

  it('puts an API key in the declared header or query parameter', () => {
    const header = request()
    applyCredential(auth.apiKey({ in: 'header', name: 'X-Api-Key' }), { value: 'k' }, header)
    expect(header.headers).toEqual({ 'x-api-key': 'k' })
    const query = request()
    applyCredential(auth.apiKey({ in: 'query', name: 'api_key' }), { value: 'k&v' }, query)
    expect(query.url.search).toBe('?a=1&api_key=k%26v')
  })

  it('takes the header or parameter name from the credential when it names one', () => {
    const header = request()
    applyCredential(auth.apiKey({ in: 'header' }), { headerName: 'X-Token', value: 'k' }, header)
    expect(header.headers).toEqual({ 'x-token': 'k' })
    const query = request()
    applyCredential(auth.apiKey({ in: 'query' }), { paramName: 'token', value: 'k' }, query)
    expect(query.url.searchParams.get('token')).toBe('k')
  })

  it('sends bearer and basic authorization', () => {
    const bearer = request()
    applyCredential(auth.bearer(), { token: 't0k' }, bearer)
    expect(bearer.headers.authorization).toBe('Bearer t0k')
    const basic = request()
    applyCredential(auth.basic(), { username: 'ada', password: 'pässword' }, basic)
    expect(basic.headers.authorization).toBe(`Basic ${Buffer.from('ada:pässword').toString('base64')}`)
  })

  it('sends an OAuth2 access token with its type', () => {
    const method = auth.oauth2({
      grant: 'client_credentials',
      tokenUrl: 'https://example.com/token',
      scopes: [],
    })
    const cases: [Record<string, unknown>, string][] = [
      [{ accessToken: 'a' }, 'Bearer a'],
      [{ accessToken: 'a', tokenType: 'bearer' }, 'Bearer a'],
      [{ accessToken: 'a', tokenType: 'MAC' }, 'MAC a'],
    ]
    for (const [secrets, expected] of cases) {
      const outgoing = request()
      applyCredential(method, secrets, outgoing)
      expect(outgoing.headers.authorization).toBe(expected)
    }
  })

  it('runs a custom method with typed secrets', () => {
    const method = auth.custom({
      id: 'signed',
      fields: Type.Object({ keyId: Type.String(), secret: Type.String() }),
      apply(outgoing, secrets) {
        outgoing.headers['x-key-id'] = secrets.keyId
        outgoing.headers['x-signature'] = `${outgoing.method}:${secrets.secret.length}`
      },
    })
    const outgoing = request()
    applyCredential(method, { keyId: 'k1', secret: 'abc' }, outgoing)
    expect(outgoing.headers).toEqual({ 'x-key-id': 'k1', 'x-signature': 'GET:3' })
  })
})

describe('checkSecrets', () => {
  it('names missing and malformed fields, never their values', () => {
    expect(() => {
      checkSecrets(auth.basic(), { username: 'ada' })
    }).toThrow('The credential for "basic" is incomplete: /password is required')
    const error = (() => {
      try {
        checkSecrets(auth.bearer(), { token: 'line\r\nX-Injected: 1' })
      } catch (caught) {
        return caught as ActionError
      }
      throw new Error('no error')
    })()
    expect(error).toBeInstanceOf(ActionError)
    expect(error.class).toBe('auth_error')
    expect(error.requestSent).toBe(false)
    expect(error.message).not.toContain('Injected')
    expect(error.suggestions[0]?.title).toBe('Update the credential')
  })

  it('refuses a header name that is not a token', () => {
    expect(() => {
      checkSecrets(auth.apiKey({ in: 'header' }), { headerName: 'Bad Header', value: 'x' })
    }).toThrow('/headerName')
  })
})
