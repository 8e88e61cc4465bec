import { describe, expect, it } from 'vitest'
import { safeNext, signInPath } from './paths.js'

describe('signInPath', () => {
  it('remembers where the visitor was going, except the home page', () => {
    expect(signInPath({ pathname: '/tools/github', search: '?x=1' })).toBe(
      '/sign-in?next=%2Ftools%2Fgithub%3Fx%3D1',
    )
    expect(signInPath({ pathname: '/', search: '' })).toBe('/sign-in')
    expect(signInPath({ pathname: '/tools', search: '' })).toBe('/sign-in')
  })
})

describe('safeNext', () => {
  it('accepts a path on this site and refuses anything that leaves it', () => {
    expect(safeNext('/tools/github?q=1')).toBe('/tools/github?q=1')
    for (const value of [null, '', 'tools', '//evil.example', '/\\evil.example', 'https://evil.example']) {
      expect(safeNext(value)).toBe('/tools')
    }
  })
})
