import type SQLite from 'better-sqlite3'
import { sqliteConnectionOf } from './database.js'
import type { DB } from './schema.js'

export type TableName = keyof DB & string

/**
 * A number that moves whenever one of the watched tables may have changed, for caching reads of
 * tables that rarely change (tokens, users, tenants) without ever serving a stale row. Writes on
 * this connection are counted by temporary triggers, whatever code path makes them; commits of
 * other connections (a second process, the CLI) move SQLite's `data_version`, read at most once a
 * millisecond. Inside an open
 * transaction it is null: this connection then sees writes that may still roll back, which must
 * not be cached. SQLite only: the function is null on PostgreSQL.
 */
export type ChangeVersion = () => string | null

const trackers = new WeakMap<SQLite.Database, { watched: Set<string>; local: { count: number } }>()

export function changeVersionOf(db: object, tables: readonly TableName[]): ChangeVersion | null {
  const sqlite = sqliteConnectionOf(db)
  if (!sqlite) return null
  let tracker = trackers.get(sqlite)
  if (!tracker) {
    const local = { count: 0 }
    sqlite.function('zapini_watched_table_changed', { deterministic: false }, () => {
      local.count++
      return null
    })
    tracker = { watched: new Set(), local }
    trackers.set(sqlite, tracker)
  }
  for (const table of tables) {
    if (tracker.watched.has(table)) continue
    for (const operation of ['INSERT', 'UPDATE', 'DELETE']) {
      sqlite.exec(
        `CREATE TEMP TRIGGER IF NOT EXISTS zapini_watch_${table}_${operation.toLowerCase()} ` +
          `AFTER ${operation} ON main.${table} BEGIN SELECT zapini_watched_table_changed(); END`,
      )
    }
    tracker.watched.add(table)
  }
  const local = tracker.local
  const dataVersion = sqlite.prepare('PRAGMA data_version').pluck()
  // Reading data_version takes the database's shared lock, which costs more than the cached read
  // saves; once a millisecond is enough to see another process's commit.
  let other = 0
  let checkedAt = Number.NEGATIVE_INFINITY
  return () => {
    if (sqlite.inTransaction) return null
    const now = performance.now()
    if (now - checkedAt >= 1) {
      other = dataVersion.get() as number
      checkedAt = now
    }
    return `${local.count}:${other}`
  }
}
