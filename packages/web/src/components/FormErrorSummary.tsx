import { allOnFields } from '../api/field-errors.js'
import { ApiErrorDisplay } from './ErrorHandler.js'

/**
 * What a form says above its fields after the server refused a submission: when every field error
 * landed on one of `fields` (which show their own messages), a short alert pointing at them;
 * otherwise the whole problem in `ApiErrorDisplay`. Nothing while there is no error.
 *
 * @example
 * <Form validationErrors={fieldErrorMap(create.error)}>
 *   <FormErrorSummary error={create.error} fields={['name', 'scopes']} />
 *   …
 * </Form>
 */
export function FormErrorSummary({ error, fields }: { error: unknown; fields: readonly string[] }) {
  if (error === null || error === undefined) return null
  if (allOnFields(error, fields)) {
    return (
      <p role="alert" className="field-error">
        The server refused some fields: see the messages beside them.
      </p>
    )
  }
  return <ApiErrorDisplay error={error} headingLevel={3} />
}
