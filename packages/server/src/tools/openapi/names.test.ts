import { describe, expect, it } from 'vitest'
import {
  NameRegistry,
  actionNameFromOperationId,
  actionNameFromRoute,
  categoryFromTag,
  humanise,
  isValidSlug,
  semverFrom,
  slugFromTitle,
  snakeCase,
} from './names.js'

describe('snakeCase', () => {
  it.each([
    ['getUserById', 'get_user_by_id'],
    ['getHTTPResponse', 'get_http_response'],
    ['list-pets.v2', 'list_pets_v2'],
    ['repos/list-for-org', 'repos_list_for_org'],
    ['oAuth2', 'oauth2'],
    ['OAuth2Security', 'oauth2_security'],
    ['  Créer un élément ', 'creer_un_element'],
    ['__', ''],
  ])('%s → %s', (input, expected) => {
    expect(snakeCase(input)).toBe(expected)
  })
})

describe('slugs', () => {
  it('derives a slug from a title, keeping brand names whole', () => {
    expect(slugFromTitle('DigitalOcean API')).toBe('digitalocean_api')
    expect(slugFromTitle('Swagger Petstore - OpenAPI 3.0')).toBe('swagger_petstore_openapi_3_0')
  })

  it('starts with a letter and falls back when the title has no letters or digits', () => {
    expect(slugFromTitle('1Password Connect')).toBe('api_1password_connect')
    expect(slugFromTitle('—')).toBe('imported_api')
  })

  it('cuts long titles at a word boundary to 40 characters', () => {
    const slug = slugFromTitle('The Extremely Long Name Of An Enterprise Resource Planning Platform API')
    expect(slug.length).toBeLessThanOrEqual(40)
    expect(slug).toBe('the_extremely_long_name_of_an_enterprise')
  })

  it('accepts only identifiers of at most 40 characters', () => {
    expect(isValidSlug('petstore')).toBe(true)
    expect(isValidSlug('Petstore')).toBe(false)
    expect(isValidSlug('9lives')).toBe(false)
    expect(isValidSlug('a'.repeat(41))).toBe(false)
  })
})

describe('action names', () => {
  it('come from operationIds', () => {
    expect(actionNameFromOperationId('findPetsByStatus')).toBe('find_pets_by_status')
    expect(actionNameFromOperationId('2fa-enable')).toBe('op_2fa_enable')
    expect(actionNameFromOperationId('***')).toBeUndefined()
  })

  it('come from the method and path when there is no operationId', () => {
    expect(actionNameFromRoute('get', '/repos/{owner}/{repo}')).toBe('get_repos_owner_repo')
    expect(actionNameFromRoute('delete', '/')).toBe('delete')
  })

  it('are at most 64 characters', () => {
    const name = actionNameFromOperationId('x'.repeat(30) + 'Y'.repeat(2) + 'z'.repeat(60))
    expect(name?.length).toBeLessThanOrEqual(64)
  })

  it('are made unique with numbered suffixes that still fit', () => {
    const names = new NameRegistry(10)
    expect(names.claim('list_pets')).toBe('list_pets')
    expect(names.claim('list_pets')).toBe('list_2')
    expect(names.claim('list_pets')).toBe('list_3')
    expect(names.has('list_pets')).toBe(true)
  })
})

describe('semverFrom', () => {
  it.each([
    ['1.0.0', '1.0.0'],
    ['1001.0.0-SNAPSHOT', '1001.0.0-SNAPSHOT'],
    ['v2', '2.0.0'],
    ['2.0', '2.0.0'],
    ['2022-11-28', '2022.11.28'],
    ['01.02', '1.2.0'],
    ['1.2.3.4', '1.2.3+4'],
    ['1.0 beta', '1.0.0+beta'],
    ['latest', '0.0.0+latest'],
    ['', '0.0.0'],
  ])('%j → %s', (input, expected) => {
    expect(semverFrom(input)).toBe(expected)
  })
})

describe('titles and categories', () => {
  it('humanises identifiers', () => {
    expect(humanise('listPets')).toBe('List pets')
    expect(humanise('')).toBe('')
  })

  it('turns tags into categories', () => {
    expect(categoryFromTag('Developer Tools')).toBe('developer-tools')
  })
})
