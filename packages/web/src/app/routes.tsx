import { lazy } from 'react'
import { Navigate, Route, Routes } from 'react-router'
import { homePath } from './paths.js'
import { RequireSession } from './RequireSession.js'
import { PageOutlet, Shell } from './Shell.js'

// Every page is its own chunk, loaded when first visited.
const SignInPage = lazy(() => import('../pages/SignInPage.js'))
const ToolsPage = lazy(() => import('../pages/ToolsPage.js'))
const ToolPage = lazy(() => import('../pages/ToolPage.js'))
const NotFoundPage = lazy(() => import('../pages/NotFoundPage.js'))

/**
 * The app's pages. Only pages that exist are routed (and linked); everything else is "not found".
 *
 * @example
 * <BrowserRouter><AppRoutes /></BrowserRouter>
 */
export function AppRoutes() {
  return (
    <Routes>
      <Route
        element={
          <Shell session={null}>
            <PageOutlet />
          </Shell>
        }
      >
        <Route path="sign-in" element={<SignInPage />} />
      </Route>
      <Route element={<RequireSession />}>
        <Route index element={<Navigate to={homePath} replace />} />
        <Route path="tools" element={<ToolsPage />} />
        <Route path="tools/:slug" element={<ToolPage />} />
        <Route path="*" element={<NotFoundPage />} />
      </Route>
    </Routes>
  )
}
