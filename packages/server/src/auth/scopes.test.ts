import { describe, expect, it } from 'vitest'
import { grants, isRole, isScope, scopesForRole } from './scopes.js'

describe('scopes', () => {
  it('lets admin do everything and a write scope read', () => {
    expect(grants(['admin'], 'webhooks:write')).toBe(true)
    expect(grants(['credentials:write'], 'credentials:read')).toBe(true)
    expect(grants(['credentials:read'], 'credentials:write')).toBe(false)
    expect(grants(['executions:write'], 'credentials:read')).toBe(false)
    expect(grants(['tools:read'], 'admin')).toBe(false)
  })

  it('maps roles to scopes', () => {
    expect(scopesForRole('owner')).toContain('admin')
    expect(scopesForRole('admin')).toContain('admin')
    expect(scopesForRole('developer')).not.toContain('admin')
    expect(scopesForRole('developer')).toContain('executions:write')
    expect(scopesForRole('viewer').every((s) => s.endsWith(':read'))).toBe(true)
  })

  it('recognises names', () => {
    expect(isRole('viewer')).toBe(true)
    expect(isRole('root')).toBe(false)
    expect(isScope('tools:read')).toBe(true)
    expect(isScope('tools:write')).toBe(false)
  })
})
