import { createContext, use, useEffect, useId, useImperativeHandle, useMemo, useRef, useState } from 'react'
import type { ReactNode, Ref, SyntheticEvent } from 'react'
import {
  Button,
  CheckboxButton,
  CheckboxField,
  CheckboxGroup,
  FieldError,
  Input,
  Label,
  ListBox,
  ListBoxItem,
  NumberField,
  Popover,
  RadioButton,
  RadioField,
  RadioGroup,
  Select,
  SelectValue,
  Tab,
  TabList,
  TabPanel,
  Tabs,
  Text,
  TextArea,
  TextField,
} from 'react-aria-components'
import type { Key } from 'react-aria-components'
import {
  childPointer,
  describeForm,
  errorsByField,
  fieldPointers,
  formatJson,
  fromLocalDateTime,
  getAt,
  isEmptyObject,
  parseJson,
  pointerParts,
  sameJson,
  setAt,
  toLocalDateTime,
  validateInput,
} from './schema-form.js'
import type { EnumOption, FieldSpec, JsonSchema, Pointer } from './schema-form.js'
import '../styles/actions.css'

export type RunMode = 'sync' | 'async'

/** What a parent can ask of the form. */
export interface ActionParameterFormHandle {
  /** Moves focus to the first field with an error, else the first field (after "Fix the input"). */
  focus(): void
}

export interface ActionParameterFormProps {
  /** The action's input JSON Schema. */
  readonly schema: JsonSchema
  /** The input being edited (controlled: examples and sample data replace it from outside). */
  readonly value: unknown
  readonly onChange: (value: unknown) => void
  /** Called with a valid input and the chosen mode when the user presses Run. */
  readonly onSubmit: (input: unknown, mode: RunMode) => void
  /** The server's messages for fields of the input (see `inputErrorsOf`), shown until the field changes. */
  readonly serverErrors?: Readonly<Record<Pointer, string>>
  /** A run is in progress: Run shows it and does not submit twice. */
  readonly running?: boolean
  /** Controls shown above the fields (sample data). */
  readonly toolbar?: ReactNode
  /** The form element's id, for links to it. */
  readonly id?: string
  readonly ref?: Ref<ActionParameterFormHandle>
}

interface FormContextValue {
  readonly value: unknown
  readonly set: (pointer: Pointer, next: unknown) => void
  readonly touch: (pointer: Pointer) => void
  readonly errorsFor: (pointer: Pointer) => readonly string[]
  readonly idFor: (pointer: Pointer) => string
}

const FormContext = createContext<FormContextValue | null>(null)

