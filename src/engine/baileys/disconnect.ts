import { DisconnectReason } from 'baileys'
import type { ConnectionStatus, ReconnectHint } from '../types.js'

export interface DisconnectVerdict {
  status: ConnectionStatus
  reason: string
  reconnect: ReconnectHint
}

/** The close code Baileys attaches to an error (a Boom), if any. */
export function statusCodeOf(error: unknown): number | undefined {
  const code = (error as { output?: { statusCode?: unknown } } | undefined)?.output?.statusCode
  return typeof code === 'number' ? code : undefined
}

/**
 * What a closed connection means. The engine only restarts at once after 515; the other
 * transient closes are the supervisor's to retry with backoff; some must not be retried at all.
 */
export function classifyDisconnect(statusCode: number | undefined, message = ''): DisconnectVerdict {
  switch (statusCode) {
    case DisconnectReason.restartRequired:
      return { status: 'connecting', reason: 'restart_required', reconnect: 'self' }
    case DisconnectReason.loggedOut:
      return { status: 'logged_out', reason: 'logged_out', reconnect: 'none' }
    case DisconnectReason.forbidden:
      return { status: 'disconnected', reason: 'forbidden', reconnect: 'none' }
    case DisconnectReason.connectionReplaced:
      // Another client opened this session: reconnecting would start a conflict storm.
      return { status: 'disconnected', reason: 'replaced', reconnect: 'none' }
    case DisconnectReason.timedOut:
      // 408 also ends a QR attempt nobody scanned: asking again is the user's call.
      return /QR refs/i.test(message)
        ? { status: 'disconnected', reason: 'qr_timeout', reconnect: 'none' }
        : { status: 'disconnected', reason: 'timed_out', reconnect: 'supervisor' }
    case DisconnectReason.connectionClosed:
      return { status: 'disconnected', reason: 'connection_closed', reconnect: 'supervisor' }
    case DisconnectReason.badSession:
      return { status: 'disconnected', reason: 'bad_session', reconnect: 'supervisor' }
    case DisconnectReason.multideviceMismatch:
      return { status: 'disconnected', reason: 'multidevice_mismatch', reconnect: 'supervisor' }
    case DisconnectReason.unavailableService:
      return { status: 'disconnected', reason: 'service_unavailable', reconnect: 'supervisor' }
    default:
      return { status: 'disconnected', reason: 'connection_lost', reconnect: 'supervisor' }
  }
}
