import { type Compilable, CompiledQuery, type Kysely } from 'kysely'
import type { DB } from '../db/schema.js'

/**
 * A query built once and run many times with new parameters, on the database or inside a
 * transaction. Building a Kysely query costs more than running it on SQLite, which matters on
 * the paths that run for every event (the dispatcher, the deliverer). Parameters must be strings,
 * numbers or null. Unlike `preparedQuery`, reads go through the driver too, so that they never
 * see the rows of a transaction still open on SQLite's single connection.
 */
export function compiledQuery<Args extends (string | number | null)[], Row>(
  build: (...placeholders: Args) => Compilable<Row>,
  arity: Args['length'],
) {
  const placeholders = Array.from({ length: arity }, (_, i) => `\u0000param${i}\u0000`) as Args
  const compiled = build(...placeholders).compile()
  const slots = compiled.parameters.map((value) => placeholders.indexOf(value as never))
  return async (executor: Kysely<DB>, ...args: Args): Promise<Row[]> => {
    const parameters = compiled.parameters.map((value, i) => {
      const slot = slots[i]!
      return slot < 0 ? value : args[slot]
    })
    const result = await executor.executeQuery<Row>(CompiledQuery.raw(compiled.sql, parameters))
    return result.rows
  }
}
