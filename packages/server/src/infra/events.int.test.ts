// The event bus contract, run against both implementations, then what only the Redis bus can
// show: delivery across nodes, the channel, and its connection. (The contract lives here rather
// than in a shared module because the build ships every non-test file under src/ except
// src/testing.)
import { setTimeout as sleep } from 'node:timers/promises'
import { Redis } from 'ioredis'
import { validate as isUuid, version as uuidVersion } from 'uuid'
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createTestRedis } from '../testing/redis-env.js'
import type {
  EventBus,
  EventBusErrorContext,
  EventBusErrorReporter,
  EventFilter,
  ToolplaneEvent,
} from './events.js'
import { createMemoryEventBus } from './events-memory.js'
import { createRedisEventBus } from './events-redis.js'

const testRedis = createTestRedis()
afterAll(() => testRedis.cleanup())

const workspaceId = 'ws_1'

/** Subscribes and keeps what arrives; `until` waits for the nth event. */
function listen(bus: EventBus, filter: EventFilter = {}) {
  const received: ToolplaneEvent[] = []
  const unsubscribe = bus.subscribe(filter, (event) => {
    received.push(event)
  })
  return {
    received,
    unsubscribe,
    async until(count: number, timeoutMs = 5_000) {
      const deadline = Date.now() + timeoutMs
      while (received.length < count) {
        if (Date.now() > deadline) throw new Error(`Got ${received.length} of ${count} events`)
        await sleep(2)
      }
      return received
    },
  }
}

/**
 * Publishes a marker and waits until `listener` has it: events published before it have arrived
 * by then (one channel, one order), so what has not arrived is not coming.
 */
async function settle(bus: EventBus, listener: ReturnType<typeof listen>) {
  const marker = await bus.publish({ type: 'test.marker', workspaceId, data: null })
  const deadline = Date.now() + 5_000
  while (!listener.received.some((event) => event.id === marker.id)) {
    if (Date.now() > deadline) throw new Error('The marker never arrived')
    await sleep(2)
  }
}

const typesOf = (events: readonly ToolplaneEvent[]) =>
  events.map((event) => event.type).filter((type) => type !== 'test.marker')

