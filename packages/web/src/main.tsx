import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { createApiClient } from './api/client.js'
import { createQueryClient } from './api/query.js'
import { App } from './app/App.js'
import { browserThemeStore } from './theme/theme.js'
import './styles/tokens.css'
import './styles/app.css'

// The theme is applied before the first render, so the page never shows in the wrong colours.
const theme = browserThemeStore()
const root = document.getElementById('root')
if (root === null) throw new Error('index.html has no #root element')
createRoot(root).render(
  <StrictMode>
    <App api={createApiClient()} queryClient={createQueryClient()} theme={theme} />
  </StrictMode>,
)
