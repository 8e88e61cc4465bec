import type { HttpClient } from '@toolplane/sdk'
import { linearRequest } from '../graphql.js'
import { isUuid } from '../shapes.js'

const ISSUE_ID = `
  query IssueId($id: String!) {
    issue(id: $id) { id }
  }
`

/**
 * The UUID of an issue given by UUID or identifier. The `issue` query resolves identifiers; mutation
 * inputs such as `commentCreate`'s `issueId` are documented to take the UUID, so it is looked up first.
 */
export async function issueUuid(http: HttpClient, ref: string): Promise<string> {
  if (isUuid(ref)) return ref
  const data = await linearRequest<{ issue: { id: string } }>(http, ISSUE_ID, { id: ref })
  return data.issue.id
}
