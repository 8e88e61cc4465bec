import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import type { App } from '../http/app-types.js'
import { problemRef } from '../http/schemas.js'
import type { HookService } from './service.js'
import { maxPayloadBytes } from './store.js'

const ReceiptSchema = Type.Object(
  {
    id: Type.String({ description: 'The stored delivery (the first one’s, for a duplicate).' }),
    event: Type.String({ description: 'The event as emitted, after `trigger.<tool>.`: `issues.opened`.' }),
    deliveryId: Type.String({ description: 'The provider’s delivery id, which replays are recognised by.' }),
    duplicate: Type.Boolean({
      description: 'True when the delivery id was already received: nothing was emitted again.',
    }),
  },
  { $id: 'InboundReceipt', title: 'Inbound receipt' },
)

const ChallengeSchema = Type.Object(
  { challenge: Type.String({ description: 'Slack’s `url_verification` challenge, echoed.' }) },
  { $id: 'InboundChallenge', title: 'Inbound challenge' },
)

/**
 * `POST /v1/hooks/{tool}/{credentialId}`: where a provider delivers its webhooks. Public, because
 * the caller is the provider: the signature made with the credential's secret authenticates it.
 * The route lives in its own plugin scope whose only body parser keeps the bytes as they came, since
 * a signature covers the exact bytes and any re-serialisation would break it.
 *
 * @example
 * registerHookRoutes(app, { hooks })
 */
export function registerHookRoutes(app: App, deps: { hooks: HookService }): void {
  const { hooks } = deps
  app.addSchema(ReceiptSchema)
  app.addSchema(ChallengeSchema)

  void app.register((plugin, _options, done) => {
    const scope = plugin.withTypeProvider<TypeBoxTypeProvider>()
    scope.removeAllContentTypeParsers()
    scope.addContentTypeParser(
      '*',
      { parseAs: 'buffer', bodyLimit: maxPayloadBytes },
      (_request, body: string | Buffer, done) => {
        done(null, body)
      },
    )

    scope.post(
      '/v1/hooks/:tool/:credentialId',
      {
        bodyLimit: maxPayloadBytes,
        config: { auth: 'public' },
        schema: {
          tags: ['triggers'],
          summary: 'Receive a tool’s webhook (inbound trigger)',
          description:
            'The URL to give a provider (GitHub, Slack, Stripe, or any Standard Webhooks sender) for a credential’s events. No API key: the delivery is authenticated by its signature, made with the secret stored in the credential (`webhookSecret`, `signingSecret` or `webhookSigningSecret`; see docs/triggers.md). A verified delivery is stored and emitted as `trigger.<tool>.<event>`; a delivery id already received answers 200 with `duplicate: true` and emits nothing. A signature that does not verify is 401; a delivery signed over 5 minutes from now is 400; an unknown credential, or a tool that is not the credential’s or declares no triggers, is 404. Any body type, up to 1 MiB.',
          params: Type.Object({
            tool: Type.String({ description: 'The credential’s tool, such as `github`.' }),
            credentialId: Type.String({ description: 'The credential holding the signing secret.' }),
          }),
          response: {
            200: Type.Union([Type.Ref('InboundReceipt'), Type.Ref('InboundChallenge')]),
            400: problemRef,
            401: problemRef,
            404: problemRef,
            413: problemRef,
          },
        },
      },
      async (request) => {
        const receipt = await hooks.receive(
          {
            tool: request.params.tool,
            credentialId: request.params.credentialId,
            rawBody: Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0),
            headers: request.headers,
          },
          request.log,
        )
        if (receipt.outcome === 'challenge') return { challenge: receipt.challenge }
        return {
          id: receipt.id,
          event: receipt.event,
          deliveryId: receipt.deliveryId,
          duplicate: receipt.outcome === 'duplicate',
        }
      },
    )
    done()
  })
}
