import { runHealthCheck, validate, validateTool } from '@toolplane/sdk'
import { startUpstream } from '@toolplane/sdk/testing'
import type { Upstream } from '@toolplane/sdk/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import http from './index.js'

let upstream: Upstream
beforeAll(async () => {
  upstream = await startUpstream((request, response) => {
    const status =
      request.headers.authorization === 'Bearer good' ? 404 : request.url === '/down/' ? 503 : 401
    response.writeHead(status, { 'content-type': 'application/json' })
    response.end(JSON.stringify({ message: String(status) }))
  })
})
afterAll(async () => {
  await upstream.close()
})

describe('the http tool', () => {
  it('is a valid plugin with the four auth methods of the contract', () => {
    expect(validateTool(http)).toEqual([])
    expect(http.authMethods.map((method) => method.id)).toEqual(
      expect.arrayContaining(['none', 'bearer', 'basic', 'api_key']),
    )
    expect(http.actions.map((action) => action.name)).toEqual(['request', 'get_json', 'paginate'])
  })

  it('declares the credential-named header of api_key as a credential field', () => {
    const apiKey = http.authMethods.find((method) => method.id === 'api_key')
    expect(Object.keys(apiKey?.fields.properties ?? {})).toEqual(['headerName', 'value'])
  })

  it.each(http.actions.map((action) => [action.name, action] as const))(
    'has a first example of %s that validates against its input schema',
    (_name, action) => {
      const example = action.examples[0]
      expect(example).toBeDefined()
      expect(validate(action.input, example?.input)).toMatchObject({ ok: true })
    },
  )
})

describe('the http health check', () => {
  it('passes without calling anything when no base URL is set', async () => {
    const result = await runHealthCheck(http, { allowPrivateNetwork: true })
    expect(result).toMatchObject({ ok: true, checked: true })
  })

  it('passes when the base URL answers, even with a 404', async () => {
    const result = await runHealthCheck(http, {
      credential: { authMethod: 'bearer', secrets: { token: 'good' } },
      baseUrl: `${upstream.url}/api`,
      allowPrivateNetwork: true,
    })
    expect(result).toMatchObject({ ok: true, checked: true })
    expect(upstream.requests.at(-1)?.url).toBe('/api')
  })

  it('fails with auth_error when the base URL rejects the credential', async () => {
    const result = await runHealthCheck(http, {
      credential: { authMethod: 'bearer', secrets: { token: 'bad' } },
      baseUrl: upstream.url,
      allowPrivateNetwork: true,
    })
    expect(result).toMatchObject({ ok: false, errorClass: 'auth_error' })
  })

  it('fails with upstream_unavailable when the base URL answers 503', async () => {
    const result = await runHealthCheck(http, { baseUrl: `${upstream.url}/down/`, allowPrivateNetwork: true })
    expect(result).toMatchObject({ ok: false, errorClass: 'upstream_unavailable' })
  })
})
