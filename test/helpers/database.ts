import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import pg from 'pg'
import { inject } from 'vitest'
import { type Database, openDatabase } from '../../src/db/database.js'
import { migrateToLatest } from '../../src/db/migrate.js'
import { adminUrl, withDatabaseName } from './pg-url.js'

/** Which database this run tests against: `TEST_DB=sqlite` (default) or `TEST_DB=postgres`. */
export const TEST_DB = (process.env['TEST_DB'] ?? 'sqlite') as 'sqlite' | 'postgres'

export interface TestDatabase {
  url: string
  database: Database
  /** A second connection to the same database, e.g. for a child process. */
  dispose(): Promise<void>
}

let counter = 0

/**
 * A fresh, migrated database for one test app: a temp-file SQLite database, or a PostgreSQL
 * database cloned from the migrated template that the global set-up made.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  if (TEST_DB === 'sqlite') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zapini-test-'))
    const url = `sqlite:${path.join(dir, 'zapini.db')}`
    const database = openDatabase(url)
    await migrateToLatest(database.db)
    return {
      url,
      database,
      async dispose() {
        await database.close()
        fs.rmSync(dir, { recursive: true, force: true })
      },
    }
  }
  const template = inject('pgTemplate')
  const name = `${template.replace(/_tpl$/, '')}_${process.pid}_${++counter}`
  const admin = new pg.Client({ connectionString: adminUrl() })
  await admin.connect()
  try {
    await admin.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`)
  } finally {
    await admin.end()
  }
  const url = withDatabaseName(adminUrl(), name)
  const database = openDatabase(url, { poolSize: 5 })
  return {
    url,
    database,
    async dispose() {
      await database.close()
      const client = new pg.Client({ connectionString: adminUrl() })
      await client.connect()
      try {
        await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)
      } finally {
        await client.end()
      }
    },
  }
}

declare module 'vitest' {
  export interface ProvidedContext {
    pgTemplate: string
  }
}
