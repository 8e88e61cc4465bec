/**
 * Live events (an execution finished, a credential expired, a trigger arrived) for whoever is
 * listening right now: the live tail, the webhook dispatcher, the MCP server. In process in
 * embedded mode (`events-memory.ts`), Redis pub/sub in cluster mode (`events-redis.ts`).
 *
 * Delivery is at most once per subscriber and only to subscribers present when the event is
 * published: nothing is stored. Whatever must survive a crash (webhook deliveries) goes through
 * the job queue, which the subscriber enqueues into.
 */
import { v7 as uuidv7 } from 'uuid'

/** An event as subscribers see it. */
export interface ToolplaneEvent {
  /** UUIDv7: unique, and ordered by creation time. */
  readonly id: string
  /** `execution.succeeded`, `credential.expired`, `trigger.github.push`, … */
  readonly type: string
  readonly workspaceId: string
  /** Milliseconds since the Unix epoch. */
  readonly at: number
  /** Anything JSON can carry; subscribers get a copy decoded from JSON, in both modes. */
  readonly data: unknown
}

/** An event to publish; `id` and `at` are filled in when absent. */
export interface EventToPublish {
  readonly type: string
  readonly workspaceId: string
  readonly data: unknown
  readonly id?: string
  readonly at?: number
}

/**
 * Which events a subscriber gets: a predicate, or a match on types and workspace (both must hold
 * when both are given). A type ending in `.*` matches every type under it (`trigger.*`); `*`
 * matches every type.
 */
export type EventFilter =
  ((event: ToolplaneEvent) => boolean) | { readonly types?: readonly string[]; readonly workspaceId?: string }

/** May be async; a thrown error or a rejection goes to the bus's `onError`, never further. */
export type EventHandler = (event: ToolplaneEvent) => void | Promise<void>

export type Unsubscribe = () => void

export interface EventBusErrorContext {
  /** `handler`/`filter`: a subscriber failed; `decode`: a malformed message; `connection`: Redis. */
  readonly during: 'handler' | 'filter' | 'decode' | 'connection'
  readonly event?: ToolplaneEvent
}

export type EventBusErrorReporter = (error: unknown, context: EventBusErrorContext) => void

export interface EventBus {
  /**
   * Sends an event to the matching subscribers of every node, this one included, once each.
   * Resolves with the event as sent once it is on its way; handlers run afterwards.
   */
  publish(event: EventToPublish): Promise<ToolplaneEvent>
  /** Calls `handler` for each later event that `filter` admits, until the returned function is called. */
  subscribe(filter: EventFilter, handler: EventHandler): Unsubscribe
  /**
   * Whether an event of this type in this workspace, published now, would reach any subscriber: a
   * publisher may skip building one that nobody wants. Always true where other nodes may listen.
   */
  wants(type: string, workspaceId: string): boolean
  /** Stops delivery and frees connections; `publish` rejects afterwards. */
  close(): Promise<void>
}

/**
 * Fills in `id` and `at` and checks what both buses need, returning the event and its JSON text.
 * Encoding here, in both modes, makes data that JSON cannot carry fail on a laptop the same way it
 * would fail in a cluster.
 *
 * @example
 * const { event, json } = prepareEvent({ type: 'execution.succeeded', workspaceId, data: { executionId } })
 */
export function prepareEvent(input: EventToPublish): { event: ToolplaneEvent; json: string } {
  const event = envelope(input)
  return { event, json: JSON.stringify(event) }
}

function envelope(input: EventToPublish): ToolplaneEvent {
  if (input.type === '') throw new TypeError('An event needs a type')
  if (input.workspaceId === '') throw new TypeError('An event needs a workspace id')
  return {
    id: input.id ?? uuidv7(),
    type: input.type,
    workspaceId: input.workspaceId,
    at: input.at ?? Date.now(),
    data: input.data,
  }
}

/**
 * {@link prepareEvent} for a bus whose subscribers are all in this process: `delivered` is the copy
 * they get, its `data` decoded from JSON only when a subscriber reads it. The data is encoded at once,
 * so data JSON cannot carry fails here as it would in a cluster; but most events reach only
 * subscribers that look at the type (the webhook dispatcher, for a workspace with no webhook), and
 * decoding every one of them cost as much as encoding.
 *
 * @example
 * const { event, delivered } = prepareLocalEvent({ type: 'execution.succeeded', workspaceId, data })
 */
