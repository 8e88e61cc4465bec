import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'

const css = readFileSync(new URL('./tokens.css', import.meta.url), 'utf8')

/** The `light-dark()` colour pairs declared in the rule for `selector`. */
function pairs(selector: string): Map<string, [string, string]> {
  const start = css.indexOf(`${selector} {`)
  if (start === -1) throw new Error(`no rule for ${selector}`)
  const body = css.slice(start, css.indexOf('}', start))
  const found = new Map<string, [string, string]>()
  for (const m of body.matchAll(/--color-([\w-]+): light-dark\((#[0-9a-f]{6}), (#[0-9a-f]{6})\)/g)) {
    found.set(m[1]!, [m[2]!, m[3]!])
  }
  return found
}

/** WCAG 2.2 relative luminance and contrast ratio. */
function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => {
    const c = Number.parseInt(hex.slice(i, i + 2), 16) / 255
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4
  })
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!
}

function contrast(a: string, b: string): number {
  const [high, low] = [luminance(a), luminance(b)].sort((x, y) => y - x)
  return (high! + 0.05) / (low! + 0.05)
}

const base = pairs(':root')
const highContrast = new Map([...base, ...pairs(":root[data-theme='contrast']")])
const themes: { name: string; colours: Map<string, string>; text: number }[] = [
  { name: 'light', colours: new Map([...base].map(([k, v]) => [k, v[0]])), text: 4.5 },
  { name: 'dark', colours: new Map([...base].map(([k, v]) => [k, v[1]])), text: 4.5 },
  { name: 'high contrast (light)', colours: new Map([...highContrast].map(([k, v]) => [k, v[0]])), text: 7 },
  { name: 'high contrast (dark)', colours: new Map([...highContrast].map(([k, v]) => [k, v[1]])), text: 7 },
]

/** Text colours and the backgrounds they are used on. */
const textPairs = [
  ['text', 'bg'],
  ['text', 'surface'],
  ['text', 'accent-soft'],
  ['text', 'danger-soft'],
  ['text-muted', 'bg'],
  ['text-muted', 'surface'],
  ['text-muted', 'accent-soft'],
  ['accent', 'bg'],
  ['accent', 'surface'],
  ['accent', 'accent-soft'],
  ['on-accent', 'accent'],
  ['danger', 'bg'],
  ['danger', 'danger-soft'],
] as const

/** Controls' edges and the focus ring against what they sit on (WCAG 1.4.11: 3:1). */
const uiPairs = [
  ['control-border', 'bg'],
  ['control-border', 'surface'],
  ['focus', 'bg'],
  ['focus', 'surface'],
  ['focus', 'accent-soft'],
  ['accent', 'bg'],
] as const

describe.each(themes)('the $name theme', ({ colours, text }) => {
  const colour = (name: string) => {
    const value = colours.get(name)
    if (value === undefined) throw new Error(`--color-${name} is not declared`)
    return value
  }

  it.each(textPairs)(`has %s text on %s at ${text}:1 or more`, (fg, bg) => {
    expect(contrast(colour(fg), colour(bg))).toBeGreaterThanOrEqual(text)
  })

  it.each(uiPairs)('has a %s against %s at 3:1 or more', (fg, bg) => {
    expect(contrast(colour(fg), colour(bg))).toBeGreaterThanOrEqual(3)
  })
})

describe('contrast', () => {
  it('matches the WCAG definition', () => {
    expect(contrast('#000000', '#ffffff')).toBeCloseTo(21, 5)
    expect(contrast('#777777', '#ffffff')).toBeCloseTo(4.48, 2)
  })
})
