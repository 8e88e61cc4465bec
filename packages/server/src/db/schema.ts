/**
 * The database schema as Kysely sees it. Column names are snake_case; times are epoch milliseconds
 * (bigint) so both SQLite and PostgreSQL store, index and compare them the same way.
 */

export interface WorkspaceTable {
  id: string
  slug: string
  name: string
  monthly_execution_quota: number | null
  api_rate_limit: string | null
  created_at: number
  updated_at: number
}

export interface UserTable {
  id: string
  email: string
  name: string | null
  password_hash: string | null
  created_at: number
  updated_at: number
}

export interface MembershipTable {
  workspace_id: string
  user_id: string
  role: string
  created_at: number
}

export interface SessionTable {
  id: string
  token_hash: string
  user_id: string
  workspace_id: string
  created_at: number
  expires_at: number
  user_agent: string | null
}

export interface SignInLinkTable {
  id: string
  token_hash: string
  user_id: string
  workspace_id: string
  created_at: number
  expires_at: number
  used_at: number | null
}

export interface ApiKeyTable {
  id: string
  workspace_id: string
  name: string
  prefix: string
  key_hash: string
  /** JSON array of scope names. */
  scopes: string
  rate_limit: string | null
  created_at: number
  last_used_at: number | null
  revoked_at: number | null
}

export interface WorkspaceToolTable {
  id: string
  workspace_id: string
  slug: string
  name: string
  /** How it was made: `openapi`. */
  source: string
  source_url: string | null
  action_count: number
  /** JSON of the imported tool's spec, from which the tool is rebuilt. */
  spec: string
  created_at: number
  updated_at: number
}

export interface MasterKeyTable {
  version: number
  fingerprint: string
  created_at: number
  retired_at: number | null
}

export interface CredentialTable {
  id: string
  workspace_id: string
  tool: string
  name: string
  auth_method: string
  external_user_id: string | null
  base_url: string | null
  status: string
  status_reason: string | null
  last_checked_at: number | null
  last_used_at: number | null
  /** When the OAuth access token expires, if it does. */
  expires_at: number | null
  /** JSON: per secret field, whether it is set and a masked hint. */
  fields: string
  /** JSON envelope: the secrets, encrypted (see credentials/envelope.ts). */
  secret_envelope: string
  key_version: number
  created_at: number
  updated_at: number
  /** Executions in a row the provider refused for authentication; reset by a success. */
  consecutive_auth_failures: number
}

export interface CredentialStatusChangeTable {
  id: string
  workspace_id: string
  credential_id: string
  status: string
  reason: string | null
  at: number
}

export interface OAuthAppTable {
  id: string
  workspace_id: string
  tool: string
  client_id: string
  /** `client_secret_basic` or `client_secret_post`. */
  client_auth_method: string
  /** JSON array overriding the tool's default scopes; null keeps them. */
  scopes: string | null
  /** JSON envelope holding `{ clientSecret }`. */
  secret_envelope: string
  key_version: number
  created_at: number
  updated_at: number
}

export interface OAuthStateTable {
  id: string
  state_hash: string
  workspace_id: string
  tool: string
  auth_method: string
  /** Who started the flow: `user:<id>` or `api_key:<id>`. */
  principal: string
  name: string
  external_user_id: string | null
  /** JSON array of the scopes requested. */
  scopes: string
  redirect_to: string | null
  /** JSON envelope holding `{ codeVerifier }`. */
  verifier_envelope: string | null
  created_at: number
  expires_at: number
  used_at: number | null
}

export interface BatchTable {
  id: string
  workspace_id: string
  /** `parallel` or `sequential`. */
  mode: string
  concurrency: number
  /** `running`, `completed` or `cancelled`. */
  status: string
  total: number
  correlation_id: string
  created_at: number
  finished_at: number | null
}

