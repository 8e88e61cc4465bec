import { screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it, vi } from 'vitest'
import type { DiagnosticCheck, Diagnosis } from '../api/credentials.js'
import type { Tool } from '../api/tools.js'
import { fakeServer, json, problem, renderWithApp } from '../testing/render.js'
import { fullTool } from '../testing/tools.js'
import { CredentialTroubleshooter, fixFor } from './CredentialTroubleshooter.js'

const httpTool: Tool = fullTool({
  slug: 'http',
  name: 'HTTP',
  authMethods: [
    {
      id: 'bearer',
      kind: 'bearer',
      title: 'Bearer token',
      fields: { type: 'object', properties: { token: { type: 'string' } }, required: ['token'] },
    },
  ],
})

const check = (
  id: string,
  status: DiagnosticCheck['status'],
  extra: Partial<DiagnosticCheck> = {},
): DiagnosticCheck => ({
  id,
  title: id.replace(/_/g, ' '),
  status,
  observed: `${id} observed`,
  fix: status === 'fail' ? `${id} fix` : null,
  durationMs: 3,
  ...extra,
})

const failing: Diagnosis = {
  ok: false,
  checks: [
    check('secrets_present', 'pass', { title: 'Secrets are present' }),
    check('not_expired', 'skip'),
    check('tcp', 'fail', { title: 'TCP connection', observed: '127.0.0.1 port 9: ECONNREFUSED' }),
    check('health_check', 'fail', {
      title: 'Health check',
      observed: 'auth_error: the API answered 401',
      fix: 'The provider rejected the credential: update it with a valid secret.',
    }),
  ],
}

const passing: Diagnosis = {
  ok: true,
  checks: [check('secrets_present', 'pass'), check('tls', 'skip'), check('health_check', 'pass')],
}

const credential = { id: 'cred_1', tool: 'http', name: 'Staging API', authMethod: 'bearer' }

function server(answers: (() => Response)[]) {
  let call = 0
  return fakeServer({
    'GET /v1/tools/http': () => json(httpTool),
    'GET /v1/credentials/cred_1/diagnose': () => {
      const answer = answers[Math.min(call, answers.length - 1)]
      call += 1
      return answer?.() ?? problem(500, 'internal_error', 'no answer')
    },
  })
}

describe('fixFor', () => {
  it('edits the secrets of a rejected key, and reconnects a rejected OAuth account', () => {
    expect(fixFor('health_check', { oauth: false, tool: 'http' })).toEqual({
      kind: 'edit',
      label: 'Edit the secrets',
      focus: 'secrets',
    })
    expect(fixFor('health_check', { oauth: true, tool: 'github' })).toEqual({
      kind: 'link',
      label: 'Reconnect the account',
      to: '/credentials?tool=github',
    })
    expect(fixFor('dns', { oauth: false, tool: 'http' })).toMatchObject({ kind: 'edit', focus: 'baseUrl' })
    expect(fixFor('clock_skew', { oauth: false, tool: 'http' })).toBeNull()
  })
})

