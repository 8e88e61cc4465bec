/**
 * RFC 8288 `Link` header parsing, enough for pagination: `<https://…?page=2>; rel="next", <…>; rel="last"`.
 */

/** One link-value of a `Link` header. */
export interface WebLink {
  /** The target as written (often relative). */
  uri: string
  /** The relation types, lower case (`rel="next last"` gives two). */
  rel: string[]
  /** Every parameter, names in lower case; the first occurrence wins. */
  params: Record<string, string>
}

/**
 * Parses a `Link` header (several headers joined with `, ` parse as one). Malformed link-values are
 * skipped, never thrown on: a broken header only means no next page.
 */
export function parseLinkHeader(header: string): WebLink[] {
  const links: WebLink[] = []
  let at = 0
  const skipSpace = (): void => {
    while (at < header.length && /\s/.test(header.charAt(at))) at += 1
  }
  const skipPastComma = (): void => {
    while (at < header.length && header.charAt(at) !== ',') at += 1
    at += 1
  }
  while (at < header.length) {
    skipSpace()
    if (header.charAt(at) === ',') {
      at += 1
      continue
    }
    if (header.charAt(at) !== '<') {
      skipPastComma()
      continue
    }
    const close = header.indexOf('>', at)
    if (close === -1) break
    const uri = header.slice(at + 1, close).trim()
    at = close + 1
    const params: Record<string, string> = {}
    for (;;) {
      skipSpace()
      if (header.charAt(at) !== ';') break
      at += 1
      skipSpace()
      const nameMatch = /^[^\s=;,]+/.exec(header.slice(at))
      if (nameMatch === null) {
        // A parameter without a name: skip it, keep the rest of the link-value.
        at += /^[^;,]*/.exec(header.slice(at))?.[0].length ?? 0
        continue
      }
      const name = nameMatch[0].toLowerCase()
      at += nameMatch[0].length
      skipSpace()
      let value = ''
      if (header.charAt(at) === '=') {
        at += 1
        skipSpace()
        if (header.charAt(at) === '"') {
          at += 1
          while (at < header.length && header.charAt(at) !== '"') {
            if (header.charAt(at) === '\\') at += 1
            value += header.charAt(at)
            at += 1
          }
          at += 1
        } else {
          const token = /^[^;,]*/.exec(header.slice(at))?.[0] ?? ''
          value = token.trim()
          at += token.length
        }
      }
      if (!Object.hasOwn(params, name)) params[name] = value
    }
    skipSpace()
    if (at < header.length && header.charAt(at) !== ',') skipPastComma()
    const rel = (params.rel ?? '')
      .toLowerCase()
      .split(/\s+/)
      .filter((type) => type !== '')
    links.push({ uri, rel, params })
  }
  return links
}

/**
 * The absolute URL of the `rel="next"` link of a response, resolved against the URL that answered;
 * `undefined` when there is none.
 */
export function nextPageUrl(linkHeader: string | undefined, responseUrl: string): string | undefined {
  if (linkHeader === undefined) return undefined
  const next = parseLinkHeader(linkHeader).find((link) => link.rel.includes('next'))
  if (next === undefined) return undefined
  try {
    return new URL(next.uri, responseUrl).href
  } catch {
    return undefined
  }
}
