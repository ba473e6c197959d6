import { type Compilable, CompiledQuery, type Kysely, SqliteAdapter } from 'kysely'
import { changeVersionOf, type TableName } from './change-tracker.js'
import { directReaderOf } from './database.js'
import type { DB } from './schema.js'

/**
 * A query built and compiled once, then run with new parameters: building a Kysely query costs
 * more than running it on SQLite, which matters on the few paths every request takes
 * (authentication). `build` receives placeholder values in place of the parameters, which must
 * be strings, numbers or null (booleans differ between the databases; build those into the query).
 *
 * With `cacheUntilChangeOf`, a SQLite read is answered from memory until one of those tables
 * changes (see change-tracker.ts); callers must not modify the rows they get.
 */
export function preparedQuery<Args extends unknown[], Row>(
  db: Kysely<DB>,
  build: (...placeholders: Args) => Compilable<Row>,
  arity: Args['length'],
  options: { cacheUntilChangeOf?: readonly TableName[] } = {},
) {
  const placeholders = Array.from({ length: arity }, (_, i) => `\u0000param${i}\u0000`) as Args
  const compiled = build(...placeholders).compile()
  const slots = compiled.parameters.map((value) => placeholders.indexOf(value as never))
  const reader = compiled.query.kind === 'SelectQueryNode' ? directReaderOf(db) : null
  const version =
    reader && options.cacheUntilChangeOf ? changeVersionOf(db, options.cacheUntilChangeOf) : null
  const cache = new Map<string, { version: string; rows: Row[] }>()
  return async (...args: Args): Promise<Row[]> => {
    const parameters = compiled.parameters.map((value, i) => {
      const slot = slots[i]!
      return slot < 0 ? value : args[slot]
    })
    if (!reader) {
      const result = await db.executeQuery<Row>(CompiledQuery.raw(compiled.sql, parameters))
      return result.rows
    }
    // SQLite reads run straight on the statement; PostgreSQL and writes go through Kysely.
    if (!version) return reader(compiled.sql).all(parameters) as Row[]
    const now = version()
    const key = args.join('\u0000')
    const hit = cache.get(key)
    if (hit && hit.version === now) return hit.rows
    const rows = reader(compiled.sql).all(parameters) as Row[]
    if (now !== null) {
      if (cache.size >= MAX_CACHED_ARGUMENTS) cache.clear()
      cache.set(key, { version: now, rows })
    }
    return rows
  }
}

const MAX_CACHED_ARGUMENTS = 10_000

/**
 * A multi-row statement of one shape (an insert of many rows), compiled once per row count: the
 * tree of values Kysely builds for a batch costs more than storing it. `build` receives the
 * executor and rows of placeholder values; the rows given later may hold strings, numbers,
 * booleans and null, and a column a row lacks takes its value in `defaults`, or null.
 */
export function preparedRows<Out>(
  columns: readonly string[],
  build: (db: Kysely<DB>, rows: Record<string, string>[]) => Compilable<Out>,
  defaults: Record<string, unknown> = {},
) {
  type Entry = { sql: string; slots: number[]; constants: readonly unknown[] }
  const compiled = new Map<string, Entry>()
  const width = columns.length
  // By position, so that a name such as `constructor` cannot reach Object.prototype.
  const fallbacks = columns.map((column) => (Object.hasOwn(defaults, column) ? defaults[column] : null))
  return async (db: Kysely<DB>, rows: readonly object[]): Promise<Out[]> => {
    const sqlite = db.getExecutor().adapter instanceof SqliteAdapter
    const key = `${sqlite ? 'sqlite' : 'postgres'}:${rows.length}`
    let entry = compiled.get(key)
    if (!entry) {
      const marks = rows.map((_, r) =>
        Object.fromEntries(columns.map((column, c) => [column, `\u0000row${r * width + c}\u0000`])),
      )
      const query = build(db, marks).compile()
      const slots = query.parameters.map((value) =>
        typeof value === 'string' && value.startsWith('\u0000row') ? Number(value.slice(4, -1)) : -1,
      )
      entry = { sql: query.sql, slots, constants: query.parameters }
      compiled.set(key, entry)
    }
    const { slots, constants } = entry
    const parameters = slots.map((slot, i) => {
      if (slot < 0) return constants[i]
      const row = rows[Math.floor(slot / width)] as Record<string, unknown>
      const value = row[columns[slot % width]!] ?? fallbacks[slot % width]
      // SQLite stores booleans as 0/1 (see dialect.ts).
      return typeof value === 'boolean' && sqlite ? Number(value) : value
    })
    return (await db.executeQuery<Out>(CompiledQuery.raw(entry.sql, parameters))).rows
  }
}

/**
 * A statement with named parameters, compiled once per database (see preparedRows), for a
 * statement run in the caller's transaction. `build` receives placeholders in place of the
 * parameters: pass what is computed from them (a sum, a limit) as a parameter of its own.
 */
export function preparedStatement<Out>(
  names: readonly string[],
  build: (db: Kysely<DB>, params: Record<string, string>) => Compilable<Out>,
) {
  const statement = preparedRows(names, (db, [params]) => build(db, params!))
  return (db: Kysely<DB>, params: object): Promise<Out[]> => statement(db, [params])
}
