import { describe, expect, it } from 'vitest'
import { searchTextOf } from './view.js'

describe('searchTextOf', () => {
  it('keeps the action, the error and every key and value as lower-case words', () => {
    const text = searchTextOf({
      tool: 'github',
      action: 'create_issue',
      input: { owner: 'Acme', labels: ['Bug', 7, true], nested: { email: 'ada@example.com' } },
      output: { number: 42 },
      error: { class: 'rate_limited', message: 'Slow down!' },
    })
    expect(text).toBe(
      'github create issue github create issue rate limited slow down owner acme labels bug 7 true nested email ada example com number 42',
    )
  })

  it('stops at 100 keys or items, 8 levels and 512 characters a string, and cuts the text at 8 KB', () => {
    const keys = Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`k${String(i)}`, 'v']))
    const wide = searchTextOf({ tool: 't', action: 'a', input: keys })
    expect(wide).toContain(' k99 v')
    expect(wide).not.toContain('k100')
    const items = searchTextOf({
      tool: 't',
      action: 'a',
      input: Array.from({ length: 150 }, (_, i) => `i${String(i)}`),
    })
    expect(items).toContain('i99')
    expect(items).not.toContain('i100')
    let deep: unknown = 'bottom'
    for (let i = 0; i < 12; i++) deep = { [`d${String(i)}`]: deep }
    expect(searchTextOf({ tool: 't', action: 'a', input: deep })).not.toContain('bottom')
    const long = searchTextOf({ tool: 't', action: 'a', input: 'x'.repeat(2000) })
    expect(long.length).toBe('t a t a '.length + 512)
    const huge = searchTextOf({
      tool: 't',
      action: 'a',
      input: Array.from({ length: 100 }, () => 'y'.repeat(500)),
    })
    expect(huge.length).toBe(8192)
  })
})