function describeEventBusContract(
  implementation: string,
  createBus: (onError: EventBusErrorReporter) => Promise<EventBus>,
) {
  describe(`${implementation} event bus`, () => {
    let bus: EventBus
    let errors: { error: unknown; context: EventBusErrorContext }[]
    beforeEach(async () => {
      errors = []
      bus = await createBus((error, context) => errors.push({ error, context }))
    })
    afterEach(() => bus.close())

    it('delivers a published event with a UUIDv7 id and a timestamp', async () => {
      const listener = listen(bus)
      const before = Date.now()
      const published = await bus.publish({
        type: 'execution.succeeded',
        workspaceId,
        data: { executionId: 'ex_1' },
      })
      const [received] = await listener.until(1)
      expect(isUuid(published.id) && uuidVersion(published.id)).toBe(7)
      expect(published.at).toBeGreaterThanOrEqual(before)
      expect(published.at).toBeLessThanOrEqual(Date.now())
      expect(received).toEqual(published)
      expect(received).toEqual({
        id: published.id,
        type: 'execution.succeeded',
        workspaceId,
        at: published.at,
        data: { executionId: 'ex_1' },
      })
    })

    it('keeps an id and a time the publisher gives', async () => {
      const listener = listen(bus)
      await bus.publish({
        type: 'batch.completed',
        workspaceId,
        data: null,
        id: 'evt_given',
        at: 1_700_000_000_000,
      })
      const [received] = await listener.until(1)
      expect(received).toMatchObject({ id: 'evt_given', at: 1_700_000_000_000 })
    })

    it('gives each subscriber only the types and workspace it asked for', async () => {
      const everything = listen(bus)
      const executions = listen(bus, { types: ['execution.succeeded', 'execution.failed'] })
      const triggers = listen(bus, { types: ['trigger.*'] })
      const anyType = listen(bus, { types: ['*'], workspaceId: 'ws_2' })
      const otherFailures = listen(bus, { types: ['execution.failed'], workspaceId: 'ws_2' })
      const byPredicate = listen(bus, (event) => event.type.startsWith('credential.'))
      await bus.publish({ type: 'execution.succeeded', workspaceId, data: null })
      await bus.publish({ type: 'execution.failed', workspaceId: 'ws_2', data: null })
      await bus.publish({ type: 'trigger.github.push', workspaceId, data: null })
      await bus.publish({ type: 'triggered.not', workspaceId, data: null })
      await bus.publish({ type: 'credential.expired', workspaceId: 'ws_2', data: null })
      await settle(bus, everything)
      expect(typesOf(everything.received)).toEqual([
        'execution.succeeded',
        'execution.failed',
        'trigger.github.push',
        'triggered.not',
        'credential.expired',
      ])
      expect(typesOf(executions.received)).toEqual(['execution.succeeded', 'execution.failed'])
      expect(typesOf(triggers.received)).toEqual(['trigger.github.push'])
      expect(typesOf(anyType.received)).toEqual(['execution.failed', 'credential.expired'])
      expect(typesOf(otherFailures.received)).toEqual(['execution.failed'])
      expect(typesOf(byPredicate.received)).toEqual(['credential.expired'])
    })

    it('delivers each event once to each subscriber, in the order published', async () => {
      const first = listen(bus)
      const second = listen(bus)
      for (let n = 0; n < 20; n += 1) await bus.publish({ type: `test.${n}`, workspaceId, data: n })
      await settle(bus, first)
      await settle(bus, second)
      const expected = Array.from({ length: 20 }, (_, n) => `test.${n}`)
      expect(typesOf(first.received)).toEqual(expected)
      expect(typesOf(second.received)).toEqual(expected)
    })

    it('stops delivering to a subscriber that unsubscribed; unsubscribing twice is harmless', async () => {
      const staying = listen(bus)
      const leaving = listen(bus)
      await bus.publish({ type: 'test.before', workspaceId, data: null })
      await leaving.until(1)
      leaving.unsubscribe()
      leaving.unsubscribe()
      await bus.publish({ type: 'test.after', workspaceId, data: null })
      await settle(bus, staying)
      expect(typesOf(leaving.received)).toEqual(['test.before'])
      expect(typesOf(staying.received)).toEqual(['test.before', 'test.after'])
    })

    it('stops a subscriber at once when another handler of the same event unsubscribes it', async () => {
      let unsubscribeSecond = () => {}
      bus.subscribe({}, () => {
        unsubscribeSecond()
      })
      const second = listen(bus)
      unsubscribeSecond = second.unsubscribe
      const witness = listen(bus)
      await bus.publish({ type: 'test.one', workspaceId, data: null })
      await settle(bus, witness)
      expect(second.received).toEqual([])
    })

    it('reports failing handlers and filters through onError, and still delivers to the others', async () => {
      const broken = new Error('handler broke')
      const rejected = new Error('async handler broke')
      const badFilter = new Error('filter broke')
      bus.subscribe({}, () => {
        throw broken
      })
      bus.subscribe({}, async () => {
        await sleep(1)
        throw rejected
      })
      bus.subscribe(
        () => {
          throw badFilter
        },
        () => {},
      )
      const healthy = listen(bus)
      const published = await bus.publish({ type: 'execution.failed', workspaceId, data: null })
      await settle(bus, healthy)
      await sleep(20) // the async handler's rejection
      expect(typesOf(healthy.received)).toEqual(['execution.failed'])
      const about = (error: Error) =>
        errors.filter((entry) => entry.error === error && entry.context.event?.id === published.id)
      expect(about(broken).map((entry) => entry.context.during)).toEqual(['handler'])
      expect(about(rejected).map((entry) => entry.context.during)).toEqual(['handler'])
      expect(about(badFilter).map((entry) => entry.context.during)).toEqual(['filter'])
    })

    it('delivers a JSON copy of the data, never the publisher’s object', async () => {
      const listener = listen(bus)
      const data = { when: new Date(0), nested: { list: [1, 'two'] }, dropped: undefined }
      await bus.publish({ type: 'test.copy', workspaceId, data })
      const [received] = await listener.until(1)
      expect(received?.data).toEqual({ when: '1970-01-01T00:00:00.000Z', nested: { list: [1, 'two'] } })
      expect(received?.data).not.toBe(data)
    })

    it('refuses an event without a type or workspace, or with data JSON cannot carry', async () => {
      await expect(bus.publish({ type: '', workspaceId, data: null })).rejects.toThrow(/type/)
      await expect(bus.publish({ type: 'test.x', workspaceId: '', data: null })).rejects.toThrow(/workspace/)
      await expect(bus.publish({ type: 'test.x', workspaceId, data: { count: 1n } })).rejects.toThrow(
        TypeError,
      )
    })

    it('refuses to publish once closed, and delivers nothing more; closing twice is harmless', async () => {
      const listener = listen(bus)
      await bus.close()
      await bus.close()
      await expect(bus.publish({ type: 'test.late', workspaceId, data: null })).rejects.toThrow(/closed/)
      await sleep(20)
      expect(listener.received).toEqual([])
    })
  })
}

