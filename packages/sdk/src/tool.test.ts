import { Type } from 'typebox'
import { describe, expect, expectTypeOf, it } from 'vitest'
import { auth } from './auth.js'
import {
  DEFAULT_MAX_ATTEMPTS,
  DEFAULT_TIMEOUT_MS,
  defineAction,
  defineTool,
  findAction,
  isAction,
  isIdempotent,
  isTool,
} from './tool.js'
import type { Action, ActionDefinition } from './tool.js'

const getUser = defineAction({
  name: 'get_user',
  title: 'Get a user',
  description: 'Reads a user by login.',
  input: Type.Object({ login: Type.String() }),
  output: Type.Object({ id: Type.Integer(), login: Type.String() }),
  examples: [{ title: 'Ada', input: { login: 'ada' }, output: { id: 1, login: 'ada' } }],
  async run({ input }) {
    await Promise.resolve()
    return { id: 1, login: input.login }
  },
})

describe('defineAction', () => {
  it('fills in the defaults and tags the action', () => {
    expect(getUser.timeoutMs).toBe(DEFAULT_TIMEOUT_MS)
    expect(getUser.retry).toEqual({ maxAttempts: DEFAULT_MAX_ATTEMPTS, idempotent: false })
    expect(getUser.scopes).toEqual([])
    expect(getUser.examples).toHaveLength(1)
    expect(isAction(getUser)).toBe(true)
    expect(Object.isFrozen(getUser)).toBe(true)
    expect(JSON.parse(JSON.stringify(getUser))).toMatchObject({ name: 'get_user', timeoutMs: 30_000 })
  })

  it('keeps what the plugin declared', () => {
    const action = defineAction({
      name: 'post_message',
      title: 'Post a message',
      description: '',
      input: Type.Object({ text: Type.String() }),
      output: Type.Object({}),
      timeoutMs: 5_000,
      retry: { maxAttempts: 1, idempotent: false },
      scopes: ['chat:write'],
      run: () => Promise.resolve({}),
    })
    expect(action).toMatchObject({ timeoutMs: 5_000, retry: { maxAttempts: 1 }, scopes: ['chat:write'] })
    expect(defineAction({ ...action, retry: { idempotent: true } }).retry).toEqual({
      maxAttempts: DEFAULT_MAX_ATTEMPTS,
      idempotent: true,
    })
  })

  it('refuses a bad name or a missing run', () => {
    const base = { title: 't', description: '', input: Type.Object({}), output: Type.Object({}) }
    expect(() => defineAction({ ...base, name: 'Create-Issue', run: () => Promise.resolve({}) })).toThrow(
      'Action name "Create-Issue" must match',
    )
    expect(() =>
      defineAction({ ...base, name: 'ok' } as unknown as ActionDefinition<
        'ok',
        typeof base.input,
        typeof base.output
      >),
    ).toThrow('needs a run function')
  })

  it('types the input from the schema and checks the output against it', () => {
    defineAction({
      name: 'typed',
      title: 't',
      description: '',
      input: Type.Object({ count: Type.Integer(), tag: Type.Optional(Type.String()) }),
      output: Type.Object({ doubled: Type.Integer() }),
      run({ input }) {
        expectTypeOf(input).toEqualTypeOf<{ count: number; tag?: string }>()
        // @ts-expect-error -- not in the input schema
        const _missing: unknown = input.missing
        return Promise.resolve({ doubled: input.count * 2 })
      },
    })
    defineAction({
      name: 'wrong_output',
      title: 't',
      description: '',
      input: Type.Object({}),
      output: Type.Object({ doubled: Type.Integer() }),
      // @ts-expect-error -- the output schema wants a number
      run: () => Promise.resolve({ doubled: 'two' }),
    })
  })
})

