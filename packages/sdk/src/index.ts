/**
 * @toolplane/sdk — the plugin authoring API: define tools and actions, declare auth, mark secrets,
 * call upstream APIs within Toolplane's network rules, and run actions locally in tests.
 */
export { Type } from 'typebox'
export type { Static, TObject, TSchema } from 'typebox'

export {
  ACTION_TAG,
  DEFAULT_MAX_ATTEMPTS,
  DEFAULT_TIMEOUT_MS,
  RATE_LIMIT_SCOPES,
  TOOL_TAG,
  TRIGGER_VERIFIERS,
  defineAction,
  defineTool,
  findAction,
  isAction,
  isIdempotent,
  isTool,
} from './tool.js'
export type {
  Action,
  ActionContext,
  ActionDefinition,
  ActionExample,
  ActionLog,
  CredentialView,
  HealthCheckOutcome,
  IdempotenceTest,
  LogFields,
  RateLimitDeclaration,
  RateLimitScope,
  RetryHints,
  Tool,
  ToolContext,
  ToolDefinition,
  TriggerDeclaration,
  TriggerVerifier,
} from './tool.js'

export { MAX_ATTEMPTS, MAX_TIMEOUT_MS, validateTool } from './validate-tool.js'

export { AUTH_KINDS, IDENTIFIER_PATTERN, applyCredential, auth, checkSecrets } from './auth.js'
export type {
  ApiKeyAuth,
  AuthKind,
  AuthMethod,
  BasicAuth,
  BearerAuth,
  CustomAuth,
  NoAuth,
  OAuth2Auth,
  OAuth2AuthorizationCodeAuth,
  OAuth2ClientCredentialsAuth,
  OutgoingRequest,
} from './auth.js'

export {
  ANY_SEGMENT,
  MASKED,
  MIN_MASKED_LENGTH,
  REDACTED,
  SECRET_KEYWORD,
  Secret,
  isSecret,
  maskSecrets,
  redactSecrets,
  secretPaths,
  secretValues,
} from './secrets.js'
export type { TSecret } from './secrets.js'

export { MAX_REPORTED_ERRORS, SchemaError, compileSchema, validate } from './validation.js'
export type { ValidationResult, Validator } from './validation.js'
export { escapePointer, unescapePointer } from './json-pointer.js'

export {
  DEFAULT_MAX_RESPONSE_BYTES,
  DEFAULT_USER_AGENT,
  MAX_REDIRECTS,
  createHttpClient,
  urlPath,
} from './http.js'
export type {
  HttpCallOptions,
  HttpClient,
  HttpClientOptions,
  HttpExchange,
  HttpMethod,
  HttpRequestOptions,
  HttpResponse,
  PreviewRequest,
  QueryValue,
} from './http.js'

export {
  CONNECT_TIMEOUT_MS,
  blockedAddressReason,
  checkAddress,
  closeConnectionPools,
  connectableAddresses,
  dispatcherFor,
  guardedConnector,
  resolveAllowedAddresses,
  systemResolver,
} from './network.js'
export type { NetworkPolicy, ResolvedAddress, Resolver } from './network.js'

export { PREVIEW_BODY_BYTES, previewAction, runAction, runHealthCheck } from './runner.js'
export type {
  ActionPreview,
  HealthCheckResult,
  RunActionOptions,
  RunContextOptions,
  RunResult,
} from './runner.js'

export {
  AbortedError,
  ActionError,
  BODY_EXCERPT_LENGTH,
  BlockedAddressError,
  ERROR_CLASSES,
  NetworkError,
  ResponseTooLargeError,
  TimeoutError,
  UpstreamHTTPError,
  ValidationError,
  classifyHttpStatus,
  isErrorClass,
  isRetryableByDefault,
  retryAfterMs,
  toActionError,
} from './errors.js'
export type {
  ActionErrorOptions,
  ErrorClass,
  FieldError,
  Suggestion,
  UpstreamResponseSummary,
  ValidationTarget,
} from './errors.js'
