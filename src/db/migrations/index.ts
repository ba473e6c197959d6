import type { Migration, MigrationProvider } from 'kysely'
import * as foundation from './2026112201_foundation.js'

/** Every migration, in order; a static list so that bundling or a missing folder can't lose one. */
const migrations: Record<string, Migration> = {
  '2026112201_foundation': foundation,
}

export const migrationProvider: MigrationProvider = {
  async getMigrations() {
    return migrations
  },
}
