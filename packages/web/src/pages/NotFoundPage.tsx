import { Link, useLocation } from 'react-router'
import { PageTitle } from '../components/PageTitle.js'

/** An address the app has no page for. */
export default function NotFoundPage() {
  const location = useLocation()
  return (
    <div className="narrow">
      <PageTitle title="Page not found" />
      <p>
        There is no page at <code>{location.pathname}</code>. Check the address, or go to the{' '}
        <Link to="/tools">tools</Link>.
      </p>
    </div>
  )
}
