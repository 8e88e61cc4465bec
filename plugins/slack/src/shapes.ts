/**
 * Slack's objects as this tool returns them: camelCase, the fields people use, absent values as
 * `null`, and Slack's `ts` strings also as ISO dates. Slack's raw objects carry dozens of fields;
 * returning them whole would bury what matters (and waste an agent's context).
 */
import { Type } from '@toolplane/sdk'
import type { Static, TSchema } from '@toolplane/sdk'

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()])

/** A Slack message timestamp (`ts`), which is also the message's id within its channel. */
export const timestamp = (description: string) =>
  Type.String({ pattern: '^[0-9]+\\.[0-9]+$', description, examples: ['1712345678.123456'] })

/** A conversation ID (C… public, G… private, D… direct message). */
export const ChannelId = Type.String({
  minLength: 1,
  description: 'The conversation ID, such as C0123456789 (see list_channels)',
  examples: ['C0123456789'],
})

export const Channel = Type.Object({
  id: Type.String(),
  name: Nullable(Type.String()),
  type: Type.Union([
    Type.Literal('public_channel'),
    Type.Literal('private_channel'),
    Type.Literal('mpim'),
    Type.Literal('im'),
  ]),
  isArchived: Type.Boolean(),
  isMember: Type.Boolean(),
  memberCount: Nullable(Type.Integer()),
  topic: Nullable(Type.String()),
  purpose: Nullable(Type.String()),
  /** For a direct message: the other person. */
  userId: Nullable(Type.String()),
  createdAt: Nullable(Type.String({ format: 'date-time' })),
})
export type Channel = Static<typeof Channel>

export const Message = Type.Object({
  ts: Type.String(),
  postedAt: Type.String({ format: 'date-time' }),
  subtype: Nullable(Type.String()),
  userId: Nullable(Type.String()),
  botId: Nullable(Type.String()),
  text: Type.String(),
  threadTs: Nullable(Type.String()),
  replyCount: Type.Integer({ minimum: 0 }),
  reactions: Type.Array(Type.Object({ name: Type.String(), count: Type.Integer({ minimum: 0 }) })),
})
export type Message = Static<typeof Message>

export const User = Type.Object({
  id: Type.String(),
  teamId: Nullable(Type.String()),
  /** The legacy username; people are addressed by display name. */
  handle: Type.String(),
  realName: Nullable(Type.String()),
  displayName: Nullable(Type.String()),
  /** Needs the users:read.email scope. */
  email: Nullable(Type.String()),
  title: Nullable(Type.String()),
  isBot: Type.Boolean(),
  isAdmin: Type.Boolean(),
  deleted: Type.Boolean(),
  timeZone: Nullable(Type.String()),
  avatarUrl: Nullable(Type.String()),
})
export type User = Static<typeof User>

/** A conversation as Slack sends it. */
export interface RawChannel {
  id: string
  name?: string
  is_private?: boolean
  is_im?: boolean
  is_mpim?: boolean
  is_archived?: boolean
  is_member?: boolean
  num_members?: number
  topic?: { value?: string }
  purpose?: { value?: string }
  user?: string
  created?: number
}

/** A message as Slack sends it. */
export interface RawMessage {
  ts: string
  subtype?: string
  user?: string
  bot_id?: string
  text?: string
  thread_ts?: string
  reply_count?: number
  reactions?: { name: string; count: number }[]
}

/** A user as Slack sends it. */
export interface RawUser {
  id: string
  team_id?: string
  name?: string
  real_name?: string
  deleted?: boolean
  is_bot?: boolean
  is_admin?: boolean
  tz?: string
  profile?: {
    real_name?: string
    display_name?: string
    email?: string
    title?: string
    image_192?: string
  }
}

/** A Slack `ts` (seconds and microseconds since the epoch) as an ISO date. */
export function tsToIso(ts: string): string {
  const [seconds = '0', micros = '0'] = ts.split('.')
  const millis = Number(seconds) * 1000 + Math.floor(Number(micros.padEnd(6, '0').slice(0, 6)) / 1000)
  return new Date(millis).toISOString()
}

const text = (value: string | undefined): string | null =>
  value === undefined || value === '' ? null : value

export function toChannel(raw: RawChannel): Channel {
  let type: Channel['type'] = 'public_channel'
  if (raw.is_im === true) type = 'im'
  else if (raw.is_mpim === true) type = 'mpim'
  else if (raw.is_private === true) type = 'private_channel'
  return {
    id: raw.id,
    name: text(raw.name),
    type,
    isArchived: raw.is_archived ?? false,
    // Slack leaves is_member out for direct messages, which the token's user is always in.
    isMember: raw.is_member ?? raw.is_im === true,
    memberCount: raw.num_members ?? null,
    topic: text(raw.topic?.value),
    purpose: text(raw.purpose?.value),
    userId: raw.user ?? null,
    createdAt: raw.created === undefined ? null : new Date(raw.created * 1000).toISOString(),
  }
}

export function toMessage(raw: RawMessage): Message {
  return {
    ts: raw.ts,
    postedAt: tsToIso(raw.ts),
    subtype: raw.subtype ?? null,
    userId: raw.user ?? null,
    botId: raw.bot_id ?? null,
    text: raw.text ?? '',
    threadTs: raw.thread_ts ?? null,
    replyCount: raw.reply_count ?? 0,
    reactions: (raw.reactions ?? []).map(({ name, count }) => ({ name, count })),
  }
}

export function toUser(raw: RawUser): User {
  const profile = raw.profile ?? {}
  return {
    id: raw.id,
    teamId: raw.team_id ?? null,
    handle: raw.name ?? raw.id,
    realName: text(profile.real_name ?? raw.real_name),
    displayName: text(profile.display_name),
    email: text(profile.email),
    title: text(profile.title),
    isBot: raw.is_bot ?? false,
    isAdmin: raw.is_admin ?? false,
    deleted: raw.deleted ?? false,
    timeZone: text(raw.tz),
    avatarUrl: text(profile.image_192),
  }
}