describe('CredentialTroubleshooter', () => {
  it('shows every check in order, in words, and walks through the failed ones', async () => {
    const user = userEvent.setup()
    const onEdit = vi.fn()
    const fake = server([() => json(failing)])
    renderWithApp(<CredentialTroubleshooter credential={credential} onEdit={onEdit} />, { fetch: fake.fetch })
    await user.click(screen.getByRole('button', { name: 'Run checks' }))

    expect(await screen.findByText('2 of 4 checks failed.')).toBeTruthy()
    const items = within(screen.getByRole('list')).getAllByRole('listitem')
    expect(items.map((item) => item.textContent)).toEqual([
      'PassedSecrets are presentsecrets_present observed',
      'Skippednot expirednot_expired observed',
      'FailedTCP connection127.0.0.1 port 9: ECONNREFUSED',
      'FailedHealth checkauth_error: the API answered 401',
    ])

    expect(screen.getByRole('heading', { name: 'Step 1 of 2: TCP connection' })).toBeTruthy()
    expect(screen.getByText('tcp fix')).toBeTruthy()
    expect(screen.queryByRole('button', { name: 'Previous step' })).toBeNull()
    await user.click(screen.getByRole('button', { name: 'Edit the base URL' }))
    expect(onEdit).toHaveBeenLastCalledWith('baseUrl')

    await user.click(screen.getByRole('button', { name: 'Next step' }))
    const step = screen.getByRole('heading', { name: 'Step 2 of 2: Health check' })
    expect(document.activeElement).toBe(step)
    expect(
      screen.getByText('The provider rejected the credential: update it with a valid secret.'),
    ).toBeTruthy()
    expect(screen.queryByRole('button', { name: 'Next step' })).toBeNull()
    await user.click(screen.getByRole('button', { name: 'Edit the secrets' }))
    expect(onEdit).toHaveBeenLastCalledWith('secrets')
    await user.click(screen.getByRole('button', { name: 'Previous step' }))
    expect(screen.getByRole('heading', { name: 'Step 1 of 2: TCP connection' })).toBeTruthy()
  })

  it('runs the checks again and says when everything passes', async () => {
    const user = userEvent.setup()
    const fake = server([() => json(failing), () => json(passing)])
    renderWithApp(<CredentialTroubleshooter credential={credential} onEdit={vi.fn()} autoRun />, {
      fetch: fake.fetch,
    })
    expect(await screen.findByText('2 of 4 checks failed.')).toBeTruthy()
    const step = screen.getByRole('heading', { name: /^Step 1 of 2/ })
    await user.click(within(step.parentElement!).getByRole('button', { name: 'Run checks again' }))
    expect(await screen.findByText('All checks passed (2 passed, 1 skipped).')).toBeTruthy()
    expect(screen.getByText(/Every check passed: Staging API/)).toBeTruthy()
    expect(screen.queryByRole('heading', { name: /^Step/ })).toBeNull()
    expect(fake.requests.filter((r) => r.path.endsWith('/diagnose'))).toHaveLength(2)
  })

  it('offers to reconnect an OAuth account whose refresh fails', async () => {
    const oauthTool = fullTool({
      authMethods: [
        {
          id: 'oauth',
          kind: 'oauth2',
          title: 'GitHub app',
          grant: 'authorization_code',
          fields: { type: 'object' },
        },
      ],
    })
    const fake = fakeServer({
      'GET /v1/tools/github': () => json(oauthTool),
      'GET /v1/credentials/cred_g/diagnose': () =>
        json({ ok: false, checks: [check('refresh_works', 'fail', { title: 'Token refresh works' })] }),
    })
    renderWithApp(
      <CredentialTroubleshooter
        credential={{ id: 'cred_g', tool: 'github', name: 'GitHub', authMethod: 'oauth' }}
        autoRun
      />,
      { fetch: fake.fetch },
    )
    const link = await screen.findByRole('link', { name: 'Reconnect the account' })
    expect(link.getAttribute('href')).toBe('/credentials?tool=github')
  })

  it('shows why the checks could not run, and runs them again on request', async () => {
    const user = userEvent.setup()
    const fake = server([
      () => problem(404, 'not_found', 'There is no credential cred_1 in this workspace.'),
      () => json(passing),
    ])
    renderWithApp(<CredentialTroubleshooter credential={credential} autoRun />, { fetch: fake.fetch })
    const alert = await screen.findByRole('alert')
    expect(alert.textContent).toContain('The checks could not be run')
    expect(alert.textContent).toContain('There is no credential cred_1')
    await user.click(within(alert).getByRole('button', { name: 'Try again' }))
    await waitFor(() => {
      expect(screen.getByText(/All checks passed/)).toBeTruthy()
    })
  })

  it('says it is running while the checks run', async () => {
    let release: (response: Response) => void = () => undefined
    const fake = fakeServer({
      'GET /v1/tools/http': () => json(httpTool),
      'GET /v1/credentials/cred_1/diagnose': () =>
        new Promise<Response>((resolve) => {
          release = resolve
        }),
    })
    renderWithApp(<CredentialTroubleshooter credential={credential} autoRun />, { fetch: fake.fetch })
    expect(await screen.findByText('Running the checks…')).toBeTruthy()
    release(json(passing))
    expect(await screen.findByText(/All checks passed/)).toBeTruthy()
  })
})