function useFormContext(): FormContextValue {
  const context = use(FormContext)
  if (context === null) throw new Error('form fields need an <ActionParameterForm> above them')
  return context
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * Optional nested objects the user emptied, and optional lists emptied of every item, become absent
 * again, so the input says no more than what was entered.
 */
function prune(field: FieldSpec, value: unknown): unknown {
  if (field.widget.kind === 'object' && isRecord(value)) {
    const out: Record<string, unknown> = { ...value }
    for (const p of field.widget.properties) {
      if (!(p.name in out)) continue
      const child = prune(p.field, out[p.name])
      const empty =
        isEmptyObject(child) || (Array.isArray(child) && child.length === 0 && p.field.widget.kind !== 'json')
      if (child === undefined || (empty && !p.required && p.field.defaultValue === undefined)) {
        Reflect.deleteProperty(out, p.name)
      } else out[p.name] = child
    }
    return out
  }
  if (field.widget.kind === 'array' && Array.isArray(value)) {
    const items = field.widget.items
    return value.map((item: unknown) => prune(items, item))
  }
  return value
}

/** A new list item: the item's default, else an empty value of its kind. */
function newItem(field: FieldSpec): unknown {
  if (field.defaultValue !== undefined) return structuredClone(field.defaultValue)
  switch (field.widget.kind) {
    case 'string':
      return ''
    case 'number':
      return 0
    case 'boolean':
      return false
    case 'enum':
      return field.widget.options[0]?.value ?? null
    case 'object': {
      const out: Record<string, unknown> = {}
      for (const p of field.widget.properties) {
        if (p.field.defaultValue !== undefined) out[p.name] = structuredClone(p.field.defaultValue)
      }
      return out
    }
    case 'record':
      return {}
    default:
      return null
  }
}

function RequiredMarker({ required }: { required: boolean }) {
  if (!required) return null
  return (
    <span className="required-marker" aria-hidden="true">
      {' '}
      *
    </span>
  )
}

function Help({ field }: { field: FieldSpec }) {
  const parts = [field.description, ...field.hints].filter((p): p is string => p !== null && p !== '')
  if (field.nullable) parts.push('Leave it empty to leave it out; send null from the JSON view.')
  if (parts.length === 0) return null
  return (
    <Text slot="description" className="field-description">
      {parts.join(' ')}
    </Text>
  )
}

function helpText(field: FieldSpec): string | null {
  const parts = [field.description, ...field.hints].filter((p): p is string => p !== null && p !== '')
  return parts.length === 0 ? null : parts.join(' ')
}

function Errors({ messages }: { messages: readonly string[] }) {
  if (messages.length === 0) return null
  return (
    <FieldError className="field-error">
      <span aria-hidden="true">✕ </span>
      {messages.join(' ')}
    </FieldError>
  )
}

/** A group's (or a checkbox's) help, in a paragraph its control names in `aria-describedby`. */
function HelpParagraph({ id, text }: { id: string; text: string | null }) {
  if (text === null) return null
  return (
    <p id={id} className="field-description">
      {text}
    </p>
  )
}

/** A group's (or a checkbox's) errors, in a paragraph its control names in `aria-describedby`. */
function ErrorParagraph({ id, messages }: { id: string; messages: readonly string[] }) {
  if (messages.length === 0) return null
  return (
    <p id={id} className="field-error">
      <span aria-hidden="true">✕ </span>
      {messages.join(' ')}
    </p>
  )
}

/** The ids of the help and error paragraphs that are shown, for `aria-describedby`; '' when none. */
function describedByOf(
  help: string | null,
  helpId: string,
  errors: readonly string[],
  errorId: string,
): string {
  return [help === null ? null : helpId, errors.length > 0 ? errorId : null].filter(Boolean).join(' ')
}

/** A group's legend: its title, the required marker, and "(required)" for screen readers. */
function GroupLegend({ id, title, required }: { id?: string; title: string; required: boolean }) {
  return (
    <legend {...(id === undefined ? {} : { id })} className="field-label">
      {title}
      <RequiredMarker required={required} />
      {required && <span className="visually-hidden"> (required)</span>}
    </legend>
  )
}

interface FieldProps {
  readonly field: FieldSpec
  readonly pointer: Pointer
  readonly required: boolean
  /** The label shown; the field's title unless a list names its items ("Recipient 2"). */
  readonly label?: string
  /** Inside a list an empty text stays "" (an absent item cannot exist). */
  readonly inList?: boolean
}

function StringInput({ field, pointer, required, label, inList = false }: FieldProps) {
  const form = useFormContext()
  if (field.widget.kind !== 'string') return null
  const { format, secret, multiline } = field.widget
  const raw = getAt(form.value, pointer)
  const text = format === 'date-time' ? toLocalDateTime(raw) : typeof raw === 'string' ? raw : ''
  const errors = form.errorsFor(pointer)
  const type = secret
    ? 'password'
    : format === 'email'
      ? 'email'
      : format === 'uri'
        ? 'url'
        : format === 'date'
          ? 'date'
          : format === 'date-time'
            ? 'datetime-local'
            : 'text'
  const onChange = (next: string) => {
    const value = format === 'date-time' ? fromLocalDateTime(next) : next
    form.set(pointer, value === '' || value === undefined ? (inList ? '' : undefined) : value)
  }
  return (
    <TextField
      className="field"
      id={form.idFor(pointer)}
      value={text}
      onChange={onChange}
      onBlur={() => {
        form.touch(pointer)
      }}
      type={multiline ? undefined : type}
      isRequired={required}
      isInvalid={errors.length > 0}
      validationBehavior="aria"
      {...(secret ? { autoComplete: 'off' } : {})}
    >
      <Label className="field-label">
        {label ?? field.title}
        <RequiredMarker required={required} />
      </Label>
      {multiline ? <TextArea className="input af-textarea" rows={5} /> : <Input className="input" />}
      <Help field={field} />
      <Errors messages={errors} />
    </TextField>
  )
}

function NumberInput({ field, pointer, required, label }: FieldProps) {
  const form = useFormContext()
  if (field.widget.kind !== 'number') return null
  const raw = getAt(form.value, pointer)
  const errors = form.errorsFor(pointer)
  return (
    <NumberField
      className="field"
      id={form.idFor(pointer)}
      value={typeof raw === 'number' ? raw : Number.NaN}
      onChange={(next) => {
        form.set(pointer, Number.isNaN(next) ? undefined : next)
      }}
      onBlur={() => {
        form.touch(pointer)
      }}
      formatOptions={{ useGrouping: false, maximumFractionDigits: field.widget.integer ? 0 : 20 }}
      isRequired={required}
      isInvalid={errors.length > 0}
      validationBehavior="aria"
    >
      <Label className="field-label">
        {label ?? field.title}
        <RequiredMarker required={required} />
      </Label>
      <Input className="input af-input-number" />
      <Help field={field} />
      <Errors messages={errors} />
    </NumberField>
  )
}

function BooleanInput({ field, pointer, required, label }: FieldProps) {
  const form = useFormContext()
  const helpId = useId()
  const errorId = useId()
  const raw = getAt(form.value, pointer)
  const errors = form.errorsFor(pointer)
  const help = helpText(field)
  // Unticking an optional box with no default leaves it out, as the action's own default would.
  const explicit = required || field.defaultValue !== undefined
  const describedBy = describedByOf(help, helpId, errors, errorId)
  return (
    <div className="field" data-pointer={pointer}>
      <CheckboxField
        id={form.idFor(pointer)}
        isSelected={raw === true}
        onChange={(selected) => {
          form.set(pointer, selected ? true : explicit ? false : undefined)
          form.touch(pointer)
        }}
        isInvalid={errors.length > 0}
        {...(describedBy === '' ? {} : { 'aria-describedby': describedBy })}
      >
        <CheckboxButton className="checkbox">
          <span className="checkbox-box" aria-hidden="true" />
          <span className="field-label">
            {label ?? field.title}
            <RequiredMarker required={required} />
          </span>
        </CheckboxButton>
      </CheckboxField>
      <HelpParagraph id={helpId} text={help} />
      <ErrorParagraph id={errorId} messages={errors} />
    </div>
  )
}

const notSet = 'not-set'

function optionKey(options: readonly EnumOption[], value: unknown): string | null {
  const index = options.findIndex((o) => sameJson(o.value, value))
  return index === -1 ? null : String(index)
}

function EnumInput({ field, pointer, required, label }: FieldProps) {
  const form = useFormContext()
  if (field.widget.kind !== 'enum') return null
  const { options, control } = field.widget
  const raw = getAt(form.value, pointer)
  const errors = form.errorsFor(pointer)
  const selected = optionKey(options, raw) ?? (raw === undefined && !required ? notSet : null)
  const choose = (key: Key | null) => {
    if (key === null) return
    const option = key === notSet ? undefined : options[Number(key)]
    form.set(pointer, option === undefined ? undefined : option.value)
    form.touch(pointer)
  }
  const labelNode = (
    <Label className="field-label">
      {label ?? field.title}
      <RequiredMarker required={required} />
    </Label>
  )
  if (control === 'radio') {
    return (
      <RadioGroup
        className="field af-radio-group"
        id={form.idFor(pointer)}
        value={selected}
        onChange={choose}
        isRequired={required}
        isInvalid={errors.length > 0}
        validationBehavior="aria"
      >
        {labelNode}
        <div className="af-radio-options">
          {!required && (
            <RadioField value={notSet}>
              <RadioButton className="radio-button">Not set</RadioButton>
            </RadioField>
          )}
          {options.map((option, i) => (
            <RadioField key={String(i)} value={String(i)}>
              <RadioButton className="radio-button">{option.label}</RadioButton>
            </RadioField>
          ))}
        </div>
        <Help field={field} />
        <Errors messages={errors} />
      </RadioGroup>
    )
  }
  return (
    <Select
      className="field"
      id={form.idFor(pointer)}
      value={selected}
      onChange={choose}
      isRequired={required}
      isInvalid={errors.length > 0}
      validationBehavior="aria"
      placeholder="Choose…"
    >
      {labelNode}
      <Button className="input select-button af-select-button">
        <SelectValue />
        <span aria-hidden="true" className="af-select-chevron">
          ▾
        </span>
      </Button>
      <Help field={field} />
      <Errors messages={errors} />
      <Popover className="select-popover">
        <ListBox className="select-list">
          {!required ? (
            <ListBoxItem id={notSet} className="select-option" textValue="Not set">
              Not set
            </ListBoxItem>
          ) : null}
          {options.map((option, i) => (
            <ListBoxItem key={String(i)} id={String(i)} className="select-option" textValue={option.label}>
              {option.label}
            </ListBoxItem>
          ))}
        </ListBox>
      </Popover>
    </Select>
  )
}

function ChoicesInput({ field, pointer, required, label }: FieldProps) {
  const form = useFormContext()
  if (field.widget.kind !== 'choices') return null
  const { options } = field.widget
  const raw = getAt(form.value, pointer)
  const values = Array.isArray(raw) ? raw : []
  const selected = options.flatMap((o, i) => (values.some((v) => sameJson(v, o.value)) ? [String(i)] : []))
  const errors = form.errorsFor(pointer)
  return (
    <CheckboxGroup
      className="field"
      id={form.idFor(pointer)}
      value={selected}
      onChange={(keys) => {
        const next = options.filter((_, i) => keys.includes(String(i))).map((o) => o.value)
        form.set(pointer, next.length === 0 && !required ? undefined : next)
        form.touch(pointer)
      }}
      isRequired={required}
      isInvalid={errors.length > 0}
      validationBehavior="aria"
    >
      <Label className="field-label">
        {label ?? field.title}
        <RequiredMarker required={required} />
      </Label>
      <div className="af-radio-options">
        {options.map((option, i) => (
          <CheckboxField key={String(i)} value={String(i)}>
            <CheckboxButton className="checkbox">
              <span className="checkbox-box" aria-hidden="true" />
              {option.label}
            </CheckboxButton>
          </CheckboxField>
        ))}
      </div>
      <Help field={field} />
      <Errors messages={errors} />
    </CheckboxGroup>
  )
}

/** A field's value as JSON text, kept as typed while it is not valid JSON. */
function JsonInput({ field, pointer, required, label }: FieldProps) {
  const form = useFormContext()
  const raw = getAt(form.value, pointer)
  const [state, setState] = useState(() => ({
    text: formatJson(raw),
    source: raw,
    error: null as string | null,
  }))
  // The value changed from outside (an example, sample data): show it.
  if (state.source !== raw) {
    const typed = parseJson(state.text)
    if (typed.ok && sameJson(typed.value, raw)) setState({ ...state, source: raw })
    else setState({ text: formatJson(raw), source: raw, error: null })
  }
  const errors = [...(state.error === null ? [] : [state.error]), ...form.errorsFor(pointer)]
  return (
    <TextField
      className="field"
      id={form.idFor(pointer)}
      value={state.text}
      onChange={(text) => {
        const parsed = parseJson(text)
        if (parsed.ok) {
          setState({ text, source: parsed.value, error: null })
          form.set(pointer, parsed.value)
        } else {
          setState({ text, source: raw, error: parsed.message })
        }
      }}
      onBlur={() => {
        form.touch(pointer)
      }}
      isRequired={required}
      isInvalid={errors.length > 0}
      validationBehavior="aria"
    >
      <Label className="field-label">
        {label ?? field.title} <span className="muted">(JSON)</span>
        <RequiredMarker required={required} />
      </Label>
      <TextArea className="input af-textarea af-code" rows={4} spellCheck={false} />
      <Help field={field} />
      <Errors messages={errors} />
    </TextField>
  )
}

interface Row {
  readonly id: number
  readonly key: string
  readonly value: string
}

function rowsOf(value: unknown): Row[] {
  if (!isRecord(value)) return []
  return Object.entries(value).map(([key, v], i) => ({
    id: i,
    key,
    value: typeof v === 'string' ? v : JSON.stringify(v),
  }))
}

function singularOf(title: string): string {
  if (/ies$/i.test(title)) return title.replace(/ies$/i, 'y')
  if (/s$/i.test(title) && !/ss$/i.test(title)) return title.replace(/s$/i, '')
  return `${title} entry`
}

/** A free-form object of scalar values, as rows of name and value. */
function RecordInput({ field, pointer, required, label }: FieldProps) {
  const form = useFormContext()
  const raw = getAt(form.value, pointer)
  const kind = field.widget.kind === 'record' ? field.widget.values : 'string'
  const toValue = (text: string): unknown => {
    if (kind === 'number') return text.trim() !== '' && Number.isFinite(Number(text)) ? Number(text) : text
    if (kind === 'boolean') return text === 'true' ? true : text === 'false' ? false : text
    return text
  }
  const objectOf = (rows: readonly Row[]): Record<string, unknown> | undefined => {
    const out: Record<string, unknown> = {}
    for (const row of rows) if (row.key !== '') out[row.key] = toValue(row.value)
    return Object.keys(out).length === 0 && !required ? undefined : out
  }
  const [state, setState] = useState(() => ({ rows: rowsOf(raw), source: raw, nextId: 1000 }))
  if (state.source !== raw && !sameJson(objectOf(state.rows), raw)) {
    setState({ rows: rowsOf(raw), source: raw, nextId: state.nextId })
  }
  const update = (rows: Row[], nextId = state.nextId) => {
    const object = objectOf(rows)
    setState({ rows, source: object, nextId })
    form.set(pointer, object)
  }
  const errors = form.errorsFor(pointer)
  const title = label ?? field.title
  const one = singularOf(title)
  const legendId = useId()
  const helpId = useId()
  const errorId = useId()
  const help = helpText(field)
  const lastRow = useRef<HTMLDivElement>(null)
  const focusLast = useRef(false)
  useEffect(() => {
    if (!focusLast.current) return
    focusLast.current = false
    lastRow.current?.querySelector('input')?.focus()
  })
  const names = state.rows.map((r) => r.key).filter((k) => k !== '')
  const duplicates = new Set(names.filter((k, i) => names.indexOf(k) !== i))
  return (
    <fieldset
      className="field schema-fieldset record"
      data-pointer={pointer}
      id={form.idFor(pointer)}
      aria-describedby={describedByOf(help, helpId, errors, errorId) || undefined}
    >
      <GroupLegend id={legendId} title={title} required={required} />
      <HelpParagraph id={helpId} text={help} />
      {state.rows.length === 0 ? (
        <p className="muted small">None yet.</p>
      ) : (
        <div className="record-rows">
          {state.rows.map((row, i) => (
            <div key={row.id} className="record-row" ref={i === state.rows.length - 1 ? lastRow : undefined}>
              <TextField
                className="field"
                value={row.key}
                aria-label={`${one} ${i + 1} name`}
                onChange={(key) => {
                  update(state.rows.map((r) => (r.id === row.id ? { ...r, key } : r)))
                }}
                onBlur={() => {
                  form.touch(pointer)
                }}
                isInvalid={duplicates.has(row.key)}
                validationBehavior="aria"
              >
                <Input className="input" placeholder="Name" />
                {duplicates.has(row.key) && (
                  <FieldError className="field-error">
                    <span aria-hidden="true">✕ </span>This name is used twice; the last value wins.
                  </FieldError>
                )}
              </TextField>
              <TextField
                className="field"
                value={row.value}
                aria-label={`${one} ${i + 1} value`}
                onChange={(value) => {
                  update(state.rows.map((r) => (r.id === row.id ? { ...r, value } : r)))
                }}
                onBlur={() => {
                  form.touch(pointer)
                }}
              >
                <Input className="input" placeholder="Value" />
              </TextField>
              <Button
                className="button"
                aria-label={`Remove ${one.toLowerCase()} ${i + 1}`}
                onPress={() => {
                  update(state.rows.filter((r) => r.id !== row.id))
                }}
              >
                Remove
              </Button>
            </div>
          ))}
        </div>
      )}
      <ErrorParagraph id={errorId} messages={errors} />
      <Button
        className="button"
        onPress={() => {
          focusLast.current = true
          update([...state.rows, { id: state.nextId, key: '', value: '' }], state.nextId + 1)
        }}
      >
        Add {one.toLowerCase()}
      </Button>
    </fieldset>
  )
}

function ObjectInput({ field, pointer, required, label }: FieldProps) {
  const form = useFormContext()
  const helpId = useId()
  const errorId = useId()
  if (field.widget.kind !== 'object') return null
  const errors = form.errorsFor(pointer)
  const help = helpText(field)
  return (
    <fieldset
      className="field schema-fieldset"
      data-pointer={pointer}
      id={form.idFor(pointer)}
      aria-describedby={describedByOf(help, helpId, errors, errorId) || undefined}
    >
      <GroupLegend title={label ?? field.title} required={required} />
      <HelpParagraph id={helpId} text={help} />
      <ErrorParagraph id={errorId} messages={errors} />
      <div className="schema-fields">
        {field.widget.properties.map((p) => (
          <FieldView
            key={p.name}
            field={p.field}
            pointer={childPointer(pointer, p.name)}
            required={p.required}
          />
        ))}
      </div>
    </fieldset>
  )
}

function ArrayInput({ field, pointer, required, label }: FieldProps) {
  const form = useFormContext()
  const helpId = useId()
  const errorId = useId()
  const list = useRef<HTMLOListElement>(null)
  const focusItem = useRef<number | null>(null)
  useEffect(() => {
    if (focusItem.current === null) return
    const index = focusItem.current
    focusItem.current = null
    list.current?.children[index]?.querySelector<HTMLElement>('input, textarea, button')?.focus()
  })
  if (field.widget.kind !== 'array') return null
  const items = field.widget.items
  const raw = getAt(form.value, pointer)
  const values: unknown[] = Array.isArray(raw) ? raw : []
  const errors = form.errorsFor(pointer)
  const help = helpText(field)
  const title = label ?? field.title
  const setList = (next: unknown[]) => {
    form.set(pointer, next.length === 0 && !required ? undefined : next)
    form.touch(pointer)
  }
  const move = (from: number, to: number) => {
    const next = [...values]
    const [item] = next.splice(from, 1)
    next.splice(to, 0, item)
    focusItem.current = to
    setList(next)
  }
  return (
    <fieldset
      className="field schema-fieldset"
      data-pointer={pointer}
      id={form.idFor(pointer)}
      aria-describedby={describedByOf(help, helpId, errors, errorId) || undefined}
    >
      <GroupLegend title={title} required={required} />
      <HelpParagraph id={helpId} text={help} />
      {values.length === 0 ? (
        <p className="muted small">No items yet.</p>
      ) : (
        <ol className="array-items" ref={list}>
          {values.map((_, i) => {
            const itemLabel = `${items.title} ${i + 1}`
            return (
              <li key={i} className="array-item">
                <FieldView
                  field={items}
                  pointer={childPointer(pointer, i)}
                  required
                  label={itemLabel}
                  inList
                />
                <div className="array-item-actions">
                  <Button
                    className="button af-button-small"
                    aria-label={`Move ${itemLabel} up`}
                    isDisabled={i === 0}
                    onPress={() => {
                      move(i, i - 1)
                    }}
                  >
                    Move up
                  </Button>
                  <Button
                    className="button af-button-small"
                    aria-label={`Move ${itemLabel} down`}
                    isDisabled={i === values.length - 1}
                    onPress={() => {
                      move(i, i + 1)
                    }}
                  >
                    Move down
                  </Button>
                  <Button
                    className="button af-button-small"
                    aria-label={`Remove ${itemLabel}`}
                    onPress={() => {
                      focusItem.current = Math.min(i, values.length - 2)
                      setList(values.filter((__, j) => j !== i))
                    }}
                  >
                    Remove
                  </Button>
                </div>
              </li>
            )
          })}
        </ol>
      )}
      <ErrorParagraph id={errorId} messages={errors} />
      <Button
        className="button"
        onPress={() => {
          focusItem.current = values.length
          setList([...values, newItem(items)])
        }}
      >
        Add {items.title.toLowerCase()}
      </Button>
    </fieldset>
  )
}

/** One field of the form, by its widget. */
function FieldView(props: FieldProps) {
  // Single inputs carry their pointer on a wrapper, so the error summary can move focus to them;
  // groups (booleans, objects, records, arrays) carry it themselves.
  const pointed = (input: ReactNode) => <div data-pointer={props.pointer}>{input}</div>
  switch (props.field.widget.kind) {
    case 'string':
      return pointed(<StringInput {...props} />)
    case 'number':
      return pointed(<NumberInput {...props} />)
    case 'boolean':
      return <BooleanInput {...props} />
    case 'enum':
      return pointed(<EnumInput {...props} />)
    case 'choices':
      return pointed(<ChoicesInput {...props} />)
    case 'object':
      return <ObjectInput {...props} />
    case 'record':
      return <RecordInput {...props} />
    case 'array':
      return <ArrayInput {...props} />
    case 'json':
      return pointed(<JsonInput {...props} />)
  }
}

/** A pointer as words for the error summary: `/attachments/0/filename` → "Attachments › 1 › Filename". */
function pointerWords(form: FieldSpec, pointer: Pointer): string {
  const words: string[] = []
  let field: FieldSpec | undefined = form
  for (const part of pointerParts(pointer)) {
    if (field?.widget.kind === 'object') {
      const property: { field: FieldSpec } | undefined = field.widget.properties.find((p) => p.name === part)
      field = property?.field
      words.push(field?.title ?? part)
    } else if (field?.widget.kind === 'array') {
      field = field.widget.items
      words.push(String(Number(part) + 1))
    } else {
      field = undefined
      words.push(part)
    }
  }
  return words.length === 0 ? 'Input' : words.join(' › ')
}

function focusWithin(element: Element | null) {
  const target =
    element?.matches('input, textarea, button, select') === true
      ? element
      : element?.querySelector('input:not([type="hidden"]), textarea, button, select, [tabindex="0"]')
  if (target instanceof HTMLElement) target.focus()
}

/**
 * A form generated from an action's input JSON Schema: text, number, yes/no and choice fields,
 * nested objects as fieldsets, lists whose items can be added, removed and reordered, key–value
 * editors for free-form objects, inputs by `format` (email, URL, date, date and time), password
 * inputs for secret fields, and a JSON text box for anything else. Each field shows its description
 * and bounds, and its error after it is left or the form is submitted (checked in the browser with
 * @cfworker/json-schema, no `eval`), or the server's message for it. A JSON view edits the same
 * input as text. Run submits a valid input in the chosen mode (sync or async).
 *
 * @example
 * <ActionParameterForm schema={action.input} value={input} onChange={setInput}
 *   onSubmit={(input, mode) => run.mutate({ action: action.id, credentialId, input, mode })} />
 */
export function ActionParameterForm({
  schema,
  value,
  onChange,
  onSubmit,
  serverErrors,
  running = false,
  toolbar,
  id,
  ref,
}: ActionParameterFormProps) {
  const formId = useId()
  const form = useMemo(() => describeForm(schema), [schema])
  const [tab, setTab] = useState<Key>('form')
  const [mode, setMode] = useState<RunMode>('sync')
  const [touched, setTouched] = useState<ReadonlySet<Pointer>>(new Set())
  const [submitted, setSubmitted] = useState(false)
  const [edited, setEdited] = useState<{ errors: typeof serverErrors; pointers: ReadonlySet<Pointer> }>({
    errors: serverErrors,
    pointers: new Set(),
  })
  // New server errors: show all of them again.
  if (edited.errors !== serverErrors) setEdited({ errors: serverErrors, pointers: new Set() })
  const [json, setJson] = useState(() => ({
    text: formatJson(value ?? {}),
    source: value,
    error: null as string | null,
  }))
  if (json.source !== value && json.error === null)
    setJson({ text: formatJson(value ?? {}), source: value, error: null })
  const summary = useRef<HTMLDivElement>(null)
  const formElement = useRef<HTMLFormElement>(null)
  const jsonBox = useRef<HTMLTextAreaElement>(null)

  const shown = useMemo(() => fieldPointers(form, value), [form, value])
  const clientErrors = useMemo(() => validateInput(schema, value ?? {}), [schema, value])
  const clientByField = useMemo(() => errorsByField(clientErrors, shown), [clientErrors, shown])
  const serverByField = useMemo(() => errorsByField(serverErrors ?? {}, shown), [serverErrors, shown])

  const idFor = (pointer: Pointer) => `${formId}-field${pointer.replace(/[^\w-]/g, '_')}`
  const errorsFor = (pointer: Pointer): string[] => {
    const out: string[] = []
    if (!edited.pointers.has(pointer)) out.push(...(serverByField[pointer] ?? []))
    if (submitted || touched.has(pointer)) {
      for (const message of clientByField[pointer] ?? []) if (!out.includes(message)) out.push(message)
    }
    return out
  }
  const context: FormContextValue = {
    value,
    set: (pointer, next) => {
      onChange(prune(form, setAt(value ?? {}, pointer, next)))
      if (serverByField[pointer] !== undefined) {
        setEdited((e) => ({ ...e, pointers: new Set([...e.pointers, pointer]) }))
      }
    },
    touch: (pointer) => {
      if (!touched.has(pointer)) setTouched(new Set([...touched, pointer]))
    },
    errorsFor,
    idFor,
  }

  const invalidPointers = shown.filter((p) => errorsFor(p).length > 0)
  const focusPointer = (pointer: Pointer) => {
    setTab('form')
    // The form tab may need a render to show its fields.
    requestAnimationFrame(() => {
      focusWithin(formElement.current?.querySelector(`[data-pointer=${JSON.stringify(pointer)}]`) ?? null)
    })
  }

  useImperativeHandle(ref, () => ({
    focus: () => {
      const first = shown.find((p) => p !== '' && (errorsFor(p).length > 0 || serverByField[p] !== undefined))
      if (first !== undefined) focusPointer(first)
      else {
        setTab('form')
        requestAnimationFrame(() => {
          focusWithin(formElement.current?.querySelector('[data-pointer]') ?? null)
        })
      }
    },
  }))

  const submit = (event: SyntheticEvent<HTMLFormElement>) => {
    event.preventDefault()
    setSubmitted(true)
    if (running) return
    if (json.error !== null) {
      setTab('json')
      requestAnimationFrame(() => jsonBox.current?.focus())
      return
    }
    if (Object.keys(clientErrors).length > 0) {
      requestAnimationFrame(() => summary.current?.focus())
      return
    }
    onSubmit(value ?? {}, mode)
  }

  const clientErrorCount = Object.keys(clientErrors).length
  const rootErrors = errorsFor('')
  const properties = form.widget.kind === 'object' ? form.widget.properties : null

  return (
    <FormContext value={context}>
      <form ref={formElement} id={id} className="action-form" noValidate onSubmit={submit} aria-label="Input">
        {toolbar !== undefined && <div className="action-form-toolbar">{toolbar}</div>}
        {submitted && clientErrorCount > 0 && json.error === null && (
          <div ref={summary} tabIndex={-1} className="error-panel form-summary" role="alert">
            <h3 className="error-panel-title">
              {invalidPointers.length === 1
                ? '1 field needs attention'
                : `${invalidPointers.length} fields need attention`}
            </h3>
            <ul className="error-panel-fields">
              {invalidPointers.map((pointer) => (
                <li key={pointer}>
                  <Button
                    className="af-button-link"
                    onPress={() => {
                      focusPointer(pointer)
                    }}
                  >
                    {pointerWords(form, pointer)}
                  </Button>
                  : {errorsFor(pointer).join(' ')}
                </li>
              ))}
            </ul>
          </div>
        )}
        <Tabs selectedKey={tab} onSelectionChange={setTab} className="action-form-tabs">
          <TabList aria-label="Edit the input as" className="af-tabs">
            <Tab id="form" className="af-tab">
              Form
            </Tab>
            <Tab id="json" className="af-tab">
              JSON
            </Tab>
          </TabList>
          <TabPanel id="form" className="af-tab-panel">
            {json.error !== null && (
              <p className="notice notice-compact" role="note">
                <span aria-hidden="true">⚠ </span>
                The JSON view holds text that is not valid JSON; the form shows the last valid input. Your
                text is kept in the JSON view until you fix it.
              </p>
            )}
            <p className="muted small">Fields marked * are required.</p>
            {rootErrors.length > 0 && (
              <p className="field-error">
                <span aria-hidden="true">✕ </span>
                {rootErrors.join(' ')}
              </p>
            )}
            {properties === null ? (
              <FieldView field={form} pointer="" required />
            ) : properties.length === 0 ? (
              <p>This action takes no input. Press Run.</p>
            ) : (
              <div className="schema-fields">
                {properties.map((p) => (
                  <FieldView
                    key={p.name}
                    field={p.field}
                    pointer={childPointer('', p.name)}
                    required={p.required}
                  />
                ))}
              </div>
            )}
          </TabPanel>
          <TabPanel id="json" className="af-tab-panel">
            <TextField
              className="field"
              value={json.text}
              onChange={(text) => {
                const parsed = parseJson(text)
                if (parsed.ok) {
                  const next = parsed.value ?? {}
                  setJson({ text, source: next, error: null })
                  onChange(next)
                } else {
                  setJson({ text, source: value, error: parsed.message })
                }
              }}
              isInvalid={json.error !== null}
              validationBehavior="aria"
            >
              <Label className="field-label">Input as JSON</Label>
              <TextArea
                ref={jsonBox}
                className="input af-textarea af-code af-json-view"
                rows={14}
                spellCheck={false}
              />
              <Text slot="description" className="field-description">
                The same input as the form: a change here shows there, and the other way round.
              </Text>
              {json.error !== null && (
                <FieldError className="field-error">
                  <span aria-hidden="true">✕ </span>
                  {json.error}
                </FieldError>
              )}
            </TextField>
            {json.error === null &&
              (submitted || serverErrors !== undefined) &&
              shown.some((p) => errorsFor(p).length > 0) && (
                <ul className="field-error json-errors" aria-label="Problems in the input">
                  {shown
                    .filter((p) => errorsFor(p).length > 0)
                    .map((p) => (
                      <li key={p}>
                        {pointerWords(form, p)}: {errorsFor(p).join(' ')}
                      </li>
                    ))}
                </ul>
              )}
          </TabPanel>
        </Tabs>
        <div className="run-controls">
          <RadioGroup
            className="field af-radio-group"
            value={mode}
            onChange={(next) => {
              setMode(next === 'async' ? 'async' : 'sync')
            }}
          >
            <Label className="field-label">Mode</Label>
            <div className="af-radio-options">
              <RadioField value="sync">
                <RadioButton className="radio-button">Sync: wait for the result</RadioButton>
              </RadioField>
              <RadioField value="async">
                <RadioButton className="radio-button">Async: queue it and follow its progress</RadioButton>
              </RadioField>
            </div>
          </RadioGroup>
          <Button type="submit" className="button button-primary run-button" isPending={running}>
            Run
          </Button>
        </div>
      </form>
    </FormContext>
  )
}
