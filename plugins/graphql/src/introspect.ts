import { ActionError, Type, defineAction } from '@toolplane/sdk'
import type { Static } from '@toolplane/sdk'
import { Endpoint, ExtraHeaders, executeGraphQL } from './client.js'

/** The standard introspection query (as GraphQL tools send it), without directives. */
export const INTROSPECTION_QUERY = `query IntrospectionQuery {
  __schema {
    queryType { name }
    mutationType { name }
    subscriptionType { name }
    types { ...FullType }
  }
}
fragment FullType on __Type {
  kind
  name
  description
  fields(includeDeprecated: true) {
    name
    description
    args { ...InputValue }
    type { ...TypeRef }
    isDeprecated
    deprecationReason
  }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue {
  name
  description
  type { ...TypeRef }
  defaultValue
}
fragment TypeRef on __Type {
  kind
  name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } }
}`

interface TypeRef {
  kind: string
  name?: string | null
  ofType?: TypeRef | null
}

interface InputValue {
  name: string
  description?: string | null
  type: TypeRef
  defaultValue?: string | null
}

interface FullType {
  kind: string
  name: string
  description?: string | null
  fields?:
    | {
        name: string
        description?: string | null
        args?: InputValue[]
        type: TypeRef
        isDeprecated?: boolean
      }[]
    | null
  inputFields?: InputValue[] | null
  interfaces?: TypeRef[] | null
  enumValues?: { name: string }[] | null
  possibleTypes?: TypeRef[] | null
}

interface IntrospectionData {
  __schema: {
    queryType?: { name: string } | null
    mutationType?: { name: string } | null
    subscriptionType?: { name: string } | null
    types: FullType[]
  }
}

const Argument = Type.Object({
  name: Type.String(),
  type: Type.String({ description: 'In SDL notation, such as `[String!]!`.' }),
  defaultValue: Type.Optional(Type.String()),
  description: Type.Optional(Type.String()),
})

const Field = Type.Object({
  name: Type.String(),
  type: Type.String({ description: 'In SDL notation, such as `[Issue!]!`.' }),
  args: Type.Optional(Type.Array(Argument)),
  deprecated: Type.Optional(Type.Boolean()),
  description: Type.Optional(Type.String()),
})

const SchemaType = Type.Object({
  name: Type.String(),
  kind: Type.String({ description: 'OBJECT, INTERFACE, UNION, ENUM, INPUT_OBJECT or SCALAR.' }),
  description: Type.Optional(Type.String()),
  fields: Type.Optional(Type.Array(Field)),
  inputFields: Type.Optional(Type.Array(Argument)),
  enumValues: Type.Optional(Type.Array(Type.String())),
  interfaces: Type.Optional(Type.Array(Type.String())),
  possibleTypes: Type.Optional(Type.Array(Type.String())),
})

const builtinScalars: ReadonlySet<string> = new Set(['String', 'Int', 'Float', 'Boolean', 'ID'])

/** A type reference in SDL notation: `NON_NULL(LIST(NON_NULL(String)))` is `[String!]!`. */
export function typeNotation(ref: TypeRef | null | undefined): string {
  if (ref === null || ref === undefined) return 'Unknown'
  if (ref.kind === 'NON_NULL') return `${typeNotation(ref.ofType)}!`
  if (ref.kind === 'LIST') return `[${typeNotation(ref.ofType)}]`
  return ref.name ?? 'Unknown'
}

function described<T extends object>(value: T, description: string | null | undefined, keep: boolean) {
  return keep && typeof description === 'string' && description !== '' ? { ...value, description } : value
}

function argument(value: InputValue, descriptions: boolean): Static<typeof Argument> {
  const compact = {
    name: value.name,
    type: typeNotation(value.type),
    ...(typeof value.defaultValue === 'string' ? { defaultValue: value.defaultValue } : {}),
  }
  return described(compact, value.description, descriptions)
}

