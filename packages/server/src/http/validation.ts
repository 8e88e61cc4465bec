import { Ajv } from 'ajv'
import type { Options } from 'ajv'
import addFormatsModule from 'ajv-formats'
import type { App } from './app-types.js'

// ajv-formats is CommonJS; its default export arrives wrapped under ESM.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv

const common: Options = { allErrors: true, useDefaults: true, removeAdditional: false, strict: false }

/**
 * Two validators: query strings, path parameters and headers are text, so they are coerced to the
 * schema's types (`?limit=20` → 20, a single `?status=a` → `['a']`); JSON bodies are typed already,
 * so they are checked strictly — `"scopes": "admin"` is an error, not silently an array.
 */
export function registerValidation(app: App): void {
  const strict = addFormats(new Ajv({ ...common, coerceTypes: false }))
  const coercing = addFormats(new Ajv({ ...common, coerceTypes: 'array' }))
  app.setValidatorCompiler(({ schema, httpPart }) =>
    (httpPart === 'body' ? strict : coercing).compile(schema),
  )
}
