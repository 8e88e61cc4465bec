/**
 * A readiness check throws (or rejects) when its dependency is not usable. It may instead return a
 * warning: something an operator should see that does not make the node unfit for traffic (a
 * refused extra plugin, say).
 */
// A check that finds nothing wrong returns nothing, hence `void` in the union.
// eslint-disable-next-line @typescript-eslint/no-invalid-void-type
export type ReadinessCheck = () => Promise<void | { warning: string }>

export interface CheckResult {
  readonly status: 'ok' | 'fail'
  readonly durationMs: number
  readonly error?: string
  readonly warning?: string
}

export interface ReadinessReport {
  readonly status: 'ok' | 'fail'
  readonly checks: Record<string, CheckResult>
}

const checkTimeoutMs = 2_000

/**
 * One check per dependency. The database registers at start-up; Redis, the queue and the plugin
 * loader register theirs when they exist. `/readyz` runs them all in parallel, each with a timeout.
 *
 * @example
 * readiness.register('database', () => database.ping())
 */
export function createReadiness() {
  const checks = new Map<string, ReadinessCheck>()

  async function runOne(check: ReadinessCheck): Promise<CheckResult> {
    const started = performance.now()
    let timer: NodeJS.Timeout | undefined
    try {
      const outcome = await Promise.race([
        check(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            reject(new Error(`no answer within ${checkTimeoutMs} ms`))
          }, checkTimeoutMs)
        }),
      ])
      const durationMs = Math.round(performance.now() - started)
      return outcome === undefined
        ? { status: 'ok', durationMs }
        : { status: 'ok', durationMs, warning: outcome.warning }
    } catch (error) {
      return {
        status: 'fail',
        durationMs: Math.round(performance.now() - started),
        error: error instanceof Error ? error.message : String(error),
      }
    } finally {
      clearTimeout(timer)
    }
  }

  return {
    register(name: string, check: ReadinessCheck): void {
      if (checks.has(name)) throw new Error(`readiness check "${name}" is already registered`)
      checks.set(name, check)
    },

    async run(): Promise<ReadinessReport> {
      const entries = await Promise.all(
        [...checks].map(async ([name, check]) => [name, await runOne(check)] as const),
      )
      const results = Object.fromEntries(entries)
      const status = entries.every(([, result]) => result.status === 'ok') ? 'ok' : 'fail'
      return { status, checks: results }
    },
  }
}

export type Readiness = ReturnType<typeof createReadiness>
