// Builds the web UI with Vite's JavaScript API: the browser tests call it when dist/ is missing or
// older than the sources, into a folder of their own.
import { stat, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'vite'

/** This package's folder. */
export const webDirectory = fileURLToPath(new URL('.', import.meta.url))

/** Where `npm run build -w @toolplane/web` puts the app. */
export const defaultOutDir = join(webDirectory, 'dist')

/** Tests and their helpers are not part of the build. */
const notBuilt = (name: string) => /\.test\.tsx?$/.test(name) || name === 'testing'

async function newestChange(path: string): Promise<number> {
  const info = await stat(path)
  if (!info.isDirectory()) return info.mtimeMs
  const entries = (await readdir(path)).filter((entry) => !notBuilt(entry))
  const times = await Promise.all(entries.map((entry) => newestChange(join(path, entry))))
  return Math.max(0, ...times)
}

/**
 * Whether `outDir` holds a build at least as new as every source file (src/ but its tests, public/,
 * index.html, vite.config.ts).
 *
 * @example
 * if (!(await isBuildCurrent(defaultOutDir))) await buildWebApp(tmp)
 */
export async function isBuildCurrent(outDir: string = defaultOutDir): Promise<boolean> {
  let built: number
  try {
    built = (await stat(join(outDir, 'index.html'))).mtimeMs
  } catch {
    return false
  }
  return built >= (await newestSourceChange())
}

/**
 * When the app's sources last changed (epoch milliseconds): the newest of src/ (but its tests),
 * public/, index.html and vite.config.ts.
 */
export async function newestSourceChange(): Promise<number> {
  const sources = ['src', 'public', 'index.html', 'vite.config.ts'].map((p) => join(webDirectory, p))
  return Math.max(...(await Promise.all(sources.map(newestChange))))
}

/**
 * Builds the app into `outDir` with the package's own Vite configuration.
 *
 * @example
 * await buildWebApp('/tmp/toolplane-web')
 */
export async function buildWebApp(outDir: string): Promise<void> {
  // Vitest sets NODE_ENV=test, which would give React's development build (and JSX transform).
  const nodeEnv = process.env.NODE_ENV
  process.env.NODE_ENV = 'production'
  try {
    await build({
      configFile: join(webDirectory, 'vite.config.ts'),
      root: webDirectory,
      mode: 'production',
      logLevel: 'warn',
      build: { outDir, emptyOutDir: true },
    })
  } finally {
    if (nodeEnv === undefined) delete process.env.NODE_ENV
    else process.env.NODE_ENV = nodeEnv
  }
}