export function prepareLocalEvent(input: EventToPublish): {
  event: ToolplaneEvent
  delivered: ToolplaneEvent
} {
  const event = envelope(input)
  const json = JSON.stringify(input.data) as string | undefined
  let decoded: { value: unknown } | undefined
  const delivered: ToolplaneEvent = {
    id: event.id,
    type: event.type,
    workspaceId: event.workspaceId,
    at: event.at,
    get data(): unknown {
      decoded ??= { value: json === undefined ? undefined : (JSON.parse(json) as unknown) }
      return decoded.value
    },
  }
  return { event, delivered }
}

/**
 * Reads an event back from its JSON text; throws when the text is not one.
 *
 * @example
 * const event = decodeEvent(message)
 */
export function decodeEvent(json: string): ToolplaneEvent {
  const value: unknown = JSON.parse(json)
  if (typeof value !== 'object' || value === null) throw new TypeError('An event must be a JSON object')
  const { id, type, workspaceId, at, data } = value as Record<string, unknown>
  if (typeof id !== 'string' || typeof type !== 'string' || typeof workspaceId !== 'string') {
    throw new TypeError('An event needs string id, type and workspaceId fields')
  }
  if (typeof at !== 'number') throw new TypeError('An event needs a numeric at field')
  return { id, type, workspaceId, at, data }
}

function typeMatches(pattern: string, type: string): boolean {
  if (pattern === '*') return true
  if (pattern.endsWith('.*')) return type.startsWith(pattern.slice(0, -1))
  return pattern === type
}

/**
 * Whether `filter` admits `event`.
 *
 * @example
 * eventMatches({ types: ['trigger.*'], workspaceId }, event)
 */
export function eventMatches(filter: EventFilter, event: ToolplaneEvent): boolean {
  if (typeof filter === 'function') return filter(event)
  if (filter.workspaceId !== undefined && filter.workspaceId !== event.workspaceId) return false
  return filter.types === undefined || filter.types.some((pattern) => typeMatches(pattern, event.type))
}

interface Subscription {
  readonly filter: EventFilter
  readonly handler: EventHandler
  active: boolean
}

export interface LocalSubscribers {
  add(filter: EventFilter, handler: EventHandler): Unsubscribe
  /**
   * Whether some subscriber's filter admits an event of this type and workspace. A predicate filter
   * is asked with the event's envelope and no data; one that throws is taken to want it.
   */
  wants(type: string, workspaceId: string): boolean
  /** Calls every matching handler; errors go to `onError`, never to the caller. */
  deliver(event: ToolplaneEvent): void
  /** Passes an error to `onError`, swallowing whatever `onError` itself throws. */
  report(error: unknown, context: EventBusErrorContext): void
  clear(): void
}

/**
 * The subscribers of one node and the delivery to them that both buses share: a failing filter
 * or handler is reported and skipped, and the others still get the event.
 *
 * @example
 * const subscribers = createLocalSubscribers(onError)
 * const unsubscribe = subscribers.add({ types: ['execution.*'] }, (event) => tail.write(event))
 * subscribers.deliver(event)
 */
export function createLocalSubscribers(onError: EventBusErrorReporter): LocalSubscribers {
  const subscriptions = new Set<Subscription>()

  function report(error: unknown, context: EventBusErrorContext): void {
    try {
      onError(error, context)
    } catch {
      // A failing reporter must not stop delivery to the other subscribers.
    }
  }

  return {
    add(filter, handler) {
      const subscription: Subscription = { filter, handler, active: true }
      subscriptions.add(subscription)
      return () => {
        subscription.active = false
        subscriptions.delete(subscription)
      }
    },
    wants(type, workspaceId) {
      if (subscriptions.size === 0) return false
      const probe: ToolplaneEvent = { id: '', type, workspaceId, at: Date.now(), data: undefined }
      for (const subscription of subscriptions) {
        try {
          if (eventMatches(subscription.filter, probe)) return true
        } catch {
          return true
        }
      }
      return false
    },
    deliver(event) {
      // A snapshot, so a handler that subscribes does not get the event it is handling; `active`,
      // so one that unsubscribes another stops that one at once.
      for (const subscription of [...subscriptions]) {
        if (!subscription.active) continue
        let matches: boolean
        try {
          matches = eventMatches(subscription.filter, event)
        } catch (error) {
          report(error, { during: 'filter', event })
          continue
        }
        if (!matches) continue
        try {
          const result = subscription.handler(event)
          if (result instanceof Promise) {
            result.catch((error: unknown) => {
              report(error, { during: 'handler', event })
            })
          }
        } catch (error) {
          report(error, { during: 'handler', event })
        }
      }
    },
    report,
    clear() {
      for (const subscription of subscriptions) subscription.active = false
      subscriptions.clear()
    },
  }
}
