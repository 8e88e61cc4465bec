import { Link } from 'react-router'
import { PageTitle } from './PageTitle.js'

/**
 * The page for a tool address that names no tool in the workspace (the tool page and its action
 * pages): what was asked for, and the way back to the tool list.
 *
 * @example
 * if (hasStatus(tool.error, 404)) return <ToolNotFound slug={slug} />
 */
export function ToolNotFound({ slug }: { slug: string }) {
  return (
    <div className="narrow">
      <PageTitle title="Tool not found" />
      <p>
        There is no tool <code>{slug}</code> in this workspace. Check the address, or find the tool in the{' '}
        <Link to="/tools">tool list</Link>.
      </p>
    </div>
  )
}
