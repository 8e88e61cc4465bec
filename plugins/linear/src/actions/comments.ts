import { ActionError, Type, defineAction } from '@toolplane/sdk'
import { linearRequest } from '../graphql.js'
import { issueUuid } from './issue-id.js'
import { IssueRef } from '../shapes.js'

interface RawComment {
  id: string
  body: string
  url: string
  createdAt: string
  user: { id: string; name: string } | null
  issue: { id: string; identifier: string } | null
}

const CREATE_COMMENT = `
  mutation CreateComment($input: CommentCreateInput!) {
    commentCreate(input: $input) {
      success
      comment { id body url createdAt user { id name } issue { id identifier } }
    }
  }
`

/** Comments on an issue. Not retried once sent: a second attempt would post a second comment. */
export const createComment = defineAction({
  name: 'create_comment',
  title: 'Comment on an issue',
  description:
    'Adds a Markdown comment to a Linear issue, addressed by identifier (ENG-123) or UUID. Each call posts a new comment, so do not call it again to retry.',
  input: Type.Object({
    issueId: IssueRef,
    body: Type.String({
      minLength: 1,
      maxLength: 65536,
      description: 'Markdown',
      examples: ['Deployed the fix to staging.'],
    }),
  }),
  output: Type.Object({
    id: Type.String(),
    body: Type.String(),
    url: Type.String(),
    createdAt: Type.String({ format: 'date-time' }),
    author: Type.Union([Type.Object({ id: Type.String(), name: Type.String() }), Type.Null()]),
    issue: Type.Union([Type.Object({ id: Type.String(), identifier: Type.String() }), Type.Null()]),
  }),
  examples: [
    { title: 'A status update', input: { issueId: 'ENG-123', body: 'Deployed the fix to staging.' } },
  ],
  retry: { idempotent: false },
  scopes: ['write'],
  async run({ http, input }) {
    const data = await linearRequest<{ commentCreate: { success: boolean; comment: RawComment | null } }>(
      http,
      CREATE_COMMENT,
      { input: { issueId: await issueUuid(http, input.issueId), body: input.body } },
    )
    const comment = data.commentCreate.comment
    if (!data.commentCreate.success || comment === null) {
      throw new ActionError('upstream_error', 'Linear did not create the comment', { requestSent: true })
    }
    return {
      id: comment.id,
      body: comment.body,
      url: comment.url,
      createdAt: comment.createdAt,
      author: comment.user,
      issue: comment.issue,
    }
  },
})
