import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { AppError, problem } from '../errors.js'
import type { ErrorCode, FieldError } from '../errors.js'
import type { App } from './app-types.js'

const fastifyCodes: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'validation_error',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'validation_error',
  FST_ERR_CTP_INVALID_JSON_BODY: 'validation_error',
}

function send(
  reply: FastifyReply,
  request: FastifyRequest,
  code: ErrorCode,
  detail: string,
  errors?: readonly FieldError[],
) {
  const body = problem(code, detail, request.id, errors)
  if (code === 'unauthenticated') void reply.header('WWW-Authenticate', 'Bearer realm="toolplane"')
  return reply.code(body.status).type('application/problem+json').send(body)
}

function validationErrors(error: FastifyError): FieldError[] {
  const context = error.validationContext ?? 'body'
  return (error.validation ?? []).map((issue) => {
    const missing = issue.keyword === 'required' ? `/${String(issue.params.missingProperty)}` : ''
    const extra =
      issue.keyword === 'additionalProperties' ? `/${String(issue.params.additionalProperty)}` : ''
    const message =
      issue.keyword === 'additionalProperties'
        ? 'is not a known field'
        : issue.keyword === 'required'
          ? 'is required'
          : (issue.message ?? 'is not valid')
    return { path: `/${context}${issue.instancePath}${missing}${extra}`, message }
  })
}

/**
 * Every error leaves as RFC 9457 problem+json with a stable `code`. Domain errors keep their code;
 * Fastify's own (validation, body parsing) are mapped; anything else is a 500 that says nothing
 * about internals and is logged in full with the request id.
 */
export function registerProblemHandlers(app: App): void {
  app.setErrorHandler((error: FastifyError | AppError, request, reply) => {
    if (error instanceof AppError) {
      for (const [name, value] of Object.entries(error.headers)) void reply.header(name, value)
      if (error.status >= 500) request.log.error({ err: error }, 'request failed')
      return send(reply, request, error.code, error.detail, error.errors)
    }
    if (error.validation !== undefined) {
      const errors = validationErrors(error)
      const first = errors[0]
      const detail =
        errors.length === 1 && first !== undefined
          ? `${first.path} ${first.message}.`
          : `${errors.length} fields are not valid; see errors.`
      return send(reply, request, 'validation_error', detail, errors)
    }
    const mapped = fastifyCodes[error.code]
    if (mapped !== undefined) return send(reply, request, mapped, error.message)
    if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
      request.log.info({ err: error }, 'client error')
      return send(reply, request, 'validation_error', error.message)
    }
    request.log.error({ err: error }, 'unexpected error')
    return send(
      reply,
      request,
      'internal_error',
      `An unexpected error occurred. Quote request id ${request.id} when reporting it.`,
    )
  })

  app.setNotFoundHandler((request, reply) =>
    send(reply, request, 'not_found', `No route ${request.method} ${request.url.split('?')[0] ?? ''}.`),
  )
}
