import { useState } from 'react'
import type { ReactNode } from 'react'
import { Button, Dialog, DialogTrigger, Heading, Modal, ModalOverlay } from 'react-aria-components'
import { ApiErrorDisplay } from './ErrorHandler.js'

export interface ConfirmDialogProps {
  /** The button that opens the dialog. */
  readonly triggerLabel: ReactNode
  /** An accessible name for the trigger when its label alone is ambiguous ("Revoke" in a list). */
  readonly triggerAriaLabel?: string
  readonly triggerClassName?: string
  readonly isDisabled?: boolean
  /** The question, naming the thing: "Revoke the key “deploy bot”?" */
  readonly title: string
  /** What will happen and what cannot be undone. */
  readonly children: ReactNode
  /** The confirming button's label: the verb ("Revoke key"), never "OK". */
  readonly confirmLabel: string
  /** Does the work. The dialog closes when it resolves and shows the error when it rejects. */
  readonly onConfirm: () => Promise<unknown>
}

/**
 * A button that asks before doing something that cannot be undone. The dialog is an alert dialog;
 * focus starts on Cancel (the safe choice), Escape or Cancel closes it, and while the work runs the
 * buttons wait. A failure shows in the dialog, which stays open to try again.
 *
 * @example
 * <ConfirmDialog triggerLabel="Delete" title={`Delete ${webhook.url}?`} confirmLabel="Delete endpoint"
 *   onConfirm={() => remove.mutateAsync()}>Its delivery log is deleted too.</ConfirmDialog>
 */
export function ConfirmDialog({
  triggerLabel,
  triggerAriaLabel,
  triggerClassName = 'button button-danger',
  isDisabled = false,
  title,
  children,
  confirmLabel,
  onConfirm,
}: ConfirmDialogProps) {
  const [open, setOpen] = useState(false)
  const [pending, setPending] = useState(false)
  const [error, setError] = useState<unknown>(null)

  const openChange = (next: boolean) => {
    if (pending) return
    setOpen(next)
    if (!next) setError(null)
  }

  const confirm = () => {
    if (pending) return
    setPending(true)
    setError(null)
    onConfirm().then(
      () => {
        setPending(false)
        setOpen(false)
      },
      (failure: unknown) => {
        setPending(false)
        setError(failure)
      },
    )
  }

  return (
    <DialogTrigger isOpen={open} onOpenChange={openChange}>
      <Button
        className={triggerClassName}
        isDisabled={isDisabled}
        {...(triggerAriaLabel === undefined ? {} : { 'aria-label': triggerAriaLabel })}
      >
        {triggerLabel}
      </Button>
      <ModalOverlay className="modal-overlay" isDismissable={!pending}>
        <Modal className="modal">
          <Dialog role="alertdialog" className="dialog">
            <Heading slot="title" className="dialog-title">
              {title}
            </Heading>
            <div className="dialog-body">{children}</div>
            {error !== null && <ApiErrorDisplay error={error} headingLevel={3} />}
            <div className="button-row">
              <Button
                className="button"
                autoFocus
                isDisabled={pending}
                onPress={() => {
                  openChange(false)
                }}
              >
                Cancel
              </Button>
              {/* Not `isPending`: React Aria would announce the button by its id after the dialog closed. */}
              <Button className="button button-danger-solid" onPress={confirm}>
                {pending ? `${confirmLabel}…` : confirmLabel}
              </Button>
            </div>
          </Dialog>
        </Modal>
      </ModalOverlay>
    </DialogTrigger>
  )
}