function compactType(type: FullType, descriptions: boolean): Static<typeof SchemaType> {
  const names = (refs: TypeRef[] | null | undefined) => refs?.map((ref) => typeNotation(ref))
  const compact: Static<typeof SchemaType> = { name: type.name, kind: type.kind }
  if (type.fields) {
    compact.fields = type.fields.map((field) => {
      const args = field.args?.map((arg) => argument(arg, descriptions)) ?? []
      return described(
        {
          name: field.name,
          type: typeNotation(field.type),
          ...(args.length > 0 ? { args } : {}),
          ...(field.isDeprecated === true ? { deprecated: true } : {}),
        },
        field.description,
        descriptions,
      )
    })
  }
  if (type.inputFields) compact.inputFields = type.inputFields.map((field) => argument(field, descriptions))
  if (type.enumValues) compact.enumValues = type.enumValues.map((value) => value.name)
  const interfaces = names(type.interfaces)
  if (interfaces !== undefined && interfaces.length > 0) compact.interfaces = interfaces
  const possibleTypes = names(type.possibleTypes)
  if (possibleTypes !== undefined) compact.possibleTypes = possibleTypes
  return described(compact, type.description, descriptions)
}

/**
 * `graphql.introspect`: runs the standard introspection query and returns the schema as a compact
 * list of types with their fields in SDL notation — what an agent needs to write a query.
 */
export const introspect = defineAction({
  name: 'introspect',
  title: 'Describe the GraphQL schema',
  description:
    'Runs the standard introspection query and returns the schema compactly: the root operation types and each type with its kind, fields (with arguments and SDL types such as `[Issue!]!`), input fields, enum values and implemented interfaces. Built-in types (`__*`, String, Int, Float, Boolean, ID) are left out unless includeBuiltins is set. Use `types` to describe only some types. Fails with validation_error when the server has introspection disabled.',
  input: Type.Object({
    endpoint: Endpoint,
    types: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), {
        description: 'Only these types, by name (case-sensitive).',
        examples: [['Query', 'Issue']],
      }),
    ),
    includeBuiltins: Type.Boolean({
      default: false,
      description: 'Include introspection and built-in scalar types.',
    }),
    includeDescriptions: Type.Boolean({ default: true, description: 'Include the schema descriptions.' }),
    headers: Type.Optional(ExtraHeaders),
  }),
  output: Type.Object({
    queryType: Type.Union([Type.String(), Type.Null()]),
    mutationType: Type.Union([Type.String(), Type.Null()]),
    subscriptionType: Type.Union([Type.String(), Type.Null()]),
    types: Type.Array(SchemaType),
  }),
  examples: [
    {
      title: 'Describe the Query and Issue types',
      input: {
        endpoint: '/graphql',
        types: ['Query', 'Issue'],
        includeBuiltins: false,
        includeDescriptions: true,
      },
      output: {
        queryType: 'Query',
        mutationType: 'Mutation',
        subscriptionType: null,
        types: [
          {
            name: 'Query',
            kind: 'OBJECT',
            fields: [{ name: 'issue', type: 'Issue', args: [{ name: 'id', type: 'ID!' }] }],
          },
        ],
      },
    },
  ],
  timeoutMs: 60_000,
  retry: { idempotent: true },
  async run({ http, baseUrl, input }) {
    const result = await executeGraphQL(http, baseUrl, {
      endpoint: input.endpoint,
      query: INTROSPECTION_QUERY,
      operationName: 'IntrospectionQuery',
      ...(input.headers === undefined ? {} : { headers: input.headers }),
    })
    const schema = (result.data as Partial<IntrospectionData> | null)?.__schema
    if (schema === undefined || !Array.isArray(schema.types)) {
      throw new ActionError(
        'validation_error',
        'The server returned no schema; introspection may be disabled',
        {
          requestSent: true,
          suggestions: [
            {
              title: 'Ask for the schema',
              detail:
                'Some production servers turn introspection off. Use the provider’s published schema instead.',
            },
          ],
        },
      )
    }
    const wanted = input.types === undefined ? undefined : new Set(input.types)
    const builtin = (name: string) => name.startsWith('__') || builtinScalars.has(name)
    const types = schema.types
      .filter((type) =>
        wanted === undefined ? input.includeBuiltins || !builtin(type.name) : wanted.has(type.name),
      )
      .map((type) => compactType(type, input.includeDescriptions))
    return {
      queryType: schema.queryType?.name ?? null,
      mutationType: schema.mutationType?.name ?? null,
      subscriptionType: schema.subscriptionType?.name ?? null,
      types,
    }
  },
})
