import fs from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { isTool, validateTool } from '@toolplane/sdk'
import type { Tool } from '@toolplane/sdk'

/** The built-in tools, one package each under plugins/. */
export const builtinPlugins = [
  '@toolplane/plugin-http',
  '@toolplane/plugin-graphql',
  '@toolplane/plugin-github',
  '@toolplane/plugin-slack',
  '@toolplane/plugin-stripe',
  '@toolplane/plugin-linear',
  '@toolplane/plugin-notion',
  '@toolplane/plugin-google-sheets',
  '@toolplane/plugin-postgres',
  '@toolplane/plugin-smtp',
] as const

/** A plugin that was not loaded, and why — logged at start-up and reported by `/readyz`. */
export interface RefusedPlugin {
  readonly plugin: string
  readonly problem: string
}

export interface LoadedTool {
  readonly tool: Tool
  /** The package name or path it came from. */
  readonly plugin: string
  readonly builtin: boolean
}

export interface LoadedPlugins {
  readonly tools: readonly LoadedTool[]
  readonly refused: readonly RefusedPlugin[]
}

export type ImportModule = (specifier: string) => Promise<Record<string, unknown>>

const defaultImport: ImportModule = (specifier) => import(specifier) as Promise<Record<string, unknown>>

function looksLikePath(spec: string): boolean {
  return spec.startsWith('.') || spec.startsWith('/') || /^[A-Za-z]:[\\/]/.test(spec)
}

/** A file path or directory (with a package.json) → an importable file URL. */
function fileSpecifier(spec: string, cwd: string): string {
  const target = path.resolve(cwd, spec)
  if (fs.existsSync(target) && fs.statSync(target).isDirectory()) {
    const manifestPath = path.join(target, 'package.json')
    let entry = 'index.js'
    if (fs.existsSync(manifestPath)) {
      const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8')) as {
        main?: string
        exports?: string | Record<string, unknown>
      }
      const dot = typeof manifest.exports === 'object' ? manifest.exports['.'] : manifest.exports
      const exported = typeof dot === 'string' ? dot : (dot as { default?: unknown } | undefined)?.default
      entry = typeof exported === 'string' ? exported : (manifest.main ?? entry)
    }
    return pathToFileURL(path.join(target, entry)).href
  }
  return pathToFileURL(target).href
}

/** Every tool a module exports: its default (a tool or a list of tools) and named tool exports. */
function toolsOf(module: Record<string, unknown>): unknown[] {
  const found = new Set<unknown>()
  const fallback = module.default
  for (const candidate of Array.isArray(fallback) ? (fallback as unknown[]) : [fallback]) {
    if (isTool(candidate)) found.add(candidate)
  }
  for (const [name, value] of Object.entries(module))
    if (name !== 'default' && isTool(value)) found.add(value)
  return [...found]
}

/**
 * Loads the built-in plugins and the extra ones named in `TOOLPLANE_PLUGINS` (npm package names,
 * resolved from the working directory too, or paths). A plugin that cannot be imported, exports no
 * tool, fails `validateTool` or reuses a slug is refused with the reason; the others still load.
 *
 * @example
 * const { tools, refused } = await loadPlugins({ extra: config.plugins, cwd: process.cwd() })
 */
export async function loadPlugins(options: {
  builtins?: readonly string[]
  extra: readonly string[]
  cwd: string
  importModule?: ImportModule
}): Promise<LoadedPlugins> {
  const importModule = options.importModule ?? defaultImport
  const tools: LoadedTool[] = []
  const refused: RefusedPlugin[] = []
  const slugs = new Map<string, string>()
  const specs = [
    ...(options.builtins ?? builtinPlugins).map((plugin) => ({ plugin, builtin: true })),
    ...options.extra.map((plugin) => ({ plugin, builtin: false })),
  ]

  for (const { plugin, builtin } of specs) {
    let module: Record<string, unknown>
    try {
      module = await importPlugin(plugin, options.cwd, importModule)
    } catch (error) {
      refused.push({
        plugin,
        problem: `cannot be loaded: ${error instanceof Error ? error.message : String(error)}`,
      })
      continue
    }
    const candidates = toolsOf(module)
    if (candidates.length === 0) {
      refused.push({ plugin, problem: 'exports no tool made with defineTool (export one as default)' })
      continue
    }
    for (const candidate of candidates) {
      const problems = validateTool(candidate)
      if (problems.length > 0 || !isTool(candidate)) {
        refused.push({ plugin, problem: problems.join('; ') })
        continue
      }
      const owner = slugs.get(candidate.slug)
      if (owner !== undefined) {
        refused.push({ plugin, problem: `tool slug "${candidate.slug}" is already provided by ${owner}` })
        continue
      }
      slugs.set(candidate.slug, plugin)
      tools.push({ tool: candidate, plugin, builtin })
    }
  }
  return { tools, refused }
}

async function importPlugin(
  spec: string,
  cwd: string,
  importModule: ImportModule,
): Promise<Record<string, unknown>> {
  if (looksLikePath(spec)) return importModule(fileSpecifier(spec, cwd))
  try {
    return await importModule(spec)
  } catch (error) {
    // Not resolvable from the server's own location: try from the working directory, where an
    // operator may have run `npm install <plugin>`.
    if ((error as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw error
    const resolved = createRequire(path.join(cwd, 'package.json')).resolve(spec)
    return importModule(pathToFileURL(resolved).href)
  }
}
