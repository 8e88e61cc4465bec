import { useDeferredValue, useId, useMemo, useRef, useState } from 'react'
import type { SyntheticEvent } from 'react'
import {
  Button,
  ComboBox,
  FieldError,
  FileTrigger,
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
  Text,
  TextArea,
  TextField,
} from 'react-aria-components'
import type { Key } from 'react-aria-components'
import { Link } from 'react-router'
import type { Batch, BatchMode } from '../api/batches.js'
import { useChosenTool, useSubmitBatch, useToolCredentials } from '../api/batches.js'
import type { ToolSummary } from '../api/tools.js'
import { useTools } from '../api/tools.js'
import '../styles/batches.css'
import {
  fieldValue,
  guessFormat,
  maxBatchItems,
  parseBatchInput,
  previewCell,
  toBatchItems,
} from './batch-input.js'
import type { BatchFormat, ParsedBatch } from './batch-input.js'
import { ApiErrorDisplay } from './ErrorHandler.js'

/** Rows shown in the preview table. */
export const previewRowCount = 10
/** Problems listed before "and N more". */
const problemsShown = 50
const defaultConcurrency = 10
const maxConcurrency = 50
/** The credential choice that sends none (tools with a `none` auth method). */
const noCredential = '__none__'

interface ActionOption {
  readonly id: string
  readonly label: string
}

function actionOptions(tools: readonly ToolSummary[]): ActionOption[] {
  return tools
    .flatMap((tool) =>
      tool.actions.map((action) => ({
        id: `${tool.slug}.${action.name}`,
        label: `${tool.name}: ${action.title} (${tool.slug}.${action.name})`,
      })),
    )
    .sort((a, b) => a.label.localeCompare(b.label, undefined, { sensitivity: 'base' }))
}

function toolOf(action: string | null): string | null {
  if (action === null) return null
  const dot = action.indexOf('.')
  return dot > 0 ? action.slice(0, dot) : null
}

const csvExample =
  'method,url,body.title\nPOST,https://api.example.com/items,First\nPOST,https://api.example.com/items,Second'
const jsonExample = '[{ "method": "GET", "url": "https://api.example.com/items/1" }, …]'

