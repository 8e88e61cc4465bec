import type { Migration } from 'kysely'
import * as backbone from './0001-backbone.js'
import * as workspaceTools from './0002-workspace-tools.js'
import * as credentials from './0003-credentials.js'
import * as oauth from './0004-oauth.js'
import * as credentialOutcomes from './0005-credential-outcomes.js'
import * as executions from './0006-executions.js'
import * as usage from './0007-usage.js'
import * as webhooks from './0008-webhooks.js'
import * as inboundHooks from './0009-inbound-hooks.js'
import * as executionsFtsMerge from './0010-executions-fts-merge.js'
import * as executionsFtsDeferred from './0011-executions-fts-deferred.js'

/**
 * Every migration, in order. Imported statically (not read from a folder at run time) so the
 * list is the same in source, in the build and in any bundle. Names never change once released.
 */
export const migrations: Record<string, Migration> = {
  '0001-backbone': backbone,
  '0002-workspace-tools': workspaceTools,
  '0003-credentials': credentials,
  '0004-oauth': oauth,
  '0005-credential-outcomes': credentialOutcomes,
  '0006-executions': executions,
  '0007-usage': usage,
  '0008-webhooks': webhooks,
  '0009-inbound-hooks': inboundHooks,
  '0010-executions-fts-merge': executionsFtsMerge,
  '0011-executions-fts-deferred': executionsFtsDeferred,
}
