/**
 * Stripe's request encoding: `application/x-www-form-urlencoded` with nested brackets, as its own
 * libraries send it. Objects become `metadata[order_id]=42`, lists of values `expand[]=customer`,
 * lists of objects `items[0][price]=price_123`; `null` sends an empty value, which Stripe reads as
 * "unset"; `undefined` leaves the field out.
 */

/** A value Stripe's form encoding can carry. */
export type FormValue =
  string | number | boolean | null | undefined | readonly FormValue[] | { readonly [key: string]: FormValue }

/**
 * Encodes parameters the way Stripe reads them.
 *
 * @example
 * encodeForm({ amount: 2000, metadata: { order_id: '42' }, expand: ['customer'] }).toString()
 * // 'amount=2000&metadata%5Border_id%5D=42&expand%5B%5D=customer'
 */
export function encodeForm(params: Readonly<Record<string, FormValue>>): URLSearchParams {
  const form = new URLSearchParams()
  for (const [key, value] of Object.entries(params)) append(form, key, value)
  return form
}

function append(form: URLSearchParams, key: string, value: FormValue): void {
  if (value === undefined) return
  if (value === null) {
    form.append(key, '')
  } else if (isList(value)) {
    value.forEach((item, index) => {
      append(form, isScalar(item) ? `${key}[]` : `${key}[${index}]`, item)
    })
  } else if (typeof value === 'object') {
    for (const [name, item] of Object.entries(value)) append(form, `${key}[${name}]`, item)
  } else {
    form.append(key, String(value))
  }
}

function isList(value: FormValue): value is readonly FormValue[] {
  return Array.isArray(value)
}

function isScalar(value: FormValue): boolean {
  return value === null || value === undefined || typeof value !== 'object'
}
