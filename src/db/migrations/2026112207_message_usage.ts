import type { Kysely } from 'kysely'
import { timestampType } from './helpers.js'

export async function up(db: Kysely<any>): Promise<void> {
  // Messages queued per instance per UTC day: the daily quota, kept as a counter so that checking
  // it costs the same at the 10th message of the day as at the 100,000th.
  await db.schema
    .createTable('message_usage')
    .addColumn('instance_id', 'integer', (c) => c.notNull().references('instances.id').onDelete('cascade'))
    .addColumn('day', 'varchar(10)', (c) => c.notNull())
    .addColumn('queued', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('updated_at', timestampType(db), (c) => c.notNull())
    .addPrimaryKeyConstraint('message_usage_pk', ['instance_id', 'day'])
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('message_usage').execute()
}
