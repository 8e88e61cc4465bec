import { useEffect, useRef, useState } from 'react'
import {
  Button,
  Disclosure,
  DisclosurePanel,
  FieldError,
  Form,
  Group,
  Input,
  Label,
  NumberField,
  RadioButton,
  RadioField,
  RadioGroup,
  Text,
} from 'react-aria-components'
import { Link, useNavigate, useParams, useSearchParams } from 'react-router'
import { hasStatus } from '../api/client.js'
import { fieldErrorMap } from '../api/field-errors.js'
import { grants } from '../api/grants.js'
import { useSession } from '../api/session.js'
import type { Delivery, DeliveryStatus, Webhook, WebhookWithSecret } from '../api/webhooks.js'
import {
  defaultOverlapSeconds,
  deliveryStatuses,
  maxOverlapSeconds,
  useDeleteWebhook,
  useDeliveries,
  useDelivery,
  useReplayDelivery,
  useRotateSecret,
  useSendTestEvent,
  useUpdateWebhook,
  useWebhook,
} from '../api/webhooks.js'
import { ConfirmDialog } from '../components/ConfirmDialog.js'
import { DeliveryAttempts } from '../components/DeliveryAttempts.js'
import { EmptyState } from '../components/EmptyState.js'
import { ApiErrorDisplay } from '../components/ErrorHandler.js'
import { PageTitle } from '../components/PageTitle.js'
import { ShowMoreButton } from '../components/ShowMoreButton.js'
import { SecretReveal } from '../components/SecretReveal.js'
import { ListSkeleton, PageSkeleton } from '../components/Skeleton.js'
import { formatDateTime } from '../components/time.js'
import { Timestamp } from '../components/Timestamp.js'
import { WebhookForm } from '../components/WebhookForm.js'
import { DeliveryStatusText, WebhookStatusText } from '../components/WebhookStatus.js'
import '../styles/webhooks.css'

const statusFilterLabels: Record<DeliveryStatus | 'all', string> = {
  all: 'All',
  pending: 'Pending',
  delivered: 'Delivered',
  failed: 'Failed',
}

function isDeliveryStatus(value: string | null): value is DeliveryStatus {
  return value !== null && (deliveryStatuses as readonly string[]).includes(value)
}

function lastHttpStatus(delivery: Pick<Delivery, 'attempts'>): string {
  const last = delivery.attempts.at(-1)
  if (last === undefined) return 'Not tried yet'
  return last.httpStatus === null ? 'No response' : String(last.httpStatus)
}

/** Says what happened to the test event just sent, following its delivery until it settles. */
function TestResult({ webhookId, delivery }: { webhookId: string; delivery: Delivery }) {
  const detail = useDelivery(webhookId, delivery.id)
  const current = detail.data ?? delivery
  const last = current.attempts.at(-1)
  let text: string
  if (current.status === 'pending') {
    text =
      current.attempts.length === 0
        ? 'Test event sent: waiting for the first attempt…'
        : `Test event not delivered yet (attempt ${current.attempts.length}: ${last?.error ?? 'no answer'}); it will be tried again.`
  } else if (current.status === 'delivered') {
    text = `Test event delivered: the endpoint answered HTTP ${last?.httpStatus ?? '?'}.`
  } else {
    text = `Test event failed: ${last?.error ?? 'no attempt succeeded'}.`
  }
  return (
    <div className="notice" data-status={current.status}>
      <p role="status">
        <DeliveryStatusText status={current.status} /> {text}
      </p>
      <p className="muted small">
        Message id <code>{current.messageId}</code> — it is also in the delivery log below.
      </p>
    </div>
  )
}

function DeliveryDetailPanel({ webhookId, delivery }: { webhookId: string; delivery: Delivery }) {
  const detail = useDelivery(webhookId, delivery.id)
  return (
    <div className="delivery-detail">
      <h4>Attempts</h4>
      <DeliveryAttempts
        attempts={detail.data?.attempts}
        loading={detail.isPending}
        error={detail.error}
        onRetry={() => void detail.refetch()}
        pending={(detail.data?.status ?? delivery.status) === 'pending'}
        headingLevel={3}
      />
      {detail.data !== undefined && (
        <>
          <h4>Payload as sent</h4>
          <pre className="code-block">{JSON.stringify(detail.data.payload, null, 2)}</pre>
          {detail.data.correlationId !== null && (
            <p className="muted small">
              Correlation id <code>{detail.data.correlationId}</code>
            </p>
          )}
        </>
      )}
    </div>
  )
}

