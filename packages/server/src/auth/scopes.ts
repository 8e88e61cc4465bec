/** API key scopes (SPEC §1). `admin` grants everything; a `:write` scope also grants its `:read`. */
export const scopes = [
  'tools:read',
  'credentials:read',
  'credentials:write',
  'executions:read',
  'executions:write',
  'webhooks:read',
  'webhooks:write',
  'admin',
] as const
export type Scope = (typeof scopes)[number]

/** A user's role in a workspace. */
export const roles = ['owner', 'admin', 'developer', 'viewer'] as const
export type Role = (typeof roles)[number]

const readScopes: readonly Scope[] = ['tools:read', 'credentials:read', 'executions:read', 'webhooks:read']
const writeScopes: readonly Scope[] = ['credentials:write', 'executions:write', 'webhooks:write']

/** What a signed-in user may do, by role: owners and admins everything, developers all but admin, viewers read. */
export function scopesForRole(role: Role): Scope[] {
  switch (role) {
    case 'owner':
    case 'admin':
      return [...scopes]
    case 'developer':
      return [...readScopes, ...writeScopes]
    case 'viewer':
      return [...readScopes]
  }
}

/**
 * Whether a set of granted scopes allows an operation needing `required`.
 *
 * @example
 * grants(['credentials:write'], 'credentials:read') // true
 */
export function grants(granted: readonly Scope[], required: Scope): boolean {
  if (granted.includes('admin') || granted.includes(required)) return true
  if (required.endsWith(':read')) {
    const write = required.replace(/:read$/, ':write')
    return granted.some((scope) => scope === write)
  }
  return false
}

export function isRole(value: string): value is Role {
  return (roles as readonly string[]).includes(value)
}

export function isScope(value: string): value is Scope {
  return (scopes as readonly string[]).includes(value)
}
