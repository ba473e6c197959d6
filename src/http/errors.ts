/** Every error code the API answers with, and the HTTP status it normally carries. */
export const ERROR_STATUS = {
  BAD_REQUEST: 400,
  INVALID_JSON: 400,
  INSTANCE_REQUIRED: 400,
  NO_ACTIVE_AUTOMATION: 400,
  ARCHIVE_REQUIRED: 400,
  AI_NOT_CONFIGURED: 400,
  INVALID_TWO_FACTOR_CODE: 400,
  INVALID_RESET_TOKEN: 400,
  UNAUTHENTICATED: 401,
  INVALID_CREDENTIALS: 401,
  FORBIDDEN: 403,
  REGISTRATION_DISABLED: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  EMAIL_TAKEN: 409,
  INSTANCE_NOT_CONNECTED: 409,
  AUTOMATION_ACTIVE: 409,
  AUTOMATION_ALREADY_PAUSED: 409,
  AUTOMATION_NOT_PAUSED: 409,
  MESSAGE_NOT_EDITABLE: 409,
  INVALID_TRANSITION: 409,
  TWO_FACTOR_ALREADY_ENABLED: 409,
  TWO_FACTOR_NOT_ENABLED: 409,
  FILE_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 422,
  NOT_ON_WHATSAPP: 422,
  VALIDATION_ERROR: 422,
  RATE_LIMIT_EXCEEDED: 429,
  QUOTA_EXCEEDED: 429,
  TOO_MANY_ATTEMPTS: 429,
  INTERNAL_ERROR: 500,
  AI_PROVIDER_ERROR: 502,
  ENGINE_ERROR: 502,
  SERVICE_UNAVAILABLE: 503,
} as const

export type ErrorCode = keyof typeof ERROR_STATUS

export type ErrorDetails = Record<string, unknown>

/** The one error type of the application; the error handler renders it as the documented envelope. */
export class AppError extends Error {
  readonly status: number

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: ErrorDetails = {},
    options: { status?: number; headers?: Record<string, string>; extra?: Record<string, unknown> } = {},
  ) {
    super(message)
    this.name = 'AppError'
    this.status = options.status ?? ERROR_STATUS[code]
    this.headers = options.headers ?? {}
    this.extra = options.extra ?? {}
  }

  readonly headers: Record<string, string>
  /** Fields placed beside `code` in `error` (e.g. `conversation_id` of AUTOMATION_ACTIVE). */
  readonly extra: Record<string, unknown>
}

export function notFound(what = 'Resource'): AppError {
  return new AppError('NOT_FOUND', `${what} not found`)
}

export function validationError(field: string, message: string): AppError {
  return new AppError('VALIDATION_ERROR', 'The given data was invalid.', { [field]: [message] })
}

export function unauthenticated(message = 'Invalid or missing token'): AppError {
  return new AppError('UNAUTHENTICATED', message)
}

export function forbidden(message = 'This token may not do that'): AppError {
  return new AppError('FORBIDDEN', message)
}