function DeliveryItem({
  webhook,
  delivery,
  canWrite,
  onReplayed,
}: {
  webhook: Webhook
  delivery: Delivery
  canWrite: boolean
  onReplayed: (message: string) => void
}) {
  const [expanded, setExpanded] = useState(false)
  const replay = useReplayDelivery(webhook.id)
  const attempts = delivery.attempts.length
  return (
    <li className="card delivery">
      <div className="card-head">
        <h3 className="card-title">
          <code>{delivery.event}</code>
        </h3>
        <DeliveryStatusText status={delivery.status} />
      </div>
      <dl className="facts facts-compact">
        <div>
          <dt>Message id</dt>
          <dd>
            <code>{delivery.messageId}</code>
          </dd>
        </div>
        <div>
          <dt>Attempts</dt>
          <dd>{attempts}</dd>
        </div>
        <div>
          <dt>Last HTTP status</dt>
          <dd>{lastHttpStatus(delivery)}</dd>
        </div>
        <div>
          <dt>Created</dt>
          <dd>
            <Timestamp value={delivery.createdAt} />
          </dd>
        </div>
        {delivery.status === 'pending' && delivery.nextAttemptAt !== null && (
          <div>
            <dt>Next attempt</dt>
            <dd>
              <Timestamp value={delivery.nextAttemptAt} />
            </dd>
          </div>
        )}
      </dl>
      <div className="button-row">
        {canWrite && (
          // Not `isPending`: under a status filter the delivery can leave the list once replayed, and React
          // Aria would then announce a button that is gone.
          <Button
            className="button"
            isDisabled={!webhook.enabled}
            onPress={() => {
              if (replay.isPending) return
              replay.mutate(delivery.id, {
                onSuccess: () => {
                  onReplayed(`Replaying ${delivery.event} (${delivery.messageId}): it is pending again.`)
                },
              })
            }}
          >
            {replay.isPending ? 'Replaying…' : 'Replay'}
          </Button>
        )}
      </div>
      {replay.isError && <ApiErrorDisplay error={replay.error} headingLevel={3} title="Could not replay" />}
      <Disclosure className="disclosure" isExpanded={expanded} onExpandedChange={setExpanded}>
        <Button slot="trigger" className="button button-quiet disclosure-trigger">
          <span aria-hidden="true">{expanded ? '▾' : '▸'}</span> Attempts and payload
        </Button>
        <DisclosurePanel className="disclosure-panel">
          {expanded && <DeliveryDetailPanel webhookId={webhook.id} delivery={delivery} />}
        </DisclosurePanel>
      </Disclosure>
    </li>
  )
}

function Deliveries({
  webhook,
  canWrite,
  announce,
}: {
  webhook: Webhook
  canWrite: boolean
  announce: (message: string) => void
}) {
  const [params, setParams] = useSearchParams()
  const param = params.get('status')
  const status = isDeliveryStatus(param) ? param : null
  const deliveries = useDeliveries(webhook.id, status)
  const list = deliveries.data?.pages.flatMap((page) => page.data) ?? []

  let body
  if (deliveries.isPending) {
    body = <ListSkeleton rows={3} label="Loading deliveries…" />
  } else if (deliveries.isError && list.length === 0) {
    body = (
      <ApiErrorDisplay error={deliveries.error} onRetry={() => void deliveries.refetch()} headingLevel={3} />
    )
  } else if (list.length === 0) {
    body =
      status === null ? (
        <EmptyState title="No deliveries yet" headingLevel={3}>
          <p>
            Deliveries appear here when an event this endpoint subscribes to happens.
            {canWrite && ' Send a test event to try the endpoint now.'}
          </p>
        </EmptyState>
      ) : (
        <EmptyState
          title={`No ${statusFilterLabels[status].toLowerCase()} deliveries`}
          headingLevel={3}
          action={
            <Button
              className="button"
              onPress={() => {
                setParams({}, { replace: true })
              }}
            >
              Show all deliveries
            </Button>
          }
        >
          <p>Other deliveries are hidden by the status filter.</p>
        </EmptyState>
      )
  } else {
    body = (
      <>
        <ul className="card-list" aria-label="Deliveries" aria-busy={deliveries.isFetching}>
          {list.map((delivery) => (
            <DeliveryItem
              key={delivery.id}
              webhook={webhook}
              delivery={delivery}
              canWrite={canWrite}
              onReplayed={announce}
            />
          ))}
        </ul>
        <ShowMoreButton
          query={deliveries}
          label="Show older deliveries"
          loadingLabel="Loading older deliveries…"
        />
        {deliveries.isError && (
          <ApiErrorDisplay
            error={deliveries.error}
            onRetry={() => void deliveries.refetch()}
            headingLevel={3}
          />
        )}
      </>
    )
  }

  return (
    <section className="section" aria-labelledby="deliveries-title">
      <h2 id="deliveries-title">Deliveries</h2>
      <p className="muted">
        Newest first. Every attempt is kept; a pending delivery is retried on the schedule and this list
        updates by itself. Replay sends a delivery again with the same <code>webhook-id</code>, so receivers
        can deduplicate.
      </p>
      <RadioGroup
        className="delivery-filter"
        orientation="horizontal"
        value={status ?? 'all'}
        onChange={(value) => {
          setParams(value === 'all' ? {} : { status: value }, { replace: true })
        }}
      >
        <Label className="field-label">Show</Label>
        <div className="segmented">
          {(['all', ...deliveryStatuses] as const).map((option) => (
            <RadioField key={option} value={option} className="segmented-field">
              <RadioButton className="segmented-option">{statusFilterLabels[option]}</RadioButton>
            </RadioField>
          ))}
        </div>
      </RadioGroup>
      {body}
    </section>
  )
}

