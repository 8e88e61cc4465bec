import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { brotliCompressSync, gunzipSync, gzipSync } from 'node:zlib'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { App } from '../http/app-types.js'
import { registerProblemHandlers } from '../http/problems.js'
import { isAppPath, registerWebApp, webAppRoot, webContentSecurityPolicy } from './static.js'

const indexHtml =
  '<!doctype html><html lang="en"><head><script type="module" src="/assets/index-abc123.js"></script></head><body><div id="root"></div></body></html>'
const script = `console.log(${JSON.stringify('x'.repeat(4000))})\n`

/** A built app like Vite's: index.html, an icon, hashed assets with compressed copies. */
function makeDist(): string {
  const root = mkdtempSync(join(tmpdir(), 'toolplane-web-'))
  mkdirSync(join(root, 'assets'))
  writeFileSync(join(root, 'index.html'), indexHtml)
  writeFileSync(join(root, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>')
  writeFileSync(join(root, 'assets', 'index-abc123.js'), script)
  writeFileSync(join(root, 'assets', 'index-abc123.js.gz'), gzipSync(script))
  writeFileSync(join(root, 'assets', 'index-abc123.js.br'), brotliCompressSync(script))
  writeFileSync(join(root, 'assets', 'index-def456.css'), 'body{margin:0}')
  return root
}

/** A small app shaped like the server's: problem handlers, an API route, operations routes. */
async function makeApp(root: string | null): Promise<App> {
  const app: App = Fastify().withTypeProvider<TypeBoxTypeProvider>()
  registerProblemHandlers(app)
  app.get('/v1/ping', () => ({ pong: true }))
  app.get('/livez', () => ({ status: 'ok' }))
  await registerWebApp(app, { root })
  await app.ready()
  return app
}

const html = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' }

describe('registerWebApp with a built app', () => {
  let root: string
  let app: App

  beforeAll(async () => {
    root = makeDist()
    app = await makeApp(root)
  })
  afterAll(async () => {
    await app.close()
    rmSync(root, { recursive: true, force: true })
  })

  it('serves index.html at / with a strict policy and no caching', async () => {
    for (const headers of [html, {}]) {
      const res = await app.inject({ url: '/', headers })
      expect(res.statusCode).toBe(200)
      expect(res.body).toBe(indexHtml)
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8')
      expect(res.headers['cache-control']).toBe('no-cache')
      expect(res.headers['content-security-policy']).toBe(webContentSecurityPolicy)
      expect(res.headers['x-content-type-options']).toBe('nosniff')
      expect(res.headers['x-frame-options']).toBe('DENY')
      expect(res.headers['referrer-policy']).toBe('same-origin')
    }
    expect(webContentSecurityPolicy).toContain("script-src 'self';")
    expect(webContentSecurityPolicy).not.toContain('unsafe-inline')
    const head = await app.inject({ method: 'HEAD', url: '/', headers: html })
    expect(head.statusCode).toBe(200)
    const file = await app.inject({ url: '/index.html', headers: html })
    expect(file.body).toBe(indexHtml)
    expect(file.headers['content-security-policy']).toBe(webContentSecurityPolicy)
  })

  it('answers every page address the app routes with index.html (the SPA fallback)', async () => {
    for (const url of [
      '/tools',
      '/tools/github?q=x',
      '/sign-in?next=%2Ftools',
      '/documentation-is-not-docs/../x',
    ]) {
      const res = await app.inject({ url, headers: html })
      expect(res.statusCode, url).toBe(200)
      expect(res.body).toBe(indexHtml)
    }
  })

  it('answers a request that does not ask for HTML with the API’s 404 problem', async () => {
    const res = await app.inject({ url: '/tools/github', headers: { accept: 'application/json' } })
    expect(res.statusCode).toBe(404)
    expect(res.headers['content-type']).toContain('application/problem+json')
    expect(res.json()).toMatchObject({ code: 'not_found' })
  })

  it('never answers API, reference or operations paths with the app', async () => {
    for (const url of [
      '/v1',
      '/v1/nothing',
      '/docs',
      '/docs/static/x.js',
      '/openapi.json',
      '/metrics',
      '/readyz',
      '/status',
      '/status/history',
      '/mcp',
      '/assets/missing.js',
    ]) {
      const res = await app.inject({ url, headers: html })
      expect(res.statusCode, url).toBe(404)
      expect(res.json(), url).toMatchObject({ code: 'not_found' })
    }
    expect((await app.inject({ url: '/v1/ping', headers: html })).json()).toEqual({ pong: true })
    expect((await app.inject({ url: '/livez', headers: html })).json()).toEqual({ status: 'ok' })
    const post = await app.inject({ method: 'POST', url: '/tools', headers: html })
    expect(post.statusCode).toBe(404)
  })

  it('serves hashed assets for a year, compressed when the browser accepts it', async () => {
    const plain = await app.inject({ url: '/assets/index-abc123.js' })
    expect(plain.statusCode).toBe(200)
    expect(plain.body).toBe(script)
    expect(plain.headers['content-type']).toMatch(/javascript/)
    expect(plain.headers['cache-control']).toBe('public, max-age=31536000, immutable')
    expect(plain.headers['content-encoding']).toBeUndefined()

    const gzip = await app.inject({ url: '/assets/index-abc123.js', headers: { 'accept-encoding': 'gzip' } })
    expect(gzip.headers['content-encoding']).toBe('gzip')
    expect(gunzipSync(gzip.rawPayload).toString()).toBe(script)
    const brotli = await app.inject({
      url: '/assets/index-abc123.js',
      headers: { 'accept-encoding': 'br, gzip' },
    })
    expect(brotli.headers['content-encoding']).toBe('br')

    // A file without compressed copies is sent as it is.
    const css = await app.inject({
      url: '/assets/index-def456.css',
      headers: { 'accept-encoding': 'br, gzip' },
    })
    expect(css.statusCode).toBe(200)
    expect(css.body).toBe('body{margin:0}')
    expect(css.headers['cache-control']).toBe('public, max-age=31536000, immutable')
  })

  it('serves the other files at the top, revalidated on every use', async () => {
    const icon = await app.inject({ url: '/favicon.svg' })
    expect(icon.statusCode).toBe(200)
    expect(icon.headers['content-type']).toContain('image/svg+xml')
    expect(icon.headers['cache-control']).toBe('no-cache')
  })

  it('can be registered only once', async () => {
    await expect(registerWebApp(app, { root })).rejects.toThrow('already called')
  })
})

describe('registerWebApp without a build', () => {
  let app: App

  beforeAll(async () => {
    app = await makeApp(null)
  })
  afterAll(() => app.close())

  it('explains at / how to build the interface, without an error', async () => {
    const res = await app.inject({ url: '/', headers: html })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8')
    expect(res.body).toContain('npm run build -w @toolplane/web')
    expect(res.headers['content-security-policy']).toContain("default-src 'none'")
    expect((await app.inject({ url: '/' })).statusCode).toBe(200)
  })

  it('says the same, as not found, at other page addresses, and leaves the API alone', async () => {
    const page = await app.inject({ url: '/tools', headers: html })
    expect(page.statusCode).toBe(404)
    expect(page.body).toContain('has not been built')
    const api = await app.inject({ url: '/v1/nothing', headers: html })
    expect(api.json()).toMatchObject({ code: 'not_found' })
    const json = await app.inject({ url: '/tools' })
    expect(json.json()).toMatchObject({ code: 'not_found' })
  })
})

describe('isAppPath', () => {
  it('leaves the server’s own paths to the server', () => {
    expect(isAppPath('/')).toBe(true)
    expect(isAppPath('/tools/github')).toBe(true)
    expect(isAppPath('/v1x')).toBe(true)
    expect(isAppPath('/v1')).toBe(false)
    expect(isAppPath('/docs/json')).toBe(false)
    expect(isAppPath('/mcp/sse')).toBe(false)
  })
})

describe('webAppRoot', () => {
  it('finds packages/web/dist from the server’s source or build folder, when it has an index.html', () => {
    const base = mkdtempSync(join(tmpdir(), 'toolplane-layout-'))
    try {
      const dist = join(base, 'packages', 'web', 'dist')
      mkdirSync(dist, { recursive: true })
      const fromSource = new URL(`file://${join(base, 'packages', 'server', 'src', 'web', 'static.ts')}`).href
      const fromBuild = new URL(`file://${join(base, 'packages', 'server', 'dist', 'web', 'static.js')}`).href
      expect(webAppRoot(fromSource)).toBeNull()
      writeFileSync(join(dist, 'index.html'), indexHtml)
      expect(webAppRoot(fromSource)).toBe(`${dist}/`)
      expect(webAppRoot(fromBuild)).toBe(`${dist}/`)
    } finally {
      rmSync(base, { recursive: true, force: true })
    }
  })

  it('looks beside this server by default', () => {
    const dist = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'web', 'dist')
    expect(webAppRoot()).toBe(existsSync(join(dist, 'index.html')) ? `${dist}/` : null)
  })
})
