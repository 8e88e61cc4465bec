import { lazy } from 'react'
import { Navigate, Route, Routes } from 'react-router'
import { homePath } from './paths.js'
import { RequireSession } from './RequireSession.js'
import { PageOutlet, Shell } from './Shell.js'

// Every page is its own chunk, loaded when first visited.
const SignInPage = lazy(() => import('../pages/SignInPage.js'))
const ToolsPage = lazy(() => import('../pages/ToolsPage.js'))
const ToolPage = lazy(() => import('../pages/ToolPage.js'))
const ActionPage = lazy(() => import('../pages/ActionPage.js'))
const CredentialsPage = lazy(() => import('../pages/CredentialsPage.js'))
const CredentialPage = lazy(() => import('../pages/CredentialPage.js'))
const ExecutionsPage = lazy(() => import('../pages/ExecutionsPage.js'))
const BatchesPage = lazy(() => import('../pages/BatchesPage.js'))
const BatchPage = lazy(() => import('../pages/BatchPage.js'))
const WebhooksPage = lazy(() => import('../pages/WebhooksPage.js'))
const WebhookPage = lazy(() => import('../pages/WebhookPage.js'))
const UsagePage = lazy(() => import('../pages/UsagePage.js'))
const ApiKeysPage = lazy(() => import('../pages/ApiKeysPage.js'))
const SettingsPage = lazy(() => import('../pages/SettingsPage.js'))
const NotFoundPage = lazy(() => import('../pages/NotFoundPage.js'))

/**
 * The app's pages; any other address is "not found".
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
        <Route path="tools/:slug/actions/:action" element={<ActionPage />} />
        <Route path="credentials" element={<CredentialsPage />} />
        <Route path="credentials/:id" element={<CredentialPage />} />
        <Route path="executions" element={<ExecutionsPage />} />
        <Route path="batches" element={<BatchesPage />} />
        <Route path="batches/:id" element={<BatchPage />} />
        <Route path="webhooks" element={<WebhooksPage />} />
        <Route path="webhooks/:id" element={<WebhookPage />} />
        <Route path="usage" element={<UsagePage />} />
        <Route path="api-keys" element={<ApiKeysPage />} />
        <Route path="settings" element={<SettingsPage />} />
        <Route path="*" element={<NotFoundPage />} />
      </Route>
    </Routes>
  )
}
