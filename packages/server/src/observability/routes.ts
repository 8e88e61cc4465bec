import { Type } from 'typebox'
import type { App } from '../http/app-types.js'
import type { Metrics } from './metrics.js'
import type { Readiness } from './readiness.js'

const CheckResult = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('fail')]),
  durationMs: Type.Integer(),
  error: Type.Optional(Type.String()),
  warning: Type.Optional(
    Type.String({ description: 'Something to look at that does not make the node unready.' }),
  ),
})

const ReadinessReport = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('fail')]),
  checks: Type.Record(Type.String(), CheckResult),
})

export function registerObservabilityRoutes(
  app: App,
  deps: { readiness: Readiness; metrics: Metrics },
): void {
  const { readiness, metrics } = deps

  app.get(
    '/livez',
    {
      schema: {
        tags: ['operations'],
        summary: 'Liveness',
        description: 'Answers 200 while the process runs; checks no dependency.',
        response: { 200: Type.Object({ status: Type.Literal('ok') }) },
      },
    },
    () => ({ status: 'ok' as const }),
  )

  app.get(
    '/readyz',
    {
      schema: {
        tags: ['operations'],
        summary: 'Readiness',
        description: 'One check per dependency; 200 when all pass, 503 when any fails.',
        response: { 200: ReadinessReport, 503: ReadinessReport },
      },
    },
    async (_request, reply) => {
      const report = await readiness.run()
      return reply.code(report.status === 'ok' ? 200 : 503).send(report)
    },
  )

  app.get(
    '/metrics',
    {
      schema: {
        tags: ['operations'],
        summary: 'Prometheus metrics',
        description: 'Prometheus text exposition: process metrics and `toolplane_*` metrics.',
        produces: ['text/plain'],
      },
    },
    async (_request, reply) => {
      const body = await metrics.registry.metrics()
      return reply.type(metrics.registry.contentType).send(body)
    },
  )
}
