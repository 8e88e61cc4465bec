/**
 * The Slack tool: post and edit messages, react, read channels and their history, find people.
 * Calls Slack's Web API (https://api.slack.com/web) with a bot token.
 */
import { Secret, Type, auth, defineTool } from '@toolplane/sdk'
import type {
  BearerAuth,
  OAuth2AuthorizationCodeAuth,
  OutgoingRequest,
  TSchema,
  TriggerDeclaration,
} from '@toolplane/sdk'
import { getChannelHistory, listChannels } from './actions/conversations.js'
import { addReaction, postMessage, updateMessage } from './actions/messages.js'
import { listUsers, lookupUserByEmail } from './actions/users.js'
import { callSlack } from './web-api.js'

export { getChannelHistory, listChannels } from './actions/conversations.js'
export { addReaction, postMessage, updateMessage } from './actions/messages.js'
export { listUsers, lookupUserByEmail } from './actions/users.js'
export { SlackError, slackError } from './web-api.js'

/** The bot scopes requested when connecting with OAuth: enough for every action of this tool. */
export const BOT_SCOPES = [
  'chat:write',
  'channels:read',
  'channels:history',
  'users:read',
  'users:read.email',
  'reactions:write',
] as const

/**
 * The Slack app's signing secret (Basic Information → App Credentials), which signs the requests
 * Slack sends to `/v1/hooks/slack/<credential id>`. Optional: only inbound triggers read it.
 */
const signingSecret = Type.Optional(
  Secret(
    Type.String({
      title: 'Signing secret',
      description: 'The Slack app’s signing secret, for events Slack sends to this credential’s trigger URL',
      minLength: 1,
    }),
  ),
)

const token = auth.bearer({ title: 'Bot token (xoxb-…)' })

/** A bot token, with the optional signing secret of inbound triggers. */
export const botToken: BearerAuth = Object.freeze({
  ...token,
  fields: Type.Object({ ...token.fields.properties, signingSecret }),
})

const oauth = auth.oauth2({
  grant: 'authorization_code',
  title: 'Slack app (OAuth)',
  authorizationUrl: 'https://slack.com/oauth/v2/authorize',
  tokenUrl: 'https://slack.com/api/oauth.v2.access',
  revocationUrl: 'https://slack.com/api/auth.revoke',
  scopes: BOT_SCOPES,
  scopeSeparator: ',',
})

/**
 * Slack's OAuth answer says `token_type: "bot"`, which is not an HTTP auth scheme: sending
 * `Authorization: bot xoxb-…` is refused with `not_authed`. Slack tokens always go as `Bearer`.
 */
export const slackOAuth: OAuth2AuthorizationCodeAuth = Object.freeze({
  ...oauth,
  fields: Type.Object({ ...oauth.fields.properties, signingSecret }),
  apply(request: OutgoingRequest, secrets: Readonly<Record<string, unknown>>) {
    request.headers.authorization = `Bearer ${String(secrets.accessToken)}`
  },
})

// The Events API envelope every event arrives in.
const envelope = (event: TSchema) =>
  Type.Object({
    type: Type.Literal('event_callback'),
    team_id: Type.String(),
    api_app_id: Type.String(),
    event_id: Type.String({ description: 'Unique per event; Slack keeps it on retries.' }),
    event_time: Type.Integer(),
    event,
  })

/** Events API events this tool's triggers describe; others the app subscribes to are emitted too. */
export const triggers: readonly TriggerDeclaration[] = [
  {
    event: 'message',
    title: 'Message posted',
    description:
      'A message was posted in a channel the app is in (Events API `message`; subscribe to `message.channels` and the like).',
    verifier: 'slack',
    payload: envelope(
      Type.Object({
        type: Type.Literal('message'),
        channel: Type.String(),
        user: Type.Optional(Type.String()),
        text: Type.Optional(Type.String()),
        ts: Type.String(),
        subtype: Type.Optional(Type.String()),
      }),
    ),
  },
  {
    event: 'app_mention',
    title: 'App mentioned',
    description: 'Someone mentioned the app in a message (Events API `app_mention`).',
    verifier: 'slack',
    payload: envelope(
      Type.Object({
        type: Type.Literal('app_mention'),
        channel: Type.String(),
        user: Type.String(),
        text: Type.String(),
        ts: Type.String(),
      }),
    ),
  },
]

/** Tier 2 allows about 20 calls a minute per workspace and app, Tier 3 about 50. */
const perMinute = (limit: number, action: string) =>
  ({ scope: 'credential', limit, windowSeconds: 60, actions: [action] }) as const

export default defineTool({
  slug: 'slack',
  name: 'Slack',
  description:
    'Post, edit and react to messages, list channels and read their history, and find people in a Slack workspace.',
  version: '1.0.0',
  categories: ['communication', 'chat'],
  baseUrl: 'https://slack.com/api',
  authMethods: [botToken, slackOAuth],
  actions: [
    postMessage,
    updateMessage,
    addReaction,
    listChannels,
    getChannelHistory,
    listUsers,
    lookupUserByEmail,
  ],
  async healthCheck({ http }) {
    const body = await callSlack<{ team?: string; user?: string }>(http, 'auth.test', { query: {} })
    return { ok: true, detail: `Connected to ${body.team ?? 'the workspace'} as ${body.user ?? 'the app'}` }
  },
  triggers,
  // Slack counts each method separately per workspace and app, so each action has its own limit.
  rateLimits: [
    // chat.postMessage allows about one message a second per channel, with short bursts. The limiter
    // cannot key on the channel, so one a second on average per credential, bursts allowed.
    perMinute(60, 'post_message'),
    perMinute(50, 'update_message'),
    perMinute(50, 'add_reaction'),
    perMinute(20, 'list_channels'),
    perMinute(50, 'get_channel_history'),
    perMinute(20, 'list_users'),
    perMinute(50, 'lookup_user_by_email'),
  ],
})
