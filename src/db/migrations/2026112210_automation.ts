import type { Kysely } from 'kysely'
import { boolType, jsonType, timestampType, withIds, withTimestamps } from './helpers.js'

export async function up(db: Kysely<any>): Promise<void> {
  const ts = timestampType(db)
  const tenant = (c: any) => c.notNull().references('tenants.id').onDelete('cascade')
  const instance = (c: any) => c.notNull().references('instances.id').onDelete('cascade')

  await withTimestamps(
    db,
    withIds(db, db.schema.createTable('automation_flows'))
      .addColumn('tenant_id', 'integer', tenant)
      .addColumn('instance_id', 'integer', instance)
      .addColumn('name', 'varchar(255)', (c) => c.notNull())
      .addColumn('trigger', jsonType(db), (c) => c.notNull())
      .addColumn('steps', jsonType(db), (c) => c.notNull())
      .addColumn('is_active', boolType(db), (c) => c.notNull().defaultTo(true))
      .addColumn('priority', 'integer', (c) => c.notNull().defaultTo(100)),
  ).execute()
  await db.schema
    .createIndex('automation_flows_instance_idx')
    .on('automation_flows')
    .columns(['instance_id', 'is_active'])
    .execute()

  await withTimestamps(
    db,
    withIds(db, db.schema.createTable('automation_integrations'))
      .addColumn('tenant_id', 'integer', tenant)
      .addColumn('instance_id', 'integer', instance)
      .addColumn('name', 'varchar(255)', (c) => c.notNull())
      .addColumn('type', 'varchar(20)', (c) => c.notNull())
      // Settings; secrets inside (api_key, secret) are encrypted with the app key.
      .addColumn('config', jsonType(db), (c) => c.notNull())
      .addColumn('is_active', boolType(db), (c) => c.notNull().defaultTo(true))
      .addColumn('priority', 'integer', (c) => c.notNull().defaultTo(100)),
  ).execute()
  await db.schema
    .createIndex('automation_integrations_instance_idx')
    .on('automation_integrations')
    .columns(['instance_id', 'is_active'])
    .execute()

  // A flow waiting for the contact's reply, per conversation.
  await db.schema
    .createTable('automation_runs')
    .addColumn('conversation_id', 'integer', (c) =>
      c.primaryKey().references('conversations.id').onDelete('cascade'),
    )
    .addColumn('flow_id', 'integer', (c) => c.notNull().references('automation_flows.id').onDelete('cascade'))
    .addColumn('step', 'integer', (c) => c.notNull())
    .addColumn('updated_at', ts, (c) => c.notNull())
    .execute()

  // What automation did with each incoming message: the log, and the guard against answering twice.
  await withIds(db, db.schema.createTable('automation_logs'))
    .addColumn('tenant_id', 'integer', tenant)
    .addColumn('instance_id', 'integer', instance)
    .addColumn('conversation_id', 'integer', (c) => c.references('conversations.id').onDelete('cascade'))
    .addColumn('message_id', 'integer', (c) => c.references('messages.id').onDelete('cascade'))
    .addColumn('handler', 'varchar(64)', (c) => c.notNull())
    .addColumn('outcome', 'varchar(20)', (c) => c.notNull())
    .addColumn('detail', 'text')
    .addColumn('created_at', ts, (c) => c.notNull())
    .execute()
  await db.schema
    .createIndex('automation_logs_message_uq')
    .on('automation_logs')
    .column('message_id')
    .unique()
    .execute()
  await db.schema
    .createIndex('automation_logs_instance_idx')
    .on('automation_logs')
    .columns(['instance_id', 'id'])
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['automation_logs', 'automation_runs', 'automation_integrations', 'automation_flows']) {
    await db.schema.dropTable(table).ifExists().execute()
  }
}
