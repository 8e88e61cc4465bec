/**
 * What a provider's response says about its own rate limit: whether to make no more calls with
 * this credential until some moment. The execution engine blocks the credential's bucket until then
 * (`RateLimiter.block`), so every node waits, not only the one that got the answer.
 *
 * Read, in this order of trust (the latest moment wins when several speak):
 * - `Retry-After` (delta seconds or an HTTP date) on a 429 or 503 (RFC 9110 §10.2.3), and on a 403,
 *   which is how GitHub answers when its secondary limits are hit. Slack sends it on its 429s.
 * - A remaining count of 0 with a reset, on any status: `X-RateLimit-Remaining` and
 *   `X-RateLimit-Reset` (GitHub, Twitter, many others; GitHub adds `X-RateLimit-Resource`) and the
 *   early IETF drafts' `RateLimit-Remaining` and `RateLimit-Reset` (GitLab). A reset is epoch
 *   seconds when it is larger than 1e9, epoch milliseconds when larger than 1e12, and otherwise
 *   seconds from now. On a 429 a reset alone is enough.
 * - The IETF `RateLimit` field: an item with `r=0` and `t` seconds (drafts 08 and later), or the
 *   draft 07 dictionary `remaining=0, reset=<seconds>`.
 *
 * A 429 with none of these gives no signal: the caller decides how long to back off. Moments in the
 * past and values that do not parse are ignored, and no wait is longer than an hour, so that a
 * broken or hostile upstream cannot park executions for days.
 */

/** The longest wait a provider can impose through its headers: an hour. */
export const MAX_UPSTREAM_WAIT_MS = 3_600_000

export interface UpstreamSignal {
  /** No call before this moment, epoch milliseconds; at most `MAX_UPSTREAM_WAIT_MS` from now. */
  readonly waitUntilMs: number
  /** What the provider said, for logs and the execution's error, e.g. `429 with Retry-After: 30`. */
  readonly reason: string
}

type Headers = Readonly<Record<string, string | string[] | undefined>>

const decimal = /^\s*-?\d+(?:\.\d+)?\s*$/

function header(headers: Headers, name: string): string | undefined {
  const value = headers[name]
  const first = Array.isArray(value) ? value.find((item) => item.trim() !== '') : value
  const trimmed = first?.trim()
  return trimmed === '' ? undefined : trimmed
}

function number(text: string | undefined): number | undefined {
  return text !== undefined && decimal.test(text) ? Number(text) : undefined
}

/** `Retry-After`: delta seconds or an HTTP date, as an epoch time. */
function retryAfterAt(text: string, nowMs: number): number | undefined {
  const seconds = number(text)
  if (seconds !== undefined) return nowMs + seconds * 1000
  // Date.parse reads almost anything; an HTTP date has a weekday or month name and a year.
  if (!/[a-z]/i.test(text) || !/\d{4}/.test(text)) return undefined
  const at = Date.parse(text)
  return Number.isNaN(at) ? undefined : at
}

/** A reset: epoch milliseconds, epoch seconds, or seconds from now, told apart by size. */
function resetAt(value: number, nowMs: number): number {
  if (value > 1e12) return value
  if (value > 1e9) return value * 1000
  return nowMs + value * 1000
}

/** The members of a Structured Field list or dictionary, each split into its value and parameters. */
function members(field: string): { value: string; params: Map<string, string> }[] {
  // Split on `,` and `;` outside quoted strings.
  const split = (text: string, separator: string) => {
    const parts: string[] = []
    let quoted = false
    let start = 0
    for (let index = 0; index < text.length; index += 1) {
      const character = text[index]
      if (character === '\\' && quoted) index += 1
      else if (character === '"') quoted = !quoted
      else if (character === separator && !quoted) {
        parts.push(text.slice(start, index).trim())
        start = index + 1
      }
    }
    parts.push(text.slice(start).trim())
    return parts
  }
  return split(field, ',').map((member) => {
    const [value = '', ...rest] = split(member, ';')
    const params = new Map<string, string>()
    for (const param of rest) {
      const equals = param.indexOf('=')
      if (equals > 0) params.set(param.slice(0, equals).trim().toLowerCase(), param.slice(equals + 1).trim())
    }
    return { value, params }
  })
}

