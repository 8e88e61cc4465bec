/**
 * Whether granted scopes allow an operation, by the server's rule (packages/server/src/auth/scopes.ts):
 * `admin` grants everything and a `:write` scope also grants its `:read`. The pages use it to offer
 * only what the signed-in user may do; the server decides in the end.
 *
 * @example
 * grants(session.scopes, 'webhooks:write') // false for a viewer
 */
export function grants(granted: readonly string[] | undefined, required: string): boolean {
  if (granted === undefined) return false
  if (granted.includes('admin') || granted.includes(required)) return true
  return required.endsWith(':read') && granted.includes(required.replace(/:read$/, ':write'))
}
