import type { Kysely } from 'kysely'
import { isPostgres, jsonType, timestampType } from './helpers.js'

export async function up(db: Kysely<any>): Promise<void> {
  // What reached the sandbox's simulated WhatsApp server, kept across restarts: the sandbox answers
  // a resend of an id it accepted before from here, and tests read it as evidence of what was sent.
  await db.schema
    .createTable('sandbox_records')
    .addColumn('seq', 'integer', (c) =>
      isPostgres(db) ? c.primaryKey().generatedByDefaultAsIdentity() : c.primaryKey().autoIncrement(),
    )
    // The sandbox engine's instance (the instance uuid); no foreign key: the record outlives it.
    .addColumn('instance_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('sender', 'varchar(32)', (c) => c.notNull())
    .addColumn('chat_jid', 'varchar(128)', (c) => c.notNull())
    .addColumn('message_id', 'varchar(128)', (c) => c.notNull())
    .addColumn('type', 'varchar(32)', (c) => c.notNull())
    .addColumn('text', 'text')
    .addColumn('caption', 'text')
    .addColumn('media', jsonType(db))
    .addColumn('target_id', 'varchar(128)')
    .addColumn('emoji', 'varchar(64)')
    .addColumn('accepted_at', timestampType(db), (c) => c.notNull())
    .execute()
  // Not unique, on purpose: the record is the evidence that no id reached WhatsApp twice, so it
  // must be able to show it; the sandbox looks an id up here before it accepts it again.
  await db.schema
    .createIndex('sandbox_records_message_idx')
    .on('sandbox_records')
    .columns(['sender', 'message_id'])
    .execute()
  await db.schema
    .createIndex('sandbox_records_accepted_idx')
    .on('sandbox_records')
    .column('accepted_at')
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('sandbox_records').execute()
}
