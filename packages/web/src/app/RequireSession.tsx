import { Navigate, useLocation } from 'react-router'
import { hasStatus } from '../api/client.js'
import { useSession } from '../api/session.js'
import { ApiErrorDisplay } from '../components/ErrorHandler.js'
import { PageSkeleton } from '../components/Skeleton.js'
import { signInPath } from './paths.js'
import { PageOutlet, Shell } from './Shell.js'

/**
 * The signed-in part of the app: asks the server who is signed in (`GET /v1/me`), sends a visitor
 * who is not to the sign-in page (which brings them back here after), and shows the signed-in frame.
 * Pages read the session with `useSession()`, answered from the cache. A session that ends later (a
 * 401 from any request) ends up here too.
 *
 * @example
 * <Route element={<RequireSession />}><Route path="tools" element={<ToolsPage />} /></Route>
 */
export function RequireSession() {
  const session = useSession()
  const location = useLocation()
  if (hasStatus(session.error, 401)) return <Navigate to={signInPath(location)} replace />
  if (session.data !== undefined) {
    return (
      <Shell session={session.data}>
        <PageOutlet />
      </Shell>
    )
  }
  return (
    <Shell session={null}>
      {session.error === null ? (
        <PageSkeleton label="Checking your session…" />
      ) : (
        <ApiErrorDisplay error={session.error} onRetry={() => void session.refetch()} />
      )}
    </Shell>
  )
}
