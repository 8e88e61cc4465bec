import type { FastifyServerOptions } from 'fastify'
import type { DestinationStream, LoggerOptions } from 'pino'
import type { LogLevel } from '../config.js'

/** Query parameters whose values are secrets and are masked in logged URLs. */
const secretQueryParameters = /([?&](?:token|code|state|key|api_key|access_token|secret|password)=)[^&#]*/gi

/** A URL as it may be logged: secret query values replaced by `[REDACTED]`. */
export function loggableUrl(url: string): string {
  return url.replace(secretQueryParameters, '$1[REDACTED]')
}

/**
 * pino options shared by the server and the CLI. Paths that could carry secrets are redacted as a
 * second line of defence; the first is never logging secrets at all.
 */
export function loggerOptions(level: LogLevel): LoggerOptions {
  return {
    level,
    messageKey: 'msg',
    base: { service: 'toolplane' },
    timestamp: () => `,"time":"${new Date().toISOString()}"`,
    formatters: { level: (label) => ({ level: label }) },
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'req.headers["x-csrf-token"]',
        'res.headers["set-cookie"]',
        '*.password',
        '*.token',
        '*.secret',
        '*.secrets',
        '*.apiKey',
        '*.key',
      ],
      censor: '[REDACTED]',
    },
  }
}

/** Fastify's logger setting: our options, optionally into a given stream (tests capture lines). */
export function fastifyLogger(level: LogLevel, stream?: DestinationStream): FastifyServerOptions['logger'] {
  const options = loggerOptions(level)
  return stream === undefined ? options : { ...options, stream }
}
