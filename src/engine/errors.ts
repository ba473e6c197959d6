/** Failures that retrying cannot fix. */
export type PermanentEngineErrorCode =
  | 'NOT_CONNECTED'
  | 'NOT_ON_WHATSAPP'
  | 'INVALID_RECIPIENT'
  | 'INVALID_ARGUMENT'
  | 'INVALID_STATE'
  | 'ALREADY_CONNECTED'
  | 'MESSAGE_NOT_FOUND'
  | 'GROUP_NOT_FOUND'
  | 'FORBIDDEN'
  | 'SEND_REJECTED'
  | 'MEDIA_UNAVAILABLE'
  | 'UNSUPPORTED'

/** Failures that may pass: retry later with the same message id. */
export type TransientEngineErrorCode =
  | 'TIMEOUT'
  | 'CONNECTION_CLOSED'
  | 'RATE_LIMITED'
  | 'MEDIA_UPLOAD_FAILED'
  | 'ENGINE_ERROR'

export type EngineErrorCode = PermanentEngineErrorCode | TransientEngineErrorCode

const TRANSIENT: ReadonlySet<EngineErrorCode> = new Set<TransientEngineErrorCode>([
  'TIMEOUT',
  'CONNECTION_CLOSED',
  'RATE_LIMITED',
  'MEDIA_UPLOAD_FAILED',
  'ENGINE_ERROR',
])

export class EngineError extends Error {
  readonly transient: boolean

  constructor(
    readonly code: EngineErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
    options: { cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'EngineError'
    this.transient = TRANSIENT.has(code)
  }
}

export function isEngineError(error: unknown, code?: EngineErrorCode): error is EngineError {
  return error instanceof EngineError && (code === undefined || error.code === code)
}
