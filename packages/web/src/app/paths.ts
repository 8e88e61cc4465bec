/** Where the app goes after sign-in when nothing else was asked for. */
export const homePath = '/tools'

/**
 * The sign-in page, remembering where to return: only a path on this site (`/tools?q=git`), never
 * another origin.
 *
 * @example
 * signInPath({ pathname: '/tools/github', search: '' }) // '/sign-in?next=%2Ftools%2Fgithub'
 */
export function signInPath(location: { pathname: string; search: string }): string {
  const next = `${location.pathname}${location.search}`
  return next === '/' || next === homePath ? '/sign-in' : `/sign-in?next=${encodeURIComponent(next)}`
}

/**
 * The `next` of a sign-in link when it is a path on this site; else the home page. A value such as
 * `//evil.example` or `https://evil.example` would leave the site and is refused.
 *
 * @example
 * safeNext('/tools/github') // '/tools/github'
 * safeNext('//evil.example') // '/tools'
 */
export function safeNext(value: string | null): string {
  if (value === null || !value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) {
    return homePath
  }
  return value
}
