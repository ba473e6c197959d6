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

const directReaders = new WeakMap<object, (sql: string) => SQLite.Statement>()
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
export function directReaderOf(db: object): ((sql: string) => SQLite.Statement) | null {
  return directReaders.get(db) ?? null
}

/**
 * better-sqlite3 compiles SQL on every `prepare`; the application runs the same few hundred
 * statements over and over, so compiled statements are kept and reused.
 */
function withStatementCache(sqlite: SQLite.Database, limit = 1000) {
  const cache = new Map<string, SQLite.Statement>()
  return {
    close: () => sqlite.close(),
    prepare(sql: string) {
      let statement = cache.get(sql)
      if (!statement) {
        if (cache.size >= limit) cache.clear()
        statement = sqlite.prepare(sql)
        cache.set(sql, statement)
      }
      return statement
    },
  }
}
