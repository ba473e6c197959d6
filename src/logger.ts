import pino, { type Logger } from 'pino'
import type { Config } from './config.js'

/** Secrets never reach the log: headers and body fields that carry them are redacted. */
export function createLogger(level: Config['logLevel']): Logger {
  return pino({
    level,
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'req.headers["x-webhook-signature"]',
        '*.password',
        '*.token',
        '*.secret',
        '*.api_key',
        '*.webhook_secret',
      ],
      censor: '[redacted]',
    },
    serializers: {
      req(req: { method: string; url: string; hostname?: string; ip?: string; id?: string }) {
        // Tokens may travel in query strings (the live stream); keep them out of the log.
        return {
          id: req.id,
          method: req.method,
          url: req.url.replace(/([?&](token|access_token)=)[^&]*/gi, '$1[redacted]'),
          hostname: req.hostname,
          ip: req.ip,
        }
      },
    },
  })
}
