import { useEffect, useId, useRef, useState } from 'react'
import type { ReactNode } from 'react'
import { Button, Input, Label, Text, TextField } from 'react-aria-components'

export interface SecretRevealProps {
  /** The secret, shown this once. */
  readonly secret: string
  /** The heading, e.g. "Copy your signing secret now". */
  readonly title: string
  /** The field's label, e.g. "Signing secret". */
  readonly label: string
  /** What the secret is for and where to put it; shown under the warning. */
  readonly children?: ReactNode
  /** What comes next (a link to continue, a "Done" button). */
  readonly actions?: ReactNode
  readonly headingLevel?: 2 | 3
  /** Writes to the clipboard; the browser's by default (tests pass a stand-in). */
  readonly writeClipboard?: (text: string) => Promise<void>
}

type CopyState = 'idle' | 'copied' | 'failed'

function browserClipboard(text: string): Promise<void> {
  // Missing without a secure context (plain http on another host than localhost), though typed as always there.
  if (!('clipboard' in navigator)) {
    return Promise.reject(new Error('no clipboard'))
  }
  return navigator.clipboard.writeText(text)
}

/**
 * A secret the server shows only once (an API key, a webhook signing secret): a warning that it will
 * not be shown again, the secret in a read-only field (focusing it selects it all), a Copy button, and
 * a status saying whether copying worked. Its heading takes focus when it appears, so screen-reader
 * users hear the warning first.
 *
 * @example
 * <SecretReveal secret={created.key} title="Copy your API key now" label="API key"
 *   actions={<Button onPress={done}>Done</Button>}>Send it as <code>Authorization: Bearer …</code>.</SecretReveal>
 */
export function SecretReveal({
  secret,
  title,
  label,
  children,
  actions,
  headingLevel = 2,
  writeClipboard = browserClipboard,
}: SecretRevealProps) {
  const [copy, setCopy] = useState<CopyState>('idle')
  const heading = useRef<HTMLHeadingElement>(null)
  const input = useRef<HTMLInputElement>(null)
  const Heading = headingLevel === 2 ? 'h2' : 'h3'
  const titleId = useId()

  useEffect(() => {
    heading.current?.focus()
  }, [])

  const copySecret = () => {
    writeClipboard(secret).then(
      () => {
        setCopy('copied')
      },
      () => {
        setCopy('failed')
        input.current?.focus()
        input.current?.select()
      },
    )
  }

  return (
    <section className="secret-reveal" aria-labelledby={titleId}>
      <Heading id={titleId} ref={heading} tabIndex={-1} className="secret-reveal-title">
        {title}
      </Heading>
      <p className="notice notice-danger secret-reveal-warning">
        <span aria-hidden="true">⚠ </span>
        <strong>You will not see this again.</strong> Toolplane keeps only a fingerprint of it: store it
        somewhere safe now, such as your secrets manager.
      </p>
      {children !== undefined && <div className="secret-reveal-body">{children}</div>}
      <TextField className="field" value={secret} isReadOnly>
        <Label className="field-label">{label}</Label>
        <div className="secret-reveal-row">
          <Input
            ref={input}
            className="input secret-reveal-input"
            spellCheck={false}
            autoComplete="off"
            onFocus={(event) => {
              event.currentTarget.select()
            }}
          />
          <Button className="button button-primary" onPress={copySecret}>
            {copy === 'copied' ? 'Copied' : 'Copy'}
          </Button>
        </div>
        <Text slot="description" className="field-description">
          Focus the field to select it all.
        </Text>
      </TextField>
      <p role="status" className={copy === 'failed' ? 'field-error' : 'muted small'}>
        {copy === 'copied' && 'Copied to the clipboard.'}
        {copy === 'failed' && 'Could not copy: the text is selected, press Ctrl+C (⌘C on a Mac) to copy it.'}
      </p>
      {actions !== undefined && <div className="button-row">{actions}</div>}
    </section>
  )
}