describe('isIdempotent', () => {
  const save = (idempotent: ActionDefinition<'save', typeof saveInput, typeof saveOutput>['retry']) =>
    defineAction({
      name: 'save',
      title: 'Save',
      description: '',
      input: saveInput,
      output: saveOutput,
      retry: idempotent,
      run: () => Promise.resolve({}),
    })
  const saveInput = Type.Object({
    mode: Type.Union([Type.Literal('replace'), Type.Literal('append')], { default: 'replace' }),
  })
  const saveOutput = Type.Object({})

  it('answers a boolean hint whatever the input', () => {
    expect(isIdempotent(save({ idempotent: true }), { mode: 'append' })).toBe(true)
    expect(isIdempotent(save({ idempotent: false }), { mode: 'replace' })).toBe(false)
    expect(isIdempotent(save(undefined), {})).toBe(false)
  })

  it('asks a function hint with the validated input, defaults filled in', () => {
    const seen: unknown[] = []
    const action = save({
      idempotent: (input) => {
        expectTypeOf(input).toEqualTypeOf<{ mode: 'replace' | 'append' }>()
        seen.push(input)
        return input.mode === 'replace'
      },
    })
    expect(isIdempotent(action, { mode: 'append' })).toBe(false)
    expect(isIdempotent(action, {})).toBe(true)
    expect(seen).toEqual([{ mode: 'append' }, { mode: 'replace' }])
    // An action with a typed function hint is still an Action.
    const generic: Action = action
    expect(typeof generic.retry.idempotent).toBe('function')
  })

  it('says no when in doubt: invalid input, a throwing hint, a non-boolean answer', () => {
    let asked = 0
    const counting = save({
      idempotent: () => {
        asked += 1
        return true
      },
    })
    expect(isIdempotent(counting, { mode: 'overwrite' })).toBe(false)
    expect(isIdempotent(counting, 'not an object')).toBe(false)
    expect(asked).toBe(0)
    const throwing = save({
      idempotent: () => {
        throw new Error('hint broke')
      },
    })
    expect(isIdempotent(throwing, {})).toBe(false)
    const sloppy = save({ idempotent: () => 'yes' as unknown as boolean })
    expect(isIdempotent(sloppy, {})).toBe(false)
  })
})

describe('defineTool', () => {
  const tool = defineTool({
    slug: 'people',
    name: 'People',
    description: 'A directory.',
    version: '1.2.3',
    categories: ['directory'],
    actions: [getUser],
  })

  it('fills in the defaults and tags the tool', () => {
    expect(tool.authMethods.map((method) => method.kind)).toEqual(['none'])
    expect(tool.triggers).toEqual([])
    expect(tool.rateLimits).toEqual([])
    expect(isTool(tool)).toBe(true)
    expect(isTool({ ...tool })).toBe(true)
    expect(isTool(getUser)).toBe(false)
    expect(isAction(tool)).toBe(false)
    expect(isTool(null)).toBe(false)
    expect(isAction('x')).toBe(false)
  })

  it('keeps declared auth methods, triggers and rate limits as data', () => {
    const declared = defineTool({
      slug: 'hooks',
      name: 'Hooks',
      description: '',
      version: '0.1.0',
      categories: [],
      authMethods: [auth.bearer()],
      actions: [getUser],
      triggers: [
        {
          event: 'user.created',
          title: 'User created',
          description: '',
          payload: Type.Object({}),
          verifier: 'github',
        },
      ],
      rateLimits: [{ scope: 'credential', limit: 5000, windowSeconds: 3600 }],
    })
    expect(declared.authMethods[0]?.id).toBe('bearer')
    expect(declared.triggers[0]?.verifier).toBe('github')
    expect(declared.rateLimits[0]?.limit).toBe(5000)
  })

  it('finds actions by name', () => {
    expect(findAction(tool, 'get_user')).toBe(getUser)
    expect(findAction(tool, 'nope')).toBeUndefined()
  })

  it('refuses a bad slug or missing actions', () => {
    const base = { name: 'x', description: '', version: '1.0.0', categories: [] }
    expect(() => defineTool({ ...base, slug: 'Bad Slug', actions: [] })).toThrow(
      'Tool slug "Bad Slug" must match',
    )
    expect(() => defineTool({ ...base, slug: 'ok' } as unknown as Parameters<typeof defineTool>[0])).toThrow(
      'needs an actions array',
    )
  })
})
