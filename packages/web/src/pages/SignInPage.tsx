import { useQueryClient } from '@tanstack/react-query'
import type { SyntheticEvent } from 'react'
import { Button, FieldError, Form, Input, Label, TextField } from 'react-aria-components'
import { Navigate, useNavigate, useSearchParams } from 'react-router'
import { isApiError } from '../api/client.js'
import { sessionKey } from '../api/query.js'
import { useSignIn } from '../api/session.js'
import type { Session } from '../api/session.js'
import { safeNext } from '../app/paths.js'
import { ApiErrorDisplay } from '../components/ErrorHandler.js'
import { PageTitle } from '../components/PageTitle.js'

/** Field errors of a refused sign-in, by field name (`/body/email` → `email`). */
function fieldErrors(error: unknown): Record<string, string> {
  if (!isApiError(error)) return {}
  const errors: Record<string, string> = {}
  for (const field of error.errors) {
    const name = field.path.replace(/^\/body\//, '')
    if (name === 'email' || name === 'password') errors[name] = `This ${name} ${field.message}.`
  }
  return errors
}

function text(value: FormDataEntryValue | null): string {
  return typeof value === 'string' ? value : ''
}

/**
 * Sign-in with email and password. Afterwards the user goes back to where they were sent from
 * (`?next=`), or to the tools.
 */
export default function SignInPage() {
  const [params] = useSearchParams()
  const next = safeNext(params.get('next'))
  const navigate = useNavigate()
  const signIn = useSignIn()
  // Signed in already (the app linked here): go on. A session that has since failed (ended) does not count.
  const known = useQueryClient().getQueryState<Session>(sessionKey)
  if (known?.status === 'success' && !signIn.isSuccess) return <Navigate to={next} replace />

  const onSubmit = (event: SyntheticEvent<HTMLFormElement>) => {
    event.preventDefault()
    const form = new FormData(event.currentTarget)
    signIn.mutate(
      { email: text(form.get('email')).trim(), password: text(form.get('password')) },
      { onSuccess: () => void navigate(next, { replace: true }) },
    )
  }

  return (
    <div className="narrow">
      <PageTitle title="Sign in" />
      <p className="lede">Sign in to your Toolplane workspace.</p>
      {signIn.error !== null && <ApiErrorDisplay error={signIn.error} title="Could not sign in" />}
      <Form className="form" onSubmit={onSubmit} validationErrors={fieldErrors(signIn.error)}>
        <TextField className="field" name="email" type="email" autoComplete="username" isRequired>
          <Label className="field-label">Email</Label>
          <Input className="input" />
          <FieldError className="field-error" />
        </TextField>
        <TextField
          className="field"
          name="password"
          type="password"
          autoComplete="current-password"
          isRequired
        >
          <Label className="field-label">Password</Label>
          <Input className="input" />
          <FieldError className="field-error" />
        </TextField>
        <div className="button-row">
          <Button className="button button-primary" type="submit" isPending={signIn.isPending}>
            {signIn.isPending ? 'Signing in…' : 'Sign in'}
          </Button>
        </div>
      </Form>
      <p className="hint">
        No password yet? The first start of Toolplane prints a one-time sign-in link for the workspace owner;
        an owner can make another with <code>toolplane admin sign-in-link</code>.
      </p>
    </div>
  )
}
