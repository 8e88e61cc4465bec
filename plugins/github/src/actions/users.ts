import { Type, defineAction } from '@toolplane/sdk'
import { callGitHub, scopeList } from '../api.js'

interface RawUser {
  id: number
  login: string
  name: string | null
  email: string | null
  avatar_url: string
  html_url: string
  type: string
  company: string | null
}

/** The account the credential belongs to, with the scopes a classic token was granted. */
export const getAuthenticatedUser = defineAction({
  name: 'get_authenticated_user',
  title: 'Get the signed-in user',
  description:
    'Returns the GitHub account the credential acts as: login, name, public email, profile URL, and for classic and OAuth tokens the scopes granted. Use it to find out who "me" is before filtering by assignee or author.',
  input: Type.Object({}),
  output: Type.Object({
    id: Type.Integer(),
    login: Type.String(),
    name: Type.Union([Type.String(), Type.Null()]),
    email: Type.Union([Type.String(), Type.Null()], { description: 'The public email, if the user set one' }),
    company: Type.Union([Type.String(), Type.Null()]),
    type: Type.String({ description: 'User, Bot or Organization' }),
    avatarUrl: Type.String(),
    url: Type.String({ description: 'The profile page on GitHub' }),
    scopes: Type.Union([Type.Array(Type.String()), Type.Null()], {
      description: 'Scopes of a classic or OAuth token; null for fine-grained tokens and GitHub App tokens',
    }),
  }),
  examples: [{ title: 'Who am I', input: {} }],
  retry: { idempotent: true },
  scopes: ['read:user'],
  async run({ http }) {
    const res = await callGitHub<RawUser>(http, 'GET', '/user')
    const granted = res.headers['x-oauth-scopes']
    return {
      id: res.json.id,
      login: res.json.login,
      name: res.json.name,
      email: res.json.email,
      company: res.json.company,
      type: res.json.type,
      avatarUrl: res.json.avatar_url,
      url: res.json.html_url,
      scopes: granted === undefined ? null : scopeList(granted),
    }
  },
})
