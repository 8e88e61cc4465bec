/**
 * Keeps the examples a document states only when they pass the action's own schemas — `validateTool`
 * refuses a tool whose examples do not.
 *
 * Compiling a schema costs Ajv about a millisecond, so compiling every action's schemas would make a
 * document with thousands of examples slow to import. Instead, each distinct schema is compiled once:
 * an input root is always the object `openApiToToolSpec` builds (`properties`, `required`,
 * `additionalProperties`), so its own checks are done here and only its property schemas — which
 * actions share heavily — go to Ajv; output roots are compiled once per distinct root. All of them
 * sit in one document with the definitions, so a shared definition compiles once too.
 */
import { SECRET_KEYWORD } from '@toolplane/sdk'
import { Ajv2020 } from 'ajv/dist/2020.js'
import type { ValidateFunction } from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'
import type { SchemaConverter, SchemaMode } from './schema.js'
import type { ImportedAction, ImportedExample, JsonSchema } from './spec.js'

/** An action and the examples found for it in the document, not yet checked. */
export interface ExampleCandidates {
  action: ImportedAction
  examples: ImportedExample[]
}

/**
 * Sets each action's `examples` to those of its candidates that validate: an example whose input
 * fails is dropped; an output that fails is dropped from its example. Returns how many were dropped.
 */
export function keepValidExamples(
  candidates: readonly ExampleCandidates[],
  converter: SchemaConverter,
): number {
  const withExamples = candidates.filter((candidate) => candidate.examples.length > 0)
  if (withExamples.length === 0) return 0
  const input = new SchemaSet(converter, 'input')
  const output = new SchemaSet(converter, 'output')
  // Register every schema first: the document Ajv compiles from is built once, with all of them.
  for (const { action, examples } of withExamples) {
    for (const schema of Object.values(objectAt(action.input.properties))) input.register(schema)
    if (isObject(action.input.additionalProperties)) input.register(action.input.additionalProperties)
    if (examples.some((example) => example.output !== undefined))
      output.register(withoutDefinitions(action.output))
  }

  let dropped = 0
  for (const candidate of withExamples) {
    const kept: ImportedExample[] = []
    for (const example of candidate.examples) {
      if (!inputPasses(candidate.action.input, example.input, input)) {
        dropped += 1
      } else if (
        example.output !== undefined &&
        !output.passes(withoutDefinitions(candidate.action.output), example.output)
      ) {
        const { output: _dropped, ...rest } = example
        kept.push(rest)
        dropped += 1
      } else {
        kept.push(example)
      }
    }
    candidate.action.examples = kept
  }
  return dropped
}

// What Ajv does with an input root built by the converter, with the SDK's `useDefaults`: a missing
// property that declares a default gets it (and the default must then pass), required properties must
// be there, and properties not declared must pass `additionalProperties`.
function inputPasses(
  root: JsonSchema,
  value: Readonly<Record<string, unknown>>,
  schemas: SchemaSet,
): boolean {
  const properties = objectAt(root.properties)
  const copy: Record<string, unknown> = structuredClone(value)
  for (const [name, schema] of Object.entries(properties)) {
    if (copy[name] === undefined) {
      if (!isObject(schema) || schema.default === undefined) continue
      copy[name] = structuredClone(schema.default)
    }
    if (!schemas.passes(schema, copy[name])) return false
  }
  const required = Array.isArray(root.required) ? (root.required as unknown[]) : []
  if (required.some((name) => typeof name === 'string' && copy[name] === undefined)) return false
  const additional = root.additionalProperties
  for (const [name, item] of Object.entries(copy)) {
    if (Object.hasOwn(properties, name) || additional === undefined || additional === true) continue
    if (additional === false || !schemas.passes(additional, item)) return false
  }
  return true
}

/** Distinct schemas of one mode, compiled at most once each, against that mode's definitions. */
class SchemaSet {
  private readonly keys = new Map<string, string>()
  private readonly schemas: Record<string, unknown> = {}
  private readonly validators = new Map<string, ValidateFunction | undefined>()
  private ajv: Ajv2020 | undefined
  private readonly id: string

  constructor(
    private readonly converter: SchemaConverter,
    private readonly mode: SchemaMode,
  ) {
    this.id = `https://toolplane.invalid/openapi-import/${mode}`
  }

  register(schema: unknown): string {
    const json = JSON.stringify(schema)
    let key = this.keys.get(json)
    if (key === undefined) {
      // `:` is in no definition name, so these keys cannot collide with one.
      key = `schema:${this.keys.size}`
      this.keys.set(json, key)
      this.schemas[key] = schema
    }
    return key
  }

  passes(schema: unknown, value: unknown): boolean {
    if (schema === true) return true
    if (schema === false) return false
    const validator = this.validator(this.register(schema))
    return validator !== undefined && validator(structuredClone(value))
  }

  private validator(key: string): ValidateFunction | undefined {
    if (this.validators.has(key)) return this.validators.get(key)
    if (this.ajv === undefined) {
      this.ajv = createAjv()
      this.ajv.addSchema({
        $id: this.id,
        $defs: { ...this.converter.definitionsOf(this.mode), ...this.schemas },
      })
    }
    let validator: ValidateFunction | undefined
    try {
      validator = this.ajv.getSchema(`${this.id}#/$defs/${key}`)
    } catch {
      validator = undefined
    }
    this.validators.set(key, validator)
    return validator
  }
}

// The SDK's own Ajv settings (validation.ts), so an example kept here passes validateTool.
function createAjv(): Ajv2020 {
  const ajv = new Ajv2020({
    strict: false,
    logger: false,
    useDefaults: true,
    validateSchema: false,
    // Each validator here runs a handful of times: skipping Ajv's code optimiser makes compiling
    // three to four times cheaper.
    code: { optimize: false },
  })
  addFormats.default(ajv)
  ajv.addKeyword({ keyword: SECRET_KEYWORD, schemaType: 'boolean' })
  return ajv
}

function withoutDefinitions(schema: JsonSchema): JsonSchema {
  const { $defs: _definitions, ...root } = schema
  return root
}

function objectAt(value: unknown): Record<string, unknown> {
  return isObject(value) ? value : {}
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
