/**
 * Serves the web UI (packages/web, built by Vite into packages/web/dist) at `/`: the hashed files
 * under `/assets/` cached for a year, everything else revalidated, and `index.html` for every page
 * address the single-page app routes itself (`/tools/github`), with a strict Content-Security-Policy.
 * API, documentation and operations paths are never answered with the app: an unknown one is a 404
 * problem as before.
 */
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import fastifyStatic from '@fastify/static'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { App } from '../http/app-types.js'

/**
 * The policy of the app's HTML: scripts, styles and everything else only from this origin, no inline
 * script or style elements, no plugins, no framing. Vite's build needs nothing more.
 */
export const webContentSecurityPolicy = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ')

/** The policy of the "not built" page, which has no scripts, styles or images at all. */
const placeholderContentSecurityPolicy =
  "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

/** Paths that belong to the server, never to the app (exact, or followed by `/`). */
const serverPaths = ['/v1', '/openapi.json', '/metrics', '/livez', '/readyz', '/status', '/mcp', '/assets']

/**
 * Whether the app answers `path` (when the browser asks for a page): everything but the API, the
 * reference under `/docs`, the operations endpoints and the static assets.
 *
 * @example
 * isAppPath('/tools/github') // true
 * isAppPath('/v1/tools') // false
 */
export function isAppPath(path: string): boolean {
  if (path.startsWith('/docs')) return false
  return !serverPaths.some((p) => path === p || path.startsWith(`${p}/`))
}

function acceptsHtml(request: FastifyRequest): boolean {
  const accept = request.headers.accept
  return typeof accept === 'string' && accept.includes('text/html')
}

function sendHtml(reply: FastifyReply, html: string | Buffer, policy: string, status = 200) {
  return reply
    .code(status)
    .type('text/html; charset=utf-8')
    .header('cache-control', 'no-cache')
    .header('content-security-policy', policy)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'same-origin')
    .header('x-frame-options', 'DENY')
    .send(html)
}

const notBuiltPage = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>Toolplane</title>
  </head>
  <body>
    <main>
      <h1>Toolplane is running</h1>
      <p>The web interface has not been built, so there is nothing to show here yet.</p>
      <p>Build it with <code>npm run build</code> (or only the interface, with
        <code>npm run build -w @toolplane/web</code>) and restart the server.</p>
      <p>The API answers at <code>/v1</code>; its reference is at <a href="/docs">/docs</a>.</p>
    </main>
  </body>
</html>
`

const registered = 'toolplaneWebApp'

export interface WebAppOptions {
  /** The built app (a folder with `index.html` and `assets/`), or null when it has not been built. */
  readonly root: string | null
}

/**
 * Serves the web UI. Register it after every other route: it answers the page addresses nothing
 * else has (`GET /*`). Without a build (`root` null) `/` explains how to make one.
 *
 * @example
 * registerWebApp(app, { root: webAppRoot() }) // after all API routes
 */
export async function registerWebApp(app: App, options: WebAppOptions): Promise<void> {
  if (app.hasDecorator(registered)) throw new Error('registerWebApp() was already called on this app')
  app.decorate(registered, true)
  const { root } = options

  if (root === null) {
    app.get('/*', { schema: { hide: true } }, async (request, reply) => {
      const path = request.url.split('?')[0] ?? '/'
      if (path !== '/' && !(isAppPath(path) && acceptsHtml(request))) {
        reply.callNotFound()
        return reply
      }
      return sendHtml(reply, notBuiltPage, placeholderContentSecurityPolicy, path === '/' ? 200 : 404)
    })
    return
  }

  const indexHtml = await readFile(join(root, 'index.html'))
  const assets = join(root, 'assets')
  if (existsSync(assets)) {
    // Hashed names: a changed file gets a new name, so each one can be kept for good.
    await app.register(fastifyStatic, {
      root: assets,
      prefix: '/assets/',
      decorateReply: false,
      index: false,
      cacheControl: false,
      preCompressed: true,
      setHeaders: (response) => {
        response.setHeader('cache-control', 'public, max-age=31536000, immutable')
        response.setHeader('x-content-type-options', 'nosniff')
      },
    })
  }
  // The other files at the top (the icon): found once, revalidated on every use.
  await app.register(fastifyStatic, {
    root,
    prefix: '/',
    wildcard: false,
    globIgnore: ['assets/**', 'index.html', '**/*.gz', '**/*.br'],
    decorateReply: false,
    index: false,
    cacheControl: false,
    preCompressed: true,
    setHeaders: (response) => {
      response.setHeader('cache-control', 'no-cache')
      response.setHeader('x-content-type-options', 'nosniff')
    },
  })
  app.get('/*', { schema: { hide: true } }, async (request, reply) => {
    const path = request.url.split('?')[0] ?? '/'
    if (!isAppPath(path) || (path !== '/' && !acceptsHtml(request))) {
      reply.callNotFound()
      return reply
    }
    return sendHtml(reply, indexHtml, webContentSecurityPolicy)
  })
}

/**
 * Where the built web UI is, found from this file's own place (packages/server/src/web or
 * packages/server/dist/web → packages/web/dist); null when it has not been built.
 *
 * @example
 * const root = webAppRoot() // '/srv/toolplane/packages/web/dist/' or null
 */
export function webAppRoot(from: string = import.meta.url): string | null {
  const root = fileURLToPath(new URL('../../../web/dist/', from))
  return existsSync(join(root, 'index.html')) ? root : null
}
