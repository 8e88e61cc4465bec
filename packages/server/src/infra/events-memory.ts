import { createLocalSubscribers, prepareLocalEvent } from './events.js'
import type { EventBus, EventBusErrorReporter } from './events.js'

export interface MemoryEventBusOptions {
  /** Receives errors thrown by filters and handlers. */
  readonly onError: EventBusErrorReporter
}

/**
 * The embedded-mode event bus: subscribers in this process only. Events go through JSON (decoded
 * when a subscriber reads the data) and are delivered on a later microtask, as the Redis bus
 * delivers them, so code that works here works in a cluster.
 *
 * @example
 * const events = createMemoryEventBus({ onError: (error, context) => log.error({ err: error, ...context }, 'event') })
 * const unsubscribe = events.subscribe({ types: ['execution.*'], workspaceId }, (event) => stream.write(event))
 * await events.publish({ type: 'execution.succeeded', workspaceId, data: { executionId } })
 */
export function createMemoryEventBus(options: MemoryEventBusOptions): EventBus {
  const subscribers = createLocalSubscribers(options.onError)
  let closed = false

  return {
    publish(input) {
      // An executor runs at once and turns a throw into a rejection: a publish just before
      // `close()` still goes out, and a bad event rejects instead of throwing.
      return new Promise((resolve) => {
        if (closed) throw new Error('The event bus is closed')
        const { event, delivered } = prepareLocalEvent(input)
        queueMicrotask(() => {
          if (!closed) subscribers.deliver(delivered)
        })
        resolve(event)
      })
    },
    subscribe(filter, handler) {
      return subscribers.add(filter, handler)
    },
    wants(type, workspaceId) {
      return !closed && subscribers.wants(type, workspaceId)
    },
    close() {
      closed = true
      subscribers.clear()
      return Promise.resolve()
    },
  }
}