/** The preview of what will be submitted: the first rows as a table, then every row's problems. */
function Preview({ parsed, action }: { parsed: ParsedBatch; action: string | null }) {
  const headingId = useId()
  const rows = parsed.items.slice(0, previewRowCount)
  const ownActions = parsed.items.some((item) => item.action !== undefined)
  const count = parsed.items.length
  const hidden = parsed.problems.length - problemsShown
  return (
    <section className="batch-preview" aria-labelledby={headingId}>
      <h3 id={headingId}>Preview</h3>
      <p role="status" className="batch-preview-summary">
        {parsed.error !== null
          ? 'Nothing to submit yet.'
          : `${count.toLocaleString()} ${count === 1 ? 'item' : 'items'}` +
            (parsed.problems.length === 0
              ? ' ready to submit.'
              : `, ${parsed.problems.length.toLocaleString()} ${parsed.problems.length === 1 ? 'problem' : 'problems'} to fix first.`)}
      </p>
      {parsed.error !== null && <p className="field-error">{parsed.error}</p>}
      {rows.length > 0 && (
        <div className="table-scroll" role="region" aria-labelledby={`${headingId}-caption`} tabIndex={0}>
          <table className="batch-table">
            <caption id={`${headingId}-caption`}>
              {count > rows.length
                ? `The first ${rows.length} of ${count.toLocaleString()} items`
                : `All ${count.toLocaleString()} ${count === 1 ? 'item' : 'items'}`}
            </caption>
            <thead>
              <tr>
                <th scope="col">Item</th>
                {ownActions && <th scope="col">Action</th>}
                {parsed.columns.map((column) => (
                  <th scope="col" key={column}>
                    <code>{column}</code>
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {rows.map((item) => (
                <tr key={item.number}>
                  <th scope="row">{item.number}</th>
                  {ownActions && <td>{item.action ?? action ?? ''}</td>}
                  {parsed.columns.map((column) => (
                    <td key={column}>{previewCell(fieldValue(item.input, column))}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {parsed.problems.length > 0 && (
        <>
          <h4 className="batch-problems-title">Problems</h4>
          <ul className="batch-problems">
            {parsed.problems.slice(0, problemsShown).map((problem, i) => (
              <li key={i}>
                Item {problem.number}
                {problem.field !== null && (
                  <>
                    , <code>{problem.field}</code>
                  </>
                )}
                : {problem.message}
              </li>
            ))}
          </ul>
          {hidden > 0 && <p className="muted">and {hidden.toLocaleString()} more.</p>}
        </>
      )}
    </section>
  )
}

export interface NewBatchFormProps {
  /** The action to start with (`tool.action`), e.g. from the address. */
  readonly initialAction?: string | null
  /** Called with the batch the server accepted. */
  readonly onSubmitted: (batch: Batch) => void
  readonly onCancel?: () => void
}

/**
 * The form that submits a batch: the action (searchable over the catalog), the credential, parallel
 * or sequential, how many at once, and the items as CSV or JSON — typed in, pasted or read from a
 * file — previewed with each row's problems before anything is sent.
 *
 * @example
 * <NewBatchForm onSubmitted={(batch) => navigate(`/batches/${batch.id}`)} />
 */
export function NewBatchForm({ initialAction = null, onSubmitted, onCancel }: NewBatchFormProps) {
  const tools = useTools()
  const [action, setAction] = useState<string | null>(initialAction)
  const [credential, setCredential] = useState<string | null>(null)
  const [mode, setMode] = useState<BatchMode>('parallel')
  const [concurrency, setConcurrency] = useState(defaultConcurrency)
  const [format, setFormat] = useState<BatchFormat>('csv')
  const [text, setText] = useState('')
  const [fileNote, setFileNote] = useState<string | null>(null)
  const [attempted, setAttempted] = useState(false)
  const itemsField = useRef<HTMLTextAreaElement>(null)
  const submit = useSubmitBatch()

  const options = useMemo(() => actionOptions(tools.data ?? []), [tools.data])
  const slug = toolOf(action)
  const tool = useChosenTool(slug)
  const toolData = slug !== null && tool.data?.slug === slug ? tool.data : undefined
  const actionData = toolData?.actions.find((a) => `${slug}.${a.name}` === action)
  const credentials = useToolCredentials(slug)
  const allowsNone =
    toolData?.authMethods.some((m) => m.kind === 'none') ??
    tools.data?.find((t) => t.slug === slug)?.authMethods.some((m) => m.kind === 'none') ??
    false
  // A tool that needs no credential starts with none chosen; the user can still pick one.
  const chosenCredential = credential ?? (allowsNone ? noCredential : null)

  const deferredText = useDeferredValue(text)
  const parsed = useMemo(
    () =>
      parseBatchInput(deferredText, format, {
        schema: actionData?.input ?? null,
        action: actionData?.id ?? null,
      }),
    [deferredText, format, actionData],
  )

  const actionMissing = action === null
  const credentialMissing = action !== null && chosenCredential === null
  const noItems = parsed.items.length === 0
  const blocked =
    actionMissing || credentialMissing || noItems || parsed.error !== null || parsed.problems.length > 0

  const serverFieldError = (field: string) =>
    submit.error?.errors.find((e) => e.path === `/body/${field}` || e.path === `/${field}`)?.message

  const onSubmit = (event: SyntheticEvent<HTMLFormElement>) => {
    event.preventDefault()
    setAttempted(true)
    if (action === null || chosenCredential === null || blocked) {
      if (noItems || parsed.error !== null || parsed.problems.length > 0) itemsField.current?.focus()
      return
    }
    submit.mutate(
      {
        items: toBatchItems(parsed.items, {
          action,
          credentialId: chosenCredential === noCredential ? null : chosenCredential,
        }),
        mode,
        ...(mode === 'parallel' ? { concurrency } : {}),
      },
      { onSuccess: onSubmitted },
    )
  }

  const readFile = async (files: FileList | null) => {
    const file = files?.[0]
    if (file === undefined) return
    const content = await file.text()
    setFormat(guessFormat(content, file.name))
    setText(content)
    setFileNote(`Read ${file.name}.`)
  }

  const credentialList = credentials.data?.data ?? []
  let itemsError: string | undefined
  if (attempted && parsed.error !== null) itemsError = parsed.error
  else if (attempted && noItems) itemsError = 'Give at least one item.'
  else if (attempted && parsed.problems.length > 0)
    itemsError = 'Fix the problems listed in the preview first.'

  return (
    <form className="form batch-form" onSubmit={onSubmit} noValidate aria-describedby="batch-form-note">
      <p id="batch-form-note" className="muted">
        Runs one action many times, up to {maxBatchItems.toLocaleString()} items. An item that fails does not
        stop the others or fail the batch.
      </p>

      {tools.error !== null && tools.data === undefined ? (
        <ApiErrorDisplay
          error={tools.error}
          headingLevel={3}
          title="The actions could not be loaded"
          onRetry={() => void tools.refetch()}
        />
      ) : (
        <ComboBox
          className="field"
          value={action}
          onChange={(key: Key | null) => {
            setAction(key === null ? null : String(key))
            setCredential(null)
          }}
          defaultItems={options}
          menuTrigger="focus"
          isInvalid={attempted && actionMissing}
          isRequired
          validationBehavior="aria"
        >
          <Label className="field-label">Action</Label>
          <div className="combobox-box">
            <Input
              className="input"
              placeholder={tools.isPending ? 'Loading the actions…' : 'Search by tool or action'}
            />
            <Button className="combobox-button" aria-label="Show the actions">
              <span aria-hidden="true">▾</span>
            </Button>
          </div>
          <Text slot="description" className="field-description">
            Type to search, such as “http request” or “create issue”.
          </Text>
          <FieldError className="field-error">Choose the action every item runs.</FieldError>
          <Popover className="select-popover">
            <ListBox
              className="select-list"
              renderEmptyState={() => <p className="select-list-empty">No action matches.</p>}
            >
              {(option: ActionOption) => (
                <ListBoxItem className="select-option" id={option.id} textValue={option.label}>
                  {option.label}
                </ListBoxItem>
              )}
            </ListBox>
          </Popover>
        </ComboBox>
      )}

      {slug !== null && (
        <div className="field">
          {credentials.error !== null ? (
            <ApiErrorDisplay
              error={credentials.error}
              headingLevel={3}
              title="The credentials could not be loaded"
              onRetry={() => void credentials.refetch()}
            />
          ) : credentials.isPending ? (
            <p role="status" className="muted">
              Loading the credentials…
            </p>
          ) : credentialList.length === 0 && !allowsNone ? (
            <div className="batch-callout" role="note">
              <p>
                There is no credential for <code>{slug}</code> yet, and its actions need one.
              </p>
              <Link className="button" to={`/credentials?tool=${encodeURIComponent(slug)}`}>
                Add a credential
              </Link>
            </div>
          ) : (
            <Select
              className="field"
              value={chosenCredential}
              onChange={(key: Key | null) => {
                setCredential(key === null ? null : String(key))
              }}
              isInvalid={attempted && credentialMissing}
              isRequired
              validationBehavior="aria"
              placeholder="Choose a credential"
            >
              <Label className="field-label">Credential</Label>
              <Button className="input select-button">
                <SelectValue />
                <span aria-hidden="true">▾</span>
              </Button>
              <Text slot="description" className="field-description">
                Every item runs with it, unless an item names its own.{' '}
                <Link to={`/credentials?tool=${encodeURIComponent(slug)}`}>Add a credential</Link>
              </Text>
              <FieldError className="field-error">Choose the credential the items run with.</FieldError>
              <Popover className="select-popover">
                <ListBox className="select-list">
                  {allowsNone && (
                    <ListBoxItem className="select-option" id={noCredential} textValue="No credential">
                      No credential
                    </ListBoxItem>
                  )}
                  {credentialList.map((c) => (
                    <ListBoxItem className="select-option" key={c.id} id={c.id} textValue={c.name}>
                      {c.name}
                      <span className="muted">
                        {' '}
                        · {c.authMethod} · {c.status}
                        {c.externalUserId !== null && <> · for {c.externalUserId}</>}
                      </span>
                    </ListBoxItem>
                  ))}
                </ListBox>
              </Popover>
            </Select>
          )}
        </div>
      )}

      <div className="batch-form-row">
        <RadioGroup
          className="field"
          value={mode}
          onChange={(value) => {
            setMode(value === 'sequential' ? 'sequential' : 'parallel')
          }}
        >
          <Label className="field-label">Order</Label>
          <RadioField value="parallel">
            <RadioButton className="radio-button">In parallel</RadioButton>
          </RadioField>
          <RadioField value="sequential">
            <RadioButton className="radio-button">One after another, in order</RadioButton>
          </RadioField>
          <Text slot="description" className="field-description">
            In order, an item’s input transformation can read earlier items’ outputs as <code>$items</code>.
          </Text>
        </RadioGroup>
        <NumberField
          className="field batch-concurrency"
          value={mode === 'sequential' ? 1 : concurrency}
          onChange={(value) => {
            if (Number.isFinite(value)) setConcurrency(value)
          }}
          minValue={1}
          maxValue={maxConcurrency}
          step={1}
          isDisabled={mode === 'sequential'}
          isInvalid={serverFieldError('concurrency') !== undefined}
          validationBehavior="aria"
        >
          <Label className="field-label">Items at once</Label>
          <Input className="input" />
          <Text slot="description" className="field-description">
            1 to {maxConcurrency}; {mode === 'sequential' ? 'one at a time in order.' : 'parallel only.'}
          </Text>
          <FieldError className="field-error">{serverFieldError('concurrency')}</FieldError>
        </NumberField>
      </div>

      <RadioGroup
        className="field"
        orientation="horizontal"
        value={format}
        onChange={(value) => {
          setFormat(value === 'json' ? 'json' : 'csv')
        }}
      >
        <Label className="field-label">Items format</Label>
        <div className="batch-radio-row">
          <RadioField value="csv">
            <RadioButton className="radio-button">CSV</RadioButton>
          </RadioField>
          <RadioField value="json">
            <RadioButton className="radio-button">JSON</RadioButton>
          </RadioField>
        </div>
      </RadioGroup>

      <TextField
        className="field"
        value={text}
        onChange={setText}
        isInvalid={itemsError !== undefined}
        validationBehavior="aria"
      >
        <Label className="field-label">Items</Label>
        <TextArea
          ref={itemsField}
          className="input batch-items-input"
          rows={8}
          spellCheck={false}
          placeholder={format === 'csv' ? csvExample : jsonExample}
        />
        <Text slot="description" className="field-description">
          {format === 'csv'
            ? 'The first row names the input’s fields; a dotted name such as body.title makes a nested field. Numbers and true/false are read as such where the action’s input expects them; an empty cell leaves the field out.'
            : 'An array of inputs, or of items { "action", "credentialId", "input", "transform" } (action and credential default to the ones chosen above).'}{' '}
          At most {maxBatchItems.toLocaleString()} items.
        </Text>
        <FieldError className="field-error">{itemsError}</FieldError>
      </TextField>
      <div className="button-row batch-file-row">
        <FileTrigger
          acceptedFileTypes={['.csv', '.json', '.txt', 'text/csv', 'application/json', 'text/plain']}
          onSelect={(files) => void readFile(files)}
        >
          <Button className="button">Read items from a file…</Button>
        </FileTrigger>
        {fileNote !== null && (
          <span role="status" className="muted">
            {fileNote}
          </span>
        )}
      </div>

      {deferredText.trim() !== '' && <Preview parsed={parsed} action={action} />}

      {submit.error !== null && (
        <ApiErrorDisplay error={submit.error} headingLevel={3} title="The batch was not submitted" />
      )}
      <div className="button-row">
        <Button type="submit" className="button button-primary" isPending={submit.isPending}>
          {noItems
            ? 'Submit the batch'
            : `Submit ${parsed.items.length.toLocaleString()} ${parsed.items.length === 1 ? 'item' : 'items'}`}
        </Button>
        {onCancel !== undefined && (
          <Button className="button" onPress={onCancel}>
            Cancel
          </Button>
        )}
      </div>
    </form>
  )
}