function ietfRateLimit(field: string, nowMs: number): UpstreamSignal | undefined {
  const found: UpstreamSignal[] = []
  const dictionary = new Map<string, string>()
  for (const { value, params } of members(field)) {
    const equals = value.indexOf('=')
    if (equals > 0 && !value.startsWith('"')) {
      dictionary.set(value.slice(0, equals).trim().toLowerCase(), value.slice(equals + 1).trim())
      continue
    }
    const remaining = number(params.get('r'))
    const seconds = number(params.get('t'))
    if (remaining !== undefined && remaining <= 0 && seconds !== undefined && seconds > 0) {
      found.push({ waitUntilMs: nowMs + seconds * 1000, reason: `RateLimit: ${value};r=0;t=${seconds}` })
    }
  }
  const remaining = number(dictionary.get('remaining'))
  const seconds = number(dictionary.get('reset'))
  if (remaining !== undefined && remaining <= 0 && seconds !== undefined && seconds > 0) {
    found.push({ waitUntilMs: nowMs + seconds * 1000, reason: `RateLimit: remaining=0, reset=${seconds}` })
  }
  return latest(found)
}

function latest(signals: readonly UpstreamSignal[]): UpstreamSignal | undefined {
  let best: UpstreamSignal | undefined
  for (const signal of signals) if (best === undefined || signal.waitUntilMs > best.waitUntilMs) best = signal
  return best
}

/**
 * Whether an upstream response says to make no more calls until some moment, and until when.
 * `headers` are the response's, with lower-case names; `status` is undefined when there was no
 * response (the headers then come from elsewhere, e.g. an error's).
 *
 * @example
 * upstreamSignal(429, { 'retry-after': '30' }, Date.now()) // { waitUntilMs: now + 30_000, reason: '429 with Retry-After: 30' }
 * upstreamSignal(200, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '1767225600' }, Date.now())
 * upstreamSignal(429, {}, Date.now()) // null: no hint, the caller decides
 */
export function upstreamSignal(
  status: number | undefined,
  headers: Headers,
  nowMs: number,
): { readonly waitUntilMs: number; readonly reason: string } | null {
  // Most answers carry none of the fields that can ask for a wait: nothing to read then.
  if (
    headers['retry-after'] === undefined &&
    headers['x-ratelimit-reset'] === undefined &&
    headers['ratelimit-reset'] === undefined &&
    headers.ratelimit === undefined
  ) {
    return null
  }
  const found: UpstreamSignal[] = []

  const retryAfter = header(headers, 'retry-after')
  if (retryAfter !== undefined && (status === 429 || status === 503 || status === 403)) {
    const at = retryAfterAt(retryAfter, nowMs)
    if (at !== undefined) found.push({ waitUntilMs: at, reason: `${status} with Retry-After: ${retryAfter}` })
  }

  for (const family of ['x-ratelimit', 'ratelimit']) {
    const remainingText = header(headers, `${family}-remaining`)
    const resetText = header(headers, `${family}-reset`)
    const remaining = number(remainingText)
    const reset = number(resetText)
    if (reset === undefined || reset < 0) continue
    const spent = remaining !== undefined && remaining <= 0
    if (!spent && !(status === 429 && remainingText === undefined)) continue
    const resource = header(headers, `${family}-resource`)
    const what = resource === undefined ? '' : ` (resource ${resource})`
    const said =
      remainingText === undefined
        ? `429 with ${family}-reset: ${resetText}`
        : `${family}-remaining: ${remainingText}, ${family}-reset: ${resetText}`
    found.push({ waitUntilMs: resetAt(reset, nowMs), reason: `${said}${what}` })
  }

  const ietf = header(headers, 'ratelimit')
  const fromIetf = ietf === undefined ? undefined : ietfRateLimit(ietf, nowMs)
  if (fromIetf !== undefined) found.push(fromIetf)

  const signal = latest(found.filter((candidate) => candidate.waitUntilMs > nowMs))
  if (signal === undefined) return null
  const cap = nowMs + MAX_UPSTREAM_WAIT_MS
  if (signal.waitUntilMs > cap) return { waitUntilMs: cap, reason: `${signal.reason} (capped at an hour)` }
  return { waitUntilMs: Math.ceil(signal.waitUntilMs), reason: signal.reason }
}
