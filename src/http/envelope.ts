import { type TSchema, Type } from '@sinclair/typebox'
import { ERROR_STATUS, type ErrorCode } from './errors.js'

/** `{success: true, message?, data}`: the success envelope of every endpoint. */
export function Success<T extends TSchema>(data: T, description?: string) {
  return Type.Object(
    { success: Type.Literal(true), message: Type.Optional(Type.String()), data },
    description ? { description } : {},
  )
}

/** A success envelope without data (logout, revoke…). */
export const Done = Type.Object({ success: Type.Literal(true), message: Type.String() })

export const PaginationMeta = Type.Object({
  pagination: Type.Object({
    total: Type.Integer(),
    per_page: Type.Integer(),
    current_page: Type.Integer(),
    last_page: Type.Integer(),
    from: Type.Union([Type.Integer(), Type.Null()]),
    to: Type.Union([Type.Integer(), Type.Null()]),
  }),
})

export function Paginated<T extends TSchema>(item: T) {
  return Type.Object({ success: Type.Literal(true), data: Type.Array(item), meta: PaginationMeta })
}

export const ErrorBody = Type.Object(
  {
    success: Type.Literal(false),
    error: Type.Object(
      {
        code: Type.String({ description: 'UPPER_SNAKE error code' }),
        message: Type.String(),
        details: Type.Record(Type.String(), Type.Unknown()),
      },
      { additionalProperties: true },
    ),
  },
  { $id: 'ErrorResponse' },
)

/**
 * Response schemas for the error statuses a route can answer, each listing its codes, so that the
 * OpenAPI description tells clients exactly what to expect. 422 and 429 are added to every route.
 */
export function errors(...codes: ErrorCode[]) {
  const all = new Set<ErrorCode>([...codes, 'VALIDATION_ERROR', 'RATE_LIMIT_EXCEEDED'])
  // A request that needs an instance's live connection goes to the process holding it; one that
  // cannot be reached in time is a 503.
  if (all.has('INSTANCE_NOT_CONNECTED')) all.add('SERVICE_UNAVAILABLE')
  const byStatus = new Map<number, ErrorCode[]>()
  for (const code of all) {
    const status = ERROR_STATUS[code]
    byStatus.set(status, [...(byStatus.get(status) ?? []), code])
  }
  const out: Record<number, TSchema> = {}
  for (const [status, list] of byStatus) {
    out[status] = Type.Ref(ErrorBody, { description: `Error codes: ${list.join(', ')}` })
  }
  return out
}

export const PageQuery = Type.Object({
  page: Type.Optional(Type.Integer({ minimum: 1, default: 1 })),
  per_page: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
})

export interface Page {
  page: number
  perPage: number
  offset: number
}

export function pageOf(query: { page?: number; per_page?: number }): Page {
  const page = query.page ?? 1
  const perPage = query.per_page ?? 20
  return { page, perPage, offset: (page - 1) * perPage }
}

export function paginationMeta(total: number, page: Page, count: number) {
  return {
    pagination: {
      total,
      per_page: page.perPage,
      current_page: page.page,
      last_page: Math.max(1, Math.ceil(total / page.perPage)),
      from: count > 0 ? page.offset + 1 : null,
      to: count > 0 ? page.offset + count : null,
    },
  }
}

export function ok<T>(data: T, message?: string) {
  return message === undefined ? { success: true as const, data } : { success: true as const, message, data }
}

/** A file answered as its bytes (streamed, never serialized), for the OpenAPI description. */
export const FileResponse = {
  description: 'The file, with its own Content-Type',
  content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
}
