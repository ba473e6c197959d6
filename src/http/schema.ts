import { type Static, type TSchema, Type } from '@sinclair/typebox'

const SCALARS = new Set(['string', 'integer', 'number', 'boolean'])

/**
 * `T | null`. A scalar becomes one `type: [t, 'null']` rather than a union: query strings and
 * path parameters are coerced to their schema's types, and under a union that coercion would turn
 * a JSON null into '' or 0 in the first branch before the null branch is ever tried.
 */
export function Nullable<T extends TSchema>(schema: T) {
  return typeof schema['type'] === 'string' && SCALARS.has(schema['type'])
    ? Type.Unsafe<Static<T> | null>({ ...schema, type: [schema['type'], 'null'] })
    : Type.Union([schema, Type.Null()])
}
