import type { FastifyBaseLogger } from 'fastify'
import type { Clock } from '../auth/context.js'
import type { CredentialStore } from './store.js'

/** How far ahead the sweep refreshes idle OAuth tokens: before providers expire or revoke them. */
export const sweepRefreshAheadMs = 15 * 60_000

/**
 * One pass of the periodic credential sweep: checks credentials not checked within `intervalMs`
 * (which also refreshes their OAuth tokens when they expire soon) and refreshes idle tokens that
 * would expire before the next pass. Returns how many were checked.
 *
 * @example
 * await sweepCredentials({ store, clock, check, intervalMs: 6 * 3_600_000, log })
 */
export async function sweepCredentials(deps: {
  store: CredentialStore
  clock: Clock
  intervalMs: number
  check: (workspaceId: string, credentialId: string) => Promise<unknown>
  log: FastifyBaseLogger
  batchSize?: number
}): Promise<number> {
  const now = deps.clock()
  const batchSize = deps.batchSize ?? 100
  const seen = new Set<string>()
  let checked = 0
  // Batch after batch until none is due; a credential whose check fails is not retried this pass.
  for (;;) {
    const due = (
      await deps.store.dueForSweep(
        now - deps.intervalMs,
        now + deps.intervalMs + sweepRefreshAheadMs,
        batchSize + seen.size,
      )
    ).filter((row) => !seen.has(row.id))
    if (due.length === 0) break
    for (const { id, workspace_id: workspaceId } of due.slice(0, batchSize)) {
      seen.add(id)
      try {
        await deps.check(workspaceId, id)
        checked++
      } catch (error) {
        deps.log.warn({ err: error, credentialId: id }, 'credential sweep could not check a credential')
      }
    }
  }
  return checked
}

/** Runs the sweep every `intervalMs` (unref'd, so it never keeps the process alive); returns a stop function. */
export function startCredentialSweep(
  run: () => Promise<number>,
  intervalMs: number,
  log: FastifyBaseLogger,
): () => void {
  let running = false
  const timer = setInterval(() => {
    if (running) return
    running = true
    run()
      .then((checked) => {
        if (checked > 0) log.info({ checked }, 'credential sweep checked credentials')
      })
      .catch((error: unknown) => {
        log.warn({ err: error }, 'credential sweep failed')
      })
      .finally(() => {
        running = false
      })
  }, intervalMs)
  timer.unref()
  return () => {
    clearInterval(timer)
  }
}
