import { Suspense } from 'react'
import type { MouseEvent, ReactNode } from 'react'
import { Button } from 'react-aria-components'
import { Link, NavLink, Outlet, useLocation, useNavigate } from 'react-router'
import type { Session } from '../api/session.js'
import { useSignOut } from '../api/session.js'
import { ErrorHandler } from '../components/ErrorHandler.js'
import { PageSkeleton } from '../components/Skeleton.js'
import { ThemeControl } from '../theme/ThemeControl.js'

/** The main navigation, in the order of a user's work: find a tool, connect it, run it, watch it. */
const navigation = [
  ['/tools', 'Tools'],
  ['/credentials', 'Credentials'],
  ['/executions', 'Executions'],
  ['/batches', 'Batches'],
  ['/webhooks', 'Webhooks'],
  ['/usage', 'Usage'],
  ['/api-keys', 'API keys'],
  ['/settings', 'Settings'],
] as const

function skipToMain(event: MouseEvent<HTMLAnchorElement>) {
  const main = document.getElementById('main')
  if (main === null) return
  // Focus the content without adding `#main` to the address (the router would treat it as a navigation).
  event.preventDefault()
  main.focus()
  main.scrollIntoView()
}

function Account({ session }: { session: Session }) {
  const navigate = useNavigate()
  const signOut = useSignOut(() => {
    void navigate('/sign-in', { replace: true })
  })
  const who = session.principal.type === 'user' ? session.principal.email : session.principal.name
  return (
    <div className="account">
      <p className="account-who">
        <span className="account-name">{who}</span>
        <span className="account-workspace">{session.workspace.name}</span>
      </p>
      <Button
        className="button button-quiet"
        isPending={signOut.isPending}
        onPress={() => {
          signOut.mutate()
        }}
      >
        Sign out
      </Button>
    </div>
  )
}

/**
 * The frame of every page: a skip link, the banner with the navigation, theme control and account,
 * and the main region. Signed out (`session` null) it has no navigation or account.
 *
 * @example
 * <Shell session={session}><PageOutlet /></Shell>
 */
export function Shell({ session, children }: { session: Session | null; children: ReactNode }) {
  return (
    <div className="app">
      <a className="skip-link" href="#main" onClick={skipToMain}>
        Skip to main content
      </a>
      <header className="app-header">
        <div className="app-header-bar">
          {session === null ? (
            <span className="brand">Toolplane</span>
          ) : (
            <Link className="brand" to="/tools">
              Toolplane
            </Link>
          )}
          {session !== null && (
            <nav className="main-nav" aria-label="Main">
              <ul>
                {navigation.map(([to, label]) => (
                  <li key={to}>
                    <NavLink to={to}>{label}</NavLink>
                  </li>
                ))}
              </ul>
            </nav>
          )}
          <div className="header-end">
            <ThemeControl />
            {session !== null && <Account session={session} />}
          </div>
        </div>
      </header>
      <main id="main" className="app-main" tabIndex={-1}>
        {children}
      </main>
    </div>
  )
}

/**
 * Where the current route's page renders: loaded on demand behind a skeleton, and caught by the error
 * boundary, which clears itself when the user goes to another page.
 */
export function PageOutlet() {
  const location = useLocation()
  return (
    <ErrorHandler resetKeys={[location.pathname]}>
      <Suspense fallback={<PageSkeleton />}>
        <Outlet />
      </Suspense>
    </ErrorHandler>
  )
}
