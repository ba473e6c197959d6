import { EngineError, type EngineErrorCode } from '../errors.js'
import { statusCodeOf } from './disconnect.js'

/**
 * Turns what Baileys throws (Booms carrying WhatsApp's codes, timeouts, closed sockets) into an
 * `EngineError`. `notFound` names what a 404 means for the operation at hand.
 */
export function toEngineError(
  error: unknown,
  details: Record<string, unknown> = {},
  notFound: EngineErrorCode = 'MESSAGE_NOT_FOUND',
): EngineError {
  if (error instanceof EngineError) return error
  const message = error instanceof Error ? error.message : String(error)
  const code = codeFor(statusCodeOf(error), message, notFound)
  return new EngineError(code, message || 'WhatsApp request failed', details, { cause: error })
}

function codeFor(
  statusCode: number | undefined,
  message: string,
  notFound: EngineErrorCode,
): EngineErrorCode {
  if (/upload/i.test(message)) return 'MEDIA_UPLOAD_FAILED'
  if (/connection closed|connection terminated/i.test(message)) return 'CONNECTION_CLOSED'
  switch (statusCode) {
    case 400:
    case 406:
      return 'INVALID_ARGUMENT'
    case 401:
      return 'NOT_CONNECTED'
    case 403:
      return 'FORBIDDEN'
    case 404:
      return notFound
    case 408:
      return 'TIMEOUT'
    case 428:
      return 'CONNECTION_CLOSED'
    case 429:
      return 'RATE_LIMITED'
    default:
      return /timed out/i.test(message) ? 'TIMEOUT' : 'ENGINE_ERROR'
  }
}
