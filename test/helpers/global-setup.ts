import pg from 'pg'
import type { TestProject } from 'vitest/node'
import { openDatabase } from '../../src/db/database.js'
import { migrateToLatest } from '../../src/db/migrate.js'
import { adminUrl, withDatabaseName } from './pg-url.js'

/**
 * With TEST_DB=postgres: one migrated template database per run; every test app clones it
 * (`CREATE DATABASE … TEMPLATE`), which is much faster than migrating each one.
 */
export default async function setup(project: TestProject) {
  if ((process.env['TEST_DB'] ?? 'sqlite') !== 'postgres') {
    project.provide('pgTemplate', '')
    return
  }
  const prefix = `zapini_t${Date.now().toString(36)}`
  const template = `${prefix}_tpl`
  const admin = new pg.Client({ connectionString: adminUrl() })
  await admin.connect()
  await admin.query(`CREATE DATABASE "${template}"`)
  const database = openDatabase(withDatabaseName(adminUrl(), template), { poolSize: 1 })
  await migrateToLatest(database.db)
  await database.close()
  project.provide('pgTemplate', template)

  return async () => {
    const { rows } = await admin.query<{ datname: string }>(
      'SELECT datname FROM pg_database WHERE datname LIKE $1',
      [`${prefix}%`],
    )
    for (const row of rows) await admin.query(`DROP DATABASE IF EXISTS "${row.datname}" WITH (FORCE)`)
    await admin.end()
  }
}
