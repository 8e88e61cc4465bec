import { describe, expect, it } from 'vitest'
import { encodeForm } from './form.js'

const pairs = (params: Parameters<typeof encodeForm>[0]) => [...encodeForm(params).entries()]

describe('encodeForm', () => {
  it('writes nested objects with brackets, as Stripe reads metadata', () => {
    expect(pairs({ amount: 2000, currency: 'usd', metadata: { order_id: '42', note: 'gift' } })).toEqual([
      ['amount', '2000'],
      ['currency', 'usd'],
      ['metadata[order_id]', '42'],
      ['metadata[note]', 'gift'],
    ])
  })

  it('writes lists of values with empty brackets and lists of objects with indexes', () => {
    expect(
      pairs({
        expand: ['customer', 'latest_charge'],
        items: [{ price: 'price_1', quantity: 2 }, { price: 'price_2' }],
      }),
    ).toEqual([
      ['expand[]', 'customer'],
      ['expand[]', 'latest_charge'],
      ['items[0][price]', 'price_1'],
      ['items[0][quantity]', '2'],
      ['items[1][price]', 'price_2'],
    ])
  })

  it('sends null as an empty value, which unsets a field, and leaves undefined out', () => {
    expect(pairs({ description: null, name: undefined, metadata: { old_key: null } })).toEqual([
      ['description', ''],
      ['metadata[old_key]', ''],
    ])
  })

  it('writes booleans as true and false, deeply nested', () => {
    expect(
      pairs({ automatic_payment_methods: { enabled: true, allow_redirects: { never: false } } }),
    ).toEqual([
      ['automatic_payment_methods[enabled]', 'true'],
      ['automatic_payment_methods[allow_redirects][never]', 'false'],
    ])
  })

  it('percent-encodes brackets and values on the wire', () => {
    expect(encodeForm({ metadata: { 'a b': 'x&y=z' } }).toString()).toBe('metadata%5Ba+b%5D=x%26y%3Dz')
  })
})
