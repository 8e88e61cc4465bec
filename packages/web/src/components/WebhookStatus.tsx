import type { DeliveryStatus, Webhook } from '../api/webhooks.js'
import { formatDateTime } from './time.js'

const deliveryLabels: Record<DeliveryStatus, { icon: string; text: string }> = {
  pending: { icon: '⏳', text: 'Pending' },
  delivered: { icon: '✓', text: 'Delivered' },
  failed: { icon: '✕', text: 'Failed' },
}

/**
 * A delivery's status as an icon and a word (never colour alone).
 *
 * @example
 * <DeliveryStatusText status="failed" />
 */
export function DeliveryStatusText({ status }: { status: DeliveryStatus }) {
  const label = deliveryLabels[status]
  return (
    <span className="status" data-status={status}>
      <span className="status-icon" aria-hidden="true">
        {label.icon}
      </span>
      {label.text}
    </span>
  )
}

/**
 * Whether a subscription receives events: enabled, failing since when, or disabled and why.
 *
 * @example
 * <WebhookStatusText webhook={webhook} />
 */
export function WebhookStatusText({ webhook }: { webhook: Webhook }) {
  if (!webhook.enabled) {
    return (
      <span className="status" data-status="disabled">
        <span className="status-icon" aria-hidden="true">
          ⏸
        </span>
        Disabled
        {webhook.disabledReason !== null && <span className="status-reason">: {webhook.disabledReason}</span>}
      </span>
    )
  }
  if (webhook.failingSince !== null) {
    return (
      <span className="status" data-status="failing">
        <span className="status-icon" aria-hidden="true">
          ⚠
        </span>
        Enabled, failing since {formatDateTime(webhook.failingSince)}
      </span>
    )
  }
  return (
    <span className="status" data-status="enabled">
      <span className="status-icon" aria-hidden="true">
        ✓
      </span>
      Enabled
    </span>
  )
}
