import type { ReactNode } from 'react'
import { CheckboxButton, CheckboxField, CheckboxGroup, FieldError, Label, Text } from 'react-aria-components'

export interface ChecklistOption {
  readonly value: string
  /** Shown in monospace: the value as the API names it (a scope, an event type). */
  readonly label: string
  readonly description: string
}

export interface ChecklistProps {
  readonly label: string
  readonly description?: ReactNode
  readonly options: readonly ChecklistOption[]
  readonly value: readonly string[]
  readonly onChange: (value: string[]) => void
  /** The form field's name, matching the API's body field so server errors land here. */
  readonly name: string
  readonly isRequired?: boolean
  readonly isReadOnly?: boolean
  /** A problem found before sending (shown like the server's). */
  readonly error?: string | null
}

/**
 * Checkboxes with a description each, as one labelled group: API key scopes, webhook event types.
 * Errors for the group's `name` (from `<Form validationErrors>`) or `error` show under it.
 *
 * @example
 * <Checklist label="Scopes" name="scopes" options={scopeOptions} value={scopes} onChange={setScopes} isRequired />
 */
export function Checklist({
  label,
  description,
  options,
  value,
  onChange,
  name,
  isRequired = false,
  isReadOnly = false,
  error = null,
}: ChecklistProps) {
  return (
    <CheckboxGroup
      className="field checklist"
      name={name}
      value={[...value]}
      onChange={onChange}
      isRequired={isRequired}
      isReadOnly={isReadOnly}
      validationBehavior="aria"
      {...(error === null ? {} : { isInvalid: true })}
    >
      <Label className="field-label">{label}</Label>
      {description !== undefined && (
        <Text slot="description" className="field-description">
          {description}
        </Text>
      )}
      <div className="checklist-options">
        {options.map((option) => (
          <CheckboxField key={option.value} value={option.value} className="checklist-field">
            <CheckboxButton className="checklist-option">
              <span className="checkbox-box" aria-hidden="true" />
              <code className="checklist-label">{option.label}</code>
            </CheckboxButton>
            <Text slot="description" className="checklist-description">
              {option.description}
            </Text>
          </CheckboxField>
        ))}
      </div>
      <FieldError className="field-error">{error ?? undefined}</FieldError>
    </CheckboxGroup>
  )
}
