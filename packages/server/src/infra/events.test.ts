import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import { createLocalSubscribers, eventMatches, prepareLocalEvent } from './events.js'
import type { ToolplaneEvent } from './events.js'
import { createMemoryEventBus } from './events-memory.js'

const event = (type: string, workspaceId = 'ws_1'): ToolplaneEvent => ({
  id: 'evt_1',
  type,
  workspaceId,
  at: 0,
  data: null,
})

describe('eventMatches', () => {
  it('matches types exactly, by a `.*` prefix, or all with `*`', () => {
    expect(eventMatches({ types: ['execution.failed'] }, event('execution.failed'))).toBe(true)
    expect(eventMatches({ types: ['execution.failed'] }, event('execution.failed.twice'))).toBe(false)
    expect(eventMatches({ types: ['trigger.*'] }, event('trigger.stripe.charge.succeeded'))).toBe(true)
    expect(eventMatches({ types: ['trigger.*'] }, event('trigger'))).toBe(false)
    expect(eventMatches({ types: ['*'] }, event('anything'))).toBe(true)
    expect(eventMatches({ types: [] }, event('anything'))).toBe(false)
    expect(eventMatches({}, event('anything'))).toBe(true)
  })

  it('requires the workspace when the filter names one', () => {
    expect(eventMatches({ workspaceId: 'ws_1' }, event('x', 'ws_1'))).toBe(true)
    expect(eventMatches({ workspaceId: 'ws_1', types: ['x'] }, event('x', 'ws_2'))).toBe(false)
  })
})

describe('memory event bus', () => {
  it('drops events not yet delivered when it is closed', async () => {
    const bus = createMemoryEventBus({ onError: () => {} })
    const received: ToolplaneEvent[] = []
    bus.subscribe({}, (delivered) => {
      received.push(delivered)
    })
    const published = bus.publish({ type: 'test.x', workspaceId: 'ws_1', data: null })
    await bus.close()
    await expect(published).resolves.toMatchObject({ type: 'test.x' })
    await sleep(10)
    expect(received).toEqual([])
  })
})

describe('wants', () => {
  it('says whether a subscriber of this node would get the event', () => {
    const bus = createMemoryEventBus({ onError: () => {} })
    expect(bus.wants('execution.succeeded', 'ws_1')).toBe(false)
    const stop = bus.subscribe({ types: ['execution.*'], workspaceId: 'ws_1' }, () => undefined)
    expect(bus.wants('execution.succeeded', 'ws_1')).toBe(true)
    expect(bus.wants('execution.succeeded', 'ws_2')).toBe(false)
    expect(bus.wants('batch.completed', 'ws_1')).toBe(false)
    stop()
    expect(bus.wants('execution.succeeded', 'ws_1')).toBe(false)
    // A predicate sees the envelope without data; one that throws is taken to want the event.
    bus.subscribe(
      (e) => e.type === 'batch.completed' && e.data === undefined,
      () => undefined,
    )
    expect(bus.wants('batch.completed', 'ws_9')).toBe(true)
    bus.subscribe(
      (e) => (e.data as { n: number }).n > 1,
      () => undefined,
    )
    expect(bus.wants('anything', 'ws_9')).toBe(true)
    void bus.close()
    expect(bus.wants('batch.completed', 'ws_9')).toBe(false)
  })
})

describe('prepareLocalEvent', () => {
  it('encodes the data at once and decodes one copy when it is first read', () => {
    const data = { n: 1, when: new Date(0) }
    const { event, delivered } = prepareLocalEvent({ type: 'test.x', workspaceId: 'ws_1', data })
    expect(event.data).toBe(data)
    // Changed after publishing: subscribers still see the data as it was published.
    data.n = 2
    expect(delivered.data).toEqual({ n: 1, when: '1970-01-01T00:00:00.000Z' })
    expect(delivered.data).toBe(delivered.data)
    expect(delivered).toMatchObject({ id: event.id, type: 'test.x', workspaceId: 'ws_1', at: event.at })
    expect(prepareLocalEvent({ type: 'test.x', workspaceId: 'ws_1', data: undefined }).delivered.data).toBe(
      undefined,
    )
    expect(() => prepareLocalEvent({ type: 'test.x', workspaceId: 'ws_1', data: { big: 1n } })).toThrow(
      TypeError,
    )
  })
})

describe('local subscribers', () => {
  it('go on delivering when the error reporter itself throws', () => {
    const subscribers = createLocalSubscribers(() => {
      throw new Error('the reporter is broken too')
    })
    const received: string[] = []
    subscribers.add({}, () => {
      throw new Error('handler broke')
    })
    subscribers.add({}, (delivered) => {
      received.push(delivered.type)
    })
    subscribers.deliver(event('test.x'))
    expect(received).toEqual(['test.x'])
  })
})
