import { createRequire } from 'node:module'

// Read at run time: the same relative path works from src/ (tests) and dist/ (the build).
const manifest = createRequire(import.meta.url)('../package.json') as { version: string }

/** The server's version, from its package.json. */
export const version: string = manifest.version
