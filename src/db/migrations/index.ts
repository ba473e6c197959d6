import type { Migration, MigrationProvider } from 'kysely'
import * as foundation from './2026112201_foundation.js'
import * as instances from './2026112202_instances.js'
import * as messaging from './2026112203_messaging.js'
import * as sandbox from './2026112204_sandbox.js'
import * as inbox from './2026112205_inbox.js'
import * as webhooks from './2026112206_webhooks.js'
import * as messageUsage from './2026112207_message_usage.js'
import * as media from './2026112208_media.js'
import * as crm from './2026112209_crm.js'
import * as automation from './2026112210_automation.js'

/** Every migration, in order; a static list so that bundling or a missing folder can't lose one. */
const migrations: Record<string, Migration> = {
  '2026112201_foundation': foundation,
  '2026112202_instances': instances,
  '2026112203_messaging': messaging,
  '2026112204_sandbox': sandbox,
  '2026112205_inbox': inbox,
  '2026112206_webhooks': webhooks,
  '2026112207_message_usage': messageUsage,
  '2026112208_media': media,
  '2026112209_crm': crm,
  '2026112210_automation': automation,
}

export const migrationProvider: MigrationProvider = {
  async getMigrations() {
    return migrations
  },
}
