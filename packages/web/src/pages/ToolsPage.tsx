import { useTools } from '../api/tools.js'
import { PageTitle } from '../components/PageTitle.js'
import { ToolBrowser } from '../components/ToolBrowser.js'

/** The tool catalog: every tool this workspace can use, to search, filter and open. */
export default function ToolsPage() {
  const tools = useTools()
  return (
    <>
      <PageTitle title="Tools" />
      <p className="lede">
        The tools this workspace can run actions on: built in, added as plugins, or imported from an OpenAPI
        document. Open one to see how it authenticates and what it can do.
      </p>
      <ToolBrowser
        tools={tools.data}
        loading={tools.isPending}
        error={tools.error}
        onRetry={() => void tools.refetch()}
      />
    </>
  )
}
