/**
 * Names an imported tool is known by: its slug, its actions' names, its version. Each is derived
 * from the document deterministically, so importing the same document again yields the same names.
 */

/** The longest slug derived from a title. */
export const MAX_SLUG_LENGTH = 40

/** The longest action name (LLM providers cap function names at 64 characters). */
export const MAX_ACTION_NAME_LENGTH = 64

const identifier = /^[a-z][a-z0-9_]*$/

/**
 * `snake_case` from camelCase, kebab-case, dotted or spaced words: `getHTTPResponse` →
 * `get_http_response`, `list-pets.v2` → `list_pets_v2`. Only `[a-z0-9_]` remains.
 *
 * @example
 * snakeCase('getUserById') // 'get_user_by_id'
 */
export function snakeCase(text: string): string {
  return (
    text
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      // One word, however it is capitalised: `oAuth2` is `oauth2`, not `o_auth2`.
      .replace(/oauth/gi, 'Oauth')
      .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
      .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '_')
      .replace(/^_+|_+$/g, '')
  )
}

/** Cuts a snake_case name to `max` characters, preferring a word boundary, never ending in `_`. */
function cut(name: string, max: number): string {
  if (name.length <= max) return name
  const head = name.slice(0, max)
  if (name[max] === '_') return head.replace(/_+$/, '')
  const boundary = head.lastIndexOf('_')
  return (boundary >= max / 2 ? head.slice(0, boundary) : head).replace(/_+$/, '')
}

/** Makes a snake_case candidate a valid identifier: it must start with a letter. */
function asIdentifier(name: string, prefix: string, fallback: string): string {
  if (name === '') return fallback
  return /^[a-z]/.test(name) ? name : `${prefix}_${name}`
}

/**
 * A tool slug from a title: lowercase words joined by `_`, starting with a letter, at most
 * {@link MAX_SLUG_LENGTH} characters.
 *
 * @example
 * slugFromTitle('Swagger Petstore - OpenAPI 3.0') // 'swagger_petstore_openapi_3_0'
 */
export function slugFromTitle(title: string): string {
  // Brand names keep their capitals together: `DigitalOcean` is one word here, not two.
  const words = title
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
  return cut(asIdentifier(words, 'api', 'imported_api'), MAX_SLUG_LENGTH)
}

/**
 * Whether a caller-chosen slug is usable: an identifier of at most {@link MAX_SLUG_LENGTH} characters.
 *
 * @example
 * isValidSlug('petstore') // true
 */
export function isValidSlug(slug: string): boolean {
  return identifier.test(slug) && slug.length <= MAX_SLUG_LENGTH
}

/**
 * An action name candidate from an `operationId`, or `undefined` when it yields nothing usable.
 *
 * @example
 * actionNameFromOperationId('repos/list-for-org') // 'repos_list_for_org'
 */
export function actionNameFromOperationId(operationId: string): string | undefined {
  const name = snakeCase(operationId)
  return name === '' ? undefined : cut(asIdentifier(name, 'op', 'operation'), MAX_ACTION_NAME_LENGTH)
}

/**
 * An action name from a method and a path: `get_repos_owner_repo` for `GET /repos/{owner}/{repo}`.
 *
 * @example
 * actionNameFromRoute('get', '/pets/{petId}') // 'get_pets_pet_id'
 */
export function actionNameFromRoute(method: string, path: string): string {
  const words = snakeCase(`${method} ${path.replace(/[{}]/g, ' ')}`)
  return cut(asIdentifier(words, 'op', method.toLowerCase()), MAX_ACTION_NAME_LENGTH)
}

/**
 * Gives out names unique within one tool: the first asker gets the name, later ones get `_2`, `_3`…
 * (cut so the suffix still fits).
 */
export class NameRegistry {
  private readonly taken = new Set<string>()

  constructor(private readonly max: number) {}

  has(name: string): boolean {
    return this.taken.has(name)
  }

  claim(name: string): string {
    let candidate = name
    for (let counter = 2; this.taken.has(candidate); counter += 1) {
      const suffix = `_${counter}`
      candidate = `${cut(name, this.max - suffix.length)}${suffix}`
    }
    this.taken.add(candidate)
    return candidate
  }
}

// semver.org's own expression, as the SDK's validateTool uses it.
const semverPattern =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/

/**
 * A semantic version from whatever `info.version` says: kept when it already is one; otherwise the
 * first three numbers make `major.minor.patch` (missing ones are 0, leading zeros dropped) and the
 * rest is kept as build metadata.
 *
 * @example
 * semverFrom('v2') // '2.0.0'
 * semverFrom('2022-11-28') // '2022.11.28'
 * semverFrom('1.0 beta') // '1.0.0+beta'
 * semverFrom('latest') // '0.0.0+latest'
 */
export function semverFrom(version: string): string {
  const trimmed = version.trim()
  if (semverPattern.test(trimmed)) return trimmed
  const numbers = /\d+(?:[._-]\d+){0,2}/.exec(trimmed)
  const parts = (numbers?.[0].split(/[._-]/) ?? []).map((part) => String(Number.parseInt(part, 10)))
  while (parts.length < 3) parts.push('0')
  const rest =
    numbers === null
      ? trimmed
      : trimmed.slice(0, numbers.index) + trimmed.slice(numbers.index + numbers[0].length)
  const build = rest
    .replace(/^v(?=\s|$|[^a-z])/i, '')
    .split(/[^0-9A-Za-z-]+/)
    .filter((part) => part !== '' && part.toLowerCase() !== 'v')
    .join('.')
  return build === '' ? parts.join('.') : `${parts.join('.')}+${build}`
}

/**
 * Words from an identifier, for titles: `getUserById` → `Get user by id`.
 *
 * @example
 * humanise('listPets') // 'List pets'
 */
export function humanise(identifierText: string): string {
  const words = snakeCase(identifierText).replace(/_/g, ' ')
  return words === '' ? '' : `${words.charAt(0).toUpperCase()}${words.slice(1)}`
}

/**
 * A category from a tag: lowercase words joined by `-`.
 *
 * @example
 * categoryFromTag('Developer Tools') // 'developer-tools'
 */
export function categoryFromTag(tag: string): string {
  return snakeCase(tag).replace(/_/g, '-')
}
