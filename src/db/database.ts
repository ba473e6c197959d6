import fs from 'node:fs'
import path from 'node:path'
import SQLite from 'better-sqlite3'
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely'
import pg from 'pg'
import { SqliteBooleanPlugin } from './dialect.js'
import type { DB } from './schema.js'

export type DialectName = 'sqlite' | 'postgres'

export interface Database {
  db: Kysely<DB>
  dialect: DialectName
  close(): Promise<void>
}

// PostgreSQL answers timestamps as Date and bigint counts as strings; the API speaks ISO strings
// and numbers, and SQLite already stores both that way, so both databases read the same.
const pgTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === pg.types.builtins.TIMESTAMPTZ || oid === pg.types.builtins.TIMESTAMP) {
      return (value: string) => new Date(value).toISOString()
    }
    if (oid === pg.types.builtins.INT8) return (value: string) => Number(value)
    return pg.types.getTypeParser(oid, format)
  },
}

export function openDatabase(databaseUrl: string, options: { poolSize?: number } = {}): Database {
  if (databaseUrl.startsWith('sqlite:')) {
    const file = databaseUrl.slice('sqlite:'.length)
    if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true })
    const sqlite = new SQLite(file)
    sqlite.pragma('journal_mode = WAL')
    sqlite.pragma('busy_timeout = 5000')
    sqlite.pragma('foreign_keys = ON')
    sqlite.pragma('synchronous = NORMAL')
    const cached = withStatementCache(sqlite)
    const db = new Kysely<DB>({
      dialect: new SqliteDialect({ database: cached }),
      plugins: [new SqliteBooleanPlugin()],
    })
    directReaders.set(db, cached.prepare)
    connections.set(db, sqlite)
    return { db, dialect: 'sqlite', close: () => db.destroy() }
  }
  const pool = new pg.Pool({ connectionString: databaseUrl, max: options.poolSize ?? 10, types: pgTypes })
  // An idle connection the server closed (restart, failover) is dropped and replaced; without a
  // listener its 'error' event would crash the process.
  pool.on('error', () => {})
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) })
  return { db, dialect: 'postgres', close: () => db.destroy() }
}

const directReaders = new WeakMap<object, (sql: string) => CachedStatement>()
const connections = new WeakMap<object, SQLite.Database>()

/** The better-sqlite3 connection behind a SQLite database, or null on PostgreSQL. */
export function sqliteConnectionOf(db: object): SQLite.Database | null {
  return connections.get(db) ?? null
}

/**
 * For SQLite, a way to run a read statement synchronously, without Kysely's per-query machinery
 * (connection mutex, promise chain), for the few reads every request makes. Only for reads: a
 * write outside the mutex could land inside another flow's open transaction.
 */
export function directReaderOf(db: object): ((sql: string) => CachedStatement) | null {
  return directReaders.get(db) ?? null
}

/** A cached statement, as Kysely's SQLite driver and the direct readers use it. */
export interface CachedStatement {
  readonly reader: boolean
  all(parameters: readonly unknown[]): unknown[]
  iterate(parameters: readonly unknown[]): IterableIterator<unknown>
  run(parameters: readonly unknown[]): SQLite.RunResult
}

const SCHEMA_CHANGE = /^\s*(create|alter|drop)\b/i

/**
 * better-sqlite3 compiles SQL on every `prepare`; the application runs the same few hundred
 * statements over and over, so compiled statements are kept and reused.
 */
function withStatementCache(sqlite: SQLite.Database, limit = 1000) {
  const cache = new Map<string, CachedStatement>()
  return {
    close: () => sqlite.close(),
    prepare(sql: string): CachedStatement {
      let statement = cache.get(sql)
      if (!statement) {
        if (cache.size >= limit) cache.clear()
        // After a change of schema, `SELECT *` may answer other columns: prepare anew.
        const schemaChanged = SCHEMA_CHANGE.test(sql) ? () => cache.clear() : null
        statement = cachedStatement(sqlite.prepare(sql), schemaChanged)
        cache.set(sql, statement)
      }
      return statement
    },
  }
}

/**
 * Rows as objects of one shape per statement. better-sqlite3 builds each row by adding its columns
 * one by one, which leaves a row of forty columns a dictionary: every read of it is a hash lookup
 * and copying it costs ten times as much. Read as arrays, the rows are made by one object literal.
 */
function cachedStatement(statement: SQLite.Statement, schemaChanged: (() => void) | null): CachedStatement {
  if (!statement.reader) {
    return {
      reader: false,
      all: (parameters) => statement.all(parameters),
      iterate: (parameters) => statement.iterate(parameters),
      run(parameters) {
        const result = statement.run(parameters)
        schemaChanged?.()
        return result
      },
    }
  }
  // The statement's own column names, each quoted as a JSON string; a computed key for
  // `__proto__`, which as a plain key would set the prototype instead.
  const keys = statement
    .columns()
    .map(({ name }) => (name === '__proto__' ? `[${JSON.stringify(name)}]` : JSON.stringify(name)))
  const toRow = new Function(
    'values',
    `return { ${keys.map((key, i) => `${key}: values[${i}]`).join(', ')} }`,
  ) as (values: unknown[]) => unknown
  statement.raw(true)
  return {
    reader: true,
    all: (parameters) => (statement.all(parameters) as unknown[][]).map(toRow),
    *iterate(parameters) {
      for (const values of statement.iterate(parameters)) yield toRow(values as unknown[])
    },
    run: (parameters) => statement.run(parameters),
  }
}