function RotateSecret({ webhook }: { webhook: Webhook }) {
  const rotate = useRotateSecret(webhook.id)
  const [hours, setHours] = useState(defaultOverlapSeconds / 3600)
  const [rotated, setRotated] = useState<WebhookWithSecret | null>(null)

  if (rotated !== null) {
    return (
      <SecretReveal
        secret={rotated.secret}
        title="Copy the new signing secret now"
        label="New signing secret"
        headingLevel={3}
        actions={
          <Button
            className="button"
            onPress={() => {
              setRotated(null)
            }}
          >
            Done
          </Button>
        }
      >
        <p>
          Deliveries are signed with this secret from now on.{' '}
          {rotated.previousSecretExpiresAt === null
            ? 'The previous secret no longer signs anything.'
            : `Until ${formatDateTime(rotated.previousSecretExpiresAt)} they also carry a signature with the previous secret, so update your receiver before then.`}
        </p>
      </SecretReveal>
    )
  }

  return (
    <Form
      className="form"
      validationBehavior="aria"
      validationErrors={fieldErrorMap(rotate.error)}
      onSubmit={(event) => {
        event.preventDefault()
        if (rotate.isPending) return
        rotate.mutate({ overlapSeconds: Math.round(hours * 3600) }, { onSuccess: setRotated })
      }}
    >
      <NumberField
        className="field overlap-field"
        name="overlapSeconds"
        value={hours}
        onChange={(value) => {
          setHours(Number.isNaN(value) ? 0 : value)
        }}
        minValue={0}
        maxValue={maxOverlapSeconds / 3600}
        step={1}
      >
        <Label className="field-label">Keep signing with the old secret for (hours)</Label>
        <Text slot="description" className="field-description">
          During this overlap each delivery carries two signatures, so a receiver holding either secret
          verifies it. 0 stops the old secret at once; at most {maxOverlapSeconds / 3600} hours (7 days).
        </Text>
        <Group>
          <Input className="input" />
        </Group>
        <FieldError className="field-error" />
      </NumberField>
      {rotate.isError && !hasStatus(rotate.error, 400) && (
        <ApiErrorDisplay error={rotate.error} headingLevel={3} />
      )}
      <div className="button-row">
        {/* Not `isPending`: React Aria would announce the button by its id after the form is gone. */}
        <Button type="submit" className="button">
          {rotate.isPending ? 'Rotating…' : 'Rotate secret'}
        </Button>
      </div>
    </Form>
  )
}

function Details({ webhook }: { webhook: Webhook }) {
  return (
    <dl className="facts">
      <div>
        <dt>Status</dt>
        <dd>
          <WebhookStatusText webhook={webhook} />
        </dd>
      </div>
      <div>
        <dt>Events</dt>
        <dd>
          {webhook.events.includes('*') ? (
            <>
              Every event (<code>*</code>)
            </>
          ) : (
            <ul className="plain-list inline-list">
              {webhook.events.map((event) => (
                <li key={event}>
                  <code>{event}</code>
                </li>
              ))}
            </ul>
          )}
        </dd>
      </div>
      {webhook.description !== null && (
        <div>
          <dt>Description</dt>
          <dd>{webhook.description}</dd>
        </div>
      )}
      <div>
        <dt>Created</dt>
        <dd>
          <Timestamp value={webhook.createdAt} />
        </dd>
      </div>
      <div>
        <dt>Last changed</dt>
        <dd>
          <Timestamp value={webhook.updatedAt} />
        </dd>
      </div>
      {webhook.previousSecretExpiresAt !== null && (
        <div>
          <dt>Previous secret signs until</dt>
          <dd>
            <Timestamp value={webhook.previousSecretExpiresAt} />
          </dd>
        </div>
      )}
    </dl>
  )
}

/**
 * One webhook endpoint: its details and status, sending a test event and following it, editing,
 * enabling or disabling, rotating the signing secret, deleting, and its delivery log with each
 * delivery's attempts, payload and replay.
 */
