import { type Kysely, type MigrationResultSet, Migrator } from 'kysely'
import { migrationProvider } from './migrations/index.js'

function migrator(db: Kysely<any>): Migrator {
  // Branches merged in any order may add migrations older than one already applied.
  return new Migrator({ db, provider: migrationProvider, allowUnorderedMigrations: true })
}

function unwrap(result: MigrationResultSet): string[] {
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error')
    const where = failed ? ` (in ${failed.migrationName})` : ''
    throw new Error(`Migration failed${where}: ${String((result.error as Error).message ?? result.error)}`)
  }
  return (result.results ?? []).map((r) => r.migrationName)
}

/** Applies every pending migration; returns the names applied. */
export async function migrateToLatest(db: Kysely<any>): Promise<string[]> {
  return unwrap(await migrator(db).migrateToLatest())
}

/** Reverts every migration (used by the migration tests). */
export async function migrateToNothing(db: Kysely<any>): Promise<string[]> {
  const { NO_MIGRATIONS } = await import('kysely')
  return unwrap(await migrator(db).migrateTo(NO_MIGRATIONS))
}
