import type { FastifyError, FastifyInstance } from 'fastify'
import { AppError, type ErrorCode } from './errors.js'
import { type ForwardingSeal, HeldElsewhere, relay } from './forward.js'

interface AjvError {
  keyword: string
  instancePath: string
  message?: string
  params: Record<string, unknown>
}

function fieldName(error: AjvError): string {
  const path = error.instancePath.replace(/^\//, '').replaceAll('/', '.')
  if (error.keyword === 'required') {
    const missing = String(error.params['missingProperty'] ?? '')
    return path ? `${path}.${missing}` : missing
  }
  if (error.keyword === 'additionalProperties') {
    const extra = String(error.params['additionalProperty'] ?? '')
    return path ? `${path}.${extra}` : extra
  }
  return path || '_'
}

function messageFor(error: AjvError, field: string): string {
  switch (error.keyword) {
    case 'required':
      return `The ${field} field is required.`
    case 'additionalProperties':
      return `The ${field} field is not allowed.`
    case 'format':
      return `The ${field} field must be a valid ${String(error.params['format'])}.`
    case 'minLength':
      return `The ${field} field must be at least ${String(error.params['limit'])} characters.`
    case 'maxLength':
      return `The ${field} field must not be greater than ${String(error.params['limit'])} characters.`
    case 'enum':
      return `The ${field} field must be one of: ${(error.params['allowedValues'] as unknown[]).join(', ')}.`
    default:
      return `The ${field} field ${error.message ?? 'is invalid'}.`
  }
}

/** Turns schema validation errors into `{field: [messages]}`. */
export function validationDetails(errors: AjvError[]): Record<string, string[]> {
  const details: Record<string, string[]> = {}
  for (const error of errors) {
    // anyOf/oneOf add a summary error after the branch errors; the branch errors say more.
    if (error.keyword === 'anyOf' || error.keyword === 'oneOf') continue
    const field = fieldName(error)
    const message = messageFor(error, field)
    const list = details[field] ?? []
    if (!list.includes(message)) list.push(message)
    details[field] = list
  }
  return details
}

function fromFastify(error: FastifyError): AppError | null {
  if (error.validation) {
    return new AppError(
      'VALIDATION_ERROR',
      'The given data was invalid.',
      validationDetails(error.validation as AjvError[]),
    )
  }
  const known: Record<string, [ErrorCode, string, number?]> = {
    FST_ERR_CTP_INVALID_JSON_BODY: ['INVALID_JSON', 'The request body is not valid JSON.'],
    FST_ERR_CTP_EMPTY_JSON_BODY: ['INVALID_JSON', 'The request body is empty but its Content-Type is JSON.'],
    FST_ERR_CTP_INVALID_MEDIA_TYPE: [
      'UNSUPPORTED_MEDIA_TYPE',
      'This Content-Type is not accepted here.',
      415,
    ],
    FST_ERR_CTP_INVALID_CONTENT_LENGTH: ['BAD_REQUEST', 'The Content-Length does not match the body.'],
    FST_ERR_CTP_BODY_TOO_LARGE: ['FILE_TOO_LARGE', 'The request body is too large.'],
  }
  const hit = error.code ? known[error.code] : undefined
  if (hit) return new AppError(hit[0], hit[1], {}, hit[2] ? { status: hit[2] } : {})
  // Body parsers throw a bare SyntaxError with status 400 for malformed JSON.
  if (error instanceof SyntaxError && error.statusCode === 400) {
    return new AppError('INVALID_JSON', 'The request body is not valid JSON.')
  }
  if (error.statusCode === 429) return new AppError('RATE_LIMIT_EXCEEDED', error.message)
  if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
    return new AppError('BAD_REQUEST', error.message, {}, { status: error.statusCode })
  }
  return null
}

/**
 * One place renders every error as `{success: false, error: {code, message, details}}`. A request
 * that needs an instance held by another process is forwarded there (`HeldElsewhere`) and its
 * answer relayed; one that cannot be forwarded is a 503 in the same envelope.
 */
export function registerErrorHandling(
  app: FastifyInstance,
  options: { forwardTimeoutMs: number; forwardingSeal: ForwardingSeal },
): void {
  app.setErrorHandler(async (raw: FastifyError | AppError, request, reply) => {
    let error = raw instanceof AppError ? raw : fromFastify(raw)
    if (error instanceof HeldElsewhere) {
      try {
        return await relay(request, reply, error.address, {
          timeoutMs: options.forwardTimeoutMs,
          seal: options.forwardingSeal,
        })
      } catch (failure) {
        // relay() answers its own failures as AppErrors; anything else is a bug, logged as one.
        if (!(failure instanceof AppError)) request.log.error({ err: failure }, 'forwarding failed')
        error = failure instanceof AppError ? failure : null
      }
    }
    if (!error) {
      request.log.error({ err: raw }, 'unexpected error')
      return reply.status(500).send({
        success: false,
        error: { code: 'INTERNAL_ERROR', message: 'Internal server error', details: {} },
      })
    }
    if (error.status >= 500) request.log.error({ err: raw }, error.message)
    reply.headers(error.headers)
    return reply.status(error.status).send({
      success: false,
      error: { code: error.code, message: error.message, details: error.details, ...error.extra },
    })
  })

  app.setNotFoundHandler((request, reply) => {
    return reply.status(404).send({
      success: false,
      error: {
        code: 'NOT_FOUND',
        message: `Route ${request.method} ${request.url.split('?')[0]} not found`,
        details: {},
      },
    })
  })
}
