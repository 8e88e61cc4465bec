import { useState } from 'react'
import type { SyntheticEvent } from 'react'
import {
  Button,
  FieldError,
  Form,
  Input,
  Label,
  RadioButton,
  RadioField,
  RadioGroup,
  Text,
  TextArea,
  TextField,
} from 'react-aria-components'
import { fieldErrorMap } from '../api/field-errors.js'
import type { WebhookInput } from '../api/webhooks.js'
import { eventPatternProblem, eventTypes, maxEventPatterns, splitPatterns } from '../api/webhooks.js'
import { Checklist } from './Checklist.js'
import { FormErrorSummary } from './FormErrorSummary.js'
import '../styles/webhooks.css'

const known = new Set(eventTypes.map((e) => e.type))
const eventOptions = eventTypes.map((e) => ({ value: e.type, label: e.type, description: e.description }))

export interface WebhookFormValues {
  readonly url: string
  readonly events: readonly string[]
  readonly description: string | null
}

export interface WebhookFormProps {
  /** The subscription being edited; a new one when absent. */
  readonly initial?: WebhookFormValues
  readonly submitLabel: string
  readonly onSubmit: (input: WebhookInput) => void
  readonly pending: boolean
  /** The last submission's failure: field errors show on their fields. */
  readonly error: unknown
  readonly onCancel?: () => void
}

/** A URL's problem before it is sent (the server checks again, and also refuses user names in it). */
function urlProblem(text: string): string | null {
  if (text.trim() === '') return 'Enter the URL deliveries are sent to.'
  let url: URL
  try {
    url = new URL(text.trim())
  } catch {
    return 'Enter a full URL, such as https://example.com/toolplane-events.'
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return 'The URL must start with https:// or http://.'
  return null
}

/**
 * The fields of a webhook subscription: the endpoint URL, which events it receives (every event, or
 * the chosen types plus free patterns such as `execution.*` or `trigger.github.push`), and a
 * description. Problems are shown on their fields, both those found before sending and the server's.
 *
 * @example
 * const create = useCreateWebhook()
 * <WebhookForm submitLabel="Add endpoint" onSubmit={(input) => create.mutate(input)}
 *   pending={create.isPending} error={create.error} />
 */
export function WebhookForm({ initial, submitLabel, onSubmit, pending, error, onCancel }: WebhookFormProps) {
  const initialEvents = initial?.events ?? ['*']
  const [url, setUrl] = useState(initial?.url ?? '')
  const [scope, setScope] = useState<'all' | 'chosen'>(initialEvents.includes('*') ? 'all' : 'chosen')
  const [types, setTypes] = useState<string[]>(initialEvents.filter((e) => known.has(e)))
  const [patterns, setPatterns] = useState(initialEvents.filter((e) => e !== '*' && !known.has(e)).join('\n'))
  const [description, setDescription] = useState(initial?.description ?? '')
  const [problems, setProblems] = useState<{ url?: string; events?: string; patterns?: string }>({})

  const serverErrors = fieldErrorMap(error)

  const submit = (event: SyntheticEvent<HTMLFormElement>) => {
    event.preventDefault()
    if (pending) return
    const typed = splitPatterns(patterns)
    const events = scope === 'all' ? ['*'] : [...new Set([...types, ...typed])]
    const found: typeof problems = {}
    const urlError = urlProblem(url)
    if (urlError !== null) found.url = urlError
    if (scope === 'chosen') {
      const bad = typed.map(eventPatternProblem).filter((p) => p !== null)
      if (bad.length > 0) found.patterns = bad.join(' ')
      else if (events.length === 0) found.events = 'Choose at least one event type, or enter a pattern.'
      else if (events.length > maxEventPatterns) found.events = `Use at most ${maxEventPatterns} patterns.`
    }
    setProblems(found)
    if (Object.keys(found).length > 0) return
    onSubmit({ url: url.trim(), events, description: description.trim() === '' ? null : description.trim() })
  }

  return (
    <Form
      className="form"
      validationBehavior="aria"
      validationErrors={serverErrors}
      onSubmit={submit}
      aria-label={submitLabel}
    >
      <FormErrorSummary error={error} fields={['url', 'events', 'description']} />
      <TextField
        className="field"
        name="url"
        type="url"
        value={url}
        onChange={(value) => {
          setUrl(value)
          setProblems((p) => ({ ...p, url: undefined }))
        }}
        isRequired
        {...(problems.url === undefined ? {} : { isInvalid: true })}
      >
        <Label className="field-label">Endpoint URL</Label>
        <Text slot="description" className="field-description">
          Toolplane POSTs each event here as JSON, signed per Standard Webhooks.
        </Text>
        <Input className="input" placeholder="https://example.com/toolplane-events" inputMode="url" />
        <FieldError className="field-error">{problems.url}</FieldError>
      </TextField>

      <RadioGroup
        className="field"
        value={scope}
        onChange={(value) => {
          setScope(value === 'all' ? 'all' : 'chosen')
        }}
      >
        <Label className="field-label">Events to send</Label>
        <RadioField value="all">
          <RadioButton className="radio">
            <span className="radio-dot" aria-hidden="true" />
            Every event (<code>*</code>), including ones added later
          </RadioButton>
        </RadioField>
        <RadioField value="chosen">
          <RadioButton className="radio">
            <span className="radio-dot" aria-hidden="true" />
            Only the events I choose
          </RadioButton>
        </RadioField>
      </RadioGroup>

      {scope === 'chosen' && (
        <fieldset className="event-choice">
          <legend className="visually-hidden">Chosen events</legend>
          <Checklist
            label="Event types"
            name="events"
            options={eventOptions}
            value={types}
            onChange={(value) => {
              setTypes(value)
              setProblems((p) => ({ ...p, events: undefined }))
            }}
            error={problems.events ?? null}
          />
          <TextField
            className="field"
            name="patterns"
            value={patterns}
            onChange={(value) => {
              setPatterns(value)
              setProblems((p) => ({ ...p, patterns: undefined }))
            }}
            {...(problems.patterns === undefined ? {} : { isInvalid: true })}
          >
            <Label className="field-label">More patterns (optional)</Label>
            <Text slot="description" className="field-description">
              One per line or separated by commas: a prefix such as <code>execution.*</code> (every execution
              event, including future ones), or a tool’s trigger such as <code>trigger.github.push</code> or{' '}
              <code>trigger.stripe.*</code>.
            </Text>
            <TextArea className="input textarea" rows={3} spellCheck={false} />
            <FieldError className="field-error">{problems.patterns}</FieldError>
          </TextField>
        </fieldset>
      )}

      <TextField
        className="field"
        name="description"
        value={description}
        onChange={setDescription}
        maxLength={500}
      >
        <Label className="field-label">Description (optional)</Label>
        <Text slot="description" className="field-description">
          What this endpoint is, for whoever reads this list next.
        </Text>
        <Input className="input" />
        <FieldError className="field-error" />
      </TextField>

      <p className="muted small">
        A test event (<code>webhook.test</code>) can always be sent to the endpoint, whatever it subscribes
        to.
      </p>

      <div className="button-row">
        {/* Not `isPending`: React Aria would announce the button by its id after the form is gone. */}
        <Button type="submit" className="button button-primary">
          {pending ? 'Saving…' : submitLabel}
        </Button>
        {onCancel !== undefined && (
          <Button className="button" onPress={onCancel} isDisabled={pending}>
            Cancel
          </Button>
        )}
      </div>
    </Form>
  )
}