describeEventBusContract('memory', (onError) => Promise.resolve(createMemoryEventBus({ onError })))

describe('Redis', () => {
  const node = testRedis.connect()
  describeEventBusContract('Redis', (onError) =>
    createRedisEventBus({ redis: node, prefix: testRedis.prefix, onError }),
  )
})

describe('Redis event bus across nodes', () => {
  const nodeA = testRedis.connect()
  const nodeB = testRedis.connect()
  const { prefix } = testRedis
  const errors: unknown[] = []
  const onError = (error: unknown) => {
    errors.push(error)
  }
  const buses: EventBus[] = []
  afterEach(async () => {
    await Promise.all(buses.map((bus) => bus.close()))
    buses.length = 0
    errors.length = 0
  })
  async function busOn(redis: Redis, options: { prefix?: string } = {}) {
    const bus = await createRedisEventBus({ redis, prefix: options.prefix ?? prefix, onError })
    buses.push(bus)
    return bus
  }

  it('delivers an event published on node A once to each subscriber on node A and on node B', async () => {
    const busA = await busOn(nodeA)
    const busB = await busOn(nodeB)
    const onA = listen(busA, { types: ['execution.*'] })
    const onB = listen(busB, { types: ['execution.*'] })
    const alsoOnB = listen(busB, { workspaceId })
    const markerWatchA = listen(busA, { types: ['test.marker'] })
    const markerWatchB = listen(busB, { types: ['test.marker'] })
    const published = await busA.publish({
      type: 'execution.succeeded',
      workspaceId,
      data: { executionId: 'ex_1' },
    })
    await settle(busA, markerWatchA)
    const marker = markerWatchA.received[0]
    await markerWatchB.until(1)
    expect(marker?.id).toBe(markerWatchB.received[0]?.id)
    expect(onA.received).toEqual([published])
    expect(onB.received).toEqual([published])
    expect(typesOf(alsoOnB.received)).toEqual(['execution.succeeded'])
    expect(errors).toEqual([])
  })

  it('publishes on <prefix>events with one listening connection per node, closed by close()', async () => {
    const channel = `${prefix}events`
    const busA = await busOn(nodeA)
    await busOn(nodeB)
    const [, listeners] = (await nodeA.pubsub('NUMSUB', channel)) as [string, number]
    expect(listeners).toBe(2)
    await busA.close()
    const [, afterClose] = (await nodeA.pubsub('NUMSUB', channel)) as [string, number]
    expect(afterClose).toBe(1)
  })

  it('keeps nodes with different prefixes apart', async () => {
    const busA = await busOn(nodeA)
    const elsewhere = await busOn(nodeB, { prefix: `${prefix}other:` })
    const stranger = listen(elsewhere)
    const local = listen(busA)
    await busA.publish({ type: 'test.here', workspaceId, data: null })
    await settle(busA, local)
    expect(stranger.received).toEqual([])
  })

  it('reports a malformed message on the channel and goes on delivering', async () => {
    const bus = await busOn(nodeA)
    const listener = listen(bus)
    await nodeB.publish(`${prefix}events`, 'not json')
    await nodeB.publish(`${prefix}events`, JSON.stringify({ id: 'x', type: 'test.x', workspaceId }))
    await nodeB.publish(`${prefix}events`, JSON.stringify(['an array']))
    await nodeB.publish(`${prefix}events`, 'null')
    await nodeB.publish(`${prefix}events`, JSON.stringify({ id: 1, type: 'test.x', workspaceId, at: 1 }))
    await settle(bus, listener)
    expect(typesOf(listener.received)).toEqual([])
    expect(errors).toHaveLength(5)
  })

  it('fails to start, and reports why, when Redis cannot be reached', async () => {
    // Port 1 on loopback: nothing listens, the connection is refused at once.
    const unreachable = new Redis({
      host: '127.0.0.1',
      port: 1,
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    })
    await expect(createRedisEventBus({ redis: unreachable, prefix, onError })).rejects.toThrow()
    expect(errors.length).toBeGreaterThan(0)
  })
})
