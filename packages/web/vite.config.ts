// Builds the web UI into packages/web/dist, which the server serves at `/` (packages/server/src/web).
// `npm run dev -w @toolplane/web` serves it with hot reload and proxies the API to a running server.
import { readFile, writeFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { brotliCompress, constants, gzip } from 'node:zlib'
import { promisify } from 'node:util'
import react from '@vitejs/plugin-react'
import { defineConfig } from 'vite'
import type { Plugin } from 'vite'

const gzipAsync = promisify(gzip)
const brotliAsync = promisify(brotliCompress)

/**
 * Writes `.gz` and `.br` copies of the text assets next to them, so the server sends them
 * compressed without compressing on every request (@fastify/static's `preCompressed`).
 */
function precompress(): Plugin {
  let outDir = ''
  return {
    name: 'toolplane:precompress',
    apply: 'build',
    configResolved(config) {
      outDir = resolve(config.root, config.build.outDir)
    },
    async writeBundle(_options, bundle) {
      const files = Object.keys(bundle).filter((file) => /\.(js|css|svg|json)$/.test(file))
      await Promise.all(
        files.map(async (file) => {
          const path = `${outDir}/${file}`
          const content = await readFile(path)
          if (content.length < 1024) return
          await writeFile(`${path}.gz`, await gzipAsync(content, { level: 9 }))
          await writeFile(
            `${path}.br`,
            await brotliAsync(content, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }),
          )
        }),
      )
    },
  }
}

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [react(), precompress()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // Every asset is a file of its own: the Content-Security-Policy allows no data: scripts or styles.
    assetsInlineLimit: 0,
  },
  server: {
    proxy: {
      '/v1': { target: process.env.WEB_DEV_API_URL ?? 'http://127.0.0.1:8080' },
    },
  },
})
