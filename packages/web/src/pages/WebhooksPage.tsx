import { useEffect, useRef, useState } from 'react'
import type { ReactNode } from 'react'
import { Button } from 'react-aria-components'
import { Link } from 'react-router'
import { grants } from '../api/grants.js'
import { useSession } from '../api/session.js'
import type { Webhook, WebhookWithSecret } from '../api/webhooks.js'
import { useCreateWebhook, useWebhooks } from '../api/webhooks.js'
import { EmptyState } from '../components/EmptyState.js'
import { ApiErrorDisplay } from '../components/ErrorHandler.js'
import { PageTitle } from '../components/PageTitle.js'
import { ShowMoreButton } from '../components/ShowMoreButton.js'
import { SecretReveal } from '../components/SecretReveal.js'
import { ListSkeleton } from '../components/Skeleton.js'
import { Timestamp } from '../components/Timestamp.js'
import { WebhookForm } from '../components/WebhookForm.js'
import { WebhookStatusText } from '../components/WebhookStatus.js'
import '../styles/webhooks.css'

/** How a subscription's event patterns read in a list. */
function eventsText(events: readonly string[]): string {
  if (events.includes('*')) return 'Every event'
  return events.join(', ')
}

function WebhookItem({ webhook }: { webhook: Webhook }) {
  return (
    <li className="card webhook-item">
      <h3 className="card-title webhook-url">
        <Link to={`/webhooks/${encodeURIComponent(webhook.id)}`}>{webhook.url}</Link>
      </h3>
      {webhook.description !== null && <p>{webhook.description}</p>}
      <dl className="facts facts-compact">
        <div>
          <dt>Status</dt>
          <dd>
            <WebhookStatusText webhook={webhook} />
          </dd>
        </div>
        <div>
          <dt>Events</dt>
          <dd>
            <code>{eventsText(webhook.events)}</code>
          </dd>
        </div>
        <div>
          <dt>Created</dt>
          <dd>
            <Timestamp value={webhook.createdAt} />
          </dd>
        </div>
      </dl>
    </li>
  )
}

/** The form's frame; its heading takes focus when it opens (the button that opened it is gone). */
function AddEndpoint({ children }: { children: ReactNode }) {
  const heading = useRef<HTMLHeadingElement>(null)
  useEffect(() => heading.current?.focus(), [])
  return (
    <section className="section card" aria-labelledby="add-endpoint-title">
      <h2 id="add-endpoint-title" ref={heading} tabIndex={-1}>
        Add an endpoint
      </h2>
      {children}
    </section>
  )
}

function Created({ created }: { created: WebhookWithSecret }) {
  return (
    <SecretReveal
      secret={created.secret}
      title="Copy the signing secret now"
      label="Signing secret"
      actions={
        <Link className="button button-primary" to={`/webhooks/${encodeURIComponent(created.id)}`}>
          I have stored it: go to the endpoint
        </Link>
      }
    >
      <p>
        The endpoint <code>{created.url}</code> was added. Your receiver verifies each delivery with this
        secret and the <code>webhook-id</code>, <code>webhook-timestamp</code> and{' '}
        <code>webhook-signature</code> headers, using any Standard Webhooks library. If you lose it, rotate
        the secret on the endpoint’s page.
      </p>
    </SecretReveal>
  )
}

/**
 * Webhooks: the workspace's endpoints with their status and events, and adding one. The signing
 * secret of a new endpoint is shown once, then the user goes on to its page (deliveries, tests).
 */
export default function WebhooksPage() {
  const session = useSession()
  const canWrite = grants(session.data?.scopes, 'webhooks:write')
  const webhooks = useWebhooks()
  const create = useCreateWebhook()
  const [adding, setAdding] = useState(false)
  const addButton = useRef<HTMLButtonElement>(null)
  const returnFocus = useRef(false)
  useEffect(() => {
    // After Cancel the form is gone; focus goes back to the button that opened it.
    if (!adding && returnFocus.current) {
      returnFocus.current = false
      addButton.current?.focus()
    }
  }, [adding])

  const list = webhooks.data?.pages.flatMap((page) => page.data) ?? []
  const startAdding = () => {
    create.reset()
    setAdding(true)
  }

  let body
  if (webhooks.isPending) {
    body = <ListSkeleton rows={3} label="Loading endpoints…" />
  } else if (webhooks.isError && list.length === 0) {
    body = <ApiErrorDisplay error={webhooks.error} onRetry={() => void webhooks.refetch()} />
  } else if (list.length === 0) {
    body = (
      <EmptyState
        title="No webhook endpoints yet"
        headingLevel={3}
        action={
          canWrite && !adding ? (
            <Button ref={addButton} className="button button-primary" onPress={startAdding}>
              Add endpoint
            </Button>
          ) : undefined
        }
      >
        <p>
          Add an endpoint to be told when executions finish, batches complete or credentials expire, instead
          of polling the API.
          {!canWrite && ' Ask a developer, admin or owner of the workspace to add one.'}
        </p>
      </EmptyState>
    )
  } else {
    body = (
      <>
        <p className="muted">
          {list.length === 1 ? '1 endpoint' : `${list.length} endpoints`}
          {webhooks.hasNextPage ? ' shown' : ''}
        </p>
        <ul className="card-list" aria-label="Webhook endpoints">
          {list.map((webhook) => (
            <WebhookItem key={webhook.id} webhook={webhook} />
          ))}
        </ul>
        <ShowMoreButton query={webhooks} label="Show more endpoints" loadingLabel="Loading more endpoints…" />
        {webhooks.isError && (
          <ApiErrorDisplay error={webhooks.error} onRetry={() => void webhooks.refetch()} />
        )}
      </>
    )
  }

  return (
    <>
      <PageTitle title="Webhooks" />
      <p className="lede">
        Endpoints that receive Toolplane’s events as signed HTTP POSTs, with retries, a delivery log and
        replay.
      </p>
      {canWrite && !adding && list.length > 0 && (
        <div className="button-row">
          <Button ref={addButton} className="button button-primary" onPress={startAdding}>
            Add endpoint
          </Button>
        </div>
      )}
      {adding &&
        (create.data === undefined ? (
          <AddEndpoint>
            <WebhookForm
              submitLabel="Add endpoint"
              onSubmit={(input) => {
                create.mutate(input)
              }}
              pending={create.isPending}
              error={create.error}
              onCancel={() => {
                setAdding(false)
                returnFocus.current = true
              }}
            />
          </AddEndpoint>
        ) : (
          <div className="section card">
            <Created created={create.data} />
          </div>
        ))}
      <section className="section" aria-labelledby="endpoints-title">
        <h2 id="endpoints-title">Endpoints</h2>
        {body}
      </section>
    </>
  )
}
