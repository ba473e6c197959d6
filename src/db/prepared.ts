import { type Compilable, CompiledQuery, type Kysely } from 'kysely'
import { directReaderOf } from './database.js'
import type { DB } from './schema.js'

/**
 * A query built and compiled once, then run with new parameters: building a Kysely query costs
 * more than running it on SQLite, which matters on the few paths every request takes
 * (authentication). `build` receives placeholder values in place of the parameters, which must
 * be strings, numbers or null (booleans differ between the databases; build those into the query).
 */
export function preparedQuery<Args extends unknown[], Row>(
  db: Kysely<DB>,
  build: (...placeholders: Args) => Compilable<Row>,
  arity: Args['length'],
) {
  const placeholders = Array.from({ length: arity }, (_, i) => `\u0000param${i}\u0000`) as Args
  const compiled = build(...placeholders).compile()
  const slots = compiled.parameters.map((value) => placeholders.indexOf(value as never))
  const reader = compiled.query.kind === 'SelectQueryNode' ? directReaderOf(db) : null
  return async (...args: Args): Promise<Row[]> => {
    const parameters = compiled.parameters.map((value, i) => {
      const slot = slots[i]!
      return slot < 0 ? value : args[slot]
    })
    // SQLite reads run straight on the statement; PostgreSQL and writes go through Kysely.
    if (reader) return reader(compiled.sql).all(parameters) as Row[]
    const result = await db.executeQuery<Row>(CompiledQuery.raw(compiled.sql, parameters))
    return result.rows
  }
}
