import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { LoadTarget } from './load.js'
import { createLoadPool, LatencyRecorder, runClosedLoop, runOpenLoop, summarizeLatencies } from './load.js'

describe('summarizeLatencies', () => {
  it('takes nearest-rank percentiles whatever the input order', () => {
    const values = Float64Array.from({ length: 100 }, (_, i) => 100 - i)
    const summary = summarizeLatencies(values)
    expect(summary).toMatchObject({ count: 100, p50: 50, p95: 95, p99: 99, max: 100, mean: 50.5 })
    expect(values[0]).toBe(100)
  })

  it('says NaN, not zero, for an empty run', () => {
    expect(summarizeLatencies(new Float64Array(0)).p99).toBeNaN()
  })
})

describe('LatencyRecorder', () => {
  it('keeps every value past its initial capacity', () => {
    const recorder = new LatencyRecorder()
    for (let i = 1; i <= 200_000; i++) recorder.add(i)
    expect(recorder.count).toBe(200_000)
    expect(recorder.summary()).toMatchObject({ p50: 100_000, max: 200_000 })
  })
})

describe('load generator against a local server', () => {
  let server: http.Server
  let origin: string
  let answered = 0

  beforeAll(async () => {
    // Every third request fails, so errors must be counted apart from successes.
    server = http.createServer((request, response) => {
      answered++
      request.resume()
      const failing = answered % 3 === 0
      response.writeHead(failing ? 500 : 200, { 'content-type': 'application/json' })
      response.end(JSON.stringify({ ok: !failing }))
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    origin = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`
  })
  afterAll(async () => {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })

  const target = (): LoadTarget => ({
    origin,
    request: { method: 'GET', path: '/' },
    check: (status) => status === 200,
  })

  it('closed loop: counts successes and failures of answers inside the window', async () => {
    const pool = createLoadPool(origin, 4)
    try {
      const result = await runClosedLoop(pool, target(), { connections: 4, durationMs: 300 })
      expect(result.sent).toBeGreaterThan(30)
      expect(result.succeeded + result.errors).toBe(result.sent)
      expect(result.errors / result.sent).toBeCloseTo(1 / 3, 1)
      expect(result.errorSamples[0]).toMatch(/^HTTP 500/)
      expect(result.latency.count).toBe(result.succeeded)
    } finally {
      await pool.destroy()
    }
  })

  it('open loop: sends the scheduled number of requests at the rate', async () => {
    const pool = createLoadPool(origin, 4)
    try {
      const result = await runOpenLoop(pool, target(), { rate: 200, durationMs: 500 })
      expect(result.sent).toBe(100)
      expect(result.succeeded + result.errors).toBe(100)
      expect(result.endedAt - result.startedAt).toBeGreaterThanOrEqual(495)
      expect(result.sendLag?.count).toBe(100)
    } finally {
      await pool.destroy()
    }
  })

  it('counts a refused connection as an error instead of failing the run', async () => {
    const closed = http.createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const closedOrigin = `http://127.0.0.1:${String((closed.address() as AddressInfo).port)}`
    await new Promise((resolve) => closed.close(resolve))
    const pool = createLoadPool(closedOrigin, 1)
    try {
      const result = await runOpenLoop(
        pool,
        { ...target(), origin: closedOrigin },
        { rate: 100, durationMs: 50 },
      )
      expect(result.sent).toBe(5)
      expect(result.errors).toBe(5)
      expect(result.errorSamples.join()).toMatch(/ECONNREFUSED/)
    } finally {
      await pool.destroy()
    }
  })
})
