import { act, render, screen, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { createRef, useState } from 'react'
import { describe, expect, it, vi } from 'vitest'
import { httpRequestSchema } from '../testing/actions.js'
import { ActionParameterForm } from './ActionParameterForm.js'
import type { ActionParameterFormHandle, ActionParameterFormProps } from './ActionParameterForm.js'
import { initialValue } from './schema-form.js'
import type { JsonSchema } from './schema-form.js'

/** The form with its value held in state, as the page holds it; `onValue` sees every change. */
function Harness({
  schema,
  start,
  onValue,
  ...props
}: Omit<ActionParameterFormProps, 'value' | 'onChange' | 'onSubmit' | 'schema'> & {
  schema: JsonSchema
  start?: unknown
  onValue?: (value: unknown) => void
  onSubmit?: ActionParameterFormProps['onSubmit']
}) {
  const [value, setValue] = useState<unknown>(start ?? initialValue(schema))
  return (
    <>
      <ActionParameterForm
        schema={schema}
        value={value}
        onChange={(next) => {
          setValue(next)
          onValue?.(next)
        }}
        onSubmit={props.onSubmit ?? (() => undefined)}
        {...props}
      />
      <button
        type="button"
        onClick={() => {
          setValue({ method: 'DELETE', url: '/outside', followRedirects: false })
        }}
      >
        Replace from outside
      </button>
    </>
  )
}

const emailSchema: JsonSchema = {
  type: 'object',
  required: ['to', 'subject'],
  properties: {
    to: {
      type: 'array',
      items: { type: 'string', format: 'email' },
      minItems: 1,
      description: 'Recipients.',
    },
    subject: { type: 'string', minLength: 1 },
    sendAt: { type: 'string', format: 'date-time' },
    password: { type: 'string', writeOnly: true, title: 'SMTP password' },
    priority: { enum: ['low', 'high'] },
    sender: {
      type: 'object',
      required: ['name'],
      properties: { name: { type: 'string' }, site: { type: 'string', format: 'uri' } },
    },
    attachments: {
      type: 'array',
      items: {
        type: 'object',
        required: ['filename'],
        properties: { filename: { type: 'string' }, size: { type: 'integer' } },
      },
    },
    channels: { type: 'array', uniqueItems: true, items: { enum: ['email', 'sms', 'push'] } },
  },
}

describe('ActionParameterForm', () => {
  it('generates fields for http.request with defaults, help text and required markers', () => {
    render(<Harness schema={httpRequestSchema} />)
    const url = screen.getByRole('textbox', { name: /^URL/ })
    expect(url.getAttribute('aria-required')).toBe('true')
    expect(url.getAttribute('aria-describedby')).toBeTruthy()
    expect(document.getElementById(url.getAttribute('aria-describedby')!.split(' ')[0]!)?.textContent).toBe(
      'An absolute http(s) URL.',
    )
    expect(screen.getByText('Fields marked * are required.')).toBeTruthy()
    // Required is marked by a star in the label, not by colour.
    expect(url.closest('.field')?.querySelector('.required-marker')?.textContent).toContain('*')
    expect(screen.getByRole('button', { name: /Method/ }).textContent).toContain('GET')
    expect(screen.getByRole<HTMLInputElement>('checkbox', { name: /Follow redirects/ }).checked).toBe(true)
    expect(screen.getByRole('textbox', { name: /Timeout \(ms\)/ })).toBeTruthy()
    expect(screen.getByText(/Between 1 and 60000/)).toBeTruthy()
    expect(screen.getByRole('group', { name: 'Headers' })).toBeTruthy()
    expect(screen.getByRole('textbox', { name: /Body \(JSON\)/ })).toBeTruthy()
  })

  it('edits fields into the input and runs it in the chosen mode', async () => {
    const onSubmit = vi.fn()
    const onValue = vi.fn()
    render(<Harness schema={httpRequestSchema} onSubmit={onSubmit} onValue={onValue} />)
    const user = userEvent.setup()
    await user.click(screen.getByRole('button', { name: /Method/ }))
    await user.click(screen.getByRole('option', { name: 'POST' }))
    await user.type(screen.getByRole('textbox', { name: /^URL/ }), 'https://api.example.com/items')
    await user.click(screen.getByRole('button', { name: 'Add header' }))
    expect(document.activeElement).toBe(screen.getByRole('textbox', { name: 'Header 1 name' }))
    await user.keyboard('accept')
    await user.type(screen.getByRole('textbox', { name: 'Header 1 value' }), 'application/json')
    await user.type(screen.getByRole('textbox', { name: /Body/ }), '{{"name": "Ada"}')
    await user.type(screen.getByRole('textbox', { name: /Timeout/ }), '5000')
    await user.click(screen.getByRole('checkbox', { name: /Follow redirects/ }))
    await user.click(screen.getByRole('radio', { name: /Async/ }))
    await user.click(screen.getByRole('button', { name: 'Run' }))
    expect(onSubmit).toHaveBeenCalledWith(
      {
        method: 'POST',
        url: 'https://api.example.com/items',
        headers: { accept: 'application/json' },
        body: { name: 'Ada' },
        timeoutMs: 5000,
        followRedirects: false,
      },
      'async',
    )
  })

  it('shows a field’s error after it is left, and every error on Run, without running', async () => {
    const onSubmit = vi.fn()
    render(<Harness schema={httpRequestSchema} onSubmit={onSubmit} />)
    const user = userEvent.setup()
    const url = screen.getByRole('textbox', { name: /^URL/ })
    expect(url.getAttribute('aria-invalid')).toBeNull()
    await user.click(url)
    await user.tab()
    expect(url.getAttribute('aria-invalid')).toBe('true')
    expect(url.closest('.field')?.textContent).toContain('Required: enter a value.')

    await user.type(screen.getByRole('textbox', { name: /Timeout/ }), '0')
    await user.click(screen.getByRole('button', { name: 'Run' }))
    expect(onSubmit).not.toHaveBeenCalled()
    const summary = screen.getByRole('alert')
    expect(summary.textContent).toContain('2 fields need attention')
    expect(summary.textContent).toContain('Timeout (ms): Enter 1 or more.')
    await act(async () => {
      await new Promise((resolve) => requestAnimationFrame(resolve))
    })
    expect(document.activeElement).toBe(summary)
    await user.click(within(summary).getByRole('button', { name: 'URL' }))
    await act(async () => {
      await new Promise((resolve) => requestAnimationFrame(resolve))
    })
    expect(document.activeElement).toBe(url)
  })

  it('shows the server’s messages on their fields until the field changes', async () => {
    render(
      <Harness
        schema={httpRequestSchema}
        start={{ method: 'GET', url: 'ftp://x', followRedirects: true }}
        serverErrors={{ '/url': 'must be an http(s) URL', '/headers/x-a': 'must not contain line breaks' }}
      />,
    )
    const url = screen.getByRole('textbox', { name: /^URL/ })
    expect(url.getAttribute('aria-invalid')).toBe('true')
    expect(url.closest('.field')?.textContent).toContain('must be an http(s) URL')
    expect(screen.getByRole('group', { name: 'Headers' }).textContent).toContain(
      'x-a: must not contain line breaks',
    )
    await userEvent.type(url, 's')
    expect(url.closest('.field')?.textContent).not.toContain('must be an http(s) URL')
  })

  it('edits the same input as JSON, keeps invalid JSON and says where it breaks', async () => {
    const onSubmit = vi.fn()
    render(<Harness schema={httpRequestSchema} onSubmit={onSubmit} />)
    const user = userEvent.setup()
    await user.type(screen.getByRole('textbox', { name: /^URL/ }), '/a')
    await user.click(screen.getByRole('tab', { name: 'JSON' }))
    const box = screen.getByRole<HTMLTextAreaElement>('textbox', { name: 'Input as JSON' })
    expect(JSON.parse(box.value)).toEqual({ method: 'GET', followRedirects: true, url: '/a' })
    await user.clear(box)
    await user.type(box, '{{"method": "PUT", "url": "/b", "followRedirects": true')
    expect(box.getAttribute('aria-invalid')).toBe('true')
    expect(box.closest('.field')?.textContent).toMatch(/Not valid JSON/)
    await user.click(screen.getByRole('tab', { name: 'Form' }))
    expect(screen.getByRole('note').textContent).toContain('not valid JSON')
    await user.click(screen.getByRole('button', { name: 'Run' }))
    expect(onSubmit).not.toHaveBeenCalled()
    // Run took the user to the broken JSON, which is still there.
    const again = screen.getByRole<HTMLTextAreaElement>('textbox', { name: 'Input as JSON' })
    expect(again.value).toBe('{"method": "PUT", "url": "/b", "followRedirects": true')
    await user.type(again, '}')
    await user.click(screen.getByRole('tab', { name: 'Form' }))
    expect(screen.getByRole<HTMLInputElement>('textbox', { name: /^URL/ }).value).toBe('/b')
    expect(screen.getByRole('button', { name: /Method/ }).textContent).toContain('PUT')
    await user.click(screen.getByRole('button', { name: 'Run' }))
    expect(onSubmit).toHaveBeenCalledWith({ method: 'PUT', url: '/b', followRedirects: true }, 'sync')
  })

  it('shows a value replaced from outside (an example, sample data)', async () => {
    render(<Harness schema={httpRequestSchema} />)
    await userEvent.click(screen.getByRole('button', { name: 'Replace from outside' }))
    expect(screen.getByRole<HTMLInputElement>('textbox', { name: /^URL/ }).value).toBe('/outside')
    expect(screen.getByRole<HTMLInputElement>('checkbox', { name: /Follow redirects/ }).checked).toBe(false)
    await userEvent.click(screen.getByRole('tab', { name: 'JSON' }))
    expect(
      JSON.parse(screen.getByRole<HTMLTextAreaElement>('textbox', { name: 'Input as JSON' }).value),
    ).toEqual({
      method: 'DELETE',
      url: '/outside',
      followRedirects: false,
    })
  })

  it('edits lists, nested objects, formats, secrets and choices', async () => {
    const onSubmit = vi.fn()
    render(<Harness schema={emailSchema} onSubmit={onSubmit} />)
    const user = userEvent.setup()
    expect(screen.getByLabelText(/SMTP password/).getAttribute('type')).toBe('password')
    expect(screen.getByLabelText(/Site/).getAttribute('type')).toBe('url')
    expect(screen.getByLabelText(/Send at/).getAttribute('type')).toBe('datetime-local')
    expect(screen.getByRole('group', { name: /Sender/ })).toBeTruthy()
    expect(screen.getByRole('radiogroup', { name: /Priority/ })).toBeTruthy()

    await user.click(screen.getByRole('button', { name: 'Add to item' }))
    const first = screen.getByRole('textbox', { name: /To item 1/ })
    expect(first.getAttribute('type')).toBe('email')
    expect(document.activeElement).toBe(first)
    await user.keyboard('ada@example.com')
    await user.click(screen.getByRole('button', { name: 'Add to item' }))
    await user.keyboard('bob@example.com')
    await user.click(screen.getByRole('button', { name: 'Move To item 2 up' }))
    expect(screen.getByRole<HTMLInputElement>('textbox', { name: /To item 1/ }).value).toBe('bob@example.com')
    await user.type(screen.getByRole('textbox', { name: /Subject/ }), 'Hello')
    await user.type(screen.getByRole('textbox', { name: /^Name/ }), 'Ada')
    await user.click(screen.getByRole('radio', { name: 'high' }))
    await user.click(screen.getByRole('button', { name: 'Add attachment' }))
    await user.type(screen.getByRole('textbox', { name: /Filename/ }), 'a.pdf')
    await user.click(screen.getByRole('checkbox', { name: 'sms' }))
    await user.click(screen.getByRole('checkbox', { name: 'email' }))
    await user.click(screen.getByRole('button', { name: 'Run' }))
    expect(onSubmit).toHaveBeenCalledWith(
      {
        to: ['bob@example.com', 'ada@example.com'],
        subject: 'Hello',
        sender: { name: 'Ada' },
        priority: 'high',
        attachments: [{ filename: 'a.pdf' }],
        channels: ['email', 'sms'],
      },
      'sync',
    )

    await user.click(screen.getByRole('button', { name: 'Remove To item 1' }))
    await user.click(screen.getByRole('button', { name: 'Remove Attachment 1' }))
    await user.click(screen.getByRole('radio', { name: 'Not set' }))
    await user.click(screen.getByRole('button', { name: 'Run' }))
    expect(onSubmit).toHaveBeenLastCalledWith(
      { to: ['ada@example.com'], subject: 'Hello', sender: { name: 'Ada' }, channels: ['email', 'sms'] },
      'sync',
    )
  })

  it('reports an invalid list item on the item', async () => {
    const onSubmit = vi.fn()
    render(
      <Harness
        schema={emailSchema}
        start={{ to: ['nope'], subject: 'x', sender: { name: 'A' } }}
        onSubmit={onSubmit}
      />,
    )
    await userEvent.click(screen.getByRole('button', { name: 'Run' }))
    expect(onSubmit).not.toHaveBeenCalled()
    const item = screen.getByRole('textbox', { name: /To item 1/ })
    expect(item.getAttribute('aria-invalid')).toBe('true')
    expect(item.closest('.field')?.textContent).toContain('Enter an email address')
  })

  it('moves focus to the first field at fault when asked (Fix the input)', async () => {
    const handle = createRef<ActionParameterFormHandle>()
    render(
      <Harness
        schema={httpRequestSchema}
        ref={handle}
        start={{ method: 'GET', url: 'x', followRedirects: true }}
        serverErrors={{ '/url': 'is not reachable' }}
      />,
    )
    act(() => {
      handle.current?.focus()
    })
    await act(async () => {
      await new Promise((resolve) => requestAnimationFrame(resolve))
    })
    expect(document.activeElement).toBe(screen.getByRole('textbox', { name: /^URL/ }))
  })

  it('says so when an action takes no input, and marks Run busy while running', () => {
    render(<Harness schema={{ type: 'object', properties: {} }} running />)
    expect(screen.getByText('This action takes no input. Press Run.')).toBeTruthy()
    expect(screen.getByRole('button', { name: /Run/ }).getAttribute('data-pending')).toBe('true')
  })
})
