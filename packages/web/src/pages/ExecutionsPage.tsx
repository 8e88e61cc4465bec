import { useLocation, useNavigate, useSearchParams } from 'react-router'
import { ExecutionDetail } from '../components/ExecutionDetail.js'
import { ExecutionLogsViewer, executionParam } from '../components/ExecutionLogsViewer.js'
import type { LogNavigationState } from '../components/ExecutionLogsViewer.js'
import { PageTitle } from '../components/PageTitle.js'

/**
 * The execution log: search, filters, live tail, and an execution's detail in a drawer
 * (`/executions?execution={id}`).
 */
export default function ExecutionsPage() {
  const [params] = useSearchParams()
  const location = useLocation()
  const navigate = useNavigate()
  const id = params.get(executionParam)
  const state = location.state as LogNavigationState | null

  const withoutDrawer = () => {
    const next = new URLSearchParams(params)
    next.delete(executionParam)
    return next.toString()
  }

  const close = () => {
    // Opened from the log: going Back leaves the list as it was (and Forward reopens the drawer).
    if (state?.fromLog === true) {
      void navigate(-1)
      return
    }
    const search = withoutDrawer()
    void navigate({ search: search === '' ? '' : `?${search}` }, { replace: true })
  }

  const open = (next: string) => {
    const search = new URLSearchParams(params)
    search.set(executionParam, next)
    const fromLog: LogNavigationState = { fromLog: state?.fromLog === true }
    void navigate({ search: `?${search.toString()}` }, { replace: true, state: fromLog })
  }

  return (
    <>
      <PageTitle title="Executions" />
      <p className="lede">
        Every run of an action, newest first. Search and filter them, follow new ones live, and open one to
        see its attempts, input, output and what to do about an error.
      </p>
      <ExecutionLogsViewer />
      <ExecutionDetail id={id} onClose={close} onOpen={open} search={withoutDrawer()} />
    </>
  )
}
