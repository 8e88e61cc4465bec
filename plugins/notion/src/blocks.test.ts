import { describe, expect, it } from 'vitest'
import { MAX_TEXT_LENGTH, batches, blocksFromText, richText } from './blocks.js'

describe('blocksFromText', () => {
  it('turns light Markdown into Notion blocks', () => {
    const blocks = blocksFromText(
      '# One\r\n## Two\n### Three\n\nLine a\nLine b\n\n- dash\n+ plus\n2) paren\n- [X] done\n> quote\n***\nTail',
    )
    expect(blocks.map((block) => block.type)).toEqual([
      'heading_1',
      'heading_2',
      'heading_3',
      'paragraph',
      'bulleted_list_item',
      'bulleted_list_item',
      'numbered_list_item',
      'to_do',
      'quote',
      'divider',
      'paragraph',
    ])
    expect(blocks[3]).toEqual({
      object: 'block',
      type: 'paragraph',
      paragraph: { rich_text: [{ type: 'text', text: { content: 'Line a\nLine b' } }] },
    })
    expect(blocks[7]).toMatchObject({ to_do: { checked: true } })
  })

  it("keeps fenced code as one code block in Notion's language names", () => {
    const blocks = blocksFromText(
      'Before\n```ts\nconst a = 1\n\n# not a heading\n```\n```cobol\nDISPLAY\n```\n```\nplain',
    )
    expect(blocks).toEqual([
      {
        object: 'block',
        type: 'paragraph',
        paragraph: { rich_text: [{ type: 'text', text: { content: 'Before' } }] },
      },
      {
        object: 'block',
        type: 'code',
        code: {
          rich_text: [{ type: 'text', text: { content: 'const a = 1\n\n# not a heading' } }],
          language: 'typescript',
        },
      },
      {
        object: 'block',
        type: 'code',
        code: { rich_text: [{ type: 'text', text: { content: 'DISPLAY' } }], language: 'plain text' },
      },
      // An unclosed fence runs to the end of the text.
      {
        object: 'block',
        type: 'code',
        code: { rich_text: [{ type: 'text', text: { content: 'plain' } }], language: 'plain text' },
      },
    ])
  })

  it('makes nothing of blank text', () => {
    expect(blocksFromText('\n  \n')).toEqual([])
  })
})

describe('richText', () => {
  it('splits long text into runs Notion accepts without cutting a character', () => {
    const content = `${'a'.repeat(MAX_TEXT_LENGTH - 1)}👍🏽${'b'.repeat(10)}`
    const runs = richText(content)
    expect(runs.map((run) => run.text.content.length)).toEqual([MAX_TEXT_LENGTH - 1, 4 + 10])
    expect(runs.map((run) => run.text.content).join('')).toBe(content)
  })
})

describe('batches', () => {
  it('groups items by a hundred', () => {
    expect(batches(Array.from({ length: 201 }, (_, index) => index)).map((batch) => batch.length)).toEqual([
      100, 100, 1,
    ])
  })
})
