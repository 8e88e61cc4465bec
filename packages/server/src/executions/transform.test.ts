import { ActionError } from '@toolplane/sdk'
import { describe, expect, it } from 'vitest'
import { TRANSFORM_CACHE_SIZE, TransformError, compileTransform, transformFor } from './transform.js'

/** The TransformError a promise rejects with, or a failed assertion. */
async function rejection(promise: Promise<unknown>): Promise<TransformError> {
  const error: unknown = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  )
  expect(error).toBeInstanceOf(TransformError)
  return error as TransformError
}

function compileError(expression: string, target: 'input' | 'output'): TransformError {
  try {
    compileTransform(expression, target)
  } catch (error) {
    expect(error).toBeInstanceOf(TransformError)
    return error as TransformError
  }
  throw new Error(`"${expression}" compiled`)
}

describe('compileTransform', () => {
  it('reshapes an input', async () => {
    const transform = compileTransform(
      '{ "repo": owner & "/" & name, "title": "Bug: " & summary, "labels": [severity] }',
      'input',
    )
    await expect(
      transform.evaluate({ owner: 'acme', name: 'api', summary: 'crash', severity: 'p1' }),
    ).resolves.toEqual({ repo: 'acme/api', title: 'Bug: crash', labels: ['p1'] })
  })

  it('picks fields from an output', async () => {
    const transform = compileTransform('body.items.{ "id": id, "title": title }', 'output')
    const output = {
      status: 200,
      body: {
        items: [
          { id: 1, title: 'a', extra: true },
          { id: 2, title: 'b', extra: false },
        ],
      },
    }
    await expect(transform.evaluate(output)).resolves.toEqual([
      { id: 1, title: 'a' },
      { id: 2, title: 'b' },
    ])
  })

  it('binds $items and $execution', async () => {
    const transform = compileTransform(
      '{ "parent": $items[0].number, "note": "from " & $execution.id, "title": title }',
      'input',
    )
    const bindings = {
      items: [{ number: 42, url: 'https://example.com/42' }],
      execution: { id: 'exe_1', action: 'github.create_issue', correlationId: 'req_1' },
    }
    await expect(transform.evaluate({ title: 'child' }, bindings)).resolves.toEqual({
      parent: 42,
      note: 'from exe_1',
      title: 'child',
    })
  })

  it('accepts binding names written with their $', async () => {
    await expect(compileTransform('$items[1]', 'input').evaluate({}, { $items: ['a', 'b'] })).resolves.toBe(
      'b',
    )
  })

  it('returns plain JSON data, without JSONata sequence markers or functions', async () => {
    const result = await compileTransform(
      '{ "list": [1, 2][$ > 1], "fn": function($x) { $x } }',
      'output',
    ).evaluate({})
    expect(result).toEqual({ list: 2 })
    const list = await compileTransform('values[$ > 1]', 'output').evaluate({ values: [1, 2, 3] })
    expect(list).toEqual([2, 3])
    expect(Object.keys(list as object)).toEqual(['0', '1'])
  })

  it('drops functions from the result, whichever kind', async () => {
    const transform = compileTransform(
      '{ "data": 1, "builtIn": $uppercase, "lambda": function($x){ $x }, "bound": $clock }',
      'output',
    )
    await expect(transform.evaluate({}, { clock: () => 1 })).resolves.toEqual({ data: 1 })
  })

  it('names the position of a syntax error with an excerpt', () => {
    const error = compileError('{ "title": title, "body": body & }', 'input')
    expect(error).toBeInstanceOf(ActionError)
    expect(error.class).toBe('transform_error')
    expect(error.retryable).toBe(false)
    expect(error.target).toBe('input')
    expect(error.code).toMatch(/^S0/)
    expect(error.position).toBeTypeOf('number')
    expect(error.message).toContain('input transformation')
    expect(error.message).toContain(`at character ${error.position}`)
    expect(error.message).toContain('body &')
    expect(error.suggestions.map((s) => s.title)).toEqual([
      `Check the expression at character ${error.position}`,
      'Try the expression on try.jsonata.org',
    ])
  })

  it('names an unterminated string literal', () => {
    const error = compileError('"abc', 'output')
    expect(error.code).toBe('S0101')
    expect(error.message).toContain('output transformation is not valid JSONata at character 4')
  })

  it('shortens the excerpt of a long expression around the position', () => {
    const expression = `${'a.b.c.'.repeat(20)}$foo(1)${' & "x"'.repeat(20)}`
    const error = compileError(expression.replace('$foo(1)', '$foo(1'), 'input')
    const excerpt = /near `([^`]*)`/.exec(error.message)?.[1]
    expect(excerpt).toBeDefined()
    expect(excerpt?.length).toBeLessThan(40)
    expect(excerpt).toMatch(/^…/)
  })

  it('names the position of a runtime type error', async () => {
    const error = await rejection(compileTransform('{ "n": $number("x") }', 'input').evaluate({}))
    expect(error.code).toBe('D3030')
    expect(error.position).toBe(15)
    expect(error.message).toBe(
      'The input transformation failed at character 15, near `{ "n": $number("x") }`: Unable to cast value to a number: a string (JSONata D3030)',
    )
  })

  it('names the position of a call to a function that does not exist', async () => {
    const error = await rejection(
      compileTransform('$uppercase(name) & $shout(name)', 'output').evaluate({ name: 'a' }),
    )
    expect(error.code).toBe('T1006')
    expect(error.position).toBe(26)
    expect(error.message).toContain('output transformation failed at character 26')
    expect(error.message).toContain('$shout')
  })

  it('never puts a value from the data in the message', async () => {
    const error = await rejection(
      compileTransform('$number(password)', 'input').evaluate({ password: 'hunter2-secret' }),
    )
    expect(error.message).not.toContain('hunter2')
    expect(error.message).toContain('a string')
  })

  it.each([
    [{ s: 'secret' }, 'an object'],
    [['secret'], 'an array'],
    [4111, 'a number'],
    [null, 'null'],
  ])('says what kind of value %j was instead of showing it', async (key, kind) => {
    const error = await rejection(compileTransform('{ key: 1 }', 'output').evaluate({ key }))
    expect(error.code).toBe('T1003')
    expect(error.message).toContain(`must evaluate to a string; got: ${kind} (JSONata T1003)`)
    expect(error.message).not.toMatch(/secret|4111/)
  })

  it('names the position of a blank expression without an empty excerpt', () => {
    const error = compileError('  ', 'input')
    expect(error.message).toBe(
      'The input transformation is not valid JSONata at character 2: Unexpected end of expression (JSONata S0207)',
    )
  })

  it('keeps the message of $error, which the expression wrote', async () => {
    const error = await rejection(compileTransform('$error("title is required")', 'input').evaluate({}))
    expect(error.message).toContain('title is required')
  })

  it('stops an infinite tail recursion at the time limit', async () => {
    const transform = compileTransform('($f := function($x){ $f($x) }; $f(1))', 'input')
    const error = await rejection(transform.evaluate({}, {}, { timeoutMs: 50 }))
    expect(error.code).toBe('D1012')
    expect(error.message).toMatch(
      /^The input transformation did not finish within 50 ms \(stopped at character \d+/,
    )
    expect(error.suggestions[0]?.title).toBe('Look for recursion that never ends')
  })

  it('stops an infinite loop inside $eval at the time limit', async () => {
    const transform = compileTransform('$eval("($f := function($x){ $f($x) }; $f(1))")', 'output')
    const error = await rejection(transform.evaluate({}, {}, { timeoutMs: 50 }))
    expect(error.code).toBe('D1012')
  })

  it('stops a deep recursion at the depth limit before the time limit', async () => {
    const transform = compileTransform('($f := function($x){ 1 + $f($x) }; $f(1))', 'input')
    const error = await rejection(transform.evaluate({}, {}, { maxDepth: 300, timeoutMs: 60_000 }))
    expect(error.code).toBe('D1011')
    expect(error.message).toMatch(/went deeper than 300 evaluation steps/)
  })

  it('lets a bounded recursion and a large grouping through with the default limits', async () => {
    const factorial = compileTransform(
      '($f := function($n){ $n <= 1 ? 1 : $n * $f($n - 1) }; $f(170))',
      'output',
    )
    await expect(factorial.evaluate({})).resolves.toBeGreaterThan(1e300)
    const items = Array.from({ length: 1000 }, (_, i) => ({ id: `k${i}`, value: i }))
    const grouped = (await compileTransform('items{ id: value }', 'output').evaluate({ items })) as Record<
      string,
      number
    >
    expect(Object.keys(grouped)).toHaveLength(1000)
    expect(grouped.k999).toBe(999)
  })

  it('refuses a result larger than the size limit', async () => {
    const transform = compileTransform('$pad("", 2000, "x")', 'output')
    await expect(transform.evaluate({}, {}, { maxOutputBytes: 4096 })).resolves.toHaveLength(2000)
    const error = await rejection(transform.evaluate({}, {}, { maxOutputBytes: 1000 }))
    expect(error.message).toBe(
      'The output transformation produced 2002 bytes of JSON, more than the limit of 1000 bytes',
    )
  })

  it('refuses a result over 1 MB by default', async () => {
    const big = 'x'.repeat(600 * 1024)
    const error = await rejection(compileTransform('[a, a]', 'output').evaluate({ a: big }))
    expect(error.message).toMatch(/more than the limit of 1048576 bytes/)
  })

  it('fails an input transformation that produces nothing', async () => {
    const error = await rejection(compileTransform('issue.title', 'input').evaluate({ title: 'x' }))
    expect(error.message).toBe('The input transformation produced nothing: the expression matched no data')
  })

  it('turns an output transformation that produces nothing into null', async () => {
    await expect(compileTransform('issue.title', 'output').evaluate({ title: 'x' })).resolves.toBeNull()
  })

  it('refuses a function as the result', async () => {
    const error = await rejection(compileTransform('function($x){ $x }', 'output').evaluate({}))
    expect(error.message).toBe('The output transformation produced a function, not data')
  })

  it('refuses a result that cannot be written as JSON', async () => {
    const circular: Record<string, unknown> = { name: 'loop' }
    circular.self = circular
    const error = await rejection(compileTransform('$', 'output').evaluate(circular))
    expect(error.message).toBe('The output transformation produced a value that is not JSON data')
  })

  it('reports an error thrown by a bound function as a transform_error', async () => {
    const bindings = {
      lookup: () => {
        throw new Error('directory offline')
      },
    }
    const error = await rejection(
      compileTransform('$lookup(name)', 'input').evaluate({ name: 'a' }, bindings),
    )
    expect(error.class).toBe('transform_error')
    expect(error.message).toBe('The input transformation failed: directory offline')
    expect(error.position).toBeUndefined()
  })

  it.each([
    '[$__toolplane_limits := { "deadline": 1e300, "timeoutMs": 1, "maxDepth": 1e9 }, ($f := function($x){ $f($x) }; $f(1))]',
    '[$__toolplane_limits := $nothing, ($f := function($x){ $f($x) }; $f(1))]',
  ])('cannot lift its own limits: %s', async (expression) => {
    const error = await rejection(compileTransform(expression, 'output').evaluate({}, {}, { timeoutMs: 50 }))
    expect(error.message).toBe(
      'The output transformation assigns $__toolplane_limits, a variable Toolplane reserves',
    )
  })

  it('lets the server handle other work while a long evaluation runs', async () => {
    const order: string[] = []
    const timer = new Promise<void>((resolve) => {
      setTimeout(() => {
        order.push('timer')
        resolve()
      }, 20)
    })
    const loop = compileTransform('($f := function($x){ $f($x) }; $f(1))', 'input')
    await loop.evaluate({}, {}, { timeoutMs: 300 }).catch(() => order.push('transformation stopped'))
    await timer
    expect(order).toEqual(['timer', 'transformation stopped'])
  })

  it('runs concurrent evaluations of one expression with their own limits', async () => {
    const transform = compileTransform('$count($map([1..200], function($v){ $v * 2 }))', 'output')
    const loop = compileTransform('($f := function($x){ $f($x) }; $f(1))', 'output')
    const [slow, ok] = await Promise.allSettled([
      loop.evaluate({}, {}, { timeoutMs: 30 }),
      transform.evaluate({}),
    ])
    expect(slow.status).toBe('rejected')
    expect(ok).toEqual({ status: 'fulfilled', value: 200 })
    const results = await Promise.all([1, 2, 3].map((n) => transform.evaluate({}, { n })))
    expect(results).toEqual([200, 200, 200])
  })
})

describe('transformFor', () => {
  it('returns the same compiled transformation for the same expression', () => {
    const expression = '{ "q": query, "limit": 10 }'
    const first = transformFor(expression, 'input')
    expect(transformFor(expression, 'input')).toBe(first)
    expect(transformFor(expression, 'output')).not.toBe(first)
    expect(transformFor(expression, 'output').target).toBe('output')
  })

  it('forgets the least recently used expression beyond its size', () => {
    const kept = transformFor('"kept"', 'input')
    const dropped = transformFor('"dropped"', 'input')
    for (let i = 0; i < TRANSFORM_CACHE_SIZE - 1; i++) {
      transformFor(`${i}`, 'input')
      if (i % 100 === 0) transformFor('"kept"', 'input')
    }
    expect(transformFor('"kept"', 'input')).toBe(kept)
    expect(transformFor('"dropped"', 'input')).not.toBe(dropped)
  })

  it('throws a TransformError for a syntax error', () => {
    expect(() => transformFor('a +', 'output')).toThrow(TransformError)
  })
})
