import { Type } from 'typebox'
import type { App } from '../http/app-types.js'
import { callerOf } from '../http/authentication.js'
import { problemRef } from '../http/schemas.js'
import { periodPatternSource } from './service.js'
import type { UsageService } from './service.js'

const period = { pattern: periodPatternSource, examples: ['2026-01'] }

const UsageSchema = Type.Object(
  {
    period: Type.String({ ...period, description: 'The UTC calendar month, `YYYY-MM`.' }),
    periodStart: Type.String({ format: 'date-time', description: 'The first instant of the period.' }),
    periodEnd: Type.String({
      format: 'date-time',
      description: 'The first instant after the period, when the count starts again.',
    }),
    quota: Type.Union([Type.Integer(), Type.Null()], {
      description: 'Executions allowed per month: the workspace’s quota now. Null means unlimited.',
    }),
    used: Type.Integer({ description: 'Executions admitted in the period.' }),
    remaining: Type.Union([Type.Integer(), Type.Null()], {
      description: 'Executions left in the period; null when unlimited.',
    }),
    byTool: Type.Array(Type.Object({ tool: Type.String(), executions: Type.Integer() }), {
      description: 'Executions per tool, most first.',
    }),
  },
  { $id: 'Usage', title: 'Usage' },
)

export function registerUsageRoutes(app: App, deps: { usage: UsageService }): void {
  const { usage } = deps
  app.addSchema(UsageSchema)

  app.get(
    '/v1/usage',
    {
      config: { auth: { scope: null } },
      schema: {
        tags: ['workspace'],
        summary: 'Executions used against the monthly quota',
        description:
          'The workspace’s executions this month (UTC), its quota and what remains, and the count per tool. `period` reads a past month.',
        querystring: Type.Object({
          period: Type.Optional(
            Type.String({ ...period, description: 'A month, `YYYY-MM`; this month by default.' }),
          ),
        }),
        response: { 200: Type.Ref('Usage'), 400: problemRef },
      },
    },
    async (request) => {
      const { workspaceId } = callerOf(request)
      const { period } = request.query
      return period === undefined ? usage.usage(workspaceId) : usage.usageInPeriod(workspaceId, period)
    },
  )
}
