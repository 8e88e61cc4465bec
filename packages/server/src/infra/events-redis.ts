import type { Redis } from 'ioredis'
import { createLocalSubscribers, decodeEvent, prepareEvent } from './events.js'
import type { EventBus, EventBusErrorReporter, ToolplaneEvent } from './events.js'

export interface RedisEventBusOptions {
  /** A command connection to publish on; the bus does not own it and never closes it. */
  readonly redis: Redis
  /** The channel is `<prefix>events`; default `toolplane:`, so `toolplane:events`. */
  readonly prefix?: string
  /** Receives errors from filters, handlers, malformed messages and the subscriber connection. */
  readonly onError: EventBusErrorReporter
}

/**
 * The cluster-mode event bus: every node publishes to one Redis channel and listens on it with a
 * connection of its own (a connection that subscribes can do nothing else). A node delivers to its
 * own subscribers only what comes back from the channel, so every subscriber of every node,
 * including the publishing one, gets each event once and all nodes see the same order. Resolves
 * once the node is listening, so nothing published after that is missed.
 *
 * Pub/sub is fire and forget: a node whose subscriber connection is down misses what is published
 * meanwhile (ioredis reconnects and subscribes again on its own).
 *
 * @example
 * const events = await createRedisEventBus({ redis, onError: (error, context) => log.error({ err: error, ...context }, 'event') })
 * events.subscribe({ types: ['credential.expired'] }, (event) => notifyOwner(event))
 * await events.publish({ type: 'credential.expired', workspaceId, data: { credentialId } })
 * await events.close()
 */
export async function createRedisEventBus(options: RedisEventBusOptions): Promise<EventBus> {
  const { redis, prefix = 'toolplane:', onError } = options
  const channel = `${prefix}events`
  const subscribers = createLocalSubscribers(onError)
  const listener = redis.duplicate()
  let closed = false

  listener.on('error', (error: unknown) => {
    subscribers.report(error, { during: 'connection' })
  })
  listener.on('message', (from: string, message: string) => {
    if (closed || from !== channel) return
    let event: ToolplaneEvent
    try {
      event = decodeEvent(message)
    } catch (error) {
      subscribers.report(error, { during: 'decode' })
      return
    }
    subscribers.deliver(event)
  })

  async function disconnect(): Promise<void> {
    if (listener.status === 'end') return
    try {
      await listener.quit()
    } catch {
      // Already closing or never connected: drop the socket instead of saying goodbye.
      listener.disconnect()
    }
  }

  try {
    await listener.subscribe(channel)
  } catch (error) {
    await disconnect()
    throw error
  }

  return {
    async publish(input) {
      if (closed) throw new Error('The event bus is closed')
      const { event, json } = prepareEvent(input)
      await redis.publish(channel, json)
      return event
    },
    subscribe(filter, handler) {
      return subscribers.add(filter, handler)
    },
    // Subscribers on other nodes are not known here.
    wants: () => true,
    async close() {
      if (closed) return
      closed = true
      subscribers.clear()
      await disconnect()
    },
  }
}