export default function WebhookPage() {
  const { id = '' } = useParams()
  const navigate = useNavigate()
  const session = useSession()
  const canWrite = grants(session.data?.scopes, 'webhooks:write')
  const webhook = useWebhook(id)
  const update = useUpdateWebhook(id)
  const remove = useDeleteWebhook(id)
  const sendTest = useSendTestEvent(id)
  const [editing, setEditing] = useState(false)
  const [announcement, setAnnouncement] = useState('')
  const editHeading = useRef<HTMLHeadingElement>(null)

  useEffect(() => {
    if (editing) editHeading.current?.focus()
  }, [editing])

  if (webhook.isPending) return <PageSkeleton label="Loading the endpoint…" />
  if (webhook.isError) {
    const missing = hasStatus(webhook.error, 404)
    return (
      <>
        <PageTitle title={missing ? 'Endpoint not found' : 'Webhook endpoint'} />
        <ApiErrorDisplay
          error={webhook.error}
          {...(missing ? {} : { onRetry: () => void webhook.refetch() })}
        >
          {missing && (
            <p>
              It may have been deleted. <Link to="/webhooks">See all endpoints</Link>.
            </p>
          )}
        </ApiErrorDisplay>
      </>
    )
  }
  const current = webhook.data

  return (
    <>
      <nav className="breadcrumb" aria-label="Breadcrumb">
        <ol>
          <li>
            <Link to="/webhooks">Webhooks</Link>
          </li>
          <li aria-current="page">Endpoint</li>
        </ol>
      </nav>
      <PageTitle title={`Webhook ${current.url}`}>
        <span className="webhook-url">{current.url}</span>
      </PageTitle>
      <p className="visually-hidden" role="status">
        {announcement}
      </p>
      <Details webhook={current} />

      {canWrite ? (
        <div className="button-row">
          <Button
            className="button button-primary"
            isPending={sendTest.isPending}
            isDisabled={!current.enabled}
            onPress={() => {
              sendTest.mutate()
            }}
          >
            Send test event
          </Button>
          {!editing && (
            <Button
              className="button"
              onPress={() => {
                setEditing(true)
              }}
            >
              Edit
            </Button>
          )}
          <Button
            className="button"
            isPending={update.isPending && !editing}
            onPress={() => {
              update.mutate(
                { enabled: !current.enabled },
                {
                  onSuccess: (changed) => {
                    setAnnouncement(
                      changed.enabled ? 'The endpoint is enabled.' : 'The endpoint is disabled.',
                    )
                  },
                },
              )
            }}
          >
            {current.enabled ? 'Disable' : 'Enable'}
          </Button>
          <ConfirmDialog
            triggerLabel="Delete"
            title={`Delete the endpoint ${current.url}?`}
            confirmLabel="Delete endpoint"
            onConfirm={async () => {
              await remove.mutateAsync()
              await navigate('/webhooks')
            }}
          >
            <p>
              It stops receiving events at once, pending deliveries are dropped, and its delivery log is
              deleted. This cannot be undone.
            </p>
          </ConfirmDialog>
        </div>
      ) : (
        <p className="muted">Your role can see this endpoint but not change it.</p>
      )}
      {!current.enabled && canWrite && (
        <p className="muted small">Enable the endpoint to send test events or replay deliveries.</p>
      )}
      {sendTest.isError && (
        <ApiErrorDisplay error={sendTest.error} headingLevel={2} title="Could not send a test event" />
      )}
      {update.isError && !editing && <ApiErrorDisplay error={update.error} headingLevel={2} />}
      {sendTest.data !== undefined && <TestResult webhookId={id} delivery={sendTest.data} />}

      {editing && (
        <section className="section card" aria-labelledby="edit-title">
          <h2 id="edit-title" ref={editHeading} tabIndex={-1}>
            Edit the endpoint
          </h2>
          <WebhookForm
            initial={current}
            submitLabel="Save changes"
            pending={update.isPending}
            error={update.error}
            onSubmit={(input) => {
              update.mutate(input, {
                onSuccess: () => {
                  setEditing(false)
                  setAnnouncement('Changes saved.')
                },
              })
            }}
            onCancel={() => {
              update.reset()
              setEditing(false)
            }}
          />
        </section>
      )}

      <Deliveries webhook={current} canWrite={canWrite} announce={setAnnouncement} />

      {canWrite && (
        <section className="section" aria-labelledby="secret-title">
          <h2 id="secret-title">Signing secret</h2>
          <p className="muted">
            The secret is never shown again after it is made. Rotate it if it leaked or you lost it: you get a
            new one, shown once.
          </p>
          <RotateSecret webhook={current} />
        </section>
      )}
    </>
  )
}
