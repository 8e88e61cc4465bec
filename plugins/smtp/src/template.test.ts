import { ActionError } from '@toolplane/sdk'
import { describe, expect, it } from 'vitest'
import { assertRendered, escapeHtml, render } from './template.js'
import type { RenderProblems } from './template.js'

const fresh = (): RenderProblems => ({ missing: new Set(), notText: new Set() })

describe('render', () => {
  const variables = {
    name: 'Ada <script>',
    count: 3,
    active: true,
    none: null,
    user: { first_name: 'Ada', 'last-name': "O'Neil" },
  }

  it('fills in variables, nested ones too, escaping HTML only in the HTML body', () => {
    const problems = fresh()
    expect(
      render('Hi {{ name }}, {{count}} new ({{active}}){{none}}', variables, { html: false }, problems),
    ).toBe('Hi Ada <script>, 3 new (true)')
    expect(render('<p>{{name}} {{user.last-name}}</p>', variables, { html: true }, problems)).toBe(
      '<p>Ada &lt;script&gt; O&#39;Neil</p>',
    )
    expect(render('<p>{{{ name }}} {{user.first_name}}</p>', variables, { html: true }, problems)).toBe(
      '<p>Ada <script> Ada</p>',
    )
    expect(problems.missing.size + problems.notText.size).toBe(0)
  })

  it('collects missing and non-text variables and reports them together', () => {
    const problems = fresh()
    const out = render(
      '{{missing}} {{user}} {{user.nope}} {{name.length}}',
      variables,
      { html: false },
      problems,
    )
    expect(out).toBe('{{missing}} {{user}} {{user.nope}} {{name.length}}')
    expect([...problems.missing]).toEqual(['missing', 'user.nope', 'name.length'])
    expect([...problems.notText]).toEqual(['user'])
    let caught: unknown
    try {
      assertRendered(problems)
    } catch (error) {
      caught = error
    }
    expect(caught).toBeInstanceOf(ActionError)
    expect((caught as ActionError).class).toBe('validation_error')
    expect((caught as ActionError).message).toBe(
      'The template cannot be filled in: no value for missing, user.nope, name.length; not text: user',
    )
  })

  it('leaves text without placeholders alone', () => {
    const problems = fresh()
    expect(render('{ not } {{ a b }} {{}}', {}, { html: true }, problems)).toBe('{ not } {{ a b }} {{}}')
    expect(() => {
      assertRendered(problems)
    }).not.toThrow()
  })

  it('escapes the five HTML special characters', () => {
    expect(escapeHtml(`<a href="x">Tom & 'Jerry'</a>`)).toBe(
      '&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;',
    )
  })
})