export interface ExecutionTable {
  id: string
  workspace_id: string
  tool: string
  /** The action's name within the tool (`create_issue`); the API shows `tool.action`. */
  action: string
  credential_id: string | null
  /** `sync` or `async`. */
  mode: string
  /** `queued`, `running`, `succeeded`, `failed` or `cancelled`. */
  status: string
  /** JSON: the input as shown, secret fields redacted. */
  input: string
  /** JSON envelope of the full input when it holds secrets; null otherwise. */
  input_sealed: string | null
  /** JSON, after the output transformation. */
  output: string | null
  /** JSON `{ class, message, retryable, suggestions, … }`. */
  error: string | null
  error_class: string | null
  /** JSON array of attempts. */
  attempts: string
  /** JSON `{ input?, output? }`: the JSONata expressions. */
  transform: string | null
  /** JSON: per-execution overrides (`timeoutMs`, `maxAttempts`). */
  options: string | null
  batch_id: string | null
  batch_index: number | null
  retry_of: string | null
  correlation_id: string
  cancel_requested: number
  /** What `q` searches: the action, the error and the non-secret input and output, flattened. */
  search_text: string
  created_at: number
  started_at: number | null
  finished_at: number | null
  duration_ms: number | null
}

export interface IdempotencyKeyTable {
  workspace_id: string
  key: string
  /** SHA-256 of the canonical request body. */
  request_hash: string
  execution_id: string
  created_at: number
  expires_at: number
}

export interface JobTable {
  id: string
  queue: string
  /** JSON. */
  data: string
  /** Not before this time (delayed jobs). */
  run_at: number
  /** How many times a worker has claimed it. */
  attempts: number
  lease_owner: string | null
  /** A claimed job whose lease has passed is claimed again: its worker died. */
  lease_until: number | null
  created_at: number
}

export interface UsageCounterTable {
  workspace_id: string
  /** The UTC calendar month, `YYYY-MM`. */
  period: string
  /** The tool's slug; `''` is the row of the workspace's total. */
  tool: string
  executions: number
}

export interface Schema {
  workspaces: WorkspaceTable
  users: UserTable
  memberships: MembershipTable
  sessions: SessionTable
  sign_in_links: SignInLinkTable
  api_keys: ApiKeyTable
  workspace_tools: WorkspaceToolTable
  master_keys: MasterKeyTable
  credentials: CredentialTable
  credential_status_changes: CredentialStatusChangeTable
  oauth_apps: OAuthAppTable
  oauth_states: OAuthStateTable
  batches: BatchTable
  executions: ExecutionTable
  idempotency_keys: IdempotencyKeyTable
  jobs: JobTable
  usage_counters: UsageCounterTable
  webhooks: WebhookTable
  webhook_deliveries: WebhookDeliveryTable
  inbound_events: InboundEventTable
}

/** An accepted inbound trigger delivery (`hooks/`); unique per workspace, tool and delivery id. */
export interface InboundEventTable {
  id: string
  workspace_id: string
  tool: string
  credential_id: string
  /** The provider's id of the delivery (`X-GitHub-Delivery`, Stripe's `evt_…`, `webhook-id`, …). */
  delivery_id: string
  /** As emitted, without the `trigger.<tool>.` prefix: `issues.opened`. */
  event: string
  /** JSON: the delivery's body, parsed. */
  payload: string
  received_at: number
}

export interface WebhookTable {
  id: string
  workspace_id: string
  url: string
  /** JSON array of event type patterns: exact types, `prefix.*`, or `*`. */
  events: string
  description: string | null
  /** 1 or 0. */
  enabled: number
  disabled_reason: string | null
  /** JSON envelope holding `{ secret, previous? }` (see credentials/envelope.ts). */
  secret_envelope: string
  key_version: number
  /** Until when the previous secret also signs; null when there is none. */
  previous_secret_expires_at: number | null
  /** When deliveries began failing without a success since; null while healthy. */
  failing_since: number | null
  created_at: number
  updated_at: number
}

export interface WebhookDeliveryTable {
  id: string
  workspace_id: string
  webhook_id: string
  event_id: string
  event_type: string
  /** The `webhook-id` header, the same on every attempt and replay. */
  message_id: string
  /** The JSON body as sent. */
  payload: string
  /** `pending`, `delivered` or `failed`. */
  status: string
  /** JSON array of attempts. */
  attempts: string
  attempt_count: number
  /** Replays so far; only the job of the current generation makes attempts. */
  generation: number
  /** `attempt_count` when the current generation began: the retry schedule counts from here. */
  schedule_start: number
  correlation_id: string | null
  next_attempt_at: number | null
  created_at: number
  updated_at: number
}
