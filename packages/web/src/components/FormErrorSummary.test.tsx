import { screen } from '@testing-library/react'
import { describe, expect, it } from 'vitest'
import { ApiError } from '../api/client.js'
import { renderWithApp } from '../testing/render.js'
import { FormErrorSummary } from './FormErrorSummary.js'

const refused = (paths: string[]) =>
  new ApiError({
    status: 400,
    code: 'validation_error',
    title: 'The request is not valid',
    detail: 'Some fields are not valid.',
    errors: paths.map((path) => ({ path, message: 'is not valid' })),
  })

describe('FormErrorSummary', () => {
  it('says nothing while there is no error', () => {
    renderWithApp(<FormErrorSummary error={null} fields={['name']} />)
    expect(screen.queryByRole('alert')).toBeNull()
    expect(screen.queryByRole('heading')).toBeNull()
  })

  it('points at the fields when every field error is on one of them', () => {
    renderWithApp(
      <FormErrorSummary error={refused(['/body/name', '/body/scopes/1'])} fields={['name', 'scopes']} />,
    )
    expect(screen.getByRole('alert').textContent).toBe(
      'The server refused some fields: see the messages beside them.',
    )
    expect(screen.queryByRole('heading')).toBeNull()
  })

  it('shows the whole problem when an error is on no field of the form', () => {
    renderWithApp(<FormErrorSummary error={refused(['/body/name', '/body/other'])} fields={['name']} />)
    expect(screen.getByRole('heading', { level: 3, name: 'The request is not valid' })).toBeTruthy()
    expect(screen.queryByText(/see the messages beside them/)).toBeNull()
  })
})
