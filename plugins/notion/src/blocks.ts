/**
 * Plain text with light Markdown turned into Notion blocks, so an agent can write page content as it
 * writes text: blank lines separate paragraphs; `#`, `##`, `###` start headings; `-`, `*` or `+`
 * bullets; `1.` numbered items; `- [ ]` and `- [x]` to-dos; `>` quotes; `---` a divider; and
 * fenced code blocks. Inline Markdown (`**bold**`, links) is kept as literal text.
 */

/** The text of one rich text run Notion accepts at most. */
export const MAX_TEXT_LENGTH = 2000

/** The blocks one request may append. */
export const MAX_BLOCKS_PER_REQUEST = 100

/** A rich text run as Notion takes it. */
export interface TextRun {
  type: 'text'
  text: { content: string }
}

/** A block to create. */
export type NewBlock =
  | { object: 'block'; type: 'divider'; divider: Record<string, never> }
  | { object: 'block'; type: 'code'; code: { rich_text: TextRun[]; language: string } }
  | { object: 'block'; type: 'to_do'; to_do: { rich_text: TextRun[]; checked: boolean } }
  | { object: 'block'; type: TextBlockType; [type: string]: unknown }

type TextBlockType =
  | 'paragraph'
  | 'heading_1'
  | 'heading_2'
  | 'heading_3'
  | 'bulleted_list_item'
  | 'numbered_list_item'
  | 'quote'

const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' })

/**
 * Notion rich text for a string, split into runs of at most 2,000 characters.
 *
 * @example
 * richText('Hello') // [{ type: 'text', text: { content: 'Hello' } }]
 */
export function richText(content: string): TextRun[] {
  const runs: TextRun[] = []
  let run = ''
  // Cut between characters as people see them, never inside an emoji or a surrogate pair, and count
  // UTF-16 units so the run fits however Notion counts.
  for (const { segment } of segmenter.segment(content)) {
    if (run.length + segment.length > MAX_TEXT_LENGTH) {
      runs.push({ type: 'text', text: { content: run } })
      run = ''
    }
    run += segment
  }
  if (run !== '') runs.push({ type: 'text', text: { content: run } })
  return runs
}

function textBlock(type: TextBlockType, content: string): NewBlock {
  return { object: 'block', type, [type]: { rich_text: richText(content) } }
}

// Notion's code block takes a language from its own list; common fence names map onto it.
const languages: Readonly<Record<string, string>> = {
  js: 'javascript',
  javascript: 'javascript',
  ts: 'typescript',
  typescript: 'typescript',
  py: 'python',
  python: 'python',
  json: 'json',
  sh: 'shell',
  shell: 'shell',
  bash: 'bash',
  sql: 'sql',
  html: 'html',
  css: 'css',
  md: 'markdown',
  markdown: 'markdown',
  yml: 'yaml',
  yaml: 'yaml',
  go: 'go',
  rust: 'rust',
  java: 'java',
  ruby: 'ruby',
}

const headingPattern = /^(#{1,3})\s+(.*)$/
const todoPattern = /^[-*+]\s+\[([ xX])\]\s+(.*)$/
const bulletPattern = /^[-*+]\s+(.*)$/
const numberedPattern = /^\d+[.)]\s+(.*)$/
const quotePattern = /^>\s?(.*)$/
const dividerPattern = /^(?:-{3,}|\*{3,}|_{3,})$/
const fencePattern = /^```\s*([\w+#-]*)\s*$/

/**
 * Turns text into blocks.
 *
 * @example
 * blocksFromText('# Plan\n\nShip it.\n- [ ] tests')
 * // heading_1 "Plan", paragraph "Ship it.", to_do "tests"
 */
export function blocksFromText(text: string): NewBlock[] {
  const blocks: NewBlock[] = []
  let paragraph: string[] = []
  let code: { language: string; lines: string[] } | undefined
  const flush = (): void => {
    if (paragraph.length > 0) blocks.push(textBlock('paragraph', paragraph.join('\n')))
    paragraph = []
  }
  const closeCode = (): void => {
    if (code === undefined) return
    blocks.push({
      object: 'block',
      type: 'code',
      code: { rich_text: richText(code.lines.join('\n')), language: code.language },
    })
    code = undefined
  }
  for (const line of text.replace(/\r\n?/g, '\n').split('\n')) {
    const trimmed = line.trim()
    const fence = fencePattern.exec(trimmed)
    if (code !== undefined) {
      if (fence === null) code.lines.push(line)
      else closeCode()
    } else if (fence !== null) {
      flush()
      code = { language: languages[group(fence, 1).toLowerCase()] ?? 'plain text', lines: [] }
    } else if (trimmed === '') {
      flush()
    } else {
      const block = lineBlock(trimmed)
      if (block === undefined) {
        paragraph.push(line)
      } else {
        flush()
        blocks.push(block)
      }
    }
  }
  // An unclosed fence runs to the end of the text.
  closeCode()
  flush()
  return blocks
}

// A capture group of a pattern above; each group always takes part in its match.
function group(match: RegExpExecArray, index: number): string {
  return match[index] ?? ''
}

function lineBlock(line: string): NewBlock | undefined {
  let match: RegExpExecArray | null
  if ((match = headingPattern.exec(line)) !== null) {
    const level = String(group(match, 1).length) as '1' | '2' | '3'
    return textBlock(`heading_${level}`, group(match, 2))
  }
  if ((match = todoPattern.exec(line)) !== null) {
    return {
      object: 'block',
      type: 'to_do',
      to_do: { rich_text: richText(group(match, 2)), checked: group(match, 1) !== ' ' },
    }
  }
  if (dividerPattern.test(line)) return { object: 'block', type: 'divider', divider: {} }
  if ((match = bulletPattern.exec(line)) !== null) return textBlock('bulleted_list_item', group(match, 1))
  if ((match = numberedPattern.exec(line)) !== null) return textBlock('numbered_list_item', group(match, 1))
  if ((match = quotePattern.exec(line)) !== null) return textBlock('quote', group(match, 1))
  return undefined
}

/**
 * Splits blocks into the batches one append request may carry.
 *
 * @example
 * batches(blocks).length // Math.ceil(blocks.length / 100)
 */
export function batches<T>(items: readonly T[], size = MAX_BLOCKS_PER_REQUEST): T[][] {
  const result: T[][] = []
  for (let start = 0; start < items.length; start += size) result.push(items.slice(start, start + size))
  return result
}
